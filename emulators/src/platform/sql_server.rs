//! SQL Server as far as the AWDB is reached over the network: the login of
//! TDS 7.x ([MS-TDS]: PRELOGIN, LOGIN7, then a SQL batch) served by the
//! ADSs ([`serve`]) and used by ECE's application server when the AWDB
//! Details tab is saved ([`login`]; [ECE] 5). Real clients speak to it too
//! (FreeTDS's `tsql`, tested in `emulators/tests/sql_server.rs`).
//!
//! What the wire carries is MS-TDS's: the 8-byte packet header, the
//! PRELOGIN option table, the LOGIN7 fixed part with its offset/length
//! table and the password's nibble swap and `0xA5` mask, the ERROR
//! (`0xAA`), LOGINACK (`0xAD`), ENVCHANGE (`0xE3`), COLMETADATA (`0x81`),
//! ROW (`0xD1`) and DONE (`0xFD`) tokens. SQL Server's texts for errors
//! 18456 and 4060 are SQL Server's own. What is ccelab's: the server
//! answers PRELOGIN with `ENCRYPT_NOT_SUP` (a real SQL Server always offers
//! TLS with at least a self-signed certificate, so the login is never sent
//! in clear there), and it answers exactly one query (`SELECT EnterpriseName
//! FROM t_Application_Instance`; anything else gets error 50000 saying so).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};

/// The port of SQL Server's default instance.
pub const PORT: u16 = 1433;

/// The largest TDS message either side accepts (a LOGIN7 or a batch is a
/// few hundred bytes; the default negotiated packet size is 4096).
pub const MAX_MESSAGE: usize = 64 * 1024;

/// The one query the AWDB answers: the application instances ([ECE] 5).
pub const APP_INSTANCE_QUERY: &str = "SELECT EnterpriseName FROM t_Application_Instance";

/// The version the server reports in PRELOGIN and LOGINACK.
const SERVER_VERSION: [u8; 4] = [15, 0, 0x10, 0x7F]; // 15.0.4223 (SQL Server 2019)

const PRELOGIN: u8 = 0x12;
const LOGIN7: u8 = 0x10;
const SQL_BATCH: u8 = 0x01;
const TABULAR: u8 = 0x04;
const ENCRYPT_NOT_SUP: u8 = 0x02;

/// Why a TDS exchange failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlError {
    /// The server answered with an ERROR token (the first one).
    #[error("{message}")]
    Server {
        /// SQL Server's error number (18456, 4060, …).
        number: u32,
        /// Its message text.
        message: String,
    },
    /// The connection failed or closed (the words of the I/O error).
    #[error("{0}")]
    Io(String),
    /// What came was not TDS as this side understands it.
    #[error("{0}")]
    Protocol(String),
}

/// What a login is checked against, and what the database answers.
pub trait Databases: Send + Sync {
    /// The password of `login` (SQL Server authentication), if it exists.
    /// Logins compare without case.
    fn password(&self, login: &str) -> Option<String>;
    /// Whether `login` may open `database`.
    fn has_database(&self, login: &str, database: &str) -> bool;
    /// The rows of [`APP_INSTANCE_QUERY`].
    fn app_instances(&self) -> Vec<String>;
}

fn io(e: std::io::Error) -> SqlError {
    SqlError::Io(e.to_string())
}

/// Reads one TDS message (its packets up to the end-of-message bit): its
/// type and payload.
async fn read_message<S: AsyncRead + Unpin>(s: &mut S) -> Result<(u8, Vec<u8>), SqlError> {
    let mut payload = Vec::new();
    loop {
        let mut h = [0u8; 8];
        s.read_exact(&mut h).await.map_err(io)?;
        let len = u16::from_be_bytes([h[2], h[3]]) as usize;
        if len < 8 {
            return Err(SqlError::Protocol(format!("TDS packet length {len}")));
        }
        if payload.len() + len - 8 > MAX_MESSAGE {
            return Err(SqlError::Protocol(format!(
                "TDS message over {MAX_MESSAGE} bytes"
            )));
        }
        let start = payload.len();
        payload.resize(start + len - 8, 0);
        s.read_exact(&mut payload[start..]).await.map_err(io)?;
        if h[1] & 0x01 != 0 {
            return Ok((h[0], payload));
        }
    }
}

/// Writes `payload` as one TDS message of type `kind` (packets of at most 4096 bytes).
async fn write_message<S: AsyncWrite + Unpin>(
    s: &mut S,
    kind: u8,
    payload: &[u8],
) -> Result<(), SqlError> {
    let chunks: Vec<&[u8]> = if payload.is_empty() {
        vec![&[][..]]
    } else {
        payload.chunks(4096 - 8).collect()
    };
    let mut out = Vec::with_capacity(payload.len() + 8 * chunks.len());
    for (i, c) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        out.push(kind);
        out.push(u8::from(last));
        out.extend_from_slice(&((c.len() + 8) as u16).to_be_bytes());
        out.extend_from_slice(&[0, 0, (i + 1) as u8, 0]);
        out.extend_from_slice(c);
    }
    s.write_all(&out).await.map_err(io)?;
    s.flush().await.map_err(io)
}

fn ucs2(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn from_ucs2(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// A PRELOGIN message with VERSION and ENCRYPTION (the client's: `encryption`
/// as it asks; the server's: `ENCRYPT_NOT_SUP`).
fn prelogin(version: [u8; 4], encryption: u8) -> Vec<u8> {
    // two options of 5 bytes each and the terminator: data starts at 11
    let mut p = vec![0x00, 0, 11, 0, 6, 0x01, 0, 17, 0, 1, 0xFF];
    p.extend_from_slice(&version);
    p.extend_from_slice(&[0, 0]);
    p.push(encryption);
    p
}

/// The password as LOGIN7 carries it: each byte's nibbles swapped, then XOR 0xA5.
fn scramble(password: &str) -> Vec<u8> {
    ucs2(password)
        .into_iter()
        .map(|b| (b.rotate_left(4)) ^ 0xA5)
        .collect()
}

fn unscramble(b: &[u8]) -> String {
    let plain: Vec<u8> = b.iter().map(|x| (x ^ 0xA5).rotate_left(4)).collect();
    from_ucs2(&plain)
}

/// The fields of a LOGIN7 this side reads.
#[derive(Debug, Default, PartialEq, Eq)]
struct Login7 {
    host: String,
    user: String,
    password: String,
    app: String,
    database: String,
}

/// LOGIN7 (TDS 7.4): the 94-byte fixed part, then the variable data.
fn login7(user: &str, password: &str, database: &str, host: &str, app: &str) -> Vec<u8> {
    let fields: [(Vec<u8>, usize); 9] = [
        (ucs2(host), host.encode_utf16().count()),
        (ucs2(user), user.encode_utf16().count()),
        (scramble(password), password.encode_utf16().count()),
        (ucs2(app), app.encode_utf16().count()),
        (Vec::new(), 0), // server name
        (Vec::new(), 0), // extension
        (ucs2("ccelab"), 6),
        (Vec::new(), 0), // language
        (ucs2(database), database.encode_utf16().count()),
    ];
    let mut fixed = Vec::with_capacity(94);
    fixed.extend_from_slice(&[0; 4]); // length, set below
    fixed.extend_from_slice(&0x7400_0004u32.to_le_bytes()); // TDS 7.4
    fixed.extend_from_slice(&4096u32.to_le_bytes());
    fixed.extend_from_slice(&[0; 4]); // client program version
    fixed.extend_from_slice(&std::process::id().to_le_bytes());
    fixed.extend_from_slice(&[0; 4]); // connection id
    fixed.extend_from_slice(&[0xE0, 0x03, 0x00, 0x00]); // option flags 1, 2, type flags, 3
    fixed.extend_from_slice(&[0; 4]); // time zone
    fixed.extend_from_slice(&0x0409u32.to_le_bytes()); // LCID en-US
    let mut data = Vec::new();
    let mut offset = 94usize;
    for (i, (bytes, chars)) in fields.iter().enumerate() {
        fixed.extend_from_slice(&(offset as u16).to_le_bytes());
        fixed.extend_from_slice(&(*chars as u16).to_le_bytes());
        data.extend_from_slice(bytes);
        offset += bytes.len();
        if i == 8 {
            fixed.extend_from_slice(&[0; 6]); // client id (MAC address)
        }
    }
    // SSPI, attach-db file, change password: empty, at the end of the data
    for _ in 0..3 {
        fixed.extend_from_slice(&(offset as u16).to_le_bytes());
        fixed.extend_from_slice(&[0, 0]);
    }
    fixed.extend_from_slice(&[0; 4]); // cbSSPILong
    fixed.extend_from_slice(&data);
    let len = fixed.len() as u32;
    fixed[0..4].copy_from_slice(&len.to_le_bytes());
    fixed
}

fn parse_login7(p: &[u8]) -> Result<Login7, SqlError> {
    let bad = || SqlError::Protocol("malformed LOGIN7".into());
    if p.len() < 94 {
        return Err(bad());
    }
    let u16_at = |i: usize| u16::from_le_bytes([p[i], p[i + 1]]) as usize;
    let field = |at: usize| -> Result<&[u8], SqlError> {
        let (off, chars) = (u16_at(at), u16_at(at + 2));
        p.get(off..off + chars * 2).ok_or_else(bad)
    };
    Ok(Login7 {
        host: from_ucs2(field(36)?),
        user: from_ucs2(field(40)?),
        password: unscramble(field(44)?),
        app: from_ucs2(field(48)?),
        database: from_ucs2(field(68)?),
    })
}

fn b_varchar(out: &mut Vec<u8>, s: &str) {
    let units = s.encode_utf16().count().min(255);
    out.push(units as u8);
    out.extend(s.encode_utf16().take(units).flat_map(u16::to_le_bytes));
}

fn us_varchar(out: &mut Vec<u8>, s: &str) {
    let units = s.encode_utf16().count().min(u16::MAX as usize);
    out.extend_from_slice(&(units as u16).to_le_bytes());
    out.extend(s.encode_utf16().take(units).flat_map(u16::to_le_bytes));
}

/// A token with a USHORT length before its body.
fn token(out: &mut Vec<u8>, kind: u8, body: &[u8]) {
    out.push(kind);
    out.extend_from_slice(&(body.len() as u16).to_le_bytes());
    out.extend_from_slice(body);
}

fn error_token(out: &mut Vec<u8>, number: u32, class: u8, message: &str, server: &str) {
    let mut b = Vec::new();
    b.extend_from_slice(&number.to_le_bytes());
    b.push(1); // state
    b.push(class);
    us_varchar(&mut b, message);
    b_varchar(&mut b, server);
    b_varchar(&mut b, ""); // procedure
    b.extend_from_slice(&1u32.to_le_bytes()); // line
    token(out, 0xAA, &b);
}

fn done(out: &mut Vec<u8>, status: u16, cmd: u16, rows: u64) {
    out.push(0xFD);
    out.extend_from_slice(&status.to_le_bytes());
    out.extend_from_slice(&cmd.to_le_bytes());
    out.extend_from_slice(&rows.to_le_bytes());
}

fn env_change(out: &mut Vec<u8>, kind: u8, new: &str, old: &str) {
    let mut b = vec![kind];
    b_varchar(&mut b, new);
    b_varchar(&mut b, old);
    token(out, 0xE3, &b);
}

/// SQL Server's answer to a LOGIN7: `Ok` with the database the session uses.
fn check_login(db: &dyn Databases, l: &Login7, server: &str) -> Result<String, Vec<u8>> {
    let mut out = Vec::new();
    let failed = format!("Login failed for user '{}'.", l.user);
    match db.password(&l.user) {
        Some(p) if p == l.password => {}
        _ => {
            error_token(&mut out, 18456, 14, &failed, server);
            done(&mut out, 0x0002, 0, 0);
            return Err(out);
        }
    }
    let database = if l.database.is_empty() {
        "master".to_string()
    } else {
        l.database.clone()
    };
    if database != "master" && !db.has_database(&l.user, &database) {
        error_token(
            &mut out,
            4060,
            11,
            &format!(
                "Cannot open database \"{database}\" requested by the login. The login failed."
            ),
            server,
        );
        error_token(&mut out, 18456, 14, &failed, server);
        done(&mut out, 0x0002, 0, 0);
        return Err(out);
    }
    Ok(database)
}

fn login_ack(database: &str) -> Vec<u8> {
    let mut out = Vec::new();
    env_change(&mut out, 1, database, "master");
    // SQL collation Latin1_General_CI_AS (ENVCHANGE 7 carries B_VARBYTE)
    let collation = [0x09, 0x04, 0xD0, 0x00, 0x34];
    let mut b = vec![7u8, collation.len() as u8];
    b.extend_from_slice(&collation);
    b.push(0);
    token(&mut out, 0xE3, &b);
    env_change(&mut out, 4, "4096", "4096");
    let mut ack = vec![1u8];
    ack.extend_from_slice(&[0x74, 0x00, 0x00, 0x04]);
    b_varchar(&mut ack, "Microsoft SQL Server");
    ack.extend_from_slice(&SERVER_VERSION);
    token(&mut out, 0xAD, &ack);
    done(&mut out, 0, 0, 0);
    out
}

/// The text of a SQL batch (after its ALL_HEADERS in TDS 7.2+).
fn batch_text(p: &[u8]) -> String {
    let skip = p
        .get(0..4)
        .map(|h| u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize)
        .filter(|n| *n >= 4 && *n <= p.len())
        .unwrap_or(0);
    from_ucs2(&p[skip..])
}

fn normalize(sql: &str) -> String {
    sql.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .trim_end_matches(';')
        .trim()
        .to_ascii_lowercase()
}

/// The answer to a batch: the application instances, or error 50000.
fn answer_batch(db: &dyn Databases, sql: &str, server: &str) -> Vec<u8> {
    let mut out = Vec::new();
    if normalize(sql) != normalize(APP_INSTANCE_QUERY) {
        error_token(
            &mut out,
            50000,
            16,
            &format!("ccelab's AWDB answers only: {APP_INSTANCE_QUERY}"),
            server,
        );
        done(&mut out, 0x0002, 0xC1, 0);
        return out;
    }
    let rows = db.app_instances();
    out.push(0x81);
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // user type
    out.extend_from_slice(&0x0000u16.to_le_bytes()); // flags: not nullable
    out.push(0xE7); // NVARCHAR
    out.extend_from_slice(&64u16.to_le_bytes()); // 32 characters
    out.extend_from_slice(&[0x09, 0x04, 0xD0, 0x00, 0x34]);
    b_varchar(&mut out, "EnterpriseName");
    for r in &rows {
        out.push(0xD1);
        let v = ucs2(r);
        out.extend_from_slice(&(v.len() as u16).to_le_bytes());
        out.extend_from_slice(&v);
    }
    done(&mut out, 0x0010, 0xC1, rows.len() as u64);
    out
}

/// `f`, or an I/O error when it takes longer than `limit`.
async fn within<T>(
    limit: Duration,
    f: impl std::future::Future<Output = Result<T, SqlError>>,
) -> Result<T, SqlError> {
    tokio::time::timeout(limit, f)
        .await
        .unwrap_or_else(|_| Err(SqlError::Io("idle timeout".into())))
}

/// Serves one client connection: PRELOGIN, LOGIN7, then SQL batches until
/// the client leaves. `server` is the name SQL Server puts in its messages
/// (the host's NetBIOS name). Each read waits at most `idle`.
pub async fn serve<S: AsyncRead + AsyncWrite + Unpin>(
    mut s: S,
    db: &dyn Databases,
    server: &str,
    idle: Duration,
) -> Result<(), SqlError> {
    let (kind, _) = within(idle, read_message(&mut s)).await?;
    if kind != PRELOGIN {
        return Err(SqlError::Protocol(format!(
            "expected PRELOGIN, got type {kind:#04x}"
        )));
    }
    write_message(&mut s, TABULAR, &prelogin(SERVER_VERSION, ENCRYPT_NOT_SUP)).await?;
    let (kind, p) = within(idle, read_message(&mut s)).await?;
    if kind != LOGIN7 {
        return Err(SqlError::Protocol(format!(
            "expected LOGIN7, got type {kind:#04x}"
        )));
    }
    let login = parse_login7(&p)?;
    match check_login(db, &login, server) {
        Err(answer) => {
            write_message(&mut s, TABULAR, &answer).await?;
            return Ok(());
        }
        Ok(database) => write_message(&mut s, TABULAR, &login_ack(&database)).await?,
    }
    loop {
        let (kind, p) = match within(idle, read_message(&mut s)).await {
            Ok(m) => m,
            // the client closed its session
            Err(SqlError::Io(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        if kind != SQL_BATCH {
            return Err(SqlError::Protocol(format!(
                "unsupported message type {kind:#04x}"
            )));
        }
        let answer = answer_batch(db, &batch_text(&p), server);
        write_message(&mut s, TABULAR, &answer).await?;
    }
}

/// A logged-in client session.
pub struct Session<S> {
    stream: S,
    timeout: Duration,
}

/// The first ERROR token of a tabular answer, if any.
fn first_error(p: &[u8]) -> Option<SqlError> {
    tokens(p).into_iter().find_map(|(kind, body)| {
        if kind != 0xAA {
            return None;
        }
        let number = u32::from_le_bytes(body.get(0..4)?.try_into().ok()?);
        let chars = u16::from_le_bytes([*body.get(6)?, *body.get(7)?]) as usize;
        let message = from_ucs2(body.get(8..8 + chars * 2)?);
        Some(SqlError::Server { number, message })
    })
}

/// The tokens with a USHORT length (ERROR, INFO, LOGINACK, ENVCHANGE, …) at
/// the start of a tabular answer: (token, body), up to the first other token.
fn tokens(p: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&kind) = p.get(i) {
        if !matches!(kind, 0xAA | 0xAB | 0xAD | 0xE3) {
            break;
        }
        let Some(len) = p
            .get(i + 1..i + 3)
            .map(|l| u16::from_le_bytes([l[0], l[1]]) as usize)
        else {
            break;
        };
        let Some(body) = p.get(i + 3..i + 3 + len) else {
            break;
        };
        out.push((kind, body));
        i += 3 + len;
    }
    out
}

/// Logs in to SQL Server on `stream` as `user` to `database` (the client
/// side of [`serve`]; `host` and `app` are what LOGIN7 says of the client).
pub async fn login<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    user: &str,
    password: &str,
    database: &str,
    host: &str,
    app: &str,
    timeout: Duration,
) -> Result<Session<S>, SqlError> {
    let exchange = async {
        write_message(&mut stream, PRELOGIN, &prelogin([0; 4], ENCRYPT_NOT_SUP)).await?;
        let (kind, _) = read_message(&mut stream).await?;
        if kind != TABULAR {
            return Err(SqlError::Protocol(format!(
                "PRELOGIN answered with type {kind:#04x}"
            )));
        }
        write_message(
            &mut stream,
            LOGIN7,
            &login7(user, password, database, host, app),
        )
        .await?;
        let (_, p) = read_message(&mut stream).await?;
        if let Some(e) = first_error(&p) {
            return Err(e);
        }
        if !tokens(&p).iter().any(|(kind, _)| *kind == 0xAD) {
            return Err(SqlError::Protocol("no LOGINACK".into()));
        }
        Ok(())
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| Err(SqlError::Io("Read timed out".into())))?;
    Ok(Session { stream, timeout })
}

impl<S: AsyncRead + AsyncWrite + Unpin> Session<S> {
    /// Runs `sql` and returns the first column of every row (NVARCHAR).
    pub async fn query_column(&mut self, sql: &str) -> Result<Vec<String>, SqlError> {
        let mut batch = Vec::new();
        // ALL_HEADERS with the transaction descriptor header (TDS 7.2+)
        batch.extend_from_slice(&22u32.to_le_bytes());
        batch.extend_from_slice(&18u32.to_le_bytes());
        batch.extend_from_slice(&2u16.to_le_bytes());
        batch.extend_from_slice(&[0; 8]);
        batch.extend_from_slice(&1u32.to_le_bytes());
        batch.extend_from_slice(&ucs2(sql));
        let s = &mut self.stream;
        let p = tokio::time::timeout(self.timeout, async {
            write_message(s, SQL_BATCH, &batch).await?;
            read_message(s).await.map(|(_, p)| p)
        })
        .await
        .unwrap_or_else(|_| Err(SqlError::Io("Read timed out".into())))?;
        if let Some(e) = first_error(&p) {
            return Err(e);
        }
        parse_rows(&p).ok_or_else(|| SqlError::Protocol("malformed result set".into()))
    }
}

/// The rows of a one-NVARCHAR-column result (COLMETADATA, ROWs, DONE).
fn parse_rows(p: &[u8]) -> Option<Vec<String>> {
    if *p.first()? != 0x81 || u16::from_le_bytes([*p.get(1)?, *p.get(2)?]) != 1 {
        return None;
    }
    // user type 4, flags 2, type 1, max length 2, collation 5
    let mut i = 3 + 4 + 2;
    if *p.get(i)? != 0xE7 {
        return None;
    }
    i += 1 + 2 + 5;
    i += 1 + 2 * *p.get(i)? as usize;
    let mut rows = Vec::new();
    while *p.get(i)? == 0xD1 {
        let len = u16::from_le_bytes([*p.get(i + 1)?, *p.get(i + 2)?]) as usize;
        rows.push(from_ucs2(p.get(i + 3..i + 3 + len)?));
        i += 3 + len;
    }
    (*p.get(i)? == 0xFD).then_some(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Awdb;
    impl Databases for Awdb {
        fn password(&self, login: &str) -> Option<String> {
            login
                .eq_ignore_ascii_case("ece_awdb")
                .then(|| "Password1".to_string())
        }
        fn has_database(&self, _: &str, database: &str) -> bool {
            database.eq_ignore_ascii_case("pcce_awdb")
        }
        fn app_instances(&self) -> Vec<String> {
            vec!["MultiChannel".into()]
        }
    }

    async fn try_login(
        user: &str,
        password: &str,
        database: &str,
    ) -> Result<Vec<String>, SqlError> {
        let (client, server) = tokio::io::duplex(1 << 16);
        let srv = tokio::spawn(async move {
            let _ = serve(server, &Awdb, "ADSA", Duration::from_secs(5)).await;
        });
        let mut s = login(
            client,
            user,
            password,
            database,
            "ECEAPP",
            "ECE",
            Duration::from_secs(5),
        )
        .await?;
        let rows = s.query_column(APP_INSTANCE_QUERY).await;
        drop(s);
        let _ = srv.await;
        rows
    }

    #[tokio::test]
    async fn a_login_and_the_one_query() {
        assert_eq!(
            try_login("ECE_AWDB", "Password1", "pcce_awdb").await,
            Ok(vec!["MultiChannel".to_string()])
        );
        assert_eq!(
            try_login("ece_awdb", "wrong", "pcce_awdb").await,
            Err(SqlError::Server {
                number: 18456,
                message: "Login failed for user 'ece_awdb'.".into()
            })
        );
        assert_eq!(
            try_login("ece_awdb", "Password1", "awdb").await,
            Err(SqlError::Server {
                number: 4060,
                message: "Cannot open database \"awdb\" requested by the login. The login failed."
                    .into()
            })
        );
    }

    #[test]
    fn login7_round_trips_and_the_password_is_scrambled() {
        let p = login7("ece_awdb", "Pässword1", "pcce_awdb", "ECEAPP", "ECE");
        let clear = ucs2("Pässword1");
        assert!(!p.windows(clear.len()).any(|w| w == clear));
        let l = parse_login7(&p).unwrap();
        assert_eq!(
            l,
            Login7 {
                host: "ECEAPP".into(),
                user: "ece_awdb".into(),
                password: "Pässword1".into(),
                app: "ECE".into(),
                database: "pcce_awdb".into(),
            }
        );
        // a truncated or lying LOGIN7 is an error, not a panic
        assert!(parse_login7(&p[..50]).is_err());
        let mut lying = p.clone();
        lying[40] = 0xFF;
        lying[41] = 0xFF;
        assert!(parse_login7(&lying).is_err());
    }

    #[test]
    fn other_queries_are_refused_by_name() {
        let a = answer_batch(&Awdb, "select * from t_Agent", "ADSA");
        assert!(matches!(
            first_error(&a),
            Some(SqlError::Server { number: 50000, .. })
        ));
        let a = answer_batch(
            &Awdb,
            "select  enterprisename\nfrom T_APPLICATION_INSTANCE;",
            "ADSA",
        );
        assert_eq!(parse_rows(&a), Some(vec!["MultiChannel".to_string()]));
    }
}

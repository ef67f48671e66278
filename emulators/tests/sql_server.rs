//! The AWDB's SQL Server login (`platform::sql_server`) against a real TDS
//! client: FreeTDS's `tsql` (freetds-bin), logging in as ECE does when the
//! AWDB Details tab is saved ([ECE] 5), with SQL Server's own error texts
//! for a wrong password (18456) and a wrong database (4060), and the
//! application-instance query ECE's Configuration tab checks against.
//! `tsql` is required (`.ci/run` installs freetds-bin).

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use ccelab_emulators::platform::sql_server::{serve, Databases, APP_INSTANCE_QUERY};

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

/// An AWDB on an ephemeral loopback port, serving every connection.
fn awdb() -> SocketAddr {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        rt.block_on(async move {
            while let Ok((s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let _ = serve(s, &Awdb, "ADSA", Duration::from_secs(10)).await;
                });
            }
        })
    });
    addr
}

/// `tsql -H … -p … -U user -P password -D database` with `input` on stdin:
/// (stdout, stderr).
fn tsql(
    addr: SocketAddr,
    user: &str,
    password: &str,
    database: &str,
    input: &str,
) -> (String, String) {
    use std::io::Write as _;
    let mut child = Command::new("tsql")
        .args(["-H", &addr.ip().to_string(), "-p", &addr.port().to_string()])
        .args(["-U", user, "-P", password, "-D", database])
        // TDS 7.4, no encryption asked for: the AWDB offers none
        .env("TDSVER", "7.4")
        .env("TDSDUMP", "")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tsql is missing: apt-get install -y freetds-bin");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn tsql_logs_in_and_reads_the_application_instances() {
    let addr = awdb();
    let (out, err) = tsql(
        addr,
        "ece_awdb",
        "Password1",
        "pcce_awdb",
        &format!("{APP_INSTANCE_QUERY}\ngo\nexit\n"),
    );
    assert!(
        out.contains("EnterpriseName"),
        "stdout: {out}\nstderr: {err}"
    );
    assert!(out.contains("MultiChannel"), "stdout: {out}\nstderr: {err}");
    assert!(
        out.contains("(1 row affected)"),
        "stdout: {out}\nstderr: {err}"
    );
}

#[test]
fn tsql_sees_sql_servers_login_errors() {
    let addr = awdb();
    let (out, err) = tsql(addr, "ece_awdb", "wrong", "pcce_awdb", "exit\n");
    let all = format!("{out}{err}");
    assert!(all.contains("Msg 18456"), "{all}");
    assert!(all.contains("Login failed for user 'ece_awdb'."), "{all}");
    let (out, err) = tsql(addr, "ece_awdb", "Password1", "awdb", "exit\n");
    let all = format!("{out}{err}");
    assert!(all.contains("Msg 4060"), "{all}");
    assert!(
        all.contains("Cannot open database \"awdb\" requested by the login. The login failed."),
        "{all}"
    );
}

//! Java JNDI (`com.sun.jndi.ldap`; pinned on JDK 17, the same classes on 8
//! and 11, whose socket and JSSE texts come from [`super::java`] per
//! [`JndiEnv::jre`]) as an LDAP client: what ECE's
//! application server does for partition-administrator SSO ([ECE] 2.2; F5,
//! F14, F15, F16) — an `InitialDirContext` on `ldap://` or `ldaps://` with
//! simple authentication (or none), then a subtree search — and the exact
//! exception texts it throws. Rules (docs/research/active-directory-ldap.md
//! §7, from OpenJDK `LdapCtx`, `LdapClient`, `Connection` and runs of JDK
//! 17.0.15; pinned by `emulators/tests/ad_dc.rs` against the real JNDI):
//!
//! * LDAPv3 anonymous: no bind request at all; the first operation meets the
//!   server's answer.
//! * Referral mode `ignore` (the default): searches carry ManageDsaIT
//!   (non-critical); a successful search that returned continuation
//!   references throws `PartialResultException: Unprocessed Continuation
//!   Reference(s)` after its entries; result 10 is a PartialResultException.
//! * Errors: `[LDAP: error code N - <server text>]` (JNDI's own description
//!   when the server sends none), the class from `mapErrorCode`, search
//!   errors with `; remaining name '<name>'`, bind errors without.
//! * `ldaps://`: the TLS handshake on the first write (the bind), judged with
//!   the Java personality (PKIX, then the host name: JNDI enables endpoint
//!   identification); a failure reads `CommunicationException: simple bind
//!   failed: host:port [Root exception is …]`.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ldap3_proto::proto::{
    LdapBindCred, LdapBindRequest, LdapDerefAliases, LdapMsg, LdapOp, LdapResult,
    LdapSearchRequest, LdapSearchScope,
};
use ldap3_proto::LdapCodec;
use time::OffsetDateTime;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_util::codec::Framed;

use super::{tls_judged, Personality, Verdict};
use crate::pki::Certificate;

/// An `ldap://` or `ldaps://` provider URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LdapUrl {
    /// `ldaps://`: TLS from the first byte (LDAP over SSL), else plain LDAP.
    pub ldaps: bool,
    /// The host name or address as written in the URL (also the name the
    /// server certificate is checked against).
    pub host: String,
    /// The port: as written, else 636 for `ldaps://` and 389 for `ldap://`.
    pub port: u16,
    /// The DN after the host, if any (percent-decoding of spaces only).
    pub base: String,
}

impl LdapUrl {
    /// Parses a provider URL as JNDI accepts it (`ldap://host[:port][/dn]`).
    pub fn parse(url: &str) -> Result<LdapUrl, String> {
        let bad = || format!("javax.naming.NamingException: Cannot parse url: {url}");
        let (ldaps, rest) = if let Some(r) = strip_prefix_ci(url.trim(), "ldaps://") {
            (true, r)
        } else if let Some(r) = strip_prefix_ci(url.trim(), "ldap://") {
            (false, r)
        } else {
            return Err(bad());
        };
        let (authority, base) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad())?),
            None => (authority, if ldaps { 636 } else { 389 }),
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(LdapUrl {
            ldaps,
            host: host.to_string(),
            port,
            base: base.replace("%20", " "),
        })
    }
}

fn strip_prefix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    s.get(..p.len())
        .filter(|h| h.eq_ignore_ascii_case(p))
        .and_then(|_| s.get(p.len()..))
}

/// JNDI's `InitialDirContext` environment.
#[derive(Clone, Debug)]
pub struct JndiEnv {
    /// `java.naming.provider.url`: the directory server and base DN.
    pub url: LdapUrl,
    /// `java.naming.security.principal` (None: anonymous).
    pub principal: Option<String>,
    /// `java.naming.security.credentials`: the simple-bind password (unused
    /// when anonymous).
    pub credentials: String,
    /// The trust anchors of the JVM's trust store (or why it is unusable).
    pub anchors: Result<Vec<Certificate>, Verdict>,
    /// The JVM's clock (certificate validity).
    pub now: OffsetDateTime,
    /// The connect timeout and the read timeout of every LDAP response
    /// (`com.sun.jndi.ldap.connect.timeout` / `com.sun.jndi.ldap.read.timeout`).
    pub timeout: Duration,
    /// The address the JVM's host connects from (None: the system's choice).
    pub source: Option<std::net::IpAddr>,
    /// The JVM's version (its exceptions' texts).
    pub jre: super::jre::Jre,
    /// Whether the JVM runs on Windows (its socket errors' texts).
    pub windows: bool,
}

/// One search result entry: its DN and attributes (values as text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchEntry {
    /// The entry's DN as the server sent it.
    pub dn: String,
    /// The attributes returned: (name as sent, values).
    pub attrs: Vec<(String, Vec<String>)>,
}

/// What a search gave before JNDI threw, and what it threw (`toString()`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchOutcome {
    /// The entries enumerated before the end or the exception, in order.
    pub entries: Vec<SearchEntry>,
    /// The exception JNDI threw, as `toString()` (None: the enumeration
    /// ended normally).
    pub exception: Option<String>,
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// An open `InitialDirContext`.
pub struct JndiContext {
    conn: Framed<Box<dyn Io>, LdapCodec>,
    next_id: i32,
    timeout: Duration,
    /// The DN of the provider URL: names are relative to it.
    base: String,
}

/// JNDI's built-in description of a result code (`LdapClient.ldap_error_message`).
pub fn ldap_error_description(code: u32) -> &'static str {
    match code {
        0 => "Success",
        1 => "Operations Error",
        2 => "Protocol Error",
        3 => "Timelimit Exceeded",
        4 => "Sizelimit Exceeded",
        5 => "Compare False",
        6 => "Compare True",
        7 => "Authentication Method Not Supported",
        8 => "Strong Authentication Required",
        10 => "Referral",
        11 => "Administrative Limit Exceeded",
        12 => "Unavailable Critical Extension",
        13 => "Confidentiality Required",
        14 => "SASL Bind In Progress",
        16 => "No Such Attribute",
        17 => "Undefined Attribute Type",
        18 => "Inappropriate Matching",
        19 => "Constraint Violation",
        20 => "Attribute Or Value Exists",
        21 => "Invalid Attribute Syntax",
        32 => "No Such Object",
        33 => "Alias Problem",
        34 => "Invalid DN Syntax",
        36 => "Alias Dereferencing Problem",
        48 => "Inappropriate Authentication",
        49 => "Invalid Credentials",
        50 => "Insufficient Access Rights",
        51 => "Busy",
        52 => "Unavailable",
        53 => "Unwilling To Perform",
        54 => "Loop Detect",
        64 => "Naming Violation",
        65 => "Object Class Violation",
        66 => "Not Allowed On Non-leaf",
        67 => "Not Allowed On RDN",
        68 => "Entry Already Exists",
        69 => "Cannot Modify Object Class",
        71 => "Affects Multiple DSAs",
        _ => "Other",
    }
}

/// The exception class `LdapCtx.mapErrorCode` picks for a result code
/// (referral mode `ignore`).
pub fn exception_class(code: u32) -> &'static str {
    match code {
        2 => "javax.naming.CommunicationException",
        3 => "javax.naming.TimeLimitExceededException",
        4 => "javax.naming.SizeLimitExceededException",
        7 | 8 | 13 | 48 => "javax.naming.AuthenticationNotSupportedException",
        9 | 10 => "javax.naming.PartialResultException",
        11 => "javax.naming.LimitExceededException",
        12 | 53 => "javax.naming.OperationNotSupportedException",
        16 => "javax.naming.directory.NoSuchAttributeException",
        17 => "javax.naming.directory.InvalidAttributeIdentifierException",
        18 => "javax.naming.directory.InvalidSearchFilterException",
        19 | 21 => "javax.naming.directory.InvalidAttributeValueException",
        20 => "javax.naming.directory.AttributeInUseException",
        32 => "javax.naming.NameNotFoundException",
        34 | 64 => "javax.naming.InvalidNameException",
        49 => "javax.naming.AuthenticationException",
        50 => "javax.naming.NoPermissionException",
        51 | 52 => "javax.naming.ServiceUnavailableException",
        65 | 67 => "javax.naming.directory.SchemaViolationException",
        66 => "javax.naming.ContextNotEmptyException",
        68 => "javax.naming.NameAlreadyBoundException",
        _ => "javax.naming.NamingException",
    }
}

/// `[LDAP: error code N - text]` with the class, as `toString()` prints it.
fn ldap_exception(r: &LdapResult) -> String {
    let code = r.code.clone() as u32;
    let text = if r.message.is_empty() {
        ldap_error_description(code).to_string()
    } else {
        r.message.clone()
    };
    format!(
        "{}: [LDAP: error code {code} - {text}]",
        exception_class(code)
    )
}

fn root(v: &Verdict) -> String {
    v.detail.first().cloned().unwrap_or_else(|| v.text.clone())
}

/// What `new InitialDirContext(env)` throws when the connection or the TLS
/// handshake of an `ldaps` URL fails with Java's verdict `v`: a
/// `CommunicationException` naming `host:port` (after `simple bind failed:`
/// when the context binds and the handshake failed, which happens on the
/// bind's write) with Java's exception as root.
pub fn handshake_failure(url: &LdapUrl, binds: bool, v: &Verdict) -> String {
    let hp = format!("{}:{}", url.host, url.port);
    let wrapper = if binds {
        format!("simple bind failed: {hp}")
    } else {
        hp
    };
    format!(
        "javax.naming.CommunicationException: {wrapper} [Root exception is {}]",
        root(v)
    )
}

impl JndiContext {
    /// `new InitialDirContext(env)`: connects to `addr`, where the URL's host
    /// and port lead (None: the name did not resolve; an emulated topology
    /// may listen elsewhere than the URL's port, the texts keep the URL's),
    /// and, with a principal, binds.
    pub async fn open(env: &JndiEnv, addr: Option<SocketAddr>) -> Result<JndiContext, String> {
        let u = &env.url;
        let hp = format!("{}:{}", u.host, u.port);
        let Some(addr) = addr else {
            return Err(format!(
                "javax.naming.CommunicationException: {hp} [Root exception is java.net.UnknownHostException: {}]",
                u.host
            ));
        };
        let connect = async {
            // from the host's own address when it can be bound (ccelab's
            // plumbing, so that the DC sees which host called), else from
            // wherever the system chooses
            let bound = env.source.and_then(|ip| {
                let sock = if ip.is_ipv4() {
                    tokio::net::TcpSocket::new_v4()
                } else {
                    tokio::net::TcpSocket::new_v6()
                }
                .ok()?;
                sock.bind(SocketAddr::new(ip, 0)).ok()?;
                Some(sock)
            });
            match bound {
                Some(sock) => sock.connect(addr).await,
                None => TcpStream::connect(addr).await,
            }
        };
        let tcp = match tokio::time::timeout(env.timeout, connect).await {
            Ok(Ok(t)) => t,
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Err(format!(
                    "javax.naming.CommunicationException: {hp} [Root exception is {}]",
                    super::java::connection_refused(env.jre, env.windows)
                ))
            }
            Ok(Err(e)) => {
                return Err(format!(
                    "javax.naming.CommunicationException: {hp} [Root exception is java.net.SocketException: {e}]"
                ))
            }
            Err(_) => {
                return Err(format!(
                    "javax.naming.CommunicationException: {hp} [Root exception is java.net.SocketTimeoutException: connect timed out]"
                ))
            }
        };
        let _ = tcp.set_nodelay(true);
        // the handshake happens on the first write: the bind, or the first
        // operation of an anonymous context
        let binds = env.principal.is_some();
        let wrapper = if binds {
            format!("simple bind failed: {hp}")
        } else {
            hp.clone()
        };
        let io: Box<dyn Io> = if u.ldaps {
            let anchors = match &env.anchors {
                Ok(a) => a.clone(),
                Err(v) => return Err(handshake_failure(u, binds, v)),
            };
            match tls_judged(
                Personality::Java(env.jre),
                tcp,
                &u.host,
                &anchors,
                env.now,
                env.timeout,
            )
            .await
            {
                Ok(s) => Box::new(s),
                Err(v) => return Err(handshake_failure(u, binds, &v)),
            }
        } else {
            Box::new(tcp)
        };
        let mut ctx = JndiContext {
            conn: Framed::new(io, LdapCodec::new(Some(16 * 1024 * 1024), None)),
            next_id: 1,
            timeout: env.timeout,
            base: u.base.clone(),
        };
        if let Some(dn) = &env.principal {
            let r = ctx
                .call_one(LdapOp::BindRequest(LdapBindRequest {
                    version: 3,
                    dn: dn.clone(),
                    cred: LdapBindCred::Simple(env.credentials.clone()),
                }))
                .await
                .map_err(|e| {
                    format!(
                        "javax.naming.CommunicationException: {wrapper} [Root exception is {e}]"
                    )
                })?;
            match r {
                LdapOp::BindResponse(b) if b.res.code.clone() as u32 == 0 => {}
                LdapOp::BindResponse(b) => return Err(ldap_exception(&b.res)),
                other => {
                    return Err(format!(
                        "javax.naming.CommunicationException: {wrapper} [Root exception is java.io.IOException: unexpected {other:?}]"
                    ))
                }
            }
        }
        Ok(ctx)
    }

    async fn send(
        &mut self,
        op: LdapOp,
        ctrl: Vec<ldap3_proto::control::LdapControl>,
    ) -> Result<i32, String> {
        let msgid = self.next_id;
        self.next_id += 1;
        self.conn
            .send(LdapMsg { msgid, op, ctrl })
            .await
            .map_err(|e| format!("java.io.IOException: {e}"))?;
        Ok(msgid)
    }

    async fn recv(&mut self) -> Result<LdapMsg, String> {
        match tokio::time::timeout(self.timeout, self.conn.next()).await {
            Err(_) => Err("javax.naming.NamingException: LDAP response read timed out".into()),
            Ok(None) => Err("java.io.IOException: connection closed".into()),
            Ok(Some(Err(e))) => Err(format!("java.io.IOException: {e}")),
            Ok(Some(Ok(m))) => Ok(m),
        }
    }

    async fn call_one(&mut self, op: LdapOp) -> Result<LdapOp, String> {
        let id = self.send(op, vec![]).await?;
        loop {
            let m = self.recv().await?;
            if m.msgid == id {
                return Ok(m.op);
            }
        }
    }

    /// `ctx.search(name, filter, SearchControls(SUBTREE_SCOPE, attrs))`,
    /// enumerated to the end as `while (e.hasMore()) e.next()` does.
    pub async fn search(&mut self, name: &str, filter: &str, attrs: &[&str]) -> SearchOutcome {
        let remaining = format!("; remaining name '{name}'");
        let filter = match ldap3_proto::parse_ldap_filter_str(filter) {
            Ok(f) => f,
            Err(_) => {
                return SearchOutcome {
                    entries: vec![],
                    exception: Some(format!(
                        "javax.naming.directory.InvalidSearchFilterException: invalid attribute description{remaining}"
                    )),
                }
            }
        };
        // names are relative to the provider URL's DN
        let full = match (name.is_empty(), self.base.is_empty()) {
            (_, true) => name.to_string(),
            (true, false) => self.base.clone(),
            (false, false) => format!("{name},{}", self.base),
        };
        let req = LdapSearchRequest {
            base: full,
            scope: LdapSearchScope::Subtree,
            aliases: LdapDerefAliases::Always,
            sizelimit: 0,
            timelimit: 0,
            typesonly: false,
            filter,
            attrs: attrs.iter().map(|a| a.to_string()).collect(),
        };
        let manage_dsa_it = ldap3_proto::control::LdapControl::ManageDsaIT { criticality: false };
        let mut out = SearchOutcome {
            entries: vec![],
            exception: None,
        };
        let id = match self
            .send(LdapOp::SearchRequest(req), vec![manage_dsa_it])
            .await
        {
            Ok(id) => id,
            Err(e) => {
                out.exception = Some(format!(
                    "javax.naming.CommunicationException: [Root exception is {e}]{remaining}"
                ));
                return out;
            }
        };
        let mut references = 0usize;
        loop {
            let m = match self.recv().await {
                Ok(m) => m,
                Err(e) => {
                    out.exception = Some(format!(
                        "javax.naming.CommunicationException: [Root exception is {e}]{remaining}"
                    ));
                    return out;
                }
            };
            if m.msgid != id {
                continue;
            }
            match m.op {
                LdapOp::SearchResultEntry(e) => out.entries.push(SearchEntry {
                    dn: e.dn,
                    attrs: e
                        .attributes
                        .into_iter()
                        .map(|a| {
                            (
                                a.atype,
                                a.vals
                                    .iter()
                                    .map(|v| String::from_utf8_lossy(v).into_owned())
                                    .collect(),
                            )
                        })
                        .collect(),
                }),
                LdapOp::SearchResultReference(_) => references += 1,
                LdapOp::SearchResultDone(r) => {
                    let code = r.code.clone() as u32;
                    out.exception = if code == 0 && references > 0 {
                        Some(format!("javax.naming.PartialResultException: Unprocessed Continuation Reference(s){remaining}"))
                    } else if code == 0 {
                        None
                    } else {
                        Some(format!("{}{remaining}", ldap_exception(&r)))
                    };
                    return out;
                }
                _ => {}
            }
        }
    }

    /// `ctx.close()`: an unbind.
    pub async fn close(mut self) {
        let _ = self.send(LdapOp::UnbindRequest, vec![]).await;
        let _ = self.conn.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_urls() {
        assert_eq!(
            LdapUrl::parse("ldaps://gcdcsrv01.example.local:3269").unwrap(),
            LdapUrl {
                ldaps: true,
                host: "gcdcsrv01.example.local".into(),
                port: 3269,
                base: String::new()
            }
        );
        let u = LdapUrl::parse("LDAP://dc.example.local/DC=example,DC=local").unwrap();
        assert_eq!(
            (u.ldaps, u.port, u.base.as_str()),
            (false, 389, "DC=example,DC=local")
        );
        assert!(LdapUrl::parse("http://x").is_err());
        // no panic on a multi-byte character where the scheme would end
        assert!(LdapUrl::parse("ldap:/\u{e9}").is_err());
        assert!(LdapUrl::parse("\u{e9}\u{e9}\u{e9}\u{e9}").is_err());
        assert!(LdapUrl::parse("ldap://x:99999").is_err());
    }

    #[test]
    fn exceptions_as_jndi_prints_them() {
        let r = LdapResult {
            code: ldap3_proto::proto::LdapResultCode::InvalidCredentials,
            matcheddn: String::new(),
            message: String::new(),
            referral: vec![],
        };
        assert_eq!(
            ldap_exception(&r),
            "javax.naming.AuthenticationException: [LDAP: error code 49 - Invalid Credentials]"
        );
    }
}

//! An ECE administrator's browser using ECE's console through the name users
//! reach ECE by (the load balancer's VIP in HA): it logs in to a partition
//! (`pa` or `sa`), keeps the cookies it is given (the session's
//! `JSESSIONID`, a load balancer's `SERVERID`) and loads a page that needs
//! the session, several times — each on a new connection (as after the
//! web server's idle time-out) or all on one kept-alive connection. Its TLS
//! is a browser's: the enterprise CA trusted, the name checked, sessions
//! resumed from one cache — TLS 1.2 by session ID, or TLS 1.3 (a fresh
//! random `legacy_session_id` each time, tickets to resume). This is what
//! makes F23 visible: which web server each request reaches, and whether
//! the session is still known there.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use tokio::net::TcpStream;

use crate::ece::{login_page, HOME};
use crate::pki::Certificate;

/// What the browser is told to do.
#[derive(Clone, Debug)]
pub struct Browse {
    /// Where ECE's name leads (the VIP, or a web server).
    pub addr: SocketAddr,
    /// The name in the address bar (SNI, `Host`, the name checked).
    pub name: String,
    /// What the browser trusts.
    pub anchors: Vec<Certificate>,
    /// Offer TLS 1.3 (else TLS 1.2 only).
    pub tls13: bool,
    /// One kept-alive connection for everything (else a new one per request).
    pub keep_alive: bool,
    /// `default` (pa) or `system` (sa).
    pub partition: String,
    /// The administrator and password.
    pub credentials: (String, String),
    /// How many times the page is loaded after logging in.
    pub requests: usize,
    /// The longest wait for one answer.
    pub timeout: Duration,
}

/// One request as the browser saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// The path asked for.
    pub path: String,
    /// Whether it went on a new connection, and that connection's handshake
    /// (`TLSv1_2 full`, `TLSv1_3 resumed`).
    pub connection: Option<String>,
    /// The answer's status, or what went wrong.
    pub result: Result<u16, String>,
    /// The `Location` of a redirect.
    pub location: Option<String>,
    /// The cookies the answer set (name only).
    pub set_cookies: Vec<String>,
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

fn config(anchors: &[Certificate], tls13: bool) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    for a in anchors {
        roots
            .add(rustls::pki_types::CertificateDer::from(a.der().to_vec()))
            .map_err(|e| e.to_string())?;
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if tls13 {
        &[&rustls::version::TLS13, &rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS12]
    };
    let mut c = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    c.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(c))
}

async fn connect(
    b: &Browse,
    config: &Arc<rustls::ClientConfig>,
) -> Result<(Sender, String), String> {
    let tcp = tokio::time::timeout(b.timeout, TcpStream::connect(b.addr))
        .await
        .map_err(|_| "connection timed out".to_string())?
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            std::io::ErrorKind::ConnectionReset => "connection reset".to_string(),
            _ => e.to_string(),
        })?;
    let _ = tcp.set_nodelay(true);
    let name =
        rustls::pki_types::ServerName::try_from(b.name.clone()).map_err(|e| e.to_string())?;
    let tls = tokio::time::timeout(
        b.timeout,
        tokio_rustls::TlsConnector::from(config.clone()).connect(name, tcp),
    )
    .await
    .map_err(|_| "TLS handshake timed out".to_string())?
    .map_err(|e| e.to_string())?;
    let (_, conn) = tls.get_ref();
    let version = conn
        .protocol_version()
        .map_or("?".to_string(), |v| format!("{v:?}"));
    let kind = match conn.handshake_kind() {
        Some(rustls::HandshakeKind::Resumed) => "resumed",
        _ => "full",
    };
    let (send, driver) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = driver.await;
    });
    Ok((send, format!("{version} {kind}")))
}

/// Logs in and loads the partition's home page `requests` times; calls
/// `before` with each request's index (0: the login) before it is sent and
/// with `requests + 1` at the end, so the caller can see which server each
/// reached.
pub async fn browse(b: &Browse, before: &mut (dyn FnMut(usize) + Send)) -> Vec<Seen> {
    let mut seen = Vec::new();
    let config = match config(&b.anchors, b.tls13) {
        Ok(c) => c,
        Err(e) => {
            before(0);
            before(1);
            return vec![Seen {
                path: String::new(),
                connection: None,
                result: Err(e),
                location: None,
                set_cookies: Vec::new(),
            }];
        }
    };
    let mut jar: Vec<(String, String)> = Vec::new();
    let mut open: Option<Sender> = None;
    let p = &b.partition;
    for i in 0..=b.requests {
        before(i);
        let path = if i == 0 {
            format!("/{p}/login")
        } else {
            format!("/{p}/{HOME}")
        };
        let mut connection = None;
        let reuse = b.keep_alive && open.as_ref().is_some_and(|s| !s.is_closed());
        if !reuse {
            match connect(b, &config).await {
                Ok((s, kind)) => {
                    open = Some(s);
                    connection = Some(kind);
                }
                Err(e) => {
                    seen.push(Seen {
                        path,
                        connection: None,
                        result: Err(e),
                        location: None,
                        set_cookies: Vec::new(),
                    });
                    open = None;
                    continue;
                }
            }
        }
        let Some(send) = open.as_mut() else { continue };
        let mut req = hyper::Request::builder()
            .method("GET")
            .uri(&path)
            .header("host", &b.name);
        if !b.keep_alive {
            req = req.header("connection", "close");
        }
        if i == 0 {
            use base64::Engine as _;
            let (u, pw) = &b.credentials;
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{pw}"));
            req = req.header("authorization", format!("Basic {basic}"));
        }
        if !jar.is_empty() {
            let cookies: Vec<String> = jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.header("cookie", cookies.join("; "));
        }
        let Ok(req) = req.body(Full::new(Bytes::new())) else {
            continue;
        };
        let answer = tokio::time::timeout(b.timeout, async {
            let resp = send.send_request(req).await.map_err(|e| e.to_string())?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let _ = resp.into_body().collect().await;
            Ok::<_, String>((status, headers))
        })
        .await
        .unwrap_or_else(|_| Err("no answer in time".into()));
        match answer {
            Ok((status, headers)) => {
                let mut set = Vec::new();
                for v in headers.get_all("set-cookie") {
                    let Ok(v) = v.to_str() else { continue };
                    let Some((k, val)) = v.split(';').next().and_then(|c| c.split_once('=')) else {
                        continue;
                    };
                    let (k, val) = (k.trim().to_string(), val.trim().to_string());
                    jar.retain(|(n, _)| *n != k);
                    set.push(k.clone());
                    jar.push((k, val));
                }
                seen.push(Seen {
                    path,
                    connection,
                    result: Ok(status),
                    location: headers
                        .get("location")
                        .and_then(|l| l.to_str().ok())
                        .map(str::to_string),
                    set_cookies: set,
                });
            }
            Err(e) => {
                open = None;
                seen.push(Seen {
                    path,
                    connection,
                    result: Err(e),
                    location: None,
                    set_cookies: Vec::new(),
                });
            }
        }
        if !b.keep_alive {
            open = None;
        }
    }
    before(b.requests + 1);
    seen
}

/// Whether `location` is the partition's login page (the session was not
/// known where the request landed: F23).
pub fn is_login_page(location: &str, partition: &str) -> bool {
    location.ends_with(&login_page(partition))
}

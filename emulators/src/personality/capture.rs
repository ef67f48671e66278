//! Fetching what a server presents: a real TLS connection (rustls on
//! aws-lc) that records the certificate chain and protocol facts and accepts
//! everything, so that a personality can then judge the chain exactly as its
//! client would. Connection-level outcomes (refused, reset, closed, an alert,
//! a port that does not speak TLS) are reported as [`Contact`] variants.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::pki::Certificate;

/// What happened when a client reached for a server.
#[derive(Clone, Debug)]
pub enum Contact {
    /// The handshake got as far as the server's certificates.
    Presented {
        /// The certificates the server sent, leaf first, in the order sent.
        chain: Vec<Certificate>,
        /// The SNI host name the ClientHello carried (None: no SNI sent).
        sni_sent: Option<String>,
    },
    /// Nothing listens there (ECONNREFUSED).
    Refused,
    /// The server reset the connection before presenting a certificate.
    Reset,
    /// The server closed the connection before presenting a certificate.
    Closed,
    /// The server sent a fatal alert (its description code) before presenting a certificate.
    Alert(u8),
    /// The server answered with something that is not TLS (e.g. plain HTTP).
    NotTls,
    /// No answer in time.
    TimedOut,
    /// The client could not resolve the name to an address (no DNS or
    /// hosts-file entry): nothing was sent.
    Unresolved,
}

/// What the verifier does with the chain it is shown.
#[derive(Debug)]
enum Mode {
    /// Record it and stop the handshake: judging is the personality's job.
    Capture,
    /// Record it and complete the handshake (the chain was judged already).
    Accept,
    /// Complete the handshake, recording nothing (a proxy's `verify none`).
    Trust,
    /// Judge it as this client would, and complete the handshake only if it accepts.
    Judge {
        personality: super::Personality,
        anchors: Vec<Certificate>,
        name: String,
        at: time::OffsetDateTime,
    },
}

#[derive(Debug)]
struct Recorder {
    chain: Mutex<Vec<CertificateDer<'static>>>,
    schemes: Vec<SignatureScheme>,
    mode: Mode,
    /// The judge's refusal ([`Mode::Judge`]).
    refusal: Mutex<Option<super::Verdict>>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if matches!(self.mode, Mode::Trust) {
            return Ok(ServerCertVerified::assertion());
        }
        let mut c = self.chain.lock().unwrap_or_else(|e| e.into_inner());
        c.push(end_entity.clone().into_owned());
        c.extend(intermediates.iter().map(|i| i.clone().into_owned()));
        match &self.mode {
            Mode::Accept | Mode::Trust => Ok(ServerCertVerified::assertion()),
            Mode::Capture => Err(rustls::Error::General("ccelab: chain captured".into())),
            Mode::Judge {
                personality,
                anchors,
                name,
                at,
            } => {
                let chain: Vec<Certificate> = c
                    .iter()
                    .filter_map(|d| Certificate::from_der(d.as_ref()).ok())
                    .collect();
                let v = super::judge(*personality, &chain, anchors, name, *at);
                if v.ok {
                    return Ok(ServerCertVerified::assertion());
                }
                *self.refusal.lock().unwrap_or_else(|e| e.into_inner()) = Some(v);
                // Java answers a PKIX or name failure with certificate_unknown
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::ApplicationVerificationFailure,
                ))
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// What a client's ClientHello offers beyond rustls's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClientOffer {
    /// TLS 1.3 (else TLS 1.2 only).
    pub(crate) tls13: bool,
    /// The ChaCha20-Poly1305 suites (else AES-GCM only).
    pub(crate) chacha20: bool,
}

impl ClientOffer {
    /// Everything rustls offers (curl, openssl, browsers, Java 11 and 17).
    pub(crate) const ALL: ClientOffer = ClientOffer {
        tls13: true,
        chacha20: true,
    };
}

/// A rustls client whose verifier works in `mode`.
fn client_config(mode: Mode, send_sni: bool) -> Option<(rustls::ClientConfig, Arc<Recorder>)> {
    client_config_with(mode, send_sni, ClientOffer::ALL)
}

/// [`client_config`] offering what `offer` says.
fn client_config_with(
    mode: Mode,
    send_sni: bool,
    offer: ClientOffer,
) -> Option<(rustls::ClientConfig, Arc<Recorder>)> {
    let tls13 = offer.tls13;
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    if !offer.chacha20 {
        provider.cipher_suites.retain(|s| {
            !matches!(
                s.suite(),
                rustls::CipherSuite::TLS13_CHACHA20_POLY1305_SHA256
                    | rustls::CipherSuite::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
                    | rustls::CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
            )
        });
    }
    let provider = Arc::new(provider);
    let schemes = provider
        .signature_verification_algorithms
        .supported_schemes();
    let recorder = Arc::new(Recorder {
        chain: Mutex::new(Vec::new()),
        schemes,
        mode,
        refusal: Mutex::new(None),
    });
    let versions: &[&rustls::SupportedProtocolVersion] = if tls13 {
        rustls::DEFAULT_VERSIONS
    } else {
        &[&rustls::version::TLS12]
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    config.enable_sni = send_sni;
    Some((config, recorder))
}

/// The name a client asks for: an IP literal, or a DNS name (one rustls
/// cannot express is reached by address, without SNI).
fn server_name(name: &str, addr: SocketAddr) -> ServerName<'static> {
    match name.parse::<std::net::IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(name.to_string())
            .unwrap_or(ServerName::IpAddress(addr.ip().into())),
    }
}

/// A TLS client that accepts any certificate and sends no SNI (a proxy's
/// `verify none` connections to its servers); its caller keeps it, so that
/// sessions resume on its own connections only.
pub(crate) fn unverified_config() -> Option<Arc<rustls::ClientConfig>> {
    client_config(Mode::Trust, false).map(|(c, _)| Arc::new(c))
}

/// Connects to `addr` as a client that asks for `name` and sends SNI only
/// when `send_sni` (Java sends none for IP literals and dot-less names).
pub async fn fetch_chain(
    addr: SocketAddr,
    name: &str,
    send_sni: bool,
    timeout: Duration,
) -> Contact {
    fetch_chain_with(addr, name, send_sni, timeout, ClientOffer::ALL).await
}

/// [`fetch_chain`] offering what `offer` says (a Java 8 offers neither TLS
/// 1.3, [`super::jre::Jre::tls13_client`], nor ChaCha20,
/// [`super::jre::Jre::chacha20_suites`]).
pub(crate) async fn fetch_chain_with(
    addr: SocketAddr,
    name: &str,
    send_sni: bool,
    timeout: Duration,
    offer: ClientOffer,
) -> Contact {
    let Some((config, recorder)) = client_config_with(Mode::Capture, send_sni, offer) else {
        return Contact::Closed;
    };
    let server_name = server_name(name, addr);
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => return Contact::TimedOut,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Contact::Refused,
        Ok(Err(_)) => return Contact::Reset,
        Ok(Ok(t)) => t,
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let sni_sent =
        (send_sni && matches!(server_name, ServerName::DnsName(_))).then(|| name.to_string());
    let result = tokio::time::timeout(timeout, connector.connect(server_name, tcp)).await;
    let chain: Vec<Certificate> = recorder
        .chain
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter_map(|d| Certificate::from_der(d.as_ref()).ok())
        .collect();
    if !chain.is_empty() {
        return Contact::Presented { chain, sni_sent };
    }
    match result {
        Err(_) => Contact::TimedOut,
        Ok(Ok(mut s)) => {
            let _ = s.shutdown().await;
            Contact::Closed
        }
        Ok(Err(e)) => classify(&e),
    }
}

/// What a server answers an OpenSSL-like ClientHello that offers TLS 1.3
/// down to 1.0 ([`crate::tls::legacy::client_hello`]): curl and `openssl
/// s_client` get that far with a TLS 1.0/1.1-only server, where a TLS
/// 1.2/1.3 ClientHello gets `protocol_version`. The probe then sends
/// `internal_error`, as they do, and closes.
pub async fn legacy_probe(
    addr: SocketAddr,
    sni: Option<&str>,
    timeout: Duration,
) -> crate::tls::legacy::ServerAnswer {
    use crate::tls::legacy::{client_hello, read_server_flight, ServerAnswer};
    use tokio::io::AsyncReadExt;
    let probe = async {
        let mut tcp = TcpStream::connect(addr).await.ok()?;
        tcp.write_all(&client_hello(sni)).await.ok()?;
        let mut got = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            let n = tcp.read(&mut buf).await.ok()?;
            if n == 0 || got.len() > 256 * 1024 {
                return Some(read_server_flight(&got).unwrap_or(ServerAnswer::Other));
            }
            got.extend_from_slice(&buf[..n]);
            if let Some(answer) = read_server_flight(&got) {
                let _ = tcp.write_all(&[21, 3, 1, 0, 2, 2, 80]).await;
                return Some(answer);
            }
        }
    };
    tokio::time::timeout(timeout, probe)
        .await
        .ok()
        .flatten()
        .unwrap_or(ServerAnswer::Other)
}

fn classify(e: &std::io::Error) -> Contact {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionReset => return Contact::Reset,
        ErrorKind::UnexpectedEof | ErrorKind::ConnectionAborted => return Contact::Closed,
        _ => {}
    }
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return match inner {
            rustls::Error::AlertReceived(a) => Contact::Alert(u8::from(*a)),
            rustls::Error::InvalidMessage(_) => Contact::NotTls,
            _ => Contact::Closed,
        };
    }
    Contact::Closed
}

/// Fetches `path` over HTTPS from `addr` after the caller's personality has
/// accepted the chain: returns the HTTP status and body, or the contact failure.
pub async fn https_get(
    addr: SocketAddr,
    name: &str,
    send_sni: bool,
    path: &str,
    timeout: Duration,
) -> Result<(u16, String), Contact> {
    https_request(addr, name, send_sni, path, &[], timeout).await
}

/// [`https_get`] with extra request header lines (e.g. `Authorization`).
pub async fn https_request(
    addr: SocketAddr,
    name: &str,
    send_sni: bool,
    path: &str,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Result<(u16, String), Contact> {
    https_reply(addr, name, send_sni, path, headers, timeout)
        .await
        .map(|r| (r.status, r.body))
}

/// [`https_request`] with the answer's headers (a browser keeping cookies).
pub async fn https_reply(
    addr: SocketAddr,
    name: &str,
    send_sni: bool,
    path: &str,
    headers: &[(&str, &str)],
    timeout: Duration,
) -> Result<Reply, Contact> {
    let (config, _) = client_config(Mode::Accept, send_sni).ok_or(Contact::Closed)?;
    let work = async {
        let tcp = TcpStream::connect(addr).await.map_err(|e| classify(&e))?;
        let _ = tcp.set_nodelay(true);
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(server_name(name, addr), tcp)
            .await
            .map_err(|e| classify(&e))?;
        send(tls, "GET", name, path, headers, b"").await
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or(Err(Contact::TimedOut))
}

/// One HTTPS request as client `p` makes it, on a single connection: the
/// chain judged during the handshake against `anchors` for `name` at `at`,
/// then `request`. Returns the status and body, or the client's verdict.
pub async fn https_request_as(
    p: super::Personality,
    addr: SocketAddr,
    name: &str,
    anchors: &[Certificate],
    at: time::OffsetDateTime,
    request: &Request<'_>,
    timeout: Duration,
) -> Result<(u16, String), super::Verdict> {
    https_exchange_as(p, addr, name, anchors, at, request, timeout)
        .await
        .map(|r| (r.status, r.body))
}

/// An HTTP request a client personality sends ([`https_request_as`]).
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// `GET`, `POST`, …
    pub method: &'a str,
    /// The request target.
    pub path: &'a str,
    /// Headers beyond `Host`, `Content-Length` and `Connection`.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body (sent with its `Content-Length` unless empty on a GET).
    pub body: &'a [u8],
}

/// `method path` with `body` on an established TLS stream (`Connection: close`).
async fn send<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    mut tls: S,
    method: &str,
    name: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Result<Reply, Contact> {
    use tokio::io::AsyncReadExt;
    // a header name or value with CR or LF would start another header line
    let crlf = |t: &str| t.contains(['\r', '\n']);
    if crlf(method) || crlf(path) || crlf(name) || headers.iter().any(|(k, v)| crlf(k) || crlf(v)) {
        return Err(Contact::Closed);
    }
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let length = if body.is_empty() && method == "GET" {
        String::new()
    } else {
        format!("Content-Length: {}\r\n", body.len())
    };
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {name}\r\n{extra}{length}Connection: close\r\n\r\n"
    )
    .into_bytes();
    req.extend_from_slice(body);
    tls.write_all(&req).await.map_err(|e| classify(&e))?;
    let mut buf = Vec::new();
    let _ = (&mut tls).take(1 << 20).read_to_end(&mut buf).await;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(Contact::NotTls)?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let headers = head
        .split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body: body.to_string(),
    })
}

/// An HTTP answer as a client personality read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The header lines, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

impl Reply {
    /// The first header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Connects to `addr` and makes the handshake `p` judges ([`tls_judged`]);
/// a failed connection as `p` words it.
async fn connect_judged(
    p: super::Personality,
    addr: SocketAddr,
    name: &str,
    anchors: &[Certificate],
    at: time::OffsetDateTime,
    timeout: Duration,
) -> Result<JudgedStream, super::Verdict> {
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => return Err(super::contact_failure(p, &Contact::TimedOut, name, addr)),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(super::contact_failure(p, &Contact::Refused, name, addr))
        }
        Ok(Err(e)) => return Err(super::contact_failure(p, &classify(&e), name, addr)),
        Ok(Ok(t)) => t,
    };
    let _ = tcp.set_nodelay(true);
    tls_judged(p, tcp, name, anchors, at, timeout).await
}

/// [`https_request_as`], with the answer's headers.
pub async fn https_exchange_as(
    p: super::Personality,
    addr: SocketAddr,
    name: &str,
    anchors: &[Certificate],
    at: time::OffsetDateTime,
    request: &Request<'_>,
    timeout: Duration,
) -> Result<Reply, super::Verdict> {
    let tls = connect_judged(p, addr, name, anchors, at, timeout).await?;
    let Request {
        method,
        path,
        headers,
        body,
    } = request;
    tokio::time::timeout(timeout, send(tls, method, name, path, headers, body))
        .await
        .unwrap_or(Err(Contact::TimedOut))
        .map_err(|c| super::contact_failure(p, &c, name, addr))
}

/// Opens a WebSocket (RFC 6455) at `wss://name{request.path}` as
/// personality `p`, with `request`'s headers (its `Origin`): the handshake
/// judged as [`https_exchange_as`] judges it, then the upgrade request; the
/// answer's status (101: open, its `Sec-WebSocket-Accept` checked; 0: a 101
/// with a wrong one) — only the head is read, the socket then closed.
pub async fn websocket_status_as(
    p: super::Personality,
    addr: SocketAddr,
    name: &str,
    anchors: &[Certificate],
    at: time::OffsetDateTime,
    request: &Request<'_>,
    timeout: Duration,
) -> Result<u16, super::Verdict> {
    let path = request.path;
    use tokio::io::AsyncReadExt;
    let mut tls = connect_judged(p, addr, name, anchors, at, timeout).await?;
    // a CR or LF would start another header line
    let crlf = |t: &str| t.contains(['\r', '\n']);
    if crlf(path) || crlf(name) || request.headers.iter().any(|(k, v)| crlf(k) || crlf(v)) {
        return Err(super::contact_failure(p, &Contact::Closed, name, addr));
    }
    let extra: String = request
        .headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    let key = "dGhlIHNhbXBsZSBub25jZQ==";
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {name}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    );
    let head = async {
        tls.write_all(req.as_bytes())
            .await
            .map_err(|e| classify(&e))?;
        let mut buf = Vec::new();
        let mut byte = [0u8; 1];
        while !buf.ends_with(b"\r\n\r\n") && buf.len() < 16 * 1024 {
            match tls.read(&mut byte).await {
                Ok(1) => buf.push(byte[0]),
                _ => break,
            }
        }
        Ok::<_, Contact>(String::from_utf8_lossy(&buf).into_owned())
    };
    let text = tokio::time::timeout(timeout, head)
        .await
        .unwrap_or(Err(Contact::TimedOut))
        .map_err(|c| super::contact_failure(p, &c, name, addr))?;
    let _ = tls.shutdown().await;
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| super::contact_failure(p, &Contact::NotTls, name, addr))?;
    let accepted = text.lines().any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.trim().eq_ignore_ascii_case("sec-websocket-accept")
                && v.trim() == crate::tls::websocket_accept(key)
        })
    });
    Ok(if status == 101 && !accepted {
        0
    } else {
        status
    })
}

/// A TLS client stream after a handshake judged by a personality.
pub type JudgedStream = tokio_rustls::client::TlsStream<TcpStream>;

/// Starts TLS over an open connection as `p` would: the chain judged during
/// the handshake against `anchors` for `name` at `at`. Returns the stream,
/// or the client's verdict (the judge's refusal, or the contact failure).
pub async fn tls_judged(
    p: super::Personality,
    tcp: TcpStream,
    name: &str,
    anchors: &[Certificate],
    at: time::OffsetDateTime,
    timeout: Duration,
) -> Result<JudgedStream, super::Verdict> {
    let peer = tcp
        .peer_addr()
        .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
    let mode = Mode::Judge {
        personality: p,
        anchors: anchors.to_vec(),
        name: name.to_string(),
        at,
    };
    let Some((config, judging)) =
        client_config_with(mode, super::sends_sni(p, name), p.client_offer())
    else {
        return Err(super::contact_failure(p, &Contact::Closed, name, peer));
    };
    let result = tokio::time::timeout(
        timeout,
        tokio_rustls::TlsConnector::from(Arc::new(config)).connect(server_name(name, peer), tcp),
    )
    .await;
    if let Some(v) = judging
        .refusal
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
    {
        return Err(v);
    }
    match result {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(super::contact_failure(p, &classify(&e), name, peer)),
        Err(_) => Err(super::contact_failure(p, &Contact::TimedOut, name, peer)),
    }
}

/// A browser's connection to one origin (`https://name` at `addr`), kept
/// alive and used for each request in turn, as Chrome does: ALPN offers
/// `h2` and `http/1.1`, HTTP/2 when the server chooses it (one connection
/// per origin), else HTTP/1.1 keep-alive (sequential requests reuse the
/// idle connection). A new connection is made only when there is none, the
/// server closed it, or a request on it failed — which is what decides,
/// behind a load balancer that routes per connection, where the requests
/// land (F23).
pub struct KeptAlive {
    addr: SocketAddr,
    name: String,
    send_sni: bool,
    conn: Option<Sender>,
}

enum Sender {
    H1(hyper::client::conn::http1::SendRequest<http_body_util::Full<hyper::body::Bytes>>),
    H2(hyper::client::conn::http2::SendRequest<http_body_util::Full<hyper::body::Bytes>>),
}

impl Sender {
    fn is_closed(&self) -> bool {
        match self {
            Sender::H1(s) => s.is_closed(),
            Sender::H2(s) => s.is_closed(),
        }
    }
}

/// Why a request on a kept-alive connection failed.
#[derive(Clone, Debug)]
pub enum Failed {
    /// No connection (refused, reset, timed out, not TLS…).
    Contact(Contact),
    /// The HTTP/2 stream was reset (Chrome: `net::ERR_HTTP2_PROTOCOL_ERROR`).
    StreamReset,
    /// The connection broke during the exchange, or no answer in time.
    Broken,
}

/// The most of an answer's body a [`KeptAlive`] reads.
const KEPT_ALIVE_MAX_BODY: usize = 1 << 20;

impl KeptAlive {
    /// A connection to `name` at `addr` (SNI as `send_sni`), opened at the first request.
    pub fn new(addr: SocketAddr, name: &str, send_sni: bool) -> KeptAlive {
        KeptAlive {
            addr,
            name: name.to_string(),
            send_sni,
            conn: None,
        }
    }

    /// Whether the connection open now speaks HTTP/2 (its answers have no
    /// reason phrase: Chrome's console writes `500 ()`).
    pub fn http2(&self) -> bool {
        matches!(self.conn, Some(Sender::H2(_)))
    }

    async fn open(&self) -> Result<Sender, Contact> {
        let (mut config, _) = client_config(Mode::Accept, self.send_sni).ok_or(Contact::Closed)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let tcp = TcpStream::connect(self.addr).await.map_err(|e| {
            if e.kind() == std::io::ErrorKind::ConnectionRefused {
                Contact::Refused
            } else {
                classify(&e)
            }
        })?;
        let _ = tcp.set_nodelay(true);
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(server_name(&self.name, self.addr), tcp)
            .await
            .map_err(|e| classify(&e))?;
        let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
        let io = hyper_util::rt::TokioIo::new(tls);
        if h2 {
            let (send, driver) =
                hyper::client::conn::http2::handshake(hyper_util::rt::TokioExecutor::new(), io)
                    .await
                    .map_err(|_| Contact::Closed)?;
            tokio::spawn(async move {
                let _ = driver.await;
            });
            Ok(Sender::H2(send))
        } else {
            let (send, driver) = hyper::client::conn::http1::handshake(io)
                .await
                .map_err(|_| Contact::Closed)?;
            tokio::spawn(async move {
                let _ = driver.await;
            });
            Ok(Sender::H1(send))
        }
    }

    /// `GET path` with `headers` on the kept-alive connection (opened, or
    /// reopened when the server closed it, first), within `timeout`.
    pub async fn get(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<Reply, Failed> {
        use http_body_util::BodyExt;
        let work = async {
            if self.conn.as_ref().is_none_or(Sender::is_closed) {
                self.conn = None;
                self.conn = Some(self.open().await.map_err(Failed::Contact)?);
            }
            let mut req = hyper::Request::builder().method("GET");
            req = match self.conn {
                // HTTP/2: the origin in the request's URI (`:authority`)
                Some(Sender::H2(_)) => req.uri(format!("https://{}{path}", self.name)),
                _ => req.uri(path).header("host", &self.name),
            };
            for (k, v) in headers {
                req = req.header(*k, *v);
            }
            let req = req
                .body(http_body_util::Full::new(hyper::body::Bytes::new()))
                .map_err(|_| Failed::Broken)?;
            let resp = match self.conn.as_mut() {
                Some(Sender::H1(s)) => {
                    s.ready().await.map_err(|_| Failed::Broken)?;
                    s.send_request(req).await
                }
                Some(Sender::H2(s)) => {
                    s.ready().await.map_err(|_| Failed::Broken)?;
                    s.send_request(req).await
                }
                None => return Err(Failed::Broken),
            };
            // HTTP/2: a stream the server reset (RST_STREAM), not the
            // connection going away
            let resp = resp.map_err(|e| {
                let reset = std::error::Error::source(&e)
                    .and_then(|s| s.downcast_ref::<h2::Error>())
                    .is_some_and(|h| h.is_reset() && !h.is_go_away() && !h.is_io());
                if reset {
                    Failed::StreamReset
                } else {
                    Failed::Broken
                }
            })?;
            let status = resp.status().as_u16();
            let headers = resp
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect();
            let body = http_body_util::Limited::new(resp.into_body(), KEPT_ALIVE_MAX_BODY)
                .collect()
                .await
                .map_err(|_| Failed::Broken)?
                .to_bytes();
            Ok(Reply {
                status,
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        };
        let r = tokio::time::timeout(timeout, work)
            .await
            .unwrap_or(Err(Failed::Broken));
        if r.is_err() {
            // a broken connection is not reused
            self.conn = None;
        }
        r
    }
}

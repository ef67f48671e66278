//! TLS serving with IIS site-binding semantics ([ECE] 1.2, F6), on
//! tokio-rustls and hyper 1. Every emulated HTTPS endpoint of the topology
//! (ECE web server, CCE Administration, VOS cmplatform, CVP reporting :8111)
//! is a [`TlsServer`] with one or more [`Binding`]s.
//!
//! The IIS model: a site binding is (IP, port, host name, "Require Server Name
//! Indication", certificate). Bindings without Require SNI are IP:port SSL
//! bindings — one certificate for the address whatever the client asks; their
//! host name only routes HTTP requests (the `Host` header), never the
//! handshake. Bindings with Require SNI are hostname:port bindings, chosen
//! only when the ClientHello's SNI equals their host name. When nothing
//! matches — a client that sends no SNI (Java to an IP literal or a dot-less
//! name, old OpenSSL without `-servername`) or another name, and no IP:port
//! fallback exists — HTTP.sys sends no ServerHello and the client sees the
//! connection reset: the widely reported `openssl s_client` symptom against
//! SNI-only IIS sites is `write:errno=104` (ECONNRESET), and Microsoft's
//! guidance (a `netsh http add sslcert ipport=0.0.0.0:443` fallback binding
//! for non-SNI clients) describes the same "no certificate is sent". Client
//! reports against HTTP.sys with an unknown SNI show a reset too, never an
//! alert (github.com/ansible/ansible issues 33273, 21725, 16818;
//! github.com/urllib3/urllib3 pull 1287: http.sys "aborts the connection").
//! Checked here: `openssl s_client` prints exactly `write:errno=104` when a
//! server resets right after the ClientHello (an alert would print `SSL alert
//! number 112`, a FIN `unexpected eof while reading`). ccelab therefore
//! resets by default ([`NoMatch::Reset`]); [`NoMatch::Close`] and
//! [`NoMatch::Alert`] model other servers.
//!
//! Every connection yields a [`TlsEvent`]: peer, SNI offered, protocol,
//! cipher suite, binding, chain sent, or why it failed.

pub mod legacy;
mod signing;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::pki::{Certificate, KeyPair};

pub use signing::certified_key;

/// Protocol versions a binding accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    /// TLS 1.0, as far as today's clients get ([`legacy`]): a client that
    /// offers it (curl, `openssl s_client`, Java 8 before 8u291) gets the
    /// version's first flight (curl and s_client refuse its MD5-SHA1
    /// signature); one that does not (Java 17) gets a `protocol_version`
    /// alert. No TLS 1.0 session is completed.
    Tls10,
    /// TLS 1.1, emulated like [`TlsVersion::Tls10`].
    Tls11,
    /// TLS 1.2 (RFC 5246), served by rustls.
    Tls12,
    /// TLS 1.3 (RFC 8446), served by rustls.
    Tls13,
}

/// What a TLS listener does when no binding matches the ClientHello.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum NoMatch {
    /// TCP reset before any ServerHello (HTTP.sys; the default).
    #[default]
    Reset,
    /// An orderly close (FIN) before any ServerHello.
    Close,
    /// A fatal alert (`unrecognized_name`, 112, or `handshake_failure`, 40).
    Alert(u8),
}

/// One IIS-style site binding.
#[derive(Clone, Debug)]
pub struct Binding {
    /// A label for events and logs (e.g. `Default Web Site https *:443:`).
    pub name: String,
    /// The binding's host name (IIS "Host name"; empty in the documented setup).
    pub host_name: Option<String>,
    /// IIS "Require Server Name Indication" (unchecked in the documented setup).
    pub require_sni: bool,
    /// What the server sends: leaf only (F8's missing intermediate), leaf +
    /// intermediates, or with the root too.
    pub chain: Vec<Certificate>,
    /// The private key of the leaf certificate (`chain[0]`).
    pub key: Arc<KeyPair>,
    /// Accepted versions (default TLS 1.2 and 1.3).
    pub versions: Vec<TlsVersion>,
}

impl Binding {
    /// A binding with IIS's defaults: no host name, no Require SNI, TLS 1.2+1.3.
    pub fn new(name: impl Into<String>, chain: Vec<Certificate>, key: Arc<KeyPair>) -> Self {
        Binding {
            name: name.into(),
            host_name: None,
            require_sni: false,
            chain,
            key,
            versions: vec![TlsVersion::Tls12, TlsVersion::Tls13],
        }
    }
}

/// A listener's configuration.
#[derive(Clone, Debug, Default)]
pub struct SiteConfig {
    /// The site's bindings on this IP:port, in IIS's order; see
    /// [`SiteConfig::select`] for which one serves a handshake.
    pub bindings: Vec<Binding>,
    /// What the listener does when no binding matches the ClientHello's SNI.
    pub no_match: NoMatch,
    /// Serve plain HTTP instead of TLS (a port that is not TLS at all).
    pub plain_http: bool,
    /// The listener's limits (its product's timeouts, ccelab's caps).
    pub limits: Limits,
    /// Offer HTTP/2 by ALPN (`h2`, then `http/1.1`), as IIS 10 does over
    /// TLS on Windows Server 2016 and later; clients that do not ask for it
    /// (Java's `HttpsURLConnection`) get HTTP/1.1.
    pub http2: bool,
}

/// What a listener allows a client: how long it waits, how many
/// connections it serves, how large a request body it reads. A client past
/// a limit loses its connection (or gets 413), never the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The longest wait for a request's headers — a new connection's first
    /// request, and the next one on a kept-alive connection.
    pub header_timeout: Duration,
    /// Connections served at once; one more is closed as it is accepted.
    pub max_connections: usize,
    /// The largest request body read; a larger one is answered 413 and its
    /// connection closed, a body whose chunked framing breaks 400.
    pub max_body: usize,
}

/// The connections a listener serves at once (ccelab's cap: enough for
/// the load tests' 1,000 clients, far below the process's descriptors).
pub const MAX_CONNECTIONS: usize = 1024;

impl Limits {
    /// HTTP.sys under IIS: `HeaderWaitTimeout` and `IdleConnectionTimeout`
    /// are 120 s by default; bodies are capped at 1 MiB (ccelab's bound; IIS
    /// request filtering allows 30,000,000 bytes).
    pub const HTTP_SYS: Limits = Limits {
        header_timeout: Duration::from_secs(120),
        max_connections: MAX_CONNECTIONS,
        max_body: 1 << 20,
    };
    /// Tomcat's HTTP connector: `connectionTimeout` 20000 ms (also its
    /// keep-alive timeout), `maxPostSize` 2 MiB.
    pub const TOMCAT: Limits = Limits {
        header_timeout: Duration::from_secs(20),
        max_connections: MAX_CONNECTIONS,
        max_body: 2 << 20,
    };
    /// WildFly's Undertow listener: `no-request-timeout` 60000 ms; bodies
    /// capped at 1 MiB (ccelab's bound; Undertow's `max-post-size` is 10 MB).
    pub const WILDFLY: Limits = Limits {
        header_timeout: Duration::from_secs(60),
        max_connections: MAX_CONNECTIONS,
        max_body: 1 << 20,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::HTTP_SYS
    }
}

impl SiteConfig {
    /// The binding IIS would use for this SNI: a hostname:port (Require SNI)
    /// binding whose host name equals the SNI, else the IP:port binding.
    pub fn select(&self, sni: Option<&str>) -> Option<usize> {
        if let Some(n) = sni {
            let hit = self.bindings.iter().position(|b| {
                b.require_sni
                    && b.host_name
                        .as_deref()
                        .is_some_and(|h| h.eq_ignore_ascii_case(n))
            });
            if hit.is_some() {
                return hit;
            }
        }
        self.bindings.iter().position(|b| !b.require_sni)
    }
}

/// What happened on one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsEvent {
    /// The client's address.
    pub peer: SocketAddr,
    /// The listener's address the client connected to.
    pub local: SocketAddr,
    /// The SNI the client offered.
    pub sni: Option<String>,
    /// How the connection ended up.
    pub outcome: Outcome,
}

/// The result of one connection's handshake.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The handshake completed; HTTP was served on the connection afterwards.
    Completed {
        /// The name of the binding that served it.
        binding: String,
        /// The negotiated protocol version as rustls names it (`TLSv1_2`, `TLSv1_3`).
        version: String,
        /// The negotiated cipher suite as rustls names it
        /// (e.g. `TLS13_AES_256_GCM_SHA384`).
        cipher_suite: String,
        /// SHA-256 fingerprints of the certificates sent, leaf first.
        chain_sent: Vec<String>,
    },
    /// No binding matched; what the server did.
    NoBinding(NoMatch),
    /// The binding accepts only TLS 1.0/1.1 and the client offered neither:
    /// a `protocol_version` alert.
    ProtocolVersionAlert {
        /// The name of the binding selected for the ClientHello.
        binding: String,
    },
    /// The binding accepts only TLS 1.0/1.1, the client offered one of them,
    /// and the server sent that version's first flight ([`legacy`]); no
    /// TLS 1.0/1.1 session is ever completed.
    LegacyFlight {
        /// The name of the binding selected for the ClientHello.
        binding: String,
        /// `TLSv1_0` or `TLSv1_1`.
        version: String,
        /// What the client answered (`internal_error`, a closed connection…).
        client: String,
    },
    /// The handshake failed (the client's alert or a protocol error).
    Failed {
        /// The binding selected, if the ClientHello got that far.
        binding: Option<String>,
        /// What went wrong (rustls's error text, or a timeout / early close).
        error: String,
    },
    /// The first bytes were not TLS (e.g. plain HTTP sent to a TLS port).
    NotTls,
    /// A plain-HTTP listener served the connection.
    PlainHttp,
}

impl crate::events::Weigh for TlsEvent {
    fn weight(&self) -> usize {
        let outcome = match &self.outcome {
            Outcome::Completed {
                binding,
                version,
                cipher_suite,
                chain_sent,
            } => binding.len() + version.len() + cipher_suite.len() + 64 * chain_sent.len(),
            Outcome::Failed { binding, error } => {
                binding.as_ref().map_or(0, String::len) + error.len()
            }
            Outcome::ProtocolVersionAlert { binding } => binding.len(),
            Outcome::LegacyFlight {
                binding,
                version,
                client,
            } => binding.len() + version.len() + client.len(),
            _ => 0,
        };
        128 + self.sni.as_ref().map_or(0, String::len) + outcome
    }
}

/// The event log of a topology's TLS servers (see [`crate::events`]).
pub type Events = crate::events::EventLog<TlsEvent>;
pub use crate::events::EVENT_LOG_CAPACITY;

/// An HTTP request as an emulated product's handler sees it.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    /// The HTTP method (`GET`, `POST`, …).
    pub method: String,
    /// The request target's path, without the query string.
    pub path: String,
    /// The query string (without `?`; empty when there is none).
    pub query: String,
    /// The `Host` header, if sent (what IIS routes host-name bindings by).
    pub host: Option<String>,
    /// Every request header as (lower-case name, value).
    pub headers: Vec<(String, String)>,
    /// The request body (whole: a body over the listener's
    /// [`Limits::max_body`] never reaches a handler).
    pub body: Vec<u8>,
    /// The SNI of the TLS handshake that carried the request (None on plain
    /// HTTP or when the client sent none).
    pub sni: Option<String>,
    /// The binding that served the handshake (None on plain HTTP).
    pub binding: Option<String>,
    /// The request came over HTTP/2.
    pub http2: bool,
}

/// An HTTP response.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    /// The status code (200, 404, …).
    pub status: u16,
    /// Response headers as (name, value), sent in this order.
    pub headers: Vec<(String, String)>,
    /// The response body.
    pub body: Vec<u8>,
}

/// [`HttpResponse::status`] of [`HttpResponse::reset`].
const RESET: u16 = 0;

/// Why a request got no answer ([`HttpResponse::reset`]).
#[derive(Debug, thiserror::Error)]
#[error("the server reset the request")]
struct Reset;

/// The GUID of RFC 6455 §1.3 that a server appends to the client's key.
const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// RFC 6455's `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub fn websocket_accept(key: &str) -> String {
    use base64::Engine as _;
    use sha1::Digest as _;
    let digest = sha1::Sha1::digest(format!("{}{WEBSOCKET_GUID}", key.trim()).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

impl HttpResponse {
    /// Accepts a WebSocket (RFC 6455) on an HTTP/1.1 `Upgrade: websocket`
    /// request: `101 Switching Protocols`, then `first` as one text frame;
    /// the server then reads (and drops) the client's frames until it
    /// closes, answers a close, or is idle for the listener's header
    /// timeout. A request that is not a WebSocket handshake gets 400.
    pub fn websocket(first: &str) -> Self {
        HttpResponse {
            status: 101,
            headers: Vec::new(),
            body: first.as_bytes().to_vec(),
        }
    }

    /// No answer: over HTTP/2 the stream is reset (`RST_STREAM`,
    /// `INTERNAL_ERROR`), over HTTP/1.1 the connection closes.
    pub fn reset() -> Self {
        HttpResponse {
            status: RESET,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A response with `status` and a JSON body (one line).
    pub fn json(status: u16, v: serde_json::Value) -> Self {
        HttpResponse {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: (v.to_string() + "\n").into_bytes(),
        }
    }

    /// A 302 to `to`.
    pub fn redirect(to: &str) -> Self {
        HttpResponse {
            status: 302,
            headers: vec![("Location".into(), to.into())],
            body: Vec::new(),
        }
    }

    /// A response with `status` and a UTF-8 `text/plain` body.
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        HttpResponse {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.into().into_bytes(),
        }
    }
}

/// What a handler returns: the response, once ready (a product that asks
/// another host first — IIS in front of ECE's application servers — awaits it).
pub type HandlerFuture = std::pin::Pin<Box<dyn std::future::Future<Output = HttpResponse> + Send>>;

/// The request handler of a server.
pub type Handler = Arc<dyn Fn(HttpRequest) -> HandlerFuture + Send + Sync>;

/// A handler that answers at once.
pub fn handler(f: impl Fn(HttpRequest) -> HttpResponse + Send + Sync + 'static) -> Handler {
    Arc::new(move |r| {
        let resp = f(r);
        Box::pin(async move { resp })
    })
}

/// A handler that awaits its answer.
pub fn async_handler<F, Fut>(f: F) -> Handler
where
    F: Fn(HttpRequest) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = HttpResponse> + Send + 'static,
{
    Arc::new(move |r| Box::pin(f(r)))
}

/// A handler answering 200 with the binding's name (tests, benchmarks).
pub fn hello_handler() -> Handler {
    handler(|r: HttpRequest| {
        HttpResponse::text(
            200,
            format!(
                "ccelab: {} via {}\n",
                r.path,
                r.binding.as_deref().unwrap_or("plain http")
            ),
        )
    })
}

struct Fixed(Arc<CertifiedKey>);

impl std::fmt::Debug for Fixed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fixed")
    }
}

impl ResolvesServerCert for Fixed {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// Errors starting a server.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A binding cannot be turned into a rustls server configuration (a
    /// private key rustls cannot sign with, or a version set it refuses).
    #[error("binding `{binding}`: {error}")]
    Binding {
        /// The binding's name.
        binding: String,
        /// What rustls refused.
        error: String,
    },
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
}

struct Prepared {
    config: SiteConfig,
    /// One rustls config per binding (None for an emulated TLS 1.0/1.1-only binding).
    rustls: Vec<Option<Arc<ServerConfig>>>,
    /// The SHA-256 fingerprints of each binding's chain, computed once (an
    /// event carries them for every handshake).
    fingerprints: Vec<Vec<String>>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Whether a site can be served (each binding's key and versions), without
/// serving it: a product that must not lose its listener checks first.
pub fn check_site(config: &SiteConfig) -> Result<(), TlsError> {
    prepare(config.clone()).map(|_| ())
}

fn prepare(config: SiteConfig) -> Result<Prepared, TlsError> {
    let mut rustls_configs = Vec::new();
    for b in &config.bindings {
        let err = |e: &dyn std::fmt::Display| TlsError::Binding {
            binding: b.name.clone(),
            error: e.to_string(),
        };
        let mut versions: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
        if b.versions.contains(&TlsVersion::Tls13) {
            versions.push(&rustls::version::TLS13);
        }
        if b.versions.contains(&TlsVersion::Tls12) {
            versions.push(&rustls::version::TLS12);
        }
        if versions.is_empty() {
            rustls_configs.push(None);
            continue;
        }
        let ck = certified_key(&b.chain, &b.key).map_err(|e| err(&e))?;
        let mut sc = ServerConfig::builder_with_provider(provider())
            .with_protocol_versions(&versions)
            .map_err(|e| err(&e))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(Fixed(ck)));
        sc.alpn_protocols = if config.http2 {
            vec![b"h2".to_vec(), b"http/1.1".to_vec()]
        } else {
            vec![b"http/1.1".to_vec()]
        };
        rustls_configs.push(Some(Arc::new(sc)));
    }
    let fingerprints = config
        .bindings
        .iter()
        .map(|b| b.chain.iter().map(|c| c.sha256_fingerprint()).collect())
        .collect();
    Ok(Prepared {
        config,
        rustls: rustls_configs,
        fingerprints,
    })
}

/// A running listener. Dropping it (or [`TlsServer::stop`]) stops accepting
/// and closes its open connections.
pub struct TlsServer {
    acceptor: crate::net::Acceptor,
    /// What new connections are served with (see [`TlsServer::reload`]).
    current: Arc<std::sync::RwLock<(Arc<Prepared>, Handler)>>,
    /// Bumped by [`TlsServer::restart`]: the connections of the server
    /// process before it close.
    epoch: tokio::sync::watch::Sender<u64>,
}

impl TlsServer {
    /// Binds `addr` (use port 0 for an ephemeral port) and serves `site`.
    pub async fn start(
        addr: SocketAddr,
        site: SiteConfig,
        handler: Handler,
        events: Events,
    ) -> Result<Self, TlsError> {
        let slots = Arc::new(tokio::sync::Semaphore::new(site.limits.max_connections));
        let prepared = Arc::new(prepare(site)?);
        let current = Arc::new(std::sync::RwLock::new((prepared, handler)));
        let serving = current.clone();
        let (epoch, _) = tokio::sync::watch::channel(0u64);
        let epochs = epoch.clone();
        let acceptor = crate::net::Acceptor::bind(addr, move |tcp, peer, mut stopped| {
            // at the cap: the connection is closed as it is accepted
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                let _ = tcp.set_zero_linger();
                return;
            };
            let local = tcp.local_addr().unwrap_or(addr);
            let (p, h) = serving.read().unwrap_or_else(|e| e.into_inner()).clone();
            let ev = events.clone();
            let mut restarted = epochs.subscribe();
            // the connection's slot is held by whatever serves it: this task,
            // then a WebSocket the connection was upgraded to
            let ends = Ends {
                stopped: stopped.clone(),
                restarted: restarted.clone(),
                _slot: Arc::new(permit),
            };
            tokio::spawn(async move {
                // a stop or restart ends the connection (as the process's
                // death would): dropping it closes the socket
                tokio::select! {
                    _ = serve_connection(tcp, peer, local, p, h, ev, ends) => {}
                    _ = stopped.changed() => {}
                    _ = restarted.changed() => {}
                }
            });
        })
        .await
        .map_err(|source| TlsError::Listen { addr, source })?;
        Ok(TlsServer {
            acceptor,
            current,
            epoch,
        })
    }

    /// Serves new connections with another site and handler, on the same
    /// socket; the open connections go on as they were (a load balancer's
    /// reload, whose old process finishes its connections).
    pub fn reload(&self, site: SiteConfig, handler: Handler) -> Result<(), TlsError> {
        let prepared = Arc::new(prepare(site)?);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = (prepared, handler);
        Ok(())
    }

    /// A service restart that keeps its port (the port is never free for
    /// another listener to take meanwhile): new connections get the new
    /// site and handler, the open ones close — a browser's keep-alive
    /// connection does not outlive the Tomcat or IIS that accepted it.
    pub fn restart(&self, site: SiteConfig, handler: Handler) -> Result<(), TlsError> {
        self.reload(site, handler)?;
        self.epoch.send_modify(|e| *e += 1);
        Ok(())
    }

    /// The address really bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.acceptor.local_addr()
    }

    /// Stops accepting new connections and waits for the accept loop to end.
    pub async fn stop(self) {
        self.acceptor.stop().await
    }
}

/// What ends a connection before its peer does: the server's stop or
/// restart (an upgraded WebSocket outlives the HTTP connection's task, so
/// it watches them itself).
#[derive(Clone)]
struct Ends {
    stopped: tokio::sync::watch::Receiver<bool>,
    restarted: tokio::sync::watch::Receiver<u64>,
    /// The connection's place under the listener's cap, given back when
    /// the last holder ends.
    _slot: Arc<tokio::sync::OwnedSemaphorePermit>,
}

impl Ends {
    /// Until the server stops or restarts.
    async fn wait(mut self) {
        tokio::select! {
            _ = self.stopped.changed() => {}
            _ = self.restarted.changed() => {}
        }
    }
}

/// The longest a client may take to send its ClientHello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

async fn serve_connection(
    mut tcp: TcpStream,
    peer: SocketAddr,
    local: SocketAddr,
    p: Arc<Prepared>,
    handler: Handler,
    events: Events,
    ends: Ends,
) {
    let record = |sni: Option<String>, outcome: Outcome| {
        events.record(TlsEvent {
            peer,
            local,
            sni,
            outcome,
        })
    };
    let limits = p.config.limits;
    if p.config.plain_http {
        record(None, Outcome::PlainHttp);
        serve_http(
            hyper_util::rt::TokioIo::new(tcp),
            handler,
            None,
            None,
            limits,
            false,
            ends,
        )
        .await;
        return;
    }
    // Read the ClientHello ourselves, keeping the socket to reset or alert.
    let mut acceptor = rustls::server::Acceptor::default();
    // not zeroed: each read fills what it reports
    let mut buf = Vec::with_capacity(16 * 1024);
    // the ClientHello's bytes, kept (bounded) only where a TLS 1.0/1.1-only
    // binding may need to read them itself
    let keep_hello = p.rustls.iter().any(Option::is_none);
    let mut hello_bytes: Vec<u8> = Vec::new();
    let accepted = loop {
        buf.clear();
        let n = match tokio::time::timeout(HELLO_TIMEOUT, tcp.read_buf(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => {
                record(
                    None,
                    Outcome::Failed {
                        binding: None,
                        error: "closed before a ClientHello".into(),
                    },
                );
                return;
            }
            Ok(Ok(n)) => n,
        };
        if keep_hello && hello_bytes.len() < MAX_HELLO {
            hello_bytes.extend_from_slice(&buf[..n]);
        }
        // rustls takes a few KiB per call: feed it all of what was read
        let mut rest = &buf[..n];
        while !rest.is_empty() {
            match acceptor.read_tls(&mut rest) {
                Ok(0) | Err(_) => {
                    record(None, Outcome::NotTls);
                    return;
                }
                Ok(_) => {}
            }
        }
        match acceptor.accept() {
            Ok(None) => continue,
            Ok(Some(a)) => break a,
            Err((e, mut alert)) => {
                // a TLS 1.0/1.1-only client's hello (no signature_algorithms,
                // which rustls requires) for a TLS 1.0/1.1-only binding
                if let Some(hello) = legacy::ClientHelloInfo::parse(&hello_bytes) {
                    if let Some(idx) = p.config.select(hello.sni.as_deref()) {
                        if p.rustls[idx].is_none() {
                            let b = &p.config.bindings[idx];
                            legacy_binding(tcp, b, &hello_bytes, hello.sni.clone(), &record).await;
                            return;
                        }
                    }
                }
                let looks_http = buf[..n]
                    .iter()
                    .take(8)
                    .all(|b| b.is_ascii_uppercase() || *b == b' ' || *b == b'/');
                let mut out = Vec::new();
                let _ = alert.write_all(&mut out);
                let _ = tcp.write_all(&out).await;
                if looks_http || matches!(e, rustls::Error::InvalidMessage(_)) {
                    record(None, Outcome::NotTls);
                } else {
                    record(
                        None,
                        Outcome::Failed {
                            binding: None,
                            error: e.to_string(),
                        },
                    );
                }
                return;
            }
        }
    };
    let sni = accepted.client_hello().server_name().map(str::to_string);
    let Some(idx) = p.config.select(sni.as_deref()) else {
        match p.config.no_match {
            NoMatch::Reset => {
                let _ = tcp.set_zero_linger();
            }
            NoMatch::Close => {
                let _ = tcp.shutdown().await;
            }
            NoMatch::Alert(code) => {
                send_alert(&mut tcp, 0x0303, code).await;
            }
        }
        record(sni, Outcome::NoBinding(p.config.no_match));
        return;
    };
    let binding = &p.config.bindings[idx];
    let Some(cfg) = p.rustls[idx].clone() else {
        legacy_binding(tcp, binding, &hello_bytes, sni, &record).await;
        return;
    };
    let start = tokio_rustls::StartHandshake::from_parts(accepted, tcp);
    let tls = match tokio::time::timeout(HELLO_TIMEOUT, start.into_stream(cfg)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            record(
                sni,
                Outcome::Failed {
                    binding: Some(binding.name.clone()),
                    error: e.to_string(),
                },
            );
            return;
        }
        Err(_) => {
            record(
                sni,
                Outcome::Failed {
                    binding: Some(binding.name.clone()),
                    error: "handshake timed out".into(),
                },
            );
            return;
        }
    };
    let (_, conn) = tls.get_ref();
    let version = conn
        .protocol_version()
        .map(|v| format!("{v:?}"))
        .unwrap_or_default();
    let cipher_suite = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_default();
    record(
        sni.clone(),
        Outcome::Completed {
            binding: binding.name.clone(),
            version,
            cipher_suite,
            chain_sent: p.fingerprints[idx].clone(),
        },
    );
    let http2 = conn.alpn_protocol() == Some(b"h2");
    serve_http(
        hyper_util::rt::TokioIo::new(tls),
        handler,
        sni,
        Some(binding.name.clone()),
        limits,
        http2,
        ends,
    )
    .await;
}

/// A fatal alert `code` in a record of wire version `version` (errors of
/// the write are the peer's problem: the connection ends anyway).
async fn send_alert(tcp: &mut TcpStream, version: u16, code: u8) {
    let v = version.to_be_bytes();
    let _ = tcp
        .write_all(&[0x15, v[0], v[1], 0x00, 0x02, 0x02, code])
        .await;
}

/// The most of a ClientHello kept for a TLS 1.0/1.1-only binding.
const MAX_HELLO: usize = 64 * 1024;

/// A TLS 1.0/1.1-only binding ([`legacy`]): the version's first flight to a
/// client that offers it, `protocol_version` (70) to one that does not
/// (`handshake_failure`, 40, when no ECDHE-RSA suite or no RSA key allows
/// the flight); then the client's answer is awaited and the connection closed.
async fn legacy_binding(
    mut tcp: TcpStream,
    binding: &Binding,
    hello_bytes: &[u8],
    sni: Option<String>,
    record: &impl Fn(Option<String>, Outcome),
) {
    let accepted: Vec<u16> = binding
        .versions
        .iter()
        .filter_map(|v| match v {
            TlsVersion::Tls10 => Some(legacy::TLS10),
            TlsVersion::Tls11 => Some(legacy::TLS11),
            _ => None,
        })
        .collect();
    let hello = legacy::ClientHelloInfo::parse(hello_bytes);
    let Some((version, hello)) = hello
        .as_ref()
        .and_then(|h| Some((h.best_of(&accepted)?, h)))
    else {
        // record version 0x0303, as `openssl s_server -tls1` sends it to a
        // client that offers TLS 1.2/1.3 (with 0x0301 OpenSSL's clients
        // would report "unsupported protocol" instead of the alert)
        send_alert(&mut tcp, 0x0303, 70).await;
        record(
            sni,
            Outcome::ProtocolVersionAlert {
                binding: binding.name.clone(),
            },
        );
        return;
    };
    let Some(flight) = legacy::server_flight(version, hello, &binding.chain, &binding.key) else {
        send_alert(&mut tcp, version, 40).await;
        record(
            sni,
            Outcome::Failed {
                binding: Some(binding.name.clone()),
                error: "no ECDHE-RSA cipher suite or RSA key for TLS 1.0/1.1".into(),
            },
        );
        return;
    };
    let _ = tcp.write_all(&flight).await;
    let mut answer = [0u8; 7];
    let client = match tokio::time::timeout(HELLO_TIMEOUT, tcp.read(&mut answer)).await {
        Ok(Ok(n)) if n >= 7 && answer[0] == 21 => {
            format!("alert {}", crate::personality::alert_name(answer[6]))
        }
        Ok(Ok(0)) | Ok(Err(_)) => "closed".into(),
        Ok(Ok(_)) => "went on (not served: closed)".into(),
        Err(_) => "no answer".into(),
    };
    record(
        sni,
        Outcome::LegacyFlight {
            binding: binding.name.clone(),
            version: if version == legacy::TLS10 {
                "TLSv1_0"
            } else {
                "TLSv1_1"
            }
            .into(),
            client,
        },
    );
}

async fn serve_http<IO>(
    io: hyper_util::rt::TokioIo<IO>,
    handler: Handler,
    sni: Option<String>,
    binding: Option<String>,
    limits: Limits,
    http2: bool,
    ends: Ends,
) where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let handler = handler.clone();
        let sni = sni.clone();
        let binding = binding.clone();
        let ends = ends.clone();
        // taken now, used only if the handler accepts a WebSocket
        let upgrade = hyper::upgrade::on(&mut req);
        async move {
            use http_body_util::BodyExt;
            let (parts, body) = req.into_parts();
            // bounded: a peer cannot make the server buffer without limit,
            // and a handler never sees a truncated body
            let declared = parts
                .headers
                .get(hyper::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > limits.max_body as u64) {
                return Ok(body_refused(413));
            }
            let limited = http_body_util::Limited::new(body, limits.max_body);
            let body = match limited.collect().await {
                Ok(b) => b.to_bytes().to_vec(),
                Err(e) if e.is::<http_body_util::LengthLimitError>() => {
                    return Ok(body_refused(413))
                }
                // broken chunked framing, a body cut short
                Err(_) => return Ok(body_refused(400)),
            };
            let headers = parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect::<Vec<_>>();
            // HTTP/2 carries the host as the `:authority`
            let host = parts
                .headers
                .get(hyper::header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_string)
                .or_else(|| parts.uri.authority().map(|a| a.to_string()));
            let http2 = parts.version == hyper::Version::HTTP_2;
            let r = handler(HttpRequest {
                method: parts.method.to_string(),
                path: parts.uri.path().to_string(),
                query: parts.uri.query().unwrap_or_default().to_string(),
                host,
                headers,
                body,
                sni,
                binding,
                http2,
            })
            .await;
            if r.status == RESET {
                return Err(Reset);
            }
            if r.status == 101 {
                return Ok(websocket_upgrade(
                    &parts.headers,
                    http2,
                    upgrade,
                    r.body,
                    limits,
                    ends,
                ));
            }
            let mut resp = hyper::Response::builder().status(r.status);
            for (k, v) in &r.headers {
                resp = resp.header(k, v);
            }
            Ok::<_, Reset>(
                resp.body(Full::new(Bytes::from(r.body)))
                    .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new()))),
            )
        }
    });
    if http2 {
        // bounded: streams at once, header block, what is buffered per stream
        let _ = hyper::server::conn::http2::Builder::new(hyper_util::rt::TokioExecutor::new())
            .timer(hyper_util::rt::TokioTimer::new())
            .max_concurrent_streams(100)
            .max_header_list_size(64 * 1024)
            .max_send_buf_size(256 * 1024)
            .keep_alive_interval(Some(limits.header_timeout))
            .keep_alive_timeout(limits.header_timeout)
            .serve_connection(io, service)
            .await;
        return;
    }
    // header names as IIS writes them (`Content-Type`, `Date`, `Server`);
    // the header wait covers the first request and each kept-alive one
    let _ = hyper::server::conn::http1::Builder::new()
        .title_case_headers(true)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(io, service)
        .with_upgrades()
        .await;
}

/// The answer to a handler's [`HttpResponse::websocket`]: 101 and the
/// session on the upgraded connection (spawned), or 400 when the request
/// is no WebSocket handshake (or came over HTTP/2, which needs RFC 8441).
fn websocket_upgrade(
    headers: &hyper::HeaderMap,
    http2: bool,
    upgrade: hyper::upgrade::OnUpgrade,
    first: Vec<u8>,
    limits: Limits,
    ends: Ends,
) -> hyper::Response<Full<Bytes>> {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let asks = value("upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    let (Some(key), true, false) = (value("sec-websocket-key"), asks, http2) else {
        return body_refused(400);
    };
    let accept = websocket_accept(key);
    tokio::spawn(async move {
        if let Ok(up) = upgrade.await {
            tokio::select! {
                _ = websocket_session(hyper_util::rt::TokioIo::new(up), first, limits) => {}
                _ = ends.wait() => {}
            }
        }
    });
    hyper::Response::builder()
        .status(101)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Accept", accept)
        .body(Full::new(Bytes::new()))
        .unwrap_or_else(|_| body_refused(400))
}

/// A server's side of a WebSocket: `first` as a text frame, then the
/// client's frames read and dropped (bounded: at most 1 MiB in all) until
/// it closes, sends a close (answered), or is idle for the header timeout.
async fn websocket_session<IO>(mut io: IO, first: Vec<u8>, limits: Limits)
where
    IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut frame = vec![0x81u8]; // FIN, text
    match first.len() {
        n @ 0..=125 => frame.push(n as u8),
        n @ 126..=0xffff => {
            frame.push(126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&first);
    if io.write_all(&frame).await.is_err() {
        return;
    }
    let mut seen = 0usize;
    let mut buf = [0u8; 4096];
    while seen < 1 << 20 {
        match tokio::time::timeout(limits.header_timeout, io.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => {
                seen += n;
                // a close frame (opcode 8) is answered with a close
                if buf[0] & 0x0f == 0x8 {
                    let _ = io.write_all(&[0x88, 0x00]).await;
                    break;
                }
            }
            _ => break,
        }
    }
    let _ = io.shutdown().await;
}

/// The answer to a body the server will not read (413) or could not (400):
/// the connection closes after it.
fn body_refused(status: u16) -> hyper::Response<Full<Bytes>> {
    let text = if status == 413 {
        "Request Entity Too Large\n"
    } else {
        "Bad Request\n"
    };
    hyper::Response::builder()
        .status(status)
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Connection", "close")
        .body(Full::new(Bytes::from_static(text.as_bytes())))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
}

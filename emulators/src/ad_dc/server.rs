//! The network side: one listener per port kind (389, 636, 3268, 3269),
//! LDAP messages framed by `ldap3_proto`'s `LdapCodec` (lber BER) inside
//! tokio-util's `Framed`, StartTLS upgrading a connection in place, LDAPS on
//! rustls, and the per-operation rules of AD: binds and their `80090308`
//! texts, LDAP signing enforcement (KB4520412, F15), anonymous operations
//! refused (F16), a read-only directory.
//!
//! A bad peer never takes the server down: a PDU larger than
//! MaxReceiveBuffer, nested deeper than the limit or not BER at all ends
//! that connection only (after an RFC 4511 §4.4.1 Notice of Disconnection),
//! and nothing a peer sends is unwrapped.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use ldap3_proto::control::LdapControl;
use ldap3_proto::proto::{
    LdapBindCred, LdapBindResponse, LdapExtendedResponse, LdapMsg, LdapOp, LdapResult,
    LdapResultCode, LdapSearchResultReference,
};
use ldap3_proto::LdapCodec;
use rustls::ServerConfig;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_util::codec::{Decoder, Encoder, Framed};

use super::directory::{BindFault, Directory, DirectoryError};
use super::dn::Dn;
use super::search::{self, result, SearchCtx};
use super::texts::{self, AdVersion};
use crate::clock::Clock;
use crate::pki::{Certificate, KeyPair};
use crate::tls::TlsVersion;

/// The four LDAP ports of a DC that is also a global catalog
/// (docs/requirements.md §1; [ECE] 2.2: "GC ports 3268 / 3269").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PortKind {
    /// 389: domain LDAP, clear text (StartTLS available).
    Ldap,
    /// 636: domain LDAP over TLS.
    Ldaps,
    /// 3268: global catalog, clear text (StartTLS available).
    Gc,
    /// 3269: global catalog over TLS.
    GcSsl,
}

impl PortKind {
    /// Every port kind, in port-number order (389, 636, 3268, 3269).
    pub const ALL: [PortKind; 4] = [
        PortKind::Ldap,
        PortKind::Ldaps,
        PortKind::Gc,
        PortKind::GcSsl,
    ];

    /// The port a real DC listens on.
    pub fn default_port(self) -> u16 {
        match self {
            PortKind::Ldap => 389,
            PortKind::Ldaps => 636,
            PortKind::Gc => 3268,
            PortKind::GcSsl => 3269,
        }
    }

    /// A global-catalog port.
    pub fn is_gc(self) -> bool {
        matches!(self, PortKind::Gc | PortKind::GcSsl)
    }

    /// TLS from the first byte (LDAPS).
    pub fn implicit_tls(self) -> bool {
        matches!(self, PortKind::Ldaps | PortKind::GcSsl)
    }

    /// The URL scheme clients use for it.
    pub fn scheme(self) -> &'static str {
        if self.implicit_tls() {
            "ldaps"
        } else {
            "ldap"
        }
    }
}

impl std::fmt::Display for PortKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PortKind::Ldap => "LDAP (389)",
            PortKind::Ldaps => "LDAPS (636)",
            PortKind::Gc => "GC (3268)",
            PortKind::GcSsl => "GC over TLS (3269)",
        })
    }
}

/// The DC's knobs. Changes apply to the next operation on every connection,
/// except the framing limits (`max_receive_buffer`, `max_ber_depth`), which a
/// connection takes when it opens.
#[derive(Clone, Debug)]
pub struct Policy {
    /// "Domain controller: LDAP server signing requirements" = Require signing
    /// (registry LDAPServerIntegrity=2; KB4520412): simple binds on 389/3268
    /// without TLS get strongerAuthRequired (F15). Default: off (the
    /// Windows default, "None").
    pub require_signing: bool,
    /// dSHeuristics fLDAPBlockAnonOps = 0: anonymous connections may search.
    /// Default: off — AD refuses everything but RootDSE reads and binds (F16).
    pub allow_anonymous: bool,
    /// What a simple bind with a name that is no account reports: 52e in most
    /// builds and configurations, 525 in some (research §1).
    pub unknown_user: BindFault,
    /// The Windows Server build emulated: its `vXXXX` suffix and DSIDs in
    /// diagnostic messages.
    pub version: AdVersion,
    /// MaxReceiveBuffer: the largest LDAP message accepted (AD: 10,485,760 bytes).
    pub max_receive_buffer: usize,
    /// The deepest BER nesting accepted.
    pub max_ber_depth: usize,
    /// MaxPageSize: entries per search without paging (AD: 1000).
    pub max_page_size: usize,
    /// MaxConnIdleTime (AD: 900 s).
    pub max_conn_idle: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            require_signing: false,
            allow_anonymous: false,
            unknown_user: BindFault::LogonFailure,
            version: AdVersion::default(),
            max_receive_buffer: 10 * 1024 * 1024,
            max_ber_depth: 64,
            max_page_size: 1000,
            max_conn_idle: Duration::from_secs(900),
        }
    }
}

/// One operation, for logs and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdEvent {
    /// The client's address.
    pub peer: SocketAddr,
    /// The listener's address the client connected to.
    pub local: SocketAddr,
    /// Which of the DC's ports served it.
    pub port: PortKind,
    /// TLS active (LDAPS, or after StartTLS).
    pub tls: bool,
    /// `bind`, `search`, `compare`, `add`, `modify`, `delete`, `modrdn`,
    /// `extended`, `unbind`, `tls-handshake`, `malformed`, `idle-timeout`.
    pub op: String,
    /// The bind name, search base, compared DN or extended-operation OID.
    pub target: String,
    /// The LDAP result code sent (None when nothing was answered).
    pub code: Option<u32>,
    /// The diagnostic message without its trailing NUL, or what went wrong.
    pub message: String,
}

impl crate::events::Weigh for AdEvent {
    fn weight(&self) -> usize {
        96 + self.op.len() + self.target.len() + self.message.len()
    }
}

/// The event log of a DC (see [`crate::events`]).
pub type AdEvents = crate::events::EventLog<AdEvent>;

/// Errors starting a listener or building its TLS configuration.
#[derive(Debug, thiserror::Error)]
pub enum AdError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: io::Error,
    },
    /// The address is not a loopback address (ccelab never serves LDAP
    /// beyond the machine).
    #[error("{addr} is not a loopback address: ccelab's servers bind 127.0.0.0/8 or ::1 only (or, in a host's container, its own address)")]
    NotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
    /// An LDAPS port (636, 3269) asked of a DC configured without a TLS certificate.
    #[error("{kind} needs the DC's TLS certificate (none was configured)")]
    NoTls {
        /// The port kind asked for.
        kind: PortKind,
    },
    /// The DC's certificate, key or TLS versions cannot make a rustls
    /// server configuration.
    #[error("TLS configuration: {0}")]
    Tls(String),
    /// The directory could not be built or loaded.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
}

/// A rustls server configuration for the DC's certificate: leaf first, then
/// intermediates; `versions` among TLS 1.2 and 1.3 (Windows Server 2016 and
/// 2019 serve LDAPS with TLS 1.2 at most; 2022 adds TLS 1.3).
pub fn server_tls_config(
    chain: &[Certificate],
    key: &KeyPair,
    versions: &[TlsVersion],
) -> Result<Arc<ServerConfig>, AdError> {
    let mut vs: Vec<&'static rustls::SupportedProtocolVersion> = Vec::new();
    if versions.contains(&TlsVersion::Tls13) {
        vs.push(&rustls::version::TLS13);
    }
    if versions.contains(&TlsVersion::Tls12) {
        vs.push(&rustls::version::TLS12);
    }
    if vs.is_empty() {
        return Err(AdError::Tls("LDAPS needs TLS 1.2 and/or TLS 1.3".into()));
    }
    // crate::tls::certified_key signs with aws-lc, or through the project's
    // own signer for the RSA-1024 keys aws-lc refuses
    let ck = crate::tls::certified_key(chain, key).map_err(|e| AdError::Tls(e.to_string()))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let cfg = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&vs)
        .map_err(|e| AdError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(FixedCert(ck)));
    Ok(Arc::new(cfg))
}

#[derive(Debug)]
struct FixedCert(Arc<rustls::sign::CertifiedKey>);

impl rustls::server::ResolvesServerCert for FixedCert {
    fn resolve(
        &self,
        _: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// Options of a [`DomainController`] (default: no TLS, the default
/// [`Policy`], the system clock).
#[derive(Clone, Debug, Default)]
pub struct DcOptions {
    /// The DC's certificate for 636/3269 and StartTLS (None: LDAPS ports
    /// cannot start and StartTLS answers `unavailable`).
    pub tls: Option<Arc<ServerConfig>>,
    /// The initial knobs (see [`DomainController::update_policy`]).
    pub policy: Policy,
    /// `currentTime` of the RootDSE.
    pub clock: Clock,
}

/// An Active Directory domain controller that is also a global catalog:
/// the directory, its knobs and its event log, shared by its listeners.
pub struct DomainController {
    directory: RwLock<Directory>,
    policy: RwLock<Policy>,
    tls: Option<Arc<ServerConfig>>,
    clock: Clock,
    events: AdEvents,
    /// Connections served at once on all its ports ([`MAX_CONNECTIONS`]).
    slots: Arc<tokio::sync::Semaphore>,
}

/// LDAP connections a DC serves at once over all its ports: AD's LDAP
/// policy `MaxConnections` (default 5000). One more is closed as it is accepted.
pub const MAX_CONNECTIONS: usize = 5000;

impl std::fmt::Debug for DomainController {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DomainController")
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl DomainController {
    /// A DC serving `directory` with `options`; it listens on nothing until
    /// [`DomainController::listen`].
    pub fn new(directory: Directory, options: DcOptions) -> Arc<Self> {
        Arc::new(DomainController {
            directory: RwLock::new(directory),
            policy: RwLock::new(options.policy),
            tls: options.tls,
            clock: options.clock,
            events: AdEvents::default(),
            slots: Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS)),
        })
    }

    /// A copy of the current knobs.
    pub fn policy(&self) -> Policy {
        self.policy
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Changes knobs (e.g. `dc.update_policy(|p| p.require_signing = true)`).
    pub fn update_policy(&self, f: impl FnOnce(&mut Policy)) {
        f(&mut self.policy.write().unwrap_or_else(|p| p.into_inner()))
    }

    /// Reads the directory.
    pub fn with_directory<R>(&self, f: impl FnOnce(&Directory) -> R) -> R {
        f(&self.directory.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Changes the directory (passwords, bind faults, LDIF).
    pub fn update_directory<R>(&self, f: impl FnOnce(&mut Directory) -> R) -> R {
        f(&mut self.directory.write().unwrap_or_else(|p| p.into_inner()))
    }

    /// The DC's event log: an [`AdEvent`] for every operation (and TLS
    /// handshake, malformed message or idle timeout) on any of its ports.
    pub fn events(&self) -> &AdEvents {
        &self.events
    }

    /// Starts serving `kind` on `addr` (a loopback address; port 0 for an
    /// ephemeral one).
    pub async fn listen(
        self: &Arc<Self>,
        addr: SocketAddr,
        kind: PortKind,
    ) -> Result<AdListener, AdError> {
        if !crate::net::may_bind(addr.ip()) {
            return Err(AdError::NotLoopback { addr });
        }
        if kind.implicit_tls() && self.tls.is_none() {
            return Err(AdError::NoTls { kind });
        }
        let dc = self.clone();
        let acceptor = crate::net::Acceptor::bind(addr, move |tcp, peer, stop| {
            let Ok(permit) = dc.slots.clone().try_acquire_owned() else {
                let _ = tcp.set_zero_linger();
                return;
            };
            let dc = dc.clone();
            tokio::spawn(async move {
                let local = tcp.local_addr().unwrap_or(addr);
                let mut c = Connection::new(dc, peer, local, kind, stop);
                c.serve(tcp).await;
                drop(permit);
            });
        })
        .await
        .map_err(|source| AdError::Listen { addr, source })?;
        Ok(AdListener { acceptor, kind })
    }
}

/// A running port. Dropping it (or [`AdListener::stop`]) stops accepting and
/// closes its connections.
pub struct AdListener {
    acceptor: crate::net::Acceptor,
    kind: PortKind,
}

impl AdListener {
    /// The address really bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.acceptor.local_addr()
    }

    /// Which of the DC's ports this listener serves.
    pub fn kind(&self) -> PortKind {
        self.kind
    }

    /// Stops accepting, closes open connections, and waits for the accept loop.
    pub async fn stop(self) {
        self.acceptor.stop().await
    }
}

/// The framing codec: checks the outer LDAPMessage header before buffering
/// (so a peer announcing 100 MB is refused at once, not after 20 MB), then
/// hands exactly one message to ldap3_proto's `LdapCodec`.
struct AdCodec {
    inner: LdapCodec,
    max: usize,
}

impl AdCodec {
    fn new(max: usize, depth: usize) -> Self {
        AdCodec {
            inner: LdapCodec::new(Some(max), Some(depth)),
            max,
        }
    }
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

impl Decoder for AdCodec {
    type Item = LdapMsg;
    type Error = io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<LdapMsg>, io::Error> {
        if buf.is_empty() {
            return Ok(None);
        }
        if buf[0] != 0x30 {
            return Err(invalid(format!(
                "not an LDAPMessage (first byte 0x{:02x}, expected a SEQUENCE 0x30)",
                buf[0]
            )));
        }
        if buf.len() < 2 {
            return Ok(None);
        }
        let (header, len) = match buf[1] {
            l if l < 0x80 => (2, l as usize),
            0x80 => return Err(invalid("indefinite BER length")),
            l => {
                let n = (l & 0x7f) as usize;
                if n > 4 {
                    return Err(invalid(format!("BER length of {n} bytes")));
                }
                if buf.len() < 2 + n {
                    return Ok(None);
                }
                let len = buf[2..2 + n]
                    .iter()
                    .fold(0usize, |a, &b| (a << 8) | b as usize);
                (2 + n, len)
            }
        };
        if len > self.max {
            return Err(io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!(
                    "an LDAP message of {len} bytes exceeds MaxReceiveBuffer ({} bytes)",
                    self.max
                ),
            ));
        }
        let total = header + len;
        if buf.len() < total {
            buf.reserve(total - buf.len());
            return Ok(None);
        }
        let mut frame = buf.split_to(total);
        match self.inner.decode(&mut frame)? {
            Some(m) => Ok(Some(m)),
            None => Err(invalid("truncated LDAP message")),
        }
    }
}

impl Encoder<LdapMsg> for AdCodec {
    type Error = io::Error;

    fn encode(&mut self, msg: LdapMsg, buf: &mut BytesMut) -> io::Result<()> {
        self.inner.encode(msg, buf)
    }
}

/// A connection before or after TLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// The longest a client may take over its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// Who a connection is bound as.
#[derive(Clone, Debug)]
struct Bound {
    sam: String,
}

enum Flow {
    Continue,
    Close,
    StartTls,
}

struct Connection {
    dc: Arc<DomainController>,
    peer: SocketAddr,
    local: SocketAddr,
    kind: PortKind,
    tls: bool,
    bound: Option<Bound>,
    stop: watch::Receiver<bool>,
}

fn code_of(c: &LdapResultCode) -> u32 {
    c.clone() as i64 as u32
}

fn visible(msg: &str) -> String {
    msg.trim_end_matches('\0').to_string()
}

impl Connection {
    fn new(
        dc: Arc<DomainController>,
        peer: SocketAddr,
        local: SocketAddr,
        kind: PortKind,
        stop: watch::Receiver<bool>,
    ) -> Self {
        Connection {
            dc,
            peer,
            local,
            kind,
            tls: false,
            bound: None,
            stop,
        }
    }

    fn record(&self, op: &str, target: &str, code: Option<u32>, message: &str) {
        self.dc.events.record(AdEvent {
            peer: self.peer,
            local: self.local,
            port: self.kind,
            tls: self.tls,
            op: op.to_string(),
            // what a peer sent is kept clipped (a 9 MB DN costs 1 KiB)
            target: crate::events::clip(target),
            code,
            message: crate::events::clip(&visible(message)),
        });
    }

    async fn handshake(&mut self, tcp: TcpStream) -> Option<Conn> {
        let cfg = self.dc.tls.clone()?;
        let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
            Ok(Ok(s)) => {
                self.tls = true;
                let (_, c) = s.get_ref();
                let v = c
                    .protocol_version()
                    .map(|v| format!("{v:?}"))
                    .unwrap_or_default();
                self.record("tls-handshake", "", None, &v);
                Some(Conn::Tls(Box::new(s)))
            }
            Ok(Err(e)) => {
                self.record("tls-handshake", "", None, &format!("failed: {e}"));
                None
            }
            Err(_) => {
                self.record("tls-handshake", "", None, "timed out");
                None
            }
        }
    }

    async fn serve(&mut self, tcp: TcpStream) {
        let conn = if self.kind.implicit_tls() {
            match self.handshake(tcp).await {
                Some(c) => c,
                None => return,
            }
        } else {
            Conn::Plain(tcp)
        };
        let policy = self.dc.policy();
        let framed = Framed::new(
            conn,
            AdCodec::new(policy.max_receive_buffer, policy.max_ber_depth),
        );
        let Some(framed) = self.run(framed).await else {
            return;
        };
        // StartTLS: RFC 4511 §4.14.1 — nothing may follow the request before
        // the handshake, so bytes already buffered are a protocol error.
        let parts = framed.into_parts();
        if !parts.read_buf.is_empty() {
            self.record(
                "extended",
                texts::OID_STARTTLS,
                None,
                "data after StartTLS before the TLS handshake: closed",
            );
            return;
        }
        let Conn::Plain(tcp) = parts.io else {
            return;
        };
        let Some(conn) = self.handshake(tcp).await else {
            return;
        };
        let framed = Framed::new(
            conn,
            AdCodec::new(policy.max_receive_buffer, policy.max_ber_depth),
        );
        // a second StartTLS is refused in handle(), so run() returns None here
        let _ = self.run(framed).await;
    }

    /// Serves messages until the connection ends (None) or StartTLS succeeds
    /// (the framed stream is handed back for the handshake).
    async fn run(&mut self, mut framed: Framed<Conn, AdCodec>) -> Option<Framed<Conn, AdCodec>> {
        loop {
            let idle = self.dc.policy().max_conn_idle;
            let next = tokio::select! {
                _ = self.stop.changed() => return None,
                n = tokio::time::timeout(idle, framed.next()) => n,
            };
            let msg = match next {
                Err(_) => {
                    self.record("idle-timeout", "", None, "MaxConnIdleTime reached: closed");
                    return None;
                }
                Ok(None) => return None,
                Ok(Some(Err(e))) => {
                    self.record("malformed", "", Some(2), &e.to_string());
                    let _ = framed.send(notice_of_disconnection()).await;
                    return None;
                }
                Ok(Some(Ok(m))) => m,
            };
            let (replies, flow) = self.handle(msg);
            for r in replies {
                if framed.feed(r).await.is_err() {
                    return None;
                }
            }
            if framed.flush().await.is_err() {
                return None;
            }
            match flow {
                Flow::Continue => {}
                Flow::Close => return None,
                Flow::StartTls => return Some(framed),
            }
        }
    }

    fn reply(&self, msgid: i32, op: LdapOp) -> LdapMsg {
        LdapMsg {
            msgid,
            op,
            ctrl: Vec::new(),
        }
    }

    /// The response to one request, and what the connection does next.
    fn handle(&mut self, msg: LdapMsg) -> (Vec<LdapMsg>, Flow) {
        let policy = self.dc.policy();
        let v = policy.version;
        let id = msg.msgid;
        match msg.op {
            LdapOp::BindRequest(b) => {
                let (res, target) = self.bind(&policy, b.version, &b.dn, &b.cred);
                self.record("bind", &target, Some(code_of(&res.code)), &res.message);
                let op = LdapOp::BindResponse(LdapBindResponse {
                    res,
                    saslcreds: None,
                });
                (vec![self.reply(id, op)], Flow::Continue)
            }
            LdapOp::UnbindRequest => {
                self.record("unbind", "", None, "");
                (Vec::new(), Flow::Close)
            }
            LdapOp::AbandonRequest(_) => {
                // operations are answered in order: there is never one to abandon
                (Vec::new(), Flow::Continue)
            }
            LdapOp::SearchRequest(req) => {
                if let Some(done) = self.critical_controls(&msg.ctrl, v) {
                    self.record(
                        "search",
                        &req.base,
                        Some(code_of(&done.code)),
                        &done.message,
                    );
                    return (
                        vec![self.reply(id, LdapOp::SearchResultDone(done))],
                        Flow::Continue,
                    );
                }
                if self.bound.is_none()
                    && !policy.allow_anonymous
                    && !search::is_root_dse_read(&req)
                    && !search::is_search_from_root(&req, self.kind.is_gc())
                {
                    let done = result(
                        LdapResultCode::OperationsError,
                        "",
                        texts::not_authenticated(v),
                    );
                    self.record("search", &req.base, Some(1), &done.message);
                    return (
                        vec![self.reply(id, LdapOp::SearchResultDone(done))],
                        Flow::Continue,
                    );
                }
                let page = msg.ctrl.iter().find_map(|c| match c {
                    LdapControl::SimplePagedResults { size, cookie } => {
                        Some((*size, cookie.clone()))
                    }
                    _ => None,
                });
                let ctx = SearchCtx {
                    gc: self.kind.is_gc(),
                    scheme: self.kind.scheme(),
                    version: v,
                    max_page_size: policy.max_page_size.max(1),
                    now: self.dc.clock.now(),
                };
                let out = self.dc.with_directory(|d| {
                    search::search(
                        d,
                        &ctx,
                        &req,
                        page.as_ref().map(|(s, c)| (*s, c.as_slice())),
                    )
                });
                self.record(
                    "search",
                    &req.base,
                    Some(code_of(&out.done.code)),
                    &format!(
                        "{} entries, {} references{}",
                        out.entries.len(),
                        out.refs.len(),
                        if out.done.message.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", visible(&out.done.message))
                        }
                    ),
                );
                let mut replies: Vec<LdapMsg> = out
                    .entries
                    .into_iter()
                    .map(|e| self.reply(id, LdapOp::SearchResultEntry(e)))
                    .collect();
                replies.extend(out.refs.into_iter().map(|u| {
                    self.reply(
                        id,
                        LdapOp::SearchResultReference(LdapSearchResultReference { uris: vec![u] }),
                    )
                }));
                let mut done = self.reply(id, LdapOp::SearchResultDone(out.done));
                if let Some(cookie) = out.cookie {
                    done.ctrl
                        .push(LdapControl::SimplePagedResults { size: 0, cookie });
                }
                replies.push(done);
                (replies, Flow::Continue)
            }
            LdapOp::CompareRequest(c) => {
                let res = if self.bound.is_none() && !policy.allow_anonymous {
                    result(
                        LdapResultCode::OperationsError,
                        "",
                        texts::not_authenticated(v),
                    )
                } else {
                    self.compare(&c.dn, &c.atype, &c.val, v)
                };
                self.record("compare", &c.dn, Some(code_of(&res.code)), &res.message);
                (
                    vec![self.reply(id, LdapOp::CompareResult(res))],
                    Flow::Continue,
                )
            }
            LdapOp::AddRequest(r) => self.write_refused(id, "add", &r.dn, v, LdapOp::AddResponse),
            LdapOp::ModifyRequest(r) => {
                self.write_refused(id, "modify", &r.dn, v, LdapOp::ModifyResponse)
            }
            LdapOp::DelRequest(dn) => self.write_refused(id, "delete", &dn, v, LdapOp::DelResponse),
            LdapOp::ModifyDNRequest(r) => {
                self.write_refused(id, "modrdn", &r.dn, v, LdapOp::ModifyDNResponse)
            }
            LdapOp::ExtendedRequest(x) => self.extended(id, &x.name, v),
            other => {
                // a response PDU (or an intermediate response) from a client
                let name = format!("{other:?}");
                let name = name.split('(').next().unwrap_or_default().to_string();
                self.record("malformed", &name, Some(2), "a response sent by the client");
                (vec![notice_of_disconnection()], Flow::Close)
            }
        }
    }

    /// A simple bind (research §1, §3; RFC 4513 §5.1).
    fn bind(
        &mut self,
        policy: &Policy,
        version: i64,
        name: &str,
        cred: &LdapBindCred,
    ) -> (LdapResult, String) {
        let v = policy.version;
        // any bind, even a failed one, leaves the connection anonymous first (RFC 4513 §4)
        self.bound = None;
        if version != 2 && version != 3 {
            return (
                result(LdapResultCode::ProtocolError, "", texts::bad_version(v)),
                name.to_string(),
            );
        }
        let password = match cred {
            LdapBindCred::Simple(p) => p,
            LdapBindCred::SASL(s) => {
                return (
                    result(
                        LdapResultCode::AuthMethodNotSupported,
                        "",
                        texts::auth_method_not_supported(v),
                    ),
                    format!("SASL {}", s.mechanism),
                )
            }
            LdapBindCred::Unsupported => {
                return (
                    result(
                        LdapResultCode::AuthMethodNotSupported,
                        "",
                        texts::auth_method_not_supported(v),
                    ),
                    name.to_string(),
                )
            }
        };
        let cleartext = !self.tls && !self.kind.implicit_tls();
        if password.is_empty() && !(policy.require_signing && cleartext && !name.is_empty()) {
            // anonymous, or an "unauthenticated" bind (a name without a
            // password, RFC 4513 §5.1.2), which AD also treats as anonymous
            // (research §12). With signing required on a clear-text
            // connection only the empty name gets here: the name with an
            // empty password is refused below like any simple bind (decided
            // in research §12 from Microsoft's "rejects simple binds
            // performed over nonencrypted connections" and Samba AD's check
            // order, which tests the name before the password).
            return (
                result(LdapResultCode::Success, "", String::new()),
                name.to_string(),
            );
        }
        if policy.require_signing && cleartext {
            return (
                result(
                    LdapResultCode::StrongerAuthRequired,
                    "",
                    texts::strong_auth_required(v),
                ),
                name.to_string(),
            );
        }
        let outcome = self.dc.with_directory(|d| {
            d.check_simple_bind(name, password, policy.unknown_user)
                .map(|e| e.text("sAMAccountName").unwrap_or_default())
        });
        match outcome {
            Ok(sam) => {
                self.bound = Some(Bound { sam });
                (
                    result(LdapResultCode::Success, "", String::new()),
                    name.to_string(),
                )
            }
            Err(f) => (
                result(
                    LdapResultCode::InvalidCredentials,
                    "",
                    texts::bind_failure(v, f.data_code()),
                ),
                name.to_string(),
            ),
        }
    }

    /// A critical control AD does not list gets unavailableCriticalExtension
    /// (RFC 4511 §4.1.11); non-critical ones — JNDI's ManageDsaIT among
    /// them — are ignored (research §4).
    fn critical_controls(&self, ctrls: &[LdapControl], v: AdVersion) -> Option<LdapResult> {
        for c in ctrls {
            let (oid, critical) = control_info(c);
            if critical && !texts::SUPPORTED_CONTROLS.contains(&oid) {
                return Some(result(
                    LdapResultCode::UnavailableCriticalExtension,
                    "",
                    texts::critical_extension(v, oid),
                ));
            }
        }
        None
    }

    fn compare(&self, dn: &str, attr: &str, value: &[u8], v: AdVersion) -> LdapResult {
        let Ok(parsed) = Dn::parse(dn) else {
            return result(
                LdapResultCode::InvalidDNSyntax,
                "",
                texts::invalid_dn_syntax(v),
            );
        };
        let gc = self.kind.is_gc();
        self.dc.with_directory(|d| match d.entry_by_dn(&parsed) {
            None => {
                let mut best = parsed.parent();
                while let Some(b) = &best {
                    if b.is_root() || d.entry_by_dn(b).is_some() {
                        break;
                    }
                    best = b.parent();
                }
                let m = best
                    .and_then(|b| d.entry_by_dn(&b).map(|e| e.dn().to_string()))
                    .unwrap_or_default();
                result(LdapResultCode::NoSuchObject, &m, texts::no_such_object(&m))
            }
            Some(e) => {
                let held = !gc || texts::in_gc(attr);
                let want = String::from_utf8_lossy(value).to_lowercase();
                let hit = held
                    && e.get(attr).is_some_and(|a| {
                        a.values.iter().any(|x| {
                            x == value || String::from_utf8_lossy(x).to_lowercase() == want
                        })
                    });
                let code = if hit {
                    LdapResultCode::CompareTrue
                } else {
                    LdapResultCode::CompareFalse
                };
                result(code, "", String::new())
            }
        })
    }

    /// The directory is read-only: anonymous writers get `000004DC`, bound
    /// ones `INSUFF_ACCESS_RIGHTS`.
    fn write_refused(
        &self,
        id: i32,
        op: &str,
        dn: &str,
        v: AdVersion,
        wrap: fn(LdapResult) -> LdapOp,
    ) -> (Vec<LdapMsg>, Flow) {
        let res = if self.bound.is_none() {
            result(
                LdapResultCode::OperationsError,
                "",
                texts::not_authenticated(v),
            )
        } else {
            result(
                LdapResultCode::InsufficentAccessRights,
                "",
                texts::insufficient_access(),
            )
        };
        self.record(op, dn, Some(code_of(&res.code)), &res.message);
        (vec![self.reply(id, wrap(res))], Flow::Continue)
    }

    fn extended(&mut self, id: i32, name: &str, v: AdVersion) -> (Vec<LdapMsg>, Flow) {
        let (res, resp_name, value, flow) = match name {
            texts::OID_STARTTLS => {
                if self.tls || self.kind.implicit_tls() {
                    (
                        result(
                            LdapResultCode::OperationsError,
                            "",
                            texts::tls_already_active(v),
                        ),
                        None,
                        None,
                        Flow::Continue,
                    )
                } else if self.dc.tls.is_none() {
                    (
                        result(LdapResultCode::Unavailable, "", texts::tls_unavailable(v)),
                        None,
                        None,
                        Flow::Continue,
                    )
                } else {
                    (
                        result(LdapResultCode::Success, "", String::new()),
                        Some(texts::OID_STARTTLS.to_string()),
                        None,
                        Flow::StartTls,
                    )
                }
            }
            texts::OID_WHOAMI => {
                // MS-ADTS 3.1.1.3.4.2.4: "u:" NetBIOS domain "\" sAMAccountName;
                // the empty string for an anonymous connection
                let authz = match &self.bound {
                    Some(b) => self
                        .dc
                        .with_directory(|d| format!("u:{}\\{}", d.netbios(), b.sam)),
                    None => String::new(),
                };
                (
                    result(LdapResultCode::Success, "", String::new()),
                    None,
                    Some(authz.into_bytes()),
                    Flow::Continue,
                )
            }
            _ => (
                result(
                    LdapResultCode::ProtocolError,
                    "",
                    texts::unknown_extended(v),
                ),
                None,
                None,
                Flow::Continue,
            ),
        };
        self.record("extended", name, Some(code_of(&res.code)), &res.message);
        let op = LdapOp::ExtendedResponse(LdapExtendedResponse {
            res,
            name: resp_name,
            value,
        });
        (vec![self.reply(id, op)], flow)
    }
}

/// The OID and criticality of a request control.
fn control_info(c: &LdapControl) -> (&str, bool) {
    match c {
        LdapControl::SyncRequest { criticality, .. } => ("1.3.6.1.4.1.4203.1.9.1.1", *criticality),
        LdapControl::SyncState { .. } => ("1.3.6.1.4.1.4203.1.9.1.2", false),
        LdapControl::SyncDone { .. } => ("1.3.6.1.4.1.4203.1.9.1.3", false),
        LdapControl::AdDirsync { .. } => ("1.2.840.113556.1.4.841", false),
        LdapControl::SimplePagedResults { .. } => (texts::OID_PAGED_RESULTS, false),
        LdapControl::ManageDsaIT { criticality } => (texts::OID_MANAGE_DSA_IT, *criticality),
        LdapControl::ServerSort { .. } => ("1.2.840.113556.1.4.473", false),
        LdapControl::ServerSortResult { .. } => ("1.2.840.113556.1.4.474", false),
        LdapControl::PasswordPolicyRequest { criticality } => {
            ("1.3.6.1.4.1.42.2.27.8.5.1", *criticality)
        }
        LdapControl::SearchOptions { criticality, .. } => ("1.2.840.113556.1.4.1340", *criticality),
        LdapControl::ShowDeleted { criticality } => ("1.2.840.113556.1.4.417", *criticality),
        LdapControl::SdFlags { criticality, .. } => ("1.2.840.113556.1.4.801", *criticality),
        LdapControl::ExtendedDn { criticality, .. } => ("1.2.840.113556.1.4.529", *criticality),
        LdapControl::Unknown {
            oid, criticality, ..
        } => (oid.as_str(), *criticality),
    }
}

/// RFC 4511 §4.4.1: the unsolicited notification sent before the server
/// closes a connection it cannot go on with (**unverified** for AD: no
/// capture shows whether AD sends it on a malformed PDU; its diagnostic
/// text is left empty).
fn notice_of_disconnection() -> LdapMsg {
    LdapMsg {
        msgid: 0,
        op: LdapOp::ExtendedResponse(LdapExtendedResponse {
            res: result(LdapResultCode::ProtocolError, "", String::new()),
            name: Some(texts::OID_NOTICE_OF_DISCONNECTION.to_string()),
            value: None,
        }),
        ctrl: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_refuses_oversized_and_foreign_pdus_early() {
        let mut c = AdCodec::new(1024, 32);
        let mut b = BytesMut::from(&[0x30u8, 0x84, 0x10, 0, 0, 0][..]);
        assert_eq!(
            c.decode(&mut b).unwrap_err().kind(),
            io::ErrorKind::OutOfMemory
        );
        let mut b = BytesMut::from(&b"GET / HTTP/1.1\r\n"[..]);
        assert_eq!(
            c.decode(&mut b).unwrap_err().kind(),
            io::ErrorKind::InvalidData
        );
        let mut b = BytesMut::from(&[0x30u8, 0x80][..]);
        assert!(c.decode(&mut b).is_err());
        // incomplete: wait
        let mut b = BytesMut::from(&[0x30u8, 0x0c, 0x02][..]);
        assert!(c.decode(&mut b).unwrap().is_none());
        // a whole anonymous bind
        let mut b = BytesMut::from(
            &[
                0x30u8, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80,
                0x00,
            ][..],
        );
        let m = c.decode(&mut b).unwrap().unwrap();
        assert_eq!(m.msgid, 1);
        assert!(b.is_empty());
    }

    #[test]
    fn port_kinds() {
        assert_eq!(PortKind::GcSsl.default_port(), 3269);
        assert!(PortKind::Gc.is_gc() && !PortKind::Ldaps.is_gc());
        assert_eq!(PortKind::Ldaps.scheme(), "ldaps");
    }
}

//! The offloading load balancer's connections to its servers, kept alive
//! and reused between requests as HAProxy's `http-reuse safe` (its default)
//! does: a request takes an idle connection to the server it was sent to,
//! or opens one (TLS, `verify none`, from the load balancer's address); the
//! connection goes back to the pool when the answer has been read, and is
//! closed after [`IDLE_PURGE`] unused (HAProxy's `pool-purge-delay`). A
//! reused connection the server has closed meanwhile is replaced once. Each
//! pool has its own TLS client (its own session cache, as each HAProxy
//! process has).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;

use super::Failure;
use crate::tls::HttpResponse;

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// Idle connections kept per server (more are closed when they come back).
pub const MAX_IDLE_PER_SERVER: usize = 64;

/// How long an idle connection is kept (HAProxy's `pool-purge-delay`, 5 s).
pub const IDLE_PURGE: Duration = Duration::from_secs(5);

/// The largest answer body forwarded (a bigger one is a 502).
pub const MAX_BODY: usize = 1 << 20;

/// Headers that belong to one connection (RFC 9110 §7.6.1), not forwarded.
const HOP_BY_HOP: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "content-length",
];

fn hop(name: &str) -> bool {
    HOP_BY_HOP.iter().any(|h| name.eq_ignore_ascii_case(h))
}

/// The idle connections, by server address, each with when it came back.
#[derive(Default)]
pub struct Pool {
    idle: Mutex<HashMap<SocketAddr, Vec<(Sender, std::time::Instant)>>>,
    tls: std::sync::OnceLock<Option<std::sync::Arc<rustls::ClientConfig>>>,
}

/// One request for a server.
pub struct Forward<'a> {
    /// The load balancer's own address (connections come from it).
    pub source: std::net::Ipv4Addr,
    /// The server.
    pub addr: SocketAddr,
    /// TLS to the server (`ssl verify none`).
    pub tls: bool,
    /// The method.
    pub method: &'a str,
    /// Path and query.
    pub target: &'a str,
    /// The client's headers (lower-case names), cookies already adjusted.
    pub headers: &'a [(String, String)],
    /// The body.
    pub body: &'a [u8],
    /// `timeout connect`.
    pub connect_timeout: Duration,
    /// `timeout server`.
    pub server_timeout: Duration,
}

impl Pool {
    fn take(&self, addr: SocketAddr) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let list = idle.get_mut(&addr)?;
        // newest last: when it has idled too long, so have the others
        while let Some((s, at)) = list.pop() {
            if at.elapsed() >= IDLE_PURGE {
                list.clear();
                return None;
            }
            if !s.is_closed() {
                return Some(s);
            }
        }
        None
    }

    fn give_back(&self, addr: SocketAddr, s: Sender) {
        if s.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        let list = idle.entry(addr).or_default();
        // oldest first: purge only when the oldest has idled too long
        if list
            .first()
            .is_some_and(|(_, at)| at.elapsed() >= IDLE_PURGE)
        {
            list.retain(|(s, at)| !s.is_closed() && at.elapsed() < IDLE_PURGE);
        }
        if list.len() < MAX_IDLE_PER_SERVER {
            list.push((s, std::time::Instant::now()));
        }
    }

    /// A new connection to the server: any failure up to the TLS
    /// handshake's end is a connection failure (retried, redispatched).
    async fn open(&self, f: &Forward<'_>) -> Result<Sender, Failure> {
        let s = super::tcp::connect_from(f.source, f.addr, f.connect_timeout)
            .await
            .map_err(|_| Failure::Connect)?;
        if f.tls {
            let config = self
                .tls
                .get_or_init(crate::personality::capture::unverified_config)
                .clone()
                .ok_or(Failure::Connect)?;
            let peer = rustls::pki_types::ServerName::IpAddress(f.addr.ip().into());
            let tls = tokio::time::timeout(
                f.connect_timeout,
                tokio_rustls::TlsConnector::from(config).connect(peer, s),
            )
            .await
            .map_err(|_| Failure::Connect)?
            .map_err(|_| Failure::Connect)?;
            let (send, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                    .await
                    .map_err(|_| Failure::Connect)?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            Ok(send)
        } else {
            let (send, conn) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(s))
                    .await
                    .map_err(|_| Failure::Connect)?;
            tokio::spawn(async move {
                let _ = conn.await;
            });
            Ok(send)
        }
    }

    /// Sends the request on an idle connection to the server, or a new one.
    pub(super) async fn send(&self, f: &Forward<'_>) -> Result<HttpResponse, Failure> {
        if let Some(s) = self.take(f.addr) {
            match self.exchange(s, f).await {
                Ok(r) => return Ok(r),
                // the server closed the idle connection: once more on a new one
                Err(None) => {}
                Err(Some(e)) => return Err(e),
            }
        }
        let s = self.open(f).await?;
        self.exchange(s, f)
            .await
            .map_err(|e| e.unwrap_or(Failure::Bad))
    }

    /// One exchange: Err(None) when the request could not even be sent.
    async fn exchange(
        &self,
        mut s: Sender,
        f: &Forward<'_>,
    ) -> Result<HttpResponse, Option<Failure>> {
        let mut req = hyper::Request::builder().method(f.method).uri(f.target);
        for (k, v) in f.headers {
            if !hop(k) {
                req = req.header(k.as_str(), v.as_str());
            }
        }
        let req = req
            .body(Full::new(Bytes::copy_from_slice(f.body)))
            .map_err(|_| Some(Failure::Bad))?;
        if s.ready().await.is_err() {
            return Err(None);
        }
        let work = async {
            let resp = match s.send_request(req).await {
                Ok(r) => r,
                Err(e) if e.is_canceled() || e.is_closed() => return Err(None),
                Err(_) => return Err(Some(Failure::Bad)),
            };
            let status = resp.status().as_u16();
            let headers: Vec<(String, String)> = resp
                .headers()
                .iter()
                .filter(|(k, _)| !hop(k.as_str()))
                .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
                .collect();
            let body = Limited::new(resp.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|_| Some(Failure::Bad))?
                .to_bytes()
                .to_vec();
            Ok(HttpResponse {
                status,
                headers,
                body,
            })
        };
        let r = tokio::time::timeout(f.server_timeout, work)
            .await
            .map_err(|_| Some(Failure::Timeout))?;
        if r.is_ok() {
            self.give_back(f.addr, s);
        }
        r
    }
}

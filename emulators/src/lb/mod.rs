//! The network load balancer in front of several ECE web servers
//! (topology.md §1 "Network load balancer (optional)", §3 step 1; F22,
//! F23): an HAProxy-like host whose virtual IP carries the FQDN users,
//! SPOG and the inventory reach ECE by ([ECE] 4.3: the load balancer's URL
//! is the best practice). It reads `/etc/haproxy/haproxy.cfg` ([`config`])
//! when it starts and on each restart (HAProxy's reload) and serves:
//!
//! * `passthrough` and `none` ([`tcp`]): TCP relayed to one web server per
//!   connection, persistence (passthrough only) by the TLS session ID;
//! * `offload`: TLS ends on the VIP with the load balancer's own certificate
//!   (so every ADS must trust its chain), each request goes on over a second
//!   TLS session to a web server (`ssl verify none`), persistence by the
//!   inserted `SERVERID` cookie; round robin per request without it
//!   (checked against HAProxy 2.6: requests on one kept-alive connection
//!   alternate).
//!
//! What the emulator takes from HAProxy's behaviour was checked against
//! the real HAProxy (`harness/tests/lb_haproxy.rs`); ECE's own guides give
//! no load-balancer settings (docs/research/load-balancer.md), so the
//! recipes are HAProxy's documented ones.

pub mod config;
pub mod pool;
pub mod tcp;

use std::any::Any;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub use config::{HaproxyConfig, Layout, LbMode, COOKIE, HAPROXY_CERTS, HAPROXY_CFG};

use crate::host::VirtualDisk;
use crate::network::Network;
use crate::pki::{Certificate, Issued, KeyPair};
use crate::product::{HostCtx, ProductError, ProductFuture, Running, ServiceInfo};
use crate::tls::{
    async_handler, Binding, HttpRequest, HttpResponse, Limits, SiteConfig, TlsServer,
};

/// `[lb]` of a topology file: the load balancer in front of the ECE web
/// servers.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LbSection {
    /// `offload` (default), `passthrough` or `none` (F23).
    pub mode: Option<LbMode>,
    /// Offload: insert the `SERVERID` cookie (default true; F23 when false).
    pub cookie: Option<bool>,
    /// Passthrough: the SSL session-ID stick table (default true; F23 when false).
    pub stick: Option<bool>,
    /// `timeout connect` in HAProxy's time format (`5s`, the default;
    /// `200ms`): also the turn-around before each retry of a server that
    /// refused, min(it, 1 s).
    pub timeout_connect: Option<String>,
}

/// HAProxy's answer when no server can take a request (its built-in 503 page).
pub const NO_SERVER_PAGE: &str = "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n";

/// HAProxy's answer when a server failed to answer properly (its built-in 502 page).
pub const BAD_GATEWAY_PAGE: &str = "<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n";

/// Writes the load balancer's disk: `haproxy.cfg` for the layout and, in
/// offload, the VIP's certificate file (leaf, chain, key in one PEM, as
/// HAProxy's `crt` reads it).
pub fn write_disk(
    host: &str,
    disk: &VirtualDisk,
    layout: &Layout<'_>,
    certificate: Option<&Issued>,
) -> Result<(), ProductError> {
    let bad = |e: &dyn std::fmt::Display| ProductError::new(host, e);
    let cfg = disk.path(HAPROXY_CFG).map_err(|e| bad(&e))?;
    if let Some(dir) = cfg.parent() {
        crate::product::make_dir(host, dir)?;
    }
    crate::product::write_file(host, &cfg, config::write(layout).as_bytes())?;
    if let Some(issued) = certificate {
        let crt = disk
            .path(&config::crt_path(layout.vip_fqdn))
            .map_err(|e| bad(&e))?;
        if let Some(dir) = crt.parent() {
            crate::product::make_dir(host, dir)?;
        }
        let mut pem: String = issued.chain().iter().map(Certificate::to_pem).collect();
        pem.push_str(&issued.key.to_pkcs8_pem());
        crate::product::write_file(host, &crt, pem.as_bytes())?;
    }
    Ok(())
}

/// HAProxy's answer when a server did not answer within `timeout server`.
pub const GATEWAY_TIMEOUT_PAGE: &str = "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n";

/// How many accepted connections wait for a `maxconn` slot (HAProxy stops
/// accepting at `maxconn`: clients wait in the kernel's backlog, bounded by
/// `somaxconn`, 4096 on Linux; beyond it they are closed).
pub const ACCEPT_BACKLOG: usize = 4096;

/// The routing decisions the load balancer made, numbered (what HAProxy's
/// log line says as `ece_vip ece_web/eceweb1`), bounded in count.
#[derive(Default)]
pub struct Routes {
    next: std::sync::atomic::AtomicU64,
    log: Mutex<std::collections::VecDeque<(u64, String)>>,
}

/// The most routing decisions kept.
pub const MAX_ROUTES: usize = 4096;

impl Routes {
    fn record(&self, server: &str) {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let mut log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.push_back((n, server.to_string()));
        while log.len() > MAX_ROUTES {
            log.pop_front();
        }
    }

    /// Where the log stands now.
    pub fn mark(&self) -> u64 {
        self.next.load(Ordering::SeqCst)
    }

    /// The servers chosen from mark `from` up to mark `to`, in order.
    pub fn between(&self, from: u64, to: u64) -> Vec<String> {
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(n, _)| *n >= from && *n < to)
            .map(|(_, s)| s.clone())
            .collect()
    }
}

/// The backend as the running load balancer uses it: the configuration,
/// where it connects from, round robin's position, the servers in
/// maintenance, the stick table, the kept-alive server connections, and
/// the `maxconn` slots. A reload makes a new one; connections and requests
/// read the current one.
pub struct Backend {
    /// What `haproxy.cfg` said at the last (re)start.
    pub config: HaproxyConfig,
    network: Arc<dyn Network>,
    /// The load balancer's own address (connections to servers come from it).
    source: std::net::Ipv4Addr,
    rr: AtomicUsize,
    maint: Arc<Mutex<HashSet<String>>>,
    /// The session IDs learnt (passthrough).
    table: Option<Arc<Mutex<tcp::StickTable>>>,
    /// Kept-alive connections to the servers (offload).
    pool: pool::Pool,
    /// `maxconn` slots, and the accepted connections waiting for one.
    slots: Arc<tokio::sync::Semaphore>,
    backlog: Arc<tokio::sync::Semaphore>,
    routes: Arc<Routes>,
}

/// Why a server could not be used for a connection or a request.
pub(crate) enum Failure {
    /// No connection (refused, unreachable, `timeout connect`, or the TLS
    /// handshake to the server failed): retried, then redispatched.
    Connect,
    /// No answer within `timeout server` (offload: 504).
    Timeout,
    /// An answer HAProxy could not use (offload: 502).
    Bad,
}

impl Backend {
    fn in_maint(&self, i: usize) -> bool {
        let s = &self.config.servers[i];
        s.disabled
            || self
                .maint
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&s.name)
    }

    /// The next server of round robin that is not in maintenance.
    fn next_rr(&self) -> Option<usize> {
        let n = self.config.servers.len();
        (0..n)
            .map(|_| self.rr.fetch_add(1, Ordering::Relaxed) % n)
            .find(|i| !self.in_maint(*i))
    }

    fn endpoint(&self, i: usize) -> Option<SocketAddr> {
        let s = &self.config.servers[i];
        self.network.endpoint(&s.host, s.port).ok()
    }

    /// The server to use first: the persistent one (when usable), else round robin.
    fn first(&self, stuck: Option<usize>) -> Option<usize> {
        stuck
            .filter(|i| *i < self.config.servers.len() && !self.in_maint(*i))
            .or_else(|| self.next_rr())
    }

    /// Tries `attempt` on the server chosen (persistent or round robin) as
    /// HAProxy does on a connection failure: `retries` more tries, each after
    /// a turn-around of min(`timeout connect`, 1 s); with `option
    /// redispatch` the last one goes to another server. The server used and
    /// its answer, or the last failure.
    async fn with_retries<T, F, Fut>(
        &self,
        stuck: Option<usize>,
        attempt: F,
    ) -> Result<(usize, T), Failure>
    where
        F: Fn(usize) -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>>,
    {
        let Some(mut i) = self.first(stuck) else {
            return Err(Failure::Connect);
        };
        let turn = self
            .config
            .timeout_connect
            .min(std::time::Duration::from_secs(1));
        let mut tries_left = self.config.retries;
        loop {
            match attempt(i).await {
                Ok(v) => {
                    self.routes.record(&self.config.servers[i].name);
                    return Ok((i, v));
                }
                Err(Failure::Connect) if tries_left > 0 => {
                    tries_left -= 1;
                    tokio::time::sleep(turn).await;
                    if tries_left == 0 && self.config.redispatch {
                        if let Some(other) = self.next_rr().filter(|o| *o != i) {
                            i = other;
                        }
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A TCP connection to a server (passthrough, none).
    async fn connect(&self, stuck: Option<usize>) -> Option<(usize, tokio::net::TcpStream)> {
        self.with_retries(stuck, |i| async move {
            let addr = self.endpoint(i).ok_or(Failure::Connect)?;
            tcp::connect_from(self.source, addr, self.config.timeout_connect)
                .await
                .map_err(|_| Failure::Connect)
        })
        .await
        .ok()
    }
}

/// The value of cookie `name` in a request's `Cookie` headers, and the
/// header with that cookie removed (`indirect`: the server never sees it).
fn take_cookie(headers: &mut Vec<(String, String)>, name: &str) -> Option<String> {
    let mut found = None;
    for (k, v) in headers.iter_mut() {
        if !k.eq_ignore_ascii_case("cookie") {
            continue;
        }
        let mut kept = Vec::new();
        for part in v.split(';') {
            match part.trim().split_once('=') {
                Some((n, val)) if n == name => {
                    found.get_or_insert_with(|| val.to_string());
                }
                _ if part.trim().is_empty() => {}
                _ => kept.push(part.trim().to_string()),
            }
        }
        *v = kept.join("; ");
    }
    headers.retain(|(k, v)| !(k.eq_ignore_ascii_case("cookie") && v.is_empty()));
    found
}

/// One of HAProxy's own error pages.
fn haproxy_page(status: u16, page: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![
            ("content-type".into(), "text/html".into()),
            ("cache-control".into(), "no-cache".into()),
        ],
        body: page.as_bytes().to_vec(),
    }
}

/// One request in offload mode, with the configuration current when it
/// arrives: the server named by the persistence cookie (when it is
/// usable), else round robin; forwarded over a kept-alive connection; the
/// cookie inserted when the server was not chosen by it. A server that
/// cannot be reached is retried and redispatched; none: 503; no answer in
/// time: 504; an unusable answer: 502 (HAProxy's pages).
async fn offload(current: Current, r: HttpRequest) -> HttpResponse {
    let Some(be) = current.read().unwrap_or_else(|e| e.into_inner()).clone() else {
        return haproxy_page(503, NO_SERVER_PAGE);
    };
    let c = &be.config;
    let mut headers = r.headers.clone();
    let by_cookie = c.cookie.as_ref().and_then(|name| {
        let v = take_cookie(&mut headers, name)?;
        c.servers
            .iter()
            .position(|s| s.cookie.as_deref() == Some(&v))
    });
    let target = if r.query.is_empty() {
        r.path.clone()
    } else {
        format!("{}?{}", r.path, r.query)
    };
    if let Some(h) = r.host.as_ref().filter(|h| !h.is_empty()) {
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            headers.push(("host".into(), h.clone()));
        }
    }
    let sent = be
        .with_retries(by_cookie, |i| {
            let (be, headers, target, r) = (&be, &headers, &target, &r);
            async move {
                let addr = be.endpoint(i).ok_or(Failure::Connect)?;
                be.pool
                    .send(&pool::Forward {
                        source: be.source,
                        addr,
                        tls: be.config.servers[i].ssl,
                        method: &r.method,
                        target,
                        headers,
                        body: &r.body,
                        connect_timeout: be.config.timeout_connect,
                        server_timeout: be.config.timeout_server,
                    })
                    .await
            }
        })
        .await;
    match sent {
        Ok((i, mut resp)) => {
            let s = &c.servers[i];
            if let (Some(name), Some(value), false) = (&c.cookie, &s.cookie, by_cookie == Some(i)) {
                resp.headers
                    .push(("set-cookie".into(), format!("{name}={value}; path=/")));
            }
            resp
        }
        Err(Failure::Connect) => haproxy_page(503, NO_SERVER_PAGE),
        Err(Failure::Timeout) => haproxy_page(504, GATEWAY_TIMEOUT_PAGE),
        Err(Failure::Bad) => haproxy_page(502, BAD_GATEWAY_PAGE),
    }
}

/// The configuration new connections and requests use.
type Current = Arc<std::sync::RwLock<Option<Arc<Backend>>>>;

enum Serving {
    Tcp(crate::net::Acceptor, u16),
    Http(TlsServer, u16),
}

/// The running load balancer.
pub struct RunningLb {
    ctx: HostCtx,
    serving: tokio::sync::Mutex<Option<Serving>>,
    /// Servers put in maintenance through the runtime API (a reload
    /// forgets them, as HAProxy 2.6 does without a server-state file).
    maint: Arc<Mutex<HashSet<String>>>,
    current: Current,
    routes: Arc<Routes>,
}

/// Starts the load balancer from its disk.
pub async fn start(ctx: HostCtx) -> Result<Arc<RunningLb>, ProductError> {
    let lb = Arc::new(RunningLb {
        ctx,
        serving: tokio::sync::Mutex::new(None),
        maint: Arc::default(),
        current: Arc::default(),
        routes: Arc::default(),
    });
    lb.load().await?;
    Ok(lb)
}

/// What the frontend's certificate file holds.
type Crt = (Vec<Certificate>, Arc<KeyPair>);

/// What the load balancer reads when it (re)starts: the configuration and,
/// for offload, the certificate file — refused when its key is not the
/// certificate's, as HAProxy refuses it ("inconsistencies between private
/// key and certificate").
fn read(host: &str, disk: &VirtualDisk) -> Result<(HaproxyConfig, Option<Crt>), ProductError> {
    let path = disk
        .path(HAPROXY_CFG)
        .map_err(|e| ProductError::new(host, e))?;
    let text = disk
        .read_string(&path)
        .map_err(|e| ProductError::new(host, format!("{HAPROXY_CFG}: {e}")))?;
    let config = config::parse(HAPROXY_CFG, &text).map_err(|e| ProductError::new(host, e))?;
    let crt = match &config.crt {
        None => None,
        Some(file) => {
            let p = disk.path(file).map_err(|e| ProductError::new(host, e))?;
            let pem = disk
                .read_string(&p)
                .map_err(|e| ProductError::new(host, format!("{file}: {e}")))?;
            let chain = Certificate::all_from_pem(&pem)
                .map_err(|e| ProductError::new(host, format!("{file}: {e}")))?;
            let Some(leaf) = chain.first() else {
                return Err(ProductError::new(
                    host,
                    format!("{file}: no certificate in the file"),
                ));
            };
            let key = KeyPair::from_pem(&pem).map_err(|e| {
                ProductError::new(host, format!("{file}: no usable private key ({e})"))
            })?;
            if leaf.spki_der() != key.spki_der() {
                return Err(ProductError::new(
                    host,
                    format!("{file}: the private key does not match the certificate"),
                ));
            }
            Some((chain, key))
        }
    };
    Ok((config, crt))
}

impl RunningLb {
    /// Reads `haproxy.cfg` (and the frontend's certificate) and serves it.
    /// Whatever cannot be read or served is refused before anything changes:
    /// the running configuration keeps serving, as a failed HAProxy reload
    /// does. A reload of the same kind (tcp or http) on the same port keeps
    /// the listening socket; connections and requests read the new
    /// configuration from then on (HAProxy's soft stop hands idle
    /// keep-alive clients to the new process; relayed TCP connections live on).
    async fn load(&self) -> Result<(), ProductError> {
        let h = &self.ctx;
        let (name, disk) = (h.name.clone(), h.disk.clone());
        let (config, crt) = tokio::task::spawn_blocking(move || read(&name, &disk))
            .await
            .map_err(|e| ProductError::new(&h.name, e))??;
        let (bind_host, port) = config.bind.clone();
        // the VIP's address (or any: HAProxy's `*`, `0.0.0.0`), never another host's
        if !["*", "0.0.0.0", "", "::"].contains(&bind_host.as_str())
            && bind_host != h.address.to_string()
        {
            return Err(ProductError::new(
                &h.name,
                format!(
                    "{HAPROXY_CFG}: bind {bind_host}:{port}: not this host's address ({})",
                    h.address
                ),
            ));
        }
        let limits = Limits {
            header_timeout: config.timeout_client,
            max_connections: config.maxconn,
            max_body: 1 << 20,
        };
        let site = crt.map(|(chain, key)| SiteConfig {
            bindings: vec![Binding::new("frontend ece_vip", chain, key)],
            limits,
            ..SiteConfig::default()
        });
        if let Some(site) = &site {
            crate::tls::check_site(site).map_err(|e| ProductError::new(&h.name, e))?;
        }
        let backend = Arc::new(Backend {
            table: config
                .stick_table
                .map(|(size, expire)| Arc::new(Mutex::new(tcp::StickTable::new(size, expire)))),
            slots: Arc::new(tokio::sync::Semaphore::new(config.maxconn)),
            backlog: Arc::new(tokio::sync::Semaphore::new(ACCEPT_BACKLOG)),
            config,
            network: h.network.clone(),
            source: h.address,
            rr: AtomicUsize::new(0),
            maint: self.maint.clone(),
            pool: pool::Pool::default(),
            routes: self.routes.clone(),
        });
        let mut serving = self.serving.lock().await;
        let swap = |lb: &Self| {
            lb.maint.lock().unwrap_or_else(|e| e.into_inner()).clear();
            *lb.current.write().unwrap_or_else(|e| e.into_inner()) = Some(backend.clone());
        };
        match (serving.as_ref(), &site) {
            // the same kind on the same port: the socket stays
            (Some(Serving::Tcp(_, p)), None) if *p == port => {
                swap(self);
                return Ok(());
            }
            (Some(Serving::Http(server, p)), Some(site)) if *p == port => {
                server
                    .reload(site.clone(), self.offload_handler())
                    .map_err(|e| ProductError::new(&h.name, e))?;
                swap(self);
                return Ok(());
            }
            _ => {}
        }
        // another kind or port: the old listener goes, the new one binds
        let old_port = match serving.take() {
            Some(Serving::Tcp(a, p)) => {
                a.stop().await;
                Some(p)
            }
            Some(Serving::Http(s, p)) => {
                s.stop().await;
                Some(p)
            }
            None => None,
        };
        if let Some(old) = old_port.filter(|o| *o != port) {
            h.listeners
                .ports
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&(h.name.clone(), old));
        }
        swap(self);
        *serving = Some(match site {
            Some(site) => {
                let mut slot = None;
                h.listeners
                    .serve_in(
                        &mut slot,
                        &h.name,
                        h.address,
                        port,
                        site,
                        self.offload_handler(),
                    )
                    .await?;
                match slot {
                    Some(s) => Serving::Http(s, port),
                    None => return Err(ProductError::new(&h.name, "the frontend did not start")),
                }
            }
            None => Serving::Tcp(self.tcp_acceptor(port).await?, port),
        });
        Ok(())
    }

    fn offload_handler(&self) -> crate::tls::Handler {
        let current = self.current.clone();
        async_handler(move |r: HttpRequest| offload(current.clone(), r))
    }

    /// The TCP frontend: each accepted connection waits for a `maxconn`
    /// slot (at most [`ACCEPT_BACKLOG`] wait; more are closed) and is relayed
    /// with the configuration current when it was accepted.
    async fn tcp_acceptor(&self, port: u16) -> Result<crate::net::Acceptor, ProductError> {
        let h = &self.ctx;
        let current = self.current.clone();
        h.listeners
            .bind(&h.name, h.address, port, |addr| {
                let current = current.clone();
                async move {
                    let a = crate::net::Acceptor::bind(addr, move |tcp, _, _| {
                        let Some(be) = current.read().unwrap_or_else(|e| e.into_inner()).clone()
                        else {
                            return;
                        };
                        let Ok(waiting) = be.backlog.clone().try_acquire_owned() else {
                            return;
                        };
                        tokio::spawn(async move {
                            let Ok(slot) = be.slots.clone().acquire_owned().await else {
                                return;
                            };
                            drop(waiting);
                            tcp::relay(be, tcp).await;
                            drop(slot);
                        });
                    })
                    .await?;
                    let local = a.local_addr();
                    Ok::<_, std::io::Error>((a, local))
                }
            })
            .await
    }

    /// The runtime API's `set server ece_web/NAME state maint|ready`: a
    /// server in maintenance gets no new connection or request. False when
    /// the backend has no such server.
    pub fn set_maintenance(&self, server: &str, maint: bool) -> bool {
        let known = self
            .config()
            .is_some_and(|c| c.servers.iter().any(|s| s.name == server));
        if known {
            let mut m = self.maint.lock().unwrap_or_else(|e| e.into_inner());
            if maint {
                m.insert(server.to_string());
            } else {
                m.remove(server);
            }
        }
        known
    }

    /// The configuration it runs (None before the first start).
    pub fn config(&self) -> Option<HaproxyConfig> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|b| b.config.clone())
    }

    /// The routing decisions (which server each connection or request went to).
    pub fn routes(&self) -> &Routes {
        &self.routes
    }

    async fn stop_serving(&self) {
        match self.serving.lock().await.take() {
            Some(Serving::Tcp(a, _)) => a.stop().await,
            Some(Serving::Http(s, _)) => s.stop().await,
            None => {}
        }
    }
}

impl Running for RunningLb {
    fn services(&self) -> Vec<ServiceInfo> {
        let port = self.config().map_or(443, |c| c.bind.1);
        let bound = self.ctx.listeners.bound(&self.ctx.name, port);
        let running = self.serving.try_lock().map(|s| s.is_some()).unwrap_or(true);
        vec![ServiceInfo {
            name: "haproxy".into(),
            port: Some(port),
            bound_port: bound,
            state: Some(if running { "Running" } else { "Stopped" }.into()),
        }]
    }

    fn restart(&self) -> ProductFuture<'_, Result<(), ProductError>> {
        Box::pin(self.load())
    }

    fn turns(&self) -> Vec<usize> {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        current
            .as_ref()
            .map(|b| vec![b.rr.load(Ordering::SeqCst)])
            .unwrap_or_default()
    }

    fn set_turns(&self, turns: &[usize]) {
        let current = self.current.read().unwrap_or_else(|e| e.into_inner());
        if let (Some(b), Some(t)) = (current.as_ref(), turns.first()) {
            b.rr.store(*t, Ordering::SeqCst);
        }
    }

    /// `systemctl stop|start haproxy`: the VIP stops answering (relayed
    /// connections end with their peers), or the file is read again.
    fn set_service<'a>(
        &'a self,
        service: &'a str,
        running: bool,
    ) -> ProductFuture<'a, Result<bool, ProductError>> {
        Box::pin(async move {
            if !service.eq_ignore_ascii_case("haproxy") {
                return Ok(false);
            }
            if running {
                if self.serving.lock().await.is_none() {
                    self.load().await?;
                }
            } else {
                self.stop_serving().await;
            }
            Ok(true)
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indirect_cookie_is_taken_out() {
        let mut h = vec![
            ("host".to_string(), "ece.example.com".to_string()),
            (
                "cookie".to_string(),
                "SERVERID=eceweb2; JSESSIONID=abc".to_string(),
            ),
        ];
        assert_eq!(take_cookie(&mut h, "SERVERID").as_deref(), Some("eceweb2"));
        assert_eq!(h[1].1, "JSESSIONID=abc");
        let mut h = vec![("cookie".to_string(), "SERVERID=x".to_string())];
        assert_eq!(take_cookie(&mut h, "SERVERID").as_deref(), Some("x"));
        assert!(h.is_empty());
        let mut h = vec![("cookie".to_string(), "A=1".to_string())];
        assert_eq!(take_cookie(&mut h, "SERVERID"), None);
        assert_eq!(h.len(), 1);
    }
}

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

/// The backend as the running load balancer uses it: the configuration,
/// where it connects from, round robin's position and the servers in
/// maintenance.
pub struct Backend {
    /// What `haproxy.cfg` said at the last (re)start.
    pub config: HaproxyConfig,
    network: Arc<dyn Network>,
    /// The load balancer's own address (connections to servers come from it).
    source: std::net::Ipv4Addr,
    rr: AtomicUsize,
    maint: Arc<Mutex<HashSet<String>>>,
    /// Kept-alive connections to the servers (offload).
    pool: pool::Pool,
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

    /// The servers to try, in order: the persistent one (when usable), else
    /// round robin; with `option redispatch` the others after it.
    fn candidates(&self, stuck: Option<usize>) -> Vec<usize> {
        let n = self.config.servers.len();
        let first = stuck
            .filter(|i| *i < n && !self.in_maint(*i))
            .or_else(|| self.next_rr());
        let Some(first) = first else {
            return Vec::new();
        };
        let mut out = vec![first];
        if self.config.redispatch {
            out.extend(
                (1..n)
                    .map(|k| (first + k) % n)
                    .filter(|i| !self.in_maint(*i)),
            );
        }
        out
    }

    /// A TCP connection to a server: the persistent one if any, else round
    /// robin; one that refuses gives way to the next (`option redispatch`).
    async fn connect(&self, stuck: Option<usize>) -> Option<(usize, tokio::net::TcpStream)> {
        for i in self.candidates(stuck) {
            let Some(addr) = self.endpoint(i) else {
                continue;
            };
            if let Ok(s) = tcp::connect_from(self.source, addr, self.config.timeout_connect).await {
                return Some((i, s));
            }
        }
        None
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

/// One request in offload mode: the server named by the persistence cookie
/// (when it is usable), else round robin; forwarded over TLS; the cookie
/// inserted when the server was not chosen by it.
async fn offload(be: Arc<Backend>, r: HttpRequest) -> HttpResponse {
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
    let host = r.host.clone().unwrap_or_default();
    for i in be.candidates(by_cookie) {
        let Some(addr) = be.endpoint(i) else {
            continue;
        };
        let s = &c.servers[i];
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) && !host.is_empty() {
            headers.push(("host".into(), host.clone()));
        }
        let sent = be
            .pool
            .send(&pool::Forward {
                source: be.source,
                addr,
                tls: s.ssl,
                method: &r.method,
                target: &target,
                headers: &headers,
                body: &r.body,
                connect_timeout: c.timeout_connect,
                server_timeout: c.timeout_server,
            })
            .await;
        match sent {
            Ok(mut resp) => {
                if let (Some(name), Some(value), false) =
                    (&c.cookie, &s.cookie, by_cookie == Some(i))
                {
                    resp.headers
                        .push(("set-cookie".into(), format!("{name}={value}; path=/")));
                }
                return resp;
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
            Err(_) => {
                return HttpResponse {
                    status: 502,
                    headers: vec![
                        ("content-type".into(), "text/html".into()),
                        ("cache-control".into(), "no-cache".into()),
                    ],
                    body: BAD_GATEWAY_PAGE.as_bytes().to_vec(),
                }
            }
        }
    }
    HttpResponse {
        status: 503,
        headers: vec![
            ("content-type".into(), "text/html".into()),
            ("cache-control".into(), "no-cache".into()),
        ],
        body: NO_SERVER_PAGE.as_bytes().to_vec(),
    }
}

enum Serving {
    Tcp(crate::net::Acceptor),
    Http(TlsServer),
}

/// The running load balancer.
pub struct RunningLb {
    ctx: HostCtx,
    serving: tokio::sync::Mutex<Option<Serving>>,
    /// Servers put in maintenance through the runtime API (kept across reloads).
    maint: Arc<Mutex<HashSet<String>>>,
    /// The backend of the last (re)start.
    backend: Mutex<Option<Arc<Backend>>>,
    /// The stick table of the last (re)start (a reload starts a new one).
    table: Mutex<Option<Arc<Mutex<tcp::StickTable>>>>,
}

/// Starts the load balancer from its disk.
pub async fn start(ctx: HostCtx) -> Result<Arc<RunningLb>, ProductError> {
    let lb = Arc::new(RunningLb {
        ctx,
        serving: tokio::sync::Mutex::new(None),
        maint: Arc::default(),
        backend: Mutex::new(None),
        table: Mutex::new(None),
    });
    lb.load().await?;
    Ok(lb)
}

/// What the load balancer reads when it (re)starts.
fn read(
    host: &str,
    disk: &VirtualDisk,
) -> Result<(HaproxyConfig, Option<(Vec<Certificate>, Arc<KeyPair>)>), ProductError> {
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
            if chain.is_empty() {
                return Err(ProductError::new(
                    host,
                    format!("{file}: no certificate in the file"),
                ));
            }
            let key = KeyPair::from_pem(&pem).map_err(|e| {
                ProductError::new(host, format!("{file}: no usable private key ({e})"))
            })?;
            Some((chain, key))
        }
    };
    Ok((config, crt))
}

impl RunningLb {
    /// Reads `haproxy.cfg` (and the frontend's certificate) and serves it;
    /// a file that cannot be read keeps the running configuration, as a
    /// failed HAProxy reload does.
    async fn load(&self) -> Result<(), ProductError> {
        let h = &self.ctx;
        let (name, disk) = (h.name.clone(), h.disk.clone());
        let (config, crt) = tokio::task::spawn_blocking(move || read(&name, &disk))
            .await
            .map_err(|e| ProductError::new(&h.name, e))??;
        let port = config.bind.1;
        let table = config
            .stick_table
            .map(|(size, expire)| Arc::new(Mutex::new(tcp::StickTable::new(size, expire))));
        let maxconn = config.maxconn;
        let limits = Limits {
            header_timeout: config.timeout_client,
            max_connections: maxconn,
            max_body: 1 << 20,
        };
        let backend = Arc::new(Backend {
            config,
            network: h.network.clone(),
            source: h.address,
            rr: AtomicUsize::new(0),
            maint: self.maint.clone(),
            pool: pool::Pool::default(),
        });
        let mut serving = self.serving.lock().await;
        // a reload: the old listener goes, the new one takes the same port
        match serving.take() {
            Some(Serving::Tcp(a)) => a.stop().await,
            Some(Serving::Http(s)) => s.stop().await,
            None => {}
        }
        let new = match crt {
            Some((chain, key)) => {
                let site = SiteConfig {
                    bindings: vec![Binding::new("frontend ece_vip", chain, key)],
                    limits,
                    ..SiteConfig::default()
                };
                let be = backend.clone();
                let handler = async_handler(move |r: HttpRequest| offload(be.clone(), r));
                let mut slot = None;
                h.listeners
                    .serve_in(&mut slot, &h.name, h.address, port, site, handler)
                    .await?;
                slot.map(Serving::Http)
            }
            None => {
                let slots = Arc::new(tokio::sync::Semaphore::new(maxconn));
                let (be, tb) = (backend.clone(), table.clone());
                let acceptor = h
                    .listeners
                    .bind(&h.name, h.address, port, |addr| {
                        let (be, tb, slots) = (be.clone(), tb.clone(), slots.clone());
                        async move {
                            let a = crate::net::Acceptor::bind(addr, move |tcp, _, _| {
                                // at maxconn: closed as it is accepted
                                let Ok(permit) = slots.clone().try_acquire_owned() else {
                                    return;
                                };
                                let (be, tb) = (be.clone(), tb.clone());
                                tokio::spawn(async move {
                                    let tb = tb.unwrap_or_else(|| {
                                        Arc::new(Mutex::new(tcp::StickTable::new(
                                            1,
                                            std::time::Duration::ZERO,
                                        )))
                                    });
                                    tcp::relay(be, tcp, tb).await;
                                    drop(permit);
                                });
                            })
                            .await?;
                            let local = a.local_addr();
                            Ok::<_, std::io::Error>((a, local))
                        }
                    })
                    .await?;
                Some(Serving::Tcp(acceptor))
            }
        };
        *serving = new;
        *self.backend.lock().unwrap_or_else(|e| e.into_inner()) = Some(backend);
        *self.table.lock().unwrap_or_else(|e| e.into_inner()) = table;
        Ok(())
    }

    /// The runtime API's `set server ece_web/NAME state maint|ready`: a
    /// server in maintenance gets no new connection or request. False when
    /// the backend has no such server.
    pub fn set_maintenance(&self, server: &str, maint: bool) -> bool {
        let known = self
            .backend
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|b| b.config.servers.iter().any(|s| s.name == server));
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
        self.backend
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|b| b.config.clone())
    }

    /// How many session IDs the stick table holds.
    pub fn stick_entries(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map_or(0, |t| t.lock().unwrap_or_else(|e| e.into_inner()).len())
    }
}

impl Running for RunningLb {
    fn services(&self) -> Vec<ServiceInfo> {
        let port = self.config().map_or(443, |c| c.bind.1);
        vec![ServiceInfo {
            name: "haproxy".into(),
            port: Some(port),
            bound_port: self.ctx.listeners.bound(&self.ctx.name, port),
            state: None,
        }]
    }

    fn restart(&self) -> ProductFuture<'_, Result<(), ProductError>> {
        Box::pin(self.load())
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

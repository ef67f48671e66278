//! What every emulated product is made of, and how a deployment holds it.
//!
//! A product starts on a host from a [`HostCtx`]: the host's names and
//! address, its disk (which the product reads at start, as the real one
//! does), the deployment's clock, the [`Network`] through which it reaches
//! other hosts, and the [`Listeners`] through which it binds its ports. It
//! returns a [`Running`] product: what the deployment asks of any product —
//! its services, a restart, a Windows service stopped or started, the logs
//! that tell why something failed. What only that product does (IIS's
//! binding, the DC's policy) is on its own type, which the harness reaches
//! with [`Running::as_any`].

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use crate::clock::Clock;
use crate::host::VirtualDisk;
use crate::network::Network;
use crate::tls::{Events, Handler, SiteConfig, TlsServer};

/// A future a product returns from the [`Running`] trait.
pub type ProductFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a product could not do what it was asked, on which host.
#[derive(Debug, thiserror::Error)]
#[error("{host}: {problem}")]
pub struct ProductError {
    /// The host's name in the topology.
    pub host: String,
    /// What went wrong, as the product or its platform says it.
    pub problem: String,
}

impl ProductError {
    /// A problem of the product on `host`.
    pub fn new(host: &str, problem: impl std::fmt::Display) -> ProductError {
        ProductError {
            host: host.to_string(),
            problem: problem.to_string(),
        }
    }
}

/// Creates `path`'s parent directories and writes `bytes` atomically (a
/// product's disk writer; nothing half-written on failure).
pub fn write_file(host: &str, path: &std::path::Path, bytes: &[u8]) -> Result<(), ProductError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| ProductError::new(host, format!("{}: {e}", dir.display())))?;
    }
    crate::stores::write_atomic(path, bytes)
        .map_err(|e| ProductError::new(host, format!("{}: {e}", path.display())))
}

/// Creates a directory on a host's disk.
pub fn make_dir(host: &str, path: &std::path::Path) -> Result<(), ProductError> {
    std::fs::create_dir_all(path)
        .map_err(|e| ProductError::new(host, format!("{}: {e}", path.display())))
}

/// What a user sees after doing something in a product's user interface:
/// it was done, or it was refused — with the product's text either way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shown {
    /// Done; the product's confirmation.
    Done(String),
    /// Refused; the product's message saying why.
    Refused(String),
}

impl From<Result<String, String>> for Shown {
    fn from(r: Result<String, String>) -> Self {
        match r {
            Ok(m) => Shown::Done(m),
            Err(m) => Shown::Refused(m),
        }
    }
}

/// A Windows service or a listener of a host, as `ccelab ctl status` and
/// `topology.json` show it.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ServiceInfo {
    /// The Windows service (`W3SVC`, `Apache Tomcat`, `NTDS`, `Cisco Service`) or process.
    pub name: String,
    /// The port the real product listens on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Where it really listens here (the real port, or an ephemeral one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bound_port: Option<u16>,
    /// `Running` or `Stopped`, for services that can stop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

/// A product running on a host.
pub trait Running: Send + Sync + 'static {
    /// Its services and listeners.
    fn services(&self) -> Vec<ServiceInfo>;
    /// Restarts it: it reads its disk again, as the real product does when
    /// restarted (trust and certificates take effect only then: F9).
    fn restart(&self) -> ProductFuture<'_, Result<(), ProductError>>;
    /// Stops or starts one of its Windows services; false when it has no such service.
    fn set_service<'a>(
        &'a self,
        service: &'a str,
        running: bool,
    ) -> ProductFuture<'a, Result<bool, ProductError>> {
        let _ = (service, running);
        Box::pin(async { Ok(false) })
    }
    /// The logs a user reads when something fails (a day's catalina log,
    /// ECE's application server log).
    fn telling_logs(&self) -> Vec<PathBuf> {
        Vec::new()
    }
    /// The TLS connections it makes as a client, each probed with the trust
    /// it has loaded (the edges of the trust graph, [`crate::edges`]).
    fn trust_edges(&self) -> ProductFuture<'_, Vec<crate::edges::TrustEdge>> {
        Box::pin(async { Vec::new() })
    }
    /// Where its round robins stand (IIS spreading new ECE sessions over
    /// the application servers, a load balancer's next server). A real
    /// browser beside a scenario replays a step ccelab has just predicted
    /// (issue 18): the harness sets these back before the browser goes, so
    /// that the browser meets the round robins as the prediction did, and
    /// after it, so that later steps meet them as without the browser (other
    /// state the browser leaves — sessions it opened, the IDs they used —
    /// stays; no transcript shows it).
    fn turns(&self) -> Vec<usize> {
        Vec::new()
    }
    /// Sets what [`Running::turns`] returned back (values it does not have are ignored).
    fn set_turns(&self, turns: &[usize]) {
        let _ = turns;
    }
    /// The product's own type, for what only it does.
    fn as_any(&self) -> &dyn Any;
}

/// Product port → the port it is really bound to, per host name.
pub type PortTable = Arc<Mutex<HashMap<(String, u16), u16>>>;

/// How a deployment's products bind their ports: the real product port
/// when allowed and free (`ccelab up`), else an ephemeral one (tests,
/// parallel labs); a restart keeps the port a service had. Every bound
/// port is recorded in the deployment's [`PortTable`], where the
/// [`Network`] finds it, and every TLS connection goes to one event log.
#[derive(Clone)]
pub struct Listeners {
    /// Where the ports are recorded.
    pub ports: PortTable,
    /// Whether real product ports are tried first.
    pub real_ports: bool,
    /// The TLS servers' event log.
    pub events: Events,
    /// The stubs answering before the products ([`crate::stubs`]).
    pub stubs: crate::stubs::Stubs,
}

impl Listeners {
    /// Where `host`'s product port `port` is bound.
    pub fn bound(&self, host: &str, port: u16) -> Option<u16> {
        self.ports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(host.to_string(), port))
            .copied()
    }

    fn record(&self, host: &str, port: u16, bound: u16) {
        self.ports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((host.to_string(), port), bound);
    }

    /// Binds `host`'s product port `port` on `address` with `bind`: on the
    /// port it had before (a restart keeps it), else the real port when
    /// allowed and free, else an ephemeral one; records where.
    pub async fn bind<T, F, Fut, E>(
        &self,
        host: &str,
        address: Ipv4Addr,
        port: u16,
        bind: F,
    ) -> Result<T, ProductError>
    where
        F: Fn(SocketAddr) -> Fut,
        Fut: Future<Output = Result<(T, SocketAddr), E>>,
        E: std::fmt::Display,
    {
        let known = self.bound(host, port);
        let first = match (known, self.real_ports) {
            (Some(p), _) => p,
            (None, true) => port,
            (None, false) => 0,
        };
        let (value, local) = match bind(SocketAddr::from((address, first))).await {
            Ok(v) => v,
            // the real port is taken; or, with ephemeral ports, the port this
            // service had was taken by another listener while it was stopped
            Err(_)
                if (known.is_none() && self.real_ports)
                    || (known.is_some() && !self.real_ports) =>
            {
                bind(SocketAddr::from((address, 0)))
                    .await
                    .map_err(|e| ProductError::new(host, e))?
            }
            Err(e) => return Err(ProductError::new(host, e)),
        };
        self.record(host, port, local.port());
        Ok(value)
    }

    /// Serves `host`'s product port `port` from `slot` with an HTTP(S) site
    /// (the deployment's stubs for that port answering first):
    /// a server already listening there is restarted on its socket (no other
    /// listener can take the port meanwhile; its open connections close);
    /// otherwise the old one stops and a new one binds ([`Listeners::bind`]).
    pub async fn serve_in(
        &self,
        slot: &mut Option<TlsServer>,
        host: &str,
        address: Ipv4Addr,
        port: u16,
        site: SiteConfig,
        handler: Handler,
    ) -> Result<(), ProductError> {
        // the stubs of this listener answer first, whenever they are added
        let handler = self.stubs.wrap(host, port, handler);
        if let Some(srv) = slot.as_ref() {
            if self.bound(host, port) == Some(srv.local_addr().port()) {
                return srv
                    .restart(site, handler)
                    .map_err(|e| ProductError::new(host, e));
            }
        }
        if let Some(old) = slot.take() {
            old.stop().await;
        }
        let events = self.events.clone();
        let server = self
            .bind(host, address, port, |addr| {
                let (site, handler, events) = (site.clone(), handler.clone(), events.clone());
                async move {
                    let s = TlsServer::start(addr, site, handler, events).await?;
                    let local = s.local_addr();
                    Ok::<_, crate::tls::TlsError>((s, local))
                }
            })
            .await?;
        *slot = Some(server);
        Ok(())
    }
}

/// What a product is given to start on a host.
#[derive(Clone)]
pub struct HostCtx {
    /// The host's name in the topology (`ece`, `ads-a`, `dc`).
    pub name: String,
    /// Its FQDN.
    pub fqdn: String,
    /// Its address (each host has its own).
    pub address: Ipv4Addr,
    /// Its disk.
    pub disk: VirtualDisk,
    /// The deployment's clock.
    pub clock: Clock,
    /// How it reaches other hosts.
    pub network: Arc<dyn Network>,
    /// How it binds its ports.
    pub listeners: Listeners,
    /// The Java its product runs (its release's, or the topology's
    /// override; [`crate::personality::jre`]): what its Java clients print.
    pub java: crate::personality::jre::Jre,
}

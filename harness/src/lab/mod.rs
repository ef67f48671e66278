//! A running topology: host → running product (started by
//! [`crate::registry`] from what is on each host's disk), the in-process
//! network through which the products reach each other, where they listen,
//! and the deployment's event stream. The products themselves — IIS, ECE's
//! application servers, CCE Administration, the AD DC — are in
//! `ccelab_emulators` (see ARCHITECTURE.md).

pub mod files;
pub(crate) mod network;

use ccelab_emulators::ad_dc::product::RunningDc;
use ccelab_emulators::ad_dc::DomainController;
use ccelab_emulators::cce_admin::{CceDeployment, GadgetOutcome, RunningCceAdmin};
use ccelab_emulators::ece::app::{AppProduct, RunningApp};
use ccelab_emulators::ece::db::EceDb;
pub use ccelab_emulators::ece::db::PartitionAdminConfig;
use ccelab_emulators::ece::web::RunningWeb;
use ccelab_emulators::product::{HostCtx, Listeners, Running, ServiceInfo};

use std::sync::Arc;

use ccelab_emulators::tls::Events;

use crate::topology::Topology;

/// Errors of the running lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// No host of that name in the topology (or none running the product asked for).
    #[error("no host `{name}`; the hosts are {known}")]
    NoHost {
        /// The name asked for.
        name: String,
        /// The topology's hosts, as [`Topology::known_hosts`] lists them.
        known: String,
    },
    /// A host's service cannot do what was asked (IIS cannot start the site,
    /// no such Windows service, …).
    #[error("{host}: {problem}")]
    Service {
        /// The host.
        host: String,
        /// What went wrong, as the service reports it.
        problem: String,
    },
}

impl From<ccelab_emulators::product::ProductError> for LabError {
    fn from(e: ccelab_emulators::product::ProductError) -> Self {
        LabError::Service {
            host: e.host,
            problem: e.problem,
        }
    }
}

fn svc_err(host: &str, problem: impl std::fmt::Display) -> LabError {
    LabError::Service {
        host: host.into(),
        problem: problem.to_string(),
    }
}

/// A position in the deployment's event stream ([`Lab::event_mark`]); a
/// host's control API gives its own (`GET /events/mark`).
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct EventMark {
    tls: usize,
    ldap: usize,
}

/// Where a lab's round robins stand, by host ([`Lab::turns`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Turns(std::collections::BTreeMap<String, Vec<usize>>);

/// The running topology: host → running product (see [`crate::registry`]), the
/// network they reach each other through, and where they listen.
pub struct Lab {
    /// The topology it runs: hosts, disks, the clock.
    pub topo: Arc<Topology>,
    /// Every TLS connection the emulated servers saw.
    pub events: Events,
    /// How the products bind their ports (real or ephemeral; recorded for the network).
    listeners: Listeners,
    /// The running products, by host name.
    products: std::collections::BTreeMap<String, Arc<dyn Running>>,
    /// How many web certificates were replaced (picks the next pool key).
    cert_serial: std::sync::atomic::AtomicUsize,
    /// The other hosts run elsewhere, at their addresses on their real
    /// product ports (one process per host; the machine's view of a
    /// deployment in containers).
    direct: bool,
}

impl Lab {
    /// Starts every service of the topology. With `real_ports` false every
    /// service listens on an ephemeral port (tests, parallel labs).
    pub async fn start(topo: Arc<Topology>, real_ports: bool) -> Result<Arc<Lab>, LabError> {
        Self::start_some(topo, real_ports, None).await
    }

    /// Starts the product of one host of the topology, on its real ports at
    /// its address: the other hosts run elsewhere (one container per host,
    /// `ccelab host`) and are reached at their addresses on their real
    /// ports. What several hosts of one product share in one process
    /// ([`crate::registry`]'s `Shared`: ECE's database, CCE
    /// Administration's configuration, the Finesse and IdS clusters' state)
    /// is this host's own copy.
    pub async fn start_host(topo: Arc<Topology>, host: &str) -> Result<Arc<Lab>, LabError> {
        if topo.host(host).is_none() {
            return Err(LabError::NoHost {
                name: host.into(),
                known: topo.known_hosts(),
            });
        }
        let name = topo.host(host).map(|h| h.name.clone()).unwrap_or_default();
        Self::start_some(topo, true, Some(&name)).await
    }

    /// The machine's view of a deployment whose every host runs elsewhere
    /// (one container per host): the topology, its disks and names, each
    /// host at its address on its real product ports; no product runs
    /// here. Actions on files and commands (`run`, `keytool`,
    /// `store-import`…) apply to it as to a lab of one process.
    pub async fn remote(topo: Arc<Topology>) -> Result<Arc<Lab>, LabError> {
        Self::start_some(topo, true, Some("")).await
    }

    async fn start_some(
        topo: Arc<Topology>,
        real_ports: bool,
        only: Option<&str>,
    ) -> Result<Arc<Lab>, LabError> {
        let listeners = Listeners {
            ports: Default::default(),
            real_ports,
            events: Events::default(),
            stubs: ccelab_emulators::stubs::Stubs::new(topo.clock.clone()),
        };
        let network = Arc::new(network::LabNetwork {
            topo: topo.clone(),
            ports: listeners.ports.clone(),
            direct: only.is_some(),
        });
        let shared = crate::registry::Shared::new(&topo, network.clone());
        // the hosts boot side by side, each on its own task (a product
        // reaches another only when it serves a request, never while it
        // starts); the first error in host order is the lab's
        let shared = Arc::new(shared);
        let tasks: Vec<_> = (0..topo.hosts.len())
            .filter(|i| only.is_none_or(|o| topo.hosts[*i].name == o))
            .map(|i| -> (usize, tokio::task::JoinHandle<_>) {
                let (topo, shared) = (topo.clone(), shared.clone());
                let (network, listeners) = (network.clone(), listeners.clone());
                let task = tokio::spawn(async move {
                    let h = &topo.hosts[i];
                    let ctx = HostCtx {
                        name: h.name.clone(),
                        fqdn: h.fqdn.clone(),
                        address: h.address,
                        disk: h.disk.clone(),
                        clock: topo.clock.clone(),
                        network,
                        listeners,
                        java: topo.java_of(h),
                    };
                    crate::registry::start(&topo, h, ctx, &shared)
                        .await
                        .map(|p| p.map(|p| (h.name.clone(), p)))
                });
                (i, task)
            })
            .collect();
        let mut products = std::collections::BTreeMap::new();
        let mut first_error = None;
        for (i, t) in tasks {
            match t.await {
                Ok(Ok(Some((name, p)))) => {
                    products.insert(name, p);
                }
                Ok(Ok(None)) => {}
                Ok(Err(e)) => {
                    first_error.get_or_insert(e);
                }
                Err(e) => {
                    first_error.get_or_insert(LabError::Service {
                        host: topo.hosts[i].name.clone(),
                        problem: format!("its start panicked: {e}"),
                    });
                }
            }
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        // the topology file's stubs, on the listeners this process runs
        for (host, spec) in &topo.stubs {
            if !products.contains_key(host) {
                continue;
            }
            listeners
                .stubs
                .add(host, spec.clone())
                .map_err(|e| LabError::Service {
                    host: host.clone(),
                    problem: format!("[[stub]]: {e}"),
                })?;
        }
        Ok(Arc::new(Lab {
            products,
            direct: only.is_some(),
            topo,
            events: listeners.events.clone(),
            listeners,
            cert_serial: std::sync::atomic::AtomicUsize::new(0),
        }))
    }

    /// The port a host's product port is really bound to; for a host that
    /// runs elsewhere (one process per host), the product port itself at
    /// its address (a refused connection there is that host's own answer).
    pub fn bound_port(&self, host: &str, port: u16) -> Option<u16> {
        let name = self.topo.host(host).map_or(host, |h| h.name.as_str());
        match self.listeners.bound(name, port) {
            None if self.direct && !self.products.contains_key(name) => Some(port),
            b => b,
        }
    }

    /// Records where another process's host listens (the machine's view of
    /// a deployment in containers, from each host's `GET /status`), so that
    /// [`Lab::ports_of`] and the commands' `CCELAB_<HOST>_PORT_<N>` list them.
    pub fn note_ports(&self, host: &str, ports: impl IntoIterator<Item = (u16, u16)>) {
        let mut table = self
            .listeners
            .ports
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for (product, bound) in ports {
            table.insert((host.to_string(), product), bound);
        }
    }

    /// Whether this process runs `host`'s product (false for the hosts of
    /// a deployment in containers but the one this process runs).
    pub fn runs(&self, host: &str) -> bool {
        let name = self.topo.host(host).map_or(host, |h| h.name.as_str());
        self.products.contains_key(name)
    }

    /// Every product port of a host with the port it is really bound to, by product port.
    pub fn ports_of(&self, host: &str) -> Vec<(u16, u16)> {
        let mut v: Vec<(u16, u16)> = self
            .listeners
            .ports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|((h, _), _)| h == host)
            .map(|((_, product), bound)| (*product, *bound))
            .collect();
        v.sort_unstable();
        v
    }

    /// The stubs answering before the products ([`ccelab_emulators::stubs`]).
    pub fn stubs(&self) -> &ccelab_emulators::stubs::Stubs {
        &self.listeners.stubs
    }

    /// The product running on `host`, as its own type.
    pub fn product<T: 'static>(&self, host: &str) -> Option<&T> {
        let name = self.topo.host(host).map_or(host, |h| h.name.as_str());
        self.products.get(name)?.as_any().downcast_ref::<T>()
    }

    /// Where every product's round robins stand ([`Running::turns`]), by host.
    pub fn turns(&self) -> Turns {
        Turns(
            self.products
                .iter()
                .map(|(h, p)| (h.clone(), p.turns()))
                .filter(|(_, t)| !t.is_empty())
                .collect(),
        )
    }

    /// Sets the round robins back to `turns` (from [`Lab::turns`]).
    pub fn set_turns(&self, turns: &Turns) {
        for (h, t) in &turns.0 {
            if let Some(p) = self.products.get(h) {
                p.set_turns(t);
            }
        }
    }

    /// The error for a host this lab does not have, listing the ones it has.
    pub fn no_host(&self, name: &str) -> LabError {
        LabError::NoHost {
            name: name.into(),
            known: self.topo.known_hosts(),
        }
    }

    /// How many web certificates the administrator made so far (each takes the next pool key).
    pub fn next_certificate(&self) -> usize {
        self.cert_serial
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    }

    /// The ECE web server (IIS) of the topology, and its host's name.
    pub fn web(&self) -> Option<(&str, &RunningWeb)> {
        self.products.iter().find_map(|(h, p)| {
            p.as_any()
                .downcast_ref::<RunningWeb>()
                .map(|w| (h.as_str(), w))
        })
    }

    /// ECE's application servers, by host name.
    pub fn app_servers(&self) -> impl Iterator<Item = (&str, &std::sync::Arc<RunningApp>)> {
        self.products.iter().filter_map(|(h, p)| {
            p.as_any()
                .downcast_ref::<AppProduct>()
                .map(|a| (h.as_str(), &a.0))
        })
    }

    /// ECE's database (shared by its application servers).
    pub fn ece_db(&self) -> Option<&EceDb> {
        self.app_servers().next().map(|(_, a)| &**a.db())
    }

    /// The application server that serves ECE's administration pages: the
    /// first whose "Cisco Service" runs.
    pub fn ece_console(&self) -> Result<&std::sync::Arc<RunningApp>, String> {
        let mut servers = self.app_servers().peekable();
        if servers.peek().is_none() {
            return Err("this topology has no ECE application server".into());
        }
        servers
            .map(|(_, a)| a)
            .find(|a| a.is_running())
            .ok_or_else(|| "ECE's pages do not load: \"Cisco Service\" is stopped on every application server (F3)".into())
    }

    /// CCE Administration on the first ADS (where an administrator edits agents).
    pub fn cce_admin(&self) -> Result<&RunningCceAdmin, String> {
        self.topo
            .hosts
            .iter()
            .find_map(|h| self.product::<RunningCceAdmin>(&h.name))
            .ok_or_else(|| "this topology has no CCE Administration".to_string())
    }

    /// Partition Administration Configuration > Save ([ECE] 2.2).
    pub fn set_partition_admin(&self, cfg: PartitionAdminConfig) -> Result<(), String> {
        let db = self
            .ece_db()
            .ok_or("this topology has no ECE application server")?;
        *db.config.lock().unwrap_or_else(|e| e.into_inner()) = cfg;
        Ok(())
    }

    /// The Partition Administration Configuration.
    pub fn partition_admin(&self) -> Option<PartitionAdminConfig> {
        self.ece_db()
            .map(|db| db.config.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    /// The partition administrators ECE created through SSO.
    pub fn ece_admins(&self) -> Vec<String> {
        self.ece_db()
            .map(|db| db.admins.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .unwrap_or_default()
    }

    /// System > Shared Resources > Logger > Processes > `process` > Maximum
    /// trace level, on the application server `host` (None: on every one;
    /// with HA the process is listed once per server).
    pub fn set_trace_level(
        &self,
        process: &str,
        host: Option<&str>,
        level: u8,
        minutes: Option<u32>,
    ) -> Result<(), String> {
        let all: Vec<(&str, &std::sync::Arc<RunningApp>)> = self.app_servers().collect();
        if all.is_empty() {
            return Err("this topology has no ECE application server".into());
        }
        let chosen: Vec<&std::sync::Arc<RunningApp>> = all
            .iter()
            .filter(|(h, _)| host.is_none_or(|want| h.eq_ignore_ascii_case(want)))
            .map(|(_, a)| *a)
            .collect();
        if chosen.is_empty() {
            let names: Vec<&str> = all.iter().map(|(h, _)| *h).collect();
            return Err(format!(
                "`{}` is not an ECE application server (application servers: {})",
                host.unwrap_or_default(),
                names.join(", ")
            ));
        }
        for a in chosen {
            a.set_trace_level(process, level, minutes)?;
        }
        Ok(())
    }

    /// Where the deployment's event stream stands now (see [`Lab::events_since`]).
    pub fn event_mark(&self) -> EventMark {
        EventMark {
            tls: self.events.next_seq(),
            ldap: self.dc().map_or(0, |d| d.events().next_seq()),
        }
    }

    /// The TLS connections the servers saw from mark `from` up to mark `to`.
    pub fn tls_events_between(
        &self,
        from: &EventMark,
        to: &EventMark,
    ) -> Vec<ccelab_emulators::tls::TlsEvent> {
        self.events
            .page(from.tls, to.tls.saturating_sub(from.tls))
            .into_iter()
            .map(|(_, e)| e)
            .collect()
    }

    /// The deployment's events since `mark`, one line each: every TLS
    /// connection the servers saw (`tls ADDRESS sni=NAME OUTCOME`), then
    /// every LDAP operation the DC answered (`ldap PORT OP TARGET → CODE
    /// from PEER`).
    pub fn events_since(&self, mark: &EventMark) -> Vec<String> {
        let tls = self.events.since(mark.tls).into_iter().map(|(_, e)| {
            format!(
                "tls {} sni={} {:?}",
                e.local.ip(),
                e.sni.as_deref().unwrap_or("-"),
                e.outcome
            )
        });
        let ldap = self.dc().into_iter().flat_map(|d| {
            d.events().since(mark.ldap).into_iter().map(|(_, e)| {
                let target = if e.target.is_empty() {
                    String::new()
                } else {
                    format!(" {}", e.target)
                };
                let code = e.code.map_or("-".to_string(), |c| c.to_string());
                format!(
                    "ldap {} {}{target} → {code} from {}",
                    e.port,
                    e.op,
                    e.peer.ip()
                )
            })
        });
        tls.chain(ldap).collect()
    }

    /// The AD DC / GC of the topology.
    pub fn dc(&self) -> Option<&DomainController> {
        self.products
            .values()
            .find_map(|p| p.as_any().downcast_ref::<RunningDc>())
            .map(|r| &*r.dc)
    }

    /// The logs a user reads when something fails for them, as the
    /// products declare them: each ADS's catalina log of the day (the ADS's
    /// Java calls: F1, F2, F7, F8) and each ECE application server's log
    /// (partition-administrator SSO: F4).
    pub fn telling_logs(&self) -> Vec<std::path::PathBuf> {
        self.products
            .values()
            .flat_map(|p| p.telling_logs())
            .collect()
    }

    /// CCE Administration's deployment-wide state (inventory, integration, agents).
    pub fn cce(&self) -> Result<&CceDeployment, String> {
        self.products
            .values()
            .find_map(|p| p.as_any().downcast_ref::<RunningCceAdmin>())
            .map(|c| &**c.deployment())
            .ok_or_else(|| "this topology has no CCE Administration".to_string())
    }

    /// "Email and Chat" card → open the ECE gadget in CCE Administration on
    /// `ads` as the SPOG administrator `user` (default: the topology's).
    pub async fn open_gadget(
        &self,
        ads: &str,
        user: Option<&str>,
    ) -> Result<GadgetOutcome, LabError> {
        let admin = self
            .topo
            .host(ads)
            .and_then(|h| self.product::<RunningCceAdmin>(&h.name))
            .ok_or_else(|| self.no_host(ads))?;
        Ok(admin.open_gadget(user).await?)
    }

    /// Changes an ECE user's password in ECE (e.g. `pa`'s, after which the
    /// inventory's credentials are stale: F12).
    pub fn set_ece_password(&self, user: &str, password: &str) -> Result<(), String> {
        self.ece_db()
            .ok_or("this topology has no ECE application server")?
            .set_password(user, password)
    }

    /// `ccelab ctl restart HOST`: restarts the host's services, which reload from the disk.
    pub async fn restart(&self, host: &str) -> Result<(), LabError> {
        let h = self.topo.host(host).ok_or_else(|| self.no_host(host))?;
        match self.products.get(&h.name) {
            Some(p) => p.restart().await.map_err(LabError::from),
            // the CA serves nothing
            None => Ok(()),
        }
    }

    /// Stops or starts a Windows service: "Cisco Service" on the ECE server (F3),
    /// "Apache Tomcat" or "MSSQLSERVER" on an ADS.
    pub async fn set_service(
        &self,
        host: &str,
        service: &str,
        running: bool,
    ) -> Result<(), LabError> {
        let h = self.topo.host(host).ok_or_else(|| self.no_host(host))?;
        if let Some(p) = self.products.get(&h.name) {
            if p.set_service(service, running).await? {
                return Ok(());
            }
        }
        Err(svc_err(
            host,
            format!("no service `{service}` (ece-app: \"Cisco Service\"; ads: \"Apache Tomcat\", \"MSSQLSERVER\"; cvp-a: callserver, vxmlserver, WebServicesManager; cvp-rpt: reportingserver, WebServicesManager; cvp-oamp: OPSConsoleServer, WebServicesManager)"),
        ))
    }

    /// What a host runs, as its products declare it: each Windows service
    /// or listener with its product port, the port it is really bound to
    /// and, for services that can stop, their state. `ccelab ctl status`
    /// and `topology.json` both show this.
    pub fn services(&self, h: &crate::topology::Host) -> Vec<ServiceInfo> {
        self.products
            .get(&h.name)
            .map(|p| p.services())
            .unwrap_or_default()
    }

    /// Every TLS connection the running products make as clients, probed
    /// with the trust each has loaded (the trust graph's edges, in host
    /// order; [`crate::graph`]).
    pub async fn trust_edges(&self) -> Vec<ccelab_emulators::edges::TrustEdge> {
        let mut out = Vec::new();
        for p in self.products.values() {
            out.extend(p.trust_edges().await);
        }
        out
    }

    /// The state of every host and service (for `ccelab ctl status`).
    pub fn status(&self) -> serde_json::Value {
        let hosts: Vec<serde_json::Value> = self
            .topo
            .hosts
            .iter()
            .map(|h| {
                serde_json::json!({"name": h.name, "fqdn": h.fqdn, "role": h.role, "address": h.address.to_string(), "services": self.services(h)})
            })
            .collect();
        serde_json::json!({ "preset": self.topo.preset, "hosts": hosts })
    }
}

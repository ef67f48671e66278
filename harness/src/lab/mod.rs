//! A running topology: the emulated services of each host, started from
//! what is on their disks, and the user actions of [ECE] on them.
//!
//! * ECE web server (IIS): reads its https bindings from
//!   `applicationHost.config` and the bound certificate from the certificate
//!   store stand-in when it starts ([ECE] 1.2, F6); serves the partitions and
//!   the SPOG gadget (`/default/spog/gadget`, a path ccelab invents).
//! * CCE Administration on each ADS: its Tomcat ("Apache Tomcat") loads
//!   `%JAVA_HOME%\lib\security\cacerts` as Java does (no trust-store password
//!   set) when it starts and keeps it until restarted (F9). Opening the ECE
//!   gadget makes an HTTPS call to the inventoried web server with the Java
//!   personality: success shows the gadget; failure shows "There was an error
//!   loading the page. Contact your administrator." and writes Java's
//!   exception to `C:\icm\tomcat\logs\catalina.YYYY-MM-DD.log` (F1, F2, F7, F8).
//!   Tomcat's log line layout follows Tomcat 9's OneLineFormatter; the logger
//!   name `com.cisco.ccbu.cce.spog.EceGadgetProxy` is invented. Local server
//!   time is UTC in the emulation.

mod cce_admin;
pub mod files;
pub mod machine_inventory;
mod network;
mod registry;

pub use cce_admin::{gadget_down_message, EceInventory, GadgetOutcome, GADGET_BLANK, GADGET_ERROR};
use cce_admin::{start_tomcat, TomcatState};
use ccelab_emulators::ad_dc::product::RunningDc;
use ccelab_emulators::ad_dc::DomainController;
pub use ccelab_emulators::ece::app::PartitionAdminConfig;
use ccelab_emulators::ece::app::{AppProduct, EceDb, RunningApp};
pub use ccelab_emulators::ece::log::{EceLog, TraceLevels, LEVELS};
use ccelab_emulators::ece::web::RunningWeb;
pub use ccelab_emulators::ece::{spog_settings, GADGET_SESSION_PATH, SPOG_CONFIG_URL};
pub use ccelab_emulators::ece::{APP_SERVER_PORT, SPOG_USER_HEADER};
use ccelab_emulators::platform::http::basic_credentials;
pub use ccelab_emulators::platform::iis::{
    chain_from_ca_store, iis_http_bindings, iis_https_bindings, iis_requires_ssl, IisBinding,
    INVALID_HOSTNAME, SSL_REQUIRED_PAGE,
};
pub use ccelab_emulators::product::ServiceInfo;
use ccelab_emulators::product::{HostCtx, Listeners, Running};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ccelab_emulators::host::Service;
use ccelab_emulators::network::{Network as _, Unreachable};
use ccelab_emulators::personality::{self, java, Personality, Verdict};
use ccelab_emulators::pki::Certificate;
use ccelab_emulators::stores::{Entry, KeyMaterial, Keystore};
use ccelab_emulators::tls::{Binding, Events, HttpResponse, SiteConfig, TlsServer};
use serde::Serialize;

use crate::topology::{Role, Topology, CACERTS, TOMCAT_LOGS};

/// Errors of the running lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("no host `{0}`")]
    NoHost(String),
    #[error("{host}: {problem}")]
    Service { host: String, problem: String },
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

/// The running topology.
pub struct Lab {
    pub topo: Arc<Topology>,
    /// Every TLS connection the emulated servers saw.
    pub events: Events,
    /// How the products bind their ports (real or ephemeral; recorded for the network).
    listeners: Listeners,
    /// The products migrated onto the product trait, by host name
    /// (see [`registry`]); the others are still fields of the lab.
    products: std::collections::BTreeMap<String, Arc<dyn Running>>,
    /// How the products reach each other.
    network: Arc<network::LabNetwork>,
    tomcat: HashMap<String, Service<TomcatState>>,
    /// CCE Administration's machine inventory ([ECE] 4.2, 4.3), one for the deployment.
    machine_inventory: Arc<Mutex<machine_inventory::Inventory>>,
    /// CCE Administration's HTTPS listener on each ADS (Tomcat's `tomcatCert`).
    cce_admin_https: tokio::sync::Mutex<HashMap<String, TlsServer>>,
    /// How many web certificates were replaced (picks the next pool key).
    cert_serial: std::sync::atomic::AtomicUsize,
    /// The saved Unified CCE integration (application instance, agent PGs), once saved.
    integration: Mutex<Option<(String, Vec<String>)>>,
    /// The saved AWDB Details tab (the AWDB server as entered), once saved.
    awdb: Mutex<Option<String>>,
    /// Agents enabled for Email & Chat: (agent, screen name), as ECE's user list shows them.
    ece_users: Mutex<Vec<(String, String)>>,
    /// ECE's departments (`Service` from the integration, reserved).
    departments: Mutex<Vec<String>>,
}

impl Lab {
    /// Starts every service of the topology. With `real_ports` false every
    /// service listens on an ephemeral port (tests, parallel labs).
    pub async fn start(topo: Arc<Topology>, real_ports: bool) -> Result<Arc<Lab>, LabError> {
        let mut tomcat = HashMap::new();
        for h in topo.hosts.iter().filter(|h| h.role == Role::Ads) {
            let path = h.disk.path(CACERTS).map_err(|e| svc_err(&h.name, e))?;
            let logs = h.disk.path(TOMCAT_LOGS).map_err(|e| svc_err(&h.name, e))?;
            let clock = topo.clock.clone();
            let starts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let svc = Service::new("Apache Tomcat", move || {
                let n = starts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                start_tomcat(&path, &logs, &clock, n)
            });
            svc.start();
            tomcat.insert(h.name.clone(), svc);
        }
        let listeners = Listeners {
            ports: Default::default(),
            real_ports,
            events: Events::default(),
        };
        let network = Arc::new(network::LabNetwork {
            topo: topo.clone(),
            ports: listeners.ports.clone(),
        });
        let shared = registry::Shared::new(&topo);
        let mut products = std::collections::BTreeMap::new();
        for h in &topo.hosts {
            let ctx = HostCtx {
                name: h.name.clone(),
                fqdn: h.fqdn.clone(),
                address: h.address,
                disk: h.disk.clone(),
                clock: topo.clock.clone(),
                network: network.clone(),
                listeners: listeners.clone(),
            };
            if let Some(p) = registry::start(&topo, h, ctx, &shared).await? {
                products.insert(h.name.clone(), p);
            }
        }
        let lab = Arc::new(Lab {
            products,
            machine_inventory: Arc::new(Mutex::new(machine_inventory::Inventory::preset(&topo))),
            cce_admin_https: tokio::sync::Mutex::new(HashMap::new()),
            topo,
            events: listeners.events.clone(),
            listeners,
            network,
            tomcat,
            cert_serial: std::sync::atomic::AtomicUsize::new(0),
            integration: Mutex::new(None),
            awdb: Mutex::new(None),
            ece_users: Mutex::new(Vec::new()),
            departments: Mutex::new(vec!["Service".into()]),
        });
        for h in lab.topo.hosts.iter().filter(|h| h.role == Role::Ads) {
            lab.start_cce_admin_https(h).await?;
        }
        Ok(lab)
    }

    /// Serves `product_port` of `h` from `slot` (see [`Listeners::serve_in`]).
    async fn serve_in(
        &self,
        slot: &mut Option<TlsServer>,
        h: &crate::topology::Host,
        product_port: u16,
        site: SiteConfig,
        handler: ccelab_emulators::tls::Handler,
    ) -> Result<(), LabError> {
        self.listeners
            .serve_in(slot, &h.name, h.address, product_port, site, handler)
            .await
            .map_err(LabError::from)
    }

    /// The port a host's product port is really bound to.
    pub fn bound_port(&self, host: &str, port: u16) -> Option<u16> {
        self.listeners.bound(host, port)
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

    /// The product running on `host`, as its own type.
    pub fn product<T: 'static>(&self, host: &str) -> Option<&T> {
        self.products.get(host)?.as_any().downcast_ref::<T>()
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

    /// The AD DC / GC of the topology.
    pub fn dc(&self) -> Option<&DomainController> {
        self.products
            .values()
            .find_map(|p| p.as_any().downcast_ref::<RunningDc>())
            .map(|r| &*r.dc)
    }

    /// The logs a user reads when something fails for them: each ADS's
    /// catalina log of the day (the ADS's Java calls: F1, F2, F7, F8) and
    /// each ECE application server's log (partition-administrator SSO: F4).
    pub fn telling_logs(&self) -> Vec<std::path::PathBuf> {
        let now = self.topo.clock.now();
        let catalina = format!(
            "catalina.{:04}-{:02}-{:02}.log",
            now.year(),
            now.month() as u8,
            now.day()
        );
        let ads = self
            .topo
            .hosts
            .iter()
            .filter(|h| h.role == Role::Ads)
            .filter_map(|h| h.disk.path(TOMCAT_LOGS).ok())
            .map(|d| d.join(&catalina));
        let products = self.products.values().flat_map(|p| p.telling_logs());
        ads.chain(products).collect()
    }

    /// `ccelab ctl restart HOST`: restarts the host's services, which reload from the disk.
    pub async fn restart(&self, host: &str) -> Result<(), LabError> {
        let h = self
            .topo
            .host(host)
            .ok_or_else(|| LabError::NoHost(host.into()))?;
        if let Some(p) = self.products.get(&h.name) {
            return p.restart().await.map_err(LabError::from);
        }
        match h.role {
            Role::Ads => {
                if let Some(s) = self.tomcat.get(&h.name) {
                    s.restart();
                    self.start_cce_admin_https(h).await?;
                }
            }
            Role::EceWeb | Role::AdDc | Role::Ca | Role::EceApp => {}
        }
        Ok(())
    }

    /// Stops or starts a Windows service: "Cisco Service" on the ECE server (F3),
    /// "Apache Tomcat" on an ADS.
    pub async fn set_service(
        &self,
        host: &str,
        service: &str,
        running: bool,
    ) -> Result<(), LabError> {
        let h = self
            .topo
            .host(host)
            .ok_or_else(|| LabError::NoHost(host.into()))?;
        if let Some(p) = self.products.get(&h.name) {
            if p.set_service(service, running).await? {
                return Ok(());
            }
        }
        match (h.role, service.to_ascii_lowercase().as_str()) {
            (Role::Ads, "apache tomcat") => {
                let s = self
                    .tomcat
                    .get(&h.name)
                    .ok_or_else(|| LabError::NoHost(host.into()))?;
                if let Some(old) = self.cce_admin_https.lock().await.remove(&h.name) {
                    old.stop().await;
                }
                if running {
                    s.start();
                    self.start_cce_admin_https(h).await?;
                } else {
                    s.stop()
                }
                Ok(())
            }
            _ => Err(svc_err(
                host,
                format!(
                    "no service `{service}` (ece-app: \"Cisco Service\"; ads: \"Apache Tomcat\")"
                ),
            )),
        }
    }

    /// What a host runs, as its products declare it: each Windows service
    /// or listener with its product port, the port it is really bound to
    /// and, for services that can stop, their state. `ccelab ctl status`
    /// and `topology.json` both show this.
    pub fn services(&self, h: &crate::topology::Host) -> Vec<ServiceInfo> {
        if let Some(p) = self.products.get(&h.name) {
            return p.services();
        }
        let listener = |name: &str, port: u16, state: Option<String>| ServiceInfo {
            name: name.to_string(),
            port: Some(port),
            bound_port: self.bound_port(&h.name, port),
            state,
        };
        match h.role {
            Role::Ads => self
                .tomcat
                .get(&h.name)
                .map(|s| vec![listener(&s.name, 443, Some(format!("{:?}", s.state())))])
                .unwrap_or_default(),
            Role::EceWeb | Role::EceApp | Role::AdDc | Role::Ca => vec![],
        }
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

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
mod ece_web;

pub use cce_admin::{gadget_down_message, GadgetOutcome, GADGET_ERROR};
use cce_admin::{start_tomcat, TomcatState};
pub use ece_web::{chain_from_ca_store, iis_https_bindings, IisBinding, INVALID_HOSTNAME};

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ccelab_emulators::host::Service;
use ccelab_emulators::personality::{self, java, Personality, Verdict};
use ccelab_emulators::pki::Certificate;
use ccelab_emulators::stores::{Entry, KeyMaterial, Keystore};
use ccelab_emulators::tls::{Binding, Events, HttpResponse, SiteConfig, TlsServer};
use serde::Serialize;

use crate::topology::{
    Role, Topology, APPLICATION_HOST, CACERTS, CERT_STORE_CA, CERT_STORE_MY, PFX_PASS, TOMCAT_LOGS,
};

/// Errors of the running lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error("no host `{0}`")]
    NoHost(String),
    #[error("{host}: {problem}")]
    Service { host: String, problem: String },
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
    pub events: Events,
    real_ports: bool,
    ece_web: tokio::sync::Mutex<Option<TlsServer>>,
    /// product port → bound port, per host
    ports: Mutex<HashMap<(String, u16), u16>>,
    tomcat: HashMap<String, Service<TomcatState>>,
    /// The ECE web server as entered in the inventory ([ECE] 4.3).
    pub inventory_web_server: Mutex<String>,
    /// ECE's Windows service "Cisco Service" on the collocated ECE server (F3).
    cisco_service: Arc<std::sync::atomic::AtomicBool>,
    /// How many web certificates were replaced (picks the next pool key).
    cert_serial: std::sync::atomic::AtomicUsize,
    /// The saved Unified CCE integration (application instance, agent PGs), once saved.
    integration: Mutex<Option<(String, Vec<String>)>>,
    /// Agents enabled for Email & Chat: (agent, screen name), as ECE's user list shows them.
    ece_users: Mutex<Vec<(String, String)>>,
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
        let lab = Arc::new(Lab {
            inventory_web_server: Mutex::new(
                topo.hosts
                    .iter()
                    .find(|h| h.role == Role::EceWeb)
                    .map(|h| h.fqdn.clone())
                    .unwrap_or_default(),
            ),
            topo,
            events: Events::default(),
            real_ports,
            ece_web: tokio::sync::Mutex::new(None),
            ports: Mutex::new(HashMap::new()),
            tomcat,
            cisco_service: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            cert_serial: std::sync::atomic::AtomicUsize::new(0),
            integration: Mutex::new(None),
            ece_users: Mutex::new(Vec::new()),
        });
        lab.start_ece_web().await?;
        Ok(lab)
    }

    fn ece_host(&self) -> Option<&crate::topology::Host> {
        self.topo.hosts.iter().find(|h| h.role == Role::EceWeb)
    }

    /// The port a host's product port is really bound to.
    pub fn bound_port(&self, host: &str, port: u16) -> Option<u16> {
        self.ports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(host.to_string(), port))
            .copied()
    }

    /// `ccelab ctl restart HOST`: restarts the host's services, which reload from the disk.
    pub async fn restart(&self, host: &str) -> Result<(), LabError> {
        let h = self
            .topo
            .host(host)
            .ok_or_else(|| LabError::NoHost(host.into()))?;
        match h.role {
            Role::Ads => {
                if let Some(s) = self.tomcat.get(&h.name) {
                    s.restart();
                }
            }
            Role::EceWeb => {
                if let Some(old) = self.ece_web.lock().await.take() {
                    old.stop().await;
                }
                self.start_ece_web().await?;
            }
            Role::Ca => {}
        }
        Ok(())
    }

    /// Stops or starts a Windows service: "Cisco Service" on the ECE server (F3),
    /// "Apache Tomcat" on an ADS.
    pub fn set_service(&self, host: &str, service: &str, running: bool) -> Result<(), LabError> {
        let h = self
            .topo
            .host(host)
            .ok_or_else(|| LabError::NoHost(host.into()))?;
        match (h.role, service.to_ascii_lowercase().as_str()) {
            (Role::EceWeb, "cisco service") => {
                self.cisco_service
                    .store(running, std::sync::atomic::Ordering::SeqCst);
                Ok(())
            }
            (Role::Ads, "apache tomcat") => {
                let s = self
                    .tomcat
                    .get(&h.name)
                    .ok_or_else(|| LabError::NoHost(host.into()))?;
                if running {
                    s.start()
                } else {
                    s.stop()
                }
                Ok(())
            }
            _ => Err(svc_err(
                host,
                format!("no service `{service}` (ece: \"Cisco Service\"; ads: \"Apache Tomcat\")"),
            )),
        }
    }

    /// The state of every host and service (for `ccelab ctl status`).
    pub fn status(&self) -> serde_json::Value {
        let hosts: Vec<serde_json::Value> = self
            .topo
            .hosts
            .iter()
            .map(|h| {
                let services: Vec<serde_json::Value> = match h.role {
                    Role::Ads => self
                        .tomcat
                        .get(&h.name)
                        .map(|s| vec![serde_json::json!({"name": s.name, "state": format!("{:?}", s.state())})])
                        .unwrap_or_default(),
                    Role::EceWeb => vec![
                        serde_json::json!({"name": "W3SVC", "port": 443, "bound_port": self.bound_port(&h.name, 443)}),
                        serde_json::json!({"name": "Cisco Service", "state": if self.cisco_service.load(std::sync::atomic::Ordering::SeqCst) { "Running" } else { "Stopped" }}),
                    ],
                    Role::Ca => vec![],
                };
                serde_json::json!({"name": h.name, "fqdn": h.fqdn, "role": h.role, "address": h.address.to_string(), "services": services})
            })
            .collect();
        serde_json::json!({ "preset": self.topo.preset, "hosts": hosts })
    }
}

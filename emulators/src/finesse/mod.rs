//! Cisco Finesse, primary and secondary ([SEC]; docs/requirements.md §1,
//! §2), on the VOS platform ([`crate::platform::vos`]):
//!
//! * **Cisco Finesse Tomcat** serves the desktop and the REST API
//!   ([`rest`]) on HTTPS 443 and 8445 with the `tomcat` certificate and
//!   `tomcat-trust` it loaded when it started; `utils service restart Cisco
//!   Finesse Tomcat` (or a product restart) reloads them ([SEC]: "restart
//!   Cisco Finesse Tomcat" after a tomcat-trust upload; F18);
//! * the platform administrator's CLI over SSH on 22
//!   ([`crate::platform::vos::ssh`]).
//!
//! Not emulated yet: Cisco Unified OS Administration (`cmplatform`, 8443,
//! served by Cisco Tomcat), the certmgr REST API, the desktop's Live Data
//! gadget, XMPP notifications.

pub mod rest;

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::host::{Service, ServiceState};
use crate::platform::vos::{self, ssh::SshServer, TomcatLoad, Vos, VosConfig};
use crate::product::{HostCtx, ProductError, ProductFuture, Running, ServiceInfo};
use crate::tls::{Binding, SiteConfig, TlsServer};

/// The service serving the desktop and the REST API.
pub const FINESSE_TOMCAT: &str = "Cisco Finesse Tomcat";
/// The platform's Tomcat (Cisco Unified OS Administration).
pub const CISCO_TOMCAT: &str = "Cisco Tomcat";
/// The desktop/REST ports (the port utilization guide: 443 and 8445).
pub const HTTPS_PORTS: [u16; 2] = [443, 8445];
/// The SSH port of the admin CLI.
pub const SSH_PORT: u16 = 22;

/// An agent (or supervisor) the deployment provisions: what Finesse's REST
/// API authenticates and returns.
#[derive(Clone, Debug)]
pub struct Agent {
    /// The agent's id (`loginId`, the peripheral number).
    pub id: String,
    /// The login name.
    pub login_name: String,
    /// The password.
    pub password: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// The extension.
    pub extension: String,
    /// The team's id.
    pub team_id: String,
    /// The team's name.
    pub team_name: String,
    /// A supervisor (reads the team's users).
    pub supervisor: bool,
}

/// What the two Finesse nodes share: the agents (from CCE, through the CTI
/// server), their states, the application administrator and whether the
/// cluster is in service.
pub struct FinesseDeployment {
    /// The agents.
    pub agents: Vec<Agent>,
    /// The application administrator (REST, HTTP Basic).
    pub admin: (String, String),
    /// The agents' states (LOGOUT until changed).
    pub states: Arc<Mutex<HashMap<String, rest::AgentState>>>,
    in_service: std::sync::atomic::AtomicBool,
}

impl FinesseDeployment {
    /// A deployment with these agents and administrator, in service.
    pub fn new(agents: Vec<Agent>, admin: (String, String)) -> FinesseDeployment {
        FinesseDeployment {
            agents,
            admin,
            states: Arc::new(Mutex::new(HashMap::new())),
            in_service: std::sync::atomic::AtomicBool::new(true),
        }
    }

    /// The agent with this id or login name.
    pub fn agent(&self, who: &str) -> Option<&Agent> {
        self.agents
            .iter()
            .find(|a| a.id == who || a.login_name.eq_ignore_ascii_case(who))
    }

    /// Whether Finesse is IN_SERVICE (else every call but SystemInfo is 503).
    pub fn in_service(&self) -> bool {
        self.in_service.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Sets IN_SERVICE / OUT_OF_SERVICE (the CTI link up or down).
    pub fn set_in_service(&self, on: bool) {
        self.in_service
            .store(on, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The cluster's nodes, as SystemInfo reports them.
#[derive(Clone, Debug)]
pub struct NodeInfo {
    /// The primary's FQDN.
    pub primary: String,
    /// The secondary's FQDN.
    pub secondary: Option<String>,
}

/// What a Finesse node is told when it starts.
pub struct FinesseConfig {
    /// The shared deployment.
    pub deployment: Arc<FinesseDeployment>,
    /// The cluster's nodes.
    pub nodes: NodeInfo,
    /// The platform's settings.
    pub vos: VosConfig,
}

/// The platform services of a Finesse node (`utils service list`; the
/// Finesse installation guide lists Cisco Finesse Tomcat and Cisco Tomcat).
pub fn platform_services() -> Vec<(String, bool)> {
    [
        ("A Cisco DB", true),
        ("A Cisco DB Replicator", true),
        ("Cisco AMC Service", true),
        ("Cisco Audit Event Service", true),
        ("Cisco CDP", true),
        ("Cisco CDP Agent", true),
        ("Cisco Certificate Expiry Monitor", true),
        ("Cisco DRF Local", true),
        ("Cisco DRF Master", true),
        ("Cisco Finesse Notification Service", true),
        (FINESSE_TOMCAT, true),
        ("Cisco Log Partition Monitoring Tool", true),
        ("Cisco RIS Data Collector", true),
        ("Cisco Syslog Agent", true),
        (CISCO_TOMCAT, true),
        ("Cisco Tomcat Stats Servlet", true),
        ("Cisco Trace Collection Service", true),
        ("Host Resources Agent", true),
        ("Platform Administrative Web Service", true),
        ("SNMP Master Agent", true),
        ("SOAP -Log Collection APIs", true),
        ("System NTP", true),
        ("Cisco SFTP Service", false),
    ]
    .into_iter()
    .map(|(n, on)| (n.to_string(), on))
    .collect()
}

/// A running Finesse node.
pub struct RunningFinesse {
    ctx: HostCtx,
    vos: Arc<Vos>,
    deployment: Arc<FinesseDeployment>,
    nodes: NodeInfo,
    tomcat: Arc<Service<TomcatLoad>>,
    https: tokio::sync::Mutex<[Option<TlsServer>; 2]>,
    ssh: tokio::sync::Mutex<Option<SshServer>>,
}

/// Starts Finesse on a host: Cisco Finesse Tomcat loads its certificates,
/// HTTPS 443/8445 and SSH 22 listen.
pub async fn start(
    config: FinesseConfig,
    ctx: HostCtx,
) -> Result<Arc<RunningFinesse>, ProductError> {
    let vos = Vos::new(
        &ctx.name,
        &ctx.fqdn,
        ctx.disk.clone(),
        ctx.clock.clone(),
        config.vos,
    );
    let disk = ctx.disk.clone();
    let tomcat = Arc::new(Service::new(FINESSE_TOMCAT, move || {
        vos::load_tomcat(&disk)
    }));
    {
        let t = tomcat.clone();
        tokio::task::spawn_blocking(move || t.start())
            .await
            .map_err(|e| ProductError::new(&ctx.name, e))?;
    }
    let f = Arc::new(RunningFinesse {
        ctx,
        vos: vos.clone(),
        deployment: config.deployment,
        nodes: config.nodes,
        tomcat,
        https: tokio::sync::Mutex::new([None, None]),
        ssh: tokio::sync::Mutex::new(None),
    });
    f.start_https().await?;
    // the CLI's `utils service stop|start|restart Cisco Finesse Tomcat`
    let weak = Arc::downgrade(&f);
    vos.on_service(
        FINESSE_TOMCAT,
        Arc::new(move |start| {
            let weak = weak.clone();
            Box::pin(async move {
                match weak.upgrade() {
                    Some(f) => f.set_tomcat(start).await,
                    None => Ok(()),
                }
            })
        }),
    );
    let h = &f.ctx;
    let ssh = h
        .listeners
        .bind(&h.name, h.address, SSH_PORT, |addr| {
            let vos = vos.clone();
            async move {
                let s = SshServer::start(addr, vos).await?;
                let local = s.local_addr();
                Ok::<_, std::io::Error>((s, local))
            }
        })
        .await?;
    *f.ssh.lock().await = Some(ssh);
    Ok(f)
}

impl RunningFinesse {
    /// The platform it runs on.
    pub fn vos(&self) -> &Arc<Vos> {
        &self.vos
    }

    /// The deployment it belongs to.
    pub fn deployment(&self) -> &Arc<FinesseDeployment> {
        &self.deployment
    }

    /// What Cisco Finesse Tomcat loaded at its last start (None while stopped).
    pub fn tomcat(&self) -> Option<TomcatLoad> {
        self.tomcat.loaded()
    }

    async fn start_https(&self) -> Result<(), ProductError> {
        let mut slots = self.https.lock().await;
        self.start_https_in(&mut slots).await
    }

    async fn start_https_in(&self, slots: &mut [Option<TlsServer>; 2]) -> Result<(), ProductError> {
        let h = &self.ctx;
        let identity = self.tomcat.loaded().and_then(|t| t.identity.ok());
        let Some((cert, key)) = identity else {
            // stopped, or no usable tomcat certificate: nothing listens
            for s in slots.iter_mut() {
                if let Some(old) = s.take() {
                    old.stop().await;
                }
            }
            return Ok(());
        };
        for (slot, port) in slots.iter_mut().zip(HTTPS_PORTS) {
            let site = SiteConfig {
                bindings: vec![Binding::new(
                    format!("{} {FINESSE_TOMCAT} https {port}", h.name),
                    vec![cert.clone()],
                    key.clone(),
                )],
                limits: crate::tls::Limits::TOMCAT,
                ..SiteConfig::default()
            };
            let (d, nodes, clock) = (self.deployment.clone(), self.nodes.clone(), h.clock.clone());
            let states = d.states.clone();
            let handler =
                crate::tls::handler(move |r| rest::handle(&d, &nodes, &states, clock.now(), &r));
            h.listeners
                .serve_in(slot, &h.name, h.address, port, site, handler)
                .await?;
        }
        Ok(())
    }

    /// Starts or stops Cisco Finesse Tomcat (a start reads the disk again).
    async fn set_tomcat(&self, start: bool) -> Result<(), ProductError> {
        let mut slots = self.https.lock().await;
        let t = self.tomcat.clone();
        tokio::task::spawn_blocking(move || if start { t.start() } else { t.stop() })
            .await
            .map_err(|e| ProductError::new(&self.ctx.name, e))?;
        self.start_https_in(&mut slots).await
    }
}

impl Running for RunningFinesse {
    fn services(&self) -> Vec<ServiceInfo> {
        let state = match self.tomcat.state() {
            ServiceState::Running => "Running",
            ServiceState::Stopped => "Stopped",
        };
        let h = &self.ctx;
        let mut out: Vec<ServiceInfo> = HTTPS_PORTS
            .iter()
            .map(|&p| ServiceInfo {
                name: FINESSE_TOMCAT.into(),
                port: Some(p),
                bound_port: h.listeners.bound(&h.name, p),
                state: Some(state.into()),
            })
            .collect();
        out.push(ServiceInfo {
            name: "sshd (admin CLI)".into(),
            port: Some(SSH_PORT),
            bound_port: h.listeners.bound(&h.name, SSH_PORT),
            state: Some("Running".into()),
        });
        out
    }

    /// Cisco Finesse Tomcat restarts: the certificate units are read again.
    fn restart(&self) -> ProductFuture<'_, Result<(), ProductError>> {
        Box::pin(async move {
            self.vos.set_service(FINESSE_TOMCAT, false).await?;
            self.vos.set_service(FINESSE_TOMCAT, true).await
        })
    }

    fn set_service<'a>(
        &'a self,
        service: &'a str,
        running: bool,
    ) -> ProductFuture<'a, Result<bool, ProductError>> {
        Box::pin(async move {
            let Some((name, _)) = self.vos.service_named(service) else {
                return Ok(false);
            };
            self.vos.set_service(&name, running).await?;
            Ok(true)
        })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// How a VOS host's `tomcat` certificate is made in a topology.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TomcatCert {
    /// Self-signed by the platform at installation (VOS's default).
    #[default]
    SelfSigned,
    /// Signed by the deployment's issuing CA (its chain in `tomcat-trust`).
    CaSigned,
}

/// Finesse's knobs in a topology.
#[derive(Clone, Debug, PartialEq)]
pub struct FinesseKnobs {
    /// How the nodes' tomcat certificates are made.
    pub certificate: TomcatCert,
    /// How long `utils service restart` takes.
    pub restart_time: std::time::Duration,
}

impl Default for FinesseKnobs {
    fn default() -> Self {
        FinesseKnobs {
            certificate: TomcatCert::SelfSigned,
            restart_time: std::time::Duration::from_secs(3),
        }
    }
}

/// The `[finesse]` section of a topology file.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinesseSection {
    /// `self-signed` (default) or `ca-signed`.
    pub certificate: Option<TomcatCert>,
    /// Seconds `utils service restart` takes (default 3; 0 to 600).
    pub restart_seconds: Option<f64>,
}

impl FinesseSection {
    /// The knobs this section makes from `base`.
    pub fn knobs(&self, mut base: FinesseKnobs) -> Result<FinesseKnobs, String> {
        if let Some(c) = self.certificate {
            base.certificate = c;
        }
        if let Some(s) = self.restart_seconds {
            if !(0.0..=600.0).contains(&s) {
                return Err(format!("restart_seconds = {s}: between 0 and 600"));
            }
            base.restart_time = std::time::Duration::from_secs_f64(s);
        }
        Ok(base)
    }
}

/// The agents of a preset: a team of three agents and their supervisor
/// (ids, names and the team are ccelab's; password `Password1`).
pub fn preset_agents(password: &str) -> Vec<Agent> {
    [
        ("1001001", "agent1", "Chris", "Smith", "1001001", false),
        ("1001002", "agent2", "Kim", "Lee", "1001002", false),
        ("1001003", "agent3", "Sam", "Tanaka", "1001003", false),
        ("1001010", "supervisor1", "Pat", "Jones", "1001010", true),
    ]
    .into_iter()
    .map(|(id, login, first, last, ext, sup)| Agent {
        id: id.into(),
        login_name: login.into(),
        password: password.into(),
        first_name: first.into(),
        last_name: last.into(),
        extension: ext.into(),
        team_id: "5000".into(),
        team_name: "Sales".into(),
        supervisor: sup,
    })
    .collect()
}

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
//! * Cisco Tomcat on 8443 (cmplatform, the certmgr API) comes with the
//!   platform ([`crate::platform::vos::appliance`]);
//! * the agent's desktop with the Live Data gadget ([`desktop`]) and single
//!   sign-on with IdS ([`sso`]).
//!
//! Not emulated: Cisco's JavaScript desktop itself, XMPP notifications.

pub mod desktop;
pub mod rest;
pub mod sso;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::platform::vos::appliance::{Appliance, HandlerFactory, WebService};
use crate::platform::vos::{TomcatLoad, VosConfig};
use crate::product::{HostCtx, ProductError};

/// The service serving the desktop and the REST API.
pub const FINESSE_TOMCAT: &str = "Cisco Finesse Tomcat";
/// The platform's Tomcat (Cisco Unified OS Administration).
pub const CISCO_TOMCAT: &str = "Cisco Tomcat";
/// The desktop/REST ports (the port utilization guide: 443 and 8445).
pub const HTTPS_PORTS: [u16; 2] = [443, 8445];

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
    /// What the agents' browsers trust.
    pub browsers: desktop::Browsers,
    in_service: std::sync::atomic::AtomicBool,
}

impl FinesseDeployment {
    /// A deployment with these agents and administrator, in service; the
    /// agents' browsers trust `os` (the OS store of their PCs).
    pub fn new(
        agents: Vec<Agent>,
        admin: (String, String),
        os: Vec<crate::pki::Certificate>,
    ) -> FinesseDeployment {
        FinesseDeployment {
            agents,
            admin,
            states: Arc::new(Mutex::new(HashMap::new())),
            browsers: desktop::Browsers::new(os),
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
    /// Single sign-on with IdS is configured.
    pub sso: bool,
}

/// What a Finesse node is told when it starts.
pub struct FinesseConfig {
    /// The shared deployment.
    pub deployment: Arc<FinesseDeployment>,
    /// The cluster's nodes.
    pub nodes: NodeInfo,
    /// The CUIC node whose Live Data gadget this node's desktop layout
    /// shows (the publisher for the primary, the subscriber for the
    /// secondary: [SEC]) and where its Live Data listens; None: no gadget.
    pub live_data: Option<(String, crate::cuic::LiveDataProfile)>,
    /// Finesse as an OAuth client of IdS (None: no SSO).
    pub sso: Option<sso::SsoClient>,
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

/// What a Finesse node is, beyond its platform (reached with
/// [`Appliance::product`]).
pub struct FinesseNode {
    /// The shared deployment.
    pub deployment: Arc<FinesseDeployment>,
    /// The cluster's nodes.
    pub nodes: NodeInfo,
    /// The CUIC node of its Live Data gadget, and its Live Data profile.
    pub live_data: Option<(String, crate::cuic::LiveDataProfile)>,
    /// Its single sign-on with IdS, when configured.
    pub sso: Option<sso::SsoClient>,
}

/// Finesse's Java connections, with the `tomcat-trust` Cisco Finesse
/// Tomcat loaded when it started (none while it is stopped): to IdS for
/// single sign-on (F17) and to CUIC for the Live Data gadget (F18).
async fn edges(a: &Appliance) -> Vec<crate::edges::TrustEdge> {
    use crate::edges::{self, EdgeSpec};
    let (Some(node), Some(load)) = (a.product::<FinesseNode>(), a.loaded(FINESSE_TOMCAT)) else {
        return Vec::new();
    };
    let trust: Vec<crate::pki::Certificate> = load.trust.iter().map(|(_, c)| c.clone()).collect();
    let spec = |purpose: &str, name: &str, port: u16, codes: Vec<&'static str>| EdgeSpec {
        purpose: purpose.into(),
        personality: crate::personality::Personality::Java(a.ctx().java),
        client: "Cisco Finesse Tomcat (Java)".into(),
        store: "tomcat-trust, as Cisco Finesse Tomcat loaded it".into(),
        name: name.into(),
        port,
        codes,
        windows: false,
    };
    let mut specs = Vec::new();
    if let Some(s) = &node.sso {
        specs.push(spec(
            "single sign-on: checks tokens with IdS",
            &s.ids,
            crate::ids::IDS_PORT,
            vec!["F17"],
        ));
    }
    if let Some((cuic, _)) = &node.live_data {
        specs.push(spec(
            "fetches the Live Data gadget",
            cuic,
            crate::cuic::REPORTING_PORT,
            vec!["F18"],
        ));
    }
    let h = a.ctx();
    let mut out = edges::probe_all(
        h.network.as_ref(),
        &h.name,
        specs,
        Ok(&trust),
        h.clock.now(),
    )
    .await;
    // the agents' browsers then call Live Data from the desktop, trusting
    // their PCs' OS store (an agent who accepted a certificate at the
    // browser's warning page trusts it too; the graph shows the store alone)
    if let Some((cuic, profile)) = &node.live_data {
        let (web, socket_io) = profile.ports();
        for (port, what) in [(web, "web"), (socket_io, "socket.io")] {
            let spec = EdgeSpec {
                purpose: format!(
                    "the Live Data gadget's {what} connection, from {}'s desktop",
                    h.fqdn
                ),
                personality: crate::personality::Personality::Browser,
                client: "the agent's browser".into(),
                store: "the OS trust store of the agents' PCs".into(),
                name: cuic.clone(),
                port,
                codes: vec!["F18"],
                windows: false,
            };
            // what Chrome's console names the failure, as the desktop logs it
            // (the rustls text behind it is ccelab's, not the browser's)
            let wrap = |v: &crate::personality::Verdict| desktop::chrome_error(&v.text).to_string();
            out.push(
                edges::probe(
                    h.network.as_ref(),
                    AGENTS_BROWSERS,
                    spec,
                    Ok(&node.deployment.browsers.os),
                    h.clock.now(),
                    &wrap,
                )
                .await,
            );
        }
    }
    out
}

/// The client of the agents' browsers' edges in the trust graph (not a host).
pub const AGENTS_BROWSERS: &str = "agents' browsers";

/// What Cisco Finesse Tomcat's handler works with.
#[derive(Clone)]
struct RestEnv {
    d: Arc<FinesseDeployment>,
    nodes: NodeInfo,
    clock: crate::clock::Clock,
    network: Arc<dyn crate::network::Network>,
    sso: Option<sso::SsoClient>,
    cache: Arc<sso::TokenCache>,
    live_data: Option<(String, crate::cuic::LiveDataProfile)>,
    disk: crate::host::VirtualDisk,
    fqdn: String,
    java: crate::personality::jre::Jre,
}

impl RestEnv {
    /// `POST /desktop/signin`: the agent's desktop, with the Live Data
    /// gadget Finesse fetches from CUIC with the trust it loaded.
    async fn sign_in(
        &self,
        trust: &Arc<Vec<crate::pki::Certificate>>,
        r: &crate::tls::HttpRequest,
    ) -> crate::tls::HttpResponse {
        let f = crate::platform::http::form_fields(&String::from_utf8_lossy(&r.body));
        let user = f.get("username").cloned().unwrap_or_default();
        match self.d.agent(&user) {
            Some(a) if Some(&a.password) == f.get("password") => {}
            _ => return desktop::sign_in_page(Some("Invalid username or password.")),
        }
        let gadget = match &self.live_data {
            None => None,
            Some((cuic, profile)) => Some(
                match desktop::fetch_gadget(&self.network, &self.clock, self.java, trust, cuic)
                    .await
                {
                    Ok(_) => Ok((cuic.clone(), *profile)),
                    Err((url, v)) => {
                        desktop::log_failure(&self.disk, &self.clock, &url, &v).await;
                        Err(url)
                    }
                },
            ),
        };
        desktop::desktop_page(&user, &self.fqdn, gadget)
    }

    /// One request: the SSO endpoints, else the REST API (a bearer token
    /// checked at IdS first).
    async fn serve(
        &self,
        trust: Arc<Vec<crate::pki::Certificate>>,
        r: crate::tls::HttpRequest,
    ) -> crate::tls::HttpResponse {
        match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/desktop" | "/desktop/") => return desktop::sign_in_page(None),
            ("POST", "/desktop/signin") => return self.sign_in(&trust, &r).await,
            _ => {}
        }
        let link = self.sso.clone().map(|s| sso::IdsLink {
            network: self.network.clone(),
            sso: s,
            trust,
            clock: self.clock.clone(),
            java: self.java,
        });
        let rest = |b| {
            rest::handle(
                &self.d,
                &self.nodes,
                &self.d.states,
                self.clock.now(),
                &r,
                b,
            )
        };
        match (
            &link,
            r.method.as_str(),
            r.path.as_str(),
            sso::bearer_of(&r),
        ) {
            (Some(l), "GET", "/desktop/sso/token", _) => sso::start(&l.sso, &r),
            (Some(l), "POST", "/desktop/sso/token", _) => sso::refresh(l, &r).await,
            (Some(l), "GET", "/desktop/sso/authcode", _) => sso::authcode(l, &r).await,
            (None, _, "/desktop/sso/token" | "/desktop/sso/authcode", _) => rest::api_error(
                404,
                "Not Found",
                "SSO is not configured on this Finesse",
                "",
            ),
            (Some(l), _, _, Some(t)) => rest(sso::check(l, &self.cache, &t).await),
            (None, _, _, Some(_)) => rest(rest::Bearer::Refused("SSO is not configured".into())),
            (_, _, _, None) => rest(rest::Bearer::None),
        }
    }
}

/// Starts Finesse on a host: Cisco Finesse Tomcat loads the certificate
/// units and serves HTTPS 443 and 8445, the CLI listens on 22.
pub async fn start(config: FinesseConfig, ctx: HostCtx) -> Result<Arc<Appliance>, ProductError> {
    let env = RestEnv {
        d: config.deployment.clone(),
        nodes: config.nodes.clone(),
        clock: ctx.clock.clone(),
        network: ctx.network.clone(),
        sso: config.sso.clone(),
        cache: Arc::new(sso::TokenCache::default()),
        live_data: config.live_data.clone(),
        disk: ctx.disk.clone(),
        fqdn: ctx.fqdn.clone(),
        java: ctx.java,
    };
    let rest: HandlerFactory = Arc::new(move |load: &TomcatLoad| {
        // the IdS calls trust what Cisco Finesse Tomcat loaded at its start
        let trust: Arc<Vec<crate::pki::Certificate>> =
            Arc::new(load.trust.iter().map(|(_, c)| c.clone()).collect());
        let env = env.clone();
        crate::tls::async_handler(move |r| {
            let (env, trust) = (env.clone(), trust.clone());
            async move { env.serve(trust, r).await }
        })
    });
    let webs = vec![WebService::new(
        FINESSE_TOMCAT,
        HTTPS_PORTS.iter().map(|&p| (p, rest.clone())).collect(),
        &ctx.disk,
    )];
    let node = FinesseNode {
        deployment: config.deployment,
        nodes: config.nodes,
        live_data: config.live_data,
        sso: config.sso,
    };
    let logs = vec![ctx.disk.root().join(desktop::DESKTOP_LOG)];
    let a = Appliance::start(ctx, config.vos, webs, logs, Box::new(node)).await?;
    a.set_edges(Arc::new(|a| Box::pin(edges(a))));
    Ok(a)
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

/// Which CUIC certificates are in each Finesse node's `tomcat-trust` when
/// the topology starts ([SEC] Live Data; F18).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CuicTrust {
    /// The seed's rule: the publisher's on the primary, the subscriber's on
    /// the secondary.
    #[default]
    Seed,
    /// Newer Finesse guides' rule: both on each node.
    Both,
    /// None (the upload was never done: F18).
    None,
}

/// Finesse's SystemInfo status at start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FinesseStatus {
    /// `IN_SERVICE`.
    InService,
    /// `OUT_OF_SERVICE`.
    OutOfService,
}

/// The name a Finesse certificate is made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateCn {
    /// The FQDN (as the inventory has it).
    Fqdn,
    /// The host name only (F17).
    HostName,
}

/// Finesse's knobs in a topology.
#[derive(Clone, Debug, PartialEq)]
pub struct FinesseKnobs {
    /// How the VOS appliances' tomcat certificates are made.
    pub certificate: TomcatCert,
    /// Which CUIC certificates Finesse trusts at start.
    pub cuic_trust: CuicTrust,
    /// Whether Live Data allows the Finesse desktops' origins (CORS) at start.
    pub live_data_cors: bool,
    /// Finesse's certificates were made for the host name (`finessea`), not
    /// the FQDN the inventory has (F17).
    pub certificate_cn_host_name: bool,
    /// Finesse is IN_SERVICE (false: OUT_OF_SERVICE, its CTI link down:
    /// every REST call but SystemInfo answers 503).
    pub in_service: bool,
    /// How long `utils service restart` takes.
    pub restart_time: std::time::Duration,
}

impl Default for FinesseKnobs {
    fn default() -> Self {
        FinesseKnobs {
            certificate: TomcatCert::SelfSigned,
            cuic_trust: CuicTrust::Seed,
            live_data_cors: true,
            certificate_cn_host_name: false,
            in_service: true,
            restart_time: std::time::Duration::from_secs(3),
        }
    }
}

/// The `[finesse]` section of a topology file.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinesseSection {
    /// `self-signed` (default) or `ca-signed`: the tomcat certificates of
    /// every VOS appliance (Finesse, CUIC).
    pub certificate: Option<TomcatCert>,
    /// `seed` (default: publisher → primary, subscriber → secondary),
    /// `both`, or `none`: the CUIC certificates in Finesse's tomcat-trust.
    pub cuic_trust: Option<CuicTrust>,
    /// Whether Live Data allows the desktops' origins at start (default true).
    pub live_data_cors: Option<bool>,
    /// `fqdn` (default) or `host-name`: the CN (and SAN) of the Finesse
    /// nodes' tomcat certificates (`host-name`: F17).
    pub certificate_cn: Option<CertificateCn>,
    /// `in-service` (default) or `out-of-service` (SystemInfo's status;
    /// other calls answer 503).
    pub status: Option<FinesseStatus>,
    /// Seconds `utils service restart` takes on every VOS appliance
    /// (default 3; 0 to 600).
    pub restart_seconds: Option<f64>,
}

impl FinesseSection {
    /// The knobs this section makes from `base`.
    pub fn knobs(&self, mut base: FinesseKnobs) -> Result<FinesseKnobs, String> {
        if let Some(c) = self.certificate {
            base.certificate = c;
        }
        if let Some(c) = self.cuic_trust {
            base.cuic_trust = c;
        }
        if let Some(c) = self.live_data_cors {
            base.live_data_cors = c;
        }
        if let Some(c) = self.certificate_cn {
            base.certificate_cn_host_name = c == CertificateCn::HostName;
        }
        if let Some(st) = self.status {
            base.in_service = st == FinesseStatus::InService;
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

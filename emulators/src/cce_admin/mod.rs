//! CCE Administration (SPOG) on each ADS of a deployment: Tomcat with the
//! `cacerts` it loaded at its last start (F9; [`tomcat`]), its REST API
//! ([`api`]: the machine inventory of [`inventory`]), opening the ECE gadget
//! with the Java personality (F1, F2, F7, F8, F10) and the administrator's
//! browser (F4, F13), the catalina and startup logs of docs/requirements.md
//! §6, the AWDB ECE logs in to ([`awdb`]: SQL Server on 1433; [ECE] 5) and
//! the agents it enables for Email & Chat ([ECE] 6), which it hands to ECE
//! over HTTPS as it opens the gadget (the same trust, the same `pa`
//! credentials of the inventory).
//!
//! The inventory belongs to the deployment, not to one ADS (it lives in
//! the AWDBs): one [`CceDeployment`] is shared by the ADSs' products. ECE's
//! data (the integration's tabs, its users and departments) is ECE's
//! (`crate::ece::db`), reached only over the network.

pub mod api;
pub mod awdb;
pub mod inventory;
pub mod tomcat;
pub mod web;

use std::any::Any;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::actors::browser::{gadget_in_browser, InBrowser};
use crate::host::Service;
use crate::network::Unreachable;
use crate::personality::{self, Personality, Request, Verdict};
use crate::product::{HostCtx, ProductError, ProductFuture, Running, ServiceInfo, Shown};
use crate::tls::{Binding, SiteConfig, TlsServer};

use inventory::{ApiError, Inventory, InventoryEnv, Machine, NewMachine};
use tomcat::{log_catalina, start_tomcat, startup_stamp, TomcatState};

/// `cacerts` of the AW/ADS.
pub const CACERTS: &str = r"%JAVA_HOME%\lib\security\cacerts";
/// The `cacerts` password on every ADS (the JDK default).
pub const CACERTS_PASS: &str = "changeit";
/// The Tomcat logs of CCE Administration.
pub const TOMCAT_LOGS: &str = r"C:\icm\tomcat\logs";
/// The AWDB of the deployment (`{ICM instance}_awdb`) and the SQL Server
/// login ECE uses for it ([ECE] 5, AWDB Details tab; the login name is ccelab's).
pub const AWDB_DATABASE: &str = "pcce_awdb";
/// The AWDB's SQL Server port (the default instance's).
pub const AWDB_PORT: u16 = crate::platform::sql_server::PORT;
/// The SQL Server login of [`AWDB_DATABASE`].
pub const AWDB_LOGIN: &str = "ece_awdb";

/// A certificate an ADS's `cacerts` can hold (besides its own `tomcatCert`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Trusted {
    /// The enterprise root CA (alias `Example Enterprise CA`).
    Root,
    /// The issuing CA (alias `Example Issuing CA`; F8 when only the root is
    /// there and the web server sends no chain).
    Issuing,
    /// The ECE web server's own certificate (the self-signed route of [ECE] 4.1).
    EceWeb,
    /// Each Finesse node's own self-signed certificate, under its FQDN as
    /// alias ([SEC] "Finesse / IdS → AW": `keytool -import … -alias <FQDN>`).
    Finesse,
    /// Each IdS node's own self-signed certificate, likewise.
    Ids,
    /// Each CVP server's self-signed `wsm_certificate`, under its FQDN as
    /// alias ([SEC] "CVP reporting server → AW").
    Cvp,
}

/// CCE Administration's knobs in a topology.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AdsKnobs {
    /// What every ADS's `cacerts` trusts ([ECE] 4.1 done right: the root
    /// and the issuing CA; `[]`: F1).
    pub cacerts: Vec<Trusted>,
    /// Instead of `cacerts`: the trusted certificates, under their aliases,
    /// of a key store file (`[ads] cacerts_file`), by ADS host name (`*`
    /// for every ADS without its own).
    pub cacerts_entries: std::collections::BTreeMap<String, Vec<(String, crate::pki::Certificate)>>,
    /// The application instance of the deployment (in the AWDB; F11).
    pub app_instance: String,
}

impl AdsKnobs {
    /// As a preset of `agents` agents has them: 2000 agents use
    /// `MultiChannel`; 4000 and 12000 agents an instance the integrator
    /// created, named by best practice `{site}_{peripheral set}_{instance}`
    /// ([ECE] 4.3).
    pub fn for_agents(agents: u32) -> AdsKnobs {
        AdsKnobs {
            cacerts: vec![
                Trusted::Root,
                Trusted::Issuing,
                Trusted::Finesse,
                Trusted::Ids,
                Trusted::Cvp,
            ],
            cacerts_entries: Default::default(),
            app_instance: if agents > 2000 {
                "Main_PS1_Multichannel".into()
            } else {
                "MultiChannel".into()
            },
        }
    }
}

/// The `[ads]` section of a topology file: changes to [`AdsKnobs`].
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdsSection {
    /// The certificates in `cacerts` (`[]`: none of the topology's; F1).
    pub cacerts: Option<Vec<Trusted>>,
    /// Instead of `cacerts`: a key store (JKS, JCEKS or PKCS#12; in the
    /// topology file's folder or below) whose trusted certificates, under
    /// their aliases, every ADS's `cacerts` holds — what `ccelab
    /// reproduce` writes from a customer's `cacerts`.
    pub cacerts_file: Option<String>,
    /// The password of the `cacerts_file`s (default `changeit`).
    pub cacerts_password: Option<String>,
    /// One ADS's own `cacerts_file`, by host name (`ads-b = "…"`).
    #[serde(default)]
    pub cacerts_files: std::collections::BTreeMap<String, String>,
}

impl AdsSection {
    /// Applies the section to `knobs`, reading the key store files from
    /// `base_dir`; an error is `(key, problem)`.
    pub fn apply(
        &self,
        knobs: &mut AdsKnobs,
        base_dir: &std::path::Path,
    ) -> Result<(), (String, String)> {
        if let Some(c) = &self.cacerts {
            if self.cacerts_file.is_some() {
                return Err((
                    "ads.cacerts_file".into(),
                    "`cacerts` and `cacerts_file` both say what cacerts holds: keep one".into(),
                ));
            }
            knobs.cacerts = c.clone();
        }
        let pass = self.cacerts_password.as_deref().unwrap_or(CACERTS_PASS);
        let load = |f: &str| -> Result<Vec<(String, crate::pki::Certificate)>, String> {
            let bytes = crate::host::read_below(base_dir, f)?;
            let at = base_dir.join(f).display().to_string();
            let store = crate::stores::Keystore::load(&bytes, Some(pass))
                .map_err(|e| format!("{at}: {e}"))?;
            Ok(store
                .entries()
                .iter()
                .filter_map(|e| match &e.entry {
                    crate::stores::Entry::Trusted(c) => Some((e.alias.clone(), c.clone())),
                    _ => None,
                })
                .collect())
        };
        if let Some(f) = &self.cacerts_file {
            let entries = load(f).map_err(|e| ("ads.cacerts_file".to_string(), e))?;
            knobs.cacerts_entries.insert("*".into(), entries);
        }
        for (host, f) in &self.cacerts_files {
            let entries = load(f).map_err(|e| (format!("ads.cacerts_files.{host}"), e))?;
            knobs.cacerts_entries.insert(host.clone(), entries);
        }
        Ok(())
    }
}

/// What the SPOG user sees when opening the ECE gadget.
pub const GADGET_ERROR: &str = "There was an error loading the page. Contact your administrator.";

/// What the SPOG user sees when the gadget's session is not known where its
/// next request landed (F23 behind a load balancer): ccelab's description,
/// not a product text; the gadget's page shows the same sentence
/// ([`crate::ece::SPOG_GADGET_HTML`]; Chromium, `F23-offload-no-cookie`).
pub const GADGET_LOGIN_PAGE: &str = "The Email and Chat gadget shows ECE's login page instead of its content (its session is not known on the web server the request reached).";

/// What the SPOG user sees when the gadget's own script cannot reach ECE
/// (F13): ccelab's description of an empty gadget area, not a product text;
/// the browser console (`GadgetOutcome::console`) says why.
pub const GADGET_BLANK: &str = "The Email and Chat gadget stays blank (nothing loads in it).";

/// The ECE web server as entered in CCE Administration's inventory ([ECE]
/// 4.3): the name SPOG calls it by (F10) and the ECE credentials it logs in
/// with, which must be the `pa` login (F12).
#[derive(Clone, Debug, Serialize)]
pub struct EceInventory {
    /// The web server's name as entered.
    pub web_server: String,
    /// The ECE user SPOG logs in as.
    pub user: String,
    /// Its password (never shown).
    #[serde(skip)]
    pub password: String,
}

/// The outcome of opening the ECE gadget.
#[derive(Clone, Debug, Serialize)]
pub struct GadgetOutcome {
    /// The gadget opened.
    pub ok: bool,
    /// What the SPOG user sees. Why it failed is in a log: the catalina log
    /// (the ADS's Java call) or ECE's application server log (SSO, F4).
    pub message: String,
    /// What the administrator's browser console shows (the gadget's own
    /// requests, F13), in Chrome's wording.
    pub console: Vec<String>,
}

/// What the gadget's frame shows when the ECE services are down (F3):
/// Chrome's error page for the frame's URL (its sentence as Chrome writes
/// it; [ECE] quotes it without the full stop). Chromium 156 draws only the
/// page's icon in a frame (docs/screenshots/F03-services-not-started.png);
/// the sentence is the frame's text, and what opening its URL shows.
pub fn gadget_down_message(url: &str) -> String {
    format!("The webpage at {url} might be temporarily down or it may have moved permanently to a new web address.")
}

/// What the ADSs of a deployment share, as they share the configuration
/// in their AWDBs: the machine inventory, the administrator, the AWDB login
/// and the application instance.
pub struct CceDeployment {
    /// The application instance, CSV policy and name lookups of the inventory.
    pub env: InventoryEnv,
    /// The CCE Administration administrator (REST API, SPOG): user, password.
    pub admin: (String, String),
    /// The password of the AWDB login.
    pub awdb_password: String,
    /// The machine inventory ([ECE] 4.2, 4.3).
    pub inventory: Mutex<Inventory>,
    /// The agents Users > Agents lists (login names; empty: any name is
    /// taken, as before the topology provisioned agents).
    pub agents: Mutex<Vec<String>>,
}

impl CceDeployment {
    /// A deployment whose inventory is as after [ECE] 4.2/4.3 done right:
    /// the web server `ece_fqdn` with `pa`'s password.
    pub fn new(
        env: InventoryEnv,
        admin: (String, String),
        awdb_password: String,
        ece_fqdn: &str,
        pa_password: Option<String>,
    ) -> CceDeployment {
        let inventory = Inventory::documented(&env, ece_fqdn, pa_password);
        CceDeployment {
            agents: Mutex::new(Vec::new()),
            env,
            admin,
            awdb_password,
            inventory: Mutex::new(inventory),
        }
    }
}

impl CceDeployment {
    /// Sets the ECE web server in the inventory ([ECE] 4.3) as the
    /// inventory's Edit does: its address (F10 when it is a host name or an
    /// address instead of the certificate's FQDN) and, where given, the ECE
    /// credentials (F12 when they are not `pa`'s). Like CCE Administration,
    /// the credentials are not tried until the gadget is used. With no web
    /// server in the inventory this adds one (checked as the API checks).
    pub fn set_inventory_web_server(
        &self,
        name: &str,
        user: Option<&str>,
        password: Option<&str>,
    ) -> Result<(), String> {
        let mut inv = self.inventory.lock().unwrap_or_else(|e| e.into_inner());
        match inv.web_server_mut() {
            Some(m) => {
                m.address = name.to_string();
                m.host_name = self.env.network.canonical_name(name).unwrap_or_default();
                m.change_stamp += 1;
                if let Some(u) = user {
                    m.user = Some(u.to_string());
                }
                if let Some(p) = password {
                    m.password = Some(p.to_string());
                }
                Ok(())
            }
            None => inv
                .add(
                    &self.env,
                    NewMachine {
                        name: None,
                        machine_type: "ECE_WEB_SERVER".into(),
                        address: name.to_string(),
                        user: user.map(str::to_string),
                        password: password.map(str::to_string),
                        application_instance: None,
                    },
                )
                .map(|_| ())
                .map_err(|e| {
                    e.iter()
                        .map(|e| e.error_message.clone())
                        .collect::<Vec<_>>()
                        .join(" ")
                }),
        }
    }

    /// The inventory's ECE web server entry.
    pub fn inventory(&self) -> Option<EceInventory> {
        self.inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .web_server()
            .map(|m| EceInventory {
                web_server: m.address.clone(),
                user: m.user.clone().unwrap_or_default(),
                password: m.password.clone().unwrap_or_default(),
            })
    }

    /// Adds a machine the deployment's scan found (a CVP server).
    pub fn add_scanned_machine(&self, m: NewMachine) -> Result<Machine, Vec<ApiError>> {
        self.inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add_scanned(&self.env, m)
    }

    /// Adds a machine to the inventory (the API's checks).
    pub fn add_machine(&self, m: NewMachine) -> Result<Machine, Vec<ApiError>> {
        self.inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(&self.env, m)
    }

    /// Deletes a machine of the inventory.
    pub fn delete_machine(&self, id: u64) -> bool {
        self.inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .delete(id)
    }

    /// The 4000/12000-agent CSV upload (all rows or none).
    #[allow(clippy::type_complexity)]
    pub fn upload_machines(&self, csv: &str) -> Result<Vec<Machine>, Vec<(usize, Vec<ApiError>)>> {
        self.inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .upload_csv(&self.env, csv)
    }

    /// Every machine of the inventory.
    pub fn machines(&self) -> Vec<Machine> {
        self.inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .machines
            .clone()
    }
}

/// Writes an ADS's disk: `cacerts` (JKS, `changeit`) with the trusted
/// certificates under their aliases and Tomcat's `tomcatCert` key entry,
/// and the Tomcat log directory.
pub fn write_disk(
    host: &str,
    disk: &crate::host::VirtualDisk,
    trusted: &[(String, crate::pki::Certificate)],
    tomcat: &crate::pki::Issued,
    now: time::OffsetDateTime,
) -> Result<(), ProductError> {
    let bad = |e: &dyn std::fmt::Display| ProductError::new(host, e);
    let mut cacerts = crate::stores::Keystore::new(crate::stores::StoreType::Jks);
    for (alias, cert) in trusted {
        cacerts
            .import_cert(alias, cert.clone(), now)
            .map_err(|e| bad(&e))?;
    }
    cacerts
        .set_key_entry(
            "tomcatCert",
            tomcat.key.pkcs8_der().to_vec(),
            tomcat.chain(),
            now,
        )
        .map_err(|e| bad(&e))?;
    let path = disk.path(CACERTS).map_err(|e| bad(&e))?;
    if let Some(dir) = path.parent() {
        crate::product::make_dir(host, dir)?;
    }
    cacerts
        .save(&path, CACERTS_PASS, None)
        .map_err(|e| bad(&e))?;
    let logs = disk.path(TOMCAT_LOGS).map_err(|e| bad(&e))?;
    crate::product::make_dir(host, &logs)
}

/// CCE Administration running on one ADS.
pub struct RunningCceAdmin {
    ctx: HostCtx,
    deployment: Arc<CceDeployment>,
    tomcat: Arc<Service<TomcatState>>,
    https: tokio::sync::Mutex<Option<TlsServer>>,
    /// SQL Server (`MSSQLSERVER`) with the AWDB; None while stopped.
    sql: tokio::sync::Mutex<Option<awdb::AwdbServer>>,
    /// Whether `MSSQLSERVER` runs (changed under `sql`'s lock).
    sql_running: std::sync::atomic::AtomicBool,
    /// The web UI's signed-in administrators.
    web_sessions: std::sync::Mutex<web::Sessions>,
    /// Itself, for the web UI's handler (set once it is made).
    me: std::sync::OnceLock<std::sync::Weak<RunningCceAdmin>>,
}

/// What the Email and Chat page embeds after the ADS's server-side call
/// to the ECE web server ([ECE] 4; F1, F2, F7–F10, F12).
pub(crate) enum GadgetFrame {
    /// No ECE web server in the inventory.
    NoInventory,
    /// The call failed (logged in catalina): SPOG's error text.
    Error,
    /// The gadget, from the web server by the inventory's name.
    Frame(String),
}

/// Starts CCE Administration on an ADS: Tomcat loads `cacerts`, its HTTPS
/// connector serves the REST API with `tomcatCert`.
pub async fn start(
    deployment: Arc<CceDeployment>,
    ctx: HostCtx,
) -> Result<Arc<RunningCceAdmin>, ProductError> {
    let path = ctx
        .disk
        .path(CACERTS)
        .map_err(|e| ProductError::new(&ctx.name, e))?;
    let logs = ctx
        .disk
        .path(TOMCAT_LOGS)
        .map_err(|e| ProductError::new(&ctx.name, e))?;
    let (clock, disk, jre) = (ctx.clock.clone(), ctx.disk.clone(), ctx.java);
    let starts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tomcat = Service::new("Apache Tomcat", move || {
        let n = starts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        start_tomcat(&disk, &path, &logs, &clock, n, jre)
    });
    let tomcat = Arc::new(tomcat);
    {
        // Tomcat reads cacerts and writes its startup logs: off the async workers
        let t = tomcat.clone();
        tokio::task::spawn_blocking(move || t.start())
            .await
            .map_err(|e| ProductError::new(&ctx.name, e))?;
    }
    let sql = awdb::start(&ctx, deployment.clone()).await?;
    let admin = Arc::new(RunningCceAdmin {
        ctx,
        deployment,
        tomcat,
        https: tokio::sync::Mutex::new(None),
        sql: tokio::sync::Mutex::new(Some(sql)),
        sql_running: std::sync::atomic::AtomicBool::new(true),
        web_sessions: std::sync::Mutex::new(web::Sessions::default()),
        me: std::sync::OnceLock::new(),
    });
    let _ = admin.me.set(Arc::downgrade(&admin));
    admin.start_https().await?;
    Ok(admin)
}

impl RunningCceAdmin {
    /// The deployment it belongs to.
    pub fn deployment(&self) -> &Arc<CceDeployment> {
        &self.deployment
    }

    /// Starts CCE Administration's HTTPS listener on an ADS with the key its
    /// Tomcat loaded (none while Tomcat is stopped or has no `tomcatCert`).
    async fn start_https(&self) -> Result<(), ProductError> {
        let mut slot = self.https.lock().await;
        self.start_https_in(&mut slot).await
    }

    /// Tomcat's service `change` (start, stop, restart), off the async workers.
    async fn tomcat_do(&self, change: fn(&Service<TomcatState>)) -> Result<(), ProductError> {
        let t = self.tomcat.clone();
        tokio::task::spawn_blocking(move || change(&t))
            .await
            .map_err(|e| ProductError::new(&self.ctx.name, e))
    }

    /// [`Self::start_https`] with the listener's lock held by the caller.
    async fn start_https_in(&self, slot: &mut Option<TlsServer>) -> Result<(), ProductError> {
        let h = &self.ctx;
        let tls = self.tomcat.loaded().and_then(|state| state.tls.ok());
        let Some((chain, key)) = tls else {
            // stopped, or no usable tomcatCert: the connector does not start
            if let Some(old) = slot.take() {
                old.stop().await;
            }
            return Ok(());
        };
        let site = SiteConfig {
            bindings: vec![Binding::new(format!("{} Tomcat https", h.name), chain, key)],
            limits: crate::tls::Limits::TOMCAT,
            ..SiteConfig::default()
        };
        // the web UI under /cceadmin, the REST API elsewhere
        let rest = api::cce_admin_handler(self.deployment.clone());
        let me = self.me.get().cloned().unwrap_or_default();
        let handler: crate::tls::Handler = Arc::new(move |r: crate::tls::HttpRequest| {
            if r.path == web::ROOT || r.path.starts_with("/cceadmin/") {
                Box::pin(web::serve(me.clone(), r))
            } else {
                rest(r)
            }
        });
        h.listeners
            .serve_in(slot, &h.name, h.address, 443, site, handler)
            .await
    }

    /// One call of CCE Administration's Java to the ECE web server of the
    /// inventory (`HttpsURLConnection`: the handshake judged against the
    /// `cacerts` Tomcat loaded, `pa`'s credentials of the inventory).
    async fn call_ece(&self, inv: &EceInventory, request: &Request<'_>) -> EceCall {
        let h = &self.ctx;
        let name = &inv.web_server;
        let anchors = match self.tomcat.loaded().map(|t| t.trust.clone()) {
            None => return EceCall::NotRunning,
            Some(Err(v)) => return EceCall::Failed(v),
            Some(Ok(anchors)) => anchors,
        };
        let addr = match h.network.endpoint(name, 443) {
            // the name resolves, nothing listens on 443 there
            Err(Unreachable::Refused) => {
                return EceCall::Failed(Verdict::refuse(personality::java::connection_refused(
                    h.java, true,
                )))
            }
            Err(Unreachable::UnknownHost) => {
                return EceCall::Failed(Verdict::refuse(format!(
                    "java.net.UnknownHostException: {name}"
                )))
            }
            Ok(addr) => addr,
        };
        use base64::Engine as _;
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", inv.user, inv.password))
        );
        let mut headers = vec![("Authorization", basic.as_str())];
        headers.extend_from_slice(request.headers);
        let request = Request {
            headers: &headers,
            ..*request
        };
        match personality::https_request_as(
            Personality::Java(h.java),
            addr,
            name,
            &anchors,
            h.clock.now(),
            &request,
            Duration::from_secs(10),
        )
        .await
        {
            Ok((status, body)) => EceCall::Answered { status, body, addr },
            Err(v) => EceCall::Failed(v),
        }
    }

    /// CCE Administration's check of the Finesse nodes of the inventory
    /// ([SEC] "Finesse / IdS → AW"; F17): for each, its Java calls
    /// `https://<address as entered>:8445/finesse/api/SystemInfo` with the
    /// `cacerts` Tomcat loaded — a certificate not imported fails PKIX, one
    /// whose name is not the inventory's FQDN fails Java's host-name check.
    /// A failure goes to the catalina log (logger
    /// `com.cisco.ccbu.cce.inventory.MachineStatus.check`, ccelab's name). One
    /// line per machine: `<name> (<address>): OK`, or the exception (the
    /// wording around it is ccelab's, L).
    pub async fn finesse_status(&self) -> Result<(bool, Vec<String>), ProductError> {
        self.finesse_status_of(&[]).await
    }

    /// [`Self::finesse_status`] for the machines whose address is one of
    /// `only` (case-insensitive; empty: every machine).
    pub async fn finesse_status_of(
        &self,
        only: &[String],
    ) -> Result<(bool, Vec<String>), ProductError> {
        let h = &self.ctx;
        let mut machines = self.status_machines();
        if !only.is_empty() {
            machines.retain(|m| only.iter().any(|o| o.eq_ignore_ascii_case(&m.address)));
            if machines.is_empty() {
                return Ok((
                    false,
                    vec![format!(
                        "No machine of the inventory has the address {}.",
                        only.join(" or ")
                    )],
                ));
            }
        }
        if machines.is_empty() {
            return Ok((
                false,
                vec!["No Finesse (FINESSE) machine in the inventory.".into()],
            ));
        }
        let anchors = match self.tomcat.loaded().map(|t| t.trust.clone()) {
            None => {
                return Ok((
                    false,
                    vec!["CCE Administration is not running (Apache Tomcat stopped).".into()],
                ))
            }
            Some(Err(v)) => Err(v),
            Some(Ok(a)) => Ok(a),
        };
        let mut all_ok = true;
        let mut lines = Vec::new();
        for m in machines {
            let name = m.address.clone();
            let (port, path, cvp) = status_call(&m);
            let basic = cvp.then(|| {
                use base64::Engine as _;
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!(
                        "{}:{}",
                        m.user.clone().unwrap_or_default(),
                        m.password.clone().unwrap_or_default()
                    ))
                )
            });
            let auth: Vec<(&str, &str)> = basic
                .as_deref()
                .map(|b| vec![("Authorization", b)])
                .unwrap_or_default();
            let url = format!("https://{name}:{port}{path}");
            let verdict = match (&anchors, h.network.endpoint(&name, port)) {
                (Err(v), _) => Err(v.clone()),
                (_, Err(Unreachable::UnknownHost)) => Err(Verdict::refuse(format!(
                    "java.net.UnknownHostException: {name}"
                ))),
                (_, Err(Unreachable::Refused)) => Err(Verdict::refuse(
                    personality::java::connection_refused(h.java, true),
                )),
                (Ok(a), Ok(addr)) => personality::https_request_as(
                    Personality::Java(h.java),
                    addr,
                    &name,
                    a,
                    h.clock.now(),
                    &Request {
                        method: "GET",
                        path,
                        headers: &auth,
                        body: b"",
                    },
                    Duration::from_secs(10),
                )
                .await
                .and_then(|(status, _)| {
                    if status == 200 {
                        Ok(())
                    } else {
                        Err(Self::status_verdict(status, &url))
                    }
                }),
            };
            match verdict {
                Ok(()) => lines.push(format!("{} ({name}): OK", m.name)),
                Err(v) => {
                    all_ok = false;
                    // the status rules keep the WSM's credentials
                    // (SERVER_CREDENTIALS) apart from reaching it
                    // (SERVER_CONNECTION): [PCCE150-Status]
                    let refused = cvp
                        && v.text.starts_with(
                            "java.io.IOException: Server returned HTTP response code: 401 ",
                        );
                    lines.push(if refused {
                        format!(
                            "{} ({name}): the Cisco CVP WebServicesManager credentials are not valid: {}",
                            m.name, v.text
                        )
                    } else {
                        format!("{} ({name}): cannot connect securely: {}", m.name, v.text)
                    });
                    let (disk, now) = (h.disk.clone(), h.clock.now());
                    tokio::task::spawn_blocking(move || {
                        // a log that cannot be written loses the lines, as a full disk would
                        let _ = tomcat::log_catalina_as(
                            &disk,
                            now,
                            "com.cisco.ccbu.cce.inventory.MachineStatus.check",
                            &v,
                        );
                    })
                    .await
                    .map_err(|e| ProductError::new(&h.name, e))?;
                }
            }
        }
        Ok((all_ok, lines))
    }

    /// CCE Administration configures a CVP server: its Java calls the
    /// server's ORM REST (`https://<fqdn>:8111/cvp-orm/rest/cvpconfig/properties`)
    /// with `cacerts` and the administrator's credentials, which the CVP
    /// server checks with the principal AW (F19 when it does not trust the
    /// AW). Which ORM call the AW makes first is not public (L). Ok: whether
    /// it worked, and what the administrator sees (ccelab's words around
    /// Java's exception, L); a failure goes to the catalina log.
    pub async fn cvp_orm(&self, fqdn: &str) -> Result<(bool, Vec<String>), ProductError> {
        let h = &self.ctx;
        let path = "/cvp-orm/rest/cvpconfig/properties";
        let url = format!("https://{fqdn}:8111{path}");
        let anchors = match self.tomcat.loaded().map(|t| t.trust.clone()) {
            None => {
                return Ok((
                    false,
                    vec!["CCE Administration is not running (Apache Tomcat stopped).".into()],
                ))
            }
            Some(t) => t,
        };
        use base64::Engine as _;
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                self.deployment.admin.0, self.deployment.admin.1
            ))
        );
        let verdict = match (anchors, h.network.endpoint(fqdn, 8111)) {
            (Err(v), _) => Err(v),
            (_, Err(Unreachable::UnknownHost)) => Err(Verdict::refuse(format!(
                "java.net.UnknownHostException: {fqdn}"
            ))),
            (_, Err(Unreachable::Refused)) => Err(Verdict::refuse(
                personality::java::connection_refused(h.java, true),
            )),
            (Ok(a), Ok(addr)) => personality::https_request_as(
                Personality::Java(h.java),
                addr,
                fqdn,
                &a,
                h.clock.now(),
                &Request {
                    method: "GET",
                    path,
                    headers: &[("Authorization", basic.as_str())],
                    body: b"",
                },
                Duration::from_secs(20),
            )
            .await
            .and_then(|(status, body)| {
                if status == 200 {
                    Ok(body)
                } else {
                    Err(Self::status_verdict(status, &url))
                }
            }),
        };
        match verdict {
            Ok(body) => Ok((
                true,
                vec![
                    format!("{fqdn}: saved ({url})"),
                    body.trim_end().to_string(),
                ],
            )),
            Err(v) => {
                let line = format!("{fqdn}: the CVP server could not be configured: {}", v.text);
                let (disk, now) = (h.disk.clone(), h.clock.now());
                tokio::task::spawn_blocking(move || {
                    // a log that cannot be written loses the lines, as a full disk would
                    let _ = tomcat::log_catalina_as(
                        &disk,
                        now,
                        "com.cisco.ccbu.cce.cvp.CvpConfigClient.send",
                        &v,
                    );
                })
                .await
                .map_err(|e| ProductError::new(&h.name, e))?;
                Ok((false, vec![line]))
            }
        }
    }

    /// What Java throws for an HTTP status CCE Administration did not expect:
    /// `HttpURLConnection.getInputStream` throws `FileNotFoundException(url)`
    /// for 404 and 410, an `IOException` for other codes >= 400.
    fn status_verdict(status: u16, url: &str) -> Verdict {
        if matches!(status, 404 | 410) {
            Verdict::refuse(format!("java.io.FileNotFoundException: {url}"))
        } else {
            Verdict::refuse(format!(
                "java.io.IOException: Server returned HTTP response code: {status} for URL: {url}"
            ))
        }
    }

    /// Logs why a call to ECE failed: the catalina log says why; the error
    /// startup log records what CCE Administration showed (off the async
    /// workers).
    async fn log_ece_failure(&self, verdict: Verdict) -> Result<(), ProductError> {
        let h = &self.ctx;
        let (disk, now) = (h.disk.clone(), h.clock.now());
        let error_log = self.tomcat.loaded().map(|st| st.error_log.clone());
        tokio::task::spawn_blocking(move || {
            // a log that cannot be written (a link out of the disk, a FIFO)
            // loses the lines, as a full disk would: what the user sees stays
            let _ = log_catalina(&disk, now, &verdict);
            if let Some(path) = error_log {
                let line = format!("{} {GADGET_ERROR} ({})\n", startup_stamp(now), verdict.text);
                let _ = disk.append(&path, line.as_bytes());
            }
        })
        .await
        .map_err(|e| ProductError::new(&h.name, e))
    }

    /// "Email and Chat" card → open the ECE gadget in CCE Administration on
    /// `ads` as the SPOG administrator `user` (default: the topology's
    /// administrator), whom ECE then looks up in AD (partition-administrator
    /// SSO, [ECE] 2.2; F4).
    pub async fn open_gadget(&self, user: Option<&str>) -> Result<GadgetOutcome, ProductError> {
        let Some(inv) = self.deployment.inventory() else {
            // ccelab's wording: the card needs an ECE web server in the inventory
            return Ok(GadgetOutcome {
                ok: false,
                message: "The Email and Chat card is not available: no ECE web server (ECE_WEB_SERVER) in the inventory.".into(),
                console: vec![],
            });
        };
        let name = inv.web_server.clone();
        let url = format!("https://{name}{GADGET_PATH}");
        let verdict = match self.call_ece(&inv, &GADGET_REQUEST).await {
            EceCall::NotRunning => {
                return Ok(GadgetOutcome {
                    ok: false,
                    message: "CCE Administration is not running".into(),
                    console: vec![],
                })
            }
            EceCall::Answered {
                status: 200, addr, ..
            } => {
                let sni = personality::sends_sni(Personality::Java(self.ctx.java), &name);
                let user = user.unwrap_or(&self.deployment.admin.0);
                let top = format!("https://{}{}", self.ctx.fqdn, web::EMAIL_AND_CHAT);
                let browser = gadget_in_browser(&*self.ctx.network, &name, addr, sni, user, &top);
                return Ok(match browser.await {
                    // F4: ECE could not sign the administrator in
                    InBrowser::SignInFailed(console) => GadgetOutcome {
                        ok: false,
                        message: GADGET_ERROR.into(),
                        console,
                    },
                    // F23: the gadget's requests reached two web servers
                    InBrowser::SessionLost => GadgetOutcome {
                        ok: false,
                        message: GADGET_LOGIN_PAGE.into(),
                        console: vec![],
                    },
                    InBrowser::Console(console) => GadgetOutcome {
                        ok: console.is_empty(),
                        message: if console.is_empty() {
                            "ECE gadget loaded".into()
                        } else {
                            GADGET_BLANK.into()
                        },
                        console,
                    },
                });
            }
            EceCall::Answered { status: 503, .. } => {
                // F3: the gadget's frame shows Chrome's "might be temporarily
                // down" page for the frame's URL (as Chrome writes it)
                let user = user.unwrap_or(&self.deployment.admin.0);
                let frame = format!(
                    "https://{}{}?user={}",
                    name.to_ascii_lowercase(),
                    crate::ece::SPOG_GADGET_PAGE,
                    crate::platform::http::percent_encode(user)
                );
                return Ok(GadgetOutcome {
                    ok: false,
                    message: gadget_down_message(&frame),
                    console: vec![],
                });
            }
            EceCall::Answered { status, .. } => Self::status_verdict(status, &url),
            EceCall::Failed(v) => v,
        };
        self.log_ece_failure(verdict).await?;
        Ok(GadgetOutcome {
            ok: false,
            message: GADGET_ERROR.into(),
            console: vec![],
        })
    }

    /// The Email and Chat page's server-side part: CCE Administration's
    /// Java calls the inventory's web server (as [`Self::open_gadget`]
    /// does; a failure goes to the catalina log); the browser then loads
    /// the gadget itself.
    pub(crate) async fn gadget_server_side(&self) -> Result<GadgetFrame, ProductError> {
        let Some(inv) = self.deployment.inventory() else {
            return Ok(GadgetFrame::NoInventory);
        };
        let url = format!("https://{}{GADGET_PATH}", inv.web_server);
        let verdict = match self.call_ece(&inv, &GADGET_REQUEST).await {
            EceCall::NotRunning => return Ok(GadgetFrame::Error),
            // F3: the browser then shows what the web server answers
            EceCall::Answered {
                status: 200 | 503, ..
            } => return Ok(GadgetFrame::Frame(inv.web_server.clone())),
            EceCall::Answered { status, .. } => Self::status_verdict(status, &url),
            EceCall::Failed(v) => v,
        };
        self.log_ece_failure(verdict).await?;
        Ok(GadgetFrame::Error)
    }

    /// Users > Agents > an agent > "Support Email & Chat" and the "Enable
    /// Email & Chat" tab with a Screen Name > Save ([ECE] 6). CCE
    /// Administration hands the agent to ECE over HTTPS
    /// ([`crate::ece::integration::AGENTS_PATH`]); the option exists only
    /// once ECE's integration is saved, and the agent then appears in ECE's
    /// user list. When ECE cannot be reached, the catalina log says why, as
    /// for the gadget. Messages are ccelab's wording.
    pub async fn enable_agent(
        &self,
        agent: &str,
        screen_name: &str,
    ) -> Result<Shown, ProductError> {
        let known = self
            .deployment
            .agents
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if !known.is_empty() && !known.iter().any(|a| a == agent) {
            // ccelab's wording (L): Users > Agents lists the agents CCE has
            return Ok(Shown::Refused(format!(
                "Users > Agents has no agent {agent} (the agents are {}).",
                known.join(", ")
            )));
        }
        let Some(inv) = self.deployment.inventory() else {
            return Ok(Shown::Refused(format!("Users > Agents shows no \"Support Email & Chat\" option: no ECE web server ({}) in the inventory.", "ECE_WEB_SERVER")));
        };
        let body = serde_json::json!({ "agent": agent, "screen_name": screen_name }).to_string();
        let path = crate::ece::integration::AGENTS_PATH;
        let url = format!("https://{}{path}", inv.web_server);
        let request = Request {
            method: "POST",
            path,
            headers: &[("Content-Type", "application/json")],
            body: body.as_bytes(),
        };
        let verdict = match self.call_ece(&inv, &request).await {
            EceCall::NotRunning => return Ok(Shown::Refused("CCE Administration is not running".into())),
            EceCall::Answered { status: 200, body, .. } => return Ok(Shown::Done(body.trim().to_string())),
            EceCall::Answered { status: 409, .. } => {
                return Ok(Shown::Refused("Users > Agents shows no \"Support Email & Chat\" option: the Unified CCE integration is not saved yet ([ECE] 5).".into()))
            }
            EceCall::Answered { status: 400, body, .. } => return Ok(Shown::Refused(body.trim().to_string())),
            EceCall::Answered { status, .. } => Self::status_verdict(status, &url),
            EceCall::Failed(v) => v,
        };
        self.log_ece_failure(verdict).await?;
        Ok(Shown::Refused(format!(
            "Agent {agent} was not saved: Email & Chat could not be reached. Check the logs."
        )))
    }
}

/// The gadget CCE Administration fetches from the ECE web server
/// (`pa`'s credentials are added by [`RunningCceAdmin::call_ece`]).
const GADGET_PATH: &str = "/default/spog/gadget";

/// CCE Administration's request for the gadget.
const GADGET_REQUEST: Request<'static> = Request {
    method: "GET",
    path: GADGET_PATH,
    headers: &[],
    body: b"",
};

/// How a call of CCE Administration to ECE went.
enum EceCall {
    /// Tomcat is stopped.
    NotRunning,
    /// ECE answered (through the web server at `addr`).
    Answered {
        status: u16,
        body: String,
        addr: std::net::SocketAddr,
    },
    /// Java threw (trust, connection, TLS).
    Failed(Verdict),
}

/// Where CCE Administration's status check of machine `m` calls: Finesse's
/// SystemInfo; IdS's administration page (which IdS call the AW makes is
/// not documented: L); a CVP server's Diagnostic Portal with the machine's
/// WSM credentials (CVP_WSM / DIAGNOSTIC_PORTAL; the status rules
/// SERVER_CREDENTIALS and SERVER_CONNECTION: [PCCE150-Status], H). The
/// port, the path, and whether it is a CVP server.
fn status_call(m: &Machine) -> (u16, &'static str, bool) {
    let cvp = m.machine_type == inventory::CVP || m.machine_type == inventory::CVP_REPORTING;
    if m.machine_type == inventory::IDS {
        (8553, "/idsadmin", cvp)
    } else if cvp {
        (8111, "/cvp-dp/rest/DiagnosticPortal/GetProductVersion", cvp)
    } else {
        (8445, "/finesse/api/SystemInfo", cvp)
    }
}

impl RunningCceAdmin {
    /// The machines of the inventory whose status CCE Administration checks
    /// (Finesse, IdS, CVP).
    fn status_machines(&self) -> Vec<Machine> {
        self.deployment
            .inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .finesse()
    }

    /// The connections CCE Administration's Java makes, with the `cacerts`
    /// Tomcat loaded (none while Tomcat is stopped: no client runs): the
    /// ECE gadget's call to the inventory's web server (F1, F2, F7–F10,
    /// F25) and the status checks of the inventory's Finesse, IdS and CVP
    /// machines (F17).
    async fn edges(&self) -> Vec<crate::edges::TrustEdge> {
        use crate::edges::{self, EdgeSpec};
        let h = &self.ctx;
        let Some(trust) = self.tomcat.loaded().map(|t| t.trust.clone()) else {
            return Vec::new();
        };
        let anchors = trust.as_deref().map_err(Clone::clone);
        let spec = |purpose: String, name: String, port: u16, codes: Vec<&'static str>| EdgeSpec {
            purpose,
            personality: Personality::Java(h.java),
            client: "CCE Administration (Tomcat's Java, HttpsURLConnection)".into(),
            store: r"%JAVA_HOME%\lib\security\cacerts, as Tomcat loaded it".into(),
            name,
            port,
            codes,
            windows: true,
        };
        let mut specs = Vec::new();
        if let Some(inv) = self.deployment.inventory() {
            specs.push(spec(
                "opens the ECE gadget (Email and Chat card)".into(),
                inv.web_server,
                443,
                vec!["F1", "F2", "F7", "F8", "F9", "F10", "F24", "F25"],
            ));
        }
        let machines = self.status_machines();
        for m in machines {
            let (port, _, _) = status_call(&m);
            specs.push(spec(
                format!("checks the status of {} ({})", m.name, m.machine_type),
                m.address.clone(),
                port,
                vec!["F17"],
            ));
        }
        edges::probe_all(h.network.as_ref(), &h.name, specs, anchors, h.clock.now()).await
    }
}

impl Running for RunningCceAdmin {
    fn trust_edges(&self) -> ProductFuture<'_, Vec<crate::edges::TrustEdge>> {
        Box::pin(self.edges())
    }

    fn services(&self) -> Vec<ServiceInfo> {
        let sql_running = self.sql_running.load(std::sync::atomic::Ordering::SeqCst);
        vec![
            ServiceInfo {
                name: self.tomcat.name.clone(),
                port: Some(443),
                bound_port: self.ctx.listeners.bound(&self.ctx.name, 443),
                state: Some(format!("{:?}", self.tomcat.state())),
            },
            ServiceInfo {
                name: awdb::SERVICE.into(),
                port: Some(crate::platform::sql_server::PORT),
                bound_port: self
                    .ctx
                    .listeners
                    .bound(&self.ctx.name, crate::platform::sql_server::PORT),
                state: Some(if sql_running { "Running" } else { "Stopped" }.into()),
            },
        ]
    }

    /// Tomcat restarts: `cacerts` is read again (F9), the connector rebinds.
    fn restart(&self) -> ProductFuture<'_, Result<(), ProductError>> {
        Box::pin(async move {
            // Tomcat and its connector change together, under the connector's lock
            let mut slot = self.https.lock().await;
            self.tomcat_do(Service::restart).await?;
            self.start_https_in(&mut slot).await
        })
    }

    fn set_service<'a>(
        &'a self,
        service: &'a str,
        running: bool,
    ) -> ProductFuture<'a, Result<bool, ProductError>> {
        Box::pin(async move {
            if service.eq_ignore_ascii_case(awdb::SERVICE) {
                let mut slot = self.sql.lock().await;
                *slot = None;
                if running {
                    *slot = Some(awdb::start(&self.ctx, self.deployment.clone()).await?);
                }
                self.sql_running
                    .store(running, std::sync::atomic::Ordering::SeqCst);
                return Ok(true);
            }
            if !service.eq_ignore_ascii_case("Apache Tomcat") {
                return Ok(false);
            }
            let mut slot = self.https.lock().await;
            if let Some(old) = slot.take() {
                old.stop().await;
            }
            if running {
                self.tomcat_do(Service::start).await?;
                self.start_https_in(&mut slot).await?;
            } else {
                self.tomcat_do(Service::stop).await?;
            }
            Ok(true)
        })
    }

    /// The day's catalina log, where certificate errors appear (F1).
    fn telling_logs(&self) -> Vec<PathBuf> {
        let now = self.ctx.clock.now();
        let name = format!(
            "catalina.{:04}-{:02}-{:02}.log",
            now.year(),
            now.month() as u8,
            now.day()
        );
        self.ctx
            .disk
            .path(TOMCAT_LOGS)
            .map(|d| vec![d.join(name)])
            .unwrap_or_default()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

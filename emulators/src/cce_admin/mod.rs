//! CCE Administration (SPOG) on each ADS of a deployment: Tomcat with the
//! `cacerts` it loaded at its last start (F9; [`tomcat`]), its REST API
//! ([`api`]: the machine inventory of [`inventory`]), opening the ECE gadget
//! with the Java personality (F1, F2, F7, F8, F10) and the administrator's
//! browser (F4, F13), the catalina and startup logs of docs/requirements.md
//! §6, the integration's tabs (F11, F21) and agents ([ECE] 4–6).
//!
//! The inventory, the integration and the agents belong to the deployment,
//! not to one ADS (they live in the AWDB and in ECE): one [`CceDeployment`]
//! is shared by the ADSs' products.

pub mod api;
pub mod inventory;
pub mod tomcat;

use std::any::Any;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::actors::browser::{gadget_in_browser, InBrowser};
use crate::host::Service;
use crate::network::Unreachable;
use crate::personality::{self, Personality, Verdict};
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
pub const AWDB_PORT: u16 = 1433;
/// The SQL Server login of [`AWDB_DATABASE`].
pub const AWDB_LOGIN: &str = "ece_awdb";

/// What the SPOG user sees when opening the ECE gadget.
pub const GADGET_ERROR: &str = "There was an error loading the page. Contact your administrator.";

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

/// The message SPOG's gadget frame shows when the ECE services are down (F3).
pub fn gadget_down_message(url: &str) -> String {
    format!("The webpage at {url} might be temporarily down or it may have moved permanently to a new web address")
}

/// What the ADSs of a deployment share: the machine inventory, the
/// integration's tabs, the agents enabled for Email & Chat and ECE's
/// departments, with what they are checked against.
pub struct CceDeployment {
    /// The application instance, CSV policy and name lookups of the inventory.
    pub env: InventoryEnv,
    /// The CCE Administration administrator (REST API, SPOG): user, password.
    pub admin: (String, String),
    /// The hosts where the AWDB lives (the ADSs' FQDNs).
    pub awdb_servers: Vec<String>,
    /// The password of the AWDB login.
    pub awdb_password: String,
    /// The machine inventory ([ECE] 4.2, 4.3).
    pub inventory: Mutex<Inventory>,
    /// The saved Unified CCE integration (application instance, agent PGs), once saved.
    integration: Mutex<Option<(String, Vec<String>)>>,
    /// The saved AWDB Details tab (the AWDB server as entered), once saved.
    awdb: Mutex<Option<String>>,
    /// Agents enabled for Email & Chat: (agent, screen name), as ECE's user list shows them.
    ece_users: Mutex<Vec<(String, String)>>,
    /// ECE's departments (`Service` from the integration, reserved).
    departments: Mutex<Vec<String>>,
}

impl CceDeployment {
    /// A deployment whose inventory is as after [ECE] 4.2/4.3 done right:
    /// the web server `ece_fqdn` with `pa`'s password.
    pub fn new(
        env: InventoryEnv,
        admin: (String, String),
        awdb_servers: Vec<String>,
        awdb_password: String,
        ece_fqdn: &str,
        pa_password: Option<String>,
    ) -> CceDeployment {
        let inventory = Inventory::documented(&env, ece_fqdn, pa_password);
        CceDeployment {
            env,
            admin,
            awdb_servers,
            awdb_password,
            inventory: Mutex::new(inventory),
            integration: Mutex::new(None),
            awdb: Mutex::new(None),
            ece_users: Mutex::new(Vec::new()),
            departments: Mutex::new(vec!["Service".into()]),
        }
    }
}

impl CceDeployment {
    /// Email and Chat > Integration > Unified CCE > AWDB Details tab > Save
    /// ([ECE] 5): ECE connects to the AWDB with Microsoft's JDBC driver, so
    /// failures read as the driver and SQL Server word them: an unreachable
    /// server (`The TCP/IP connection to the host … has failed. Error: "…"`),
    /// a wrong login (SQL Server error 18456, `Login failed for user '…'.`), a
    /// wrong database (error 4060, `Cannot open database "…" requested by
    /// the login. The login failed.`). The AWDB lives on the ADSs.
    pub fn save_awdb(
        &self,
        server: &str,
        port: u16,
        database: &str,
        login: &str,
        password: &str,
    ) -> Shown {
        Shown::from((|| -> Result<String, String> {
            let tcp_failed = |cause: &str| {
                format!("The TCP/IP connection to the host {server}, port {port} has failed. Error: \"{cause}. Verify the connection properties. Make sure that an instance of SQL Server is running on the host and accepting TCP/IP connections at the port. Make sure that TCP connections to the port are not blocked by a firewall.\".")
            };
            let Some(fqdn) = self.env.network.canonical_name(server) else {
                return Err(tcp_failed(server));
            };
            if !self
                .awdb_servers
                .iter()
                .any(|s| s.eq_ignore_ascii_case(&fqdn))
                || port != AWDB_PORT
            {
                return Err(tcp_failed("Connection refused: connect"));
            }
            if !login.eq_ignore_ascii_case(AWDB_LOGIN) || password != self.awdb_password {
                return Err(format!("Login failed for user '{login}'."));
            }
            if !database.eq_ignore_ascii_case(AWDB_DATABASE) {
                return Err(format!(
                    "Cannot open database \"{database}\" requested by the login. The login failed."
                ));
            }
            *self.awdb.lock().unwrap_or_else(|e| e.into_inner()) = Some(server.to_string());
            Ok(format!("AWDB details saved: {database} on {server}."))
        })())
    }

    /// Email and Chat > Integration > Unified CCE > Configuration tab > Save
    /// ([ECE] 5). Saving is permanent (F21): a second Save is refused and says
    /// why (the wording is ccelab's, the facts [ECE] 5's). The application
    /// instance must be one the deployment has, spelled exactly (names are
    /// case-sensitive), and never a `UQ…` instance (F11).
    pub fn save_integration(&self, app_instance: &str, agent_pgs: &[String]) -> Shown {
        Shown::from((|| -> Result<String, String> {
            let mut saved = self.integration.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((inst, _)) = saved.as_ref() {
                return Err(format!(
                "The integration with application instance {inst} is already saved. Saving is permanent: to change it, uninstall ECE, delete all its databases and install ECE again."
            ));
            }
            if self
                .awdb
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_none()
            {
                return Err("Fill in and save the AWDB Details tab first.".into());
            }
            if app_instance.to_ascii_uppercase().starts_with("UQ") {
                return Err(format!("Application instance {app_instance} cannot be used for the ECE integration (UQ instances are not for ECE)."));
            }
            if app_instance != self.env.app_instance {
                return Err(format!(
                "Application instance {app_instance} does not exist (names are case-sensitive; this deployment has {}).",
                self.env.app_instance
            ));
            }
            if agent_pgs.is_empty() {
                return Err("Add at least one Agent PG.".into());
            }
            *saved = Some((app_instance.to_string(), agent_pgs.to_vec()));
            Ok(format!(
                "Integration saved: application instance {app_instance}, Agent PG(s) {}.",
                agent_pgs.join(", ")
            ))
        })())
    }

    /// Users > Agents > an agent > "Support Email & Chat" and the "Enable
    /// Email & Chat" tab with a Screen Name > Save ([ECE] 6). The check box and
    /// tab exist only once the integration is saved; the agent then appears in
    /// ECE's user list. Messages are ccelab's wording.
    pub fn enable_agent(&self, agent: &str, screen_name: &str) -> Shown {
        Shown::from((|| -> Result<String, String> {
            if self
                .integration
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .is_none()
            {
                return Err("Users > Agents shows no \"Support Email & Chat\" option: the Unified CCE integration is not saved yet ([ECE] 5).".into());
            }
            if screen_name.trim().is_empty() {
                return Err("Screen Name is required.".into());
            }
            let mut users = self.ece_users.lock().unwrap_or_else(|e| e.into_inner());
            users.retain(|(a, _)| a != agent);
            users.push((agent.to_string(), screen_name.to_string()));
            Ok(format!("Agent {agent} saved successfully."))
        })())
    }

    /// ECE > department `Service` > User Management > Users: the provisioned agents.
    pub fn ece_users(&self) -> Vec<(String, String)> {
        self.ece_users
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

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

    /// ECE > Administration > Departments > New: `Service` is reserved
    /// ([ECE] 6: it holds everything of Packaged CCE's global department, so
    /// its name cannot be taken; ECE compares department names without case).
    /// Messages are ccelab's wording.
    pub fn create_department(&self, name: &str) -> Shown {
        Shown::from((|| -> Result<String, String> {
            let name = name.trim();
            if name.is_empty() {
                return Err("Department name is required.".into());
            }
            let mut deps = self.departments.lock().unwrap_or_else(|e| e.into_inner());
            if deps.iter().any(|d| d.eq_ignore_ascii_case(name)) {
                return Err(if name.eq_ignore_ascii_case("Service") {
                    "Service is a reserved department name: the Service department holds everything of Packaged CCE's global department.".into()
                } else {
                    format!("A department named {name} already exists.")
                });
            }
            deps.push(name.to_string());
            Ok(format!("Department {name} created."))
        })())
    }

    /// ECE's departments.
    pub fn departments(&self) -> Vec<String> {
        self.departments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
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
    let clock = ctx.clock.clone();
    let starts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tomcat = Service::new("Apache Tomcat", move || {
        let n = starts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        start_tomcat(&path, &logs, &clock, n)
    });
    let tomcat = Arc::new(tomcat);
    {
        // Tomcat reads cacerts and writes its startup logs: off the async workers
        let t = tomcat.clone();
        tokio::task::spawn_blocking(move || t.start())
            .await
            .map_err(|e| ProductError::new(&ctx.name, e))?;
    }
    let admin = Arc::new(RunningCceAdmin {
        ctx,
        deployment,
        tomcat,
        https: tokio::sync::Mutex::new(None),
    });
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
            ..SiteConfig::default()
        };
        let handler = api::cce_admin_handler(self.deployment.clone());
        h.listeners
            .serve_in(slot, &h.name, h.address, 443, site, handler)
            .await
    }

    /// "Email and Chat" card → open the ECE gadget in CCE Administration on
    /// `ads` as the SPOG administrator `user` (default: the topology's
    /// administrator), whom ECE then looks up in AD (partition-administrator
    /// SSO, [ECE] 2.2; F4).
    pub async fn open_gadget(&self, user: Option<&str>) -> Result<GadgetOutcome, ProductError> {
        let h = &self.ctx;
        let svc = &self.tomcat;
        let Some(inv) = self.deployment.inventory() else {
            // ccelab's wording: the card needs an ECE web server in the inventory
            return Ok(GadgetOutcome {
                ok: false,
                message: "The Email and Chat card is not available: no ECE web server (ECE_WEB_SERVER) in the inventory.".into(),
                console: vec![],
            });
        };
        let name = inv.web_server.clone();
        let state = svc.loaded();
        let verdict = match state.as_ref().map(|t| t.trust.clone()) {
            None => {
                return Ok(GadgetOutcome {
                    ok: false,
                    message: "CCE Administration is not running".into(),
                    console: vec![],
                })
            }
            Some(Err(v)) => v,
            Some(Ok(anchors)) => match h.network.endpoint(&name, 443) {
                // the name resolves, nothing listens on 443 there
                Err(Unreachable::Refused) => {
                    Verdict::refuse("java.net.ConnectException: Connection refused")
                }
                Err(Unreachable::UnknownHost) => {
                    Verdict::refuse(format!("java.net.UnknownHostException: {name}"))
                }
                Ok(addr) => {
                    let sni = personality::sends_sni(Personality::Java, &name);
                    use base64::Engine as _;
                    let basic = format!(
                        "Basic {}",
                        base64::engine::general_purpose::STANDARD
                            .encode(format!("{}:{}", inv.user, inv.password))
                    );
                    let url = format!("https://{name}/default/spog/gadget");
                    // one HttpsURLConnection: the handshake judged as Java
                    // judges it, then the request with pa's credentials
                    match personality::https_request_as(
                        Personality::Java,
                        addr,
                        &name,
                        &anchors,
                        h.clock.now(),
                        "/default/spog/gadget",
                        &[("Authorization", &basic)],
                        Duration::from_secs(10),
                    )
                    .await
                    {
                        Ok((200, _)) => {
                            let user = user.unwrap_or(&self.deployment.admin.0);
                            let browser = gadget_in_browser(&*h.network, &name, addr, sni, user);
                            return Ok(match browser.await {
                                // F4: ECE could not sign the administrator in
                                InBrowser::SignInFailed => GadgetOutcome {
                                    ok: false,
                                    message: GADGET_ERROR.into(),
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
                        // HttpURLConnection.getInputStream: 404 and 410 throw
                        // FileNotFoundException(url), other codes >= 400 an IOException
                        Ok((404 | 410, _)) => {
                            Verdict::refuse(format!("java.io.FileNotFoundException: {url}"))
                        }
                        Ok((status, _)) if status != 503 => Verdict::refuse(format!(
                            "java.io.IOException: Server returned HTTP response code: {status} for URL: {url}"
                        )),
                        Ok((_, _)) => {
                            // F3: the gadget frame shows the browser's "might be temporarily down" page
                            return Ok(GadgetOutcome {
                                ok: false,
                                message: gadget_down_message(&url),
                                console: vec![],
                            });
                        }
                        Err(v) => v,
                    }
                }
            },
        };
        // the catalina log says why; the error startup log records what
        // CCE Administration showed (off the async workers)
        let (disk, now) = (h.disk.clone(), h.clock.now());
        let error_log = state.as_ref().map(|st| st.error_log.clone());
        tokio::task::spawn_blocking(move || {
            log_catalina(&disk, now, &verdict)?;
            if let Some(path) = error_log {
                use std::io::Write as _;
                if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(&path) {
                    let _ = writeln!(
                        f,
                        "{} {GADGET_ERROR} ({})",
                        startup_stamp(now),
                        verdict.text
                    );
                }
            }
            Ok::<_, String>(())
        })
        .await
        .map_err(|e| ProductError::new(&h.name, e))?
        .map_err(|e| ProductError::new(&h.name, e))?;
        Ok(GadgetOutcome {
            ok: false,
            message: GADGET_ERROR.into(),
            console: vec![],
        })
    }
}

impl Running for RunningCceAdmin {
    fn services(&self) -> Vec<ServiceInfo> {
        vec![ServiceInfo {
            name: self.tomcat.name.clone(),
            port: Some(443),
            bound_port: self.ctx.listeners.bound(&self.ctx.name, 443),
            state: Some(format!("{:?}", self.tomcat.state())),
        }]
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

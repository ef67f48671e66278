//! CCE Administration (SPOG) on each ADS of a running topology: Tomcat with
//! the `cacerts` it loaded at its last start (F9), opening the ECE gadget with
//! the Java personality (F1, F2, F7, F8, F10), the catalina and startup logs
//! of docs/requirements.md §6, the inventory, the integration Save (F11, F21) and
//! agents ([ECE] 4–6).

use super::*;

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
    pub web_server: String,
    pub user: String,
    #[serde(skip)]
    pub password: String,
}

/// What a service of an ADS loaded: Java's trust anchors, or the verdict Java gives on any call.
pub(super) type Trust = Result<Vec<Certificate>, Verdict>;

/// What CCE Administration's Tomcat holds from its last start.
#[derive(Clone)]
pub(super) struct TomcatState {
    trust: Trust,
    /// Tomcat's HTTPS key and chain: the `tomcatCert` key entry of `cacerts`
    /// (docs/requirements.md §1), or why there is none.
    tls: Result<(Vec<Certificate>, Arc<ccelab_emulators::pki::KeyPair>), String>,
    /// `error.{…}.startup.log` of this start ("errors shown by CCE Administration", docs/requirements.md §6).
    error_log: std::path::PathBuf,
}

/// `{YYYY}-{MM}-{DD}T{hh}-{mm}-{ss}.{msec}`: the startup-log stamp of docs/requirements.md §6.
fn startup_stamp(t: time::OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}-{:02}-{:02}.{:03}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Tomcat's start on an ADS: load `cacerts` as Java does and open this
/// start's CCBU and error startup logs and the day's stdout/stderr logs in
/// `C:\icm\tomcat\logs` (names of docs/requirements.md §6; local server time, here
/// UTC; never rolled over). The lines written are ccelab's own.
pub(super) fn start_tomcat(
    cacerts: &std::path::Path,
    logs: &std::path::Path,
    clock: &ccelab_emulators::clock::Clock,
    seq: usize,
) -> TomcatState {
    let trust = java::trust_anchors(cacerts, None, None, None);
    let tls = tomcat_key(cacerts);
    // two starts within one second get distinct names through the milliseconds field
    let now = clock.now() + time::Duration::milliseconds(seq as i64 % 1000);
    let stamp = startup_stamp(now);
    let day = format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        now.month() as u8,
        now.day()
    );
    let _ = std::fs::create_dir_all(logs);
    let anchors = match &trust {
        Ok(a) => format!("{} trusted certificates loaded from cacerts", a.len()),
        Err(v) => format!("cacerts unusable: {}", v.text),
    };
    let _ = std::fs::write(
        logs.join(format!("CCBU.{stamp}.startup.log")),
        format!("{stamp} CCE Administration starting; {anchors}\n"),
    );
    let error_log = logs.join(format!("error.{stamp}.startup.log"));
    let _ = std::fs::write(
        &error_log,
        match &tls {
            Ok(_) => String::new(),
            Err(e) => format!("{stamp} HTTPS connector not started: {e}\n"),
        },
    );
    for f in [
        format!("tomcat9-stdout.{day}.log"),
        format!("tomcat9-stderr.{day}.log"),
    ] {
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logs.join(f));
    }
    TomcatState {
        trust,
        tls,
        error_log,
    }
}

/// The `tomcatCert` key entry of `cacerts` (password `changeit`).
fn tomcat_key(
    cacerts: &std::path::Path,
) -> Result<(Vec<Certificate>, Arc<ccelab_emulators::pki::KeyPair>), String> {
    let bytes = std::fs::read(cacerts).map_err(|e| format!("{}: {e}", cacerts.display()))?;
    let mut ks = Keystore::load(&bytes, Some(crate::topology::CACERTS_PASS))
        .map_err(|e| format!("{}: {e}", cacerts.display()))?;
    // Tomcat's connector: keystore and key password both `changeit`
    ks.unlock_keys(crate::topology::CACERTS_PASS)
        .map_err(|e| format!("{}: tomcatCert: {e}", cacerts.display()))?;
    let (key, chain) = ks
        .entries()
        .iter()
        .filter(|e| e.alias.eq_ignore_ascii_case("tomcatcert"))
        .find_map(|e| match &e.entry {
            Entry::PrivateKey {
                key: KeyMaterial::Plain(k),
                chain,
            } => Some((k.clone(), chain.clone())),
            _ => None,
        })
        .ok_or_else(|| "no key entry tomcatCert in cacerts".to_string())?;
    let key = ccelab_emulators::pki::KeyPair::from_pkcs8_der(&key).map_err(|e| e.to_string())?;
    Ok((chain, key))
}

/// CCE Administration's REST API on an ADS: the machine inventory (see
/// [`machine_inventory`]), HTTP Basic as an administrator of the topology.
fn cce_admin_handler(
    topo: Arc<crate::topology::Topology>,
    inventory: Arc<Mutex<machine_inventory::Inventory>>,
) -> ccelab_emulators::tls::Handler {
    use machine_inventory::{
        bulk_xml, errors_xml, list_xml, machine_xml, MachineXml, MACHINE_INVENTORY,
    };
    ccelab_emulators::tls::handler(move |r: ccelab_emulators::tls::HttpRequest| {
        let xml = |status: u16, body: String| HttpResponse {
            status,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: body.into_bytes(),
        };
        let path = r
            .path
            .split('?')
            .next()
            .unwrap_or("")
            .trim_end_matches('/')
            .to_string();
        let Some(rest) = path.strip_prefix(MACHINE_INVENTORY) else {
            return HttpResponse::text(404, "Not Found\n");
        };
        let admin = topo.cce_admin_account();
        let authorized = basic_credentials(&r)
            .is_some_and(|(u, p)| u.eq_ignore_ascii_case(&admin.0) && p == admin.1);
        if !authorized {
            return HttpResponse {
                status: 401,
                headers: vec![(
                    "WWW-Authenticate".into(),
                    "Basic realm=\"CCE Administration\"".into(),
                )],
                body: Vec::new(),
            };
        }
        let mut inv = inventory.lock().unwrap_or_else(|e| e.into_inner());
        match (r.method.as_str(), rest) {
            ("GET", "") => xml(200, list_xml(&inv.machines)),
            ("POST", "") => {
                let body = String::from_utf8_lossy(&r.body);
                let parsed: Result<MachineXml, _> = quick_xml::de::from_str(&body);
                match parsed {
                    Err(e) => xml(
                        400,
                        errors_xml(&[machine_inventory::ApiError {
                            error_type: "invalidInput.fieldInvalid".into(),
                            error_data: "machine".into(),
                            error_message: format!("The request body is not a <machine>: {e}"),
                            range: None,
                        }]),
                    ),
                    Ok(m) => match inv.add(&topo, m.to_new()) {
                        Ok(added) => HttpResponse {
                            status: 201,
                            headers: vec![
                                ("Content-Type".into(), "application/xml".into()),
                                (
                                    "Location".into(),
                                    format!("{MACHINE_INVENTORY}/{}", added.id),
                                ),
                            ],
                            body: machine_xml(&added).into_bytes(),
                        },
                        Err(errors) => xml(400, errors_xml(&errors)),
                    },
                }
            }
            ("GET", "/bulkoperation/template") => HttpResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "text/csv".into())],
                body: format!("{}\r\n", machine_inventory::CSV_HEADER).into_bytes(),
            },
            ("POST", "/bulkoperation") => {
                let body = String::from_utf8_lossy(&r.body).into_owned();
                let result = inv.upload_csv(&topo, &body);
                xml(if result.is_ok() { 200 } else { 400 }, bulk_xml(&result))
            }
            (method, id) => {
                let Some(id) = id.strip_prefix('/').and_then(|i| i.parse::<u64>().ok()) else {
                    return HttpResponse::text(404, "Not Found\n");
                };
                match method {
                    "GET" => match inv.machines.iter().find(|m| m.id == id) {
                        Some(m) => xml(200, machine_xml(m)),
                        None => HttpResponse::text(404, "Not Found\n"),
                    },
                    "DELETE" => {
                        if inv.delete(id) {
                            HttpResponse {
                                status: 200,
                                headers: vec![],
                                body: Vec::new(),
                            }
                        } else {
                            HttpResponse::text(404, "Not Found\n")
                        }
                    }
                    _ => HttpResponse::text(405, "Method Not Allowed\n"),
                }
            }
        }
    })
}

/// The outcome of opening the ECE gadget.
#[derive(Clone, Debug, Serialize)]
pub struct GadgetOutcome {
    pub ok: bool,
    /// What the SPOG user sees. Why it failed is in a log: the catalina log
    /// (the ADS's Java call) or ECE's application server log (SSO, F4).
    pub message: String,
    /// What the administrator's browser console shows (the gadget's own
    /// requests, F13), in Chrome's wording.
    pub console: Vec<String>,
}

/// What the gadget did in the administrator's browser.
enum InBrowser {
    /// The console lines (Chrome's wording); none when the gadget works.
    Console(Vec<String>),
    /// ECE answered the session call with an error: it could not sign the
    /// SPOG administrator in (F4); the page shows SPOG's error.
    SignInFailed,
}

/// The message SPOG's gadget frame shows when the ECE services are down (F3).
pub fn gadget_down_message(url: &str) -> String {
    format!("The webpage at {url} might be temporarily down or it may have moved permanently to a new web address")
}

impl Lab {
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
    ) -> Result<String, String> {
        let tcp_failed = |cause: &str| {
            format!("The TCP/IP connection to the host {server}, port {port} has failed. Error: \"{cause}. Verify the connection properties. Make sure that an instance of SQL Server is running on the host and accepting TCP/IP connections at the port. Make sure that TCP connections to the port are not blocked by a firewall.\".")
        };
        let Some(h) = self.topo.resolve(server) else {
            return Err(tcp_failed(server));
        };
        if h.role != Role::Ads || port != 1433 {
            return Err(tcp_failed("Connection refused: connect"));
        }
        if !login.eq_ignore_ascii_case(crate::topology::AWDB_LOGIN)
            || password != crate::topology::ECE_DEFAULT_PASSWORD
        {
            return Err(format!("Login failed for user '{login}'."));
        }
        if !database.eq_ignore_ascii_case(crate::topology::AWDB_DATABASE) {
            return Err(format!(
                "Cannot open database \"{database}\" requested by the login. The login failed."
            ));
        }
        *self.awdb.lock().unwrap_or_else(|e| e.into_inner()) = Some(server.to_string());
        Ok(format!("AWDB details saved: {database} on {server}."))
    }

    /// Starts CCE Administration's HTTPS listener on an ADS with the key its
    /// Tomcat loaded (none while Tomcat is stopped or has no `tomcatCert`).
    pub(super) async fn start_cce_admin_https(
        &self,
        h: &crate::topology::Host,
    ) -> Result<(), LabError> {
        let mut servers = self.cce_admin_https.lock().await;
        let mut slot = servers.remove(&h.name);
        let tls = self
            .tomcat
            .get(&h.name)
            .and_then(|s| s.loaded())
            .and_then(|state| state.tls.ok());
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
        let handler = cce_admin_handler(self.topo.clone(), self.machine_inventory.clone());
        let result = self.serve_in(&mut slot, h, 443, site, handler).await;
        if let Some(s) = slot {
            servers.insert(h.name.clone(), s);
        }
        result
    }

    /// Email and Chat > Integration > Unified CCE > Configuration tab > Save
    /// ([ECE] 5). Saving is permanent (F21): a second Save is refused and says
    /// why (the wording is ccelab's, the facts [ECE] 5's). The application
    /// instance must be one the deployment has, spelled exactly (names are
    /// case-sensitive), and never a `UQ…` instance (F11).
    pub fn save_integration(
        &self,
        app_instance: &str,
        agent_pgs: &[String],
    ) -> Result<String, String> {
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
        if app_instance != self.topo.app_instance {
            return Err(format!(
                "Application instance {app_instance} does not exist (names are case-sensitive; this deployment has {}).",
                self.topo.app_instance
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
    }

    /// Users > Agents > an agent > "Support Email & Chat" and the "Enable
    /// Email & Chat" tab with a Screen Name > Save ([ECE] 6). The check box and
    /// tab exist only once the integration is saved; the agent then appears in
    /// ECE's user list. Messages are ccelab's wording.
    pub fn enable_agent(&self, agent: &str, screen_name: &str) -> Result<String, String> {
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
        let mut inv = self
            .machine_inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match inv.web_server_mut() {
            Some(m) => {
                m.address = name.to_string();
                m.host_name = self
                    .topo
                    .resolve(name)
                    .map(|h| h.fqdn.clone())
                    .unwrap_or_default();
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
                    &self.topo,
                    machine_inventory::NewMachine {
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
        self.machine_inventory
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
    pub fn add_machine(
        &self,
        m: machine_inventory::NewMachine,
    ) -> Result<machine_inventory::Machine, Vec<machine_inventory::ApiError>> {
        self.machine_inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .add(&self.topo, m)
    }

    /// Deletes a machine of the inventory.
    pub fn delete_machine(&self, id: u64) -> bool {
        self.machine_inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .delete(id)
    }

    /// The 4000/12000-agent CSV upload (all rows or none).
    #[allow(clippy::type_complexity)]
    pub fn upload_machines(
        &self,
        csv: &str,
    ) -> Result<Vec<machine_inventory::Machine>, Vec<(usize, Vec<machine_inventory::ApiError>)>>
    {
        self.machine_inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .upload_csv(&self.topo, csv)
    }

    /// Every machine of the inventory.
    pub fn machines(&self) -> Vec<machine_inventory::Machine> {
        self.machine_inventory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .machines
            .clone()
    }

    /// Changes an ECE user's password in ECE (e.g. `pa`'s, after which the
    /// inventory's credentials are stale: F12).
    pub fn set_ece_password(&self, user: &str, password: &str) -> Result<(), String> {
        self.ece_db()
            .ok_or("this topology has no ECE application server")?
            .set_password(user, password)
    }

    /// ECE > Administration > Departments > New: `Service` is reserved
    /// ([ECE] 6: it holds everything of Packaged CCE's global department, so
    /// its name cannot be taken; ECE compares department names without case).
    /// Messages are ccelab's wording.
    pub fn create_department(&self, name: &str) -> Result<String, String> {
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
    }

    /// ECE's departments.
    pub fn departments(&self) -> Vec<String> {
        self.departments
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// "Email and Chat" card → open the ECE gadget in CCE Administration on
    /// `ads` as the SPOG administrator `user` (default: the topology's
    /// administrator), whom ECE then looks up in AD (partition-administrator
    /// SSO, [ECE] 2.2; F4).
    pub async fn open_gadget(
        &self,
        ads: &str,
        user: Option<&str>,
    ) -> Result<GadgetOutcome, LabError> {
        let h = self
            .topo
            .host(ads)
            .filter(|h| h.role == Role::Ads)
            .ok_or_else(|| LabError::NoHost(ads.into()))?;
        let svc = self
            .tomcat
            .get(&h.name)
            .ok_or_else(|| LabError::NoHost(ads.into()))?;
        let Some(inv) = self.inventory() else {
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
            Some(Ok(anchors)) => match self.network.endpoint(&name, 443) {
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
                        self.topo.clock.now(),
                        "/default/spog/gadget",
                        &[("Authorization", &basic)],
                        Duration::from_secs(10),
                    )
                    .await
                    {
                        Ok((200, _)) => {
                            let admin = self.topo.cce_admin_account().0;
                            let user = user.unwrap_or(&admin);
                            return Ok(match self.gadget_in_browser(&name, addr, sni, user).await {
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
        self.log_catalina(h, &verdict)?;
        if let Some(st) = &state {
            // the error startup log records what CCE Administration showed
            use std::io::Write as _;
            if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(&st.error_log) {
                let _ = writeln!(
                    f,
                    "{} {GADGET_ERROR} ({})",
                    startup_stamp(self.topo.clock.now()),
                    verdict.text
                );
            }
        }
        Ok(GadgetOutcome {
            ok: false,
            message: GADGET_ERROR.into(),
            console: vec![],
        })
    }

    /// The gadget in the administrator's browser ([ECE] 3, F13): its script
    /// reads `spog_config.js` from the web server and calls
    /// `{web_server_protocol}://{web_server_name}` from the gadget's origin
    /// `https://{name}` (the inventory name SPOG loaded it from). A browser
    /// blocks `http` from an https page (mixed content) and a call to another
    /// origin without CORS headers (ECE sends none); a name that does not
    /// resolve fails. Returns the console lines (Chrome's wording); empty
    /// when the gadget's call succeeds. Sources for the texts (no browser runs
    /// in the tests): the Mixed Content line for an XHR as captured in public
    /// write-ups (e.g. zouwang.vip "open CDN mixed content": "Mixed Content:
    /// The page at '…' was loaded over HTTPS, but requested an insecure
    /// XMLHttpRequest endpoint '…'. This request has been blocked; the content
    /// must be served over HTTPS."), Chrome's CORS console message ("…has been
    /// blocked by CORS policy: No 'Access-Control-Allow-Origin' header is
    /// present on the requested resource."), and Chrome's `net::ERR_*` names.
    async fn gadget_in_browser(
        &self,
        name: &str,
        addr: SocketAddr,
        sni: bool,
        user: &str,
    ) -> InBrowser {
        let page = format!("https://{name}/default/spog/gadget");
        let timeout = Duration::from_secs(10);
        let js = match personality::https_get(addr, name, sni, SPOG_CONFIG_URL, timeout).await {
            Ok((200, js)) => js,
            Ok((status, _)) => {
                return InBrowser::Console(vec![format!(
                    "GET https://{name}{SPOG_CONFIG_URL} {status}",
                )])
            }
            Err(_) => {
                return InBrowser::Console(vec![format!(
                    "GET https://{name}{SPOG_CONFIG_URL} net::ERR_CONNECTION_RESET"
                )])
            }
        };
        let (protocol, server) = match spog_settings(&js) {
            (Some(p), Some(s)) => (p, s),
            (None, _) => {
                return InBrowser::Console(vec![
                    "Uncaught ReferenceError: web_server_protocol is not defined".into(),
                ])
            }
            (_, None) => {
                return InBrowser::Console(vec![
                    "Uncaught ReferenceError: web_server_name is not defined".into(),
                ])
            }
        };
        let target = format!("{protocol}://{server}{GADGET_SESSION_PATH}");
        if !protocol.eq_ignore_ascii_case("https") {
            return InBrowser::Console(vec![format!(
                "Mixed Content: The page at '{page}' was loaded over HTTPS, but requested an insecure XMLHttpRequest endpoint '{target}'. This request has been blocked; the content must be served over HTTPS."
            )]);
        }
        let to = match self.network.endpoint(&server, 443) {
            Ok(to) => to,
            Err(Unreachable::Refused) => {
                return InBrowser::Console(vec![format!(
                    "GET {target} net::ERR_CONNECTION_REFUSED"
                )])
            }
            Err(Unreachable::UnknownHost) => {
                return InBrowser::Console(vec![format!("GET {target} net::ERR_NAME_NOT_RESOLVED")])
            }
        };
        if !server.eq_ignore_ascii_case(name) {
            return InBrowser::Console(vec![
                format!("Access to XMLHttpRequest at '{target}' from origin 'https://{name}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."),
                format!("GET {target} net::ERR_FAILED"),
            ]);
        }
        let who = [(SPOG_USER_HEADER, user)];
        match personality::https_request(to, &server, sni, GADGET_SESSION_PATH, &who, timeout).await
        {
            Ok((200, _)) => InBrowser::Console(vec![]),
            // ECE could not sign the administrator in (its log says why)
            Ok((500, _)) => InBrowser::SignInFailed,
            Ok((status, _)) => InBrowser::Console(vec![format!("GET {target} {status}")]),
            Err(_) => InBrowser::Console(vec![format!("GET {target} net::ERR_CONNECTION_RESET")]),
        }
    }

    pub(super) fn log_catalina(
        &self,
        h: &crate::topology::Host,
        v: &Verdict,
    ) -> Result<(String, Vec<String>), LabError> {
        use ccelab_emulators::clock::MONTH_ABBR as M;
        let now = self.topo.clock.now();
        let stamp = format!(
            "{:02}-{}-{} {:02}:{:02}:{:02}.{:03}",
            now.day(),
            M[now.month() as usize - 1],
            now.year(),
            now.hour(),
            now.minute(),
            now.second(),
            now.millisecond()
        );
        let chain = if v.detail.is_empty() {
            vec![v.text.clone()]
        } else {
            v.detail.clone()
        };
        let mut lines = vec![format!(
            "{stamp} SEVERE [https-jsse-nio-443-exec-1] com.cisco.ccbu.cce.spog.EceGadgetProxy.open {}",
            chain[0]
        )];
        lines.extend(chain.iter().skip(1).map(|c| format!("Caused by: {c}")));
        let dir = h.disk.path(TOMCAT_LOGS).map_err(|e| svc_err(&h.name, e))?;
        let file = dir.join(format!(
            "catalina.{:04}-{:02}-{:02}.log",
            now.year(),
            now.month() as u8,
            now.day()
        ));
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&file)
            .map_err(|e| svc_err(&h.name, format!("{}: {e}", file.display())))?;
        for l in &lines {
            writeln!(f, "{l}").map_err(|e| svc_err(&h.name, e))?;
        }
        Ok((file.display().to_string(), lines))
    }
}

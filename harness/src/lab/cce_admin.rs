//! CCE Administration (SPOG) on each ADS of a running topology: Tomcat with
//! the `cacerts` it loaded at its last start (F9), opening the ECE gadget with
//! the Java personality (F1, F2, F7, F8, F10), the catalina and startup logs
//! of topology.md §6, the inventory, the integration Save (F11, F21) and
//! agents ([ECE] 4–6).

use super::*;

/// What the SPOG user sees when opening the ECE gadget.
pub const GADGET_ERROR: &str = "There was an error loading the page. Contact your administrator.";

/// What a service of an ADS loaded: Java's trust anchors, or the verdict Java gives on any call.
pub(super) type Trust = Result<Vec<Certificate>, Verdict>;

/// What CCE Administration's Tomcat holds from its last start.
#[derive(Clone)]
pub(super) struct TomcatState {
    trust: Trust,
    /// `error.{…}.startup.log` of this start ("errors shown by CCE Administration", topology.md §6).
    error_log: std::path::PathBuf,
}

/// `{YYYY}-{MM}-{DD}T{hh}-{mm}-{ss}.{msec}`: the startup-log stamp of topology.md §6.
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
/// `C:\icm\tomcat\logs` (names of topology.md §6; local server time, here
/// UTC; never rolled over). The lines written are ccelab's own.
pub(super) fn start_tomcat(
    cacerts: &std::path::Path,
    logs: &std::path::Path,
    clock: &ccelab_emulators::clock::Clock,
    seq: usize,
) -> TomcatState {
    let trust = java::trust_anchors(cacerts, None, None, None);
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
    let _ = std::fs::write(&error_log, "");
    for f in [
        format!("tomcat9-stdout.{day}.log"),
        format!("tomcat9-stderr.{day}.log"),
    ] {
        let _ = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(logs.join(f));
    }
    TomcatState { trust, error_log }
}

/// The outcome of opening the ECE gadget.
#[derive(Clone, Debug, Serialize)]
pub struct GadgetOutcome {
    pub ok: bool,
    /// What the SPOG user sees.
    pub message: String,
    /// Lines appended to the catalina log (empty on success).
    pub logged: Vec<String>,
    pub log_file: Option<String>,
}

/// The message SPOG's gadget frame shows when the ECE services are down (F3).
pub fn gadget_down_message(url: &str) -> String {
    format!("The webpage at {url} might be temporarily down or it may have moved permanently to a new web address")
}

impl Lab {
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

    /// Sets the ECE web server's name in the inventory ([ECE] 4.3; F10 when it
    /// is a host name or an address instead of the certificate's FQDN).
    pub fn set_inventory_web_server(&self, name: &str) {
        *self
            .inventory_web_server
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = name.to_string();
    }

    /// "Email and Chat" card → open the ECE gadget in CCE Administration on `ads`.
    pub async fn open_gadget(&self, ads: &str) -> Result<GadgetOutcome, LabError> {
        let h = self
            .topo
            .host(ads)
            .filter(|h| h.role == Role::Ads)
            .ok_or_else(|| LabError::NoHost(ads.into()))?;
        let svc = self
            .tomcat
            .get(&h.name)
            .ok_or_else(|| LabError::NoHost(ads.into()))?;
        let name = self
            .inventory_web_server
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let state = svc.loaded();
        let verdict = match state.as_ref().map(|t| t.trust.clone()) {
            None => {
                return Ok(GadgetOutcome {
                    ok: false,
                    message: "CCE Administration is not running".into(),
                    logged: vec![],
                    log_file: None,
                })
            }
            Some(Err(v)) => v,
            Some(Ok(anchors)) => match self.target(&name) {
                None => Verdict::refuse(format!("java.net.UnknownHostException: {name}")),
                Some(addr) => {
                    let v = personality::connect(
                        Personality::Java,
                        addr,
                        &name,
                        &anchors,
                        self.topo.clock.now(),
                    )
                    .await;
                    if v.ok {
                        let sni = personality::sends_sni(Personality::Java, &name);
                        match personality::https_get(
                            addr,
                            &name,
                            sni,
                            "/default/spog/gadget",
                            Duration::from_secs(10),
                        )
                        .await
                        {
                            Ok((200, _)) => {
                                return Ok(GadgetOutcome {
                                    ok: true,
                                    message: "ECE gadget loaded".into(),
                                    logged: vec![],
                                    log_file: None,
                                })
                            }
                            Ok((status, _)) if status != 503 => Verdict::refuse(format!(
                                "java.io.IOException: Server returned HTTP response code: {status} for URL: https://{name}/default/spog/gadget"
                            )),
                            Ok((_, _)) => {
                                // F3: the gadget frame shows the browser's "might be temporarily down" page
                                let url = format!("https://{name}/default/spog/gadget");
                                return Ok(GadgetOutcome {
                                    ok: false,
                                    message: gadget_down_message(&url),
                                    logged: vec![],
                                    log_file: None,
                                });
                            }
                            Err(c) => {
                                personality::contact_failure(Personality::Java, &c, &name, addr)
                            }
                        }
                    } else {
                        v
                    }
                }
            },
        };
        let (file, lines) = self.log_catalina(h, &verdict)?;
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
            logged: lines,
            log_file: Some(file),
        })
    }

    pub(super) fn target(&self, name: &str) -> Option<SocketAddr> {
        let h = self.topo.resolve(name)?;
        let port = self.bound_port(&h.name, 443)?;
        Some(SocketAddr::from((h.address, port)))
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

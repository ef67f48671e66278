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

/// HTTP.sys's answer when no binding's host name matches the `Host` header:
/// "Bad Request - Invalid Hostname" / "HTTP Error 400. The request hostname is
/// invalid." (Microsoft IIS support blog, "HTTP 400 Bad Request when client
/// sends invalid HTTP:Host header value": such 400s come from HTTP.sys). The
/// surrounding HTML is HTTP.sys's stock error page as commonly captured.
pub const INVALID_HOSTNAME: &str = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n<HTML><HEAD><TITLE>Bad Request</TITLE>\r\n<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n<BODY><h2>Bad Request - Invalid Hostname</h2>\r\n<hr><p>HTTP Error 400. The request hostname is invalid.</p>\r\n</BODY></HTML>\r\n";

/// What the SPOG user sees when opening the ECE gadget.
pub const GADGET_ERROR: &str = "There was an error loading the page. Contact your administrator.";

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

/// An https binding read from `applicationHost.config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IisBinding {
    pub ip: String,
    pub port: u16,
    pub host_name: String,
    pub require_sni: bool,
    pub certificate_hash: String,
}

fn attr(element: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = element.find(&key)? + key.len();
    let end = element[start..].find('"')? + start;
    Some(element[start..end].to_string())
}

/// The `https` bindings of `applicationHost.config` (IIS: sslFlags bit 1 = Require SNI).
pub fn iis_https_bindings(config: &str) -> Vec<IisBinding> {
    config
        .match_indices("<binding ")
        .filter_map(|(i, _)| {
            let el = &config[i..i + config[i..].find('>')?];
            if !attr(el, "protocol")?.eq_ignore_ascii_case("https") {
                return None;
            }
            let info = attr(el, "bindingInformation")?;
            let mut parts = info.splitn(3, ':');
            let (ip, port, host) = (parts.next()?, parts.next()?, parts.next().unwrap_or(""));
            let flags: u32 = attr(el, "sslFlags")
                .and_then(|f| f.parse().ok())
                .unwrap_or(0);
            Some(IisBinding {
                ip: ip.into(),
                port: port.parse().ok()?,
                host_name: host.into(),
                require_sni: flags & 1 == 1,
                certificate_hash: attr(el, "certificateHash")
                    .unwrap_or_default()
                    .to_ascii_uppercase(),
            })
        })
        .collect()
}

/// The leaf, then the certificates of `dir` (PEM or DER `.cer` files) that
/// certify it, issuer by issuer, stopping before a self-signed root.
pub fn chain_from_ca_store(leaf: &Certificate, dir: &std::path::Path) -> Vec<Certificate> {
    let store: Vec<Certificate> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read(e.path()).ok())
                .filter_map(|b| {
                    Certificate::all_from_pem(&String::from_utf8_lossy(&b))
                        .ok()
                        .and_then(|v| v.into_iter().next())
                        .or_else(|| Certificate::from_der(&b).ok())
                })
                .collect()
        })
        .unwrap_or_default();
    let mut chain = vec![leaf.clone()];
    while chain.len() < 8 {
        let cur = chain.last().cloned().unwrap_or_else(|| leaf.clone());
        match store.iter().find(|c| {
            cur.issuer() == c.subject()
                && cur.is_signed_by(c)
                && !c.is_self_issued()
                && !chain.contains(c)
        }) {
            Some(c) => chain.push(c.clone()),
            None => break,
        }
    }
    chain
}

/// What a service of an ADS loaded: Java's trust anchors, or the verdict Java gives on any call.
type Trust = Result<Vec<Certificate>, Verdict>;

/// What CCE Administration's Tomcat holds from its last start.
#[derive(Clone)]
struct TomcatState {
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
fn start_tomcat(
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

/// The message SPOG's gadget frame shows when the ECE services are down (F3).
pub fn gadget_down_message(url: &str) -> String {
    format!("The webpage at {url} might be temporarily down or it may have moved permanently to a new web address")
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

    /// (Re)starts IIS on the ECE web server from its disk.
    async fn start_ece_web(&self) -> Result<(), LabError> {
        let Some(h) = self.ece_host() else {
            return Ok(());
        };
        let config_path = h
            .disk
            .path(APPLICATION_HOST)
            .map_err(|e| svc_err(&h.name, e))?;
        let config = std::fs::read_to_string(&config_path)
            .map_err(|e| svc_err(&h.name, format!("{}: {e}", config_path.display())))?;
        let bindings = iis_https_bindings(&config);
        let store = h
            .disk
            .path(CERT_STORE_MY)
            .map_err(|e| svc_err(&h.name, e))?;
        let ca_store = h
            .disk
            .path(CERT_STORE_CA)
            .map_err(|e| svc_err(&h.name, e))?;
        let mut site = SiteConfig::default();
        let mut product_port = 443;
        for b in &bindings {
            let pfx = store.join(format!("{}.pfx", b.certificate_hash));
            let bytes = std::fs::read(&pfx).map_err(|e| {
                svc_err(&h.name, format!("certificate {}: {e}", b.certificate_hash))
            })?;
            let ks = Keystore::load(&bytes, Some(PFX_PASS))
                .map_err(|e| svc_err(&h.name, format!("{}: {e}", pfx.display())))?;
            // F22: a PFX without its private key cannot serve HTTPS
            let Some((key, chain)) = ks.entries().iter().find_map(|e| match &e.entry {
                Entry::PrivateKey {
                    key: KeyMaterial::Plain(k),
                    chain,
                } => Some((k.clone(), chain.clone())),
                _ => None,
            }) else {
                return Err(svc_err(
                    &h.name,
                    format!("{}: the certificate has no private key", pfx.display()),
                ));
            };
            let key = ccelab_emulators::pki::KeyPair::from_pkcs8_der(&key)
                .map_err(|e| svc_err(&h.name, e))?;
            // HTTP.sys sends the leaf and the path it builds from the machine's CA store
            let chain = match chain.first() {
                Some(leaf) => chain_from_ca_store(leaf, &ca_store),
                None => chain,
            };
            let mut binding = Binding::new(
                format!("Default Web Site https {}:{}:{}", b.ip, b.port, b.host_name),
                chain,
                key,
            );
            binding.host_name = (!b.host_name.is_empty()).then(|| b.host_name.clone());
            binding.require_sni = b.require_sni;
            site.bindings.push(binding);
            product_port = b.port;
        }
        let known = self.bound_port(&h.name, product_port);
        let port = match (known, self.real_ports) {
            (Some(p), _) => p,
            (None, true) => product_port,
            (None, false) => 0,
        };
        let app_up = self.cisco_service.clone();
        // HTTP.sys routes a request to the site whose binding's host name equals
        // the Host header (an empty host name takes any); none → 400 Invalid Hostname.
        let host_names: Vec<String> = bindings
            .iter()
            .map(|b| b.host_name.to_ascii_lowercase())
            .collect();
        let handler = Arc::new(move |r: ccelab_emulators::tls::HttpRequest| {
            let host = r.host.as_deref().unwrap_or("").to_ascii_lowercase();
            let host = host
                .rsplit_once(':')
                .map(|(h, _)| h.to_string())
                .unwrap_or(host);
            if !host_names.iter().any(|n| n.is_empty() || *n == host) {
                return HttpResponse {
                    status: 400,
                    headers: vec![("Content-Type".into(), "text/html; charset=us-ascii".into())],
                    body: INVALID_HOSTNAME.as_bytes().to_vec(),
                };
            }
            // IIS forwards to the ECE application server; with "Cisco Service" stopped it answers 503
            if !app_up.load(std::sync::atomic::Ordering::SeqCst) {
                return HttpResponse::text(503, "Service Unavailable\n");
            }
            match r.path.as_str() {
                "/default" | "/default/" => HttpResponse::text(
                    200,
                    "Enterprise Chat and Email: business partition (default). Log in as pa.\n",
                ),
                "/system" | "/system/" => HttpResponse::text(
                    200,
                    "Enterprise Chat and Email: system partition. Log in as sa.\n",
                ),
                "/default/spog/gadget" => HttpResponse::text(200, "ECE gadget\n"),
                _ => HttpResponse::text(404, "Not Found\n"),
            }
        });
        let mut addr = SocketAddr::from((h.address, port));
        let server = match TlsServer::start(
            addr,
            site.clone(),
            handler.clone(),
            self.events.clone(),
        )
        .await
        {
            Ok(s) => s,
            Err(_) if known.is_none() && self.real_ports => {
                addr.set_port(0);
                TlsServer::start(addr, site, handler, self.events.clone())
                    .await
                    .map_err(|e| svc_err(&h.name, e))?
            }
            Err(e) => return Err(svc_err(&h.name, e)),
        };
        self.ports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((h.name.clone(), product_port), server.local_addr().port());
        if let Some(old) = self.ece_web.lock().await.replace(server) {
            old.stop().await;
        }
        Ok(())
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

    /// Replaces the ECE web server's certificate as an administrator does in
    /// IIS Manager: a new certificate (self-signed, or issued by the topology's
    /// issuing CA) into the Personal store, the https binding pointed at it,
    /// IIS restarted. Nothing changes on the ADSs — re-importing there is the
    /// administrator's job (F7). Returns the new certificate's SHA-256 fingerprint.
    pub async fn replace_web_cert(&self, self_signed: bool) -> Result<String, LabError> {
        let h = self
            .ece_host()
            .ok_or_else(|| LabError::NoHost("ece-web".into()))?;
        let now = self.topo.clock.now();
        let n = self
            .cert_serial
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let key = ccelab_emulators::pki::keypool::key(
            ccelab_emulators::pki::KeyType::Rsa2048,
            20 + n % 10,
        )
        .map_err(|e| svc_err(&h.name, e))?;
        let params = ccelab_emulators::pki::CertParams::leaf(
            &format!("CN={}", h.fqdn),
            now - time::Duration::minutes(n as i64 + 1),
            now + time::Duration::days(365),
        )
        .map_err(|e| svc_err(&h.name, e))?
        .with_sans([ccelab_emulators::pki::San::Dns(h.fqdn.clone())]);
        let issued = if self_signed {
            ccelab_emulators::pki::Issued::self_signed(&params, key)
        } else {
            self.topo.issuing.issue(&params, key)
        }
        .map_err(|e| svc_err(&h.name, e))?;
        let thumb = issued.cert.sha1_fingerprint().replace(':', "");
        let mut pfx = Keystore::new(ccelab_emulators::stores::StoreType::Pkcs12);
        pfx.set_key_entry(
            &h.fqdn,
            issued.key.pkcs8_der().to_vec(),
            issued.chain(),
            now,
        )
        .map_err(|e| svc_err(&h.name, e))?;
        let my = h
            .disk
            .path(CERT_STORE_MY)
            .map_err(|e| svc_err(&h.name, e))?;
        pfx.save(&my.join(format!("{thumb}.pfx")), PFX_PASS, None)
            .map_err(|e| svc_err(&h.name, e))?;
        let config_path = h
            .disk
            .path(APPLICATION_HOST)
            .map_err(|e| svc_err(&h.name, e))?;
        let config = std::fs::read_to_string(&config_path).map_err(|e| svc_err(&h.name, e))?;
        let mut updated = config.clone();
        for b in iis_https_bindings(&config) {
            updated = updated.replace(
                &format!("certificateHash=\"{}\"", b.certificate_hash),
                &format!("certificateHash=\"{thumb}\""),
            );
            updated = updated.replace(
                &format!(
                    "certificateHash=\"{}\"",
                    b.certificate_hash.to_ascii_lowercase()
                ),
                &format!("certificateHash=\"{thumb}\""),
            );
        }
        ccelab_emulators::stores::write_atomic(&config_path, updated.as_bytes())
            .map_err(|e| svc_err(&h.name, e))?;
        self.restart(&h.name.clone()).await?;
        Ok(issued.cert.sha256_fingerprint())
    }

    /// IIS Manager > Default Web Site > Bindings > Edit the https binding: its
    /// host name and "Require Server Name Indication" ([ECE] 1.2, F6), then
    /// IIS applies it (restart).
    pub async fn set_binding(&self, host_name: &str, require_sni: bool) -> Result<(), LabError> {
        let h = self
            .ece_host()
            .ok_or_else(|| LabError::NoHost("ece-web".into()))?;
        let config_path = h
            .disk
            .path(APPLICATION_HOST)
            .map_err(|e| svc_err(&h.name, e))?;
        let config = std::fs::read_to_string(&config_path).map_err(|e| svc_err(&h.name, e))?;
        let mut out = String::with_capacity(config.len());
        let mut rest = config.as_str();
        while let Some(i) = rest.find("<binding ") {
            let end = rest[i..].find('>').map(|e| i + e + 1).unwrap_or(rest.len());
            let el = &rest[i..end];
            out.push_str(&rest[..i]);
            if attr(el, "protocol").is_some_and(|p| p.eq_ignore_ascii_case("https")) {
                let info = attr(el, "bindingInformation").unwrap_or_default();
                let mut parts = info.splitn(3, ':');
                let (ip, port) = (parts.next().unwrap_or("*"), parts.next().unwrap_or("443"));
                let hash = attr(el, "certificateHash").unwrap_or_default();
                out.push_str(&format!(
                    "<binding protocol=\"https\" bindingInformation=\"{ip}:{port}:{host_name}\" sslFlags=\"{}\" certificateHash=\"{hash}\" certificateStoreName=\"My\" />",
                    u8::from(require_sni)
                ));
            } else {
                out.push_str(el);
            }
            rest = &rest[end..];
        }
        out.push_str(rest);
        ccelab_emulators::stores::write_atomic(&config_path, out.as_bytes())
            .map_err(|e| svc_err(&h.name, e))?;
        self.restart(&h.name.clone()).await
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

    fn target(&self, name: &str) -> Option<SocketAddr> {
        let h = self.topo.resolve(name)?;
        let port = self.bound_port(&h.name, 443)?;
        Some(SocketAddr::from((h.address, port)))
    }

    fn log_catalina(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_iis_bindings() {
        let c = r#"<bindings><binding protocol="http" bindingInformation="*:80:" />
            <binding protocol="https" bindingInformation="*:443:" sslFlags="0" certificateHash="ab12" certificateStoreName="My" />
            <binding protocol="https" bindingInformation="*:443:ece.example.com" sslFlags="1" certificateHash="CD34" /></bindings>"#;
        let b = iis_https_bindings(c);
        assert_eq!(b.len(), 2);
        assert_eq!(
            b[0],
            IisBinding {
                ip: "*".into(),
                port: 443,
                host_name: "".into(),
                require_sni: false,
                certificate_hash: "AB12".into()
            }
        );
        assert!(b[1].require_sni);
        assert_eq!(b[1].host_name, "ece.example.com");
    }
}

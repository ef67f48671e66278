//! ECE's application servers (WildFly on the collocated server, and on each
//! further server of an HA or distributed deployment) and the database they
//! share: partition-administrator SSO against the AD DC / GC ([ECE]
//! 2.1–2.2; F4, F5, F14, F15, F16), ECE's logs (docs/requirements.md §6) and
//! "Cisco Service" (F3). The partition's configuration and users are in
//! ECE's database ([`EceDb`], shared by the deployment's application
//! servers); each server has its own disk (the LDAPS keystore), log, trace
//! levels and services. The integration's tabs and agents are in
//! `super::integration`.
//!
//! Each application server listens for IIS on [`APP_SERVER_PORT`] while its
//! "Cisco Service" runs. When an administrator opens the ECE gadget in SPOG,
//! the gadget's session call reaches an application server through IIS and
//! ECE looks the administrator up in AD with the Partition Administration
//! Configuration: a JNDI context on the LDAP URL (with "Enable SSL on LDAP":
//! `java.naming.security.protocol = ssl`), bound as "DN for LDAP search"
//! (anonymous when blank), trusting the JKS at "Keystore location" (read at
//! each authentication; ccelab's assumption), then a subtree search of Base
//! for `(<DN attribute>=<user>)`. Found: ECE creates the partition user. Any
//! failure: the SPOG user sees "There was an error loading the page.
//! Contact your administrator." (F4) and the application server's log says
//! why — the JNDI exception only at trace level 7 (Debug), as [ECE]'s
//! troubleshooting implies.

use std::any::Any;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;

use crate::network::Unreachable;
use crate::personality::java;
use crate::personality::jndi::{JndiContext, JndiEnv, LdapUrl};
use crate::platform::http::basic_credentials;
use crate::product::{HostCtx, ProductError, ProductFuture, Running, ServiceInfo};
use crate::tls::{async_handler, HttpRequest, HttpResponse, SiteConfig, TlsServer};

use super::db::EceDb;
use super::integration::AGENTS_PATH;
use super::log::{line, EceLog, TraceLevels};
use super::{APP_SERVER_PORT, GADGET_SESSION_PATH, SPOG_CONFIG_URL, SPOG_USER_HEADER};

/// How many partition administrators ECE keeps (a bound on what callers
/// of the session endpoint can make the emulator remember).
pub const MAX_ADMINS: usize = 10_000;

/// A value escaped for an LDAP search filter (RFC 4515: `*`, `(`, `)`, `\`, NUL).
pub fn ldap_escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '*' => out.push_str("\\2a"),
            '(' => out.push_str("\\28"),
            ')' => out.push_str("\\29"),
            '\\' => out.push_str("\\5c"),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

/// What an application server is given beyond its host: the deployment's
/// ECE database, and where it logs (a Windows path on its disk).
pub struct AppConfig {
    /// The database the deployment's application servers share.
    pub db: Arc<EceDb>,
    /// The log directory (`{ECE_HOME}\eService_RT\logs` on a single
    /// collocated server, `{ECE_HOME}\eService\logs` with HA: §6).
    pub log_dir: String,
}

/// The state of ECE's LDAPS keystore after [ECE] 2.1.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EceKeystore {
    /// `keytool -import -trustcacerts -alias mydomaincontroller -file domainctl.crt`: done.
    #[default]
    WithDc,
    /// The keystore exists but the DC's certificate was never imported (F14).
    WithoutDc,
    /// No keystore at that path (not made, or not copied to this server: F14).
    Missing,
}

/// The application servers' knobs in a topology.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppKnobs {
    /// What `c:\ece\pcce\mydomain.jks` holds ([ECE] 2.1; F14).
    pub keystore: EceKeystore,
    /// The application servers whose disk has it (None: every one; F14, before 12.6).
    pub keystore_on: Option<Vec<String>>,
    /// Other trusted certificates it holds (a customer's, by `ccelab
    /// reproduce`): with `without-dc`, Java then fails with PKIX rather than
    /// with an empty trust store's message.
    pub keystore_also: Vec<crate::pki::Certificate>,
}

/// The `[ece_app]` section of a topology file. `servers` and `keystore_on`
/// name hosts, which the topology checks and applies.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSection {
    /// `c:\ece\pcce\mydomain.jks`: `with-dc`, `without-dc` or `missing` ([ECE] 2.1; F14).
    pub keystore: Option<EceKeystore>,
    /// How many application servers (1–4; default 1, the collocated
    /// server). The second is `ece-app-2` (`eceapp2.<domain>`), and so on.
    #[serde(default, deserialize_with = "servers_de")]
    pub servers: Option<u8>,
    /// The application servers whose disk has the keystore (default: every
    /// one). Before 12.6 it must be copied to the same path on each ([ECE]
    /// 2.1; F14).
    pub keystore_on: Option<Vec<String>>,
    /// A PEM file (relative to the topology file) of other trusted
    /// certificates the keystore holds (aliases `imported-1`, …).
    pub keystore_also: Option<String>,
}

/// The certificates of the PEM `text` (`keystore_also`); Err names the line.
pub fn keystore_also(text: &str) -> Result<Vec<crate::pki::Certificate>, String> {
    let blocks = crate::pki::pem::parse(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for b in blocks.iter().filter(|b| b.label == "CERTIFICATE") {
        out.push(
            crate::pki::Certificate::from_der(&b.der)
                .map_err(|e| format!("line {}: {e}", b.line))?,
        );
    }
    if out.is_empty() {
        return Err("no CERTIFICATE block".into());
    }
    Ok(out)
}

fn servers_de<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u8>, D::Error> {
    let n: Option<i64> = Option::deserialize(d)?;
    match n {
        None => Ok(None),
        Some(n @ 1..=4) => Ok(Some(n as u8)),
        Some(n) => Err(serde::de::Error::custom(format!(
            "{n} application servers: between 1 and 4"
        ))),
    }
}

/// Writes an application server's disk: its log directory, and the LDAPS
/// keystore of [ECE] 2.1 (`mydomain.jks`, JKS) where it was made or copied
/// (`keystore`: None when the file is not there; Some(certificates) with
/// the DC's certificate, or without it: F14).
pub fn write_disk(
    host: &str,
    disk: &crate::host::VirtualDisk,
    log_dir: &str,
    keystore: Option<&[(String, crate::pki::Certificate)]>,
    now: OffsetDateTime,
) -> Result<(), ProductError> {
    let logs = disk.path(log_dir).map_err(|e| ProductError::new(host, e))?;
    crate::product::make_dir(host, &logs)?;
    let path = disk
        .path(super::ECE_LDAP_KEYSTORE)
        .map_err(|e| ProductError::new(host, e))?;
    if let Some(dir) = path.parent() {
        crate::product::make_dir(host, dir)?;
    }
    if let Some(certs) = keystore {
        let mut ks = crate::stores::Keystore::new(crate::stores::StoreType::Jks);
        for (alias, cert) in certs {
            ks.import_cert(alias, cert.clone(), now)
                .map_err(|e| ProductError::new(host, e))?;
        }
        ks.save(&path, super::ECE_LDAP_KEYSTORE_PASS, None)
            .map_err(|e| ProductError::new(host, e))?;
    }
    Ok(())
}

/// One running application server.
pub struct RunningApp {
    ctx: HostCtx,
    db: Arc<EceDb>,
    trace: TraceLevels,
    log: EceLog,
    /// "Cisco Service" running (F3): while stopped, nothing listens.
    running: std::sync::atomic::AtomicBool,
    listener: tokio::sync::Mutex<Option<TlsServer>>,
}

/// Starts an application server on its host ("Cisco Service" running).
pub async fn start(cfg: AppConfig, ctx: HostCtx) -> Result<Arc<RunningApp>, ProductError> {
    let dir = ctx
        .disk
        .path(&cfg.log_dir)
        .map_err(|e| ProductError::new(&ctx.name, e))?;
    let hostname = ctx
        .fqdn
        .split('.')
        .next()
        .unwrap_or(&ctx.fqdn)
        .to_ascii_uppercase();
    let app = Arc::new(RunningApp {
        log: EceLog::new(
            ctx.disk.clone(),
            dir.join(format!("eg_log_{hostname}_ApplicationServer.log")),
        ),
        ctx,
        db: cfg.db,
        trace: TraceLevels::default(),
        running: std::sync::atomic::AtomicBool::new(true),
        listener: tokio::sync::Mutex::new(None),
    });
    {
        let mut slot = app.listener.lock().await;
        app.open_in(&mut slot).await?;
    }
    Ok(app)
}

impl RunningApp {
    /// The database it shares with the deployment's other application servers.
    pub fn db(&self) -> &Arc<EceDb> {
        &self.db
    }

    /// The host it runs on.
    pub(super) fn ctx(&self) -> &HostCtx {
        &self.ctx
    }

    /// Whether "Cisco Service" runs.
    pub fn is_running(&self) -> bool {
        self.running.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// System > Shared Resources > Logger > Processes > `process` > Maximum
    /// trace level on this server (ccelab emulates `ApplicationServer`).
    pub fn set_trace_level(
        &self,
        process: &str,
        level: u8,
        minutes: Option<u32>,
    ) -> Result<(), String> {
        if !process.eq_ignore_ascii_case("ApplicationServer") {
            return Err(format!(
                "no process `{process}` (ccelab emulates ApplicationServer)"
            ));
        }
        self.trace
            .set("ApplicationServer", level, minutes, self.ctx.clock.now())
    }

    /// Opens the HTTP listener IIS forwards to, in `slot` (held by the caller).
    async fn open_in(self: &Arc<Self>, slot: &mut Option<TlsServer>) -> Result<(), ProductError> {
        let me = Arc::downgrade(self);
        let handler = async_handler(move |r| {
            let me = me.clone();
            async move {
                match me.upgrade() {
                    Some(server) => app_routes(&server, r).await,
                    None => HttpResponse::text(503, "Service Unavailable\n"),
                }
            }
        });
        let plain = SiteConfig {
            plain_http: true,
            limits: crate::tls::Limits::WILDFLY,
            ..SiteConfig::default()
        };
        let c = &self.ctx;
        c.listeners
            .serve_in(slot, &c.name, c.address, APP_SERVER_PORT, plain, handler)
            .await
    }

    /// Starts or stops "Cisco Service" (F3): the listener opens or closes.
    /// The state changes under the listener's lock, so a stop and a start at
    /// once leave the two in step.
    pub async fn set_cisco_service(self: &Arc<Self>, running: bool) -> Result<(), ProductError> {
        let mut slot = self.listener.lock().await;
        if running {
            self.open_in(&mut slot).await?;
        } else if let Some(old) = slot.take() {
            old.stop().await;
        }
        self.running
            .store(running, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// A running application server as the deployment sees it (held in an `Arc`
/// so that "Cisco Service" can reopen its listener).
pub struct AppProduct(pub Arc<RunningApp>);

impl Running for AppProduct {
    fn services(&self) -> Vec<ServiceInfo> {
        let c = &self.0.ctx;
        vec![
            ServiceInfo {
                name: "Cisco Service".into(),
                port: None,
                bound_port: None,
                state: Some(
                    if self.0.is_running() {
                        "Running"
                    } else {
                        "Stopped"
                    }
                    .into(),
                ),
            },
            ServiceInfo {
                name: "ApplicationServer".into(),
                port: Some(APP_SERVER_PORT),
                bound_port: c.listeners.bound(&c.name, APP_SERVER_PORT),
                state: None,
            },
        ]
    }

    /// Nothing of the application server is read from its disk at start (the
    /// keystore is read at each authentication): a restart changes nothing.
    fn restart(&self) -> ProductFuture<'_, Result<(), ProductError>> {
        Box::pin(async { Ok(()) })
    }

    fn set_service<'a>(
        &'a self,
        service: &'a str,
        running: bool,
    ) -> ProductFuture<'a, Result<bool, ProductError>> {
        Box::pin(async move {
            if !service.eq_ignore_ascii_case("Cisco Service") {
                return Ok(false);
            }
            self.0.set_cisco_service(running).await?;
            Ok(true)
        })
    }

    fn telling_logs(&self) -> Vec<PathBuf> {
        vec![self.0.log.path.clone()]
    }

    fn trust_edges(&self) -> ProductFuture<'_, Vec<crate::edges::TrustEdge>> {
        Box::pin(async move { sso_edge(&self.0).await.into_iter().collect() })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// What an application server answers for ECE, behind IIS:
/// * `/default`, `/system`: the partitions ([ECE]: business partition 1 with
///   `pa`, system partition 0 with `sa`);
/// * `/default/login`, `/system/login`: HTTP Basic check of that partition's
///   administrator (invented paths; 401 on wrong credentials, F12);
/// * `/default/spog/gadget`: the gadget SPOG loads, with the `pa` credentials
///   of the inventory (F12); with `?user=` and no credentials, the gadget's
///   page for the administrator's browser ([`super::SPOG_GADGET_HTML`]);
/// * [`AGENTS_PATH`] (POST, `pa`): an agent CCE Administration enabled for
///   Email & Chat ([ECE] 6; `super::integration`);
/// * [`GADGET_SESSION_PATH`]: what the gadget's script calls from the
///   administrator's browser: ECE signs the SPOG administrator named by
///   [`SPOG_USER_HEADER`] in through partition-administrator SSO ([ECE] 2.2):
///   200, or 500 when SSO fails (F4). The header is not authenticated
///   (anyone who reaches the web server can name an administrator, as with
///   any test double); the name is escaped in the LDAP filter and at most
///   [`MAX_ADMINS`] are kept.
async fn app_routes(server: &Arc<RunningApp>, r: HttpRequest) -> HttpResponse {
    let db = &server.db;
    let authorized = |user: &str| {
        basic_credentials(&r)
            .is_some_and(|(u, p)| u.eq_ignore_ascii_case(user) && db.check_password(user, &p))
    };
    let unauthorized = || HttpResponse {
        status: 401,
        headers: vec![
            ("Content-Type".into(), "text/plain; charset=utf-8".into()),
            ("WWW-Authenticate".into(), "Basic realm=\"ECE\"".into()),
        ],
        body: b"Invalid user name or password.\n".to_vec(),
    };
    match r.path.as_str() {
        "/default" | "/default/" => HttpResponse::text(
            200,
            "Enterprise Chat and Email: business partition (default). Log in as pa.\n",
        ),
        "/system" | "/system/" => HttpResponse::text(
            200,
            "Enterprise Chat and Email: system partition. Log in as sa.\n",
        ),
        "/default/login" | "/system/login" => {
            let user = if r.path.starts_with("/default") {
                "pa"
            } else {
                "sa"
            };
            if authorized(user) {
                HttpResponse::text(200, format!("Logged in as {user}.\n"))
            } else {
                unauthorized()
            }
        }
        p if p.ends_with("/web/view/platform/common/login/root.jsp")
            && (p.starts_with("/default/") || p.starts_with("/system/")) =>
        {
            HttpResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
                body: b"<!DOCTYPE html>\n<html><head><title>Enterprise Chat and Email</title></head><body>Log in</body></html>\n".to_vec(),
            }
        }
        p if super::session_partition(p).is_some() => {
            let partition = super::session_partition(p).unwrap_or("default");
            // IIS passes the session's user (it answered the login page itself otherwise)
            match r
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(super::SESSION_USER_HEADER))
            {
                Some((_, u)) if p == super::GADGET_INBOX_PATH => {
                    HttpResponse::text(200, format!("ECE gadget: the inbox of {u}.\n"))
                }
                Some((_, u)) => HttpResponse::text(
                    200,
                    format!("Enterprise Chat and Email ({partition}): signed in as {u}.\n"),
                ),
                None => HttpResponse::redirect(&super::login_page(partition)),
            }
        }
        "/default/spog/gadget" => {
            if r.query.starts_with("user=") && basic_credentials(&r).is_none() {
                // the administrator's browser, framed by SPOG: the page and
                // its script (the session call signs the administrator in)
                HttpResponse {
                    status: 200,
                    headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
                    body: super::SPOG_GADGET_HTML.as_bytes().to_vec(),
                }
            } else if authorized("pa") {
                HttpResponse {
                    status: 200,
                    headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
                    body: format!(
                        "<!DOCTYPE html>\n<html><head><title>ECE gadget</title>\n<script src=\"{SPOG_CONFIG_URL}\"></script>\n</head><body>ECE gadget</body></html>\n"
                    )
                    .into_bytes(),
                }
            } else {
                unauthorized()
            }
        }
        AGENTS_PATH if r.method == "POST" => {
            if authorized("pa") {
                super::integration::enable_agent(db, &r.body)
            } else {
                unauthorized()
            }
        }
        GADGET_SESSION_PATH => {
            let user = r
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(SPOG_USER_HEADER))
                .map(|(_, v)| v.clone());
            let Some(user) = user else {
                return HttpResponse::text(401, "No SPOG administrator.\n");
            };
            match partition_admin_sso(server, &user).await {
                Ok(()) => HttpResponse {
                    status: 200,
                    headers: vec![("Content-Type".into(), "application/json".into())],
                    body: b"{\"partition\":\"default\"}\n".to_vec(),
                },
                Err(()) => HttpResponse::text(500, "Internal Server Error\n"),
            }
        }
        _ => HttpResponse::text(404, "Not Found\n"),
    }
}

/// A log entry: level (1–8), method, message, exception.
type Entry = (u8, &'static str, String, String);

impl RunningApp {
    /// Writes the entries the process's trace level lets through (off the
    /// async workers).
    async fn log_entries(self: &Arc<Self>, now: OffsetDateTime, entries: Vec<Entry>) {
        let me = self.clone();
        let _ = tokio::task::spawn_blocking(move || {
            let now = now.to_offset(time::UtcOffset::UTC);
            let max = me.trace.level("ApplicationServer", now);
            let lines: Vec<String> = entries
                .iter()
                .filter(|(l, ..)| *l <= max)
                .map(|(l, m, msg, ex)| line(now, *l, m, msg, ex))
                .collect();
            if !lines.is_empty() {
                // a log that cannot be written loses the lines, as a full disk would
                let _ = me.log.append(&lines);
            }
        })
        .await;
    }
}

/// Partition-administrator SSO for `user` (a SPOG administrator) on one
/// application server, as ECE does when the gadget's session starts. Ok: the
/// user exists (created on first use). Err: the server's log says why (at
/// trace level 7 with the JNDI exception).
///
/// Each server reads the keystore from its own disk, so a keystore not
/// copied to every server ([ECE] 2.1, before 12.6; F14) fails on the
/// sessions IIS gives that server only, as in the field. The DC is reached
/// through the network, from the server's own address.
async fn partition_admin_sso(server: &Arc<RunningApp>, user: &str) -> Result<(), ()> {
    let now = server.ctx.clock.now();
    let (result, entries) = sso_attempt(server, user, now).await;
    server.log_entries(now, entries).await;
    result
}

/// The trust of ECE's JNDI: the keystore the partition's LDAP settings
/// name, read from this server's disk at each authentication (F14: a
/// missing keystore or a wrong location leaves no trust, and PKIX fails).
async fn keystore_anchors(
    server: &Arc<RunningApp>,
    location: &str,
) -> Result<Vec<crate::pki::Certificate>, crate::personality::Verdict> {
    match server.ctx.disk.path(location) {
        Ok(p) => {
            let (disk, jre) = (server.ctx.disk.clone(), server.ctx.java);
            // a link out of the disk, a FIFO or a huge file reads as no keystore
            tokio::task::spawn_blocking(move || {
                java::trust_anchors_from(jre, disk.read(&p).ok(), None, None, None)
            })
            .await
            .unwrap_or_else(|_| Err(java::pkix_failure(jre)))
        }
        Err(_) => Err(java::pkix_failure(server.ctx.java)),
    }
}

/// The trust graph's edge of this application server: ECE's JNDI to the
/// partition's LDAP URL (F14, F15, F5, F25), over TLS when the URL is
/// `ldaps` or "Enable SSL on LDAP" is set, with the keystore as trust and
/// JNDI's `CommunicationException` around Java's exception; in clear text
/// otherwise (no certificate is checked). None while SSO is not set up
/// (no LDAP URL).
async fn sso_edge(server: &Arc<RunningApp>) -> Option<crate::edges::TrustEdge> {
    use crate::edges::{self, EdgeSpec};
    let cfg = server
        .db
        .config
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let mut url = LdapUrl::parse(&cfg.ldap_url).ok()?;
    url.ldaps |= cfg.enable_ssl;
    let spec = EdgeSpec {
        purpose: "partition administrator SSO (LDAP search and bind)".into(),
        personality: crate::personality::Personality::Java(server.ctx.java),
        client: "ECE application server (JNDI)".into(),
        store: format!("{} (\"Keystore location\")", cfg.keystore_location),
        name: url.host.clone(),
        port: url.port,
        codes: vec!["F5", "F14", "F15", "F16", "F25"],
        windows: true,
    };
    let net = server.ctx.network.as_ref();
    let binds = !cfg.search_dn.trim().is_empty();
    // JNDI names the bind only when the connection was made (the
    // handshake happens on the bind's write)
    let wrap = |v: &crate::personality::Verdict| {
        let connected = !(v.text.starts_with("java.net.UnknownHostException")
            || v.text.starts_with("java.net.ConnectException"));
        crate::personality::jndi::handshake_failure(&url, binds && connected, v)
    };
    if !url.ldaps {
        return Some(edges::clear_text(net, &server.ctx.name, spec, &wrap));
    }
    let anchors = keystore_anchors(server, &cfg.keystore_location).await;
    Some(
        edges::probe(
            net,
            &server.ctx.name,
            spec,
            anchors.as_deref().map_err(Clone::clone),
            server.ctx.clock.now(),
            &wrap,
        )
        .await,
    )
}

/// One SSO attempt: its result and what the server logs about it.
async fn sso_attempt(
    server: &Arc<RunningApp>,
    user: &str,
    now: OffsetDateTime,
) -> (Result<(), ()>, Vec<Entry>) {
    let (db, net) = (&server.db, &server.ctx.network);
    let cfg = db.config.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let failed = format!("Partition administrator SSO failed for {user}");
    let fail = |exception: String| {
        (
            Err(()),
            vec![
                (2, "authenticate()", failed.clone(), String::new()),
                (
                    7,
                    "authenticate()",
                    "LDAP authentication exception".to_string(),
                    exception,
                ),
            ],
        )
    };
    let mut url = match LdapUrl::parse(&cfg.ldap_url) {
        Ok(u) => u,
        Err(e) => return fail(e),
    };
    // "Enable SSL on LDAP": java.naming.security.protocol=ssl
    url.ldaps |= cfg.enable_ssl;
    let anchors = keystore_anchors(server, &cfg.keystore_location).await;
    let env = JndiEnv {
        principal: Some(cfg.search_dn.trim().to_string()).filter(|d| !d.is_empty()),
        credentials: cfg.password.clone(),
        anchors,
        now,
        timeout: Duration::from_secs(10),
        url: url.clone(),
        // the DC sees the application server's own address
        source: Some(server.ctx.address.into()),
        jre: server.ctx.java,
        windows: true,
    };
    // where the DC listens (ephemeral ports in tests); a name that resolves
    // with nothing on that port is refused by the host itself
    let addr = match net.endpoint(&url.host, url.port) {
        Ok(a) => Some(a),
        Err(Unreachable::Refused) => net
            .address(&url.host)
            .map(|ip| SocketAddr::from((ip, url.port))),
        Err(Unreachable::UnknownHost) => None,
    };
    let mut ctx = match JndiContext::open(&env, addr).await {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    // the administrator's name is a value in the filter, escaped as RFC 4515
    // says (a name cannot widen the search)
    let filter = format!("({}={})", cfg.dn_attribute, ldap_escape(user));
    let out = ctx
        .search(
            &cfg.base,
            &filter,
            &[
                cfg.dn_attribute.as_str(),
                "distinguishedName",
                "displayName",
                "mail",
            ],
        )
        .await;
    ctx.close().await;
    if let Some(e) = out.exception {
        return fail(e);
    }
    let Some(found) = out.entries.first() else {
        return (
            Err(()),
            vec![
                (2, "authenticate()", failed.clone(), String::new()),
                (
                    7,
                    "authenticate()",
                    format!("No LDAP entry matches {filter} under '{}'", cfg.base),
                    String::new(),
                ),
            ],
        );
    };
    let mut admins = db.admins.lock().unwrap_or_else(|e| e.into_inner());
    if admins.iter().any(|a| a.eq_ignore_ascii_case(user)) || admins.len() >= MAX_ADMINS {
        return (Ok(()), vec![]);
    }
    admins.push(user.to_string());
    (
        Ok(()),
        vec![(
            4,
            "provisionUser()",
            format!(
                "Partition administrator {user} created from LDAP entry {}",
                found.dn
            ),
            String::new(),
        )],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_values_are_escaped() {
        assert_eq!(ldap_escape("erin@example.local"), "erin@example.local");
        assert_eq!(ldap_escape("*)(cn=*"), "\\2a\\29\\28cn=\\2a");
        assert_eq!(ldap_escape("a\\b\0"), "a\\5cb\\00");
    }
}

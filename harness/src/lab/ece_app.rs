//! ECE's application servers (WildFly on the collocated server, and on each
//! further server of an HA or distributed deployment) and the AD DC / GC
//! they authenticate against: partition-administrator SSO ([ECE] 2.1–2.2;
//! F4, F5, F14, F15, F16), ECE's logs (docs/requirements.md §6) and "Cisco Service"
//! (F3). The partition's configuration and users are shared (ECE keeps them
//! in its database); each server has its own disk (the LDAPS keystore), log,
//! trace levels and services.
//!
//! Each application server listens for IIS on [`APP_SERVER_PORT`] while its
//! "Cisco Service" runs. When an administrator opens the ECE gadget in SPOG,
//! the gadget's session call reaches an application server through IIS and
//! ECE looks the administrator up in AD with the Partition Administration
//! Configuration: a JNDI context on
//! the LDAP URL (with "Enable SSL on LDAP": `java.naming.security.protocol =
//! ssl`), bound as "DN for LDAP search" (anonymous when blank), trusting the
//! JKS at "Keystore location" (read at each authentication; ccelab's
//! assumption), then a subtree search of Base for `(<DN attribute>=<user>)`.
//! Found: ECE creates the partition user. Any failure: the SPOG user sees
//! "There was an error loading the page. Contact your administrator." (F4)
//! and the application server's log says why — the JNDI exception only at
//! trace level 7 (Debug), as [ECE]'s troubleshooting implies.
//!
//! Log lines follow the eGain layout seen in Cisco's Unified EIM/WIM
//! DocWiki captures (fields joined by ` <@> `: time with `GMT+0000`, level,
//! `[thread]`, `ProcessId:`, `PID:` (partition), `UID:`, `HttpSessionId:`,
//! class, method, message, trailing slot — here the exception, as [ECE]
//! quotes `LDAP authentication exception <@> javax.naming…`). Level names 1–8:
//! FATAL, ERROR, WARN, INFO, PERF, DBQUERY, DEBUG, TRACE (EIM/WIM 4.3(2)+;
//! the upper-case spellings beyond ERROR/WARN/INFO are inferred). Class,
//! method and thread names and the non-[ECE] messages are ccelab's.

use std::io::Write as _;
use std::path::PathBuf;

use ccelab_emulators::personality::jndi::{JndiContext, JndiEnv, LdapUrl};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::*;
pub use ccelab_emulators::ece::{APP_SERVER_PORT, SPOG_USER_HEADER};

/// Files of 5 MB at most, then renamed `{LOGNAME}.log.{#}`; 49 kept (docs/requirements.md §6).
pub const LOG_LIMIT: u64 = 5 * 1024 * 1024;
pub const LOG_KEEP: usize = 49;

/// ECE's trace level names (1–8).
pub const LEVELS: [&str; 8] = [
    "FATAL", "ERROR", "WARN", "INFO", "PERF", "DBQUERY", "DEBUG", "TRACE",
];

/// One of ECE's log files, rotated as ECE rotates them.
#[derive(Debug)]
pub struct EceLog {
    pub path: PathBuf,
    limit: u64,
    keep: usize,
    /// One writer at a time (rotation is check-then-rename).
    lock: Mutex<()>,
}

impl EceLog {
    pub fn new(path: PathBuf) -> Self {
        EceLog::with_limits(path, LOG_LIMIT, LOG_KEEP)
    }

    pub fn with_limits(path: PathBuf, limit: u64, keep: usize) -> Self {
        EceLog {
            path,
            limit,
            keep,
            lock: Mutex::new(()),
        }
    }

    /// Appends lines (CRLF, as Java on Windows ends them); first rotates when
    /// they would take the file past the limit: `.log.{keep}` goes,
    /// `.log.{n}` becomes `.log.{n+1}`, the current file `.log.1`.
    pub fn append(&self, lines: &[String]) -> std::io::Result<()> {
        let _one = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let text: String = lines.iter().map(|l| format!("{l}\r\n")).collect();
        let size = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        if size > 0 && size + text.len() as u64 > self.limit {
            let name = |n: usize| {
                let mut p = self.path.clone().into_os_string();
                p.push(format!(".{n}"));
                PathBuf::from(p)
            };
            let _ = std::fs::remove_file(name(self.keep));
            for n in (1..self.keep).rev() {
                if name(n).exists() {
                    std::fs::rename(name(n), name(n + 1))?;
                }
            }
            std::fs::rename(&self.path, name(1))?;
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        f.write_all(text.as_bytes())
    }
}

/// A trace-level setting of one process: the level, and for 7 and 8 until
/// when, with the level it reverts to.
#[derive(Clone, Debug)]
struct Trace {
    level: u8,
    until: Option<(OffsetDateTime, u8)>,
}

/// System > Shared Resources > Logger > Processes: each process's maximum trace level.
#[derive(Debug, Default)]
pub struct TraceLevels(Mutex<HashMap<String, Trace>>);

impl TraceLevels {
    /// The level in force for `process` at `now` (default 2, Error).
    pub fn level(&self, process: &str, now: OffsetDateTime) -> u8 {
        let mut m = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let Some(t) = m.get_mut(process) else {
            return 2;
        };
        if let Some((until, back)) = t.until {
            if now >= until {
                *t = Trace {
                    level: back,
                    until: None,
                };
            }
        }
        t.level
    }

    /// Sets a level; 7 and 8 need a maximum duration, after which the
    /// previous level comes back. Messages are ccelab's wording.
    pub fn set(
        &self,
        process: &str,
        level: u8,
        minutes: Option<u32>,
        now: OffsetDateTime,
    ) -> Result<(), String> {
        if !(1..=8).contains(&level) {
            return Err(format!("trace level {level}: choose 1 to 8"));
        }
        let before = self.level(process, now);
        // replacing a timed level keeps the level that was there before it
        let back = self
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(process)
            .and_then(|t| t.until.map(|(_, b)| b))
            .unwrap_or(before);
        let until = match (level, minutes) {
            (7 | 8, None | Some(0)) => {
                return Err(format!(
                    "trace level {level} ({}) needs a maximum duration",
                    LEVELS[level as usize - 1]
                ))
            }
            (7 | 8, Some(m)) => Some((
                now.checked_add(time::Duration::minutes(m as i64))
                    .ok_or_else(|| format!("{m} minutes: out of range"))?,
                back,
            )),
            _ => None,
        };
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(process.to_string(), Trace { level, until });
        Ok(())
    }
}

/// Administration > Partition: default > Security > SSO and Provisioning >
/// Partition Administration Configuration ([ECE] 2.2).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PartitionAdminConfig {
    pub ldap_url: String,
    pub dn_attribute: String,
    pub base: String,
    pub search_dn: String,
    #[serde(skip_serializing)]
    pub password: String,
    pub enable_ssl: bool,
    /// A Windows path on the application server's disk.
    pub keystore_location: String,
}

impl PartitionAdminConfig {
    /// As after [ECE] 2.2 done right: the GC over TLS, no Base, pcceadmin.
    pub fn documented(dc_fqdn: &str) -> Self {
        PartitionAdminConfig {
            ldap_url: format!("ldaps://{dc_fqdn}:3269"),
            dn_attribute: "userPrincipalName".into(),
            base: String::new(),
            search_dn: format!(
                "CN=pcceadmin, CN=Users, {}",
                dc_fqdn
                    .split('.')
                    .skip(1)
                    .map(|l| format!("DC={l}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            password: ccelab_emulators::ad_dc::EXAMPLE_PASSWORD.into(),
            enable_ssl: true,
            keystore_location: crate::topology::ECE_LDAP_KEYSTORE.into(),
        }
    }
}

/// One application server: its host (address, disk), its own log, trace
/// levels ("with HA a process appears once per server", docs/requirements.md §6),
/// "Cisco Service" and the HTTP listener IIS forwards to.
pub(super) struct AppServer {
    /// The host's name in the topology.
    pub host: String,
    /// Its address (JNDI connects from it: the DC sees the server).
    pub address: std::net::Ipv4Addr,
    /// Its disk (the LDAPS keystore is read from it).
    pub disk: ccelab_emulators::host::VirtualDisk,
    pub trace: TraceLevels,
    pub log: EceLog,
    /// "Cisco Service" running (F3): while stopped, nothing listens.
    pub running: std::sync::atomic::AtomicBool,
    /// The HTTP listener while "Cisco Service" runs.
    pub listener: tokio::sync::Mutex<Option<TlsServer>>,
}

/// ECE's database as its application servers share it: the partition's
/// configuration, the partition administrators SSO created and ECE's own
/// users with their passwords (`pa`, `sa`: what its logins check).
pub(super) struct EceDb {
    pub config: Mutex<PartitionAdminConfig>,
    /// Partition administrators ECE created through SSO.
    pub admins: Mutex<Vec<String>>,
    pub accounts: Arc<Mutex<HashMap<String, String>>>,
}

/// ECE's application servers and their database.
pub(super) struct EceApp {
    pub db: Arc<EceDb>,
    pub servers: Vec<Arc<AppServer>>,
}

impl EceApp {
    pub fn new(
        hosts: &[&crate::topology::Host],
        dc_fqdn: &str,
        accounts: Arc<Mutex<HashMap<String, String>>>,
    ) -> Result<Self, LabError> {
        let logs = crate::topology::ece_logs(hosts.len());
        let servers = hosts
            .iter()
            .map(|h| {
                let dir = h.disk.path(logs).map_err(|e| svc_err(&h.name, e))?;
                let hostname = h.short().to_ascii_uppercase();
                Ok(Arc::new(AppServer {
                    host: h.name.clone(),
                    address: h.address,
                    disk: h.disk.clone(),
                    trace: TraceLevels::default(),
                    log: EceLog::new(dir.join(format!("eg_log_{hostname}_ApplicationServer.log"))),
                    running: std::sync::atomic::AtomicBool::new(true),
                    listener: tokio::sync::Mutex::new(None),
                }))
            })
            .collect::<Result<Vec<_>, LabError>>()?;
        Ok(EceApp {
            db: Arc::new(EceDb {
                config: Mutex::new(PartitionAdminConfig::documented(dc_fqdn)),
                admins: Mutex::new(Vec::new()),
                accounts,
            }),
            servers,
        })
    }
}

/// What an application server answers for ECE, behind IIS:
/// * `/default`, `/system`: the partitions ([ECE]: business partition 1 with
///   `pa`, system partition 0 with `sa`);
/// * `/default/login`, `/system/login`: HTTP Basic check of that partition's
///   administrator (invented paths; 401 on wrong credentials, F12);
/// * `/default/spog/gadget`: the gadget SPOG loads, with the `pa` credentials
///   of the inventory (F12);
/// * [`GADGET_SESSION_PATH`]: what the gadget's script calls from the
///   administrator's browser: ECE signs the SPOG administrator named by
///   [`SPOG_USER_HEADER`] in through partition-administrator SSO ([ECE] 2.2):
///   200, or 500 when SSO fails (F4).
async fn app_routes(
    server: &AppServer,
    db: &EceDb,
    net: &network::LabNetwork,
    clock: &ccelab_emulators::clock::Clock,
    r: ccelab_emulators::tls::HttpRequest,
) -> HttpResponse {
    let authorized = |user: &str| {
        basic_credentials(&r).is_some_and(|(u, p)| {
            u.eq_ignore_ascii_case(user)
                && db
                    .accounts
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(user)
                    .is_some_and(|want| *want == p)
        })
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
        "/default/spog/gadget" => {
            if authorized("pa") {
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
        GADGET_SESSION_PATH => {
            let user = r
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(SPOG_USER_HEADER))
                .map(|(_, v)| v.clone());
            let Some(user) = user else {
                return HttpResponse::text(401, "No SPOG administrator.\n");
            };
            match partition_admin_sso(server, db, net, clock, &user).await {
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

/// One log line (level 1–8).
fn line(now: OffsetDateTime, level: u8, method: &str, message: &str, exception: &str) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} GMT+0000 <@> {} <@> [187:default task-12] <@> ProcessId:4312 <@> PID:1 <@> UID:-1 <@> HttpSessionId:  <@> com.egain.platform.module.security.sso.PartitionAdminLdapAuthenticator <@> {method} <@> {message} <@> {exception}",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond(),
        LEVELS[level as usize - 1]
    )
}

impl AppServer {
    /// Writes `(level, method, message, exception)` lines the process's trace
    /// level lets through; returns them.
    fn log(&self, now: OffsetDateTime, entries: &[(u8, &str, &str, &str)]) -> Vec<String> {
        let now = now.to_offset(time::UtcOffset::UTC);
        let max = self.trace.level("ApplicationServer", now);
        let lines: Vec<String> = entries
            .iter()
            .filter(|(l, ..)| *l <= max)
            .map(|(l, m, msg, ex)| line(now, *l, m, msg, ex))
            .collect();
        if !lines.is_empty() {
            if let Err(e) = self.log.append(&lines) {
                return vec![format!("(not written to {}: {e})", self.log.path.display())];
            }
        }
        lines
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
async fn partition_admin_sso(
    server: &AppServer,
    db: &EceDb,
    net: &network::LabNetwork,
    clock: &ccelab_emulators::clock::Clock,
    user: &str,
) -> Result<(), ()> {
    let now = clock.now();
    let cfg = db.config.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let fail = |exception: String| -> Result<(), ()> {
        let msg = format!("Partition administrator SSO failed for {user}");
        server.log(
            now,
            &[
                (2, "authenticate()", &msg, ""),
                (
                    7,
                    "authenticate()",
                    "LDAP authentication exception",
                    &exception,
                ),
            ],
        );
        Err(())
    };
    let mut url = match LdapUrl::parse(&cfg.ldap_url) {
        Ok(u) => u,
        Err(e) => return fail(e),
    };
    // "Enable SSL on LDAP": java.naming.security.protocol=ssl
    url.ldaps |= cfg.enable_ssl;
    let anchors = match server.disk.path(&cfg.keystore_location) {
        Ok(p) => java::trust_anchors(&p, None, None, None),
        Err(_) => Err(java::pkix_failure()),
    };
    let env = JndiEnv {
        principal: Some(cfg.search_dn.trim().to_string()).filter(|d| !d.is_empty()),
        credentials: cfg.password.clone(),
        anchors,
        now,
        timeout: Duration::from_secs(10),
        url: url.clone(),
        // the DC sees the application server's own address
        source: Some(server.address.into()),
    };
    // where the DC listens (ephemeral ports in tests); a name that resolves
    // with nothing on that port is refused by the host itself
    use ccelab_emulators::network::{Network as _, Unreachable};
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
    let filter = format!("({}={user})", cfg.dn_attribute);
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
    if out.entries.is_empty() {
        let msg = format!("Partition administrator SSO failed for {user}");
        server.log(
            now,
            &[
                (2, "authenticate()", &msg, ""),
                (
                    7,
                    "authenticate()",
                    &format!("No LDAP entry matches {filter} under '{}'", cfg.base),
                    "",
                ),
            ],
        );
        return Err(());
    }
    let mut admins = db.admins.lock().unwrap_or_else(|e| e.into_inner());
    if !admins.iter().any(|a| a.eq_ignore_ascii_case(user)) {
        admins.push(user.to_string());
        drop(admins);
        server.log(
            now,
            &[(
                4,
                "provisionUser()",
                &format!(
                    "Partition administrator {user} created from LDAP entry {}",
                    out.entries[0].dn
                ),
                "",
            )],
        );
    }
    Ok(())
}
impl Lab {
    /// Partition Administration Configuration > Save ([ECE] 2.2).
    pub fn set_partition_admin(&self, cfg: PartitionAdminConfig) -> Result<(), String> {
        let app = self
            .ece_app
            .as_ref()
            .ok_or("this topology has no ECE application server")?;
        *app.db.config.lock().unwrap_or_else(|e| e.into_inner()) = cfg;
        Ok(())
    }

    pub fn partition_admin(&self) -> Option<PartitionAdminConfig> {
        self.ece_app.as_ref().map(|a| {
            a.db.config
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        })
    }

    /// The partition administrators ECE created through SSO.
    pub fn ece_admins(&self) -> Vec<String> {
        self.ece_app
            .as_ref()
            .map(|a| {
                a.db.admins
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone()
            })
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
        let app = self
            .ece_app
            .as_ref()
            .ok_or("this topology has no ECE application server")?;
        if !process.eq_ignore_ascii_case("ApplicationServer") {
            return Err(format!(
                "no process `{process}` (ccelab emulates ApplicationServer)"
            ));
        }
        let chosen: Vec<&Arc<AppServer>> = app
            .servers
            .iter()
            .filter(|s| host.is_none_or(|h| s.host.eq_ignore_ascii_case(h)))
            .collect();
        if chosen.is_empty() {
            let names: Vec<&str> = app.servers.iter().map(|s| s.host.as_str()).collect();
            return Err(format!(
                "`{}` is not an ECE application server (application servers: {})",
                host.unwrap_or_default(),
                names.join(", ")
            ));
        }
        let now = self.topo.clock.now();
        for s in chosen {
            s.trace.set("ApplicationServer", level, minutes, now)?;
        }
        Ok(())
    }

    /// Starts or stops "Cisco Service" on one application server (F3): its
    /// HTTP listener opens or closes. Returns false when `host` is not one.
    pub(super) async fn set_cisco_service(
        &self,
        host: &str,
        running: bool,
    ) -> Result<bool, LabError> {
        let Some(s) = self
            .ece_app
            .iter()
            .flat_map(|a| a.servers.iter())
            .find(|s| s.host.eq_ignore_ascii_case(host))
        else {
            return Ok(false);
        };
        s.running
            .store(running, std::sync::atomic::Ordering::SeqCst);
        if running {
            self.start_app_server(s).await?;
        } else if let Some(old) = s.listener.lock().await.take() {
            old.stop().await;
        }
        Ok(true)
    }

    /// Opens an application server's HTTP listener ([`APP_SERVER_PORT`]).
    pub(super) async fn start_app_server(&self, s: &Arc<AppServer>) -> Result<(), LabError> {
        let (Some(app), Some(h)) = (&self.ece_app, self.topo.host(&s.host)) else {
            return Ok(());
        };
        let (server, db, net, clock) = (
            s.clone(),
            app.db.clone(),
            self.network.clone(),
            self.topo.clock.clone(),
        );
        let handler = ccelab_emulators::tls::async_handler(move |r| {
            let (server, db, net, clock) = (server.clone(), db.clone(), net.clone(), clock.clone());
            async move { app_routes(&server, &db, &net, &clock, r).await }
        });
        let plain = SiteConfig {
            plain_http: true,
            ..SiteConfig::default()
        };
        let mut slot = s.listener.lock().await;
        self.serve_in(&mut slot, h, APP_SERVER_PORT, plain, handler)
            .await
    }

    /// Whether "Cisco Service" runs on `host`.
    pub(super) fn cisco_service_running(&self, host: &str) -> bool {
        self.ece_app
            .iter()
            .flat_map(|a| a.servers.iter())
            .find(|s| s.host.eq_ignore_ascii_case(host))
            .is_some_and(|s| s.running.load(std::sync::atomic::Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_the_newest_files() {
        let d = tempfile::tempdir().unwrap();
        let log = EceLog::with_limits(d.path().join("eg_log_X_ApplicationServer.log"), 100, 3);
        for i in 0..20 {
            log.append(&[format!("line {i:02} {}", "x".repeat(40))])
                .unwrap();
        }
        let names: Vec<String> = {
            let mut v: Vec<String> = std::fs::read_dir(d.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(
            names,
            [
                "eg_log_X_ApplicationServer.log",
                "eg_log_X_ApplicationServer.log.1",
                "eg_log_X_ApplicationServer.log.2",
                "eg_log_X_ApplicationServer.log.3"
            ]
        );
        let cur = std::fs::read_to_string(&log.path).unwrap();
        assert!(
            cur.starts_with("line 18") && cur.contains("line 19"),
            "{cur}"
        );
        let one =
            std::fs::read_to_string(d.path().join("eg_log_X_ApplicationServer.log.1")).unwrap();
        assert!(one.starts_with("line 16"), "{one}");
        assert!(cur.len() as u64 <= 100);
    }

    #[test]
    fn debug_levels_need_a_duration_and_revert() {
        let t = TraceLevels::default();
        let now = time::macros::datetime!(2026-01-01 00:00 UTC);
        assert_eq!(t.level("ApplicationServer", now), 2);
        assert!(t.set("ApplicationServer", 7, None, now).is_err());
        t.set("ApplicationServer", 4, None, now).unwrap();
        t.set("ApplicationServer", 7, Some(30), now).unwrap();
        assert_eq!(
            t.level("ApplicationServer", now + time::Duration::minutes(29)),
            7
        );
        assert_eq!(
            t.level("ApplicationServer", now + time::Duration::minutes(30)),
            4
        );
        // a timed level replaced by another keeps the level from before both
        t.set("ApplicationServer", 7, Some(30), now).unwrap();
        t.set("ApplicationServer", 8, Some(60), now).unwrap();
        assert_eq!(
            t.level("ApplicationServer", now + time::Duration::minutes(59)),
            8
        );
        assert_eq!(
            t.level("ApplicationServer", now + time::Duration::minutes(60)),
            4
        );
        let late = time::macros::datetime!(9999-12-01 00:00 UTC);
        assert!(t.set("ApplicationServer", 7, Some(u32::MAX), late).is_err());
    }

    #[test]
    fn lines_in_egain_layout() {
        let l = line(
            time::macros::datetime!(2026-01-02 03:04:05.678 UTC),
            7,
            "authenticate()",
            "LDAP authentication exception",
            "javax.naming.PartialResultException: Unprocessed Continuation Reference(s); remaining name 'DC=example,DC=local'",
        );
        assert!(
            l.starts_with("2026-01-02 03:04:05.678 GMT+0000 <@> DEBUG <@> ["),
            "{l}"
        );
        assert!(l.ends_with("<@> LDAP authentication exception <@> javax.naming.PartialResultException: Unprocessed Continuation Reference(s); remaining name 'DC=example,DC=local'"));
    }
}

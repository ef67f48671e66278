//! ECE's application servers (WildFly on the collocated server, and on each
//! further server of an HA or distributed deployment) and the AD DC / GC
//! they authenticate against: partition-administrator SSO ([ECE] 2.1–2.2;
//! F4, F5, F14, F15, F16), ECE's logs (topology.md §6) and "Cisco Service"
//! (F3). The partition's configuration and users are shared (ECE keeps them
//! in its database); each server has its own disk (the LDAPS keystore), log,
//! trace levels and services.
//!
//! When an administrator opens the ECE gadget in SPOG, ECE looks them up in
//! AD with the Partition Administration Configuration: a JNDI context on
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

/// Files of 5 MB at most, then renamed `{LOGNAME}.log.{#}`; 49 kept (topology.md §6).
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

/// One application server: its own log, trace levels ("with HA a process
/// appears once per server", topology.md §6) and "Cisco Service".
pub(super) struct AppServer {
    /// The host's name in the topology.
    pub host: String,
    pub trace: TraceLevels,
    pub log: EceLog,
    /// "Cisco Service" running (F3); the web server reads it too.
    pub running: Arc<std::sync::atomic::AtomicBool>,
}

/// ECE's application servers and what they share (the database): the
/// partition's configuration and its users.
pub(super) struct EceApp {
    pub config: Mutex<PartitionAdminConfig>,
    pub servers: Vec<AppServer>,
    /// Partition administrators ECE created through SSO.
    pub admins: Mutex<Vec<String>>,
    /// The server the next gadget request goes to (see [`Lab::partition_admin_sso`]).
    next: std::sync::atomic::AtomicUsize,
}

impl EceApp {
    pub fn new(hosts: &[&crate::topology::Host], dc_fqdn: &str) -> Result<Self, LabError> {
        let logs = crate::topology::ece_logs(hosts.len());
        let servers = hosts
            .iter()
            .map(|h| {
                let dir = h.disk.path(logs).map_err(|e| svc_err(&h.name, e))?;
                let hostname = h.short().to_ascii_uppercase();
                Ok(AppServer {
                    host: h.name.clone(),
                    trace: TraceLevels::default(),
                    log: EceLog::new(dir.join(format!("eg_log_{hostname}_ApplicationServer.log"))),
                    running: Arc::new(std::sync::atomic::AtomicBool::new(true)),
                })
            })
            .collect::<Result<Vec<_>, LabError>>()?;
        Ok(EceApp {
            config: Mutex::new(PartitionAdminConfig::documented(dc_fqdn)),
            servers,
            admins: Mutex::new(Vec::new()),
            next: std::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// The server that takes the next request: the running servers in turn.
    fn take_next(&self) -> Option<&AppServer> {
        let running: Vec<&AppServer> = self
            .servers
            .iter()
            .filter(|s| s.running.load(std::sync::atomic::Ordering::SeqCst))
            .collect();
        if running.is_empty() {
            return None;
        }
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Some(running[n % running.len()])
    }
}

/// An SSO that failed: the lines the application server wrote, and where.
#[derive(Debug)]
pub struct SsoFailure {
    pub logged: Vec<String>,
    pub log_file: PathBuf,
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

impl Lab {
    /// Partition-administrator SSO for `user` (a SPOG administrator), as ECE
    /// does when the gadget opens. Ok: the user exists (created on first use).
    /// Err: the lines written to the application server's log, and that log.
    ///
    /// With several application servers, successive requests go to the
    /// running ones in turn (ccelab's model of the web server spreading
    /// sessions over the application servers). Each reads the keystore from
    /// its own disk, so a keystore not copied to every server ([ECE] 2.1,
    /// before 12.6; F14) fails on some opens only, as in the field.
    pub async fn partition_admin_sso(&self, user: &str) -> Result<(), SsoFailure> {
        let Some(app) = &self.ece_app else {
            return Ok(());
        };
        let Some(server) = app.take_next() else {
            // every "Cisco Service" stopped since the web server answered:
            // nothing can log the user in, and nothing logs it
            return Err(SsoFailure {
                logged: vec![],
                log_file: app
                    .servers
                    .first()
                    .map(|s| s.log.path.clone())
                    .unwrap_or_default(),
            });
        };
        let now = self.topo.clock.now();
        let cfg = app.config.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let failure = |logged: Vec<String>| SsoFailure {
            logged,
            log_file: server.log.path.clone(),
        };
        let fail = |exception: String| {
            let msg = format!("Partition administrator SSO failed for {user}");
            failure(server.log(
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
            ))
        };
        let mut url = match LdapUrl::parse(&cfg.ldap_url) {
            Ok(u) => u,
            Err(e) => return Err(fail(e)),
        };
        // "Enable SSL on LDAP": java.naming.security.protocol=ssl
        url.ldaps |= cfg.enable_ssl;
        let anchors = match self
            .topo
            .host(&server.host)
            .map(|h| h.disk.path(&cfg.keystore_location))
        {
            Some(Ok(p)) => java::trust_anchors(&p, None, None, None),
            _ => Err(java::pkix_failure()),
        };
        let env = JndiEnv {
            principal: Some(cfg.search_dn.trim().to_string()).filter(|d| !d.is_empty()),
            credentials: cfg.password.clone(),
            anchors,
            now: self.topo.clock.now(),
            timeout: Duration::from_secs(10),
            url: url.clone(),
            // the DC sees the application server's own address
            source: self.topo.host(&server.host).map(|h| h.address.into()),
        };
        // the DC listens where topology.json says (ephemeral ports in tests)
        let addr = self.topo.resolve(&url.host).map(|h| {
            let port = self.bound_port(&h.name, url.port).unwrap_or(url.port);
            SocketAddr::from((h.address, port))
        });
        let mut ctx = match JndiContext::open(&env, addr).await {
            Ok(c) => c,
            Err(e) => return Err(fail(e)),
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
            return Err(fail(e));
        }
        if out.entries.is_empty() {
            let msg = format!("Partition administrator SSO failed for {user}");
            return Err(failure(server.log(
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
            )));
        }
        let mut admins = app.admins.lock().unwrap_or_else(|e| e.into_inner());
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

    /// Partition Administration Configuration > Save ([ECE] 2.2).
    pub fn set_partition_admin(&self, cfg: PartitionAdminConfig) -> Result<(), String> {
        let app = self
            .ece_app
            .as_ref()
            .ok_or("this topology has no ECE application server")?;
        *app.config.lock().unwrap_or_else(|e| e.into_inner()) = cfg;
        Ok(())
    }

    pub fn partition_admin(&self) -> Option<PartitionAdminConfig> {
        self.ece_app
            .as_ref()
            .map(|a| a.config.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }

    /// The partition administrators ECE created through SSO.
    pub fn ece_admins(&self) -> Vec<String> {
        self.ece_app
            .as_ref()
            .map(|a| a.admins.lock().unwrap_or_else(|e| e.into_inner()).clone())
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
        let chosen: Vec<&AppServer> = app
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

    /// Starts or stops "Cisco Service" on one application server (F3).
    /// Returns false when `host` is not one.
    pub(super) fn set_cisco_service(&self, host: &str, running: bool) -> bool {
        let Some(s) = self
            .ece_app
            .iter()
            .flat_map(|a| a.servers.iter())
            .find(|s| s.host.eq_ignore_ascii_case(host))
        else {
            return false;
        };
        s.running
            .store(running, std::sync::atomic::Ordering::SeqCst);
        true
    }

    /// The "Cisco Service" flags of every application server (what the web
    /// server forwards to).
    pub(super) fn app_servers_up(&self) -> Vec<Arc<std::sync::atomic::AtomicBool>> {
        self.ece_app
            .iter()
            .flat_map(|a| a.servers.iter().map(|s| s.running.clone()))
            .collect()
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

//! ECE's logs (docs/requirements.md §6): files of 5 MB at most, rotated
//! to `{LOGNAME}.log.{#}` with 49 kept, lines in the eGain layout with
//! `GMT+0000` times, and each process's maximum trace level (2 Error by
//! default; 7 and 8 only for a maximum duration, after which the level
//! reverts).
//!
//! Log lines follow the eGain layout seen in Cisco's Unified EIM/WIM
//! DocWiki captures (fields joined by ` <@> `: time with `GMT+0000`, level,
//! `[thread]`, `ProcessId:`, `PID:` (partition), `UID:`, `HttpSessionId:`,
//! class, method, message, trailing slot — here the exception, as [ECE]
//! quotes `LDAP authentication exception <@> javax.naming…`). Level names 1–8:
//! FATAL, ERROR, WARN, INFO, PERF, DBQUERY, DEBUG, TRACE (EIM/WIM 4.3(2)+;
//! the upper-case spellings beyond ERROR/WARN/INFO are inferred). Class,
//! method and thread names and the non-[ECE] messages are ccelab's.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use time::OffsetDateTime;

/// Files of 5 MB at most, then renamed `{LOGNAME}.log.{#}`; 49 kept (docs/requirements.md §6).
pub const LOG_LIMIT: u64 = 5 * 1024 * 1024;
/// How many earlier files are kept.
pub const LOG_KEEP: usize = 49;

/// ECE's trace level names (1–8).
pub const LEVELS: [&str; 8] = [
    "FATAL", "ERROR", "WARN", "INFO", "PERF", "DBQUERY", "DEBUG", "TRACE",
];

/// One of ECE's log files, rotated as ECE rotates them.
#[derive(Debug)]
pub struct EceLog {
    /// The current file (always ends in `.log`).
    pub path: PathBuf,
    /// The disk it is on (nothing is written outside it).
    disk: crate::host::VirtualDisk,
    limit: u64,
    keep: usize,
    /// One writer at a time (rotation is check-then-rename).
    lock: Mutex<()>,
}

impl EceLog {
    /// A log at `path` on `disk` with ECE's limits.
    pub fn new(disk: crate::host::VirtualDisk, path: PathBuf) -> Self {
        EceLog::with_limits(disk, path, LOG_LIMIT, LOG_KEEP)
    }

    /// A log at `path` on `disk` rotated past `limit` bytes, keeping `keep` earlier files.
    pub fn with_limits(
        disk: crate::host::VirtualDisk,
        path: PathBuf,
        limit: u64,
        keep: usize,
    ) -> Self {
        EceLog {
            path,
            disk,
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
        let refused = |e: crate::host::DiskError| std::io::Error::other(e.to_string());
        // the log's directory, the log and its rotated files stay on the disk
        self.disk.check(&self.path).map_err(refused)?;
        let text: String = lines.iter().map(|l| format!("{l}\r\n")).collect();
        let size = std::fs::metadata(&self.path).map(|m| m.len()).unwrap_or(0);
        if size > 0 && size + text.len() as u64 > self.limit {
            let name = |n: usize| {
                let mut p = self.path.clone().into_os_string();
                p.push(format!(".{n}"));
                PathBuf::from(p)
            };
            let _ = std::fs::remove_file(name(self.keep));
            for n in (1..=self.keep).rev() {
                self.disk.check(&name(n)).map_err(refused)?;
            }
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
        self.disk
            .append(&self.path, text.as_bytes())
            .map_err(refused)
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

/// One log line (level 1–8).
pub(crate) fn line(
    now: OffsetDateTime,
    level: u8,
    method: &str,
    message: &str,
    exception: &str,
) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_keeps_the_newest_files() {
        let d = tempfile::tempdir().unwrap();
        let log = EceLog::with_limits(
            crate::host::VirtualDisk::new(d.path()),
            d.path().join("eg_log_X_ApplicationServer.log"),
            100,
            3,
        );
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

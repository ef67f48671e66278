//! What a step or the end of a scenario expects, and the check of an
//! outcome, the events of the step and the disks (log lines, store aliases)
//! against it.

use std::path::{Path, PathBuf};

use ccelab_emulators::stores::Keystore;
use serde::{Deserialize, Serialize};

use super::runner::Run;
use crate::actions::Outcome;

/// What a step or the end of a scenario expects.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The action succeeded for the user (a `run`: exit code 0).
    pub ok: Option<bool>,
    /// A substring of what the user sees.
    pub shows: Option<String>,
    /// A regular expression matched against what the user sees.
    pub shows_regex: Option<String>,
    /// A `run`'s exit code.
    pub exit: Option<i32>,
    /// A substring of a `run`'s standard output.
    pub stdout: Option<String>,
    /// A substring of a `run`'s standard error.
    pub stderr: Option<String>,
    /// Lines in log files on a host's disk.
    #[serde(default)]
    pub log: Vec<LogExpect>,
    /// A key/trust store's aliases.
    #[serde(default)]
    pub store: Vec<StoreExpect>,
    /// A substring of an event (TLS or LDAP) recorded during the step.
    pub event: Option<String>,
    /// On an `open-gadget` or `finesse-desktop` step: with `ccelab scenario
    /// run --screenshots DIR`, real Chromium opens the same page, must show
    /// and log what ccelab predicts, and its view is saved as `DIR/<this>`
    /// (a file name ending in `.png`). Without `--screenshots` nothing.
    pub screenshot: Option<String>,
}

/// Lines in a log file: `file` is a Windows path on `host`'s disk whose file
/// name may hold `*` (e.g. `C:\icm\tomcat\logs\catalina.*.log`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogExpect {
    /// The host whose disk holds the log.
    pub host: String,
    /// A Windows path on that disk; `*` in the file name takes every
    /// matching file, in name order.
    pub file: String,
    /// A substring the log must hold.
    pub contains: Option<String>,
    /// A regular expression the log must match.
    pub regex: Option<String>,
    /// Text that must not be there.
    pub absent: Option<String>,
}

/// A store's aliases (as keytool lists them, lower case in JKS/JCEKS).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreExpect {
    /// The host whose disk holds the store.
    pub host: String,
    /// A Windows path on that disk (`{…}` substituted).
    pub path: String,
    /// The store's password (default `changeit`).
    pub password: Option<String>,
    /// Aliases the store must have (compared without case).
    #[serde(default)]
    pub has: Vec<String>,
    /// Aliases the store must not have (compared without case).
    #[serde(default)]
    pub lacks: Vec<String>,
}

/// One failed expectation.
#[derive(Clone, Debug, Serialize)]
pub struct Mismatch {
    /// `step N` or `end`.
    pub at: String,
    /// What was expected, e.g. `` shows `…` `` or `` log has `…` ``.
    pub expected: String,
    /// What there was instead (in a [`Report`](super::Report), redacted as
    /// the transcript is).
    pub actual: String,
    /// The log file to look at, where one is involved.
    pub file: Option<String>,
}

impl Run {
    /// An expected text with its `{…}` substituted as a step's values are
    /// (`{ece.address}`: the address of this run's back end); a text whose
    /// braces are no placeholder stays as written. Regular expressions are
    /// never substituted (`\d{2}`).
    fn expected(&self, t: &str) -> String {
        self.substitute(t).unwrap_or_else(|_| t.to_string())
    }

    /// Checks `e` against an outcome (None: the end of the scenario).
    pub(super) fn check(&self, at: &str, e: &Expect, o: Option<&Outcome>) -> Vec<Mismatch> {
        let mut m = Vec::new();
        let mut miss = |expected: String, actual: String, file: Option<String>| {
            m.push(Mismatch {
                at: at.to_string(),
                expected,
                actual,
                file,
            })
        };
        if let Some(o) = o {
            if let Some(ok) = e.ok {
                if o.ok != ok {
                    miss(
                        format!("ok = {ok}"),
                        format!("ok = {}: {}", o.ok, first_line(&o.shows)),
                        None,
                    );
                }
            }
            if let Some(t) = e.shows.as_deref().map(|t| self.expected(t)) {
                if !o.shows.contains(t.as_str()) {
                    miss(format!("shows `{t}`"), o.shows.clone(), None);
                }
            }
            if let Some(r) = &e.shows_regex {
                if !regex::Regex::new(r).is_ok_and(|re| re.is_match(&o.shows)) {
                    miss(format!("shows /{r}/"), o.shows.clone(), None);
                }
            }
            if let Some(x) = e.exit {
                if o.exit != Some(x) {
                    miss(
                        format!("exit {x}"),
                        format!("exit {:?}; stderr: {}", o.exit, o.stderr.trim()),
                        None,
                    );
                }
            }
            if let Some(t) = e.stdout.as_deref().map(|t| self.expected(t)) {
                if !o.stdout.contains(t.as_str()) {
                    miss(format!("stdout has `{t}`"), o.stdout.clone(), None);
                }
            }
            if let Some(t) = e.stderr.as_deref().map(|t| self.expected(t)) {
                if !o.stderr.contains(t.as_str()) {
                    miss(format!("stderr has `{t}`"), o.stderr.clone(), None);
                }
            }
            if let Some(t) = e.event.as_deref().map(|t| self.expected(t)) {
                if !o.events.iter().any(|ev| ev.contains(t.as_str())) {
                    miss(format!("an event with `{t}`"), o.events.join("\n"), None);
                }
            }
        }
        for l in &e.log {
            let (files, text) = self.read_logs(&l.host, &l.file);
            let file = Some(files.clone());
            if let Some(c) = l.contains.as_deref().map(|t| self.expected(t)) {
                if !text.contains(c.as_str()) {
                    miss(format!("log has `{c}`"), last_lines(&text), file.clone());
                }
            }
            if let Some(r) = &l.regex {
                if !regex::Regex::new(r).is_ok_and(|re| re.is_match(&text)) {
                    miss(
                        format!("log matches /{r}/"),
                        last_lines(&text),
                        file.clone(),
                    );
                }
            }
            if let Some(a) = l.absent.as_deref().map(|t| self.expected(t)) {
                if text.contains(a.as_str()) {
                    miss(
                        format!("log without `{a}`"),
                        last_lines(&text),
                        file.clone(),
                    );
                }
            }
        }
        for st in &e.store {
            let pw = st.password.clone().unwrap_or_else(|| "changeit".into());
            let aliases = self
                .disk_path(&st.host, &st.path)
                .and_then(|p| self.disk_read(&st.host, &p))
                .and_then(|b| Keystore::load(&b, Some(&pw)).map_err(|e| e.to_string()))
                .map(|k| {
                    k.entries()
                        .iter()
                        .map(|e| e.alias.to_ascii_lowercase())
                        .collect::<Vec<_>>()
                });
            match aliases {
                Err(e) => miss(format!("store {}", st.path), e, None),
                Ok(a) => {
                    for h in &st.has {
                        if !a.contains(&h.to_ascii_lowercase()) {
                            miss(format!("store has `{h}`"), a.join(", "), None);
                        }
                    }
                    for h in &st.lacks {
                        if a.contains(&h.to_ascii_lowercase()) {
                            miss(format!("store lacks `{h}`"), a.join(", "), None);
                        }
                    }
                }
            }
        }
        m
    }

    /// The text of the log files matching `win` (a Windows path, `*` in the file name).
    fn read_logs(&self, host: &str, win: &str) -> (String, String) {
        let Ok(path) = self.disk_path(host, win) else {
            return (win.to_string(), String::new());
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let (pre, post) = name.split_once('*').unwrap_or((&name, ""));
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        let n = p
                            .file_name()
                            .map(|n| n.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        if name.contains('*') {
                            n.starts_with(pre)
                                && n.ends_with(post)
                                && n.len() >= pre.len() + post.len()
                        } else {
                            n == name
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let text = files
            .iter()
            .filter_map(|f| {
                self.disk_read(host, f)
                    .ok()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            })
            .collect::<String>();
        (path.display().to_string(), text)
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn last_lines(s: &str) -> String {
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(5)..].join("\n")
}

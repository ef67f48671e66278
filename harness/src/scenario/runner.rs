//! Runs scenarios: builds and starts each one's topology (the start-up path
//! of `ccelab up`, ephemeral ports), substitutes `{…}` in its steps, applies
//! them as [`Action`](crate::actions::Action)s, checks the expectations and
//! writes the transcript; several scenarios side by side.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use super::expect::Mismatch;
use super::file::{Scenario, Step};
use super::re_static;
use super::sanitize;
use super::transcript::Transcript;
use crate::actions::Outcome;
use crate::lab::Lab;

/// A finished run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The scenario's id (e.g. `F1`).
    pub id: String,
    /// The scenario's title.
    pub title: String,
    /// The scenario's file.
    pub path: String,
    /// Every expectation was met.
    pub passed: bool,
    /// The expectations that were not, their `actual` redacted as the
    /// transcript is.
    pub mismatches: Vec<Mismatch>,
    /// The transcript (what `snapshots/` holds).
    pub transcript: String,
    /// How long the run took, in milliseconds.
    pub millis: u128,
}

/// A scenario's running topology.
/// Dropping it stops every service of the topology and its control API.
pub struct Run {
    /// The running topology.
    pub lab: Arc<Lab>,
    /// Its directory.
    pub dir: PathBuf,
    /// Its control API.
    pub control: crate::control::ControlServer,
    /// The day the topology clock started on (`YYYY-MM-DD`): transcripts
    /// write dates relative to it.
    pub(super) date: String,
}

impl Run {
    /// Builds the scenario's topology under `dir` and starts it (ephemeral ports).
    pub async fn start(s: &Scenario, dir: &Path) -> Result<Run, String> {
        let d = dir.to_path_buf();
        tokio::task::spawn_blocking(move || {
            if d.join("topology.json").is_file() {
                // a previous run's topology (ccelab scenario run --dir twice): start afresh
                std::fs::remove_dir_all(&d).map_err(|e| format!("{}: {e}", d.display()))
            } else if std::fs::read_dir(&d).is_ok_and(|mut e| e.next().is_some()) {
                Err(format!(
                    "{}: not empty (and not a previous ccelab run): choose another directory",
                    d.display()
                ))
            } else {
                Ok(())
            }
        })
        .await
        .map_err(|e| e.to_string())??;
        let deployed = crate::deploy::LabBuilder::topology(s.given.clone())
            .start(dir)
            .await
            .map_err(|e| match e {
                // a value of [given] the topology cannot take: where it is set
                crate::deploy::DeployError::Disk(t @ crate::topology::TopologyError::At { .. }) => {
                    let text = std::fs::read_to_string(&s.path).unwrap_or_default();
                    crate::topology_file::located(&s.path, &text, "given.", t).to_string()
                }
                e => e.to_string(),
            })?;
        let now = deployed.lab.topo.clock.now();
        let date = format!(
            "{:04}-{:02}-{:02}",
            now.year(),
            now.month() as u8,
            now.day()
        );
        let crate::deploy::Deployed { lab, control } = deployed;
        Ok(Run {
            lab,
            dir: dir.to_path_buf(),
            control,
            date,
        })
    }

    /// `{…}` substitutions of step values (`{{` and `}}` are literal braces).
    pub fn substitute(&self, v: &str) -> Result<String, String> {
        expand(v, &|key| self.lookup(key))
    }
    fn lookup(&self, key: &str) -> Option<String> {
        match key {
            "dir" => return Some(self.dir.display().to_string()),
            "ca.root" => return Some(self.dir.join("ca/root.pem").display().to_string()),
            "ca.issuing" => return Some(self.dir.join("ca/issuing.pem").display().to_string()),
            _ => {}
        }
        if let Some((host, win)) = key.split_once(':') {
            if win.contains('\\') || win.starts_with('%') || win.starts_with('{') {
                let h = self.lab.topo.host(host)?;
                return h.disk.path(win).ok().map(|p| p.display().to_string());
            }
        }
        let (host, field) = key.split_once('.')?;
        let h = self.lab.topo.host(host)?;
        match field {
            "address" => Some(h.address.to_string()),
            "fqdn" => Some(h.fqdn.clone()),
            "disk" => Some(h.disk.root().display().to_string()),
            f => {
                let port: u16 = f.strip_prefix("port.")?.parse().ok()?;
                self.lab.bound_port(&h.name, port).map(|p| p.to_string())
            }
        }
    }

    /// A preset (`pcce-2000`, `pcce-4000`) started under `dir` as a scenario would start it.
    pub async fn start_preset(preset: &str, dir: &Path) -> Result<Run, String> {
        let s = Scenario::parse(
            Path::new("preset"),
            &format!("id = \"{preset}\"\ntitle = \"{preset}\"\nsource = \"preset\"\n[given]\npreset = \"{preset}\"\n"),
        )
        .map_err(|e| e.to_string())?;
        Run::start(&s, dir).await
    }

    /// Where a host's product port really listens (e.g. `("ece", 443)`).
    pub fn endpoint(&self, host: &str, port: u16) -> Result<SocketAddr, String> {
        let h = self
            .lab
            .topo
            .host(host)
            .ok_or_else(|| self.lab.no_host(host).to_string())?;
        let p = self
            .lab
            .bound_port(&h.name, port)
            .ok_or_else(|| format!("{host} does not serve port {port}"))?;
        Ok(SocketAddr::from((h.address, p)))
    }

    /// "Email and Chat" card on `ads`, as the topology's administrator.
    pub async fn open_gadget(&self, ads: &str) -> Outcome {
        let open = crate::actions::Action::OpenGadget {
            ads: Some(ads.to_string()),
            user: None,
        };
        open.apply(&self.lab)
            .await
            .unwrap_or_else(|e| Outcome::failed(e.to_string()))
    }

    /// Runs one step written in the scenario format (`do = "restart"\nhost = "ads-a"`).
    pub async fn step_toml(&self, toml_text: &str) -> Result<Outcome, String> {
        let step = super::file::parse_step(toml_text)?;
        Ok(self.step(&step).await)
    }

    /// A Windows path on a host's disk (`%JAVA_HOME%`, `{ECE_HOME}` expand).
    pub fn disk_path(&self, host: &str, win: &str) -> Result<PathBuf, String> {
        let h = self
            .lab
            .topo
            .host(host)
            .ok_or_else(|| self.lab.no_host(host).to_string())?;
        let p = h
            .disk
            .path(&self.substitute(win)?)
            .map_err(|e| e.to_string())?;
        h.disk.check(&p).map_err(|e| e.to_string())?;
        Ok(p)
    }

    /// Reads a file of `host`'s disk that [`Run::disk_path`] gave (a regular
    /// file inside the disk, bounded; nothing blocks on a FIFO).
    pub fn disk_read(&self, host: &str, path: &std::path::Path) -> Result<Vec<u8>, String> {
        let h = self
            .lab
            .topo
            .host(host)
            .ok_or_else(|| self.lab.no_host(host).to_string())?;
        h.disk
            .read(path)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Runs one step: its `{…}` substituted, applied; the TLS and LDAP
    /// events seen meanwhile added to the outcome.
    pub async fn step(&self, s: &Step) -> Outcome {
        let mark = self.lab.event_mark();
        let applied = match s.action.map_text(&mut |v| self.substitute(v)) {
            Ok(a) => a.apply(&self.lab).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let mut o = applied.unwrap_or_else(Outcome::failed);
        o.events = self.lab.events_since(&mark);
        o
    }
}

/// Runs a scenario in `dir` (created; left for inspection) and reports.
pub async fn run(s: &Scenario, dir: &Path) -> Report {
    let started = std::time::Instant::now();
    let mut t = Transcript::new(s);
    let report = |t: Transcript, mismatches: Vec<Mismatch>| Report {
        id: s.id.clone(),
        title: s.title.clone(),
        path: s.path.display().to_string(),
        passed: mismatches.is_empty(),
        mismatches,
        transcript: t.finish(),
        millis: started.elapsed().as_millis(),
    };
    let run = match Run::start(s, dir).await {
        Ok(r) => r,
        Err(e) => {
            t.cannot_start(&e);
            let m = Mismatch {
                at: "given".into(),
                expected: "a running topology".into(),
                actual: e,
                file: None,
            };
            return report(t, vec![m]);
        }
    };
    t.given(&run);
    let mut mismatches = Vec::new();
    for (i, step) in s.steps.iter().enumerate() {
        let o = run.step(step).await;
        let mm = run.check(&format!("step {}", i + 1), &step.expect, Some(&o));
        t.step(&run, i + 1, step, &o, &mm);
        mismatches.extend(mm);
    }
    let mm = run.check("end", &s.expect, None);
    t.end(&mm);
    mismatches.extend(mm);
    t.result(mismatches.is_empty());
    let mismatches = mismatches
        .into_iter()
        .map(|m| Mismatch {
            actual: run.redact(&m.actual),
            ..m
        })
        .collect();
    report(t, mismatches)
}

/// Runs scenarios `jobs` at a time, each under `root/<id>`; reports in input order.
pub async fn run_all(scenarios: &[Scenario], root: &Path, jobs: usize) -> Vec<Report> {
    run_all_progress(scenarios, root, jobs, |_| {}).await
}

/// [`run_all`], calling `done` with each report as its scenario finishes.
pub async fn run_all_progress(
    scenarios: &[Scenario],
    root: &Path,
    jobs: usize,
    mut done: impl FnMut(&Report),
) -> Vec<Report> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Report>();
    let sem = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let mut handles = Vec::new();
    for s in scenarios.iter().cloned() {
        let sem = sem.clone();
        let dir = root.join(sanitize(&s.id));
        let tx = tx.clone();
        handles.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await;
            let r = run(&s, &dir).await;
            let _ = tx.send(r.clone());
            r
        }));
    }
    drop(tx);
    while let Some(r) = rx.recv().await {
        done(&r);
    }
    let mut out = Vec::new();
    for (h, s) in handles.into_iter().zip(scenarios) {
        out.push(h.await.unwrap_or_else(|e| Report {
            id: s.id.clone(),
            title: s.title.clone(),
            path: s.path.display().to_string(),
            passed: false,
            mismatches: vec![Mismatch {
                at: "runner".into(),
                expected: "a finished run".into(),
                actual: e.to_string(),
                file: None,
            }],
            transcript: String::new(),
            millis: 0,
        }));
    }
    out
}

/// `v` with each `{…}` replaced by what `lookup` finds for it (`{{` and
/// `}}` are braces, `{ECE_HOME}`-style Windows variables stay); Err names
/// the first placeholder `lookup` does not know.
pub(crate) fn expand(v: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    const OPEN: &str = "\u{1}";
    const CLOSE: &str = "\u{2}";
    // Windows variables of host paths (`{ECE_HOME}`) stay as they are,
    // also inside `{HOST:…}`
    const VOPEN: &str = "\u{3}";
    const VCLOSE: &str = "\u{4}";
    let v = v.replace("{{", OPEN).replace("}}", CLOSE);
    let v = re_static!(r"\{([A-Z_]+)\}")
        .replace_all(&v, format!("{VOPEN}$1{VCLOSE}"))
        .into_owned();
    let v = v.as_str();
    let mut err = None;
    let out = re_static!(r"\{([^{}]+)\}").replace_all(v, |c: &regex::Captures| {
        let key = c[1].replace(VOPEN, "{").replace(VCLOSE, "}");
        let key = key.as_str();
        match lookup(key) {
            Some(v) => v,
            None => {
                err.get_or_insert_with(|| format!("unknown substitution `{{{key}}}`"));
                String::new()
            }
        }
    });
    match err {
        Some(e) => Err(e),
        None => Ok(out
            .replace(OPEN, "{")
            .replace(CLOSE, "}")
            .replace(VOPEN, "{")
            .replace(VCLOSE, "}")),
    }
}

/// Whether `key` is a placeholder a step may use in a topology with these
/// host names (checked when the scenario file is read, before anything runs):
/// `dir`, `ca.root`, `ca.issuing`, `HOST.address|fqdn|disk|port.N` and
/// `HOST:WINDOWS-PATH`.
pub(crate) fn placeholder_known(key: &str, hosts: &[String]) -> bool {
    let host = |h: &str| hosts.iter().any(|n| n.eq_ignore_ascii_case(h));
    if matches!(key, "dir" | "ca.root" | "ca.issuing") {
        return true;
    }
    if let Some((h, win)) = key.split_once(':') {
        if win.contains('\\') || win.starts_with('%') || win.starts_with('{') {
            return host(h)
                && ccelab_emulators::host::VirtualDisk::new("/")
                    .path(win)
                    .is_ok();
        }
    }
    let Some((h, field)) = key.split_once('.') else {
        return false;
    };
    host(h)
        && match field {
            "address" | "fqdn" | "disk" => true,
            f => f
                .strip_prefix("port.")
                .is_some_and(|p| p.parse::<u16>().is_ok()),
        }
}

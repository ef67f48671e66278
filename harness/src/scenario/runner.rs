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
use crate::actions::{Action, Outcome};
use crate::container::pool::{Lease, Pool};
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
    /// Each step's outcome, its texts redacted as the transcript's
    /// (`ccelab reproduce` reads what each flow gave from them).
    #[serde(skip)]
    pub outcomes: Vec<Outcome>,
    /// How long the run took, in milliseconds.
    pub millis: u128,
}

impl Report {
    /// The report of a scenario that did not run: one mismatch at `at`.
    fn failed(s: &Scenario, at: &str, expected: &str, actual: String) -> Report {
        Report {
            id: s.id.clone(),
            title: s.title.clone(),
            path: s.path.display().to_string(),
            passed: false,
            mismatches: vec![Mismatch {
                at: at.into(),
                expected: expected.into(),
                actual,
                file: None,
            }],
            transcript: String::new(),
            outcomes: Vec::new(),
            millis: 0,
        }
    }
}

/// Where a scenario's hosts run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// Every host in this process, on ephemeral loopback ports.
    #[default]
    InProcess,
    /// One container per host ([`crate::container`]), from this image
    /// (`ccelab:local`): real ports, each host at its address on a private
    /// network, each action done where [`crate::actions::Place`] says.
    Containers {
        /// The image the hosts run.
        image: String,
    },
}

/// What serves a run's hosts: this process, or containers of a pool.
enum Hosts {
    InProcess {
        _control: crate::control::ControlServer,
    },
    Containers {
        pool: Arc<Pool>,
        lease: Option<Lease>,
        _control: ccelab_emulators::net::Acceptor,
    },
    Finished,
}

impl Drop for Hosts {
    fn drop(&mut self) {
        // a run dropped without `finish` (a panicking test): its hosts stop
        if let Hosts::Containers { pool, lease, .. } = self {
            if let Some(l) = lease.take() {
                pool.stop(&l);
            }
        }
    }
}

/// A lane of the pool taken by a scenario, given back when dropped (also
/// when the scenario's task panics).
struct LaneBack(Arc<std::sync::Mutex<Vec<usize>>>, Option<usize>);

impl Drop for LaneBack {
    fn drop(&mut self) {
        if let Some(l) = self.1.take() {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).push(l);
        }
    }
}

/// A pool of host containers with `lanes` lanes under `root` (off the async workers).
async fn new_pool(
    image: &str,
    root: &Path,
    base_dirs: &[PathBuf],
    lanes: usize,
) -> Result<Arc<Pool>, String> {
    let (image, root, bases) = (image.to_string(), root.to_path_buf(), base_dirs.to_vec());
    tokio::task::spawn_blocking(move || Pool::new(&image, &root, &bases, lanes))
        .await
        .map_err(|e| e.to_string())?
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// A scenario's running topology.
/// Dropping it stops every service of the topology and its control API
/// (in containers: stops its hosts; a pool of its own goes too, with its
/// containers and networks).
pub struct Run {
    /// The running topology (in containers: the machine's view of it,
    /// [`Lab::remote`]).
    pub lab: Arc<Lab>,
    /// Its directory.
    pub dir: PathBuf,
    /// Its control API's address (`topology.json`'s `control`).
    pub control: SocketAddr,
    /// The day the topology clock started on (`YYYY-MM-DD`): transcripts
    /// write dates relative to it.
    pub(super) date: String,
    hosts: Hosts,
    /// The hosts' addresses as one pattern and each address's host, made
    /// at the first redaction (addresses do not change during a run).
    pub(super) addresses: std::sync::OnceLock<Option<Addresses>>,
}

/// The hosts' addresses as one pattern, and (address, host) of each.
pub(super) type Addresses = (regex::Regex, Vec<(String, String)>);

/// `dir` made ready for a run: a previous run's topology is removed, a
/// folder holding anything else is refused.
async fn fresh_dir(dir: &Path) -> Result<(), String> {
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
    .map_err(|e| e.to_string())?
}

/// `YYYY-MM-DD` of the lab's clock now.
fn day_of(lab: &Lab) -> String {
    let now = lab.topo.clock.now();
    format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        now.month() as u8,
        now.day()
    )
}

impl Run {
    /// Builds the scenario's topology under `dir` and starts it (ephemeral ports).
    pub async fn start(s: &Scenario, dir: &Path) -> Result<Run, String> {
        Run::start_on(s, dir, &Backend::InProcess).await
    }

    /// Builds the scenario's topology under `dir` and starts it on `backend`.
    pub async fn start_on(s: &Scenario, dir: &Path, backend: &Backend) -> Result<Run, String> {
        Run::start_with(s, dir, backend, None).await
    }

    /// [`Run::start_on`]; in containers, in `pool` (None: a pool of its
    /// own, under `dir`).
    async fn start_with(
        s: &Scenario,
        dir: &Path,
        backend: &Backend,
        pool: Option<(Arc<Pool>, usize)>,
    ) -> Result<Run, String> {
        fresh_dir(dir).await?;
        if let Backend::Containers { image } = backend {
            let (pool, lane) = match pool {
                Some(p) => p,
                None => (
                    new_pool(image, dir, std::slice::from_ref(&s.given.base_dir), 1).await?,
                    0,
                ),
            };
            let kept = pool.clone();
            let started = Run::start_containers(s, dir, pool, lane).await;
            if started.is_err() {
                // a pool of its own goes with its last owner: off the async workers
                let _ = tokio::task::spawn_blocking(move || drop(kept)).await;
            }
            return started;
        }
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
        let crate::deploy::Deployed { lab, control } = deployed;
        Ok(Run {
            date: day_of(&lab),
            lab,
            dir: dir.to_path_buf(),
            control: control.addr,
            hosts: Hosts::InProcess { _control: control },
            addresses: Default::default(),
        })
    }

    /// One container per host: `[given]` as each host's topology file, its
    /// clock fixed at the start of the current UTC day unless it says
    /// otherwise (as in one process).
    async fn start_containers(
        s: &Scenario,
        dir: &Path,
        pool: Arc<Pool>,
        lane: usize,
    ) -> Result<Run, String> {
        let mut table: toml::Table = toml::from_str(&s.given_text).map_err(|e| e.to_string())?;
        if !table.contains_key("clock") {
            let today = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT);
            let rfc = today
                .format(&time::format_description::well_known::Rfc3339)
                .map_err(|e| e.to_string())?;
            table.insert("clock".into(), toml::Value::String(rfc));
        }
        let text = toml::to_string(&table).map_err(|e| e.to_string())?;
        let (base, d, p) = (s.given.base_dir.clone(), dir.to_path_buf(), pool.clone());
        let lab = tokio::task::spawn_blocking(move || p.start(&text, &base, &d, lane))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let machine = match Lab::remote(lab.topo.clone()).await {
            Ok(m) => m,
            Err(e) => {
                let p = pool.clone();
                let _ = tokio::task::spawn_blocking(move || p.stop(&lab)).await;
                return Err(e.to_string());
            }
        };
        crate::container::remote::note_ports(&machine, &lab.controls).await;
        let control = match crate::container::control::serve_hosts(&lab.topo, &lab.controls).await {
            Ok(c) => c,
            Err(e) => {
                let p = pool.clone();
                let _ = tokio::task::spawn_blocking(move || p.stop(&lab)).await;
                return Err(format!("control API: {e}"));
            }
        };
        let addr = control.local_addr();
        let lab = tokio::task::spawn_blocking(move || {
            let r = crate::container::lab::client_files(
                &lab.topo,
                &lab.dir,
                &lab.controls,
                Some(&format!("http://{addr}")),
            );
            (lab, r)
        })
        .await
        .map_err(|e| e.to_string())?;
        let (lab, written) = lab;
        let run = Run {
            date: day_of(&machine),
            lab: machine,
            dir: dir.to_path_buf(),
            control: addr,
            addresses: Default::default(),
            hosts: Hosts::Containers {
                pool,
                lease: Some(lab),
                _control: control,
            },
        };
        if let Err(e) = written {
            run.finish().await;
            return Err(e.to_string());
        }
        Ok(run)
    }

    /// Stops the run: in containers, stops its hosts (their containers stay
    /// in the pool for the next run; a pool of its own is removed).
    pub async fn finish(mut self) {
        if let Hosts::Containers { pool, lease, .. } = &mut self.hosts {
            if let Some(l) = lease.take() {
                let p = pool.clone();
                let _ = tokio::task::spawn_blocking(move || p.stop(&l)).await;
            }
        }
        // the last owner of a pool of its own: removed off the async workers
        let hosts = std::mem::replace(&mut self.hosts, Hosts::Finished);
        let _ = tokio::task::spawn_blocking(move || drop(hosts)).await;
    }

    /// The hosts in containers this run started, if it runs there.
    pub fn lease(&self) -> Option<&Lease> {
        match &self.hosts {
            Hosts::Containers { lease, .. } => lease.as_ref(),
            _ => None,
        }
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
        let action = match s.action.map_text(&mut |v| self.substitute(v)) {
            Ok(a) => a,
            Err(e) => return Outcome::failed(e),
        };
        if let Some(c) = self.lease() {
            return self.step_in_containers(c, &action).await;
        }
        let mark = self.lab.event_mark();
        let mut o = action
            .apply(&self.lab)
            .await
            .unwrap_or_else(|e| Outcome::failed(e.to_string()));
        o.events = self.lab.events_since(&mark);
        o
    }

    /// A step on the containers ([`crate::container::remote::apply`]).
    async fn step_in_containers(&self, c: &Lease, action: &crate::actions::Action) -> Outcome {
        crate::container::remote::apply(&self.lab, &c.topo, &c.controls, action).await
    }
}

/// Runs a scenario in `dir` (created; left for inspection) and reports.
pub async fn run(s: &Scenario, dir: &Path) -> Report {
    run_on(s, dir, &Backend::InProcess).await
}

/// [`run`] on `backend` (in containers: a pool of its own, removed afterwards).
pub async fn run_on(s: &Scenario, dir: &Path, backend: &Backend) -> Report {
    run_with(s, dir, backend, None, None).await
}

/// [`run_on`], in containers in `pool` on a lane of it.
async fn run_with(
    s: &Scenario,
    dir: &Path,
    backend: &Backend,
    pool: Option<(Arc<Pool>, usize)>,
    shots: Option<&Path>,
) -> Report {
    let started = std::time::Instant::now();
    let mut beside = super::browser::Beside::for_scenario(s, shots);
    let mut t = Transcript::new(s);
    let report = |t: Transcript, mismatches: Vec<Mismatch>, outcomes: Vec<Outcome>| Report {
        id: s.id.clone(),
        title: s.title.clone(),
        path: s.path.display().to_string(),
        passed: mismatches.is_empty(),
        mismatches,
        transcript: t.finish(),
        outcomes,
        millis: started.elapsed().as_millis(),
    };
    let run = match Run::start_with(s, dir, backend, pool).await {
        Ok(r) => r,
        Err(e) => {
            t.cannot_start(&e);
            let m = Mismatch {
                at: "given".into(),
                expected: "a running topology".into(),
                actual: e,
                file: None,
            };
            return report(t, vec![m], Vec::new());
        }
    };
    t.given(&run);
    let mut mismatches = Vec::new();
    let mut outcomes = Vec::new();
    for (i, step) in s.steps.iter().enumerate() {
        // the browser beside replays the step from where ccelab's
        // prediction started, and leaves the lab's round robins as the
        // prediction left them (`Running::turns`)
        let before = beside.as_ref().map(|_| run.lab.turns());
        let o = run.step(step).await;
        let mut mm = run.check(&format!("step {}", i + 1), &step.expect, Some(&o));
        if let (Some(b), Some(before)) = (beside.as_mut(), before) {
            let after = run.lab.turns();
            run.lab.set_turns(&before);
            mm.extend(b.step(&run, i + 1, step, &o).await);
            run.lab.set_turns(&after);
        }
        t.step(&run, i + 1, step, &o, &mm);
        mismatches.extend(mm);
        outcomes.push(Outcome {
            shows: run.redact(&o.shows),
            logged: o.logged.iter().map(|l| run.redact(l)).collect(),
            ..o
        });
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
    run.finish().await;
    report(t, mismatches, outcomes)
}

/// Runs scenarios `jobs` at a time, each under `root/<id>`; reports in input order.
pub async fn run_all(scenarios: &[Scenario], root: &Path, jobs: usize) -> Vec<Report> {
    run_all_progress(scenarios, root, jobs, &Backend::InProcess, None, |_| {}).await
}

/// [`run_all`] on `backend`, calling `done` with each report as its
/// scenario finishes; with `shots`, real Chromium beside the scenarios
/// that name screenshots ([`super::browser`]), saving them there.
pub async fn run_all_progress(
    scenarios: &[Scenario],
    root: &Path,
    jobs: usize,
    backend: &Backend,
    shots: Option<&Path>,
    mut done: impl FnMut(&Report),
) -> Vec<Report> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Report>();
    let jobs = jobs.max(1);
    let sem = Arc::new(tokio::sync::Semaphore::new(jobs));
    // in containers: one pool with a lane per job, each scenario on a free
    // lane (the pool's containers reused by the next scenario); a pool
    // that cannot be made fails the scenarios with why
    let lanes: Arc<std::sync::Mutex<Vec<usize>>> = Arc::default();
    let mut pool = None;
    let mut no_pool = None;
    if let Backend::Containers { image } = backend {
        let mut bases: Vec<PathBuf> = scenarios.iter().map(|s| s.given.base_dir.clone()).collect();
        bases.sort();
        bases.dedup();
        let n = jobs.min(scenarios.len()).max(1);
        match new_pool(image, root, &bases, n).await {
            Ok(p) => {
                pool = Some(p);
                *lanes.lock().unwrap_or_else(|e| e.into_inner()) = (0..n).rev().collect();
            }
            Err(e) => no_pool = Some(e),
        }
    }
    let mut handles: Vec<Option<tokio::task::JoinHandle<Report>>> =
        scenarios.iter().map(|_| None).collect();
    for i in start_order(scenarios) {
        let s = scenarios[i].clone();
        let sem = sem.clone();
        let dir = root.join(sanitize(&s.id));
        let tx = tx.clone();
        let backend = backend.clone();
        let (lanes, pool, no_pool) = (lanes.clone(), pool.clone(), no_pool.clone());
        let shots = shots.map(Path::to_path_buf);
        handles[i] = Some(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await;
            let r = match (&backend, &no_pool) {
                (Backend::Containers { .. }, Some(e)) => {
                    Report::failed(&s, "given", "a running topology", e.clone())
                }
                (Backend::Containers { .. }, None) => {
                    let lane = LaneBack(
                        lanes.clone(),
                        lanes.lock().unwrap_or_else(|e| e.into_inner()).pop(),
                    );
                    run_with(&s, &dir, &backend, pool.zip(lane.1), shots.as_deref()).await
                }
                (Backend::InProcess, _) => {
                    run_with(&s, &dir, &backend, None, shots.as_deref()).await
                }
            };
            let _ = tx.send(r.clone());
            r
        }));
    }
    drop(tx);
    while let Some(r) = rx.recv().await {
        done(&r);
    }
    let mut out = Vec::new();
    // the pool's containers and networks go, off the async workers
    let _ = tokio::task::spawn_blocking(move || drop(pool)).await;
    for (h, s) in handles.into_iter().zip(scenarios) {
        let r = match h {
            Some(h) => h.await.map_err(|e| e.to_string()),
            None => Err("not started".to_string()),
        };
        out.push(r.unwrap_or_else(|e| Report::failed(s, "runner", "a finished run", e)));
    }
    out
}

/// The order scenarios start in when they run side by side: the costliest
/// first, so that none of them is left running alone at the end. Their cost
/// is mostly the real programs their steps start, a JVM (keytool) weighing
/// as much as several others; equal ones keep their order.
fn start_order(scenarios: &[Scenario]) -> Vec<usize> {
    let cost = |s: &Scenario| -> usize {
        s.steps
            .iter()
            .map(|step| match &step.action {
                Action::Keytool { .. } => 5,
                Action::Run { command } => {
                    1 + 4 * command
                        .iter()
                        .map(|a| a.matches("keytool").count())
                        .sum::<usize>()
                }
                _ => 0,
            })
            .sum()
    };
    let mut order: Vec<usize> = (0..scenarios.len()).collect();
    order.sort_by_key(|i| std::cmp::Reverse(cost(&scenarios[*i])));
    order
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

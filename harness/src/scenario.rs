//! Scenarios: a TOML file that replays part of the integration or a
//! documented failure mode (topology.md §5) on a topology of its own, and
//! says what the user must see. The runner executes the steps on the
//! emulated components and on real client tools, checks the expectations,
//! and writes a deterministic transcript (snapshotted in `snapshots/`).
//!
//! ```toml
//! id = "F1"
//! title = "ECE web server's CA certificates not in an ADS's cacerts"
//! source = "[ECE] troubleshooting"
//! failure = "F1"
//! symptom = "There was an error loading the page. Contact your administrator."
//! logged = "ADS catalina log: PKIX path building failed"
//! fix = "import the root and issuing CA certificates into every ADS, restart"
//! tags = ["certificates"]
//!
//! [given]                      # a topology file inline (preset, clock, ece_web, ads, …)
//! preset = "pcce-2000"
//! [given.ads]
//! cacerts = []
//!
//! [[step]]
//! do = "open-gadget"
//! ads = "ads-a"
//! expect = { ok = false, shows = "There was an error loading the page" }
//! ```
//!
//! Substitutions in step values: `{dir}` (the lab directory), `{HOST.address}`,
//! `{HOST.fqdn}`, `{HOST.disk}`, `{HOST.port.N}` (where product port N really
//! listens), `{HOST:WINDOWS-PATH}` (that path on the host's disk), `{ca.root}`,
//! `{ca.issuing}` (PEM files). `run` commands also get the environment
//! `CCELAB_DIR`, `CCELAB_<HOST>_{ADDRESS,FQDN,DISK}`, `CCELAB_<HOST>_PORT_<N>`
//! and run, like `ccelab exec`, in a private mount namespace where the
//! topology's names resolve (Java through `-Djdk.net.hosts.file`).
//!
//! # From Rust
//!
//! A test of one's own client starts a preset (or a scenario's `given`),
//! reads hosts, endpoints and disk paths, runs steps and asserts. Here the
//! client under test is a function that downloads the ECE web server's
//! certificate and imports it into an ADS's `cacerts`; the gadget opens only
//! after it ran and the ADS restarted:
//!
//! ```
//! use std::path::Path;
//! use ccelab::scenario::{Run, Scenario};
//! use ccelab_emulators::personality::{fetch_chain, Contact};
//! use ccelab_emulators::stores::Keystore;
//!
//! /// The client under test: fetch the web certificate, import it (alias = FQDN).
//! async fn import_web_certificate(ece: std::net::SocketAddr, cacerts: &Path) -> Result<(), String> {
//!     let Contact::Presented { chain, .. } =
//!         fetch_chain(ece, "ece.example.com", true, std::time::Duration::from_secs(5)).await
//!     else {
//!         return Err("no certificate".into());
//!     };
//!     let mut ks = Keystore::load(&std::fs::read(cacerts).map_err(|e| e.to_string())?, Some("changeit"))
//!         .map_err(|e| e.to_string())?;
//!     ks.import_cert("ece.example.com", chain[0].clone(), time::OffsetDateTime::now_utc())
//!         .map_err(|e| e.to_string())?;
//!     ks.save(cacerts, "changeit", None).map_err(|e| e.to_string())
//! }
//!
//! # fn main() -> Result<(), String> {
//! let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
//! rt.block_on(async {
//!     // a self-signed web certificate that no ADS trusts yet ([ECE] 4.1, self-signed route)
//!     let s = Scenario::parse(Path::new("doc"), r#"
//!         id = "doc"
//!         title = "self-signed web certificate, not yet imported"
//!         source = "[ECE] 4.1"
//!         [given.ads]
//!         cacerts = []
//!         [given.ece_web.certificate]
//!         issuer = "self"
//!     "#).map_err(|e| e.to_string())?;
//!     let dir = std::env::temp_dir().join(format!("ccelab-doc-{}", std::process::id()));
//!     let run = Run::start(&s, &dir).await?;
//!     assert!(!run.open_gadget("ads-a").await.ok);
//!     let cacerts = run.disk_path("ads-a", r"%JAVA_HOME%\lib\security\cacerts")?;
//!     import_web_certificate(run.endpoint("ece", 443)?, &cacerts).await?;
//!     assert!(!run.open_gadget("ads-a").await.ok, "not before the ADS restarts (F9)");
//!     run.step_toml("do = \"restart\"\nhost = \"ads-a\"").await?;
//!     assert!(run.open_gadget("ads-a").await.ok);
//!     let _ = std::fs::remove_dir_all(&dir);
//!     Ok(())
//! })
//! # }
//! ```
//!
//! Transcripts redact only what changes between runs: the lab directory, the
//! ephemeral ports, the date of the topology clock (a scenario's clock is
//! fixed at the start of the current UTC day unless `given.clock` says
//! otherwise, so that certificates minted from it are valid for real clients)
//! and what derives from that date: certificate fingerprints and thumbprints
//! (and so the file names IIS gives PFX files). A transcript is therefore the
//! same on any day; `harness/tests/scenarios.rs` runs the catalog a year ahead
//! (under `faketime`) and compares it with the snapshots.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ccelab_emulators::stores::Keystore;
use serde::{Deserialize, Serialize};

use crate::lab::Lab;
use crate::topology_file::TopologyFile;

/// A scenario-file error: `FILE:LINE:COLUMN: message` (or `FILE: message`).
#[derive(Debug, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ScenarioError {
    pub location: String,
    pub message: String,
}

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
    /// Substrings of a `run`'s stdout / stderr.
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    /// Lines in log files on a host's disk.
    #[serde(default)]
    pub log: Vec<LogExpect>,
    /// A key/trust store's aliases.
    #[serde(default)]
    pub store: Vec<StoreExpect>,
    /// A substring of an event (TLS or LDAP) recorded during the step.
    pub event: Option<String>,
}

/// Lines in a log file: `file` is a Windows path on `host`'s disk whose file
/// name may hold `*` (e.g. `C:\icm\tomcat\logs\catalina.*.log`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogExpect {
    pub host: String,
    pub file: String,
    pub contains: Option<String>,
    pub regex: Option<String>,
    /// Text that must not be there.
    pub absent: Option<String>,
}

/// A store's aliases (as keytool lists them, lower case in JKS/JCEKS).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreExpect {
    pub host: String,
    pub path: String,
    pub password: Option<String>,
    #[serde(default)]
    pub has: Vec<String>,
    #[serde(default)]
    pub lacks: Vec<String>,
}

/// One step: an action (`do`) with its parameters and expectations.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[serde(rename = "do")]
    pub action: toml::Spanned<String>,
    /// What the step means, for people (shown in the transcript).
    pub note: Option<String>,
    pub host: Option<String>,
    pub ads: Option<String>,
    pub user: Option<String>,
    pub service: Option<String>,
    pub name: Option<String>,
    pub password: Option<String>,
    pub path: Option<String>,
    pub alias: Option<String>,
    pub cert: Option<String>,
    pub args: Option<Vec<String>>,
    pub command: Option<Vec<String>>,
    pub text: Option<String>,
    pub replace: Option<Vec<String>>,
    pub by: Option<String>,
    pub level: Option<u8>,
    pub minutes: Option<u32>,
    pub host_name: Option<String>,
    pub require_sni: Option<bool>,
    pub self_signed: Option<bool>,
    pub app_instance: Option<String>,
    pub agent_pgs: Option<Vec<String>>,
    pub agent: Option<String>,
    pub screen_name: Option<String>,
    pub fault: Option<String>,
    pub require_signing: Option<bool>,
    pub allow_anonymous: Option<bool>,
    pub ldap_url: Option<String>,
    pub dn_attribute: Option<String>,
    pub base: Option<String>,
    pub search_dn: Option<String>,
    pub enable_ssl: Option<bool>,
    pub keystore_location: Option<String>,
    pub server: Option<String>,
    pub database: Option<String>,
    pub login: Option<String>,
    pub port: Option<u16>,
    #[serde(default)]
    pub expect: Expect,
}

/// The parsed file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    id: String,
    title: String,
    source: String,
    failure: Option<String>,
    symptom: Option<String>,
    logged: Option<String>,
    fix: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    given: toml::Table,
    #[serde(default, rename = "step")]
    steps: Vec<Step>,
    #[serde(default)]
    expect: Expect,
}

/// A scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub path: PathBuf,
    pub id: String,
    pub title: String,
    pub source: String,
    pub failure: Option<String>,
    pub symptom: Option<String>,
    pub logged: Option<String>,
    pub fix: Option<String>,
    pub tags: Vec<String>,
    pub given: TopologyFile,
    pub steps: Vec<Step>,
    pub expect: Expect,
}

/// A regex compiled once per process (its pattern is a literal, so it is valid:
/// a test compiles every one).
macro_rules! re_static {
    ($pat:literal) => {{
        static RE: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new($pat).expect("a literal pattern"));
        &*RE
    }};
}

/// How long a `run` or `keytool` step may take.
pub const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The actions a step can do, with the parameters each needs.
pub const ACTIONS: &[(&str, &[&str])] = &[
    ("open-gadget", &[]),
    ("restart", &["host"]),
    ("stop", &["host", "service"]),
    ("start", &["host", "service"]),
    ("keytool", &["args"]),
    ("run", &["command"]),
    ("store-delete", &["host", "path", "alias"]),
    ("store-import", &["host", "path", "alias", "cert"]),
    ("write-file", &["host", "path", "text"]),
    ("edit-file", &["host", "path", "replace"]),
    ("inventory-web-server", &["name"]),
    ("ece-password", &["user", "password"]),
    ("awdb", &["server", "database", "login", "password"]),
    ("integration-save", &["app_instance", "agent_pgs"]),
    ("agent-enable", &["agent", "screen_name"]),
    ("create-department", &["name"]),
    ("binding", &[]),
    ("cert-replace", &[]),
    ("partition-admin", &[]),
    ("trace-level", &["level"]),
    ("ad-policy", &[]),
    ("ad-fault", &["user", "fault"]),
    ("clock-advance", &["by"]),
];

fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl Step {
    fn has(&self, p: &str) -> bool {
        match p {
            "host" => self.host.is_some(),
            "service" => self.service.is_some(),
            "args" => self.args.is_some(),
            "command" => self.command.is_some(),
            "path" => self.path.is_some(),
            "alias" => self.alias.is_some(),
            "cert" => self.cert.is_some(),
            "text" => self.text.is_some(),
            "replace" => self.replace.as_ref().is_some_and(|r| r.len() == 2),
            "name" => self.name.is_some(),
            "user" => self.user.is_some(),
            "password" => self.password.is_some(),
            "server" => self.server.is_some(),
            "database" => self.database.is_some(),
            "login" => self.login.is_some(),
            "app_instance" => self.app_instance.is_some(),
            "agent_pgs" => self.agent_pgs.is_some(),
            "agent" => self.agent.is_some(),
            "screen_name" => self.screen_name.is_some(),
            "level" => self.level.is_some(),
            "fault" => self.fault.is_some(),
            "by" => self.by.is_some(),
            _ => false,
        }
    }
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            location: path.display().to_string(),
            message: e.to_string(),
        })?;
        Scenario::parse(path, &text)
    }

    /// Parses scenario text (`path` names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let at = |offset: usize, message: String| {
            let (line, col) = position(text, offset);
            ScenarioError {
                location: format!("{}:{line}:{col}", path.display()),
                message,
            }
        };
        let f: ScenarioFile = toml::from_str(text).map_err(|e| {
            at(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_string(),
            )
        })?;
        // `given` is a topology file: its keys and values are checked as one
        let given_text = toml::to_string(&f.given).unwrap_or_default();
        let mut given: TopologyFile = toml::from_str(&given_text).map_err(|e| {
            let key = e
                .span()
                .map(|s| given_text[s.start..s.end.min(given_text.len())].to_string())
                .unwrap_or_default();
            let offset = text
                .find("[given")
                .and_then(|g| text[g..].find(key.trim()).map(|k| g + k))
                .unwrap_or(0);
            at(offset, format!("given: {}", e.message().trim()))
        })?;
        given.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let e = &f.expect;
        if e.ok.is_some()
            || e.shows.is_some()
            || e.shows_regex.is_some()
            || e.exit.is_some()
            || e.stdout.is_some()
            || e.stderr.is_some()
            || e.event.is_some()
        {
            let offset = text.find("[expect]").unwrap_or(0);
            return Err(at(
                offset,
                "the final [expect] checks the disks only (`log`, `store`); put `ok`, `shows`, `exit`, `stdout`, `stderr` and `event` on a step".into(),
            ));
        }
        for r in e.log.iter().filter_map(|l| l.regex.as_ref()) {
            regex::Regex::new(r).map_err(|err| {
                at(
                    text.find("[expect]").unwrap_or(0),
                    format!("bad regex `{r}`: {err}"),
                )
            })?;
        }
        for (i, s) in f.steps.iter().enumerate() {
            let span = s.action.span();
            let action = s.action.get_ref().as_str();
            let Some((_, needs)) = ACTIONS.iter().find(|(a, _)| *a == action) else {
                let names: Vec<&str> = ACTIONS.iter().map(|(a, _)| *a).collect();
                return Err(at(
                    span.start,
                    format!(
                        "step {}: unknown action `{action}` (actions: {})",
                        i + 1,
                        names.join(", ")
                    ),
                ));
            };
            if let Some(missing) = needs.iter().find(|p| !s.has(p)) {
                let what = if *missing == "replace" {
                    "`replace = [\"old\", \"new\"]`".to_string()
                } else {
                    format!("`{missing}`")
                };
                return Err(at(
                    span.start,
                    format!("step {}: `do = \"{action}\"` needs {what}", i + 1),
                ));
            }
            for r in [&s.expect.shows_regex]
                .into_iter()
                .flatten()
                .chain(s.expect.log.iter().filter_map(|l| l.regex.as_ref()))
            {
                regex::Regex::new(r)
                    .map_err(|e| at(span.start, format!("step {}: bad regex `{r}`: {e}", i + 1)))?;
            }
        }
        Ok(Scenario {
            path: path.to_path_buf(),
            id: f.id,
            title: f.title,
            source: f.source,
            failure: f.failure,
            symptom: f.symptom,
            logged: f.logged,
            fix: f.fix,
            tags: f.tags,
            given,
            steps: f.steps,
            expect: f.expect,
        })
    }

    /// The scenario files under `paths` (files, or directories searched for
    /// `*.toml`), in the order given; a directory's files sorted by name.
    pub fn discover(paths: &[PathBuf]) -> Result<Vec<Scenario>, ScenarioError> {
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                let rd = std::fs::read_dir(p).map_err(|e| ScenarioError {
                    location: p.display().to_string(),
                    message: e.to_string(),
                })?;
                let mut in_dir: Vec<PathBuf> = rd
                    .flatten()
                    .map(|e| e.path())
                    .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                    .collect();
                in_dir.sort();
                files.extend(in_dir);
            } else {
                files.push(p.clone());
            }
        }
        let all: Vec<Scenario> = files
            .iter()
            .map(|f| Scenario::load(f))
            .collect::<Result<_, _>>()?;
        let mut seen: BTreeMap<String, &Path> = BTreeMap::new();
        for s in &all {
            if let Some(other) = seen.insert(sanitize(&s.id).to_ascii_lowercase(), &s.path) {
                return Err(ScenarioError {
                    location: s.path.display().to_string(),
                    message: format!(
                        "id `{}` is already used by {} (ids name the transcripts and run directories)",
                        s.id,
                        other.display()
                    ),
                });
            }
        }
        Ok(all)
    }
}

/// The result of one step.
#[derive(Clone, Debug, Default, Serialize)]
pub struct StepOutcome {
    pub ok: bool,
    /// What the user sees (or the error of the action).
    pub shows: String,
    pub exit: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Log lines the step wrote (catalina, ECE's application server log).
    pub logged: Vec<String>,
    pub events: Vec<String>,
}

/// One failed expectation.
#[derive(Clone, Debug, Serialize)]
pub struct Mismatch {
    /// `step N` or `end`.
    pub at: String,
    pub expected: String,
    pub actual: String,
    /// The log file to look at, where one is involved.
    pub file: Option<String>,
}

/// A finished run.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub id: String,
    pub title: String,
    pub path: String,
    pub passed: bool,
    pub mismatches: Vec<Mismatch>,
    pub transcript: String,
    pub millis: u128,
}

/// A scenario's running topology.
/// Dropping it stops every service of the topology and its control API.
pub struct Run {
    pub lab: Arc<Lab>,
    pub dir: PathBuf,
    pub control: crate::control::ControlServer,
    date: String,
}

impl Run {
    /// Builds the scenario's topology under `dir` and starts it (ephemeral ports).
    pub async fn start(s: &Scenario, dir: &Path) -> Result<Run, String> {
        let mut given = s.given.clone();
        let today = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT);
        if given.clock.is_none() {
            given.clock = Some(
                today
                    .format(&time::format_description::well_known::Rfc3339)
                    .map_err(|e| e.to_string())?,
            );
        }
        if dir.join("topology.json").is_file() {
            // a previous run's topology (ccelab scenario run --dir twice): start afresh
            std::fs::remove_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        } else if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
            return Err(format!(
                "{}: not empty (and not a previous ccelab run): choose another directory",
                dir.display()
            ));
        }
        let topo = given.build(dir).map_err(|e| e.to_string())?;
        let date = format!(
            "{:04}-{:02}-{:02}",
            topo.clock.now().year(),
            topo.clock.now().month() as u8,
            topo.clock.now().day()
        );
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        topo.write_disks().map_err(|e| e.to_string())?;
        let lab = Lab::start(Arc::new(topo), false)
            .await
            .map_err(|e| e.to_string())?;
        let control = crate::control::serve(lab.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .map_err(|e| e.to_string())?;
        crate::lab::files::write_topology_files(&lab, dir, control.addr)
            .map_err(|(p, e)| format!("{}: {e}", p.display()))?;
        Ok(Run {
            lab,
            dir: dir.to_path_buf(),
            control,
            date,
        })
    }

    /// `{…}` substitutions of step values (`{{` and `}}` are literal braces).
    pub fn substitute(&self, v: &str) -> Result<String, String> {
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
            match self.lookup(key) {
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

    /// The environment of `run` commands.
    fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![("CCELAB_DIR".into(), self.dir.display().to_string())];
        for h in &self.lab.topo.hosts {
            let k = h.name.to_ascii_uppercase().replace('-', "_");
            env.push((format!("CCELAB_{k}_ADDRESS"), h.address.to_string()));
            env.push((format!("CCELAB_{k}_FQDN"), h.fqdn.clone()));
            env.push((
                format!("CCELAB_{k}_DISK"),
                h.disk.root().display().to_string(),
            ));
            for p in [80u16, 389, 443, 636, 3268, 3269] {
                if let Some(b) = self.lab.bound_port(&h.name, p) {
                    env.push((format!("CCELAB_{k}_PORT_{p}"), b.to_string()));
                }
            }
        }
        env
    }

    /// Redacts what changes between runs: the directory, the ephemeral
    /// ports, dates (written relative to the clock's start: `{date}`,
    /// `{date+31d}`, also inside Java and HTTP dates) and the fingerprints
    /// of certificates minted during the run (they embed those dates).
    pub fn redact(&self, text: &str) -> String {
        let mut t = text.replace(&self.dir.display().to_string(), "{dir}");
        let start = time::Date::parse(
            &self.date,
            &time::format_description::well_known::Iso8601::DATE,
        )
        .ok();
        let rel = |y: i32, m: u8, d: u8| -> Option<String> {
            let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
            let n = (date - start?).whole_days();
            Some(match n {
                0 => "{date}".to_string(),
                n if n > 0 => format!("{{date+{n}d}}"),
                n => format!("{{date{n}d}}"),
            })
        };
        const MONTHS: &str = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec";
        let month = |m: &str| {
            MONTHS
                .split('|')
                .position(|x| x == m)
                .map(|i| i as u8 + 1)
                .unwrap_or(1)
        };
        let num = |c: &regex::Captures, i: usize| c[i].parse::<i32>().unwrap_or(0);
        {
            t = re_static!(
                r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{2}) (\d{2}:\d{2}:\d{2}) UTC (\d{4})"
            )
                .replace_all(&t, |c: &regex::Captures| {
                    let d = rel(num(c, 4), month(&c[1]), num(c, 2) as u8);
                    format!("{} {} UTC", d.unwrap_or_else(|| c[0].to_string()), &c[3])
                })
                .into_owned();
        }
        {
            t = re_static!(r"\b(\d{4})-(\d{2})-(\d{2})")
                .replace_all(&t, |c: &regex::Captures| {
                    rel(num(c, 1), num(c, 2) as u8, num(c, 3) as u8)
                        .unwrap_or_else(|| c[0].to_string())
                })
                .into_owned();
        }
        {
            t = re_static!(
                r"\b(\d{2})-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d{4})\b"
            )
            .replace_all(&t, |c: &regex::Captures| {
                rel(num(c, 3), month(&c[2]), num(c, 1) as u8).unwrap_or_else(|| c[0].to_string())
            })
            .into_owned();
        }
        // HTTP dates (the emulated servers' Date headers, from the topology clock)
        {
            t = re_static!(
                r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}:\d{2}:\d{2}) GMT"
            )
                .replace_all(&t, |c: &regex::Captures| {
                    let d = rel(num(c, 3), month(&c[2]), num(c, 1) as u8);
                    format!("{} {} GMT", d.unwrap_or_else(|| c[0].to_string()), &c[4])
                })
                .into_owned();
        }
        {
            t = re_static!(r"\b(?:[0-9A-F]{2}:){31}[0-9A-F]{2}\b")
                .replace_all(&t, "{sha256}")
                .into_owned();
        }
        // SHA-1 thumbprints (IIS names the PFX of a certificate by it: F22)
        {
            t = re_static!(r"\b[0-9A-Fa-f]{40}\b")
                .replace_all(&t, "{thumbprint}")
                .into_owned();
        }
        let ports: Vec<u16> = self
            .lab
            .topo
            .hosts
            .iter()
            .flat_map(|h| {
                [80u16, 389, 443, 636, 3268, 3269]
                    .into_iter()
                    .filter_map(|p| self.lab.bound_port(&h.name, p))
            })
            .chain([self.control.addr.port()])
            .collect();
        for p in ports {
            if p > 1024 {
                t = t.replace(&format!(":{p}"), ":{port}");
            }
        }
        t
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
            .ok_or_else(|| format!("no host `{host}`"))?;
        let p = self
            .lab
            .bound_port(&h.name, port)
            .ok_or_else(|| format!("{host} does not serve port {port}"))?;
        Ok(SocketAddr::from((h.address, p)))
    }

    /// "Email and Chat" card on `ads`, as the topology's administrator.
    pub async fn open_gadget(&self, ads: &str) -> crate::lab::GadgetOutcome {
        match self.lab.open_gadget(ads, None).await {
            Ok(o) => o,
            Err(e) => crate::lab::GadgetOutcome {
                ok: false,
                message: e.to_string(),
                logged: vec![],
                log_file: None,
                console: vec![],
            },
        }
    }

    /// Runs one step written in the scenario format (`do = "restart"\nhost = "ads-a"`).
    pub async fn step_toml(&self, toml_text: &str) -> Result<StepOutcome, String> {
        #[derive(Deserialize)]
        struct One {
            step: Vec<Step>,
        }
        let one: One =
            toml::from_str(&format!("[[step]]\n{toml_text}")).map_err(|e| e.to_string())?;
        let step = one.step.into_iter().next().ok_or("no step")?;
        Ok(self.step(&step).await)
    }

    /// A Windows path on a host's disk (`%JAVA_HOME%`, `{ECE_HOME}` expand).
    pub fn disk_path(&self, host: &str, win: &str) -> Result<PathBuf, String> {
        let h = self
            .lab
            .topo
            .host(host)
            .ok_or_else(|| format!("no host `{host}`"))?;
        h.disk
            .path(&self.substitute(win)?)
            .map_err(|e| e.to_string())
    }

    /// Runs one step.
    pub async fn step(&self, s: &Step) -> StepOutcome {
        let seq_tls = self.lab.events.next_seq();
        let seq_ad = self.lab.dc.as_ref().map_or(0, |d| d.events().next_seq());
        let mut o = match self.act(s).await {
            Ok(o) => o,
            Err(e) => StepOutcome {
                ok: false,
                shows: e,
                ..StepOutcome::default()
            },
        };
        o.events = self
            .lab
            .events
            .since(seq_tls)
            .into_iter()
            .map(|(_, e)| {
                format!(
                    "tls {} sni={} {:?}",
                    e.local.ip(),
                    e.sni.as_deref().unwrap_or("-"),
                    e.outcome
                )
            })
            .chain(self.lab.dc.iter().flat_map(|d| {
                d.events().since(seq_ad).into_iter().map(|(_, e)| {
                    format!(
                        "ldap {} {}{} → {} from {}",
                        e.port,
                        e.op,
                        if e.target.is_empty() {
                            String::new()
                        } else {
                            format!(" {}", e.target)
                        },
                        e.code.map_or("-".to_string(), |c| c.to_string()),
                        e.peer.ip()
                    )
                })
            }))
            .collect();
        o
    }

    async fn act(&self, s: &Step) -> Result<StepOutcome, String> {
        let lab = &self.lab;
        let sub = |v: &Option<String>| -> Result<String, String> {
            self.substitute(v.as_deref().unwrap_or(""))
        };
        let done = |r: Result<String, String>| match r {
            Ok(m) => StepOutcome {
                ok: true,
                shows: m,
                ..StepOutcome::default()
            },
            Err(m) => StepOutcome {
                ok: false,
                shows: m,
                ..StepOutcome::default()
            },
        };
        let host = sub(&s.host)?;
        Ok(match s.action.get_ref().as_str() {
            "open-gadget" => {
                let ads = s.ads.clone().unwrap_or_else(|| "ads-a".into());
                let g = lab
                    .open_gadget(&ads, s.user.as_deref())
                    .await
                    .map_err(|e| e.to_string())?;
                let mut shows = g.message.clone();
                for c in &g.console {
                    shows.push_str(&format!("\nbrowser console: {c}"));
                }
                StepOutcome {
                    ok: g.ok,
                    shows,
                    logged: g.logged,
                    ..StepOutcome::default()
                }
            }
            "restart" => done(
                lab.restart(&host)
                    .await
                    .map(|_| format!("restarted {host}"))
                    .map_err(|e| e.to_string()),
            ),
            a @ ("stop" | "start") => done(
                lab.set_service(&host, &sub(&s.service)?, a == "start")
                    .await
                    .map(|_| format!("{a} {} on {host}", sub(&s.service).unwrap_or_default()))
                    .map_err(|e| e.to_string()),
            ),
            "keytool" | "run" => {
                let mut argv: Vec<String> = if s.action.get_ref() == "keytool" {
                    vec!["keytool".into()]
                } else {
                    vec![]
                };
                for a in s.args.iter().chain(s.command.iter()).flatten() {
                    argv.push(self.substitute(a)?);
                }
                self.run_command(argv).await?
            }
            "store-delete" => {
                let path = self.disk_path(&host, s.path.as_deref().unwrap_or(""))?;
                let pw = s.password.clone().unwrap_or_else(|| "changeit".into());
                let alias = sub(&s.alias)?;
                done(edit_store(&path, &pw, |ks| {
                    ks.delete(&alias).map(|_| format!("deleted {alias}"))
                }))
            }
            "store-import" => {
                let path = self.disk_path(&host, s.path.as_deref().unwrap_or(""))?;
                let pw = s.password.clone().unwrap_or_else(|| "changeit".into());
                let alias = sub(&s.alias)?;
                let t = &lab.topo;
                let cert = match s.cert.as_deref().unwrap_or("") {
                    "root" => t.root.cert.clone(),
                    "issuing" => t.issuing.cert.clone(),
                    "ece-web" => t.ece_web.cert.clone(),
                    "dc" => t.dc.cert.clone(),
                    other => {
                        return Err(format!("cert `{other}`: one of root, issuing, ece-web, dc"))
                    }
                };
                let now = t.clock.now();
                done(edit_store(&path, &pw, |ks| {
                    ks.import_cert(&alias, cert.clone(), now)
                        .map(|_| format!("imported {alias}"))
                }))
            }
            "write-file" => {
                let path = self.disk_path(&host, s.path.as_deref().unwrap_or(""))?;
                let text = sub(&s.text)?;
                done(
                    ccelab_emulators::stores::write_atomic(&path, text.as_bytes())
                        .map(|_| "written".to_string())
                        .map_err(|e| e.to_string()),
                )
            }
            "edit-file" => {
                let path = self.disk_path(&host, s.path.as_deref().unwrap_or(""))?;
                let r = s.replace.clone().unwrap_or_default();
                let [old, new] = r.as_slice() else {
                    return Err("`replace` needs [\"old\", \"new\"]".into());
                };
                let (old, new) = (self.substitute(old)?, self.substitute(new)?);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                if !text.contains(&old) {
                    return Err(format!("{}: `{old}` is not in the file", path.display()));
                }
                done(
                    ccelab_emulators::stores::write_atomic(
                        &path,
                        text.replace(&old, &new).as_bytes(),
                    )
                    .map(|_| "edited".to_string())
                    .map_err(|e| e.to_string()),
                )
            }
            "inventory-web-server" => done(
                lab.set_inventory_web_server(
                    &sub(&s.name)?,
                    s.user.as_deref(),
                    s.password.as_deref(),
                )
                .map(|_| "saved".to_string()),
            ),
            "ece-password" => done(
                lab.set_ece_password(&sub(&s.user)?, &sub(&s.password)?)
                    .map(|_| "password changed".to_string()),
            ),
            "awdb" => done(lab.save_awdb(
                &sub(&s.server)?,
                s.port.unwrap_or(1433),
                &sub(&s.database)?,
                &sub(&s.login)?,
                &sub(&s.password)?,
            )),
            "integration-save" => done(lab.save_integration(
                &sub(&s.app_instance)?,
                s.agent_pgs.as_deref().unwrap_or(&[]),
            )),
            "agent-enable" => done(lab.enable_agent(&sub(&s.agent)?, &sub(&s.screen_name)?)),
            "create-department" => done(lab.create_department(&sub(&s.name)?)),
            "binding" => done(
                lab.set_binding(&sub(&s.host_name)?, s.require_sni.unwrap_or(false))
                    .await
                    .map(|_| "binding saved".to_string())
                    .map_err(|e| e.to_string()),
            ),
            "cert-replace" => done(
                lab.replace_web_cert(s.self_signed.unwrap_or(false))
                    .await
                    .map(|fp| format!("new certificate SHA-256 {fp}"))
                    .map_err(|e| e.to_string()),
            ),
            "partition-admin" => {
                let mut cfg = lab
                    .partition_admin()
                    .ok_or("this topology has no ECE application server")?;
                for (v, f) in [
                    (&s.ldap_url, &mut cfg.ldap_url),
                    (&s.dn_attribute, &mut cfg.dn_attribute),
                    (&s.base, &mut cfg.base),
                    (&s.search_dn, &mut cfg.search_dn),
                    (&s.password, &mut cfg.password),
                    (&s.keystore_location, &mut cfg.keystore_location),
                ] {
                    if let Some(v) = v {
                        *f = self.substitute(v)?;
                    }
                }
                if let Some(b) = s.enable_ssl {
                    cfg.enable_ssl = b;
                }
                done(lab.set_partition_admin(cfg).map(|_| "saved".to_string()))
            }
            "trace-level" => done(
                lab.set_trace_level(
                    s.service.as_deref().unwrap_or("ApplicationServer"),
                    Some(host.as_str()).filter(|h| !h.is_empty()),
                    s.level.unwrap_or(0),
                    s.minutes,
                )
                .map(|_| {
                    let on = if host.is_empty() {
                        String::new()
                    } else {
                        format!(" on {host}")
                    };
                    format!("trace level {}{on}", s.level.unwrap_or(0))
                }),
            ),
            "ad-policy" => {
                let dc = lab.dc.as_ref().ok_or("this topology has no AD DC")?;
                dc.update_policy(|p| {
                    if let Some(v) = s.require_signing {
                        p.require_signing = v;
                    }
                    if let Some(v) = s.allow_anonymous {
                        p.allow_anonymous = v;
                    }
                });
                done(Ok("policy saved".into()))
            }
            "ad-fault" => {
                let dc = lab.dc.as_ref().ok_or("this topology has no AD DC")?;
                let f = sub(&s.fault)?;
                let fault = match f.as_str() {
                    "none" => None,
                    other => Some(
                        ccelab_emulators::ad_dc::BindFault::parse(other)
                            .ok_or(format!("unknown fault `{other}`"))?,
                    ),
                };
                let user = sub(&s.user)?;
                done(
                    dc.update_directory(|d| d.set_bind_fault(&user, fault))
                        .map(|_| format!("{user}: fault {f}"))
                        .map_err(|e| e.to_string()),
                )
            }
            "clock-advance" => {
                let by = sub(&s.by)?;
                let now = lab.topo.clock.now();
                let t = ccelab_emulators::clock::parse_time(
                    &format!("+{}", by.trim_start_matches('+')),
                    now,
                )?;
                done(if t > now && lab.topo.clock.advance(t - now) {
                    Ok(format!("clock +{by}"))
                } else {
                    Err("the clock cannot move (system clock)".into())
                })
            }
            other => return Err(format!("unknown action `{other}`")),
        })
    }

    /// Runs an external command as `ccelab exec` does (private mount
    /// namespace with the topology's hosts file, where one can be made);
    /// killed after [`COMMAND_TIMEOUT`].
    async fn run_command(&self, argv: Vec<String>) -> Result<StepOutcome, String> {
        if argv.is_empty() {
            return Err("an empty command".into());
        }
        let mut cmd = tokio::process::Command::from(crate::cli::exec::command(
            &self.dir,
            &self.dir.join("hosts"),
            &argv,
        ));
        cmd.envs(self.env())
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        let out = match tokio::time::timeout(COMMAND_TIMEOUT, cmd.output()).await {
            Err(_) => {
                return Err(format!(
                    "`{}` did not finish within {} s (killed)",
                    argv.join(" "),
                    COMMAND_TIMEOUT.as_secs()
                ))
            }
            Ok(r) => r.map_err(|e| format!("cannot run `{}`: {e}", argv[0]))?,
        };
        let code = out.status.code().unwrap_or(128);
        Ok(StepOutcome {
            ok: code == 0,
            shows: String::new(),
            exit: Some(code),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            ..StepOutcome::default()
        })
    }

    /// Checks `e` against an outcome (None: the end of the scenario).
    fn check(&self, at: &str, e: &Expect, o: Option<&StepOutcome>) -> Vec<Mismatch> {
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
            if let Some(t) = &e.shows {
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
            if let Some(t) = &e.stdout {
                if !o.stdout.contains(t.as_str()) {
                    miss(format!("stdout has `{t}`"), o.stdout.clone(), None);
                }
            }
            if let Some(t) = &e.stderr {
                if !o.stderr.contains(t.as_str()) {
                    miss(format!("stderr has `{t}`"), o.stderr.clone(), None);
                }
            }
            if let Some(t) = &e.event {
                if !o.events.iter().any(|ev| ev.contains(t.as_str())) {
                    miss(format!("an event with `{t}`"), o.events.join("\n"), None);
                }
            }
        }
        for l in &e.log {
            let (files, text) = self.read_logs(&l.host, &l.file);
            let file = Some(files.clone());
            if let Some(c) = &l.contains {
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
            if let Some(a) = &l.absent {
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
                .and_then(|p| std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display())))
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
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .collect::<String>();
        (path.display().to_string(), text)
    }
}

fn edit_store(
    path: &Path,
    pw: &str,
    f: impl FnOnce(&mut Keystore) -> Result<String, ccelab_emulators::stores::StoreError>,
) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut ks = Keystore::load(&bytes, Some(pw)).map_err(|e| e.keytool_line())?;
    let msg = f(&mut ks).map_err(|e| e.keytool_line())?;
    ks.save(path, pw, None)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(msg)
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

fn last_lines(s: &str) -> String {
    let v: Vec<&str> = s.lines().collect();
    v[v.len().saturating_sub(5)..].join("\n")
}

/// Describes a step for the transcript.
fn describe(s: &Step) -> String {
    let mut parts = vec![s.action.get_ref().clone()];
    let mut kv = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            parts.push(format!("{k}={v}"));
        }
    };
    kv("host", &s.host);
    kv("ads", &s.ads);
    kv("user", &s.user);
    kv("service", &s.service);
    kv("name", &s.name);
    kv("path", &s.path);
    kv("alias", &s.alias);
    kv("cert", &s.cert);
    kv("host_name", &s.host_name);
    kv("app_instance", &s.app_instance);
    kv("agent", &s.agent);
    kv("ldap_url", &s.ldap_url);
    kv("base", &s.base);
    kv("search_dn", &s.search_dn);
    kv("keystore_location", &s.keystore_location);
    kv("fault", &s.fault);
    kv("by", &s.by);
    if let Some(a) = s.args.as_ref().or(s.command.as_ref()) {
        parts.push(a.join(" "));
    }
    if let Some(l) = s.level {
        parts.push(format!("level={l}"));
    }
    for (k, v) in [
        ("require_sni", s.require_sni),
        ("self_signed", s.self_signed),
        ("enable_ssl", s.enable_ssl),
        ("require_signing", s.require_signing),
        ("allow_anonymous", s.allow_anonymous),
    ] {
        if let Some(v) = v {
            parts.push(format!("{k}={v}"));
        }
    }
    parts.join(" ")
}

/// Runs a scenario in `dir` (created; left for inspection) and reports.
pub async fn run(s: &Scenario, dir: &Path) -> Report {
    let started = std::time::Instant::now();
    let mut t = vec![
        format!("scenario {}: {}", s.id, s.title),
        format!("source: {}", s.source),
    ];
    let mut mismatches = Vec::new();
    let run = match Run::start(s, dir).await {
        Ok(r) => r,
        Err(e) => {
            t.push(format!("given: cannot start: {e}"));
            return Report {
                id: s.id.clone(),
                title: s.title.clone(),
                path: s.path.display().to_string(),
                passed: false,
                mismatches: vec![Mismatch {
                    at: "given".into(),
                    expected: "a running topology".into(),
                    actual: e,
                    file: None,
                }],
                transcript: t.join("\n") + "\n",
                millis: started.elapsed().as_millis(),
            };
        }
    };
    t.push(format!(
        "given: {} ({} hosts), clock {}",
        run.lab.topo.preset,
        run.lab.topo.hosts.len(),
        run.redact(
            &run.lab
                .topo
                .clock
                .now()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        )
    ));
    for (i, step) in s.steps.iter().enumerate() {
        let o = run.step(step).await;
        let at = format!("step {}", i + 1);
        let verdict = match o.exit {
            Some(c) => format!("exit {c}"),
            None if o.ok => "ok".into(),
            None => "FAILED for the user".into(),
        };
        t.push(format!(
            "{}. {} → {verdict}",
            i + 1,
            run.redact(&describe(step))
        ));
        if let Some(n) = &step.note {
            t.push(format!("   note: {n}"));
        }
        for l in o.shows.lines().filter(|l| !l.is_empty()) {
            t.push(format!("   shows: {}", run.redact(l)));
        }
        for l in o.logged.iter() {
            t.push(format!("   logged: {}", run.redact(l)));
        }
        if o.exit.is_some() {
            for (name, text) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
                for l in text.lines().filter(|l| !l.trim().is_empty()).take(12) {
                    t.push(format!("   {name}: {}", run.redact(l)));
                }
            }
        }
        let mm = run.check(&at, &step.expect, Some(&o));
        for m in &mm {
            t.push(format!("   MISMATCH: expected {}", m.expected));
        }
        mismatches.extend(mm);
    }
    let mm = run.check("end", &s.expect, None);
    for m in &mm {
        t.push(format!("end MISMATCH: expected {}", m.expected));
    }
    mismatches.extend(mm);
    let passed = mismatches.is_empty();
    t.push(format!("result: {}", if passed { "pass" } else { "FAIL" }));
    Report {
        id: s.id.clone(),
        title: s.title.clone(),
        path: s.path.display().to_string(),
        passed,
        mismatches: mismatches
            .into_iter()
            .map(|m| Mismatch {
                actual: run.redact(&m.actual),
                ..m
            })
            .collect(),
        transcript: t.join("\n") + "\n",
        millis: started.elapsed().as_millis(),
    }
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

/// A file-name-safe form of an id.
pub fn sanitize(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The catalog (`docs/scenarios.md`): every scenario, and the failure modes
/// of topology.md §5 that no scenario expresses yet, marked pending with why.
pub fn catalog(scenarios: &[Scenario], pending: &[(&str, &str, &str)]) -> String {
    let esc = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut out = String::from(
        "# Scenario catalog\n\nGenerated by `ccelab scenario catalog scenarios > docs/scenarios.md` from the files in `scenarios/` (a test keeps it in sync). Run them with `ccelab scenario run scenarios`; `cargo test` runs every one and checks its transcript in `snapshots/`.\n\n| id | failure | title | what the user sees | where it is logged | fix | source | file |\n|---|---|---|---|---|---|---|---|\n",
    );
    let mut by_failure: BTreeMap<String, Vec<&Scenario>> = BTreeMap::new();
    for s in scenarios {
        by_failure
            .entry(s.failure.clone().unwrap_or_default())
            .or_default()
            .push(s);
    }
    for s in scenarios {
        let file = s
            .path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | [{file}](../scenarios/{file}) |\n",
            esc(&s.id),
            esc(s.failure.as_deref().unwrap_or("—")),
            esc(&s.title),
            esc(s.symptom.as_deref().unwrap_or("—")),
            esc(s.logged.as_deref().unwrap_or("—")),
            esc(s.fix.as_deref().unwrap_or("—")),
            esc(&s.source),
        ));
    }
    out.push_str("\n## Pending\n\nFailure modes of topology.md §5 whose emulators have not landed; no scenario fakes them.\n\n| failure | what | waits for |\n|---|---|---|\n");
    for (f, what, why) in pending {
        if !by_failure.contains_key(*f) {
            out.push_str(&format!("| {f} | {} | {} |\n", esc(what), esc(why)));
        }
    }
    out
}

/// The failure modes no emulator expresses yet (topology.md §5).
pub const PENDING: &[(&str, &str, &str)] = &[
    ("F17", "Finesse / IdS / CVP reporting certificate CN ≠ FQDN in the inventory", "the Finesse, IdS and CVP reporting server emulators"),
    ("F18", "Live Data certificate not accepted / not uploaded to Finesse tomcat-trust / Finesse Tomcat not restarted", "the CUIC (Live Data) and Finesse emulators"),
    ("F19", "AW certificate not in a CVP server's .keystore", "the CVP call server emulator"),
    ("F23", "load balancer without sticky sessions", "the load balancer emulator and several web servers"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_line_and_column() {
        let p = Path::new("s.toml");
        let e = Scenario::parse(p, "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\nbogus = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.toml:4:1: unknown field `bogus`"), "{e}");
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[[step]]\ndo = \"restart\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("s.toml:5:6: step 1: `do = \"restart\"` needs `host`"),
            "{e}"
        );
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[[step]]\ndo = \"dance\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("step 1: unknown action `dance`"), "{e}");
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[given]\npreset = \"pcce-2000\"\n[given.ece_web]\nfqdm = \"a\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("s.toml:7:1: given: unknown field `fqdm`"),
            "{e}"
        );
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[[step]]\ndo = \"open-gadget\"\nexpect = { oops = 1 }\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown field `oops`"), "{e}");
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[expect]\nok = true\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("s.toml:4:1: the final [expect] checks the disks only"),
            "{e}"
        );
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let d = tempfile::tempdir().unwrap();
        for f in ["a.toml", "b.toml"] {
            std::fs::write(
                d.path().join(f),
                "id = \"F1.x\"\ntitle = \"t\"\nsource = \"s\"\n",
            )
            .unwrap();
        }
        let e = Scenario::discover(&[d.path().to_path_buf()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("b.toml: id `F1.x` is already used by") && e.contains("a.toml"),
            "{e}"
        );
    }
}

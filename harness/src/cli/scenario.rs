//! `ccelab scenario list|run|catalog`: the scenario files of `scenarios/`
//! (see `crate::scenario` for the format). `run` starts each scenario on a
//! topology of its own (ephemeral ports, `--jobs` at a time; with
//! `--containers`, one container per host), prints a
//! progress line per scenario and, for a failure, expected versus actual and
//! the log file to look at; exit 1 when any scenario fails.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::Failure;
use crate::scenario::{self, Scenario};

/// The subcommands of `ccelab scenario`.
#[derive(Subcommand, Debug)]
pub(crate) enum ScenarioCommand {
    /// List the scenarios (id, failure mode, title, file).
    List(ListArgs),
    /// Run scenarios; exit 1 if any fails.
    Run(RunArgs),
    /// Print the catalog (docs/scenarios.md) as Markdown.
    Catalog(ListArgs),
}

/// The options of `ccelab scenario list` and `ccelab scenario catalog`.
#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    /// Scenario files or directories of them.
    #[arg(default_value = "scenarios")]
    paths: Vec<PathBuf>,
}

/// The options of `ccelab scenario run`.
#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// Scenario files or directories of them.
    #[arg(default_value = "scenarios")]
    paths: Vec<PathBuf>,
    /// Only scenarios whose id, title or tags contain this text.
    #[arg(long)]
    filter: Option<String>,
    /// How many scenarios run at once.
    #[arg(long, default_value_t = 4)]
    jobs: usize,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Write a JSON report (every transcript and mismatch) here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Where the scenarios' topologies go (kept for inspection; default: a
    /// temporary directory, removed afterwards).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Print every transcript.
    #[arg(long)]
    verbose: bool,
    /// Run each scenario's hosts one container per host (see `ccelab up
    /// --containers`; the image is built with `ccelab image build`): the
    /// same steps and expectations, each action done in the container of
    /// the host it acts on.
    #[arg(long)]
    containers: bool,
    /// The image the hosts' containers run (with --containers).
    #[arg(long, default_value = crate::container::IMAGE, requires = "containers")]
    image: String,
    /// Real headless Chromium beside every scenario that names a
    /// `screenshot` on a step: it follows the browser steps
    /// (accept-certificate, open-gadget, finesse-desktop), must show and log
    /// what ccelab predicts, and saves the screenshots in DIR (created).
    /// Needs Debian's chromium and libnss3-tools; not with --containers.
    #[arg(long, value_name = "DIR", conflicts_with = "containers")]
    screenshots: Option<PathBuf>,
}

fn load(paths: &[PathBuf]) -> Result<Vec<Scenario>, Failure> {
    Scenario::discover(paths).map_err(|e| Failure::new(e.location, e.message))
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Runs a `ccelab scenario` subcommand; Ok(1) when a scenario failed.
pub(crate) fn run(c: ScenarioCommand) -> Result<i32, Failure> {
    match c {
        ScenarioCommand::List(a) => {
            for s in load(&a.paths)? {
                out!(
                    "{:<10} {:<5} {}  ({})",
                    s.id,
                    s.failure.as_deref().unwrap_or("-"),
                    s.title,
                    s.path.display()
                );
            }
            Ok(0)
        }
        ScenarioCommand::Catalog(a) => {
            out!(
                "{}",
                scenario::catalog(&load(&a.paths)?, scenario::PENDING).trim_end()
            );
            Ok(0)
        }
        ScenarioCommand::Run(a) => {
            let all = load(&a.paths)?;
            let chosen: Vec<Scenario> = all
                .into_iter()
                .filter(|s| {
                    a.filter.as_deref().is_none_or(|f| {
                        s.id.contains(f)
                            || s.title.contains(f)
                            || s.tags.iter().any(|t| t.contains(f))
                    })
                })
                .collect();
            if chosen.is_empty() {
                return Err(Failure::new("scenario run", "no scenario matches"));
            }
            if let Some(d) = &a.screenshots {
                for tool in [crate::chromium::CHROMIUM, "/usr/bin/certutil"] {
                    if !std::path::Path::new(tool).exists() {
                        return Err(Failure::new(
                            "--screenshots",
                            format!("{tool} is not installed (Debian: apt-get install chromium libnss3-tools; bash .ci/run installs them)"),
                        ));
                    }
                }
                std::fs::create_dir_all(d).map_err(|e| Failure::file(d, e))?;
            }
            ccelab_emulators::pki::warm_up();
            let tmp;
            let root = match &a.dir {
                Some(d) => d.clone(),
                None => {
                    tmp = tempdir()?;
                    tmp.0.clone()
                }
            };
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .map_err(|e| Failure::new("runtime", e))?;
            let started = std::time::Instant::now();
            let total = chosen.len();
            let mut n = 0;
            let backend = if a.containers {
                scenario::Backend::Containers {
                    image: a.image.clone(),
                }
            } else {
                scenario::Backend::InProcess
            };
            let shots = a.screenshots.as_deref();
            let all = scenario::run_all_progress(&chosen, &root, a.jobs, &backend, shots, |r| {
                n += 1;
                out!(
                    "[{n}/{total}] {} {:<10} {} ({} ms)",
                    if r.passed { "pass" } else { "FAIL" },
                    r.id,
                    r.title,
                    r.millis
                );
            });
            // Ctrl-C or SIGTERM: the runs are cancelled with the runtime,
            // which stops their hosts and removes the containers
            let reports = rt.block_on(async {
                tokio::select! {
                    r = all => Some(r),
                    why = super::host::stop_signal() => {
                        out!("ccelab scenario run: {why}: stopping the scenarios and removing their containers");
                        None
                    }
                }
            });
            let Some(reports) = reports else {
                rt.shutdown_timeout(std::time::Duration::from_secs(60));
                return Ok(130);
            };
            let mut failed = 0;
            for r in &reports {
                if a.verbose || !r.passed {
                    out!(
                        "{} {}: {}",
                        if r.passed { "pass" } else { "FAIL" },
                        r.id,
                        r.path
                    );
                    for l in r.transcript.lines() {
                        out!("    | {l}");
                    }
                }
                for m in &r.mismatches {
                    out!("    {}: expected {}", m.at, m.expected);
                    for l in m.actual.lines().take(8) {
                        out!("      actual: {l}");
                    }
                    if let Some(f) = &m.file {
                        out!("      see {f}");
                    }
                }
                if !r.passed {
                    failed += 1;
                }
            }
            if let Some(d) = &a.screenshots {
                for s in &chosen {
                    for f in scenario::browser::screenshots(s) {
                        let file = d.join(f);
                        if file.is_file() {
                            out!("screenshot {}: {}", s.id, file.display());
                        }
                    }
                }
            }
            out!(
                "{} scenarios, {} passed, {failed} failed in {} ms",
                reports.len(),
                reports.len() - failed,
                started.elapsed().as_millis()
            );
            if let Some(f) = &a.json {
                let text = serde_json::to_string_pretty(&reports).unwrap_or_default();
                ccelab_emulators::stores::write_atomic(f, text.as_bytes())
                    .map_err(|e| Failure::file(f, e))?;
            }
            if let Some(f) = &a.junit {
                let mut x = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"ccelab scenarios\" tests=\"{}\" failures=\"{failed}\">\n",
                    reports.len()
                );
                for r in &reports {
                    x.push_str(&format!(
                        "  <testcase classname=\"ccelab.scenario\" name=\"{}\" time=\"{:.3}\">\n",
                        xml(&format!("{}: {}", r.id, r.title)),
                        r.millis as f64 / 1000.0
                    ));
                    for m in &r.mismatches {
                        x.push_str(&format!(
                            "    <failure message=\"{}\">{}</failure>\n",
                            xml(&format!("{}: expected {}", m.at, m.expected)),
                            xml(&m.actual)
                        ));
                    }
                    x.push_str(&format!(
                        "    <system-out>{}</system-out>\n  </testcase>\n",
                        xml(&r.transcript)
                    ));
                }
                x.push_str("</testsuite>\n");
                ccelab_emulators::stores::write_atomic(f, x.as_bytes())
                    .map_err(|e| Failure::file(f, e))?;
            }
            Ok(if failed > 0 { 1 } else { 0 })
        }
    }
}

/// A temporary directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir() -> Result<TempDir, Failure> {
    let base = scenario::scratch_base().join(format!(
        "ccelab-scenarios-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&base).map_err(|e| Failure::file(&base, e))?;
    Ok(TempDir(base))
}

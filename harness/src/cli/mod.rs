//! The command line: `ccelab up|ctl|exec|scenario|reproduce|graph|pki|store|check|serve|host|image|compose`.
//!
//! Conventions for every command: `--help` explains it; bad input (a
//! truncated or garbage file, a wrong password, a key where a certificate is
//! expected, a missing alias) prints ONE line `ccelab: <file>: <problem>` on
//! stderr and exits 2; output files are written whole or not at all
//! (temporary file, then rename); nothing is overwritten unless asked.

/// `println!` that does not panic when stdout is closed (`ccelab … | head`).
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($t)*);
    }};
}

mod check;
mod compose;
mod ctl;
pub mod exec;
mod graph;
mod host;
mod image;
mod pki;
mod reproduce;
mod scenario;
mod serve;
mod slot;
mod store;
mod up;

use std::ffi::OsString;
use std::fmt;
use std::path::Path;

use clap::{Parser, Subcommand};

/// ccelab: an emulator and test harness of a Cisco Packaged/Unified CCE 12.x
/// contact-center topology.
#[derive(Parser, Debug)]
#[command(name = "ccelab", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Build a topology (preset pcce-2000, pcce-4000 or ece-400-ha, or --topology FILE), write
    /// every host's disk, start its services and control API, write
    /// DIR/topology.json; serve until Ctrl-C.
    Up(up::UpArgs),
    /// Manage a running topology: status, events, restart, services, the user
    /// actions of SPOG and ECE, the inventory, AD knobs, the clock.
    Ctl(ctl::CtlArgs),
    /// Run a client tool with the topology's FQDNs resolving to the emulated hosts
    /// (private mount namespace with DIR/hosts as /etc/hosts).
    Exec(exec::ExecArgs),
    /// Make CAs, certificates and CSRs, and sign CSRs as a Microsoft CA does.
    #[command(subcommand)]
    Pki(pki::PkiCommand),
    /// Read and edit key/trust stores (JKS, JCEKS, PKCS#12, PEM, DER) as keytool does.
    #[command(subcommand)]
    Store(store::StoreCommand),
    /// Say what a client (java, openssl, curl, browser) would say about a server or a
    /// chain, with its exact text. Exit 0: it would accept; 1: it would refuse; 2: bad input.
    Check(check::CheckArgs),
    /// Serve one HTTPS site with IIS binding semantics from a certificate directory
    /// (loopback by default; stops by itself after --duration).
    Serve(serve::ServeArgs),
    /// Run one host of a deployment from its disk (DIR/containers.toml and
    /// DIR/disks/NAME): the entry point of the host's container. Logs to
    /// stdout; stops cleanly on SIGTERM.
    Host(host::HostArgs),
    /// Hold a host's address on the containers' network until SIGTERM (the
    /// host's "machine"; its product's container joins its network).
    #[command(hide = true)]
    Pause,
    /// A host's container kept between scenarios: runs, on demand, the host
    /// of a lab folder at this address (`ccelab scenario run --containers`).
    #[command(hide = true)]
    Slot(slot::SlotArgs),
    /// The image the hosts' containers run: FROM scratch, a static ccelab.
    #[command(subcommand)]
    Image(image::ImageCommand),
    /// Write a topology's disks and a docker-compose.yml that runs one
    /// container per host (as `ccelab up --containers` does).
    Compose(compose::ComposeArgs),
    /// Scenario files (scenarios/): list them, run them (each on its own
    /// topology, in parallel), print the catalog.
    #[command(subcommand)]
    Scenario(scenario::ScenarioCommand),
    /// Rebuild a customer's deployment from their files (certificates, cacerts,
    /// applicationHost.config, spog_config.js) with twin certificates, run it, and say which
    /// failure modes fire and their fixes.
    Reproduce(reproduce::ReproduceArgs),
    /// Draw the trust graph: hosts, the certificates they present, the stores they trust, and
    /// every client → server TLS connection coloured by the client's verdict (html, svg, dot, json).
    Graph(graph::GraphArgs),
}

/// A failure to report: the file (or other subject) it concerns and the problem.
#[derive(Debug)]
pub struct Failure {
    /// What it concerns: a file's path, an option (`--serial`), a URL.
    pub subject: String,
    /// What is wrong with it (printed on one line).
    pub problem: String,
}

impl Failure {
    /// A failure about `subject` (a path, an option, a URL).
    pub fn new(subject: impl fmt::Display, problem: impl fmt::Display) -> Self {
        Failure {
            subject: subject.to_string(),
            problem: problem.to_string(),
        }
    }

    /// A failure about the file at `path`.
    pub fn file(path: &Path, problem: impl fmt::Display) -> Self {
        Self::new(path.display(), problem)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // one line, whatever the problem text holds
        let problem = self.problem.replace(['\n', '\r'], " ");
        write!(f, "ccelab: {}: {}", self.subject, problem)
    }
}

/// The result of a command that has no exit code of its own (0 when it worked).
pub type CliResult = Result<(), Failure>;

/// Runs the command line; returns the process exit code.
pub fn main<I: IntoIterator<Item = OsString>>(args: I) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let result = match cli.command {
        Command::Pki(c) => pki::run(c).map(|()| 0),
        Command::Store(c) => store::run(c).map(|()| 0),
        Command::Check(c) => check::run(c),
        Command::Serve(c) => serve::run(c),
        Command::Up(c) => up::run(c),
        Command::Ctl(c) => ctl::run(c),
        Command::Exec(c) => exec::run(c),
        Command::Scenario(c) => scenario::run(c),
        Command::Host(c) => host::run(c),
        Command::Pause => host::pause(),
        Command::Slot(c) => slot::run(c),
        Command::Image(c) => image::run(c),
        Command::Compose(c) => compose::run(c),
        Command::Reproduce(c) => reproduce::run(c),
        Command::Graph(c) => graph::run(c),
    };
    match result {
        Ok(code) => code,
        Err(f) => {
            eprintln!("{f}");
            2
        }
    }
}

/// Writes several files, each atomically, after everything was computed.
pub(crate) fn write_files(dir: &Path, files: &[(&str, Vec<u8>)]) -> CliResult {
    std::fs::create_dir_all(dir).map_err(|e| Failure::file(dir, e))?;
    for (name, bytes) in files {
        let path = dir.join(name);
        ccelab_emulators::stores::write_atomic(&path, bytes)
            .map_err(|e| Failure::file(&path, e))?;
    }
    Ok(())
}

/// The bytes of the file at `path` (a [`Failure`] naming it: "no such file", …).
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    ccelab_emulators::stores::read_file(path).map_err(|e| match e {
        ccelab_emulators::stores::StoreError::NotFound(_) => Failure::file(path, "no such file"),
        other => Failure::file(path, other),
    })
}

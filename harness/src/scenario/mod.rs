//! Scenarios: a TOML file that replays part of the integration or a
//! documented failure mode (docs/requirements.md §5) on a topology of its own, and
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
//! `{ca.issuing}` (PEM files); the same in expected texts (`shows`,
//! `stdout`, `stderr`, `event`, a log's `contains` and `absent`; not in
//! regular expressions). `run` commands also get the environment
//! `CCELAB_DIR`, `CCELAB_<HOST>_{ADDRESS,FQDN,DISK}`, `CCELAB_<HOST>_PORT_<N>`
//! and run, like `ccelab exec`, in a private mount namespace where the
//! topology's names resolve (Java through `-Djdk.net.hosts.file`). The
//! `keytool` they find first on PATH is `{dir}/.ccelab-bin/keytool`, which
//! runs the real one with `-J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC
//! -J-XX:-UsePerfData` (same output, ~0.6× the CPU).
//!
//! # Layout
//!
//! One scenario's way from file to snapshot, one file a stage:
//!
//! | file | does |
//! |---|---|
//! | [`file`] | reads the TOML (`given` is a topology file; each `[[step]]` an [`Action`](crate::actions::Action) with `note` and `expect`), errors at `FILE:LINE:COLUMN` |
//! | [`runner`] | builds and starts the topology ([`Run::start`], the start-up path of `ccelab up`), substitutes `{…}` in each step, applies it, runs scenarios side by side |
//! | [`expect`] | checks a step's outcome, its events and the disks (logs, stores) against its `expect` |
//! | [`transcript`] | the transcript's lines and their redactions (what changes between runs or days) |
//! | [`catalog`] | `docs/scenarios.md` and the failure modes still pending |
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

pub mod browser;
pub mod catalog;
pub mod expect;
pub mod file;
pub mod runner;
pub mod transcript;

pub use catalog::{catalog, PENDING};
pub use expect::{Expect, LogExpect, Mismatch, StoreExpect};
pub use file::{Scenario, ScenarioError, Step};
pub use runner::{run, run_all, run_all_progress, run_on, Backend, Report, Run};

/// A regex compiled once per process (its pattern is a literal, so it is valid:
/// a test compiles every one).
macro_rules! re_static {
    ($pat:literal) => {{
        static RE: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new($pat).expect("a literal pattern"));
        &*RE
    }};
}
pub(crate) use re_static;

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

/// Where scenario runs put their topologies when no directory is named:
/// `$TMPDIR` when it is set; else `/dev/shm` when it is a writable memory
/// file system with at least 1 GiB free (a catalog run writes ~40 MB in
/// ~3,300 files, and on a disk the file system's work was a fifth of the
/// catalog's time); else the system's temporary directory.
pub fn scratch_base() -> std::path::PathBuf {
    if std::env::var_os("TMPDIR").is_some() {
        return std::env::temp_dir();
    }
    let shm = std::path::Path::new("/dev/shm");
    if memory_fs_with_room(shm, 1 << 30) {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

/// Whether `dir` is a tmpfs this process may write, with `room` bytes free.
fn memory_fs_with_room(dir: &std::path::Path, room: u64) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a NUL-terminated path; both structs are plain data that
    // the calls fill in
    let (fs, vfs, writable) = unsafe {
        let mut fs: libc::statfs = std::mem::zeroed();
        let mut vfs: libc::statvfs = std::mem::zeroed();
        (
            libc::statfs(c.as_ptr(), &mut fs) == 0 && fs.f_type == libc::TMPFS_MAGIC,
            (libc::statvfs(c.as_ptr(), &mut vfs) == 0).then_some(vfs),
            libc::access(c.as_ptr(), libc::W_OK) == 0,
        )
    };
    fs && writable && vfs.is_some_and(|v| v.f_bavail.saturating_mul(v.f_frsize) >= room)
}

#[cfg(test)]
mod scratch_tests {
    use super::*;

    #[test]
    fn only_a_writable_tmpfs_with_room_is_taken() {
        assert!(!memory_fs_with_room(std::path::Path::new("/proc"), 0));
        assert!(!memory_fs_with_room(
            std::path::Path::new("/no/such/dir"),
            0
        ));
        let shm = std::path::Path::new("/dev/shm");
        if shm.is_dir() && std::fs::metadata(shm).is_ok() {
            // a tmpfs never has u64::MAX bytes free
            assert!(!memory_fs_with_room(shm, u64::MAX));
        }
    }
}

//! Every scenario file of `scenarios/` as a test: it must pass, and its
//! transcript must match the snapshot in `snapshots/` (review changes with
//! `cargo insta review`, or `INSTA_UPDATE=always cargo test -p ccelab --test
//! scenarios` to rewrite them). Also keeps `docs/scenarios.md` in sync with
//! the files.

use std::path::{Path, PathBuf};

use ccelab::scenario::{self, Scenario};

/// The two runs of the whole catalog (today, and a year ahead) take turns:
/// each is CPU-bound on every core, so side by side each took twice as long
/// and neither finished sooner.
static CATALOG: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn every_scenario_passes_and_matches_its_snapshot() {
    let scenarios = Scenario::discover(&[root().join("scenarios")]).unwrap();
    assert!(scenarios.len() >= 20, "the catalog: {}", scenarios.len());
    let _turn = CATALOG.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = tempfile::tempdir_in(scenario::scratch_base()).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    ccelab_emulators::pki::warm_up();
    let started = std::time::Instant::now();
    let reports = rt.block_on(scenario::run_all(&scenarios, tmp.path(), 6));
    eprintln!(
        "{} scenarios in {} ms",
        reports.len(),
        started.elapsed().as_millis()
    );
    let failed: Vec<String> = reports
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}:\n{}\n{:#?}", r.id, r.transcript, r.mismatches))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    for r in &reports {
        insta::with_settings!({
            snapshot_path => root().join("snapshots"),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(scenario::sanitize(&r.id), r.transcript);
        });
    }
}

#[test]
fn the_catalog_document_is_up_to_date() {
    let scenarios = Scenario::discover(&[root().join("scenarios")]).unwrap();
    let want = scenario::catalog(&scenarios, scenario::PENDING);
    let path = root().join("docs/scenarios.md");
    if std::env::var("CCELAB_UPDATE_CATALOG").is_ok() {
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/scenarios.md is stale: run `cargo run -p ccelab -- scenario catalog scenarios > docs/scenarios.md` (or CCELAB_UPDATE_CATALOG=1 cargo test -p ccelab --test scenarios)"
    );
}

/// The catalog links a screenshot per browser-visible failure mode: each
/// one a scenario names is committed in docs/screenshots (made by
/// `ccelab scenario run scenarios --screenshots docs/screenshots`), and
/// nothing there is unnamed.
#[test]
fn every_screenshot_the_scenarios_name_is_committed() {
    let scenarios = Scenario::discover(&[root().join("scenarios")]).unwrap();
    let dir = root().join("docs/screenshots");
    let mut named: Vec<String> = scenarios
        .iter()
        .flat_map(|s| {
            scenario::browser::screenshots(s)
                .into_iter()
                .map(str::to_string)
        })
        .collect();
    named.sort();
    for f in &named {
        let png = std::fs::read(dir.join(f)).unwrap_or_default();
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "docs/screenshots/{f}: missing; run `cargo run -p ccelab -- scenario run scenarios --screenshots docs/screenshots`"
        );
    }
    let mut there: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    there.sort();
    assert_eq!(
        there, named,
        "docs/screenshots holds exactly the named screenshots"
    );
    // every browser-visible failure mode has one (F4's page: the F5 scenario)
    for f in ["F1", "F3", "F5", "F13", "F14", "F18", "F23"] {
        assert!(
            scenarios.iter().any(|s| s.failure.as_deref() == Some(f)
                && !scenario::browser::screenshots(s).is_empty()),
            "{f} has no screenshot"
        );
    }
}

#[test]
fn cli_lists_runs_and_reports() {
    let bin = env!("CARGO_BIN_EXE_ccelab");
    let tmp = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(bin)
        .args(["scenario", "list"])
        .arg(root().join("scenarios"))
        .output()
        .unwrap();
    assert!(o.status.success());
    let list = String::from_utf8_lossy(&o.stdout);
    assert!(
        list.lines()
            .any(|l| l.starts_with("F1 ") && l.contains("F01-pkix")),
        "{list}"
    );
    // a failing scenario: exit 1, expected vs actual, the log to look at, JUnit and JSON
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        "id = \"bad\"\ntitle = \"expects the wrong thing\"\nsource = \"test\"\n[given]\n[given.ads]\ncacerts = []\n[[step]]\ndo = \"open-gadget\"\nexpect = { ok = true, log = [{ host = \"ads-a\", file = 'C:\\icm\\tomcat\\logs\\catalina.*.log', absent = \"PKIX\" }] }\n",
    )
    .unwrap();
    let junit = tmp.path().join("j.xml");
    let json = tmp.path().join("r.json");
    let o = std::process::Command::new(bin)
        .args(["scenario", "run"])
        .arg(&bad)
        .arg(root().join("scenarios/F03-cisco-service-stopped.toml"))
        .args([
            "--junit",
            junit.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{text}");
    assert!(text.contains("FAIL bad"), "{text}");
    assert!(text.contains("pass F3"), "{text}");
    assert!(text.contains("step 1: expected ok = true"), "{text}");
    assert!(
        text.contains("step 1: expected log without `PKIX`"),
        "{text}"
    );
    assert!(
        text.contains("see ") && text.contains("catalina.*.log"),
        "{text}"
    );
    assert!(text.contains("2 scenarios, 1 passed, 1 failed"), "{text}");
    let x = std::fs::read_to_string(&junit).unwrap();
    assert!(
        x.contains("<testsuite name=\"ccelab scenarios\" tests=\"2\" failures=\"1\">"),
        "{x}"
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    // reports come in the order the files were named, whatever their paths
    assert_eq!(r[0]["id"], "bad", "{r}");
    assert_eq!(r[0]["passed"], false);
    assert_eq!(r[1]["id"], "F3", "{r}");
    assert_eq!(r[1]["passed"], true);
    // a bad file: file:line:column, exit 2
    let broken = tmp.path().join("broken.toml");
    std::fs::write(&broken, "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[[step]]\ndo = \"store-delete\"\nhost = \"ads-a\"\n").unwrap();
    let o = std::process::Command::new(bin)
        .args(["scenario", "run"])
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("broken.toml:5:6: step 1: `do = \"store-delete\"` needs `path`"),
        "{err}"
    );
}

/// A transcript is the same whatever the system date. The
/// whole catalog runs a year ahead — `ccelab scenario run` under `faketime`,
/// so the emulators and every real client it starts (curl, openssl, keytool,
/// java) live on that day — and each transcript must equal its snapshot.
#[test]
fn the_catalog_is_the_same_a_year_from_now() {
    let tmp = tempfile::tempdir().unwrap();
    let _turn = CATALOG.lock().unwrap_or_else(|e| e.into_inner());
    let started = std::time::Instant::now();
    let json = tmp.path().join("r.json");
    let o = std::process::Command::new("faketime")
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
        // libfaketime 0.9.10's fix for timed waits on the monotonic clock
        // makes every JVM thread that waits spin (keytool took 5 s and 9 s of
        // CPU instead of 0.25 s, the catalog 38 s instead of 10 s); the
        // JVM's waits need no fix, the date Java sees is still a year ahead
        .env("FAKETIME_FORCE_MONOTONIC_FIX", "0")
        .args([
            "-f",
            "+365d",
            env!("CARGO_BIN_EXE_ccelab"),
            "scenario",
            "run",
        ])
        .arg(root().join("scenarios"))
        .args(["--jobs", "4", "--json"])
        .arg(&json)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `faketime` ({e}): bash .ci/run installs it"));
    let text = String::from_utf8_lossy(&o.stdout);
    eprintln!(
        "the catalog a year ahead in {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(o.status.code(), Some(0), "{text}");
    let reports: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert!(reports.len() >= 20, "{text}");
    for r in &reports {
        let id = r["id"].as_str().unwrap();
        let snap = root().join(format!("snapshots/{}.snap", scenario::sanitize(id)));
        let snap = std::fs::read_to_string(&snap).unwrap();
        // insta's header (`---`, metadata, `---`), then the transcript
        let body = snap.splitn(3, "---\n").nth(2).unwrap();
        let transcript = r["transcript"].as_str().unwrap();
        assert_eq!(
            transcript.trim_end(),
            body.trim_end(),
            "scenario {id}: a year from now its transcript differs from snapshots/{}.snap",
            scenario::sanitize(id)
        );
    }
}

//! One container per host, against the real Docker daemon: the image built
//! here FROM scratch from a static `ccelab`, a deployment whose hosts reach
//! each other across containers (SPOG → IIS → ECE → DC), real clients on
//! the machine (curl, ldapsearch, keytool editing a bind-mounted disk), a
//! killed host refused rather than hung, SIGTERM, the compose file under
//! `docker-compose`, and nothing left behind.
//!
//! Where no Docker daemon answers these tests say so in one line and pass,
//! except in CI (`CI=true`), where they fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ccelab::container::docker::{self, docker};
use ccelab::container::lab::{ContainerLab, Start};

/// The workspace's top folder.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The image, built once per run from a static build of this source (None:
/// no daemon, outside CI).
fn image() -> Option<&'static str> {
    static BUILT: OnceLock<Option<&'static str>> = OnceLock::new();
    *BUILT.get_or_init(|| {
        if let Err(e) = docker::daemon() {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true and {e}");
            }
            eprintln!("skipped: {e}");
            return None;
        }
        // the static binary of this very source (incremental: seconds when up to date)
        let st = Command::new(env!("CARGO"))
            .args([
                "build",
                "--release",
                "-p",
                "ccelab",
                "--target",
                "x86_64-unknown-linux-gnu",
            ])
            .env("RUSTFLAGS", "-C target-feature=+crt-static")
            .current_dir(workspace())
            .status()
            .expect("cargo runs");
        assert!(st.success(), "the static build failed");
        let bin = workspace().join(ccelab::container::image::STATIC_BINARY);
        let size = ccelab::container::image::build(&bin, ccelab::container::IMAGE)
            .expect("the image builds");
        eprintln!("image {}: {} bytes", ccelab::container::IMAGE, size);
        Some(ccelab::container::IMAGE)
    })
}

fn start(dir: &Path, topology: &str) -> Option<ContainerLab> {
    let image = image()?;
    Some(
        ContainerLab::start(Start {
            topology,
            base_dir: dir,
            dir: &dir.join("lab"),
            image,
            address_holders: true,
        })
        .unwrap_or_else(|e| panic!("{e}")),
    )
}

fn action(lab: &ContainerLab, host: &str, json: &str) -> serde_json::Value {
    let c = lab.control(host).unwrap();
    let (code, body) = ccelab::control::request(&c, "POST", "/actions", json).unwrap();
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(code == 200 || code == 409 || code == 422, "{code} {body}");
    v
}

fn addr(lab: &ContainerLab, host: &str) -> String {
    lab.topo.host(host).unwrap().address.to_string()
}

/// Every container and network of the lab `id` (by its label).
fn remains(id: &str) -> Vec<String> {
    let label = format!("label={}={id}", ccelab::container::LABEL_LAB);
    let mut v: Vec<String> = docker(&["ps", "-a", "-q", "--filter", &label])
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    v.extend(
        docker(&["network", "ls", "-q", "--filter", &label])
            .unwrap()
            .lines()
            .map(str::to_string),
    );
    v
}

#[test]
fn hosts_in_containers_reach_each_other_and_real_clients_reach_them() {
    let d = tempfile::tempdir().unwrap();
    let Some(lab) = start(d.path(), "preset = \"pcce-2000\"\n") else {
        return;
    };
    // SPOG on ads-a → IIS on ece → ECE's application server → the DC, each in its container
    let v = action(&lab, "ads-a", r#"{"do":"open-gadget","ads":"ads-a"}"#);
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["shows"], "ECE gadget loaded");

    // curl on the machine, by the FQDN, trusting the lab's root
    let root = lab.dir.join("ca/root.pem");
    let o = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{ssl_verify_result}",
            "--cacert",
            root.to_str().unwrap(),
            "--resolve",
            &format!("ece.example.com:443:{}", addr(&lab, "ece")),
            "https://ece.example.com/",
        ])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "curl: {said}");
    assert!(said.ends_with(" 0"), "the chain verifies: {said}");

    // ldapsearch on the machine, at the DC's container
    if let Ok(o) = Command::new("ldapsearch")
        .args(["-x", "-LLL", "-H"])
        .arg(format!("ldap://{}", addr(&lab, "dc")))
        .args(["-b", "", "-s", "base", "defaultNamingContext"])
        .output()
    {
        let said = String::from_utf8_lossy(&o.stdout);
        assert!(
            said.contains("defaultNamingContext: DC=example,DC=local"),
            "{said}"
        );
    }

    // the real keytool edits ads-a's cacerts on its bind-mounted disk; a
    // restart (in its container) reads it again: PKIX (F1, F9)
    let h = lab.topo.host("ads-a").unwrap();
    let cacerts = h.disk.path(ccelab::topology::CACERTS).unwrap();
    for alias in ["example issuing ca", "example enterprise ca"] {
        let st = Command::new("keytool")
            .args([
                "-delete",
                "-alias",
                alias,
                "-storepass",
                "changeit",
                "-keystore",
            ])
            .arg(&cacerts)
            .output()
            .unwrap();
        assert!(
            st.status.success(),
            "{}",
            String::from_utf8_lossy(&st.stderr)
        );
    }
    let v = action(&lab, "ads-a", r#"{"do":"open-gadget","ads":"ads-a"}"#);
    assert_eq!(v["ok"], true, "Tomcat keeps what it loaded (F9): {v}");
    let v = action(&lab, "ads-a", r#"{"do":"restart","host":"ads-a"}"#);
    assert_eq!(v["ok"], true, "{v}");
    let v = action(&lab, "ads-a", r#"{"do":"open-gadget","ads":"ads-a"}"#);
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(
        v["shows"],
        "There was an error loading the page. Contact your administrator."
    );
    assert!(
        v["logged"]
            .to_string()
            .contains("PKIX path building failed"),
        "{v}"
    );

    // docker stop: SIGTERM, a clean stop, exit code 0, said on stdout
    let c = lab.container("dc").unwrap().to_string();
    lab.stop("dc").unwrap();
    assert_eq!(docker::state(&c).map(|s| s.1), Some(0));
    let logs = docker::logs_tail(&c, 5);
    assert!(logs.contains("ccelab host dc: SIGTERM: stopping"), "{logs}");
    assert!(logs.contains("ccelab host dc: stopped"), "{logs}");
    // its product's first line names it, its address and ports
    let first = docker(&["logs", &c]).unwrap();
    assert!(
        first.contains("ccelab host dc (gcdcsrv01.example.local, ad-dc): up in")
            && first.contains("ports 389, 636, 3268, 3269"),
        "{first}"
    );
    let id = lab.id.clone();
    drop(lab);
    assert!(remains(&id).is_empty(), "left behind: {:?}", remains(&id));
}

#[test]
fn a_killed_host_is_refused_not_hung() {
    let d = tempfile::tempdir().unwrap();
    let Some(lab) = start(d.path(), "preset = \"pcce-2000\"\n") else {
        return;
    };
    let app = addr(&lab, "ece-app");
    lab.kill("ece-app").unwrap();
    // its machine is up, its product is gone: the port refuses at once
    let t = Instant::now();
    let o = Command::new("curl")
        .args(["-s", "-m", "30", "-o", "/dev/null", "-w", "%{errormsg}"])
        .arg(format!("http://{app}:8080/"))
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(7),
        "curl: couldn't connect: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert!(t.elapsed() < Duration::from_secs(25), "not a hang");
    let e = std::net::TcpStream::connect_timeout(
        &format!("{app}:8080").parse().unwrap(),
        Duration::from_secs(20),
    )
    .unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused, "{e}");
    // the gadget fails as with "Cisco Service" stopped on ECE's
    // application server (F3, the same text as in one process)
    let v = action(&lab, "ads-a", r#"{"do":"open-gadget","ads":"ads-a"}"#);
    assert_eq!(v["ok"], false, "{v}");
    assert_eq!(
        v["shows"],
        "The webpage at https://ece.example.com/default/spog/gadget?user=administrator%40example.local might be temporarily down or it may have moved permanently to a new web address."
    );
    // started again, it serves
    lab.start_host("ece-app").unwrap();
    let v = action(&lab, "ads-a", r#"{"do":"open-gadget","ads":"ads-a"}"#);
    assert_eq!(v["ok"], true, "{v}");
}

#[test]
fn nothing_is_left_behind_when_a_test_fails_or_a_process_dies() {
    let d = tempfile::tempdir().unwrap();
    let Some(lab) = start(d.path(), "preset = \"pcce-2000\"\n") else {
        return;
    };
    let id = lab.id.clone();
    assert!(!remains(&id).is_empty());
    // a failing test unwinds: the lab's drop removes it
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _held = lab;
        panic!("a failing assertion");
    }));
    assert!(r.is_err());
    assert!(remains(&id).is_empty(), "left behind: {:?}", remains(&id));

    // a process killed before it could clean up: the next start's reap
    let mut child = Command::new("sleep").arg("0").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    let name = format!("ccelab-reap-test-{}", std::process::id());
    docker(&[
        "network".to_string(),
        "create".into(),
        "--label".into(),
        format!(
            "{}={dead}/1@{}",
            ccelab::container::LABEL_PID,
            docker::owner().split_once('@').unwrap().1
        ),
        "--label".into(),
        format!(
            "{}=reap-{}",
            ccelab::container::LABEL_LAB,
            std::process::id()
        ),
        name.clone(),
    ])
    .unwrap();
    assert!(docker::reap() >= 1);
    assert!(docker(&["network", "inspect", &name]).is_err(), "reaped");
}

/// `docker-compose down` when dropped.
struct ComposeUp(Vec<String>);

impl Drop for ComposeUp {
    fn drop(&mut self) {
        let mut args = self.0.clone();
        args.extend(["down".into(), "-v".into(), "-t".into(), "10".into()]);
        let _ = Command::new("docker-compose").args(&args).output();
    }
}

#[test]
fn the_compose_file_runs_under_docker_compose() {
    if image().is_none() {
        return;
    }
    if Command::new("docker-compose")
        .arg("version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no docker-compose on this machine");
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("lab");
    let n = 100 + std::process::id() % 100;
    let o = Command::new(env!("CARGO_BIN_EXE_ccelab"))
        .args(["compose", "--preset", "pcce-2000", "--subnet"])
        .arg(format!("10.78.{n}"))
        .arg("--dir")
        .arg(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file = dir.join("docker-compose.yml");
    let project = format!("ccelab-compose-{}", std::process::id());
    let base = vec![
        "-p".to_string(),
        project.clone(),
        "-f".into(),
        file.display().to_string(),
    ];
    let _down = ComposeUp(base.clone());
    let mut up = base.clone();
    up.extend(["up".into(), "-d".into()]);
    let o = Command::new("docker-compose").args(&up).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // the DC answers LDAP and its control API at its address
    let dc = format!(
        "http://10.78.{n}.14:{}",
        ccelab::container::HOST_CONTROL_PORT
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match ccelab::control::request(&dc, "GET", "/status", "") {
            Ok((200, body)) => {
                assert!(body.contains("gcdcsrv01.example.local"), "{body}");
                break;
            }
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            r => panic!("the DC's container does not answer: {r:?}"),
        }
    }
}

#[test]
fn up_containers_serves_the_deployment_api_and_removes_everything_on_ctrl_c() {
    if image().is_none() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("lab");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ccelab"))
        .args(["up", "--containers", "--dir"])
        .arg(&dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // the first line says where the lab is
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(
        first.contains(" up in ") && first.contains("in containers: 14 hosts on network ccelab-"),
        "{first}"
    );
    let id = first
        .split("on network ccelab-")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap()
        .to_string();
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("topology.json")).unwrap()).unwrap();
    let control = doc["control"].as_str().unwrap().to_string();
    assert!(control.starts_with("http://127.0.0.1:"), "{control}");
    // every host's entry, from its own API, with its services at its address
    let (code, body) = ccelab::control::request(&control, "GET", "/status", "").unwrap();
    assert_eq!(code, 200, "{body}");
    let status: serde_json::Value = serde_json::from_str(&body).unwrap();
    let hosts = status["hosts"].as_array().unwrap();
    assert_eq!(hosts.len(), 14, "{body}");
    assert!(hosts.iter().all(|h| h["services"].is_array()), "{body}");
    let dc = hosts.iter().find(|h| h["name"] == "dc").unwrap();
    assert!(
        dc["address"].as_str().unwrap().starts_with("10.77."),
        "{dc}"
    );
    // an action goes to the host it names; one naming none is refused, saying where to send it
    let (code, body) = ccelab::control::request(
        &control,
        "POST",
        "/actions",
        r#"{"do":"open-gadget","ads":"ads-b"}"#,
    )
    .unwrap();
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("ECE gadget loaded"), "{body}");
    let (code, body) =
        ccelab::control::request(&control, "POST", "/actions", r#"{"do":"awdb"}"#).unwrap();
    assert_eq!(code, 501, "{body}");
    assert!(
        body.contains("send this one to the host's own API"),
        "{body}"
    );
    // Ctrl-C: everything removed, exit 0
    // SAFETY: kill(2) on the child's pid
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(
        rest.contains("ccelab: containers and network removed"),
        "{rest}"
    );
    assert!(remains(&id).is_empty(), "left behind: {:?}", remains(&id));
}

/// The snapshot of a scenario (`snapshots/ID.snap` without insta's header).
fn snapshot(id: &str) -> String {
    let path = workspace()
        .join("snapshots")
        .join(format!("{}.snap", ccelab::scenario::sanitize(id)));
    let text = std::fs::read_to_string(&path).unwrap();
    text.splitn(3, "---\n")
        .nth(2)
        .unwrap_or_default()
        .to_string()
}

/// The whole catalog on the container back end — one container per host,
/// each step done in the container of the host it acts on — passes, and
/// each transcript is its in-process snapshot, line for line.
#[test]
fn the_whole_catalog_passes_on_containers_with_the_same_snapshots() {
    use ccelab::scenario::{self, Backend, Scenario};
    let Some(image) = image() else { return };
    let scenarios = Scenario::discover(&[workspace().join("scenarios")]).unwrap();
    assert!(scenarios.len() >= 40, "the catalog: {}", scenarios.len());
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    ccelab_emulators::pki::warm_up();
    let started = Instant::now();
    let backend = Backend::Containers {
        image: image.to_string(),
    };
    let reports = rt.block_on(scenario::run_all_progress(
        &scenarios,
        tmp.path(),
        3,
        &backend,
        None,
        |r| {
            eprintln!(
                "{} {} ({} ms)",
                if r.passed { "pass" } else { "FAIL" },
                r.id,
                r.millis
            )
        },
    ));
    eprintln!(
        "{} scenarios in containers in {} ms",
        reports.len(),
        started.elapsed().as_millis()
    );
    let failed: Vec<String> = reports
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}:\n{}\n{:#?}", r.id, r.transcript, r.mismatches))
        .collect();
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
    let differ: Vec<String> = reports
        .iter()
        .filter(|r| r.transcript != snapshot(&r.id))
        .map(|r| format!("{}:\n{}", r.id, r.transcript))
        .collect();
    assert!(
        differ.is_empty(),
        "transcripts unlike their snapshots:\n{}",
        differ.join("\n\n")
    );
}

/// The typed `Lab` builder through testcontainers, as a user's own `cargo
/// test` would start it: ADSs that trust nothing (F1, PKIX in ads-a's
/// catalina log), the fix done with the scenario actions (CA certificates
/// imported on the bind-mounted disk, ads-a restarted in its container),
/// the gadget opening, and every container gone once the deployment is
/// dropped.
#[test]
fn the_lab_builder_starts_in_containers_through_testcontainers() {
    use ccelab::actions::Action;
    use ccelab::lab::Lab;
    let Some(image) = image() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let ids: Vec<String> = rt.block_on(async {
        let lab = Lab::builder()
            .ads_trust([])
            .start_in_containers(&tmp.path().join("lab"), image)
            .await
            .unwrap();
        // each host at the address Docker gave its container, on its real port
        let ads = lab.endpoint("ads-a", 443).unwrap();
        assert!(!ads.ip().is_loopback(), "{ads}");
        let o = lab.apply(&Action::open_gadget("ads-a")).await;
        assert!(!o.ok, "{o:?}");
        assert!(
            o.logged.iter().any(|l| l.contains("PKIX path building failed")),
            "{o:?}"
        );
        for (alias, cert) in [("example enterprise ca", "root"), ("example issuing ca", "issuing")] {
            let a: Action = toml::from_str(&format!(
                "do = \"store-import\"\nhost = \"ads-a\"\npath = '%JAVA_HOME%\\lib\\security\\cacerts'\nalias = \"{alias}\"\ncert = \"{cert}\""
            ))
            .unwrap();
            let o = lab.apply(&a).await;
            assert!(o.ok, "{o:?}");
        }
        assert!(lab.apply(&Action::restart("ads-a")).await.ok);
        let o = lab.apply(&Action::open_gadget("ads-a")).await;
        assert!(o.ok, "{o:?}");
        let ids = lab.containers.values().map(|c| c.id().to_string()).collect();
        // dropped inside the runtime: testcontainers removes the containers
        drop(lab);
        ids
    });
    for id in &ids {
        assert!(docker::state(id).is_none(), "container {id} left behind");
    }
}

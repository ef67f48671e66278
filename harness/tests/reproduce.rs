//! `ccelab reproduce` (issue 17): the field cases of `scenarios/field/`
//! (inputs made with openssl and keytool by `scenarios/field/make-inputs.sh`)
//! give the committed reproductions, the twins behave as the originals in
//! the real openssl and keytool, and bad input is refused naming the file,
//! with nothing written.

use std::path::{Path, PathBuf};
use std::process::Command;

use ccelab::reproduce::{self, Options, Passwords};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The field cases and the instant each failure is reproduced at.
const CASES: [(&str, &str, &str); 4] = [
    ("northwind-f1-ca-missing", "2026-06-15T09:00:00Z", "F1"),
    (
        "northwind-f10-inventory-by-host-name",
        "2026-06-15T09:00:00Z",
        "F10",
    ),
    ("fabrikam-f2-short-name", "2026-06-15T09:00:00Z", "F2"),
    ("tailspin-f25-expired", "2026-04-02T08:30:00Z", "F25"),
];

fn opts(dir: PathBuf, out: PathBuf, at: &str) -> Options {
    Options {
        dir,
        out,
        at: Some(at.into()),
        passwords: Passwords::default(),
        id: None,
        force: false,
        redact: false,
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_field_cases_give_the_committed_reproductions_and_their_f_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = rt();
    for (case, at, code) in CASES {
        let dir = root().join("scenarios/field").join(case);
        let out = tmp.path().join(case);
        let (_, findings, _) = rt
            .block_on(reproduce::reproduce(&opts(
                dir.join("input"),
                out.clone(),
                at,
            )))
            .unwrap();
        // every ADS opens the gadget and fails with the case's failure mode
        assert_eq!(findings.len(), 2, "{case}");
        for f in &findings {
            assert!(!f.ok, "{case}: {f:?}");
            assert_eq!(f.code, Some(code), "{case}: {f:?}");
            assert!(f.why.is_some(), "{case}: {f:?}");
        }
        // the same inputs give the same reproduction as the committed one
        // (stores are not compared: PKCS#12 salts are random)
        for file in [
            "scenario.toml",
            "topology.toml",
            "report.md",
            "twins/ece-web.pem",
            "twins/all-twins.pem",
            "graph.svg",
        ] {
            let have = std::fs::read_to_string(out.join(file)).unwrap();
            let want =
                std::fs::read_to_string(dir.join("reproduction").join(file)).unwrap_or_default();
            assert!(
                have == want,
                "{case}/reproduction/{file} is stale: regenerate with `ccelab reproduce scenarios/field/{case}/input --out scenarios/field/{case}/reproduction --at {at} --force`"
            );
        }
    }
}

fn openssl(args: &[&str]) -> (bool, String) {
    let o = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// What openssl prints of a certificate but its key, signature and fingerprints.
fn openssl_fields(pem: &Path) -> String {
    let p = pem.to_str().unwrap();
    let (ok, a) = openssl(&[
        "x509", "-in", p, "-noout", "-subject", "-issuer", "-serial", "-startdate", "-enddate",
        "-ext",
        "basicConstraints,keyUsage,extendedKeyUsage,subjectAltName,subjectKeyIdentifier,authorityKeyIdentifier,crlDistributionPoints,authorityInfoAccess",
    ]);
    assert!(ok, "{a}");
    let (ok, t) = openssl(&["x509", "-in", p, "-noout", "-text"]);
    assert!(ok, "{t}");
    let alg = t
        .lines()
        .filter(|l| {
            l.contains("Signature Algorithm")
                || l.contains("Public-Key:")
                || l.contains("1.3.6.1.4.1.311")
        })
        .collect::<Vec<_>>()
        .join("\n");
    format!("{a}{alg}")
}

#[test]
fn twins_look_and_verify_as_the_originals_in_openssl_and_keytool() {
    let tmp = tempfile::tempdir().unwrap();
    let (case, at, _) = CASES[0];
    let input = root().join("scenarios/field").join(case).join("input");
    let p = reproduce::prepare(&opts(input.clone(), tmp.path().join("out"), at)).unwrap();
    assert_eq!(p.twins.twins.len(), 3, "leaf, issuing and root");
    assert!(p.twins.caveats.is_empty(), "{:?}", p.twins.caveats);
    let write = |name: &str, text: String| {
        let f = tmp.path().join(name);
        std::fs::write(&f, text).unwrap();
        f
    };
    let mut by_role = Vec::new();
    for (i, t) in p.twins.twins.iter().enumerate() {
        let o = t.original.as_ref().unwrap();
        let of = write(&format!("o{i}.pem"), o.to_pem());
        let tf = write(&format!("t{i}.pem"), t.cert.to_pem());
        assert_eq!(
            openssl_fields(&of),
            openssl_fields(&tf),
            "{}",
            o.subject_string()
        );
        let (_, fo) = openssl(&[
            "x509",
            "-in",
            of.to_str().unwrap(),
            "-noout",
            "-fingerprint",
        ]);
        let (_, ft) = openssl(&[
            "x509",
            "-in",
            tf.to_str().unwrap(),
            "-noout",
            "-fingerprint",
        ]);
        assert_ne!(fo, ft);
        by_role.push((
            o.basic_constraints_ca().is_some(),
            o.is_self_issued(),
            of,
            tf,
        ));
    }
    let pick = |ca: bool, selfi: bool, twin: bool| {
        by_role
            .iter()
            .find(|(c, s, _, _)| *c == ca && *s == selfi)
            .map(|(_, _, o, t)| if twin { t } else { o })
            .unwrap()
            .to_str()
            .unwrap()
            .to_string()
    };
    // the same verdicts from openssl, originals and twins, at three instants
    for (when, expect_ok) in [
        ("1781514000", true),
        ("1767139200", false),
        ("1831334400", false),
    ] {
        for twin in [false, true] {
            let (ok, text) = openssl(&[
                "verify",
                "-attime",
                when,
                "-CAfile",
                &pick(true, true, twin),
                "-untrusted",
                &pick(true, false, twin),
                "-verify_hostname",
                "ece.corp.northwind.test",
                &pick(false, false, twin),
            ]);
            assert_eq!(ok, expect_ok, "at {when}, twin {twin}: {text}");
        }
    }
    // a twin does not verify under the original CA: the keys differ
    let (ok, _) = openssl(&[
        "verify",
        "-attime",
        "1781514000",
        "-CAfile",
        &pick(true, true, false),
        "-untrusted",
        &pick(true, false, false),
        &pick(false, false, true),
    ]);
    assert!(!ok);
    // keytool reads the twinned store with the customer's password and aliases
    let store = p.files.iter().find(|(n, _)| n == "twins/cacerts").unwrap();
    let sf = tmp.path().join("cacerts");
    std::fs::write(&sf, &store.1).unwrap();
    let o = Command::new("keytool")
        .args([
            "-list",
            "-keystore",
            sf.to_str().unwrap(),
            "-storepass",
            "changeit",
        ])
        .output()
        .unwrap();
    let list = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{list}");
    assert!(list.contains("Your keystore contains 4 entries"), "{list}");
    assert!(list.contains("digicertglobalrootca [jdk]"), "{list}");
}

fn fixture(name: &str) -> PathBuf {
    root().join("harness/tests/fixtures/reproduce").join(name)
}

fn refused(dir: &Path, passwords: Passwords) -> String {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut o = opts(dir.to_path_buf(), out.clone(), "2026-06-15T09:00:00Z");
    o.passwords = passwords;
    let e = rt().block_on(reproduce::reproduce(&o)).unwrap_err();
    assert!(!out.exists(), "nothing is written on failure");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert!(left.is_empty(), "no work folder is left: {left:?}");
    e.to_string()
}

#[test]
fn bad_input_is_refused_naming_the_file_and_nothing_is_written() {
    let e = refused(&fixture("nothing"), Passwords::default());
    assert!(e.contains("nothing to reproduce"), "{e}");
    assert!(
        e.contains("README.txt") && e.contains("screenshot.png"),
        "{e}"
    );

    let e = refused(&fixture("corrupt-store"), Passwords::default());
    assert!(e.contains("corrupt-store/cacerts"), "{e}");
    assert!(e.contains("JKS key store that cannot be read"), "{e}");

    let e = refused(&fixture("wrong-password"), Passwords::default());
    assert!(e.contains("wrong-password/cacerts"), "{e}");
    assert!(e.contains("password was incorrect"), "{e}");

    let e = refused(&fixture("loop"), Passwords::default());
    assert!(e.contains("loop"), "{e}");
    assert!(
        e.contains("CN=Loop CA A") && e.contains("CN=Loop CA B"),
        "{e}"
    );

    // a 100 MB file (sparse) next to good inputs
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("big");
    std::fs::create_dir(&dir).unwrap();
    let good = root().join("scenarios/field/fabrikam-f2-short-name/input/ece01.pem");
    std::fs::copy(good, dir.join("ece01.pem")).unwrap();
    std::fs::File::create(dir.join("capture.pcap"))
        .unwrap()
        .set_len(100 << 20)
        .unwrap();
    let e = refused(&dir, Passwords::default());
    assert!(
        e.contains("capture.pcap") && e.contains("104857600 bytes"),
        "{e}"
    );
}

#[test]
fn the_right_password_opens_a_store_and_the_cli_exits_2_on_bad_input() {
    // the wrong-password store opens with its own password, given per file
    let mut pw = Passwords::default();
    pw.by_file.insert("cacerts".into(), "not-changeit".into());
    let e = refused(&fixture("wrong-password"), pw);
    assert!(
        e.contains("nothing to reproduce"),
        "the store was read: {e}"
    );

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_ccelab"))
        .args([
            "reproduce",
            fixture("loop").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("ccelab: ") && err.contains("fixtures/reproduce/loop"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!out.exists());
}

/// The exception chain a log holds: the top exception (after the logger's
/// prefix) and each `Caused by:`, as Java's `Throwable.toString()` prints them.
fn chain_of(logged: &[String]) -> Vec<String> {
    logged
        .iter()
        .map(|l| match l.split_once("EceGadgetProxy.open ") {
            Some((_, top)) => top.to_string(),
            None => l.strip_prefix("Caused by: ").unwrap_or(l).to_string(),
        })
        .collect()
}

#[test]
fn each_reproduction_fails_for_the_real_java_17_as_the_emulated_ads_logs_it() {
    use ccelab::deploy::LabBuilder;
    let tmp = tempfile::tempdir().unwrap();
    let src = root().join("emulators/tests/java/Probe.java");
    let o = Command::new("javac")
        .args(["-d", tmp.path().to_str().unwrap(), src.to_str().unwrap()])
        .output()
        .expect("javac (bash .ci/run installs a JDK)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rt = rt();
    for (case, _, code) in CASES {
        let repro = root()
            .join("scenarios/field")
            .join(case)
            .join("reproduction");
        let text = std::fs::read_to_string(repro.join("topology.toml")).unwrap();
        // the name the inventory has for the web server (F10), when the
        // customer sent their inventory: the scenario's first step
        let scenario: toml::Table =
            toml::from_str(&std::fs::read_to_string(repro.join("scenario.toml")).unwrap()).unwrap();
        let inventory_name = scenario["step"]
            .as_array()
            .unwrap()
            .iter()
            .find(|st| st["do"].as_str() == Some("inventory-web-server"))
            .map(|st| st["name"].as_str().unwrap().to_string());
        let lab_dir = tmp.path().join(case);
        let (lab, emulated, url, ip, fqdn) = rt.block_on(async {
            let lab = LabBuilder::topology_text(&text, &repro)
                .unwrap()
                .start(&lab_dir)
                .await
                .unwrap();
            if let Some(name) = &inventory_name {
                let o = lab
                    .apply(ccelab::actions::Action::InventoryWebServer {
                        name: name.clone(),
                        user: None,
                        password: None,
                    })
                    .await
                    .unwrap();
                assert!(o.ok, "{o:?}");
            }
            let o = lab
                .apply(ccelab::actions::Action::open_gadget("ads-a"))
                .await
                .unwrap();
            let ece = lab.topo.host("ece").unwrap().clone();
            let port = lab.bound_port("ece", 443).unwrap();
            let name = inventory_name.clone().unwrap_or(ece.fqdn.clone());
            let url = format!("https://{name}:{port}/default/spog/gadget");
            (lab, o, url, ece.address, name)
        });
        assert!(!emulated.ok, "{case}: {emulated:?}");
        // the real Java, with the twinned cacerts as its trust, at the web server's twin
        let hosts = tmp.path().join(format!("{case}.hosts"));
        std::fs::write(&hosts, format!("{ip} {fqdn}\n")).unwrap();
        let store = ["cacerts", "cacerts.p12"]
            .iter()
            .map(|n| repro.join("twins").join(n))
            .find(|p| p.exists())
            .unwrap();
        let ty = if store.extension().is_some_and(|x| x == "p12") {
            "PKCS12"
        } else {
            "JKS"
        };
        let spec = tmp.path().join(format!("{case}.spec"));
        std::fs::write(
            &spec,
            format!("c {url} {} {ty} changeit\n", store.display()),
        )
        .unwrap();
        let o = Command::new("java")
            .args([
                &format!("-Djdk.net.hosts.file={}", hosts.display()),
                "-cp",
                tmp.path().to_str().unwrap(),
                "Probe",
                spec.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        let real: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.starts_with("CASE") && *l != "END")
            .map(str::to_string)
            .collect();
        rt.block_on(async move { drop(lab) });
        assert_eq!(chain_of(&emulated.logged), real, "{case} ({code})");
    }
}

#[test]
fn redact_replaces_the_customers_names_everywhere_and_keeps_the_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = rt();
    let customer = ["northwind", "seattle", "washington", "traders", "fabrikam"];
    for (case, at, code) in [CASES[0], CASES[2]] {
        let input = root().join("scenarios/field").join(case).join("input");
        let out = tmp.path().join(case);
        let mut o = opts(input, out.clone(), at);
        o.redact = true;
        let (_, findings, report) = rt.block_on(reproduce::reproduce(&o)).unwrap();
        assert!(
            findings.iter().all(|f| f.code == Some(code)),
            "{case}: {findings:?}"
        );
        // every text the reproduction holds, certificates and stores as the real tools print them
        let mut texts = vec![report];
        for f in ["scenario.toml", "topology.toml", "report.md"] {
            texts.push(std::fs::read_to_string(out.join(f)).unwrap());
        }
        let all = out.join("twins/all-twins.pem");
        let (ok, printed) = openssl(&[
            "storeutl",
            "-noout",
            "-text",
            "-certs",
            all.to_str().unwrap(),
        ]);
        assert!(ok, "{printed}");
        assert!(printed.contains("example.com"), "{printed}");
        texts.push(printed);
        for store in std::fs::read_dir(out.join("twins")).unwrap().flatten() {
            let name = store.file_name().to_string_lossy().into_owned();
            texts.push(name.clone());
            if name.starts_with("cacerts") {
                let o = Command::new("keytool")
                    .args([
                        "-list",
                        "-v",
                        "-keystore",
                        store.path().to_str().unwrap(),
                        "-storepass",
                        "changeit",
                    ])
                    .output()
                    .unwrap();
                assert!(o.status.success());
                texts.push(String::from_utf8_lossy(&o.stdout).into_owned());
            }
        }
        for t in &texts {
            let lower = t.to_ascii_lowercase();
            for c in customer {
                assert!(!lower.contains(c), "{case}: `{c}` left in:\n{t}");
            }
        }
    }
    // the redacted chain still links and names the redacted host, for openssl
    let out = tmp.path().join(CASES[0].0);
    let pem = std::fs::read_to_string(out.join("twins/all-twins.pem")).unwrap();
    let certs = ccelab_emulators::pki::Certificate::all_from_pem(&pem).unwrap();
    let file = |i: usize| {
        let f = tmp.path().join(format!("r{i}.pem"));
        std::fs::write(&f, certs[i].to_pem()).unwrap();
        f.to_str().unwrap().to_string()
    };
    // all-twins.pem: root, issuing, leaf (issuers first)
    let (ok, text) = openssl(&[
        "verify",
        "-attime",
        "1781514000",
        "-CAfile",
        &file(0),
        "-untrusted",
        &file(1),
        "-verify_hostname",
        "ece.corp.example.com",
        &file(2),
    ]);
    assert!(ok, "{text}");
}

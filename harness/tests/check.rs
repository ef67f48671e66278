//! `ccelab check` against servers and chains, and Java's trust-store
//! semantics checked against the real Java 17 (`-Djavax.net.ssl.trustStore*`).

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};

use ccelab_emulators::pki::example::example_root;
use ccelab_emulators::pki::{keypool, Ca, CertParams, KeyType, San};
use ccelab_emulators::stores::{Keystore, StoreType};
use ccelab_emulators::tls::{hello_handler, Binding, Events, SiteConfig, TlsServer};
use time::{Duration, OffsetDateTime};

fn ccelab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ccelab"))
        .args(args)
        .output()
        .expect("run ccelab")
}

fn tool(t: &str, args: &[&str]) -> Output {
    Command::new(t)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{t}` ({e}): install it (bash .ci/run does)"))
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

struct Lab {
    root: Ca,
    server: TlsServer,
    _rt: tokio::runtime::Runtime,
}

fn lab() -> Lab {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let now = OffsetDateTime::now_utc();
    let root = example_root(
        keypool::key(KeyType::Rsa2048, 0).unwrap(),
        now - Duration::days(1),
        now + Duration::days(3650),
    )
    .unwrap();
    let lp = CertParams::leaf(
        "CN=ece.example.com",
        now - Duration::days(1),
        now + Duration::days(365),
    )
    .unwrap()
    .with_sans([San::Dns("ece.example.com".into())]);
    let leaf = root
        .issue(&lp, keypool::key(KeyType::Rsa2048, 2).unwrap())
        .unwrap();
    let site = SiteConfig {
        bindings: vec![Binding::new("b", leaf.chain(), leaf.key.clone())],
        ..Default::default()
    };
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let server = rt
        .block_on(TlsServer::start(
            addr,
            site,
            hello_handler(),
            Events::default(),
        ))
        .unwrap();
    Lab {
        root,
        server,
        _rt: rt,
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn check_a_server_and_a_chain_as_each_client() {
    let lab = lab();
    let d = tempfile::tempdir().unwrap();
    let port = lab.server.local_addr().port();
    let url = format!("https://ece.example.com:{port}/");
    let resolve = format!("ece.example.com:{port}:127.0.0.1");
    // a cacerts with the root: accepted; without: F1's PKIX text
    let cacerts = d.path().join("cacerts");
    let mut ks = Keystore::new(StoreType::Jks);
    ks.import_cert(
        "example enterprise ca",
        lab.root.cert.clone(),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    ks.save(&cacerts, "changeit", None).unwrap();
    let o = ccelab(&[
        "check",
        "--as",
        "java",
        "--trust",
        s(&cacerts),
        "--storepass",
        "changeit",
        "--url",
        &url,
        "--resolve",
        &resolve,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert_eq!(out(&o), "java: accepted\n");
    let empty = d.path().join("other");
    let mut other = Keystore::new(StoreType::Jks);
    let self_signed = ccelab_emulators::pki::Issued::self_signed(
        &CertParams::leaf(
            "CN=unrelated",
            OffsetDateTime::now_utc(),
            OffsetDateTime::now_utc() + Duration::days(1),
        )
        .unwrap(),
        keypool::key(KeyType::EcP256, 0).unwrap(),
    )
    .unwrap();
    other
        .import_cert("x", self_signed.cert, OffsetDateTime::now_utc())
        .unwrap();
    other.save(&empty, "changeit", None).unwrap();
    let o = ccelab(&[
        "check",
        "--as",
        "java",
        "--trust",
        s(&empty),
        "--url",
        &url,
        "--resolve",
        &resolve,
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        out(&o).lines().next().unwrap(),
        "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target"
    );
    // chain mode, curl and openssl
    let root_pem = d.path().join("root.pem");
    std::fs::write(&root_pem, lab.root.cert.to_pem()).unwrap();
    let o = ccelab(&[
        "check",
        "--as",
        "curl",
        "--trust",
        s(&root_pem),
        "--url",
        &format!("https://127.0.0.1:{port}/"),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(out(&o).lines().next().unwrap(), "curl: (60) SSL: no alternative certificate subject name matches target host name '127.0.0.1'");
    let o = ccelab(&[
        "check",
        "--as",
        "openssl",
        "--trust",
        s(&root_pem),
        "--url",
        &url,
        "--resolve",
        &resolve,
        "--at",
        "+400d",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).contains("verify error:num=10:certificate has expired"),
        "{}",
        out(&o)
    );
    // bad input: exit 2, one line
    let o = ccelab(&[
        "check",
        "--as",
        "java",
        "--trust",
        s(&cacerts),
        "--url",
        "http://x/",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
}

#[test]
fn java_trust_store_semantics_match_java_17() {
    let lab = lab();
    let d = tempfile::tempdir().unwrap();
    let port = lab.server.local_addr().port();
    let url = format!("https://ece.example.com:{port}/");
    let resolve = format!("ece.example.com:{port}:127.0.0.1");
    let now = OffsetDateTime::now_utc();
    let mut jks = Keystore::new(StoreType::Jks);
    jks.import_cert("root", lab.root.cert.clone(), now).unwrap();
    jks.save(&d.path().join("ts.jks"), "changeit", None)
        .unwrap();
    let mut p12 = Keystore::new(StoreType::Pkcs12);
    p12.import_cert("root", lab.root.cert.clone(), now).unwrap();
    p12.save(&d.path().join("ts.p12"), "changeit", None)
        .unwrap();
    std::fs::write(d.path().join("ts.pem"), lab.root.cert.to_pem()).unwrap();
    // compile the probe once
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../emulators/tests/java/Probe.java");
    let o = tool("javac", &["-d", s(d.path()), s(&src)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(d.path().join("hosts"), "127.0.0.1 ece.example.com\n").unwrap();
    std::fs::write(d.path().join("spec"), format!("case {url} - - -\n")).unwrap();
    let cases: Vec<(&str, Option<&str>, Option<&str>)> = vec![
        ("ts.jks", Some("changeit"), None),
        ("ts.jks", Some("wrongpass"), None),
        ("ts.jks", None, None),
        ("ts.p12", Some("changeit"), Some("JKS")),
        ("ts.p12", None, None),
        ("ts.p12", Some("changeit"), Some("JCEKS")),
        ("ts.pem", Some("changeit"), None),
        ("missing.jks", Some("changeit"), None),
    ];
    for (file, pass, ty) in cases {
        let store = d.path().join(file);
        let mut jargs = vec![
            format!("-Djdk.net.hosts.file={}", d.path().join("hosts").display()),
            format!("-Djavax.net.ssl.trustStore={}", store.display()),
        ];
        let mut cargs = vec![
            "check".to_string(),
            "--as".into(),
            "java".into(),
            "--trust".into(),
            store.display().to_string(),
        ];
        if let Some(p) = pass {
            jargs.push(format!("-Djavax.net.ssl.trustStorePassword={p}"));
            cargs.extend(["--storepass".into(), p.into()]);
        }
        if let Some(t) = ty {
            jargs.push(format!("-Djavax.net.ssl.trustStoreType={t}"));
            cargs.extend(["--storetype".into(), t.to_ascii_lowercase()]);
        }
        jargs.extend([
            "-cp".into(),
            s(d.path()).into(),
            "Probe".into(),
            d.path().join("spec").display().to_string(),
        ]);
        let ja: Vec<&str> = jargs.iter().map(String::as_str).collect();
        let real = out(&tool("java", &ja));
        let real: Vec<&str> = real
            .lines()
            .filter(|l| !l.starts_with("CASE") && *l != "END")
            .collect();
        cargs.extend([
            "--url".into(),
            url.clone(),
            "--resolve".into(),
            resolve.clone(),
        ]);
        let ca: Vec<&str> = cargs.iter().map(String::as_str).collect();
        let o = ccelab(&ca);
        let ours = out(&o);
        if real.first().is_some_and(|l| l.starts_with("OK ")) {
            assert_eq!(
                o.status.code(),
                Some(0),
                "{file} {pass:?} {ty:?}: java accepted, ccelab said {ours}"
            );
        } else {
            assert_eq!(o.status.code(), Some(1), "{file} {pass:?} {ty:?}: {ours}");
            assert_eq!(
                ours.lines().collect::<Vec<_>>(),
                real,
                "{file} {pass:?} {ty:?}"
            );
        }
    }
}

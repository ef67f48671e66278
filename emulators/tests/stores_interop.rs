//! The store model against the real tools: format detection by content,
//! PEM key forms openssl writes, PKCS#12 as keytool and openssl read it
//! (including the certificate-only PFX of F22), DER and Windows Base-64 `.cer`.

mod common;
use common::*;

use ccelab_emulators::pki::{CertParams, Issued, KeyPair, KeyType};
use ccelab_emulators::stores::{detect, Entry, Keystore, StoreError, StoreType};
use time::Duration;

fn self_signed(cn: &str, kt: KeyType, i: usize) -> Issued {
    let p = CertParams::leaf(&format!("CN={cn}"), T0, T0 + Duration::days(365)).unwrap();
    Issued::self_signed(&p, pool_key(kt, i)).unwrap()
}

#[test]
fn formats_are_found_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    for (f, t) in [
        ("trust.jks", StoreType::Jks),
        ("trust.jceks", StoreType::Jceks),
        ("cvp.keystore", StoreType::Jceks),
        ("trust.pkcs12", StoreType::Pkcs12),
        ("key.p12", StoreType::Pkcs12),
        ("root.pem", StoreType::Pem),
    ] {
        let bytes = std::fs::read(fixture(f)).unwrap();
        assert_eq!(detect(&bytes), Some(t), "{f}");
        // a misleading name changes nothing
        let renamed = dir.path().join(format!("{f}.cer"));
        std::fs::write(&renamed, &bytes).unwrap();
        let ks = Keystore::load_file(
            &renamed,
            Some(if f == "cvp.keystore" {
                "Cisco123"
            } else {
                "changeit"
            }),
        )
        .unwrap();
        assert_eq!(ks.store_type, t, "{f}");
    }
    // DER and a Windows Base-64 .cer (CRLF)
    let c = self_signed("ece.example.com", KeyType::Rsa2048, 7).cert;
    assert_eq!(detect(c.der()), Some(StoreType::Der));
    let crlf = c.to_pem().replace('\n', "\r\n");
    let ks = Keystore::load(crlf.as_bytes(), None).unwrap();
    assert_eq!(ks.store_type, StoreType::Pem);
    assert_eq!(ks.entries()[0].entry.certificate(), Some(&c));
    assert_eq!(ks.entries()[0].alias, "ece.example.com");
    assert!(matches!(
        Keystore::load(b"hello", None),
        Err(StoreError::UnrecognizedFormat)
    ));
}

#[test]
fn pem_private_keys_in_every_form_openssl_writes() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (kt, conv) in [
        (KeyType::Rsa2048, vec!["rsa", "-traditional"]),
        (KeyType::Rsa1024, vec!["rsa", "-traditional"]),
        (KeyType::EcP256, vec!["ec"]),
        (KeyType::EcP384, vec!["ec"]),
    ] {
        let key = pool_key(kt, 0);
        let pkcs8 = p(d, "k8.pem");
        std::fs::write(&pkcs8, key.to_pkcs8_pem()).unwrap();
        let mut args = conv.clone();
        let out = p(d, "trad.pem");
        args.extend(["-in", &pkcs8, "-out", &out]);
        ok("openssl", &args);
        let text = std::fs::read_to_string(&out).unwrap();
        let label = if kt.rsa_bits().is_some() {
            "RSA PRIVATE KEY"
        } else {
            "EC PRIVATE KEY"
        };
        assert!(text.contains(label), "{kt}: {text}");
        let back = KeyPair::from_pem(&text).unwrap();
        assert_eq!(back.spki_der(), key.spki_der(), "{kt}");
        assert_eq!(back.pkcs8_der(), key.pkcs8_der(), "{kt}");
        // and ccelab writes the same traditional form openssl reads
        let ours = p(d, "ours.pem");
        std::fs::write(&ours, key.to_traditional_pem().unwrap()).unwrap();
        assert!(std::fs::read_to_string(&ours).unwrap().contains(label));
        let a = ok("openssl", &["pkey", "-in", &ours, "-pubout"]);
        let b = ok("openssl", &["pkey", "-in", &pkcs8, "-pubout"]);
        assert_eq!(a, b, "{kt}");
    }
    // a key with its certificate and chain as one PEM store
    let leaf = self_signed("web.example.com", KeyType::EcP256, 5);
    let text = leaf.key.to_pkcs8_pem() + &leaf.cert.to_pem();
    let ks = Keystore::load(text.as_bytes(), None).unwrap();
    assert!(
        matches!(&ks.entries()[0].entry, Entry::PrivateKey { chain, .. } if chain[0] == leaf.cert)
    );
}

#[test]
fn pkcs12_as_keytool_and_openssl_read_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let leaf = self_signed("ece.example.com", KeyType::Rsa2048, 8);
    let other = self_signed("Example Enterprise CA", KeyType::EcP256, 6);
    let mut ks = Keystore::new(StoreType::Pkcs12);
    ks.set_key_entry("ece", leaf.key.pkcs8_der().to_vec(), leaf.chain(), T0)
        .unwrap();
    ks.import_cert("Example Enterprise CA", other.cert.clone(), T0)
        .unwrap();
    let f = p(d, "ours.p12");
    ks.save(std::path::Path::new(&f), "changeit", None).unwrap();
    // keytool: both entries, the key entry dated from its "Time <ms>" local key id
    let out = ok(
        "keytool",
        &["-list", "-keystore", &f, "-storepass", "changeit"],
    );
    assert!(out.contains("ece, Jan 1, 2026, PrivateKeyEntry, "), "{out}");
    assert!(out.contains("example enterprise ca, "), "{out}");
    assert!(
        out.contains(&leaf.cert.sha256_fingerprint())
            && out.contains(&other.cert.sha256_fingerprint()),
        "{out}"
    );
    // openssl: the key, and the friendly names
    let info = ok(
        "openssl",
        &[
            "pkcs12",
            "-info",
            "-in",
            &f,
            "-passin",
            "pass:changeit",
            "-nodes",
        ],
    );
    assert!(
        info.contains("friendlyName: ece") && info.contains("friendlyName: Example Enterprise CA"),
        "{info}"
    );
    assert!(info.contains("BEGIN PRIVATE KEY"), "{info}");
    // and back
    let back = Keystore::load_file(std::path::Path::new(&f), Some("changeit")).unwrap();
    assert_eq!(back.entries().len(), 2);
    assert!(
        back.java_trust_anchors().contains(&leaf.cert),
        "key entries are anchors for Java too"
    );

    // keytool's own PKCS#12 with a key (fixture key.p12)
    let kp = Keystore::load_file(&fixture("key.p12"), Some("changeit")).unwrap();
    let e = kp.get("ECE").unwrap();
    let Entry::PrivateKey {
        key: ccelab_emulators::stores::KeyMaterial::Plain(pkcs8),
        chain,
    } = &e.entry
    else {
        panic!("not a key entry")
    };
    assert_eq!(
        KeyPair::from_pkcs8_der(pkcs8).unwrap().spki_der(),
        chain[0].spki_der()
    );
    assert_eq!(chain[0].common_name().as_deref(), Some("ece.example.com"));
}

#[test]
fn certificate_only_pfx_f22() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let leaf = self_signed("ece.example.com", KeyType::Rsa2048, 9);
    // ccelab's PFX without the key: Java sees a trusted certificate, openssl no key
    let mut ks = Keystore::new(StoreType::Pkcs12);
    ks.import_cert("ece.example.com", leaf.cert.clone(), T0)
        .unwrap();
    let f = p(d, "nokey.pfx");
    ks.save(std::path::Path::new(&f), "changeit", None).unwrap();
    let info = ok(
        "openssl",
        &[
            "pkcs12",
            "-info",
            "-in",
            &f,
            "-passin",
            "pass:changeit",
            "-nodes",
        ],
    );
    assert!(
        !info.contains("PRIVATE KEY") && info.contains("BEGIN CERTIFICATE"),
        "{info}"
    );
    assert!(ok(
        "keytool",
        &["-list", "-keystore", &f, "-storepass", "changeit"]
    )
    .contains("trustedCertEntry"));
    // openssl's certificate-only PFX carries no Java trust attribute: keytool
    // lists nothing, and so does ccelab
    let cert = p(d, "c.pem");
    std::fs::write(&cert, leaf.cert.to_pem()).unwrap();
    let osf = p(d, "openssl.pfx");
    ok(
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-nokeys",
            "-in",
            &cert,
            "-out",
            &osf,
            "-passout",
            "pass:changeit",
        ],
    );
    let kt = ok(
        "keytool",
        &["-list", "-keystore", &osf, "-storepass", "changeit"],
    );
    assert!(kt.contains("Your keystore contains 0 entries"), "{kt}");
    let ours = Keystore::load_file(std::path::Path::new(&osf), Some("changeit")).unwrap();
    assert_eq!(ours.entries().len(), 0);
}

#[test]
fn failed_saves_leave_the_old_store() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cacerts");
    let mut ks = Keystore::new(StoreType::Jks);
    ks.import_cert("a", self_signed("a", KeyType::EcP256, 1).cert, T0)
        .unwrap();
    ks.save(&f, "changeit", None).unwrap();
    let before = std::fs::read(&f).unwrap();
    ks.import_cert("b", self_signed("b", KeyType::EcP256, 2).cert, T0)
        .unwrap();
    assert!(matches!(
        ks.save(&f, "abc", None),
        Err(StoreError::ShortPassword)
    ));
    assert_eq!(std::fs::read(&f).unwrap(), before);
    assert!(ks
        .save(&dir.path().join("no/such/dir/cacerts"), "changeit", None)
        .is_err());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary files left: {names:?}");
    // an existing alias, in any case, is refused as keytool does
    let e = ks
        .import_cert("A", self_signed("c", KeyType::EcP256, 3).cert, T0)
        .unwrap_err();
    assert_eq!(
        e.keytool_line(),
        "keytool error: java.lang.Exception: Certificate not imported, alias <A> already exists"
    );
}

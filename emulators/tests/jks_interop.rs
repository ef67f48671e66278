//! Interoperability of `stores::jks` with the real JDK 17 `keytool` (and
//! `openssl` as a neutral referee): keytool's stores decode as keytool lists
//! them, ours are read by keytool, and both refuse wrong passwords with the
//! same words. Each test works in its own temporary directory.
//!
//! Needs `keytool` and `openssl` on PATH; a missing tool fails the test loudly.

mod common;
use common::{fixture, ok_utf8_in, run_utf8_in, text};

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use ccelab_emulators::stores::jks::{
    decode, encode, flavor_of, protect_key, unprotect_key, Flavor, JksError, RawEntry, RawKind,
};
use rand::rngs::StdRng;
use rand::SeedableRng;
use sha2::{Digest, Sha256};

/// DER of the first PEM block of a file.
fn pem_file(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    pem_der(&text)
}

/// DER of the first PEM block in `text`.
fn pem_der(text: &str) -> Vec<u8> {
    let b64: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("PEM base64")
}

/// Space-separated words (for arguments without spaces) plus `extra` arguments.
fn args<'a>(words: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    words
        .split_whitespace()
        .chain(extra.iter().copied())
        .collect()
}

fn store_type(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Jks => "JKS",
        Flavor::Jceks => "JCEKS",
    }
}

/// `keytool -exportcert -rfc` of `alias`, as DER.
fn exported_cert(dir: &Path, store: &str, flavor: Flavor, pass: &str, alias: &str) -> Vec<u8> {
    let t = store_type(flavor);
    let extra = [
        "-alias",
        alias,
        "-keystore",
        store,
        "-storetype",
        t,
        "-storepass",
        pass,
    ];
    pem_der(&ok_utf8_in(
        dir,
        "keytool",
        &args("-exportcert -rfc", &extra),
    ))
}

/// keytool's fingerprint notation: upper-case hex pairs joined by ':'.
fn sha256_fp(der: &[u8]) -> String {
    let hex = hex::encode_upper(Sha256::digest(der));
    let pairs: Vec<&str> = (0..hex.len()).step_by(2).map(|i| &hex[i..i + 2]).collect();
    pairs.join(":")
}

/// The public key PEM openssl derives from a PKCS#8 key, and the one in a certificate.
fn public_keys(dir: &Path, pkcs8: &[u8], cert: &[u8]) -> (String, String) {
    std::fs::write(dir.join("check-key.der"), pkcs8).unwrap();
    std::fs::write(dir.join("check-cert.der"), cert).unwrap();
    let from_key = ok_utf8_in(
        dir,
        "openssl",
        &args("pkey -inform DER -in check-key.der -pubout", &[]),
    );
    let x509 = "x509 -inform DER -in check-cert.der -pubkey -noout";
    let from_cert = ok_utf8_in(dir, "openssl", &args(x509, &[]));
    assert!(from_key.contains("BEGIN PUBLIC KEY"), "{from_key}");
    (from_key, from_cert)
}

/// `openssl x509 -subject` in RFC 2253 form, e.g. `subject=CN=x,O=y`.
fn subject(dir: &Path, cert: &[u8]) -> String {
    std::fs::write(dir.join("subject.der"), cert).unwrap();
    let x509 = "x509 -inform DER -in subject.der -noout -subject -nameopt RFC2253";
    ok_utf8_in(dir, "openssl", &args(x509, &[]))
        .trim()
        .to_string()
}

/// Alias → entry kind, for order-independent checks.
fn by_alias(entries: &[RawEntry]) -> BTreeMap<&str, &RawKind> {
    entries
        .iter()
        .map(|e| (e.alias.as_str(), &e.kind))
        .collect()
}

fn trusted_der(kind: &RawKind) -> &[u8] {
    match kind {
        RawKind::TrustedCert { cert_type, der } if cert_type == "X.509" => der,
        other => panic!("expected an X.509 trustedCertEntry, got {other:?}"),
    }
}

fn private_parts(kind: &RawKind) -> (&[u8], &[(String, Vec<u8>)]) {
    match kind {
        RawKind::PrivateKey { protected, chain } => (protected, chain),
        other => panic!("expected a PrivateKeyEntry, got {other:?}"),
    }
}

/// The iteration count of a PBEWithMD5AndTripleDES-protected key.
fn pbe_iterations(protected: &[u8]) -> u32 {
    use der::Decode;
    #[derive(der::Sequence)]
    struct Epki {
        alg: spki::AlgorithmIdentifierOwned,
        data: der::asn1::OctetString,
    }
    #[derive(der::Sequence)]
    struct Pbe {
        salt: der::asn1::OctetString,
        iterations: u32,
    }
    let epki = Epki::from_der(protected).unwrap();
    assert_eq!(epki.alg.oid.to_string(), "1.3.6.1.4.1.42.2.19.1");
    assert!(!epki.data.as_bytes().is_empty());
    let pbe: Pbe = epki.alg.parameters.unwrap().decode_as().unwrap();
    assert_eq!(pbe.salt.as_bytes().len(), 8);
    pbe.iterations
}

/// A wrong key password fails for us and for keytool, with the same text.
fn assert_wrong_keypass_like_keytool(
    dir: &Path,
    (store, flavor, storepass): (&str, Flavor, &str),
    alias: &str,
    protected: &[u8],
) {
    let err = unprotect_key(protected, "wrong-key-pass").unwrap_err();
    assert!(matches!(err, JksError::UnrecoverableKey(_)), "{err:?}");
    let t = store_type(flavor);
    let extra = [
        "-srckeystore",
        store,
        "-srcstoretype",
        t,
        "-srcstorepass",
        storepass,
        "-srcalias",
        alias,
    ];
    let tail = "-srckeypass wrong-key-pass -destkeystore wrongkey.p12 -deststoretype PKCS12 -deststorepass changeit";
    let argv: Vec<&str> = args("-importkeystore", &extra)
        .into_iter()
        .chain(args(tail, &[]))
        .collect();
    let o = run_utf8_in(dir, "keytool", &argv);
    let (success, text) = (o.status.success(), text(&o));
    assert!(!success, "{text}");
    // About 1 in 256 wrong JCEKS passwords passes the padding check; Java then
    // fails later with a text of its own, so compare texts in the usual cases only.
    let prefix = "keytool error: java.security.UnrecoverableKeyException: ";
    let usual = [
        "Cannot recover key",
        "Given final block not properly padded",
    ];
    let line = if usual.iter().any(|u| err.to_string().starts_with(u)) {
        format!("{prefix}{err}")
    } else {
        prefix.to_string()
    };
    assert!(
        text.lines().any(|l| l.starts_with(&line)),
        "expected `{line}` in:\n{text}"
    );
}

#[test]
fn keytool_made_stores_decode() {
    for flavor in [Flavor::Jks, Flavor::Jceks] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let t = store_type(flavor);
        let root = fixture("root.pem");
        let store = [
            "-keystore",
            "made.ks",
            "-storetype",
            t,
            "-storepass",
            "storepw1",
        ];
        let root_arg = ["-alias", "Example Root", "-file", root.to_str().unwrap()];
        let import = args("-importcert -noprompt", &[&root_arg[..], &store].concat());
        ok_utf8_in(dir, "keytool", &import);
        let gen_arg = [
            "-dname",
            "CN=interop.example.com, O=ccelab",
            "-keypass",
            "keypw123",
        ];
        let gen = "-genkeypair -alias MyServer -keyalg RSA -keysize 1024";
        ok_utf8_in(dir, "keytool", &args(gen, &[&gen_arg[..], &store].concat()));

        let bytes = std::fs::read(dir.join("made.ks")).unwrap();
        assert_eq!(flavor_of(&bytes), Some(flavor));
        let (f, entries) = decode(&bytes, Some("storepw1")).unwrap();
        assert_eq!(f, flavor);
        assert_eq!(decode(&bytes, None).unwrap().1, entries);
        // Re-encoding what we read gives keytool's file back, byte for byte.
        assert_eq!(encode(flavor, &entries, "storepw1"), bytes, "{t}");

        let map = by_alias(&entries);
        let aliases: Vec<&str> = map.keys().copied().collect();
        assert_eq!(aliases, ["example root", "myserver"], "{t}: lower-cased");
        let exported_root = exported_cert(dir, "made.ks", flavor, "storepw1", "example root");
        assert_eq!(trusted_der(map["example root"]), exported_root);
        assert_eq!(exported_root, pem_file(&root));

        let (protected, chain) = private_parts(map["myserver"]);
        assert_eq!(chain.len(), 1);
        assert_eq!(chain[0].0, "X.509");
        let exported = exported_cert(dir, "made.ks", flavor, "storepw1", "myserver");
        assert_eq!(chain[0].1, exported);
        let dn = subject(dir, &chain[0].1);
        assert_eq!(dn, "subject=CN=interop.example.com,O=ccelab");
        if flavor == Flavor::Jceks {
            assert_eq!(
                pbe_iterations(protected),
                200_000,
                "JDK 17 JCEKS iterations"
            );
        }
        let pkcs8 = unprotect_key(protected, "keypw123").unwrap();
        let info = <pkcs8::PrivateKeyInfo as der::Decode>::from_der(&pkcs8).unwrap();
        assert_eq!(info.algorithm.oid.to_string(), "1.2.840.113549.1.1.1");
        let (from_key, from_cert) = public_keys(dir, &pkcs8, &chain[0].1);
        assert_eq!(from_key, from_cert);

        let store = ("made.ks", flavor, "storepw1");
        assert_wrong_keypass_like_keytool(dir, store, "myserver", protected);
    }
}

#[test]
fn our_stores_are_read_by_keytool() {
    for flavor in [Flavor::Jks, Flavor::Jceks] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let t = store_type(flavor);
        let req = "req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out leaf.pem -days 30";
        ok_utf8_in(
            dir,
            "openssl",
            &args(req, &["-subj", "/CN=ours.example.com"]),
        );
        // openssl 3 writes PKCS#8 PEM here ("BEGIN PRIVATE KEY"); `pkey -outform DER` would be PKCS#1.
        let key = pem_file(&dir.join("key.pem"));
        let leaf = pem_file(&dir.join("leaf.pem"));
        let root = pem_file(&fixture("root.pem"));
        let ece = pem_file(&fixture("ece.pem"));
        let entry = |alias: &str, timestamp_ms: i64, kind: RawKind| RawEntry {
            alias: alias.into(),
            timestamp_ms,
            kind,
        };
        let cert = |der: &[u8]| RawKind::TrustedCert {
            cert_type: "X.509".into(),
            der: der.to_vec(),
        };
        let protected = protect_key(flavor, &key, "keypass9", &mut StdRng::seed_from_u64(42));
        let private = RawKind::PrivateKey {
            protected: protected.clone(),
            chain: vec![("X.509".into(), leaf.clone())],
        };
        let entries = vec![
            entry("example enterprise ca", 1_750_000_000_000, cert(&root)),
            entry("ece.example.com", 1_750_000_001_000, cert(&ece)),
            entry("ours", 1_750_000_002_000, private),
        ];
        std::fs::write(dir.join("ours.ks"), encode(flavor, &entries, "storepass7")).unwrap();

        let store = [
            "-keystore",
            "ours.ks",
            "-storetype",
            t,
            "-storepass",
            "storepass7",
        ];
        let listing = ok_utf8_in(dir, "keytool", &args("-list -v", &store));
        assert!(
            listing.contains(&format!("Keystore type: {t}\n")),
            "{listing}"
        );
        assert!(
            listing.contains("Your keystore contains 3 entries"),
            "{listing}"
        );
        for (alias, entry_type, der) in [
            ("example enterprise ca", "trustedCertEntry", &root),
            ("ece.example.com", "trustedCertEntry", &ece),
            ("ours", "PrivateKeyEntry", &leaf),
        ] {
            let block = listing
                .split("Alias name: ")
                .find(|b| b.starts_with(&format!("{alias}\n")))
                .unwrap_or_else(|| panic!("{alias} not listed:\n{listing}"));
            assert!(
                block.contains(&format!("Entry type: {entry_type}\n")),
                "{block}"
            );
            let fp = format!("SHA256: {}\n", sha256_fp(der));
            assert!(block.contains(&fp), "{fp} not in {block}");
            assert_eq!(
                &exported_cert(dir, "ours.ks", flavor, "storepass7", alias),
                der
            );
        }

        // keytool can only convert the key entry if it decrypted our protection.
        let src = [
            "-srckeystore",
            "ours.ks",
            "-srcstoretype",
            t,
            "-srcstorepass",
            "storepass7",
        ];
        let rest = "-srcalias ours -srckeypass keypass9 -destkeystore x.p12 -deststoretype PKCS12 -deststorepass changeit";
        let argv: Vec<&str> = args("-importkeystore", &src)
            .into_iter()
            .chain(args(rest, &[]))
            .collect();
        ok_utf8_in(dir, "keytool", &argv);
        let p12 = "pkcs12 -in x.p12 -nocerts -nodes -passin pass:changeit -out p12key.pem";
        ok_utf8_in(dir, "openssl", &args(p12, &[]));
        let from_p12 = ok_utf8_in(dir, "openssl", &args("pkey -in p12key.pem -pubout", &[]));
        let from_ours = ok_utf8_in(dir, "openssl", &args("pkey -in key.pem -pubout", &[]));
        assert_eq!(from_p12, from_ours);

        let store = ("ours.ks", flavor, "storepass7");
        assert_wrong_keypass_like_keytool(dir, store, "ours", &protected);
    }
}

#[test]
fn wrong_store_password_like_keytool() {
    let expected =
        "keytool error: java.io.IOException: Keystore was tampered with, or password was incorrect";
    let ours = format!(
        "keytool error: java.io.IOException: {}",
        JksError::TamperedOrBadPassword
    );
    assert_eq!(ours, expected);
    for flavor in [Flavor::Jks, Flavor::Jceks] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let t = store_type(flavor);
        let root = RawEntry {
            alias: "root".into(),
            timestamp_ms: 0,
            kind: RawKind::TrustedCert {
                cert_type: "X.509".into(),
                der: pem_file(&fixture("root.pem")),
            },
        };
        std::fs::write(dir.join("ours.ks"), encode(flavor, &[root], "rightpass")).unwrap();
        let theirs = fixture(match flavor {
            Flavor::Jks => "trust.jks",
            Flavor::Jceks => "trust.jceks",
        });
        for (path, right) in [(dir.join("ours.ks"), "rightpass"), (theirs, "changeit")] {
            let bytes = std::fs::read(&path).unwrap();
            assert!(decode(&bytes, Some(right)).is_ok());
            let err = decode(&bytes, Some("wrongpass")).unwrap_err();
            assert!(matches!(err, JksError::TamperedOrBadPassword), "{err:?}");
            let store = ["-keystore", path.to_str().unwrap(), "-storetype", t];
            let o = run_utf8_in(dir, "keytool", &args("-list -storepass wrongpass", &store));
            let (success, text) = (o.status.success(), text(&o));
            assert!(!success);
            assert!(
                text.lines().any(|l| l == expected),
                "{t}: no `{expected}` in:\n{text}"
            );
        }
    }
}

#[test]
fn shared_fixtures_decode_as_their_readme_says() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pem = |name: &str| pem_file(&fixture(name));
    for (name, flavor) in [("trust.jks", Flavor::Jks), ("trust.jceks", Flavor::Jceks)] {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let (f, entries) = decode(&bytes, Some("changeit")).unwrap();
        assert_eq!(f, flavor, "{name}");
        let map = by_alias(&entries);
        assert_eq!(map.len(), 2, "{name}");
        assert_eq!(
            trusted_der(map["example enterprise ca"]),
            pem("root.pem"),
            "{name}"
        );
        assert_eq!(
            trusted_der(map["ece.example.com"]),
            pem("ece.pem"),
            "{name}"
        );
        assert_eq!(
            encode(flavor, &entries, "changeit"),
            bytes,
            "{name} re-encodes exactly"
        );
    }

    let bytes = std::fs::read(fixture("aw-cacerts.jks")).unwrap();
    let (f, entries) = decode(&bytes, Some("changeit")).unwrap();
    assert_eq!(f, Flavor::Jks);
    let map = by_alias(&entries);
    assert_eq!(
        map.keys().copied().collect::<Vec<_>>(),
        ["root", "tomcatcert"]
    );
    assert_eq!(trusted_der(map["root"]), pem("root.pem"));
    let (protected, chain) = private_parts(map["tomcatcert"]);
    let dn = "subject=CN=CCE-AW-1-21,OU=cisco,O=ccbu,L=BLR,ST=KA,C=91";
    assert_eq!(subject(dir, &chain[0].1), dn);
    let key = unprotect_key(protected, "changeit").unwrap();
    let (from_key, from_cert) = public_keys(dir, &key, &chain[0].1);
    assert_eq!(from_key, from_cert);
    let text = ok_utf8_in(
        dir,
        "openssl",
        &args("pkey -inform DER -in check-key.der -noout -text", &[]),
    );
    assert!(text.contains("Private-Key: (1024 bit"), "{text}");
    assert_eq!(encode(f, &entries, "changeit"), bytes);

    let bytes = std::fs::read(fixture("cvp.keystore")).unwrap();
    let (f, entries) = decode(&bytes, Some("Cisco123")).unwrap();
    assert_eq!(f, Flavor::Jceks);
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].alias, "wsm_certificate");
    let (protected, chain) = private_parts(&entries[0].kind);
    assert_eq!(subject(dir, &chain[0].1), "subject=CN=cvprpt.example.com");
    assert_eq!(pbe_iterations(protected), 200_000);
    let key = unprotect_key(protected, "Cisco123").unwrap();
    let (from_key, from_cert) = public_keys(dir, &key, &chain[0].1);
    assert_eq!(from_key, from_cert);
    let text = ok_utf8_in(
        dir,
        "openssl",
        &args("pkey -inform DER -in check-key.der -noout -text", &[]),
    );
    assert!(text.contains("Private-Key: (1024 bit"), "{text}");
    assert_eq!(encode(f, &entries, "Cisco123"), bytes);
}

#[test]
fn jceks_secret_keys_are_kept_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let common = "-keystore sec.jceks -storetype JCEKS -storepass changeit -keypass secretpw";
    for cmd in [
        "-genseckey -alias aes -keyalg AES -keysize 128",
        "-genseckey -alias mac -keyalg HmacSHA256 -keysize 256",
        "-genkeypair -alias rsa -keyalg RSA -keysize 1024 -dname CN=s",
    ] {
        ok_utf8_in(dir, "keytool", &args(&format!("{cmd} {common}"), &[]));
    }
    let bytes = std::fs::read(dir.join("sec.jceks")).unwrap();
    let (_, entries) = decode(&bytes, Some("changeit")).unwrap();
    assert_eq!(encode(Flavor::Jceks, &entries, "changeit"), bytes);
    let map = by_alias(&entries);
    assert_eq!(
        map.keys().copied().collect::<Vec<_>>(),
        ["aes", "mac", "rsa"]
    );
    for alias in ["aes", "mac"] {
        let RawKind::SecretKey { sealed } = map[alias] else {
            panic!("{alias}: {:?}", map[alias]);
        };
        assert!(sealed.starts_with(&[0xAC, 0xED, 0, 5]), "{alias}");
    }
    // Written back under a new store password, keytool still opens the secret key.
    std::fs::write(
        dir.join("back.jceks"),
        encode(Flavor::Jceks, &entries, "newstorepw"),
    )
    .unwrap();
    let back = "-keystore back.jceks -storetype JCEKS -storepass newstorepw";
    let listing = ok_utf8_in(dir, "keytool", &args(&format!("-list {back}"), &[]));
    assert_eq!(listing.matches("SecretKeyEntry").count(), 2, "{listing}");
    let export =
        "-importkeystore -srckeystore back.jceks -srcstoretype JCEKS -srcstorepass newstorepw \
                  -srcalias aes -srckeypass secretpw -destkeystore aes.p12 -deststoretype PKCS12 \
                  -deststorepass changeit";
    ok_utf8_in(dir, "keytool", &args(export, &[]));
}

#[test]
fn non_ascii_passwords_in_jks() {
    // JKS hashes passwords as UTF-16BE, so any Unicode works; keytool decodes
    // its arguments as UTF-8 under the C.UTF-8 locale `run_utf8_in` sets.
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (storepass, keypass) = ("p\u{e4}ssw\u{f6}rd\u{20ac}", "k\u{eb}y\u{20ac}ab");
    let gen = "-genkeypair -alias k -keyalg RSA -keysize 1024 -dname CN=x -keystore na.jks -storetype JKS";
    ok_utf8_in(
        dir,
        "keytool",
        &args(gen, &["-storepass", storepass, "-keypass", keypass]),
    );
    let bytes = std::fs::read(dir.join("na.jks")).unwrap();
    let (_, entries) = decode(&bytes, Some(storepass)).unwrap();
    let (protected, chain) = private_parts(&entries[0].kind);
    let key = unprotect_key(protected, keypass).unwrap();
    let (from_key, from_cert) = public_keys(dir, &key, &chain[0].1);
    assert_eq!(from_key, from_cert);
    // And back: our store under a Cyrillic password, read by keytool.
    let secret = "\u{441}\u{435}\u{43a}\u{440}\u{435}\u{442}";
    std::fs::write(dir.join("back.jks"), encode(Flavor::Jks, &entries, secret)).unwrap();
    let list = "-list -keystore back.jks -storetype JKS";
    let listing = ok_utf8_in(dir, "keytool", &args(list, &["-storepass", secret]));
    assert!(
        listing.contains("k, ") && listing.contains("PrivateKeyEntry"),
        "{listing}"
    );
}

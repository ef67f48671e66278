//! Key and trust store parsing: whatever the bytes, `Keystore::load` returns
//! a store or an error (JKS, JCEKS, PKCS#12, PEM, DER detected by content),
//! with and without a password, and a loaded store saves again.
#![no_main]
use ccelab_emulators::stores::Keystore;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for pass in [None, Some("changeit")] {
        if let Ok(ks) = Keystore::load(data, pass) {
            let _ = ks.to_bytes("changeit", None);
            let _ = ks.java_trust_anchors();
        }
    }
});

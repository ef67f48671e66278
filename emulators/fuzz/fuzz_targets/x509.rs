//! X.509 certificates and PKCS#10 requests, DER and PEM: parsed or refused,
//! never a panic; what parses can be printed and re-encoded.
#![no_main]
use ccelab_emulators::pki::{Certificate, Csr};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Certificate::from_der(data) {
        let _ = c.to_pem();
        let _ = c.common_name();
        let _ = c.is_self_issued();
        let _ = c.sha256_fingerprint();
    }
    if let Ok(c) = Csr::parse(data) {
        let _ = c.subject_string();
        let _ = c.requested_extensions();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Certificate::all_from_pem(text);
    }
});

//! The "browser" personality: rustls-webpki's rules, through rustls's own
//! `WebPkiServerVerifier`, so verdict and text are exactly what a rustls
//! client (and, closely, a modern browser) decides: anchors must be CA
//! certificates reached through the chain sent, names come from SANs only
//! (no CN fallback), validity is checked on every certificate.

use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::RootCertStore;
use time::OffsetDateTime;

use super::Verdict;
use crate::pki::Certificate;

/// Judges `chain` (leaf first, as sent) for `name` with `anchors` at `at`.
pub(crate) fn judge(
    chain: &[Certificate],
    anchors: &[Certificate],
    name: &str,
    at: OffsetDateTime,
) -> Verdict {
    let Some((leaf, rest)) = chain.split_first() else {
        return Verdict::refuse("invalid peer certificate: no certificate presented");
    };
    let mut roots = RootCertStore::empty();
    for a in anchors {
        // a certificate webpki cannot use as an anchor is simply not one
        let _ = roots.add(CertificateDer::from(a.der().to_vec()));
    }
    if roots.is_empty() {
        return Verdict::refuse("invalid peer certificate: UnknownIssuer");
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier =
        match WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider).build() {
            Ok(v) => v,
            Err(e) => return Verdict::refuse(format!("no usable trust anchors: {e}")),
        };
    let server_name = match ServerName::try_from(name.to_string()) {
        Ok(n) => n,
        Err(_) => return Verdict::refuse(format!("invalid server name `{name}`")),
    };
    let leaf_der = CertificateDer::from(leaf.der().to_vec());
    let inter: Vec<CertificateDer<'static>> = rest
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    let now = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
        at.unix_timestamp().max(0) as u64,
    ));
    match verifier.verify_server_cert(&leaf_der, &inter, &server_name, &[], now) {
        Ok(_) => Verdict::accept("certificate accepted"),
        Err(e) => Verdict::refuse(e.to_string()),
    }
}

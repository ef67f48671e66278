//! Java 17 JSSE as CCE Administration (Tomcat, `HttpsURLConnection`) and the
//! ECE application server see a peer: PKIX path building and validation
//! (`sun.security.validator.PKIXValidator`, `SunCertPathBuilder`) and the
//! HTTPS host-name rules (`sun.security.util.HostnameChecker`), with the
//! exception chains Java prints. Facts verified against JDK 17.0.15:
//!
//! * a leaf that is itself in the trust store is trusted without any further
//!   check — even expired (Java checks no validity on a trust anchor);
//! * any certificate of the path may be the anchor (only the intermediate
//!   trusted is enough); trusted-key entries count as anchors too;
//! * RSA-1024 and SHA-1 from a private CA pass (`jdk.certpath.disabledAlgorithms`
//!   disables `RSA keySize < 1024` and `SHA1 jdkCA` only);
//! * host names: SAN DNS names when any exists (`No subject alternative DNS
//!   name matching X found.`), else the most specific CN (`No name matching
//!   X found`); IP literals only against IP SANs (`No subject alternative names
//!   present` / `No subject alternative names matching IP address X found`).
//!
//! The F1 line of [ECE]'s troubleshooting was logged by an older JDK (8),
//! whose message embeds the cause's class name
//! (`javax.net.ssl.SSLHandshakeException: sun.security.validator.ValidatorException: PKIX path building failed: …`);
//! Java 17 prints the same message without it, as produced here.

use time::OffsetDateTime;

use super::{alert_name, Contact, Verdict};
use crate::pki::{Certificate, San};

const SSL_HANDSHAKE: &str = "javax.net.ssl.SSLHandshakeException";
const BUILD_FAILED: &str =
    "PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target";
const VALIDATION_FAILED: &str =
    "PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed";

/// Java's `Date.toString()` in UTC: `Sat Nov 21 22:21:04 UTC 2026`.
pub fn java_date(t: OffsetDateTime) -> String {
    use crate::clock::MONTH_ABBR as M;
    const D: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        D[t.weekday().number_days_from_monday() as usize],
        M[t.month() as usize - 1],
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.year()
    )
}

/// A Java exception chain, top first, as `class: message` lines.
fn chain(lines: Vec<String>) -> Verdict {
    Verdict {
        ok: false,
        text: lines[0].clone(),
        detail: lines,
        exit_code: None,
    }
}

fn issued_by(child: &Certificate, parent: &Certificate) -> bool {
    child.issuer() == parent.subject() && child.is_signed_by(parent)
}

/// Finds the certification path: leaf, then certificates from the chain sent,
/// up to the first one issued by a trust anchor. None: no path.
fn build_path<'a>(
    chain: &'a [Certificate],
    anchors: &[Certificate],
) -> Option<Vec<&'a Certificate>> {
    let leaf = chain.first()?;
    let mut path = vec![leaf];
    let mut cur = leaf;
    loop {
        if anchors.iter().any(|a| a == cur) && !std::ptr::eq(cur, leaf) {
            // the cert itself is an anchor: the path ends below it
            path.pop();
            return Some(path);
        }
        if anchors.iter().any(|a| issued_by(cur, a)) {
            return Some(path);
        }
        let next = chain
            .iter()
            .skip(1)
            .find(|c| !path.iter().any(|p| p == c) && issued_by(cur, c))?;
        path.push(next);
        cur = next;
    }
}

/// The PKIX decision: None when trusted, else the exception chain.
fn pkix(
    chain_sent: &[Certificate],
    anchors: &[Certificate],
    at: OffsetDateTime,
) -> Option<Verdict> {
    let leaf = chain_sent.first()?;
    if anchors.contains(leaf) {
        return None;
    }
    let Some(path) = build_path(chain_sent, anchors) else {
        return Some(pkix_failure());
    };
    // PKIXCertPathValidator checks from the anchor's side down to the leaf.
    for c in path.iter().rev() {
        let cause = if at > c.not_after() {
            format!(
                "java.security.cert.CertificateExpiredException: NotAfter: {}",
                java_date(c.not_after())
            )
        } else if at < c.not_before() {
            format!(
                "java.security.cert.CertificateNotYetValidException: NotBefore: {}",
                java_date(c.not_before())
            )
        } else {
            continue;
        };
        return Some(chain(vec![
            format!("{SSL_HANDSHAKE}: {VALIDATION_FAILED}"),
            format!("sun.security.validator.ValidatorException: {VALIDATION_FAILED}"),
            "java.security.cert.CertPathValidatorException: validity check failed".into(),
            cause,
        ]));
    }
    None
}

/// `HostnameChecker` wildcard matching for TLS: `*` only as the whole
/// leftmost label, matching exactly one label; case-insensitive.
fn name_matches(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.to_ascii_lowercase(), name.to_ascii_lowercase());
    let (p, n) = (p.trim_end_matches('.'), n.trim_end_matches('.'));
    match p.strip_prefix("*.") {
        Some(rest) => n
            .split_once('.')
            .is_some_and(|(first, tail)| !first.is_empty() && tail == rest),
        None => p == n,
    }
}

fn hostname(leaf: &Certificate, name: &str) -> Option<String> {
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        if !leaf.has_subject_alt_name() {
            return Some("No subject alternative names present".into());
        }
        if leaf.sans().contains(&San::Ip(ip)) {
            return None;
        }
        return Some(format!(
            "No subject alternative names matching IP address {bare} found"
        ));
    }
    let dns: Vec<String> = leaf
        .sans()
        .into_iter()
        .filter_map(|s| if let San::Dns(d) = s { Some(d) } else { None })
        .collect();
    if !dns.is_empty() {
        if dns.iter().any(|d| name_matches(d, name)) {
            return None;
        }
        return Some(format!(
            "No subject alternative DNS name matching {name} found."
        ));
    }
    match leaf.common_name() {
        Some(cn) if name_matches(&cn, name) => None,
        _ => Some(format!("No name matching {name} found")),
    }
}

/// Judges the chain a server sent, as `HttpsURLConnection` to `https://name/` would.
pub fn judge(
    chain_sent: &[Certificate],
    anchors: &[Certificate],
    name: &str,
    at: OffsetDateTime,
) -> Verdict {
    let Some(leaf) = chain_sent.first() else {
        return chain(vec![format!(
            "{SSL_HANDSHAKE}: Empty server certificate chain"
        )]);
    };
    if anchors.is_empty() {
        let m = "Unexpected error: java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty";
        return chain(vec![
            format!("javax.net.ssl.SSLException: {m}"),
            format!("java.lang.RuntimeException: {m}"),
            "java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty".into(),
        ]);
    }
    if let Some(v) = pkix(chain_sent, anchors, at) {
        return v;
    }
    if let Some(m) = hostname(leaf, name) {
        return chain(vec![
            format!("{SSL_HANDSHAKE}: {m}"),
            format!("java.security.cert.CertificateException: {m}"),
        ]);
    }
    Verdict::accept("OK")
}

/// What Java prints when the connection fails before a certificate is seen
/// on a connection to `name`.
pub fn contact_failure(c: &Contact, name: &str) -> Verdict {
    let lines: Vec<String> = match c {
        Contact::Presented { .. } => return Verdict::accept("OK"),
        Contact::Refused => vec!["java.net.ConnectException: Connection refused".into()],
        Contact::Reset => vec!["java.net.SocketException: Connection reset".into()],
        Contact::Closed => vec![
            format!("{SSL_HANDSHAKE}: Remote host terminated the handshake"),
            "java.io.EOFException: SSL peer shut down incorrectly".into(),
        ],
        Contact::Alert(a) => vec![format!(
            "{SSL_HANDSHAKE}: Received fatal alert: {}",
            alert_name(*a)
        )],
        Contact::NotTls => {
            vec!["javax.net.ssl.SSLException: Unsupported or unrecognized SSL message".into()]
        }
        Contact::TimedOut => vec!["java.net.SocketTimeoutException: Read timed out".into()],
        // measured (JDK 17.0.15, HttpsURLConnection): the name alone, no cause
        Contact::Unresolved => return unresolved(name),
    };
    chain(lines)
}

/// `java.net.UnknownHostException: NAME` — a name Java cannot resolve
/// (measured with JDK 17.0.15, for a dotted and a single-label name alike).
fn unresolved(name: &str) -> Verdict {
    chain(vec![format!("java.net.UnknownHostException: {name}")])
}

/// What Java prints when `javax.net.ssl.trustStore` cannot be loaded (wrong
/// password, wrong type, a PEM or empty file): the real cause is not in the
/// chain — only `-Djavax.net.debug=trustmanager` shows it.
pub fn truststore_unusable() -> Verdict {
    let m = "java.security.NoSuchAlgorithmException: Error constructing implementation (algorithm: Default, provider: SunJSSE, class: sun.security.ssl.SSLContextImpl$DefaultSSLContext)";
    chain(vec![
        format!("java.net.SocketException: {m}"),
        m.to_string(),
        "java.security.KeyManagementException: problem accessing trust store".into(),
    ])
}

/// How Java's default trust manager gets its anchors from
/// `-Djavax.net.ssl.trustStore=PATH [-Djavax.net.ssl.trustStorePassword=P]
/// [-Djavax.net.ssl.trustStoreType=T]`, as verified on JDK 17.0.15:
///
/// * a missing file (or a directory) is silently ignored and the JDK's own
///   `cacerts` is used instead (`jdk_cacerts`, public CAs only);
/// * JKS and PKCS12 are dual-format (`keystore.type.compat=true`): either type
///   name reads either file; JCEKS, PEM, an empty file, a wrong password or an
///   unknown type make the store unusable ([`truststore_unusable`]);
/// * without a password a JKS loads (no integrity check) but a PKCS12 loads
///   no certificate at all (its certificate bags are encrypted), which fails
///   later with "the trustAnchors parameter must be non-empty".
pub fn trust_anchors(
    path: &std::path::Path,
    password: Option<&str>,
    store_type: Option<crate::stores::StoreType>,
    jdk_cacerts: Option<&std::path::Path>,
) -> Result<Vec<Certificate>, Verdict> {
    trust_anchors_from(std::fs::read(path).ok(), password, store_type, jdk_cacerts)
}

/// [`trust_anchors`] from the store's bytes, as read (None: no file there).
pub fn trust_anchors_from(
    bytes: Option<Vec<u8>>,
    password: Option<&str>,
    store_type: Option<crate::stores::StoreType>,
    jdk_cacerts: Option<&std::path::Path>,
) -> Result<Vec<Certificate>, Verdict> {
    use crate::stores::{detect, Keystore, StoreType};
    let Some(bytes) = bytes else {
        return match jdk_cacerts.and_then(|p| std::fs::read(p).ok()) {
            Some(b) => Keystore::load(&b, None)
                .map(|k| k.java_trust_anchors())
                .map_err(|_| truststore_unusable()),
            // no JDK cacerts here: public CAs only, which never anchor a lab chain
            None => Err(pkix_failure()),
        };
    };
    let content = detect(&bytes);
    let readable = match (store_type, content) {
        (Some(StoreType::Jceks), Some(StoreType::Jceks)) => true,
        (
            Some(StoreType::Jks | StoreType::Pkcs12) | None,
            Some(StoreType::Jks | StoreType::Pkcs12),
        ) => true,
        (None, Some(StoreType::Jceks)) => false, // the default type (PKCS12/JKS) cannot read JCEKS
        _ => false,
    };
    if !readable {
        return Err(truststore_unusable());
    }
    let password = password.filter(|p| !p.is_empty());
    if content == Some(StoreType::Pkcs12) && password.is_none() {
        return Ok(Vec::new());
    }
    Keystore::load(&bytes, password)
        .map(|k| k.java_trust_anchors())
        .map_err(|_| truststore_unusable())
}

/// The PKIX path-building failure chain (F1's exception, as Java 17 prints it).
pub fn pkix_failure() -> Verdict {
    chain(vec![
        format!("{SSL_HANDSHAKE}: {BUILD_FAILED}"),
        format!("sun.security.validator.ValidatorException: {BUILD_FAILED}"),
        "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target".into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_as_hostname_checker() {
        assert!(name_matches("*.example.com", "ece.example.com"));
        assert!(!name_matches("*.example.com", "a.b.example.com"));
        assert!(!name_matches("*.example.com", "example.com"));
        assert!(name_matches("ECE.example.com", "ece.EXAMPLE.com"));
    }

    #[test]
    fn java_dates() {
        assert_eq!(
            java_date(time::macros::datetime!(2026-11-21 22:21:04 UTC)),
            "Sat Nov 21 22:21:04 UTC 2026"
        );
    }
}

//! Java's JSSE as CCE Administration (Tomcat, `HttpsURLConnection`), the
//! ECE application server, CVP and the VOS appliances see a peer, on the Java
//! each runs ([`Jre`]): PKIX path building and validation
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
//! The same decisions as other Java versions word them ([`Jre`], issue 19):
//! JDK 11 is pinned against Temurin 11.0.13 (`emulators/tests/personality_diff.rs`);
//! JDK 8's old JSSE (before 8u261/8u272) against the OpenJDK 8u source and
//! published traces, cited at each text. The F1 line of [ECE]'s
//! troubleshooting was logged by such a JDK 8, whose handshake exception
//! embeds the cause's class name
//! (`javax.net.ssl.SSLHandshakeException: sun.security.validator.ValidatorException: PKIX path building failed: …`);
//! the backported JSSE, 11 and 17 print the cause's message only
//! (`TransportContext.fatal` takes `cause.getMessage()`).

use time::OffsetDateTime;

use super::jre::Jre;
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

/// The `SSLHandshakeException` JSSE throws for `causes` (top cause first,
/// `class: message`): the old JSSE's message is the cause's `toString()`
/// (`Alerts.getSSLException(…, reason, cause)` in JDK 8 before 8u261:
/// "javax.net.ssl.SSLHandshakeException: sun.security.validator.ValidatorException: PKIX path building failed: …",
/// escline/InstallCert#7 on 8u111, apache/pouchdb#8177 on 8u222;
/// "…SSLHandshakeException: java.security.cert.CertificateException: No
/// subject alternative DNS name matching … found.", alecgorge/jsonapi#493),
/// the new one's the cause's message (`TransportContext.fatal`, measured on
/// 11.0.13 and 17.0.15).
fn handshake(jre: Jre, causes: Vec<String>) -> Verdict {
    let first = causes.first().cloned().unwrap_or_default();
    let top = if jre.old_jsse() {
        format!("{SSL_HANDSHAKE}: {first}")
    } else {
        let message = first.split_once(": ").map_or("", |(_, m)| m);
        format!("{SSL_HANDSHAKE}: {message}")
    };
    let mut lines = vec![top];
    lines.extend(causes);
    chain(lines)
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
    jre: Jre,
    chain_sent: &[Certificate],
    anchors: &[Certificate],
    at: OffsetDateTime,
) -> Option<Verdict> {
    let leaf = chain_sent.first()?;
    if anchors.contains(leaf) {
        return None;
    }
    let Some(path) = build_path(chain_sent, anchors) else {
        return Some(pkix_failure(jre));
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
        return Some(handshake(
            jre,
            vec![
                format!("sun.security.validator.ValidatorException: {VALIDATION_FAILED}"),
                "java.security.cert.CertPathValidatorException: validity check failed".into(),
                cause,
            ],
        ));
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

/// Judges the chain a server sent, as `HttpsURLConnection` to
/// `https://name/` on `jre` would.
pub fn judge(
    jre: Jre,
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
        // the old JSSE wraps the RuntimeException itself (`Alerts.getSSLException`):
        // "javax.net.ssl.SSLException: java.lang.RuntimeException: Unexpected
        // error: java.security.InvalidAlgorithmParameterException: the
        // trustAnchors parameter must be non-empty" (a trace with
        // `sun.security.ssl.Alerts.getSSLException(Alerts.java:214)`, the old
        // JSSE's frame, stored-code id 26608456545; the same line in JDK 8
        // reports, e.g. a RedHat OpenJDK 8u265 note, id 48998456318)
        let top = if jre.old_jsse() {
            format!("javax.net.ssl.SSLException: java.lang.RuntimeException: {m}")
        } else {
            format!("javax.net.ssl.SSLException: {m}")
        };
        return chain(vec![
            top,
            format!("java.lang.RuntimeException: {m}"),
            "java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty".into(),
        ]);
    }
    if let Some(v) = pkix(jre, chain_sent, anchors, at) {
        return v;
    }
    if let Some(m) = hostname(leaf, name) {
        return handshake(
            jre,
            vec![format!("java.security.cert.CertificateException: {m}")],
        );
    }
    Verdict::accept("OK")
}

/// What Java prints when the connection fails before a certificate is seen
/// on a connection to `name`.
pub fn contact_failure(jre: Jre, c: &Contact, name: &str) -> Verdict {
    let lines: Vec<String> = match c {
        Contact::Presented { .. } => return Verdict::accept("OK"),
        Contact::Refused => vec![connection_refused(jre, false)],
        Contact::Reset => vec!["java.net.SocketException: Connection reset".into()],
        // the old JSSE's `SSLSocketImpl.readRecord`: "javax.net.ssl.SSLHandshakeException:
        // Remote host closed connection during handshake … Caused by:
        // java.io.EOFException: SSL peer shut down incorrectly at
        // sun.security.ssl.InputRecord.read(InputRecord.java:505)" (a JDK 8
        // trace, stored-code id 9003213348; SSLSocketImpl.java:992)
        Contact::Closed if jre.old_jsse() => vec![
            format!("{SSL_HANDSHAKE}: Remote host closed connection during handshake"),
            "java.io.EOFException: SSL peer shut down incorrectly".into(),
        ],
        Contact::Closed => vec![
            format!("{SSL_HANDSHAKE}: Remote host terminated the handshake"),
            "java.io.EOFException: SSL peer shut down incorrectly".into(),
        ],
        // the old JSSE's `InputRecord.handleUnknownRecord`: "javax.net.ssl.SSLException:
        // Unrecognized SSL message, plaintext connection? at
        // sun.security.ssl.InputRecord.handleUnknownRecord(InputRecord.java:710)"
        // (a JDK 8 trace, stored-code id 24241657586)
        Contact::NotTls if jre.old_jsse() => {
            vec![
                "javax.net.ssl.SSLException: Unrecognized SSL message, plaintext connection?"
                    .into(),
            ]
        }
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

/// `java.net.ConnectException` for a refused connection on a Windows host
/// or not. JDK 17's `NioSocketImpl` says "Connection refused" (measured,
/// 17.0.15 on Linux; ccelab keeps it on Windows too, unmeasured there).
/// JDK 8 and 11 use `PlainSocketImpl`, whose native code adds its own
/// words: on Linux "Connection refused (Connection refused)" (measured,
/// 11.0.13; the same in 8u traces, "java.net.ConnectException: Connection
/// refused (Connection refused) at
/// java.net.PlainSocketImpl.socketConnect(Native Method)"), on Windows
/// "Connection refused: connect" (`DualStackPlainSocketImpl`; JDK 8 traces
/// from Windows hosts, as CVP's logs show it).
pub fn connection_refused(jre: Jre, windows: bool) -> String {
    match (jre, windows) {
        (Jre::Jdk17, _) => "java.net.ConnectException: Connection refused".into(),
        (Jre::Jdk8(_) | Jre::Jdk11, true) => {
            "java.net.ConnectException: Connection refused: connect".into()
        }
        (Jre::Jdk8(_) | Jre::Jdk11, false) => {
            "java.net.ConnectException: Connection refused (Connection refused)".into()
        }
    }
}

/// Why `javax.net.ssl.trustStore` could not be loaded: the loader's own
/// exceptions, which JDK 8 and 11 put at the end of the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreProblem {
    /// A JKS (or JCEKS) store with another password.
    JksPassword,
    /// A PKCS#12 store with another password.
    Pkcs12Password,
    /// A store the loader could not parse, with the loader's exception.
    Unreadable(&'static str),
    /// A store the loader could not parse, where the exception depends on
    /// the bytes in a way ccelab does not model.
    Unknown,
}

/// What the loader of `store_type` (as `-Djavax.net.ssl.trustStoreType`
/// names it; None: the default) throws for `bytes` it cannot parse
/// (measured, 11.0.13): the JKS-family loaders (`JKS`, `JCEKS`) check the
/// magic, the default `PKCS12` loader (with `keystore.type.compat`) parses
/// DER unless the magic is JKS's.
fn unreadable(store_type: Option<crate::stores::StoreType>, bytes: &[u8]) -> StoreProblem {
    use crate::stores::StoreType;
    let jks_family = matches!(store_type, Some(StoreType::Jks | StoreType::Jceks));
    match (jks_family, bytes) {
        (true, []) => StoreProblem::Unreadable("java.io.EOFException"),
        (true, _) => StoreProblem::Unreadable("java.io.IOException: Invalid keystore format"),
        (false, []) => StoreProblem::Unreadable("java.io.IOException: Short read of DER length"),
        // JCEKS's magic 0xCECECECE as DER: tag 0xCE, then a long-form
        // length byte 0xCE (0x4E = 78 length octets)
        (false, [0xCE, 0xCE, 0xCE, 0xCE, ..]) => StoreProblem::Unreadable(
            "java.io.IOException: DerInputStream.getLength(): lengthTag=78, too big.",
        ),
        // PEM: tag '-' (45), length '-' (45 octets, there in any certificate's PEM)
        (false, [b'-', b'-', rest @ ..]) if rest.len() >= 45 => {
            StoreProblem::Unreadable("java.io.IOException: toDerInputStream rejects tag type 45")
        }
        _ => StoreProblem::Unknown,
    }
}

/// What Java prints when `javax.net.ssl.trustStore` cannot be loaded. JDK
/// 17 ends the chain at `KeyManagementException: problem accessing trust
/// store` (the cause shows only with `-Djavax.net.debug=trustmanager`);
/// JDK 11 ends it with a `KeyStoreException` and the loader's own
/// exceptions (measured, 11.0.13); JDK 8 as 11 (published 8u traces:
/// jcustenborder/kafka-connect-syslog#8 "java.net.SocketException:
/// java.security.NoSuchAlgorithmException: Error constructing
/// implementation (algorithm: Default, provider: SunJSSE, class:
/// sun.security.ssl.SSLContextImpl$DefaultSSLContext)", wso2/product-is#16273
/// "Caused by: java.security.KeyStoreException: problem accessing trust",
/// escline/InstallCert#4 on 8u101 "java.io.IOException: Keystore was
/// tampered with, or password was incorrect … Caused by:
/// java.security.UnrecoverableKeyException: Password verification failed";
/// docs/research/java-versions.md §2.4). Where the loader's exception
/// depends on the bytes in a way ccelab does not model, the chain stops at
/// the `KeyStoreException`.
pub fn truststore_unusable(jre: Jre, problem: StoreProblem) -> Verdict {
    let m = "java.security.NoSuchAlgorithmException: Error constructing implementation (algorithm: Default, provider: SunJSSE, class: sun.security.ssl.SSLContextImpl$DefaultSSLContext)";
    let mut lines = vec![format!("java.net.SocketException: {m}"), m.to_string()];
    if jre == Jre::Jdk17 {
        lines.push("java.security.KeyManagementException: problem accessing trust store".into());
        return chain(lines);
    }
    lines.push("java.security.KeyStoreException: problem accessing trust store".into());
    match problem {
        StoreProblem::JksPassword => lines.extend([
            "java.io.IOException: Keystore was tampered with, or password was incorrect".to_string(),
            "java.security.UnrecoverableKeyException: Password verification failed".to_string(),
        ]),
        StoreProblem::Pkcs12Password => lines.extend([
            "java.io.IOException: keystore password was incorrect".to_string(),
            "java.security.UnrecoverableKeyException: failed to decrypt safe contents entry: javax.crypto.BadPaddingException: Given final block not properly padded. Such issues can arise if a bad key is used during decryption.".to_string(),
        ]),
        StoreProblem::Unreadable(cause) => lines.push(cause.into()),
        StoreProblem::Unknown => {}
    }
    chain(lines)
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
    jre: Jre,
    path: &std::path::Path,
    password: Option<&str>,
    store_type: Option<crate::stores::StoreType>,
    jdk_cacerts: Option<&std::path::Path>,
) -> Result<Vec<Certificate>, Verdict> {
    trust_anchors_from(
        jre,
        std::fs::read(path).ok(),
        password,
        store_type,
        jdk_cacerts,
    )
}

/// [`trust_anchors`] from the store's bytes, as read (None: no file there).
pub fn trust_anchors_from(
    jre: Jre,
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
                .map_err(|_| truststore_unusable(jre, StoreProblem::Unknown)),
            // no JDK cacerts here: public CAs only, which never anchor a lab chain
            None => Err(pkix_failure(jre)),
        };
    };
    let content = detect(&bytes);
    let readable = match (store_type, content) {
        // the JCEKS loader reads JKS too (measured, 11.0.13 and 17.0.15)
        (Some(StoreType::Jceks), Some(StoreType::Jceks | StoreType::Jks)) => true,
        (
            Some(StoreType::Jks | StoreType::Pkcs12) | None,
            Some(StoreType::Jks | StoreType::Pkcs12),
        ) => true,
        (None, Some(StoreType::Jceks)) => false, // the default type (PKCS12/JKS) cannot read JCEKS
        _ => false,
    };
    if !readable {
        return Err(truststore_unusable(jre, unreadable(store_type, &bytes)));
    }
    let password = password.filter(|p| !p.is_empty());
    if content == Some(StoreType::Pkcs12) && password.is_none() {
        return Ok(Vec::new());
    }
    let problem = match content {
        Some(StoreType::Pkcs12) => StoreProblem::Pkcs12Password,
        _ => StoreProblem::JksPassword,
    };
    Keystore::load(&bytes, password)
        .map(|k| k.java_trust_anchors())
        .map_err(|_| truststore_unusable(jre, problem))
}

/// The PKIX path-building failure chain (F1's exception, as `jre` prints it).
pub fn pkix_failure(jre: Jre) -> Verdict {
    handshake(
        jre,
        vec![
            format!("sun.security.validator.ValidatorException: {BUILD_FAILED}"),
            "sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target".into(),
        ],
    )
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

    /// JDK 8 before 8u261 (the old JSSE), against the texts the code cites.
    #[test]
    fn jdk8_old_jsse_texts_as_cited() {
        let j8 = Jre::Jdk8(221);
        // [ECE] troubleshooting, the catalina line (topology.md F1), verbatim
        assert_eq!(
            pkix_failure(j8).text,
            "javax.net.ssl.SSLHandshakeException: sun.security.validator.ValidatorException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target"
        );
        assert_eq!(
            pkix_failure(Jre::Jdk17).text,
            "javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target"
        );
        // the backported JSSE (8u261+) words it as 11 and 17
        assert_eq!(pkix_failure(Jre::Jdk8(272)), pkix_failure(Jre::Jdk17));
        assert_eq!(
            contact_failure(j8, &Contact::Closed, "x").detail,
            [
                "javax.net.ssl.SSLHandshakeException: Remote host closed connection during handshake",
                "java.io.EOFException: SSL peer shut down incorrectly"
            ]
        );
        assert_eq!(
            contact_failure(j8, &Contact::NotTls, "x").text,
            "javax.net.ssl.SSLException: Unrecognized SSL message, plaintext connection?"
        );
        assert_eq!(
            contact_failure(Jre::Jdk17, &Contact::NotTls, "x").text,
            "javax.net.ssl.SSLException: Unsupported or unrecognized SSL message"
        );
        assert_eq!(
            contact_failure(j8, &Contact::Refused, "x").text,
            "java.net.ConnectException: Connection refused (Connection refused)"
        );
        assert_eq!(
            connection_refused(j8, true),
            "java.net.ConnectException: Connection refused: connect"
        );
        assert_eq!(
            truststore_unusable(j8, StoreProblem::JksPassword).detail[2..],
            [
                "java.security.KeyStoreException: problem accessing trust store",
                "java.io.IOException: Keystore was tampered with, or password was incorrect",
                "java.security.UnrecoverableKeyException: Password verification failed"
            ]
        );
        assert_eq!(
            truststore_unusable(Jre::Jdk17, StoreProblem::JksPassword)
                .detail
                .len(),
            3
        );
    }

    /// The host-name texts: the cause's class in the old JSSE's message
    /// (alecgorge/jsonapi#493; apache/activemq PR #301), not in the new one's.
    #[test]
    fn jdk8_hostname_texts_as_cited() {
        let c = |jre, m: &str| {
            handshake(
                jre,
                vec![format!("java.security.cert.CertificateException: {m}")],
            )
        };
        let m = "No subject alternative DNS name matching tools.alecgorge.com found.";
        assert_eq!(
            c(Jre::Jdk8(221), m).text,
            "javax.net.ssl.SSLHandshakeException: java.security.cert.CertificateException: No subject alternative DNS name matching tools.alecgorge.com found."
        );
        assert_eq!(
            c(Jre::Jdk8(221), "No name matching {HOST} found").text,
            "javax.net.ssl.SSLHandshakeException: java.security.cert.CertificateException: No name matching {HOST} found"
        );
        // openjdk/jdk8u-dev PR #829: a current 8u says it as 11 and 17
        assert_eq!(
            c(Jre::Jdk8(382), "No name matching localhost found").text,
            "javax.net.ssl.SSLHandshakeException: No name matching localhost found"
        );
    }

    #[test]
    fn java_dates() {
        assert_eq!(
            java_date(time::macros::datetime!(2026-11-21 22:21:04 UTC)),
            "Sat Nov 21 22:21:04 UTC 2026"
        );
    }
}

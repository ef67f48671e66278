//! OpenSSL 3.0 as `openssl s_client -verify_return_error -CAfile ROOT
//! -verify_hostname NAME` and as curl 7.88 (`--cacert`) judge a peer, with
//! their texts. Rules verified against OpenSSL 3.0.19 / curl 7.88.1 (Debian 12):
//!
//! * chain building is trusted-first; without `X509_V_FLAG_PARTIAL_CHAIN`
//!   (s_client) the chain must end in a trusted self-signed certificate —
//!   only the intermediate trusted gives 2, only the leaf 20 — while curl sets
//!   the flag, so any trusted certificate ends the chain;
//! * then security level 2 (Debian's default): RSA under 2048 bits gives 66
//!   (leaf) or 67 (CA), a SHA-1 signature below the top gives 68;
//! * then s_client's host check (62 / 64; the CN is used only for DNS names
//!   and only when no DNS SAN exists);
//! * then validity from the top of the chain down (9 / 10), the trust anchor
//!   included — a directly trusted expired certificate is refused;
//! * curl checks the name itself after the handshake: any DNS or IP SAN
//!   disables the CN fallback; the CN is compared as a string, even for IPs.
//!
//! Texts omit OpenSSL's per-run thread-id prefix (`4087A1C2B37F0000:`).

use std::net::SocketAddr;

use time::OffsetDateTime;

use super::{Contact, Verdict};
use crate::pki::{dn, Certificate, San};

/// The OpenSSL version of the pinned build (Debian 12's, where every text
/// here was measured): what emulated products and scenario transcripts
/// print, whatever the machine has.
pub const OPENSSL_VERSION: &str = "3.0.19";

/// The OpenSSL build whose texts curl and `openssl s_client` print: curl
/// names the version (`OpenSSL/3.0.19: error:…`), s_client names source
/// files and lines of that build (`../ssl/record/rec_layer_s3.c:1601`).
/// [`Build::default`] is the pinned 3.0.19; [`Build::installed`] asks the
/// machine's `curl --version` and `openssl version` (`ccelab check` does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Build {
    /// `3.0.19`.
    pub version: String,
}

impl Default for Build {
    fn default() -> Self {
        Build {
            version: OPENSSL_VERSION.into(),
        }
    }
}

/// Where OpenSSL 3.0.19's error texts point (file:line), measured here.
/// Other builds print other lines; no other build was measured, so they are
/// printed with these (see [`Build::source_lines_known`]).
const LINES_3_0_19: SourceLines = SourceLines {
    rec_layer_read_bytes: 1601,
    rec_layer_read_n: 318,
    ssl3_get_record: 350,
    bio_connect: 117,
    process_key_exchange: 2254,
    bio_lookup: 746,
};

/// Source lines of the error texts s_client prints.
#[derive(Clone, Copy, Debug)]
struct SourceLines {
    rec_layer_read_bytes: u32,
    rec_layer_read_n: u32,
    ssl3_get_record: u32,
    bio_connect: u32,
    process_key_exchange: u32,
    bio_lookup: u32,
}

impl Build {
    /// A build of OpenSSL `version` (`3.0.19`).
    pub fn new(version: impl Into<String>) -> Self {
        Build {
            version: version.into(),
        }
    }

    /// The OpenSSL the machine's curl is linked with (`curl --version`:
    /// `libcurl/7.88.1 OpenSSL/3.0.19`); without curl, the machine's
    /// `openssl version`; else (or for a curl on another TLS library, which
    /// ccelab's texts do not model) the pinned default.
    pub fn installed() -> Self {
        let run = |cmd: &str, arg: &str| {
            std::process::Command::new(cmd)
                .arg(arg)
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        };
        match run("curl", "--version") {
            Some(out) => Self::from_curl_version(&out),
            None => run("openssl", "version").and_then(|out| Self::from_openssl_version(&out)),
        }
        .unwrap_or_default()
    }

    /// Parses `curl --version`'s first line (`… OpenSSL/3.0.19 …`).
    pub fn from_curl_version(out: &str) -> Option<Self> {
        let first = out.lines().next()?;
        let v = first
            .split_whitespace()
            .find_map(|w| w.strip_prefix("OpenSSL/"))?;
        Some(Build::new(v))
    }

    /// Parses `openssl version` (`OpenSSL 3.0.19 27 Jan 2026 (Library: …)`).
    pub fn from_openssl_version(out: &str) -> Option<Self> {
        let mut words = out.split_whitespace();
        (words.next()? == "OpenSSL").then_some(())?;
        Some(Build::new(words.next()?))
    }

    /// True when the source lines in s_client's texts were measured for this
    /// build; otherwise they are 3.0.19's and may differ from what it prints.
    pub fn source_lines_known(&self) -> bool {
        self.version == OPENSSL_VERSION
    }

    fn lines(&self) -> SourceLines {
        LINES_3_0_19
    }
}

/// OpenSSL's text for a verify error number.
pub fn verify_error_text(code: i32) -> &'static str {
    match code {
        0 => "ok",
        2 => "unable to get issuer certificate",
        7 => "certificate signature failure",
        9 => "certificate is not yet valid",
        10 => "certificate has expired",
        18 => "self-signed certificate",
        19 => "self-signed certificate in certificate chain",
        20 => "unable to get local issuer certificate",
        21 => "unable to verify the first certificate",
        62 => "hostname mismatch",
        64 => "IP address mismatch",
        66 => "EE certificate key too weak",
        67 => "CA certificate key too weak",
        68 => "CA signature digest algorithm too weak",
        _ => "certificate verify failed",
    }
}

/// A verify failure: code, depth, the certificate at that depth, and the extra line openssl prints.
struct Failure<'a> {
    code: i32,
    depth: usize,
    cert: &'a Certificate,
    extra: Option<String>,
}

fn issued_by(child: &Certificate, parent: &Certificate) -> bool {
    child.issuer() == parent.subject() && child.is_signed_by(parent)
}

fn self_signed(c: &Certificate) -> bool {
    c.is_self_issued() && c.is_signed_by(c)
}

/// `Nov 21 22:21:04 2026 GMT` (ASN1_TIME_print).
pub fn asn1_time(t: OffsetDateTime) -> String {
    use crate::clock::MONTH_ABBR as M;
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{} {:2} {:02}:{:02}:{:02} {} GMT",
        M[t.month() as usize - 1],
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.year()
    )
}

/// Builds the chain as X509_verify_cert does. Ok: the path, leaf first.
fn build<'a>(
    sent: &'a [Certificate],
    anchors: &'a [Certificate],
    partial: bool,
) -> Result<Vec<&'a Certificate>, Failure<'a>> {
    let leaf = &sent[0];
    let mut path: Vec<(&Certificate, bool)> = vec![(leaf, false)];
    // a leaf found in the store counts as trusted when self-signed, or with PARTIAL_CHAIN
    if (partial || self_signed(leaf)) && anchors.contains(leaf) {
        return Ok(vec![leaf]);
    }
    loop {
        let (cur, from_store) = *path.last().unwrap_or(&(leaf, false));
        if from_store && (partial || self_signed(cur)) {
            return Ok(path.iter().map(|(c, _)| *c).collect());
        }
        if self_signed(cur) {
            let depth = path.len() - 1;
            let code = if depth == 0 { 18 } else { 19 };
            return Err(Failure {
                code,
                depth,
                cert: cur,
                extra: None,
            });
        }
        if let Some(a) = anchors.iter().find(|a| issued_by(cur, a)) {
            path.push((a, true));
            continue;
        }
        if let Some(u) = sent
            .iter()
            .skip(1)
            .find(|u| !path.iter().any(|(p, _)| p == u) && issued_by(cur, u))
        {
            // an untrusted certificate that is also in the store is taken as trusted with PARTIAL_CHAIN
            path.push((u, partial && anchors.contains(u)));
            continue;
        }
        let depth = path.len() - 1;
        return Err(if from_store {
            Failure {
                code: 2,
                depth,
                cert: cur,
                extra: Some(format!("issuer= {}", dn::openssl_string(cur.issuer()))),
            }
        } else {
            Failure {
                code: 20,
                depth,
                cert: cur,
                extra: None,
            }
        });
    }
}

/// Security level 2: key sizes and SHA-1 signatures.
fn auth_level<'a>(path: &[&'a Certificate]) -> Option<Failure<'a>> {
    for (i, c) in path.iter().enumerate() {
        let rsa_small = c
            .key_type()
            .and_then(|k| k.rsa_bits())
            .is_some_and(|b| b < 2048);
        if rsa_small {
            return Some(Failure {
                code: if i == 0 { 66 } else { 67 },
                depth: i,
                cert: c,
                extra: None,
            });
        }
        if i + 1 < path.len() && c.signature_algorithm_name().starts_with("SHA1") {
            return Some(Failure {
                code: 68,
                depth: i,
                cert: c,
                extra: None,
            });
        }
    }
    None
}

fn dns_matches(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.to_ascii_lowercase(), name.to_ascii_lowercase());
    match p.strip_prefix("*.") {
        Some(rest) => n
            .split_once('.')
            .is_some_and(|(first, tail)| !first.is_empty() && tail == rest),
        None => p == n,
    }
}

/// X509_check_host / X509_check_ip_asc.
fn s_client_host<'a>(leaf: &'a Certificate, name: &str) -> Option<Failure<'a>> {
    let sans = leaf.sans();
    if let Ok(ip) = name.parse::<std::net::IpAddr>() {
        return (!sans.contains(&San::Ip(ip))).then_some(Failure {
            code: 64,
            depth: 0,
            cert: leaf,
            extra: None,
        });
    }
    let dns: Vec<&String> = sans
        .iter()
        .filter_map(|s| if let San::Dns(d) = s { Some(d) } else { None })
        .collect();
    let ok = if dns.is_empty() {
        leaf.common_name().is_some_and(|cn| dns_matches(&cn, name))
    } else {
        dns.iter().any(|d| dns_matches(d, name))
    };
    (!ok).then_some(Failure {
        code: 62,
        depth: 0,
        cert: leaf,
        extra: None,
    })
}

/// Validity from the top of the chain down.
fn validity<'a>(path: &[&'a Certificate], at: OffsetDateTime) -> Option<Failure<'a>> {
    for (i, c) in path.iter().enumerate().rev() {
        if at < c.not_before() {
            return Some(Failure {
                code: 9,
                depth: i,
                cert: c,
                extra: Some(format!("notBefore={}", asn1_time(c.not_before()))),
            });
        }
        if at > c.not_after() {
            return Some(Failure {
                code: 10,
                depth: i,
                cert: c,
                extra: Some(format!("notAfter={}", asn1_time(c.not_after()))),
            });
        }
    }
    None
}

fn s_client_failure(f: Failure<'_>) -> Verdict {
    let text = format!("verify error:num={}:{}", f.code, verify_error_text(f.code));
    let mut detail = vec![
        format!("depth={} {}", f.depth, dn::openssl_string(f.cert.subject())),
        text.clone(),
    ];
    detail.extend(f.extra);
    detail.push(format!(
        "Verify return code: {} ({})",
        f.code,
        verify_error_text(f.code)
    ));
    Verdict {
        ok: false,
        text,
        detail,
        exit_code: Some(1),
    }
}

/// `openssl s_client -verify_return_error -CAfile … -verify_hostname NAME`.
pub fn judge_s_client(
    sent: &[Certificate],
    anchors: &[Certificate],
    name: &str,
    at: OffsetDateTime,
) -> Verdict {
    if sent.is_empty() {
        return Verdict {
            ok: false,
            text: "no peer certificate available".into(),
            detail: vec![],
            exit_code: Some(1),
        };
    }
    let path = match build(sent, anchors, false) {
        Ok(p) => p,
        Err(f) => return s_client_failure(f),
    };
    if let Some(f) = auth_level(&path)
        .or_else(|| s_client_host(path[0], name))
        .or_else(|| validity(&path, at))
    {
        return s_client_failure(f);
    }
    Verdict {
        ok: true,
        text: "Verify return code: 0 (ok)".into(),
        detail: vec![],
        exit_code: Some(0),
    }
}

const CURL_60_TAIL: [&str; 4] = [
    "More details here: https://curl.se/docs/sslcerts.html",
    "",
    "curl failed to verify the legitimacy of the server and therefore could not",
    "establish a secure connection to it. To learn more about this situation and",
];

fn curl_60(problem: String) -> Verdict {
    let mut detail: Vec<String> = CURL_60_TAIL.iter().map(|s| s.to_string()).collect();
    detail.push("how to fix it, please visit the web page mentioned above.".into());
    Verdict {
        ok: false,
        text: format!("curl: (60) {problem}"),
        detail,
        exit_code: Some(60),
    }
}

/// curl's own host check (after the handshake).
fn curl_host(leaf: &Certificate, name: &str) -> Option<String> {
    let sans = leaf.sans();
    if !sans.is_empty() {
        let hit = match name.parse::<std::net::IpAddr>() {
            Ok(ip) => sans.contains(&San::Ip(ip)),
            Err(_) => sans
                .iter()
                .any(|s| matches!(s, San::Dns(d) if dns_matches(d, name))),
        };
        return (!hit).then(|| {
            format!(
                "SSL: no alternative certificate subject name matches target host name '{name}'"
            )
        });
    }
    match leaf.common_name() {
        None => Some("SSL: unable to obtain common name from peer certificate".into()),
        Some(cn) if dns_matches(&cn, name) => None,
        Some(cn) => Some(format!(
            "SSL: certificate subject name '{cn}' does not match target host name '{name}'"
        )),
    }
}

/// `curl --cacert ROOT https://NAME/`.
pub fn judge_curl(
    sent: &[Certificate],
    anchors: &[Certificate],
    name: &str,
    at: OffsetDateTime,
) -> Verdict {
    if sent.is_empty() {
        return curl_60("SSL certificate problem: no peer certificate".into());
    }
    let path = match curl_chain(sent, anchors, at) {
        Ok(p) => p,
        Err(v) => return v,
    };
    if let Some(m) = curl_host(path[0], name) {
        return curl_60(m);
    }
    Verdict::accept("")
}

/// OpenSSL's verification of the chain as curl sets it up (partial chains
/// allowed), without curl's own host check: the path, or curl's (60).
fn curl_chain<'a>(
    sent: &'a [Certificate],
    anchors: &'a [Certificate],
    at: OffsetDateTime,
) -> Result<Vec<&'a Certificate>, Verdict> {
    let path = build(sent, anchors, true).map_err(|f| {
        curl_60(format!(
            "SSL certificate problem: {}",
            verify_error_text(f.code)
        ))
    })?;
    if let Some(f) = auth_level(&path).or_else(|| validity(&path, at)) {
        return Err(curl_60(format!(
            "SSL certificate problem: {}",
            verify_error_text(f.code)
        )));
    }
    Ok(path)
}

/// A server that chose TLS 1.0/1.1 ([`crate::tls::legacy`]): OpenSSL
/// verifies the Certificate message first, then refuses the MD5-SHA1
/// signature of the ServerKeyExchange at security level ≥ 1 — or reports the
/// alert the server sent instead of it. Measured against `openssl s_server
/// -tls1` (curl 7.88.1, OpenSSL 3.0.19).
pub fn legacy_verdict(
    p: super::Personality,
    answer: &crate::tls::legacy::ServerAnswer,
    anchors: &[Certificate],
    name: &str,
    addr: SocketAddr,
    at: OffsetDateTime,
    build: &Build,
) -> Verdict {
    use crate::tls::legacy::ServerAnswer;
    let ServerAnswer::Legacy {
        chain,
        legacy_signature,
        alert,
        ..
    } = answer
    else {
        let contact = match answer {
            ServerAnswer::Alert(a) => Contact::Alert(*a),
            _ => Contact::Closed,
        };
        return match p {
            super::Personality::Curl => curl_contact_failure(&contact, name, addr, build),
            _ => s_client_contact_failure(&contact, build),
        };
    };
    let curl = p == super::Personality::Curl;
    if chain.is_empty() {
        // no certificate came: what ended the flight is all there is to say
        let contact = alert.map_or(Contact::Closed, Contact::Alert);
        return if curl {
            curl_contact_failure(&contact, name, addr, build)
        } else {
            s_client_contact_failure(&contact, build)
        };
    }
    // the certificate is verified as it arrives (curl: partial chains, no
    // host check yet; s_client: -verify_hostname is part of verification)
    let chain_verdict = if curl {
        curl_chain(chain, anchors, at).err()
    } else {
        Some(judge_s_client(chain, anchors, name, at)).filter(|v| !v.ok)
    };
    if let Some(v) = chain_verdict {
        return v;
    }
    if *legacy_signature {
        let reason = "legacy sigalg disallowed or unsupported";
        return if curl {
            Verdict {
                ok: false,
                text: format!(
                    "curl: (35) OpenSSL/{}: error:0A00014D:SSL routines::{reason}",
                    build.version
                ),
                detail: vec![],
                exit_code: Some(35),
            }
        } else {
            Verdict {
                ok: false,
                text: format!(
                    "error:0A00014D:SSL routines:tls_process_key_exchange:{reason}:../ssl/statem/statem_clnt.c:{}:",
                    build.lines().process_key_exchange
                ),
                detail: vec![],
                exit_code: Some(1),
            }
        };
    }
    let contact = alert.map_or(Contact::Closed, Contact::Alert);
    if curl {
        curl_contact_failure(&contact, name, addr, build)
    } else {
        s_client_contact_failure(&contact, build)
    }
}

/// OpenSSL's reason text for a received alert.
fn alert_reason(code: u8) -> String {
    let r = match code {
        40 => "sslv3 alert handshake failure",
        42 => "sslv3 alert bad certificate",
        48 => "tlsv1 alert unknown ca",
        50 => "tlsv1 alert decode error",
        70 => "tlsv1 alert protocol version",
        80 => "tlsv1 alert internal error",
        112 => "tlsv1 unrecognized name",
        _ => "unknown alert",
    };
    format!("error:0A{:06X}:SSL routines::{r}", 1000 + code as u32)
}

/// What s_client prints when the connection fails before a certificate.
pub fn s_client_contact_failure(c: &Contact, build: &Build) -> Verdict {
    let l = build.lines();
    let mut detail = vec![];
    let text = match c {
        Contact::Presented { .. } => return Verdict::accept("Verify return code: 0 (ok)"),
        Contact::Reset => "write:errno=104".to_string(),
        Contact::Closed => format!(
            "error:0A000126:SSL routines:ssl3_read_n:unexpected eof while reading:../ssl/record/rec_layer_s3.c:{}:",
            l.rec_layer_read_n
        ),
        Contact::Alert(a) => {
            let r = alert_reason(*a);
            let reason = r.rsplit("::").next().unwrap_or_default();
            format!(
                "error:0A{:06X}:SSL routines:ssl3_read_bytes:{reason}:../ssl/record/rec_layer_s3.c:{}:SSL alert number {a}",
                1000 + *a as u32,
                l.rec_layer_read_bytes
            )
        }
        Contact::NotTls => format!(
            "error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../ssl/record/ssl3_record.c:{}:",
            l.ssl3_get_record
        ),
        Contact::Refused => format!(
            "error:8000006F:system library:BIO_connect:Connection refused:../crypto/bio/bio_sock2.c:{}:calling connect()",
            l.bio_connect
        ),
        Contact::TimedOut => "connect:errno=110".into(),
        // measured: the lookup error, then `connect:errno=0`; nothing on
        // stdout. The number is whatever errno the resolver left: 0 with
        // glibc's `hosts: files dns`, 22 with nss-mdns's `mdns4_minimal`
        // (measured on Debian 12); ccelab prints the former
        Contact::Unresolved => {
            detail.push("connect:errno=0".to_string());
            format!(
                "error:10080002:BIO routines:BIO_lookup_ex:system lib:../crypto/bio/bio_addr.c:{}:Name or service not known",
                l.bio_lookup
            )
        }
    };
    Verdict {
        ok: false,
        text,
        detail,
        exit_code: Some(1),
    }
}

/// What curl prints when the connection fails before a certificate.
pub fn curl_contact_failure(c: &Contact, name: &str, addr: SocketAddr, build: &Build) -> Verdict {
    let version = &build.version;
    let (code, text) = match c {
        Contact::Presented { .. } => return Verdict::accept(""),
        Contact::Reset => (35, "Recv failure: Connection reset by peer".to_string()),
        Contact::Closed => (
            35,
            format!(
                "OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to {name}:{} ",
                addr.port()
            ),
        ),
        Contact::Alert(a) => (35, format!("OpenSSL/{version}: {}", alert_reason(*a))),
        Contact::NotTls => (
            35,
            format!("OpenSSL/{version}: error:0A00010B:SSL routines::wrong version number"),
        ),
        Contact::Refused => (
            7,
            format!(
                "Failed to connect to {name} port {} after 0 ms: Couldn't connect to server",
                addr.port()
            ),
        ),
        Contact::TimedOut => (28, "Operation timed out".to_string()),
        // measured with curl 7.88.1
        Contact::Unresolved => (6, format!("Could not resolve host: {name}")),
    };
    Verdict {
        ok: false,
        text: format!("curl: ({code}) {text}"),
        detail: vec![],
        exit_code: Some(code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build named by the machine's tools, and texts that follow it.
    #[test]
    fn builds_come_from_the_tools_version_lines() {
        let curl = "curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1 OpenSSL/3.0.19 zlib/1.2.13\nRelease-Date: 2023-02-20\n";
        assert_eq!(Build::from_curl_version(curl), Some(Build::new("3.0.19")));
        assert_eq!(
            Build::from_curl_version("curl 8.5.0 (x86_64) libcurl/8.5.0 GnuTLS/3.8.3\n"),
            None
        );
        let openssl = "OpenSSL 3.2.1 30 Jan 2024 (Library: OpenSSL 3.2.1 30 Jan 2024)\n";
        assert_eq!(
            Build::from_openssl_version(openssl),
            Some(Build::new("3.2.1"))
        );
        assert_eq!(Build::from_openssl_version("LibreSSL 3.3.6\n"), None);
        assert!(Build::default().source_lines_known());
        assert!(!Build::new("3.2.1").source_lines_known());
        let addr: SocketAddr = "127.0.0.1:443".parse().unwrap();
        let v = curl_contact_failure(&Contact::Alert(70), "x", addr, &Build::new("3.2.1"));
        assert_eq!(
            v.text,
            "curl: (35) OpenSSL/3.2.1: error:0A00042E:SSL routines::tlsv1 alert protocol version"
        );
        let v = s_client_contact_failure(&Contact::Unresolved, &Build::default());
        assert_eq!(v.detail, ["connect:errno=0"]);
    }
}

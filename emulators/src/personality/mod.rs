//! Client personalities: how a given real client judges a TLS peer, with the
//! verdict and the exact text that client prints. Every outbound call an
//! emulated component makes goes through the personality of the product that
//! makes it (SPOG → ECE web: Java; ECE app → AD: Java JNDI; an agent's
//! browser → Live Data: browser), so the symptom and the log line are the
//! ones the real deployment shows (docs/requirements.md §2, §5 F1, F2, F8, F24, F25).
//!
//! The rules and texts were established by running the real clients on this
//! machine (JDK 17.0.15, curl 7.88.1 with OpenSSL 3.0, OpenSSL 3.0 s_client)
//! against a matrix of certificate situations, and are pinned by differential
//! tests that run them again (`emulators/tests/personality_diff.rs`).

mod browser;
mod capture;
pub mod java;
pub mod jndi;
pub mod openssl;

use std::net::SocketAddr;
use std::time::Duration;

use time::OffsetDateTime;

use crate::pki::Certificate;

pub use capture::{
    fetch_chain, https_get, https_request, https_request_as, tls_judged, Contact, JudgedStream,
    Request,
};

/// The clients ccelab imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Personality {
    /// Java 17 JSSE: Tomcat's HttpsURLConnection (CCE Administration), WildFly/JNDI (ECE).
    Java,
    /// `openssl s_client -verify_return_error -CAfile … -verify_hostname …` (OpenSSL 3.0, security level 2).
    OpenSsl,
    /// curl 7.88 on OpenSSL 3.0 (`--cacert`).
    Curl,
    /// rustls-webpki.
    Browser,
}

impl std::str::FromStr for Personality {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "java" => Ok(Personality::Java),
            "openssl" => Ok(Personality::OpenSsl),
            "curl" => Ok(Personality::Curl),
            "browser" | "webpki" | "rustls" => Ok(Personality::Browser),
            _ => Err(format!(
                "unknown client `{s}` (use java, openssl, curl or browser)"
            )),
        }
    }
}

/// A client's decision and what it prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the client accepts the peer and carries on (Java's handshake
    /// completes, curl and `openssl s_client` verify successfully).
    pub ok: bool,
    /// The line a user or a log would show: Java's top exception as
    /// `toString()`, curl's `curl: (N) …` line, openssl's `verify error:` line
    /// (or the connection error), the rustls error.
    pub text: String,
    /// More lines where the client prints them: Java's cause chain (top
    /// first, `class: message`), openssl's `depth=` and `Verify return code:` lines.
    pub detail: Vec<String>,
    /// The client's exit code, where it is a command (curl, openssl).
    pub exit_code: Option<i32>,
}

impl Verdict {
    /// An acceptance printing `text`, exit code 0, no detail lines.
    pub fn accept(text: impl Into<String>) -> Self {
        Verdict {
            ok: true,
            text: text.into(),
            detail: Vec::new(),
            exit_code: Some(0),
        }
    }

    /// A refusal printing `text`, with no detail lines and no exit code
    /// (callers that model a command fill in its code).
    pub fn refuse(text: impl Into<String>) -> Self {
        Verdict {
            ok: false,
            text: text.into(),
            detail: Vec::new(),
            exit_code: None,
        }
    }
}

/// Is `name` an IP literal (v4 or v6, brackets allowed)?
pub fn is_ip_literal(name: &str) -> bool {
    name.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<std::net::IpAddr>()
        .is_ok()
}

/// Whether this client sends SNI when it connects to `name`: none does for an
/// IP literal (RFC 6066); Java also sends none for a dot-less name.
pub fn sends_sni(p: Personality, name: &str) -> bool {
    if is_ip_literal(name) {
        return false;
    }
    match p {
        Personality::Java => name.contains('.') && !name.ends_with('.'),
        _ => true,
    }
}

/// Judges a chain as `p` would, for a connection to `name` at `at`, trusting `anchors`.
pub fn judge(
    p: Personality,
    chain: &[Certificate],
    anchors: &[Certificate],
    name: &str,
    at: OffsetDateTime,
) -> Verdict {
    match p {
        Personality::Java => java::judge(chain, anchors, name, at),
        Personality::OpenSsl => openssl::judge_s_client(chain, anchors, name, at),
        Personality::Curl => openssl::judge_curl(chain, anchors, name, at),
        Personality::Browser => browser::judge(chain, anchors, name, at),
    }
}

/// What `p` prints when the connection fails before any certificate.
pub fn contact_failure(p: Personality, contact: &Contact, name: &str, addr: SocketAddr) -> Verdict {
    match p {
        Personality::Java => java::contact_failure(contact),
        Personality::OpenSsl => openssl::s_client_contact_failure(contact),
        Personality::Curl => openssl::curl_contact_failure(contact, name, addr),
        Personality::Browser => Verdict::refuse(format!("{contact:?}")),
    }
}

/// Connects to `addr` as `p` asking for `name`, and judges what it sees.
pub async fn connect(
    p: Personality,
    addr: SocketAddr,
    name: &str,
    anchors: &[Certificate],
    at: OffsetDateTime,
) -> Verdict {
    let contact = fetch_chain(addr, name, sends_sni(p, name), Duration::from_secs(10)).await;
    match &contact {
        Contact::Presented { chain, .. } => judge(p, chain, anchors, name, at),
        other => contact_failure(p, other, name, addr),
    }
}

/// TLS alert names as Java prints them (`Received fatal alert: <name>`).
pub fn alert_name(code: u8) -> &'static str {
    match code {
        10 => "unexpected_message",
        20 => "bad_record_mac",
        40 => "handshake_failure",
        42 => "bad_certificate",
        45 => "certificate_expired",
        46 => "certificate_unknown",
        47 => "illegal_parameter",
        48 => "unknown_ca",
        50 => "decode_error",
        51 => "decrypt_error",
        70 => "protocol_version",
        71 => "insufficient_security",
        80 => "internal_error",
        90 => "user_canceled",
        109 => "missing_extension",
        112 => "unrecognized_name",
        116 => "certificate_required",
        120 => "no_application_protocol",
        _ => "unknown",
    }
}

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
pub(crate) mod capture;
pub mod java;
pub mod jndi;
pub mod jre;
pub mod openssl;

use std::net::SocketAddr;
use std::time::Duration;

use time::OffsetDateTime;

use crate::pki::Certificate;

pub use capture::{
    fetch_chain, https_exchange_as, https_get, https_reply, https_request, https_request_as,
    legacy_probe, tls_judged, websocket_status_as, Contact, Failed, JudgedStream, KeptAlive, Reply,
    Request,
};

/// The clients ccelab imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Personality {
    /// Java's JSSE on that runtime ([`jre::Jre`]): Tomcat's
    /// HttpsURLConnection (CCE Administration), WildFly/JNDI (ECE), CVP,
    /// the VOS appliances' Tomcat.
    Java(jre::Jre),
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
            "java" | "java17" => Ok(Personality::JAVA17),
            "openssl" => Ok(Personality::OpenSsl),
            "curl" => Ok(Personality::Curl),
            "browser" | "webpki" | "rustls" => Ok(Personality::Browser),
            other => match other.strip_prefix("java").map(str::parse::<jre::Jre>) {
                Some(Ok(j)) => Ok(Personality::Java(j)),
                _ => Err(format!(
                    "unknown client `{s}` (use java (= java17), java11, java8, java8uN, openssl, curl or browser)"
                )),
            },
        }
    }
}

impl Personality {
    /// Java 17, the personality pinned against the JDK 17 on this machine.
    pub const JAVA17: Personality = Personality::Java(jre::Jre::Jdk17);

    /// Whether its ClientHello offers TLS 1.3 (a Java 8 before 8u341 does not).
    pub fn offers_tls13(self) -> bool {
        match self {
            Personality::Java(j) => j.tls13_client(),
            _ => true,
        }
    }

    /// What its ClientHello offers, as far as the probe can express it
    /// (TLS 1.3; ChaCha20-Poly1305 suites, which a Java 8 lacks).
    pub(crate) fn client_offer(self) -> capture::ClientOffer {
        capture::ClientOffer {
            tls13: self.offers_tls13(),
            chacha20: match self {
                Personality::Java(j) => j.chacha20_suites(),
                _ => true,
            },
        }
    }

    /// Its name as `ccelab check --as` takes it (`java17`, `java8u221`, `curl`).
    pub fn name(self) -> String {
        match self {
            Personality::Java(j) => format!("java{j}"),
            Personality::OpenSsl => "openssl".into(),
            Personality::Curl => "curl".into(),
            Personality::Browser => "browser".into(),
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
/// IP literal (RFC 6066); Java (HttpsURLConnection) and `openssl s_client
/// -connect NAME:PORT` without `-servername` send none for a dot-less name
/// such as `localhost`, curl sends it (measured: JDK 17.0.15, OpenSSL 3.0.19,
/// curl 7.88.1). Every Java version alike: JSSE's
/// `sun.security.ssl.Utilities.rawToSNIHostName` (JDK 8's and 11's too)
/// makes an SNI name only of a name with a dot that does not end with one.
pub fn sends_sni(p: Personality, name: &str) -> bool {
    if is_ip_literal(name) {
        return false;
    }
    match p {
        Personality::Java(_) | Personality::OpenSsl => name.contains('.') && !name.ends_with('.'),
        Personality::Curl | Personality::Browser => true,
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
        Personality::Java(j) => java::judge(j, chain, anchors, name, at),
        Personality::OpenSsl => openssl::judge_s_client(chain, anchors, name, at),
        Personality::Curl => openssl::judge_curl(chain, anchors, name, at),
        Personality::Browser => browser::judge(chain, anchors, name, at),
    }
}

/// What `p` prints when the connection fails before any certificate (the
/// pinned OpenSSL build's texts for curl and s_client).
pub fn contact_failure(p: Personality, contact: &Contact, name: &str, addr: SocketAddr) -> Verdict {
    contact_failure_of(p, contact, name, addr, &openssl::Build::default())
}

/// [`contact_failure`] with the texts of OpenSSL `build`.
pub fn contact_failure_of(
    p: Personality,
    contact: &Contact,
    name: &str,
    addr: SocketAddr,
    build: &openssl::Build,
) -> Verdict {
    match p {
        Personality::Java(j) => java::contact_failure(j, contact, name),
        Personality::OpenSsl => openssl::s_client_contact_failure(contact, build),
        Personality::Curl => openssl::curl_contact_failure(contact, name, addr, build),
        Personality::Browser => Verdict::refuse(format!("{contact:?}")),
    }
}

/// How a client reaches a server beyond its name: where the name resolved,
/// whether SNI is sent, whose OpenSSL texts curl and s_client print.
#[derive(Clone, Debug, Default)]
pub struct Reach {
    /// The address `name` resolved to; None: it did not resolve, and the
    /// client says so (`java.net.UnknownHostException`, curl's `(6)`).
    pub addr: Option<SocketAddr>,
    /// Force SNI off (a client configured not to send it, e.g. Java with
    /// `-Djsse.enableSNIExtension=false`); otherwise [`sends_sni`] decides.
    pub no_sni: bool,
    /// The OpenSSL build of curl's and s_client's texts.
    pub build: openssl::Build,
}

/// Connects to `addr` as `p` asking for `name`, and judges what it sees.
pub async fn connect(
    p: Personality,
    addr: SocketAddr,
    name: &str,
    anchors: &[Certificate],
    at: OffsetDateTime,
) -> Verdict {
    let reach = Reach {
        addr: Some(addr),
        ..Reach::default()
    };
    connect_with(p, &reach, name, anchors, at).await
}

/// [`connect`] as `reach` says: a name that did not resolve, SNI forced
/// off, another OpenSSL build's texts.
pub async fn connect_with(
    p: Personality,
    reach: &Reach,
    name: &str,
    anchors: &[Certificate],
    at: OffsetDateTime,
) -> Verdict {
    connect_seen(p, reach, name, anchors, at).await.0
}

/// [`connect_with`], also returning the certificates the server presented
/// (empty when it presented none).
pub async fn connect_seen(
    p: Personality,
    reach: &Reach,
    name: &str,
    anchors: &[Certificate],
    at: OffsetDateTime,
) -> (Verdict, Vec<Certificate>) {
    let Some(addr) = reach.addr else {
        let nowhere = SocketAddr::from(([0, 0, 0, 0], 0));
        let v = contact_failure_of(p, &Contact::Unresolved, name, nowhere, &reach.build);
        return (v, Vec::new());
    };
    let sni = !reach.no_sni && sends_sni(p, name);
    let contact =
        capture::fetch_chain_with(addr, name, sni, Duration::from_secs(10), p.client_offer()).await;
    let mut seen = match &contact {
        Contact::Presented { chain, .. } => chain.clone(),
        _ => Vec::new(),
    };
    let verdict = match &contact {
        // a JDK 8 before 8u291 still enables TLS 1.0 and 1.1 (jre.rs): a
        // server that refused TLS 1.2/1.3 goes on with it, and Java judges
        // the chain it sends (ccelab reads it with an OpenSSL-like
        // ClientHello; only `check` and the edges connect so: the products'
        // own HTTPS calls speak TLS 1.2/1.3 only)
        Contact::Alert(70) if matches!(p, Personality::Java(j) if j.tls10_enabled()) => {
            let sni = sni.then_some(name);
            match capture::legacy_probe(addr, sni, Duration::from_secs(10)).await {
                crate::tls::legacy::ServerAnswer::Legacy { chain, .. } if !chain.is_empty() => {
                    let v = judge(p, &chain, anchors, name, at);
                    seen = chain;
                    v
                }
                crate::tls::legacy::ServerAnswer::Alert(a) => {
                    contact_failure_of(p, &Contact::Alert(a), name, addr, &reach.build)
                }
                _ => contact_failure_of(p, &contact, name, addr, &reach.build),
            }
        }
        Contact::Presented { chain, .. } => judge(p, chain, anchors, name, at),
        // curl and s_client offer TLS 1.0 too: a server that refused TLS
        // 1.2/1.3 may go on with them (crate::tls::legacy)
        Contact::Alert(70) if matches!(p, Personality::Curl | Personality::OpenSsl) => {
            let sni = sni.then_some(name);
            let answer = capture::legacy_probe(addr, sni, Duration::from_secs(10)).await;
            openssl::legacy_verdict(p, &answer, anchors, name, addr, at, &reach.build)
        }
        other => contact_failure_of(p, other, name, addr, &reach.build),
    };
    (verdict, seen)
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

//! The edges of the trust graph (`ccelab graph`, issue 17): every TLS
//! connection a product makes as a client — CCE Administration's Java to
//! the ECE web server (F1, F2, F7–F10), to Finesse and to the CVP reporting
//! server (F17), ECE's JNDI to the DC (F15), Finesse's Java to IdS and to
//! CUIC (F17, F18), CVP's WSM to the principal AW (F19) — probed with the
//! client's personality and the trust the product has **loaded** (a store
//! changed on disk shows only after a restart, F9), at the lab's clock.
//!
//! A probe is a TLS handshake as far as the server's certificates, judged as
//! the client would judge them; it sends no request, so it changes no
//! product's state (the server's TLS event log does record it).

use std::net::SocketAddr;

use serde::Serialize;
use time::OffsetDateTime;

use crate::network::{Network, Unreachable};
use crate::personality::{self, Contact, Personality, Reach, Verdict};
use crate::pki::Certificate;

/// What a product says of one connection it makes as a client.
#[derive(Clone, Debug)]
pub struct EdgeSpec {
    /// What the connection is for, in a few words ("opens the ECE gadget").
    pub purpose: String,
    /// Whose TLS stack judges the server.
    pub personality: Personality,
    /// The client as a user names it ("Tomcat's Java (HttpsURLConnection)").
    pub client: String,
    /// The store its trust comes from, where a user finds it.
    pub store: String,
    /// The name it connects to, as configured (the inventory's, the URL's).
    pub name: String,
    /// The product port it connects to.
    pub port: u16,
    /// The failure modes this edge shows (topology.md's F-codes).
    pub codes: Vec<&'static str>,
    /// The client runs on Windows (a Java's socket errors say so:
    /// [`crate::personality::java::connection_refused`]).
    pub windows: bool,
}

/// What `spec`'s client prints when the connection fails before any
/// certificate: a Java on Windows words a refused connection its own way.
fn contact_text(spec: &EdgeSpec, c: &Contact, addr: SocketAddr) -> Verdict {
    match (spec.personality, c) {
        (Personality::Java(j), Contact::Refused) => Verdict {
            ok: false,
            text: personality::java::connection_refused(j, spec.windows),
            detail: vec![personality::java::connection_refused(j, spec.windows)],
            exit_code: None,
        },
        (p, c) => personality::contact_failure(p, c, &spec.name, addr),
    }
}

/// A certificate a server presented, as the graph shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Presented {
    /// The subject DN as Java prints it.
    pub subject: String,
    /// The issuer DN.
    pub issuer: String,
    /// Its subjectAltName's DNS names and IP addresses.
    pub sans: Vec<String>,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// The SHA-1 thumbprint in upper-case hex (as Windows shows it).
    pub thumbprint: String,
}

impl Presented {
    /// What the graph shows of `c`.
    pub fn of(c: &Certificate) -> Presented {
        Presented {
            subject: c.subject_string(),
            issuer: c.issuer_string(),
            sans: c
                .sans()
                .into_iter()
                .map(|s| match s {
                    crate::pki::San::Dns(d) => d,
                    crate::pki::San::Ip(ip) => ip.to_string(),
                })
                .collect(),
            not_after: c
                .not_after()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            thumbprint: c.thumbprint(),
        }
    }
}

/// One client → server edge, with the client's verdict.
#[derive(Clone, Debug, Serialize)]
pub struct TrustEdge {
    /// The host the client runs on.
    pub from: String,
    /// What the connection is for.
    pub purpose: String,
    /// The client ("Tomcat's Java (HttpsURLConnection)").
    pub client: String,
    /// The store its trust comes from.
    pub store: String,
    /// The name it connects to.
    pub name: String,
    /// The product port.
    pub port: u16,
    /// Where the name led (None: it did not resolve).
    #[serde(skip)]
    pub addr: Option<SocketAddr>,
    /// The failure modes this edge shows.
    pub codes: Vec<&'static str>,
    /// Whether the connection uses TLS (false: clear text, no certificate
    /// is checked, e.g. ECE's LDAP without SSL, F15).
    pub tls: bool,
    /// Whether the client accepts the server.
    pub ok: bool,
    /// The client's text: its exception, or `OK`.
    pub text: String,
    /// The client's cause lines.
    pub detail: Vec<String>,
    /// The chain the server presented, leaf first (empty: none was seen).
    pub presented: Vec<Presented>,
}

/// Where `spec`'s name leads, and why no connection can be made there (None:
/// something listens).
fn reach(network: &dyn Network, spec: &EdgeSpec) -> (Option<SocketAddr>, Option<Contact>) {
    match network.endpoint(&spec.name, spec.port) {
        Ok(a) => (Some(a), None),
        Err(Unreachable::UnknownHost) => (None, Some(Contact::Unresolved)),
        Err(Unreachable::Refused) => (
            network
                .address(&spec.name)
                .map(|ip| SocketAddr::new(ip, spec.port)),
            Some(Contact::Refused),
        ),
    }
}

/// Probes `spec` from host `from` through `network`, as `spec.personality`
/// trusting `anchors` at `at`. `anchors` is the client's error when its
/// trust cannot be used (a store Java cannot load, a service that is
/// stopped): the edge then fails with that text, and the server's chain is
/// still fetched so the graph shows what it presents. `wrap` turns a failed
/// verdict's text into what the product really reports (JNDI's
/// `CommunicationException` around Java's; identity for most).
pub async fn probe(
    network: &dyn Network,
    from: &str,
    spec: EdgeSpec,
    anchors: Result<&[Certificate], Verdict>,
    at: OffsetDateTime,
    wrap: &(dyn Fn(&Verdict) -> String + Sync),
) -> TrustEdge {
    let p = spec.personality;
    let (addr, contact) = reach(network, &spec);
    let (mut verdict, seen) = match (contact, addr) {
        (Some(c), a) => {
            let nowhere = a.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], spec.port)));
            (contact_text(&spec, &c, nowhere), Vec::new())
        }
        (None, addr) => {
            let reach = Reach {
                addr,
                ..Reach::default()
            };
            let trust: &[Certificate] = match &anchors {
                Ok(a) => a,
                Err(_) => &[],
            };
            personality::connect_seen(p, &reach, &spec.name, trust, at).await
        }
    };
    if let Err(v) = anchors {
        verdict = v;
    }
    if !verdict.ok {
        verdict.text = wrap(&verdict);
    }
    TrustEdge::new(from, spec, addr, Some((verdict, &seen)))
}

/// [`probe`]s each of `specs` in turn with the same trust, texts as they stand.
pub async fn probe_all(
    network: &dyn Network,
    from: &str,
    specs: Vec<EdgeSpec>,
    anchors: Result<&[Certificate], Verdict>,
    at: OffsetDateTime,
) -> Vec<TrustEdge> {
    let mut out = Vec::new();
    for s in specs {
        out.push(probe(network, from, s, anchors.clone(), at, &as_is).await);
    }
    out
}

impl TrustEdge {
    /// The edge `spec` from `from` that led to `addr`: over TLS with the
    /// client's verdict and the chain it saw, or in clear text (None).
    fn new(
        from: &str,
        spec: EdgeSpec,
        addr: Option<SocketAddr>,
        tls: Option<(Verdict, &[Certificate])>,
    ) -> TrustEdge {
        let (is_tls, verdict, presented) = match tls {
            Some((v, seen)) => (true, v, seen.iter().map(Presented::of).collect()),
            None => (
                false,
                Verdict::accept("clear text: no certificate is checked"),
                Vec::new(),
            ),
        };
        TrustEdge {
            from: from.to_string(),
            purpose: spec.purpose,
            client: spec.client,
            store: spec.store,
            name: spec.name,
            port: spec.port,
            addr,
            codes: spec.codes,
            tls: is_tls,
            ok: verdict.ok,
            text: verdict.text,
            detail: verdict.detail,
            presented,
        }
    }
}

/// An edge in clear text: no handshake, no certificate checked; it fails
/// only when the name leads nowhere or nothing listens there (`wrap` turns
/// the client's text into what the product reports).
pub fn clear_text(
    network: &dyn Network,
    from: &str,
    spec: EdgeSpec,
    wrap: &(dyn Fn(&Verdict) -> String + Sync),
) -> TrustEdge {
    let (addr, contact) = reach(network, &spec);
    let failure = contact.map(|c| {
        let nowhere = addr.unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], spec.port)));
        contact_text(&spec, &c, nowhere)
    });
    let mut edge = TrustEdge::new(from, spec, addr, None);
    if let Some(mut v) = failure {
        v.text = wrap(&v);
        edge.ok = false;
        edge.text = v.text;
        edge.detail = v.detail;
    }
    edge
}

/// The text of a failed verdict as it stands (most clients).
pub fn as_is(v: &Verdict) -> String {
    v.text.clone()
}

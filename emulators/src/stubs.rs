//! Stubs for endpoints ccelab does not model (issue 17): a topology file or
//! a scenario adds, to any emulated HTTPS listener, answers matched on the
//! request (method, path or path regex, headers, a body fragment) with a
//! status, headers, a body and a delay — served behind that host's own TLS
//! binding and certificate, so every client meets the host's real
//! handshake first.
//!
//! Matching, answering and the journal are **WireMock**'s (the `wiremock`
//! crate): each stubbed listener has a `MockServer` on a loopback port, and
//! the listener's handler hands each request to it before the product's
//! own. A stub's answer carries a marker header (removed before it reaches
//! the client); without it — WireMock's answer when no stub matches — the
//! request goes to the product, which answers as it always does. The
//! marker names the stub, so every request a stub answered goes to the
//! listener's journal ([`Stubs::journal`]: bounded, the last
//! [`MAX_JOURNAL`] requests with bodies clipped at 64 KiB; WireMock's own
//! recording is off, it would grow with every request), from which a
//! scenario's expectations (count, headers, body) are read. The mocks carry
//! no WireMock expectations (those panic when unmet): ccelab checks them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wiremock::{matchers, Mock, MockServer, ResponseTemplate};

use crate::tls::{Handler, HttpRequest, HttpResponse};

/// The header that marks a stub's answer on its way from WireMock.
const MARKER: &str = "x-ccelab-stub";

/// The largest answer taken back from WireMock (a stub's body is the
/// user's own text; this bounds what one request can make ccelab hold).
const MAX_ANSWER: usize = 16 << 20;

/// How many stubs one deployment takes.
pub const MAX_STUBS: usize = 1000;

/// How many requests a listener's journal keeps (the latest).
pub const MAX_JOURNAL: usize = 10_000;

/// How much of a request's body the journal keeps.
const MAX_JOURNAL_BODY: usize = 64 << 10;

/// One stub: where, what it matches, what it answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StubSpec {
    /// The host (its name in the topology or its FQDN).
    pub host: String,
    /// The host's product port (443, 8445…); it must be an HTTPS listener.
    pub port: u16,
    /// The HTTP method (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The exact path (without the query string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A regular expression the path must match (Rust `regex` syntax).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_regex: Option<String>,
    /// Request headers that must be present with these values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// Text the request body must contain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    /// The answer's status (default 200).
    #[serde(default = "ok_status")]
    pub status: u16,
    /// The answer's headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub response_headers: BTreeMap<String, String>,
    /// The answer's body.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    /// How long before it answers, in milliseconds (at most 60,000).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub delay_ms: u64,
}

fn ok_status() -> u16 {
    200
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// A request a stub matched, as its journal keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Journaled {
    /// The stub that answered (its number on the listener, from 1).
    pub stub: usize,
    /// The method.
    pub method: String,
    /// The path and query.
    pub target: String,
    /// The headers as (lower-case name, value), as received.
    pub headers: Vec<(String, String)>,
    /// The body, as text (lossy UTF-8; clipped at 64 KiB).
    pub body: String,
}

/// Why a stub cannot be added.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StubError {
    /// A value WireMock would not take.
    #[error("{field}: {problem}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// Too many stubs.
    #[error("at most {MAX_STUBS} stubs per deployment")]
    TooMany,
}

fn invalid(field: &'static str, problem: impl Into<String>) -> StubError {
    StubError::Invalid {
        field,
        problem: problem.into(),
    }
}

impl StubSpec {
    /// Checks every value before WireMock sees it (its matchers panic on
    /// a bad regex or header name).
    pub fn check(&self) -> Result<(), StubError> {
        use hyper::header::{HeaderName, HeaderValue};
        if let Some(m) = &self.method {
            hyper::Method::from_bytes(m.as_bytes())
                .map_err(|_| invalid("method", format!("`{m}` is not an HTTP method")))?;
        }
        if let Some(p) = &self.path {
            if !p.starts_with('/') {
                return Err(invalid("path", format!("`{p}` does not start with /")));
            }
        }
        if let Some(r) = &self.path_regex {
            regex::Regex::new(r).map_err(|e| invalid("path_regex", e.to_string()))?;
        }
        for (k, v) in &self.headers {
            HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| invalid("headers", format!("`{k}` is not a header name")))?;
            HeaderValue::from_str(v)
                .map_err(|_| invalid("headers", format!("`{v}` is not a header value")))?;
        }
        for (k, v) in &self.response_headers {
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| invalid("response_headers", format!("`{k}` is not a header name")))?;
            if name.as_str() == MARKER {
                return Err(invalid(
                    "response_headers",
                    format!("`{k}` is ccelab's own"),
                ));
            }
            HeaderValue::from_str(v)
                .map_err(|_| invalid("response_headers", format!("`{v}` is not a header value")))?;
        }
        if !(100..=599).contains(&self.status) {
            return Err(invalid(
                "status",
                format!("{} is not an HTTP status (100–599)", self.status),
            ));
        }
        if self.delay_ms > 60_000 {
            return Err(invalid("delay_ms", "at most 60000 (one minute)"));
        }
        Ok(())
    }

    fn mock(&self, number: usize) -> Mock {
        let mut builder = Mock::given(matchers::any());
        if let Some(m) = &self.method {
            builder = builder.and(matchers::method(m.as_str()));
        }
        if let Some(p) = &self.path {
            builder = builder.and(matchers::path(p.as_str()));
        }
        if let Some(r) = &self.path_regex {
            builder = builder.and(matchers::path_regex(r.as_str()));
        }
        for (k, v) in &self.headers {
            builder = builder.and(matchers::header(k.as_str(), v.as_str()));
        }
        if let Some(b) = &self.body_contains {
            builder = builder.and(matchers::body_string_contains(b.as_str()));
        }
        let mut answer = ResponseTemplate::new(self.status)
            .set_body_bytes(self.body.as_bytes().to_vec())
            .insert_header(MARKER, number.to_string().as_str());
        for (k, v) in &self.response_headers {
            answer = answer.insert_header(k.as_str(), v.as_str());
        }
        if self.delay_ms > 0 {
            answer = answer.set_delay(Duration::from_millis(self.delay_ms));
        }
        builder
            .respond_with(answer)
            .named(format!("stub {number} on {}:{}", self.host, self.port))
    }
}

/// The stubs of one listener.
struct Site {
    server: MockServer,
    specs: tokio::sync::Mutex<Vec<StubSpec>>,
    journal: Mutex<std::collections::VecDeque<Journaled>>,
}

/// The stubbed listeners, by (host, product port).
type Sites = HashMap<(String, u16), Arc<Site>>;

/// The deployment's stubs, by (host, product port). Cheap to clone.
#[derive(Clone, Default)]
pub struct Stubs {
    sites: Arc<Mutex<Sites>>,
    count: Arc<std::sync::atomic::AtomicUsize>,
    /// The deployment's clock: a stub's answer is dated by it, as the
    /// products' are (the system's when None).
    clock: Option<crate::clock::Clock>,
}

impl Stubs {
    /// No stubs yet; answers dated by `clock`.
    pub fn new(clock: crate::clock::Clock) -> Stubs {
        Stubs {
            clock: Some(clock),
            ..Stubs::default()
        }
    }

    fn site(&self, host: &str, port: u16) -> Option<Arc<Site>> {
        self.sites
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(host.to_string(), port))
            .cloned()
    }

    /// Adds `spec` on `host` (the topology's name of `spec.host`); its
    /// number on the listener (from 1). It answers from the next request
    /// on; of several stubs that match, the first added answers.
    pub async fn add(&self, host: &str, spec: StubSpec) -> Result<usize, StubError> {
        spec.check()?;
        use std::sync::atomic::Ordering;
        if self.count.fetch_add(1, Ordering::SeqCst) >= MAX_STUBS {
            self.count.fetch_sub(1, Ordering::SeqCst);
            return Err(StubError::TooMany);
        }
        let site = match self.site(host, spec.port) {
            Some(s) => s,
            None => {
                let server = MockServer::builder()
                    .disable_request_recording()
                    .start()
                    .await;
                let made = Arc::new(Site {
                    server,
                    specs: tokio::sync::Mutex::new(Vec::new()),
                    journal: Mutex::new(std::collections::VecDeque::new()),
                });
                self.sites
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .entry((host.to_string(), spec.port))
                    .or_insert(made)
                    .clone()
            }
        };
        let mut specs = site.specs.lock().await;
        let number = specs.len() + 1;
        // WireMock answers with the first mock mounted that matches
        spec.mock(number).mount(&site.server).await;
        specs.push(spec);
        Ok(number)
    }

    /// The stubs on `host`'s `port`, in the order added.
    pub async fn specs(&self, host: &str, port: u16) -> Vec<StubSpec> {
        match self.site(host, port) {
            Some(s) => s.specs.lock().await.clone(),
            None => Vec::new(),
        }
    }

    /// The requests the stubs on `host`'s `port` answered, in the order
    /// received (the latest [`MAX_JOURNAL`]).
    pub fn journal(&self, host: &str, port: u16) -> Vec<Journaled> {
        match self.site(host, port) {
            Some(s) => s
                .journal
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .cloned()
                .collect(),
            None => Vec::new(),
        }
    }

    /// `inner`, with `host`'s stubs on `port` answering first.
    pub fn wrap(&self, host: &str, port: u16, inner: Handler) -> Handler {
        let (stubs, host) = (self.clone(), host.to_string());
        Arc::new(move |r: HttpRequest| {
            let (stubs, host, inner) = (stubs.clone(), host.clone(), inner.clone());
            Box::pin(async move {
                let Some(site) = stubs.site(&host, port) else {
                    return inner(r).await;
                };
                match ask(&site.server, &r).await {
                    Some((stub, mut answer)) => {
                        site.note(stub, &r);
                        // WireMock dates its answers by the system clock;
                        // a stub's own Date stays
                        let dated = site.specs.lock().await.get(stub - 1).is_some_and(|s| {
                            s.response_headers
                                .keys()
                                .any(|k| k.eq_ignore_ascii_case("date"))
                        });
                        if !dated {
                            let now = match &stubs.clock {
                                Some(c) => c.now(),
                                None => time::OffsetDateTime::now_utc(),
                            };
                            answer.headers.retain(|(k, _)| k != "date");
                            answer
                                .headers
                                .push(("Date".into(), crate::platform::http::http_date(now)));
                        }
                        answer
                    }
                    None => inner(r).await,
                }
            })
        })
    }
}

impl Site {
    /// Journals `r`, answered by stub `stub`.
    fn note(&self, stub: usize, r: &HttpRequest) {
        let target = if r.query.is_empty() {
            r.path.clone()
        } else {
            format!("{}?{}", r.path, r.query)
        };
        let body = &r.body[..r.body.len().min(MAX_JOURNAL_BODY)];
        let mut j = self.journal.lock().unwrap_or_else(|e| e.into_inner());
        if j.len() >= MAX_JOURNAL {
            j.pop_front();
        }
        j.push_back(Journaled {
            stub,
            method: r.method.clone(),
            target,
            headers: r.headers.clone(),
            body: String::from_utf8_lossy(body).into_owned(),
        });
    }
}

/// Hands `r` to WireMock: the number of the stub that answered and its
/// answer (the marker removed), or None when no stub matched (or WireMock
/// could not be reached).
async fn ask(server: &MockServer, r: &HttpRequest) -> Option<(usize, HttpResponse)> {
    use http_body_util::BodyExt as _;
    let tcp = tokio::net::TcpStream::connect(server.address())
        .await
        .ok()?;
    let (mut send, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tcp))
        .await
        .ok()?;
    let driver = tokio::spawn(conn);
    let target = if r.query.is_empty() {
        r.path.clone()
    } else {
        format!("{}?{}", r.path, r.query)
    };
    let mut req = hyper::Request::builder()
        .method(r.method.as_str())
        .uri(target);
    for (k, v) in &r.headers {
        // the connection to WireMock is its own
        if matches!(
            k.as_str(),
            "connection" | "keep-alive" | "transfer-encoding" | "content-length" | "upgrade"
        ) {
            continue;
        }
        req = req.header(k.as_str(), v.as_str());
    }
    let req = req
        .body(http_body_util::Full::new(bytes::Bytes::from(
            r.body.clone(),
        )))
        .ok()?;
    let answer = send.send_request(req).await.ok()?;
    let stub: Option<usize> = answer
        .headers()
        .get(MARKER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let status = answer.status().as_u16();
    let headers: Vec<(String, String)> = answer
        .headers()
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                MARKER | "content-length" | "transfer-encoding" | "connection"
            )
        })
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = http_body_util::Limited::new(answer.into_body(), MAX_ANSWER)
        .collect()
        .await
        .ok()?
        .to_bytes()
        .to_vec();
    driver.abort();
    stub.map(|n| {
        (
            n,
            HttpResponse {
                status,
                headers,
                body,
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> StubSpec {
        StubSpec {
            host: "ece".into(),
            port: 443,
            status: 200,
            ..StubSpec::default()
        }
    }

    #[test]
    fn bad_values_are_refused_before_wiremock_sees_them() {
        let bad = [
            StubSpec {
                path_regex: Some("(".into()),
                ..spec()
            },
            StubSpec {
                method: Some("GE T".into()),
                ..spec()
            },
            StubSpec {
                headers: [("bad name".into(), "v".into())].into(),
                ..spec()
            },
            StubSpec {
                response_headers: [(MARKER.into(), "1".into())].into(),
                ..spec()
            },
            StubSpec {
                status: 42,
                ..spec()
            },
            StubSpec {
                path: Some("no-slash".into()),
                ..spec()
            },
            StubSpec {
                delay_ms: 600_000,
                ..spec()
            },
        ];
        for s in bad {
            assert!(s.check().is_err(), "{s:?}");
        }
        assert_eq!(spec().check(), Ok(()));
    }

    fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> HttpRequest {
        HttpRequest {
            method: method.into(),
            path: path.into(),
            query: String::new(),
            host: None,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            sni: None,
            binding: None,
        }
    }

    #[tokio::test]
    async fn a_stub_answers_what_it_matches_and_the_product_the_rest() {
        let stubs = Stubs::default();
        let product = crate::tls::handler(|_| HttpResponse::text(404, "the product's own\n"));
        let h = stubs.wrap("ece", 443, product);
        // no stub yet: the product
        assert_eq!(h(request("GET", "/health", &[], "")).await.status, 404);
        let n = stubs
            .add(
                "ece",
                StubSpec {
                    method: Some("POST".into()),
                    path_regex: Some("^/api/v[0-9]+/health$".into()),
                    headers: [("x-probe".into(), "yes".into())].into(),
                    body_contains: Some("ping".into()),
                    status: 201,
                    response_headers: [("content-type".into(), "text/plain".into())].into(),
                    body: "pong".into(),
                    ..spec()
                },
            )
            .await
            .unwrap();
        assert_eq!(n, 1);
        let hit = h(request(
            "POST",
            "/api/v2/health",
            &[("x-probe", "yes")],
            "a ping",
        ))
        .await;
        assert_eq!(hit.status, 201);
        assert_eq!(hit.body, b"pong");
        assert!(hit
            .headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "text/plain"));
        assert!(!hit.headers.iter().any(|(k, _)| k == MARKER));
        // each condition missing: the product answers
        for r in [
            request("GET", "/api/v2/health", &[("x-probe", "yes")], "a ping"),
            request("POST", "/api/vX/health", &[("x-probe", "yes")], "a ping"),
            request("POST", "/api/v2/health", &[], "a ping"),
            request("POST", "/api/v2/health", &[("x-probe", "yes")], "nothing"),
        ] {
            assert_eq!(h(r).await.body, b"the product's own\n");
        }
        // another listener of the host is untouched
        let other = stubs.wrap(
            "ece",
            80,
            crate::tls::handler(|_| HttpResponse::text(200, "80\n")),
        );
        assert_eq!(
            other(request(
                "POST",
                "/api/v2/health",
                &[("x-probe", "yes")],
                "a ping"
            ))
            .await
            .body,
            b"80\n"
        );
        // the journal has what the stub matched, and only that
        let j = stubs.journal("ece", 443);
        assert_eq!(j.len(), 1);
        assert_eq!(
            (j[0].stub, j[0].method.as_str(), j[0].target.as_str()),
            (1, "POST", "/api/v2/health")
        );
        assert_eq!(j[0].body, "a ping");
        assert!(j[0]
            .headers
            .iter()
            .any(|(k, v)| k == "x-probe" && v == "yes"));
    }

    #[tokio::test]
    async fn a_stubs_own_404_is_not_the_products() {
        let stubs = Stubs::default();
        let h = stubs.wrap(
            "ece",
            443,
            crate::tls::handler(|_| HttpResponse::text(200, "product\n")),
        );
        stubs
            .add(
                "ece",
                StubSpec {
                    path: Some("/gone".into()),
                    status: 404,
                    body: "stubbed 404".into(),
                    delay_ms: 150,
                    ..spec()
                },
            )
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let r = h(request("GET", "/gone", &[], "")).await;
        // the stub's delay is WireMock's: the answer waits for it
        assert!(started.elapsed() >= Duration::from_millis(150));
        assert_eq!(
            (r.status, r.body.as_slice()),
            (404, b"stubbed 404".as_slice())
        );
        assert_eq!(
            h(request("GET", "/other", &[], "")).await.body,
            b"product\n"
        );
    }
}

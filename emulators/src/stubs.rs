//! Stubs for endpoints ccelab does not model (issue 17): a topology file or
//! a scenario adds, to any HTTP(S) listener a product serves, answers
//! matched on the request (method, path or path regex, headers, a body
//! fragment) with a status, headers, a body and a delay — served behind
//! that host's own TLS binding and certificate, so every client meets the
//! host's real handshake first.
//!
//! The matching is **WireMock**'s (the `wiremock` crate's matchers, the
//! `Match` trait, applied to a `wiremock::Request` made from the request
//! the listener received), in process: no mock server, no extra socket, and
//! nothing WireMock would keep of each request. Of several stubs that
//! match, the first added answers; a request no stub matches goes to the
//! product, which answers as it always does. Every request a stub answered
//! goes to the listener's journal ([`Stubs::journal`]), bounded in bytes
//! ([`MAX_JOURNAL_BYTES`], the oldest dropped first; bodies clipped at
//! 64 KiB), which [`Stubs::requests`] filters with the same matchers — as
//! WireMock's `received_requests` and `verify` would.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use wiremock::http::{HeaderMap, HeaderName, HeaderValue, Method, Url};
use wiremock::{matchers, Match};

use crate::tls::{Handler, HttpRequest, HttpResponse};

/// How many stubs one deployment takes.
pub const MAX_STUBS: usize = 1000;

/// How many bytes of requests a listener's journal keeps (the latest).
pub const MAX_JOURNAL_BYTES: usize = 16 << 20;

/// How much of a request's body the journal keeps.
const MAX_JOURNAL_BODY: usize = 64 << 10;

/// One stub: where, what it matches, what it answers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StubSpec {
    /// The host (its name in the topology or its FQDN).
    pub host: String,
    /// The product port of one of the host's HTTP(S) listeners (443, 8445…).
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
    /// Request headers that must be present with these values (a value
    /// with commas: the header's comma-separated values, in that order).
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

/// A request a stub answered, as the journal keeps it.
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

impl Journaled {
    fn size(&self) -> usize {
        self.target.len()
            + self.body.len()
            + self
                .headers
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
    }
}

/// Which journaled requests [`Stubs::requests`] returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RequestQuery {
    /// Those this stub answered (its number).
    pub stub: Option<usize>,
    /// Those with this method.
    pub method: Option<String>,
    /// Those with this path.
    pub path: Option<String>,
    /// Those with these headers (as a stub matches them).
    pub headers: BTreeMap<String, String>,
    /// Those whose (journaled) body contains this text.
    pub body_contains: Option<String>,
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
    /// The port is not an HTTP(S) listener of the host.
    #[error("{host} serves no HTTP on port {port}; its HTTP(S) ports are {known}")]
    NotHttp {
        /// The host.
        host: String,
        /// The port asked for.
        port: u16,
        /// Its HTTP(S) ports.
        known: String,
    },
}

fn invalid(field: &'static str, problem: impl Into<String>) -> StubError {
    StubError::Invalid {
        field,
        problem: problem.into(),
    }
}

/// The matchers of a header condition: WireMock's multi-valued header
/// matcher with the value's comma-separated parts.
fn header_matcher(k: &str, v: &str) -> impl Match {
    matchers::headers(k, v.split(',').map(str::trim).collect())
}

impl StubSpec {
    /// Checks every value before WireMock's matchers see it (they panic on
    /// a bad regex, header name or a path with a query).
    pub fn check(&self) -> Result<(), StubError> {
        if let Some(m) = &self.method {
            Method::from_bytes(m.as_bytes())
                .map_err(|_| invalid("method", format!("`{m}` is not an HTTP method")))?;
        }
        if let Some(p) = &self.path {
            if !p.starts_with('/') {
                return Err(invalid("path", format!("`{p}` does not start with /")));
            }
            if p.contains('?') {
                return Err(invalid(
                    "path",
                    format!("`{p}` has a query: the path is matched without it"),
                ));
            }
        }
        if let Some(r) = &self.path_regex {
            regex::Regex::new(r).map_err(|e| invalid("path_regex", e.to_string()))?;
        }
        for (k, v) in &self.headers {
            HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| invalid("headers", format!("`{k}` is not a header name")))?;
            for part in v.split(',') {
                HeaderValue::from_str(part.trim())
                    .map_err(|_| invalid("headers", format!("`{v}` is not a header value")))?;
            }
        }
        for (k, v) in &self.response_headers {
            HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| invalid("response_headers", format!("`{k}` is not a header name")))?;
            HeaderValue::from_str(v)
                .map_err(|_| invalid("response_headers", format!("`{v}` is not a header value")))?;
        }
        // a 1xx is no final answer
        if !(200..=599).contains(&self.status) {
            return Err(invalid(
                "status",
                format!("{} is not a final HTTP status (200–599)", self.status),
            ));
        }
        if self.delay_ms > 60_000 {
            return Err(invalid("delay_ms", "at most 60000 (one minute)"));
        }
        Ok(())
    }

    /// WireMock's matchers of this stub (its values checked).
    fn matchers(&self) -> Vec<Box<dyn Match>> {
        let mut m: Vec<Box<dyn Match>> = Vec::new();
        if let Some(x) = &self.method {
            m.push(Box::new(matchers::method(x.as_str())));
        }
        if let Some(p) = &self.path {
            m.push(Box::new(matchers::path(p.as_str())));
        }
        if let Some(r) = &self.path_regex {
            m.push(Box::new(matchers::path_regex(r.as_str())));
        }
        for (k, v) in &self.headers {
            m.push(Box::new(header_matcher(k, v)));
        }
        if let Some(b) = &self.body_contains {
            m.push(Box::new(matchers::body_string_contains(b.as_str())));
        }
        m
    }
}

/// A stub ready to answer.
struct Mounted {
    spec: StubSpec,
    matchers: Vec<Box<dyn Match>>,
}

/// The stubs of one listener and its journal.
#[derive(Default)]
struct Site {
    stubs: Vec<Arc<Mounted>>,
    journal: VecDeque<Journaled>,
    journal_bytes: usize,
}

/// The deployment's stubs, by (host, product port). Cheap to clone.
#[derive(Clone, Default)]
pub struct Stubs {
    sites: Arc<Mutex<HashMap<(String, u16), Site>>>,
    /// The HTTP(S) listeners the products serve (those [`Stubs::wrap`] saw).
    served: Arc<Mutex<HashSet<(String, u16)>>>,
    /// The deployment's clock: a stub's answer is dated by it, as the
    /// products' are (the system's when None).
    clock: Option<crate::clock::Clock>,
}

/// The `wiremock::Request` WireMock's matchers see for `r`.
fn wiremock_request(
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Option<wiremock::Request> {
    let url = Url::parse(&format!("http://stub{target}")).ok()?;
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            map.append(k, v);
        }
    }
    Some(wiremock::Request {
        url,
        method: Method::from_bytes(method.as_bytes()).ok()?,
        headers: map,
        body: body.to_vec(),
    })
}

fn target_of(r: &HttpRequest) -> String {
    if r.query.is_empty() {
        r.path.clone()
    } else {
        format!("{}?{}", r.path, r.query)
    }
}

impl Stubs {
    /// No stubs yet; answers dated by `clock`.
    pub fn new(clock: crate::clock::Clock) -> Stubs {
        Stubs {
            clock: Some(clock),
            ..Stubs::default()
        }
    }

    fn sites(&self) -> std::sync::MutexGuard<'_, HashMap<(String, u16), Site>> {
        self.sites.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `host`'s `port` is an HTTP(S) listener a product serves.
    pub fn serves(&self, host: &str, port: u16) -> bool {
        self.served
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&(host.to_string(), port))
    }

    /// `host`'s HTTP(S) listeners, by product port.
    pub fn http_ports(&self, host: &str) -> Vec<u16> {
        let mut v: Vec<u16> = self
            .served
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(h, _)| h == host)
            .map(|(_, p)| *p)
            .collect();
        v.sort_unstable();
        v
    }

    /// Adds `spec` on `host` (the topology's name of `spec.host`), one of
    /// whose HTTP(S) listeners `spec.port` must be; its number on the
    /// listener (from 1). It answers from the next request on.
    pub fn add(&self, host: &str, spec: StubSpec) -> Result<usize, StubError> {
        spec.check()?;
        if !self.serves(host, spec.port) {
            let known: Vec<String> = self.http_ports(host).iter().map(u16::to_string).collect();
            return Err(StubError::NotHttp {
                host: host.to_string(),
                port: spec.port,
                known: if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                },
            });
        }
        let mut sites = self.sites();
        if sites.values().map(|s| s.stubs.len()).sum::<usize>() >= MAX_STUBS {
            return Err(StubError::TooMany);
        }
        let site = sites.entry((host.to_string(), spec.port)).or_default();
        site.stubs.push(Arc::new(Mounted {
            matchers: spec.matchers(),
            spec,
        }));
        Ok(site.stubs.len())
    }

    /// The stubs on `host`'s `port`, in the order added.
    pub fn specs(&self, host: &str, port: u16) -> Vec<StubSpec> {
        self.sites()
            .get(&(host.to_string(), port))
            .map(|s| s.stubs.iter().map(|m| m.spec.clone()).collect())
            .unwrap_or_default()
    }

    /// The requests the stubs on `host`'s `port` answered, in the order
    /// received (the latest [`MAX_JOURNAL_BYTES`] of them).
    pub fn journal(&self, host: &str, port: u16) -> Vec<Journaled> {
        self.sites()
            .get(&(host.to_string(), port))
            .map(|s| s.journal.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The journaled requests `q` picks, matched with WireMock's matchers
    /// as a stub would match them.
    pub fn requests(&self, host: &str, port: u16, q: &RequestQuery) -> Vec<Journaled> {
        let mut m: Vec<Box<dyn Match>> = Vec::new();
        if let Some(x) = &q.method {
            if Method::from_bytes(x.as_bytes()).is_err() {
                return Vec::new();
            }
            m.push(Box::new(matchers::method(x.as_str())));
        }
        if let Some(p) = &q.path {
            if p.contains('?') {
                return Vec::new();
            }
            m.push(Box::new(matchers::path(p.as_str())));
        }
        for (k, v) in &q.headers {
            let ok = HeaderName::from_bytes(k.as_bytes()).is_ok()
                && v.split(',')
                    .all(|p| HeaderValue::from_str(p.trim()).is_ok());
            if !ok {
                return Vec::new();
            }
            m.push(Box::new(header_matcher(k, v)));
        }
        if let Some(b) = &q.body_contains {
            m.push(Box::new(matchers::body_string_contains(b.as_str())));
        }
        self.journal(host, port)
            .into_iter()
            .filter(|j| q.stub.is_none_or(|n| n == j.stub))
            .filter(|j| {
                wiremock_request(&j.method, &j.target, &j.headers, j.body.as_bytes())
                    .is_some_and(|r| m.iter().all(|x| x.matches(&r)))
            })
            .collect()
    }

    /// The first stub on `host`'s `port` that matches `r`, with its number.
    fn matching(&self, host: &str, port: u16, r: &HttpRequest) -> Option<(usize, Arc<Mounted>)> {
        let stubs: Vec<Arc<Mounted>> = self.sites().get(&(host.to_string(), port))?.stubs.clone();
        let w = wiremock_request(&r.method, &target_of(r), &r.headers, &r.body)?;
        stubs
            .into_iter()
            .enumerate()
            .find(|(_, m)| m.matchers.iter().all(|x| x.matches(&w)))
            .map(|(i, m)| (i + 1, m))
    }

    /// Journals `r`, answered by stub `stub`, within the byte budget.
    fn note(&self, host: &str, port: u16, stub: usize, r: &HttpRequest) {
        let body = &r.body[..r.body.len().min(MAX_JOURNAL_BODY)];
        let entry = Journaled {
            stub,
            method: r.method.clone(),
            target: target_of(r),
            headers: r.headers.clone(),
            body: String::from_utf8_lossy(body).into_owned(),
        };
        let size = entry.size();
        let mut sites = self.sites();
        let Some(site) = sites.get_mut(&(host.to_string(), port)) else {
            return;
        };
        while site.journal_bytes + size > MAX_JOURNAL_BYTES {
            match site.journal.pop_front() {
                Some(old) => site.journal_bytes -= old.size(),
                None => break,
            }
        }
        if size <= MAX_JOURNAL_BYTES {
            site.journal_bytes += size;
            site.journal.push_back(entry);
        }
    }

    /// `inner`, with `host`'s stubs on `port` answering first (and the
    /// listener known as HTTP(S), so stubs may be added to it).
    pub fn wrap(&self, host: &str, port: u16, inner: Handler) -> Handler {
        self.served
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((host.to_string(), port));
        let (stubs, host) = (self.clone(), host.to_string());
        Arc::new(move |r: HttpRequest| {
            let (stubs, host, inner) = (stubs.clone(), host.clone(), inner.clone());
            Box::pin(async move {
                let Some((n, m)) = stubs.matching(&host, port, &r) else {
                    return inner(r).await;
                };
                stubs.note(&host, port, n, &r);
                if m.spec.delay_ms > 0 {
                    tokio::time::sleep(Duration::from_millis(m.spec.delay_ms)).await;
                }
                let mut headers: Vec<(String, String)> = m
                    .spec
                    .response_headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("date")) {
                    let now = match &stubs.clock {
                        Some(c) => c.now(),
                        None => time::OffsetDateTime::now_utc(),
                    };
                    headers.push(("Date".into(), crate::platform::http::http_date(now)));
                }
                HttpResponse {
                    status: m.spec.status,
                    headers,
                    body: m.spec.body.as_bytes().to_vec(),
                }
            })
        })
    }
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
                response_headers: [("x".into(), "a\nb".into())].into(),
                ..spec()
            },
            StubSpec {
                status: 42,
                ..spec()
            },
            StubSpec {
                status: 101,
                ..spec()
            },
            StubSpec {
                path: Some("no-slash".into()),
                ..spec()
            },
            // WireMock's path matcher panics on a query
            StubSpec {
                path: Some("/x?a=1".into()),
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
            http2: false,
        }
    }

    #[tokio::test]
    async fn a_stub_answers_what_it_matches_and_the_product_the_rest() {
        let stubs = Stubs::default();
        let product = crate::tls::handler(|_| HttpResponse::text(404, "the product's own\n"));
        // only a listener a product serves takes stubs
        assert!(matches!(
            stubs.add("ece", spec()),
            Err(StubError::NotHttp { .. })
        ));
        let h = stubs.wrap("ece", 443, product);
        assert_eq!(h(request("GET", "/health", &[], "")).await.status, 404);
        let n = stubs
            .add(
                "ece",
                StubSpec {
                    method: Some("POST".into()),
                    path_regex: Some("^/api/v[0-9]+/health$".into()),
                    headers: [
                        ("x-probe".into(), "yes".into()),
                        ("accept".into(), "text/html, */*".into()),
                    ]
                    .into(),
                    body_contains: Some("ping".into()),
                    status: 201,
                    response_headers: [("content-type".into(), "text/plain".into())].into(),
                    body: "pong".into(),
                    ..spec()
                },
            )
            .unwrap();
        assert_eq!(n, 1);
        let hdrs = [("x-probe", "yes"), ("accept", "text/html, */*")];
        let hit = h(request("POST", "/api/v2/health", &hdrs, "a ping")).await;
        assert_eq!(hit.status, 201);
        assert_eq!(hit.body, b"pong");
        assert!(hit
            .headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "text/plain"));
        // each condition missing: the product answers
        for r in [
            request("GET", "/api/v2/health", &hdrs, "a ping"),
            request("POST", "/api/vX/health", &hdrs, "a ping"),
            request("POST", "/api/v2/health", &hdrs[..1], "a ping"),
            request("POST", "/api/v2/health", &hdrs, "nothing"),
        ] {
            assert_eq!(h(r).await.body, b"the product's own\n");
        }
        // another listener of the host is untouched
        let other = stubs.wrap(
            "ece",
            80,
            crate::tls::handler(|_| HttpResponse::text(200, "80\n")),
        );
        let r = request("POST", "/api/v2/health", &hdrs, "a ping");
        assert_eq!(other(r).await.body, b"80\n");
        // the journal has what the stub answered, and only that; queries
        // match as the stub does
        let j = stubs.journal("ece", 443);
        assert_eq!(j.len(), 1);
        assert_eq!(
            (j[0].stub, j[0].method.as_str(), j[0].target.as_str()),
            (1, "POST", "/api/v2/health")
        );
        assert_eq!(j[0].body, "a ping");
        let q = |headers: &[(&str, &str)]| RequestQuery {
            method: Some("POST".into()),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..RequestQuery::default()
        };
        assert_eq!(
            stubs
                .requests("ece", 443, &q(&[("accept", "text/html, */*")]))
                .len(),
            1
        );
        assert_eq!(
            stubs.requests("ece", 443, &q(&[("x-probe", "no")])).len(),
            0
        );
    }

    #[tokio::test]
    async fn a_stubs_own_404_is_not_the_products_and_its_delay_holds() {
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
            .unwrap();
        let started = std::time::Instant::now();
        let r = h(request("GET", "/gone", &[], "")).await;
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

    #[tokio::test]
    async fn the_journal_is_bounded_in_bytes() {
        let stubs = Stubs::default();
        let h = stubs.wrap(
            "ece",
            443,
            crate::tls::handler(|_| HttpResponse::text(200, "")),
        );
        stubs.add("ece", spec()).unwrap();
        let big = "x".repeat(1 << 20);
        for _ in 0..400 {
            h(request("POST", "/upload", &[], &big)).await;
        }
        let j = stubs.journal("ece", 443);
        let bytes: usize = j.iter().map(Journaled::size).sum();
        assert!(bytes <= MAX_JOURNAL_BYTES, "{bytes}");
        // each body clipped at 64 KiB: the latest 256 or so remain
        assert!(j.len() > 200 && j.len() < 400, "{}", j.len());
        assert!(j.iter().all(|e| e.body.len() == MAX_JOURNAL_BODY));
    }
}

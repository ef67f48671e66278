//! The control API of a running topology: a small HTTP/JSON interface on a
//! loopback port (like Pebble's management port), used by `ccelab ctl`.
//!
//! | method and path | does |
//! |---|---|
//! | `POST /actions` (body: an [`Action`] as JSON with `Content-Type: application/json`, `{"do": "restart", "host": "ads-a"}`) | does it ([`crate::actions`]); answers its [`Outcome`](crate::actions::Outcome): `ok`, `shows` (what the user sees), `logged`, `log_file`, `data`. An unknown host is 404, a value the action cannot take 400; `run`, `keytool`, `write-file`, `edit-file`, `store-delete` and `store-import` are refused (403): the control API runs no commands and changes no files. Requests with an `Origin` header (a web page) or a Host that is not loopback are refused (403) |
//! | `GET /status` | hosts and services with their states and ports |
//! | `GET /graph` (`/graph.svg`, `/graph.dot`, `/graph.json`) | the trust graph ([`crate::graph`]) as an HTML page (SVG, Graphviz DOT, JSON): the hosts, what each presents and trusts, every client → server TLS edge coloured by the client's verdict, probed when asked |
//! | `GET /accounts` | every login and store password, as `topology.json`'s `accounts` |
//! | `GET /events[?since=N][&limit=M]` | the TLS connections from the N-th on (counting from 0), at most M (default 1000, at most 10,000; the next page starts at the last `seq` + 1): `seq`, peer, local address, SNI, outcome (handshake, reset, alert, plain HTTP…) |
//! | `GET /events/mark` | where this process's TLS and LDAP event logs stand (`{"tls": N, "ldap": M}`) |
//! | `GET /events/lines?tls=N&ldap=M` | the events since that mark, one line each, as a scenario step's outcome lists them (a scenario on containers merges every host's) |
//! | `GET /telling-logs` | the log files that tell why an action failed (each ADS's catalina log of the day, ECE's application server logs), as paths on the disks |
//! | `GET /ece/users` | the agents ECE's user list shows |
//! | `GET /inventory` | the inventory's ECE web server entry (name, user) |
//! | `GET /inventory/machines` | every machine of the inventory |
//! | `GET /ece/departments` | ECE's departments |
//! | `GET /ece/partition-admin` | the Partition Administration Configuration ([ECE] 2.2; the password is not shown) |
//! | `GET /ece/admins` | partition administrators ECE created through SSO |
//! | `GET /ad/events[?since=N][&limit=M]` | what the DC saw, paged as `/events`: each operation with its client (`peer`), port, result code and message (texts a client sent clipped at 1 KiB) |
//!
//! A query number that is not one (`since=-1`, `limit=99999999999999999999`)
//! is answered 400 with the parameter named.
//!
//! The actions are those of scenario steps, with the same field names
//! (`curl -d '{"do":"open-gadget","ads":"ads-b"}' http://127.0.0.1:PORT/actions`).
//! Answers are JSON; errors are `{"error": …}`.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response};

use crate::actions::{Action, ActionError};
use crate::graph::render::{render, Format};
use crate::lab::Lab;

/// Percent-decodes a query or path value (`+` is a space, as in forms).
pub fn decode(v: &str) -> String {
    ccelab_emulators::platform::http::percent_decode(v)
}

/// The decoded value of `key` in a query string (empty when absent).
fn param(query: &str, key: &str) -> String {
    query
        .split('&')
        .find_map(|kv| {
            kv.split_once('=')
                .filter(|(k, _)| *k == key)
                .map(|(_, v)| decode(v))
        })
        .unwrap_or_default()
}

/// A JSON answer.
pub(crate) fn json(status: u16, v: serde_json::Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(v.to_string())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// Why an action's JSON was refused, naming the key to blame when one is:
/// the key without which the error changes (`level: invalid type: …`).
fn action_error(body: &[u8], e: &serde_json::Error) -> String {
    let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return e.to_string();
    };
    let message = |v: serde_json::Value| {
        serde_json::from_value::<Action>(v)
            .err()
            .map(|e| e.to_string())
    };
    let first = message(serde_json::Value::Object(obj.clone()));
    let blamed = obj.keys().filter(|k| *k != "do").find(|k| {
        let mut without = obj.clone();
        without.remove(*k);
        message(serde_json::Value::Object(without)) != first
    });
    match (blamed, first) {
        (Some(k), Some(m)) => format!("{k}: {m}"),
        _ => e.to_string(),
    }
}

/// The events one read returns unless `limit` says otherwise.
pub const DEFAULT_PAGE: usize = 1000;
use ccelab_emulators::events::MAX_PAGE;

/// The number `key` of a query (`default` when absent), or a 400 answer
/// naming the parameter when it is not a whole number from 0 to `max`.
#[allow(clippy::result_large_err)]
fn number_param(
    query: &str,
    key: &str,
    default: usize,
    max: usize,
) -> Result<usize, Response<Full<Bytes>>> {
    let v = param(query, key);
    if v.is_empty() {
        return Ok(default);
    }
    match v.parse::<usize>() {
        Ok(n) if n <= max => Ok(n),
        _ => Err(json(
            400,
            serde_json::json!({"error": format!("{key}: `{v}` is not a whole number from 0 to {max}")}),
        )),
    }
}

/// An event log's entries from `?since=SEQ` on, as a JSON array of objects
/// (each `shape`d, with its `seq`).
fn events_since<T: Clone>(
    log: &ccelab_emulators::events::EventLog<T>,
    query: &str,
    shape: impl Fn(&T) -> serde_json::Value,
) -> Response<Full<Bytes>> {
    let since = match number_param(query, "since", 0, usize::MAX) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let limit = match number_param(query, "limit", DEFAULT_PAGE, MAX_PAGE) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let ev: Vec<serde_json::Value> = log
        .page(since, limit)
        .iter()
        .map(|(seq, e)| {
            let mut v = shape(e);
            if let Some(o) = v.as_object_mut() {
                o.insert("seq".into(), serde_json::json!(seq));
            }
            v
        })
        .collect();
    json(200, serde_json::Value::Array(ev))
}

/// The 403 answer to a request that is not from a local tool: one with an
/// `Origin` (a web page) or whose `Host` is neither loopback nor `own`, the
/// address the API listens on; None for a local tool's.
pub(crate) fn from_elsewhere(
    headers: &hyper::HeaderMap,
    own: std::net::IpAddr,
) -> Option<Response<Full<Bytes>>> {
    let host = headers
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let host_name = host.rsplit_once(':').map_or(host.as_str(), |(h, _)| h);
    let local = host_name == "localhost"
        || host_name
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback() || ip == own);
    (headers.contains_key(hyper::header::ORIGIN) || !local).then(|| {
        json(
            403,
            serde_json::json!({"error": "the control API takes actions from local tools only (no Origin, a loopback Host)"}),
        )
    })
}

/// The trust graph of `lab` in `format`.
async fn graph(lab: &Lab, format: Format, content_type: &str) -> Response<Full<Bytes>> {
    let g = crate::graph::build(lab).await;
    let mut r = Response::new(Full::new(Bytes::from(render(&g, format))));
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

async fn route(
    lab: Arc<Lab>,
    req: Request<Incoming>,
    own: std::net::IpAddr,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let decoded: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
    let parts: Vec<&str> = decoded.iter().map(String::as_str).collect();
    match (req.method().clone(), parts.as_slice()) {
        (Method::GET, ["status"]) => json(200, lab.status()),
        // the trust graph (crate::graph): every client edge probed now; for
        // a loopback Host only (no page of another site, through a name
        // rebound to loopback, makes the lab probe or reads what it shows)
        (Method::GET, [page @ ("graph" | "graph.svg" | "graph.dot" | "graph.json")]) => {
            if let Some(refused) = from_elsewhere(req.headers(), own) {
                return refused;
            }
            let (format, content_type) = match *page {
                "graph.svg" => (Format::Svg, "image/svg+xml"),
                "graph.dot" => (Format::Dot, "text/vnd.graphviz; charset=utf-8"),
                "graph.json" => (Format::Json, "application/json"),
                _ => (Format::Html, "text/html; charset=utf-8"),
            };
            graph(&lab, format, content_type).await
        }
        // every password: from local tools only, as actions
        (Method::GET, ["accounts"]) => match from_elsewhere(req.headers(), own) {
            Some(refused) => refused,
            None => json(
                200,
                serde_json::Value::Array(crate::lab::files::accounts(&lab)),
            ),
        },
        (Method::GET, ["events"]) => events_since(&lab.events, &query, |e| {
            serde_json::json!({
                "peer": e.peer.to_string(),
                "local": e.local.to_string(),
                "sni": e.sni,
                "outcome": format!("{:?}", e.outcome),
            })
        }),
        // a scenario step's events and logs when the deployment runs one
        // host per process: where this host's event logs stand, their lines
        // since then (as [`Lab::events_since`] writes them), the logs that
        // tell why an action failed
        (Method::GET, ["events", "mark"]) => json(
            200,
            serde_json::to_value(lab.event_mark()).unwrap_or_default(),
        ),
        (Method::GET, ["events", "lines"]) => {
            let mut mark = serde_json::Map::new();
            for key in ["tls", "ldap"] {
                match number_param(&query, key, 0, usize::MAX) {
                    Ok(n) => mark.insert(key.into(), serde_json::json!(n)),
                    Err(r) => return r,
                };
            }
            match serde_json::from_value::<crate::lab::EventMark>(serde_json::Value::Object(mark)) {
                Ok(m) => json(200, serde_json::json!(lab.events_since(&m))),
                Err(e) => json(400, serde_json::json!({"error": e.to_string()})),
            }
        }
        (Method::GET, ["telling-logs"]) => json(
            200,
            serde_json::json!(lab
                .telling_logs()
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()),
        ),
        (Method::POST, ["actions"]) => {
            use http_body_util::BodyExt as _;
            // only local tools: no browser page (a cross-site form sends an
            // Origin and cannot send application/json without a preflight
            // this API never answers), no other Host than a loopback one
            // or the address it listens on (a host's own API in its container)
            if let Some(refused) = from_elsewhere(req.headers(), own) {
                return refused;
            }
            let header = |n: hyper::header::HeaderName| {
                req.headers()
                    .get(n)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_ascii_lowercase()
            };
            if !header(hyper::header::CONTENT_TYPE).starts_with("application/json") {
                return json(
                    415,
                    serde_json::json!({"error": "send the action as Content-Type: application/json"}),
                );
            }
            // an action is small; a machine CSV inside one is far below 10 MiB
            let limited = http_body_util::Limited::new(req.into_body(), 10 << 20);
            let body = match limited.collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => return json(413, serde_json::json!({"error": e.to_string()})),
            };
            let action: Action = match serde_json::from_slice(&body) {
                Ok(a) => a,
                Err(e) => return json(400, serde_json::json!({"error": action_error(&body, &e)})),
            };
            if !action.remote_allowed() {
                return json(
                    403,
                    serde_json::json!({"error": format!("`{}` runs in scenarios only: the control API runs no commands and changes no files (use your own shell, keytool…)", action.name())}),
                );
            }
            match action.apply(&lab).await {
                Ok(o) => json(200, serde_json::to_value(o).unwrap_or_default()),
                Err(e @ ActionError::NoHost { .. }) => {
                    json(404, serde_json::json!({"error": e.to_string()}))
                }
                Err(e) => json(400, serde_json::json!({"error": e.to_string()})),
            }
        }
        (Method::GET, ["ece", "users"]) => {
            let users: Vec<serde_json::Value> = lab
                .ece_db()
                .map(|db| db.users())
                .unwrap_or_default()
                .into_iter()
                .map(|(a, sn)| serde_json::json!({"agent": a, "screen_name": sn}))
                .collect();
            json(200, serde_json::Value::Array(users))
        }
        (Method::GET, ["inventory", "machines"]) => json(
            200,
            serde_json::to_value(lab.cce().map(|c| c.machines()).unwrap_or_default())
                .unwrap_or_default(),
        ),
        (Method::GET, ["inventory"]) => json(
            200,
            serde_json::to_value(lab.cce().ok().and_then(|c| c.inventory())).unwrap_or_default(),
        ),
        (Method::GET, ["ece", "partition-admin"]) => json(
            200,
            serde_json::to_value(lab.partition_admin()).unwrap_or_default(),
        ),
        (Method::GET, ["ece", "admins"]) => json(200, serde_json::json!(lab.ece_admins())),
        (Method::GET, ["ad", "events"]) => {
            let Some(dc) = lab.dc() else {
                return json(
                    404,
                    serde_json::json!({"error": "this topology has no AD DC"}),
                );
            };
            events_since(dc.events(), &query, |e| {
                serde_json::json!({
                    "peer": e.peer.to_string(),
                    "local": e.local.to_string(),
                    "port": e.port.to_string(),
                    "tls": e.tls,
                    "op": e.op,
                    "target": e.target,
                    "code": e.code,
                    "message": e.message,
                })
            })
        }
        (Method::GET, ["ece", "departments"]) => json(
            200,
            serde_json::json!(lab.ece_db().map(|db| db.departments()).unwrap_or_default()),
        ),
        _ => json(
            404,
            serde_json::json!({"error": format!("no such endpoint: {} {path}", req.method())}),
        ),
    }
}

/// The running control API: stops (and lets go of the lab) when dropped.
pub struct ControlServer {
    /// The address it listens on (the port really bound; `ccelab up` writes
    /// it to `topology.json` as `control`).
    pub addr: SocketAddr,
    _acceptor: ccelab_emulators::net::Acceptor,
}

/// How many connections the control API serves at once (ccelab's bound).
pub const CONTROL_CONNECTIONS: usize = 256;

/// How long the control API waits for a request's headers (ccelab's bound;
/// `ctl events --follow` streams after its request, which this does not limit).
pub const CONTROL_HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Serves the control API on `addr` (loopback; in a host's container, its
/// own address) until the returned handle is dropped.
pub async fn serve(lab: Arc<Lab>, addr: SocketAddr) -> std::io::Result<ControlServer> {
    // the accept loop holds the lab only weakly: dropping the handle and the
    // lab's other owners lets everything go
    let weak = Arc::downgrade(&lab);
    let own = addr.ip();
    let acceptor = serve_bounded(
        addr,
        move || weak.upgrade(),
        move |lab, req| route(lab, req, own),
    )
    .await?;
    Ok(ControlServer {
        addr: acceptor.local_addr(),
        _acceptor: acceptor,
    })
}

/// Serves HTTP/1.1 on `addr` with the control APIs' bounds: at most
/// [`CONTROL_CONNECTIONS`] at once (a client flooding this listener or a
/// product's leaves the others answering) and [`CONTROL_HEADER_TIMEOUT`]
/// for a request's headers. `state` gives each new connection what its
/// requests are routed with (None: the connection is closed unserved).
pub(crate) async fn serve_bounded<S, F, Fut>(
    addr: SocketAddr,
    state: impl Fn() -> Option<S> + Send + Sync + 'static,
    route: F,
) -> std::io::Result<ccelab_emulators::net::Acceptor>
where
    S: Clone + Send + Sync + 'static,
    F: Fn(S, Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(CONTROL_CONNECTIONS));
    ccelab_emulators::net::Acceptor::bind(addr, move |tcp, _, _| {
        let Some(state) = state() else { return };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            return;
        };
        let route = route.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let (state, route) = (state.clone(), route.clone());
                async move { Ok::<_, std::convert::Infallible>(route(state, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(CONTROL_HEADER_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(tcp), svc)
                .await;
            drop(permit);
        });
    })
    .await
}

/// The most bytes [`request`] reads of an answer (an events page of 10,000
/// entries is a few MiB).
pub const MAX_ANSWER: u64 = 64 << 20;

/// A blocking one-shot HTTP request to the control API (for `ccelab ctl`).
pub fn request(
    control: &str,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let authority = control.trim_start_matches("http://").trim_end_matches('/');
    // a host that does not answer (a paused container) fails fast
    let mut s = match authority.parse::<std::net::SocketAddr>() {
        Ok(a) => std::net::TcpStream::connect_timeout(&a, std::time::Duration::from_secs(5))?,
        Err(_) => std::net::TcpStream::connect(authority)?,
    };
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut buf = String::new();
    s.take(MAX_ANSWER).read_to_string(&mut buf)?;
    let status = buf
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = buf
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    use ccelab_emulators::platform::http::percent_encode as encode;

    #[test]
    fn query_values_round_trip() {
        for v in [
            "Cisco Service",
            "Agent One & Co",
            "100%",
            "ece.example.com",
            "サーバー",
        ] {
            assert_eq!(decode(&encode(v)), v);
            assert_eq!(param(&format!("x=1&k={}&y=2", encode(v)), "k"), v);
        }
        assert_eq!(param("a=1", "k"), "");
        assert_eq!(decode("50%zz+x"), "50%zz x");
    }
}

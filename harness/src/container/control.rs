//! The control API of a deployment in containers (`ccelab up
//! --containers`), on loopback: what `topology.json`'s `control` names and
//! `ccelab ctl` uses. Each host serves its own control API in its container
//! (`http://ADDRESS:9595`, `topology.json`'s `hosts[].control`); this one
//! answers for the deployment by asking them:
//!
//! | method and path | does |
//! |---|---|
//! | `GET /status` | every host's entry, from its own API (a host whose container does not answer shows `"state": "unreachable"`) |
//! | `POST /actions` | the action goes to the host it names (`host`, or `ads` for CCE Administration's); its answer comes back as is. An action that names no host is refused (501) with the hosts' own APIs to use |
//! | `GET /accounts` | the accounts, from the DC's host |
//! | `GET /ad/…` | the DC host's answer |
//!
//! The same rules as every control API: no `Origin` header, a loopback
//! `Host`, bounded connections ([`crate::control::serve_bounded`]) and
//! request sizes.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};

use super::lab::ContainerLab;
use crate::topology::Role;

fn json(status: u16, v: &serde_json::Value) -> Response<Full<Bytes>> {
    raw(status, v.to_string())
}

/// A host's answer passed on; one whose status is not one (a host that
/// answered nothing readable) is a 502.
fn raw(status: u16, body: String) -> Response<Full<Bytes>> {
    let (status, body) = match hyper::StatusCode::from_u16(status) {
        Ok(_) if status >= 100 => (status, body),
        _ => (
            502,
            serde_json::json!({"error": "the host's answer has no HTTP status"}).to_string(),
        ),
    };
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

/// What the deployment's API needs of the lab (cloned into each request).
struct View {
    /// Host name → its control API URL and entry in `topology.json`.
    controls: Vec<(String, String)>,
    /// The DC's host, if any.
    dc: Option<String>,
    /// The host names the actions may name, with their aliases (FQDN, short name).
    names: Vec<(String, Vec<String>)>,
    known: String,
}

impl View {
    fn control_of(&self, name: &str) -> Option<&str> {
        let host = self
            .names
            .iter()
            .find(|(_, aliases)| aliases.iter().any(|a| a.eq_ignore_ascii_case(name)))
            .map(|(h, _)| h)?;
        self.controls
            .iter()
            .find(|(h, _)| h == host)
            .map(|(_, c)| c.as_str())
    }
}

/// Asks a host's own API (blocking, off the async workers).
async fn ask(
    control: String,
    method: &'static str,
    path: String,
    body: String,
) -> Option<(u16, String)> {
    tokio::task::spawn_blocking(move || {
        crate::control::request(&control, method, &path, &body).ok()
    })
    .await
    .ok()
    .flatten()
}

async fn route(view: Arc<View>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let loopback = std::net::IpAddr::from([127, 0, 0, 1]);
    if let Some(refused) = crate::control::from_elsewhere(req.headers(), loopback) {
        return refused;
    }
    let content_type = req
        .headers()
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let path = req.uri().path().to_string();
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    match (req.method().clone(), path.as_str()) {
        (Method::GET, "/status") => {
            // every host asked at once: one that does not answer costs its timeout once
            let asked: Vec<_> = view
                .controls
                .iter()
                .map(|(h, c)| {
                    (
                        h.clone(),
                        tokio::spawn(ask(c.clone(), "GET", "/status".into(), String::new())),
                    )
                })
                .collect();
            let mut hosts = Vec::new();
            for (h, answer) in asked {
                let entry = answer
                    .await
                    .ok()
                    .flatten()
                    .filter(|(code, _)| *code == 200)
                    .and_then(|(_, b)| serde_json::from_str::<serde_json::Value>(&b).ok())
                    .and_then(|v| {
                        v["hosts"]
                            .as_array()?
                            .iter()
                            .find(|x| x["name"] == h.as_str())
                            .cloned()
                    })
                    .unwrap_or_else(|| serde_json::json!({"name": h, "state": "unreachable"}));
                hosts.push(entry);
            }
            json(200, &serde_json::json!({ "hosts": hosts }))
        }
        (Method::GET, p) if p == "/accounts" || p.starts_with("/ad/") => {
            let Some(c) = view.dc.as_deref().and_then(|d| view.control_of(d)) else {
                return json(
                    404,
                    &serde_json::json!({"error": "this topology has no AD DC"}),
                );
            };
            match ask(c.to_string(), "GET", format!("{p}{query}"), String::new()).await {
                Some((code, body)) => raw(code, body),
                None => json(
                    502,
                    &serde_json::json!({"error": format!("the DC's host does not answer at {c}")}),
                ),
            }
        }
        (Method::POST, "/actions") => {
            if !content_type.starts_with("application/json") {
                return json(
                    415,
                    &serde_json::json!({"error": "send the action as Content-Type: application/json"}),
                );
            }
            let limited = http_body_util::Limited::new(req.into_body(), 10 << 20);
            let Ok(body) = limited.collect().await.map(|b| b.to_bytes()) else {
                return json(
                    413,
                    &serde_json::json!({"error": "the action is over 10 MiB"}),
                );
            };
            let text = String::from_utf8_lossy(&body).into_owned();
            let v: serde_json::Value = match serde_json::from_str(&text) {
                Ok(v) => v,
                Err(e) => return json(400, &serde_json::json!({"error": e.to_string()})),
            };
            let named = v["host"].as_str().or(v["ads"].as_str());
            let Some(target) = named else {
                let hosts: Vec<String> = view
                    .controls
                    .iter()
                    .map(|(h, c)| format!("{h} {c}"))
                    .collect();
                return json(
                    501,
                    &serde_json::json!({"error": format!("in containers this API sends an action to the host it names (`host`, or `ads`); send this one to the host's own API: {}", hosts.join(", "))}),
                );
            };
            let Some(c) = view.control_of(target) else {
                return json(
                    404,
                    &serde_json::json!({"error": format!("no host `{target}` runs a product; the hosts are {}", view.known)}),
                );
            };
            match ask(c.to_string(), "POST", "/actions".into(), text).await {
                Some((code, body)) => raw(code, body),
                None => json(
                    502,
                    &serde_json::json!({"error": format!("host `{target}` does not answer at {c}: its container is stopped or gone")}),
                ),
            }
        }
        _ => json(
            404,
            &serde_json::json!({"error": "in containers: GET /status, GET /accounts, GET /ad/…, POST /actions; the rest on each host's own API (topology.json hosts[].control)"}),
        ),
    }
}

/// Serves the deployment's control API on loopback until the handle is dropped.
pub async fn serve(lab: &ContainerLab) -> std::io::Result<ccelab_emulators::net::Acceptor> {
    let controls: std::collections::BTreeMap<String, String> = lab
        .containers
        .keys()
        .filter_map(|h| lab.control(h).map(|c| (h.clone(), c)))
        .collect();
    serve_hosts(&lab.topo, &controls).await
}

/// [`serve`] for the hosts of `topo` whose control APIs are `controls` (host → URL).
pub async fn serve_hosts(
    topo: &crate::topology::Topology,
    controls: &std::collections::BTreeMap<String, String>,
) -> std::io::Result<ccelab_emulators::net::Acceptor> {
    let view = Arc::new(View {
        controls: controls
            .iter()
            .map(|(h, c)| (h.clone(), c.clone()))
            .collect(),
        dc: topo
            .hosts
            .iter()
            .find(|h| h.role == Role::AdDc)
            .map(|h| h.name.clone()),
        names: topo
            .hosts
            .iter()
            .map(|h| {
                (
                    h.name.clone(),
                    vec![h.name.clone(), h.fqdn.clone(), h.short().to_string()],
                )
            })
            .collect(),
        known: topo.known_hosts(),
    });
    crate::control::serve_bounded(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        move || Some(view.clone()),
        route,
    )
    .await
}

//! The control API of a running topology: a small HTTP/JSON interface on a
//! loopback port (like Pebble's management port), used by `ccelab ctl`.
//!
//! | method and path | does |
//! |---|---|
//! | `GET /status` | hosts and services with their states and ports |
//! | `GET /events` | every TLS connection so far: peer, local address, SNI, outcome (handshake, reset, alert…) |
//! | `POST /hosts/{host}/restart` | restarts the host's services (they reload from the disk) |
//! | `POST /spog/open-gadget?ads={host}` | opens the ECE gadget in CCE Administration on that ADS |
//! | `POST /hosts/{host}/services/{service}/stop` (or `start`) | stops/starts a Windows service (`Cisco Service`, `Apache Tomcat`); values are percent-encoded |
//! | `POST /hosts/{host}/cert/replace[?self_signed=1]` | replaces the ECE web server's certificate in IIS (F7) |
//! | `POST /hosts/{host}/binding?host_name={h}[&require_sni=1]` | edits the IIS https binding and applies it (F6) |
//! | `POST /integration/save?app_instance={name}&agent_pgs={pg,…}` | the integration's Save ([ECE] 5; F11, F21) |
//! | `POST /agents/{agent}/enable?screen_name={s}` | Users > Agents: enable Email & Chat ([ECE] 6) |
//! | `GET /ece/users` | the agents ECE's user list shows |
//! | `POST /inventory/web-server?name={name}` | the ECE web server's name in the inventory (invented shape; Cisco's `machineinventory` API comes later) |
//!
//! Answers are JSON; an unknown host is 404 with `{"error": …}`.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use tokio::net::TcpListener;

use crate::lab::Lab;

/// Percent-encodes a query or path value (everything but unreserved characters).
pub fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Percent-decodes a query or path value (`+` is a space, as in forms).
pub fn decode(v: &str) -> String {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(x)) => {
                out.push(x);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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

fn json(status: u16, v: serde_json::Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(v.to_string())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

async fn route(lab: Arc<Lab>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let decoded: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
    let parts: Vec<&str> = decoded.iter().map(String::as_str).collect();
    match (req.method().clone(), parts.as_slice()) {
        (Method::GET, ["status"]) => json(200, lab.status()),
        (Method::GET, ["events"]) => {
            let ev: Vec<serde_json::Value> = lab
                .events
                .snapshot()
                .iter()
                .map(|e| {
                    serde_json::json!({
                        "peer": e.peer.to_string(),
                        "local": e.local.to_string(),
                        "sni": e.sni,
                        "outcome": format!("{:?}", e.outcome),
                    })
                })
                .collect();
            json(200, serde_json::Value::Array(ev))
        }
        (Method::POST, ["hosts", host, "restart"]) => match lab.restart(host).await {
            Ok(()) => json(200, serde_json::json!({"restarted": host})),
            Err(e) => json(404, serde_json::json!({"error": e.to_string()})),
        },
        (Method::POST, ["spog", "open-gadget"]) => {
            let ads = Some(param(&query, "ads"))
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| "ads-a".into());
            match lab.open_gadget(&ads).await {
                Ok(o) => json(200, serde_json::to_value(o).unwrap_or_default()),
                Err(e) => json(404, serde_json::json!({"error": e.to_string()})),
            }
        }
        (Method::POST, ["hosts", host, "services", service, action @ ("start" | "stop")]) => {
            let service = service.to_string();
            match lab.set_service(host, &service, *action == "start") {
                Ok(()) => json(
                    200,
                    serde_json::json!({"host": host, "service": service, "action": action}),
                ),
                Err(e) => json(404, serde_json::json!({"error": e.to_string()})),
            }
        }
        (Method::POST, ["hosts", _host, "cert", "replace"]) => {
            let self_signed = param(&query, "self_signed") == "1";
            match lab.replace_web_cert(self_signed).await {
                Ok(fp) => json(200, serde_json::json!({"sha256": fp})),
                Err(e) => json(404, serde_json::json!({"error": e.to_string()})),
            }
        }
        (Method::POST, ["hosts", _host, "binding"]) => {
            let host_name = param(&query, "host_name");
            let sni = param(&query, "require_sni") == "1";
            match lab.set_binding(&host_name, sni).await {
                Ok(()) => json(
                    200,
                    serde_json::json!({"host_name": host_name, "require_sni": sni}),
                ),
                Err(e) => json(404, serde_json::json!({"error": e.to_string()})),
            }
        }
        (Method::POST, ["integration", "save"]) => {
            let get = |k: &str| param(&query, k);
            let pgs: Vec<String> = get("agent_pgs")
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            match lab.save_integration(&get("app_instance"), &pgs) {
                Ok(m) => json(200, serde_json::json!({"ok": true, "message": m})),
                Err(m) => json(200, serde_json::json!({"ok": false, "message": m})),
            }
        }
        (Method::POST, ["agents", agent, "enable"]) => {
            let screen = param(&query, "screen_name");
            match lab.enable_agent(agent, &screen) {
                Ok(m) => json(200, serde_json::json!({"ok": true, "message": m})),
                Err(m) => json(200, serde_json::json!({"ok": false, "message": m})),
            }
        }
        (Method::GET, ["ece", "users"]) => {
            let users: Vec<serde_json::Value> = lab
                .ece_users()
                .into_iter()
                .map(|(a, sn)| serde_json::json!({"agent": a, "screen_name": sn}))
                .collect();
            json(200, serde_json::Value::Array(users))
        }
        (Method::POST, ["inventory", "web-server"]) => {
            let name = param(&query, "name");
            if name.is_empty() {
                return json(400, serde_json::json!({"error": "give name=FQDN"}));
            }
            lab.set_inventory_web_server(&name);
            json(200, serde_json::json!({"web_server": name}))
        }
        _ => json(
            404,
            serde_json::json!({"error": format!("no such endpoint: {} {path}", req.method())}),
        ),
    }
}

/// Serves the control API on `addr` (loopback); returns the bound address.
pub async fn serve(lab: Arc<Lab>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let lab = lab.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let lab = lab.clone();
                    async move { Ok::<_, std::convert::Infallible>(route(lab, req).await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tcp), svc)
                    .await;
            });
        }
    });
    Ok(local)
}

/// A blocking one-shot HTTP request to the control API (for `ccelab ctl`).
pub fn request(control: &str, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let authority = control.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(authority)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
    write!(s, "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
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

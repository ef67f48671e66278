//! The control API of a running topology: a small HTTP/JSON interface on a
//! loopback port (like Pebble's management port), used by `ccelab ctl`.
//!
//! | method and path | does |
//! |---|---|
//! | `GET /status` | hosts and services with their states and ports |
//! | `GET /events[?since=N]` | every TLS connection so far (or from the N-th on, counting from 0): `seq`, peer, local address, SNI, outcome (handshake, reset, alert, plain HTTP…) |
//! | `POST /hosts/{host}/restart` | restarts the host's services (they reload from the disk) |
//! | `POST /spog/open-gadget?ads={host}` | opens the ECE gadget in CCE Administration on that ADS |
//! | `POST /hosts/{host}/services/{service}/stop` (or `start`) | stops/starts a Windows service (`Cisco Service`, `Apache Tomcat`); values are percent-encoded |
//! | `POST /hosts/{host}/cert/replace[?self_signed=1]` | replaces the ECE web server's certificate in IIS (F7) |
//! | `POST /hosts/{host}/binding?host_name={h}[&require_sni=1]` | edits the IIS https binding and applies it (F6) |
//! | `POST /integration/awdb?server={s}&database={d}&login={l}&password={p}[&port=1433]` | the AWDB Details tab's Save ([ECE] 5) |
//! | `POST /integration/save?app_instance={name}&agent_pgs={pg,…}` | the integration's Save ([ECE] 5; F11, F21) |
//! | `POST /agents/{agent}/enable?screen_name={s}` | Users > Agents: enable Email & Chat ([ECE] 6) |
//! | `GET /ece/users` | the agents ECE's user list shows |
//! | `POST /inventory/web-server?name={name}[&user={u}&password={p}]` | the ECE web server in the inventory: name and ECE credentials (invented shape; Cisco's `machineinventory` API comes later) |
//! | `GET /inventory` | the inventory's ECE web server entry (name, user) |
//! | `GET /inventory/machines` | every machine of the inventory |
//! | `POST /inventory/machines?type={t}&address={a}[&name=…&user=…&password=…&app_instance=…]` | adds a machine, checked as the REST API checks |
//! | `DELETE /inventory/machines/{id}` | deletes a machine |
//! | `POST /inventory/upload` (body: CSV) | the 4000/12000-agent CSV upload |
//! | `POST /ece/users/{user}/password?value={p}` | changes an ECE user's password in ECE (`pa`, `sa`; F12) |
//! | `GET /ece/departments` | ECE's departments |
//! | `GET /ece/partition-admin` | the Partition Administration Configuration ([ECE] 2.2; the password is not shown) |
//! | `POST /ece/partition-admin?ldap_url=…&dn_attribute=…&base=…&search_dn=…&password=…&enable_ssl=0\|1&keystore_location=…` | changes the given fields and saves |
//! | `GET /ece/admins` | partition administrators ECE created through SSO |
//! | `POST /ece/trace-level?process=ApplicationServer&level=N[&minutes=M][&host=H]` | a process's maximum trace level (7 and 8 need minutes), on one application server or every one |
//! | `POST /clock/advance?by=30m` | moves a fixed topology clock forward (`s`, `m`, `h`, `d`, `w`, `y`) |
//! | `POST /ad/policy?require_signing=0\|1&allow_anonymous=0\|1` | the DC's LDAP signing requirement (F15) and anonymous access (F16) |
//! | `POST /ad/users/{name}/fault?fault=52e\|…\|none` | a bind failure for an account (`data` code of AD's 49 answer) |
//! | `GET /ad/events[?since=SEQ]` | what the DC saw: each operation with its client (`peer`), port, result code and message |
//! | `POST /ece/departments?name={name}` | creates a department (`Service` is reserved) |
//!
//! Answers are JSON; an unknown host is 404 with `{"error": …}`.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response};

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

/// An event log's entries from `?since=SEQ` on, as a JSON array of objects
/// (each `shape`d, with its `seq`).
fn events_since<T: Clone>(
    log: &ccelab_emulators::events::EventLog<T>,
    query: &str,
    shape: impl Fn(&T) -> serde_json::Value,
) -> Response<Full<Bytes>> {
    let since: usize = param(query, "since").parse().unwrap_or(0);
    let ev: Vec<serde_json::Value> = log
        .since(since)
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

async fn route(lab: Arc<Lab>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let decoded: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
    let parts: Vec<&str> = decoded.iter().map(String::as_str).collect();
    match (req.method().clone(), parts.as_slice()) {
        (Method::GET, ["status"]) => json(200, lab.status()),
        (Method::GET, ["events"]) => events_since(&lab.events, &query, |e| {
            serde_json::json!({
                "peer": e.peer.to_string(),
                "local": e.local.to_string(),
                "sni": e.sni,
                "outcome": format!("{:?}", e.outcome),
            })
        }),
        (Method::POST, ["hosts", host, "restart"]) => match lab.restart(host).await {
            Ok(()) => json(200, serde_json::json!({"restarted": host})),
            Err(e) => json(404, serde_json::json!({"error": e.to_string()})),
        },
        (Method::POST, ["spog", "open-gadget"]) => {
            let ads = Some(param(&query, "ads"))
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| "ads-a".into());
            let user = param(&query, "user");
            match lab
                .open_gadget(&ads, Some(user.as_str()).filter(|u| !u.is_empty()))
                .await
            {
                Ok(o) => json(200, serde_json::to_value(o).unwrap_or_default()),
                Err(e) => json(404, serde_json::json!({"error": e.to_string()})),
            }
        }
        (Method::POST, ["hosts", host, "services", service, action @ ("start" | "stop")]) => {
            let service = service.to_string();
            match lab.set_service(host, &service, *action == "start").await {
                Ok(()) => json(
                    200,
                    serde_json::json!({"host": host, "service": service, "action": action}),
                ),
                Err(e) => json(404, serde_json::json!({"error": e.to_string()})),
            }
        }
        (Method::POST, ["hosts", host, "cert", "replace"]) => {
            let self_signed = param(&query, "self_signed") == "1";
            match lab.topo.host(host).map(|h| h.role) {
                None => {
                    return json(
                        404,
                        serde_json::json!({"error": format!("no host `{host}`")}),
                    )
                }
                Some(crate::topology::Role::EceWeb) => {}
                Some(crate::topology::Role::Ads) => {
                    return json(
                        400,
                        serde_json::json!({"error": format!(
                            "{host}: CCE Administration's certificate is the `tomcatCert` key entry of %JAVA_HOME%\\lib\\security\\cacerts on its disk: replace it with keytool as [SEC] describes (-delete -alias tomcatcert, -genkeypair -alias tomcatCert …), then `ccelab ctl restart {host}`"
                        )}),
                    )
                }
                Some(_) => {
                    return json(
                        400,
                        serde_json::json!({"error": format!("{host} serves no certificate")}),
                    )
                }
            }
            match lab.replace_web_cert(self_signed).await {
                Ok(fp) => json(200, serde_json::json!({"sha256": fp})),
                Err(e) => json(404, serde_json::json!({"error": e.to_string()})),
            }
        }
        (Method::POST, ["hosts", host, "binding"]) => {
            if lab.topo.host(host).map(|h| h.role) != Some(crate::topology::Role::EceWeb) {
                return json(
                    404,
                    serde_json::json!({"error": format!("`{host}` is not an ECE web server (IIS)")}),
                );
            }
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
        (Method::POST, ["integration", "awdb"]) => {
            let get = |k: &str| param(&query, k);
            let port = Some(get("port"))
                .filter(|p| !p.is_empty())
                .map_or(Ok(1433), |p| p.parse::<u16>());
            let Ok(port) = port else {
                return json(400, serde_json::json!({"error": "port: not a port number"}));
            };
            match lab.save_awdb(
                &get("server"),
                port,
                &get("database"),
                &get("login"),
                &get("password"),
            ) {
                Ok(m) => json(200, serde_json::json!({"ok": true, "message": m})),
                Err(m) => json(200, serde_json::json!({"ok": false, "message": m})),
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
            let (user, password) = (param(&query, "user"), param(&query, "password"));
            let opt = |v: &str| Some(v.to_string()).filter(|v| !v.is_empty());
            match lab.set_inventory_web_server(
                &name,
                opt(&user).as_deref(),
                opt(&password).as_deref(),
            ) {
                Ok(()) => json(
                    200,
                    serde_json::to_value(lab.inventory()).unwrap_or_default(),
                ),
                Err(m) => json(400, serde_json::json!({"error": m})),
            }
        }
        (Method::GET, ["inventory", "machines"]) => json(
            200,
            serde_json::to_value(lab.machines()).unwrap_or_default(),
        ),
        (Method::POST, ["inventory", "machines"]) => {
            let opt = |k: &str| Some(param(&query, k)).filter(|v| !v.is_empty());
            let m = crate::lab::machine_inventory::NewMachine {
                name: opt("name"),
                machine_type: param(&query, "type"),
                address: param(&query, "address"),
                user: opt("user"),
                password: opt("password"),
                application_instance: opt("app_instance"),
            };
            match lab.add_machine(m) {
                Ok(m) => json(200, serde_json::json!({"ok": true, "machine": m})),
                Err(e) => json(200, serde_json::json!({"ok": false, "errors": e})),
            }
        }
        (Method::DELETE, ["inventory", "machines", id]) => {
            match id.parse::<u64>().ok().filter(|id| lab.delete_machine(*id)) {
                Some(id) => json(200, serde_json::json!({"deleted": id})),
                None => json(
                    404,
                    serde_json::json!({"error": format!("no machine {id}")}),
                ),
            }
        }
        (Method::POST, ["inventory", "upload"]) => {
            use http_body_util::BodyExt as _;
            // a machine CSV is small: 10 MiB is far beyond any real one
            let limited = http_body_util::Limited::new(req.into_body(), 10 << 20);
            let body = match limited.collect().await {
                Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
                Err(e) => return json(413, serde_json::json!({"error": e.to_string()})),
            };
            match lab.upload_machines(&body) {
                Ok(added) => json(200, serde_json::json!({"ok": true, "added": added})),
                Err(bad) => json(
                    200,
                    serde_json::json!({"ok": false, "rows": bad.iter().map(|(line, e)| serde_json::json!({"line": line, "errors": e})).collect::<Vec<_>>()}),
                ),
            }
        }
        (Method::GET, ["inventory"]) => json(
            200,
            serde_json::to_value(lab.inventory()).unwrap_or_default(),
        ),
        (Method::POST, ["ece", "users", user, "password"]) => {
            match lab.set_ece_password(user, &param(&query, "value")) {
                Ok(()) => json(200, serde_json::json!({"user": user})),
                Err(m) => json(404, serde_json::json!({"error": m})),
            }
        }
        (Method::GET, ["ece", "partition-admin"]) => json(
            200,
            serde_json::to_value(lab.partition_admin()).unwrap_or_default(),
        ),
        (Method::POST, ["ece", "partition-admin"]) => {
            let Some(mut cfg) = lab.partition_admin() else {
                return json(
                    404,
                    serde_json::json!({"error": "this topology has no ECE application server"}),
                );
            };
            for (k, field) in [
                ("ldap_url", &mut cfg.ldap_url),
                ("dn_attribute", &mut cfg.dn_attribute),
                ("base", &mut cfg.base),
                ("search_dn", &mut cfg.search_dn),
                ("password", &mut cfg.password),
                ("keystore_location", &mut cfg.keystore_location),
            ] {
                if query.split('&').any(|kv| kv.split('=').next() == Some(k)) {
                    *field = param(&query, k);
                }
            }
            if query
                .split('&')
                .any(|kv| kv.split('=').next() == Some("enable_ssl"))
            {
                cfg.enable_ssl = param(&query, "enable_ssl") == "1";
            }
            match lab.set_partition_admin(cfg) {
                Ok(()) => json(
                    200,
                    serde_json::to_value(lab.partition_admin()).unwrap_or_default(),
                ),
                Err(m) => json(404, serde_json::json!({"error": m})),
            }
        }
        (Method::GET, ["ece", "admins"]) => json(200, serde_json::json!(lab.ece_admins())),
        (Method::POST, ["ece", "trace-level"]) => {
            let level = param(&query, "level").parse::<u8>().unwrap_or(0);
            let minutes = param(&query, "minutes").parse::<u32>().ok();
            let process = Some(param(&query, "process"))
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "ApplicationServer".into());
            let host = Some(param(&query, "host")).filter(|h| !h.is_empty());
            match lab.set_trace_level(&process, host.as_deref(), level, minutes) {
                Ok(()) => json(
                    200,
                    serde_json::json!({"ok": true, "process": process, "level": level, "host": host}),
                ),
                Err(m) => json(400, serde_json::json!({"error": m})),
            }
        }
        (Method::POST, ["clock", "advance"]) => {
            let by = param(&query, "by");
            let now = lab.topo.clock.now();
            match ccelab_emulators::clock::parse_time(
                &format!("+{}", by.trim_start_matches('+')),
                now,
            ) {
                Ok(t) if t > now && lab.topo.clock.advance(t - now) => {
                    json(200, serde_json::json!({"now": t.to_string()}))
                }
                Ok(_) => json(
                    400,
                    serde_json::json!({"error": "the topology runs on the system clock: start it with a fixed `clock` in a topology file to move time"}),
                ),
                Err(e) => json(400, serde_json::json!({"error": e})),
            }
        }
        (Method::POST, ["ad", "policy"]) => {
            let Some(dc) = &lab.dc else {
                return json(
                    404,
                    serde_json::json!({"error": "this topology has no AD DC"}),
                );
            };
            let flag = |k: &str| {
                query
                    .split('&')
                    .any(|kv| kv.split('=').next() == Some(k))
                    .then(|| param(&query, k) == "1")
            };
            let (sign, anon) = (flag("require_signing"), flag("allow_anonymous"));
            dc.update_policy(|p| {
                if let Some(v) = sign {
                    p.require_signing = v;
                }
                if let Some(v) = anon {
                    p.allow_anonymous = v;
                }
            });
            let p = dc.policy();
            json(
                200,
                serde_json::json!({"require_signing": p.require_signing, "allow_anonymous": p.allow_anonymous}),
            )
        }
        (Method::GET, ["ad", "events"]) => {
            let Some(dc) = &lab.dc else {
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
        (Method::POST, ["ad", "users", user, "fault"]) => {
            let Some(dc) = &lab.dc else {
                return json(
                    404,
                    serde_json::json!({"error": "this topology has no AD DC"}),
                );
            };
            let f = param(&query, "fault");
            let fault = match f.as_str() {
                "" | "none" => None,
                other => match ccelab_emulators::ad_dc::BindFault::parse(other) {
                    Some(b) => Some(b),
                    None => {
                        return json(
                            400,
                            serde_json::json!({"error": format!("unknown fault `{other}` (525, 52e, 530, 531, 532, 533, 701, 773, 775 or none)")}),
                        )
                    }
                },
            };
            match dc.update_directory(|d| d.set_bind_fault(user, fault)) {
                Ok(_) => json(200, serde_json::json!({"user": user, "fault": f})),
                Err(e) => json(404, serde_json::json!({"error": e.to_string()})),
            }
        }
        (Method::GET, ["ece", "departments"]) => json(200, serde_json::json!(lab.departments())),
        (Method::POST, ["ece", "departments"]) => {
            match lab.create_department(&param(&query, "name")) {
                Ok(m) => json(200, serde_json::json!({"ok": true, "message": m})),
                Err(m) => json(200, serde_json::json!({"ok": false, "message": m})),
            }
        }
        _ => json(
            404,
            serde_json::json!({"error": format!("no such endpoint: {} {path}", req.method())}),
        ),
    }
}

/// The running control API: stops (and lets go of the lab) when dropped.
pub struct ControlServer {
    pub addr: SocketAddr,
    _acceptor: ccelab_emulators::net::Acceptor,
}

/// Serves the control API on `addr` (loopback) until the returned handle is dropped.
pub async fn serve(lab: Arc<Lab>, addr: SocketAddr) -> std::io::Result<ControlServer> {
    // the accept loop holds the lab only weakly: dropping the handle and the
    // lab's other owners lets everything go
    let weak = Arc::downgrade(&lab);
    let acceptor = ccelab_emulators::net::Acceptor::bind(addr, move |tcp, _, _| {
        let Some(lab) = weak.upgrade() else { return };
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let lab = lab.clone();
                async move { Ok::<_, std::convert::Infallible>(route(lab, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tcp), svc)
                .await;
        });
    })
    .await?;
    Ok(ControlServer {
        addr: acceptor.local_addr(),
        _acceptor: acceptor,
    })
}

/// A blocking one-shot HTTP request to the control API (for `ccelab ctl`).
pub fn request(control: &str, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    request_with_body(control, method, path, "")
}

/// [`request`] with a request body.
pub fn request_with_body(
    control: &str,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, String)> {
    use std::io::{Read, Write};
    let authority = control.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(authority)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(60)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
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

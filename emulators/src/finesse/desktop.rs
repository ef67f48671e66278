//! An agent's Finesse desktop with the Live Data gadget ([SEC] "Live Data,
//! self-signed"; F18), over real connections:
//!
//! 1. the agent's browser reaches the desktop on `https://<Finesse>:8445`
//!    (nothing listens while Cisco Finesse Tomcat is stopped);
//! 2. Finesse fetches the Live Data gadget from CUIC **server-side**
//!    (`https://<CUIC>:8444/cuic/gadget/LiveData/LiveDataGadget.jsp`,
//!    the default desktop layout's URL) as Java, trusting only the
//!    `tomcat-trust` its Tomcat loaded when it started — which is why the
//!    CUIC certificate must be uploaded there (publisher → primary,
//!    subscriber → secondary) and Cisco Finesse Tomcat restarted. A failure
//!    is logged with Java's exception in Finesse's desktop log
//!    (`/opt/cisco/desktop/logs/finesse/Desktop-webapp.log`, ccelab's name,
//!    L) and the gadget does not load (Cisco's admin guide: "the connection
//!    isn't trusted, and the gadget doesn't load"; the text the desktop
//!    shows is ccelab's, L);
//! 3. the gadget in the agent's browser calls Live Data directly
//!    (`https://<CUIC>:12005/livedata/security`, `…:12008/security`) from the
//!    desktop's origin: the browser must trust the Live Data certificate —
//!    the enterprise CA in the OS store, or a self-signed certificate the
//!    agent accepted — and Live Data must allow the origin (CORS). Else the
//!    gadget shows "Live Data is not available after repeated attempts.
//!    Retrying" (issue 13's text; not found in a public source, M) and the
//!    console Chrome's `net::ERR_CERT_…` or CORS line.

use crate::platform::http::escape_markup as esc;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::Clock;
use crate::host::VirtualDisk;

use super::FinesseNode;
use crate::network::Unreachable;
use crate::personality::{self, Personality, Request};
use crate::pki::Certificate;
use crate::platform::vos::appliance::Appliance;

/// The gadget's text when Live Data cannot be reached.
pub const LIVE_DATA_UNAVAILABLE: &str =
    "Live Data is not available after repeated attempts. Retrying";
/// How the desktop names the Live Data gadget before its state (ccelab's
/// wording, L: the page and the prediction show the same line).
pub const GADGET: &str = "Live Data gadget: ";
/// The desktop's gadget line without a Live Data gadget in the layout (L).
pub const NO_GADGET: &str = "No Live Data gadget in the desktop layout";

/// The heading of Chrome's certificate warning (its interstitial for every
/// `ERR_CERT_…`; the error code follows it on the page).
pub const CERT_WARNING: &str = "Your connection is not private";

/// Socket.IO's first request, by XHR (Engine.IO protocol 3's polling handshake).
pub const SOCKET_IO_POLLING: &str = "/socket.io/?EIO=3&transport=polling";
/// Socket.IO's upgrade: the WebSocket the gadget then keeps open.
pub const SOCKET_IO_WEBSOCKET: &str = "/socket.io/?EIO=3&transport=websocket";

/// The desktop's first line (L).
pub fn signed_in(agent: &str, host: &str) -> String {
    format!("Signed in as {agent} on {host}")
}

/// The gadget line once both Live Data calls succeeded (L).
pub fn loaded(cuic: &str) -> String {
    format!("{GADGET}loaded from {cuic}")
}

/// The gadget line when Finesse could not fetch the gadget's XML (L).
pub fn not_fetched(url: &str) -> String {
    format!("{GADGET}the gadget could not be loaded from {url}")
}

/// The size past which the desktop log rolls over.
pub const MAX_LOG: u64 = 1 << 20;
/// Finesse's desktop log (ccelab's name for it).
pub const DESKTOP_LOG: &str = "opt/cisco/desktop/logs/finesse/Desktop-webapp.log";

/// What the agents' browsers trust: the OS store (the enterprise CA) and
/// the certificates each agent accepted at a browser warning. Chrome keeps
/// such an exception per host and certificate, not per port (measured with
/// Debian's Chromium: proceeding past the warning of `https://h:9441/`
/// also opens `https://h:9442/` presenting the same certificate), so one
/// acceptance covers both Live Data ports when they share a certificate;
/// Firefox asks per host and port, which is why Cisco's procedure has
/// agents open 12005 and 12008 one by one.
#[derive(Debug, Default)]
pub struct Browsers {
    /// The OS trust store of the agents' PCs.
    pub os: Vec<Certificate>,
    accepted: Mutex<HashMap<(String, String), Vec<Certificate>>>,
}

impl Browsers {
    /// Browsers trusting `os`.
    pub fn new(os: Vec<Certificate>) -> Browsers {
        Browsers {
            os,
            accepted: Mutex::new(HashMap::new()),
        }
    }

    /// The agent accepted `cert` at the browser's warning page of `host`
    /// (at any of its ports).
    pub fn accept(&self, agent: &str, host: &str, cert: Certificate) {
        let mut all = self.accepted.lock().unwrap_or_else(|e| e.into_inner());
        let list = all
            .entry((agent.to_string(), host.to_ascii_lowercase()))
            .or_default();
        // a browser keeps a bounded number of exceptions per host
        if !list.contains(&cert) && list.len() < 16 {
            list.push(cert);
        }
    }

    /// What `agent`'s browser trusts on `host`.
    pub fn anchors(&self, agent: &str, host: &str) -> Vec<Certificate> {
        let mut a = self.os.clone();
        if let Some(more) = self
            .accepted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(agent.to_string(), host.to_ascii_lowercase()))
        {
            a.extend(more.iter().cloned());
        }
        a
    }
}

/// What the agent saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desktop {
    /// The desktop and its Live Data gadget work.
    pub ok: bool,
    /// What the desktop shows.
    pub shows: Vec<String>,
    /// The browser console's lines.
    pub console: Vec<String>,
}

fn failed(shows: impl Into<String>, console: Vec<String>) -> Desktop {
    Desktop {
        ok: false,
        shows: vec![shows.into()],
        console,
    }
}

/// Chrome's error name for a browser personality's refusal.
pub fn chrome_error(text: &str) -> &'static str {
    if text.contains("NotValidForName") {
        "net::ERR_CERT_COMMON_NAME_INVALID"
    } else if text.contains("Expired") || text.contains("NotValidYet") {
        "net::ERR_CERT_DATE_INVALID"
    } else if text.contains("UnknownIssuer") || text.contains("certificate") {
        "net::ERR_CERT_AUTHORITY_INVALID"
    } else if text.contains("refused") {
        "net::ERR_CONNECTION_REFUSED"
    } else {
        "net::ERR_CONNECTION_RESET"
    }
}

/// Finesse's server-side fetch of the Live Data gadget from `cuic`, as
/// Java trusting `anchors`: the gadget's XML, or its URL and Java's exception.
pub async fn fetch_gadget(
    network: &Arc<dyn crate::network::Network>,
    clock: &Clock,
    jre: crate::personality::jre::Jre,
    anchors: &[Certificate],
    cuic: &str,
) -> Result<String, (String, personality::Verdict)> {
    let gadget = format!(
        "https://{cuic}:{}{}",
        crate::cuic::REPORTING_PORT,
        crate::cuic::GADGET_PATH
    );
    let fetched = match network.endpoint(cuic, crate::cuic::REPORTING_PORT) {
        Err(Unreachable::UnknownHost) => Err(personality::Verdict::refuse(format!(
            "java.net.UnknownHostException: {cuic}"
        ))),
        Err(Unreachable::Refused) => Err(personality::Verdict::refuse(
            personality::java::connection_refused(jre, false),
        )),
        Ok(addr) => personality::https_request_as(
            Personality::Java(jre),
            addr,
            cuic,
            anchors,
            clock.now(),
            &Request {
                method: "GET",
                path: crate::cuic::GADGET_PATH,
                headers: &[],
                body: b"",
            },
            Duration::from_secs(10),
        )
        .await
        .and_then(|(status, body)| {
            if status == 200 {
                Ok(body)
            } else {
                Err(personality::Verdict::refuse(format!(
                    "java.io.IOException: Server returned HTTP response code: {status} for URL: {gadget}"
                )))
            }
        }),
    };
    fetched.map_err(|v| (gadget, v))
}

/// `agent` signs in to the desktop of the Finesse node `a`.
pub async fn sign_in(a: &Appliance, agent: &str, password: &str) -> Desktop {
    let Some(node) = a.product::<FinesseNode>() else {
        return failed("not a Finesse node", vec![]);
    };
    let h = a.ctx();
    let desktop = format!("https://{}:8445", h.fqdn);
    if h.listeners.bound(&h.name, 8445).is_none() || a.loaded(super::FINESSE_TOMCAT).is_none() {
        return failed(
            format!("{desktop}/desktop cannot be reached"),
            vec![format!("GET {desktop}/desktop net::ERR_CONNECTION_REFUSED")],
        );
    }
    let d = &node.deployment;
    // the agent's browser must trust the desktop's certificate first: the
    // enterprise CA, or the self-signed certificate accepted at Chrome's warning
    if let Ok(addr) = h.network.endpoint(&h.fqdn, 8445) {
        if let Err(v) = personality::https_exchange_as(
            Personality::Browser,
            addr,
            &h.fqdn,
            &d.browsers.anchors(agent, &h.fqdn),
            h.clock.now(),
            &Request {
                method: "GET",
                path: "/desktop",
                headers: &[],
                body: b"",
            },
            Duration::from_secs(10),
        )
        .await
        {
            let code = chrome_error(&v.text);
            if let Some(cert) = code.strip_prefix("net::ERR_CERT_") {
                return failed(format!("{CERT_WARNING}\nNET::ERR_CERT_{cert}"), vec![]);
            }
            return failed(
                format!("{desktop}/desktop cannot be reached"),
                vec![format!("GET {desktop}/desktop {code}")],
            );
        }
    }
    match d.agent(agent) {
        Some(x) if x.password == password => {}
        // ccelab's wording (L)
        _ => return failed("Invalid username or password.", vec![]),
    }
    let Some(load) = a.loaded(super::FINESSE_TOMCAT) else {
        return failed(format!("{desktop}/desktop cannot be reached"), vec![]);
    };
    let mut shows = vec![signed_in(agent, &h.fqdn)];
    let Some((cuic, profile)) = node.live_data.clone() else {
        shows.push(NO_GADGET.into());
        return Desktop {
            ok: true,
            shows,
            console: vec![],
        };
    };
    // 2: Finesse's server-side fetch with the tomcat-trust it loaded at start
    let anchors: Vec<Certificate> = load.trust.iter().map(|(_, c)| c.clone()).collect();
    if let Err((gadget, v)) = fetch_gadget(&h.network, &h.clock, h.java, &anchors, &cuic).await {
        log_failure(&h.disk, &h.clock, &gadget, &v).await;
        shows.push(not_fetched(&gadget));
        return Desktop {
            ok: false,
            shows,
            console: vec![],
        };
    }
    // 3: the agent's browser calls Live Data from the desktop's origin
    let origin = desktop.clone();
    let mut console = Vec::new();
    let (web, socket_io) = profile.ports();
    for (port, path) in [(web, "/livedata/security"), (socket_io, SOCKET_IO_POLLING)] {
        let url = format!("https://{cuic}:{port}{path}");
        let reply = match h.network.endpoint(&cuic, port) {
            Err(Unreachable::UnknownHost) => Err("net::ERR_NAME_NOT_RESOLVED".to_string()),
            Err(Unreachable::Refused) => Err("net::ERR_CONNECTION_REFUSED".to_string()),
            Ok(addr) => personality::https_exchange_as(
                Personality::Browser,
                addr,
                &cuic,
                &d.browsers.anchors(agent, &cuic),
                h.clock.now(),
                &Request {
                    method: "GET",
                    path,
                    headers: &[("Origin", origin.as_str())],
                    body: b"",
                },
                Duration::from_secs(10),
            )
            .await
            .map_err(|v| chrome_error(&v.text).to_string()),
        };
        match reply {
            Err(e) => console.push(format!("GET {url} {e}")),
            Ok(r) if r.header("access-control-allow-origin") != Some(origin.as_str()) => {
                console.push(format!("Access to XMLHttpRequest at '{url}' from origin '{origin}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."));
                console.push(format!("GET {url} net::ERR_FAILED"));
            }
            Ok(_) => {}
        }
    }
    // then Socket.IO's upgrade to a WebSocket (no CORS: Live Data takes any origin)
    if console.is_empty() {
        let url = format!("wss://{cuic}:{socket_io}{SOCKET_IO_WEBSOCKET}");
        let failed = match h.network.endpoint(&cuic, socket_io) {
            Err(Unreachable::UnknownHost) => Some(Err("net::ERR_NAME_NOT_RESOLVED")),
            Err(Unreachable::Refused) => Some(Err("net::ERR_CONNECTION_REFUSED")),
            Ok(addr) => match personality::websocket_status_as(
                Personality::Browser,
                addr,
                &cuic,
                &d.browsers.anchors(agent, &cuic),
                h.clock.now(),
                &Request {
                    method: "GET",
                    path: SOCKET_IO_WEBSOCKET,
                    headers: &[("Origin", origin.as_str())],
                    body: b"",
                },
                Duration::from_secs(10),
            )
            .await
            {
                Ok(101) => None,
                Ok(status) => Some(Ok(status)),
                Err(v) => Some(Err(chrome_error(&v.text))),
            },
        };
        if let Some(answer) = failed {
            console.push(websocket_failed(&url, answer));
        }
    }
    if console.is_empty() {
        shows.push(loaded(&cuic));
        Desktop {
            ok: true,
            shows,
            console,
        }
    } else {
        shows.push(format!("{GADGET}{LIVE_DATA_UNAVAILABLE}"));
        Desktop {
            ok: false,
            shows,
            console,
        }
    }
}

/// Chrome's console line for a WebSocket to `url` that did not open: the
/// HTTP status the server answered the upgrade with (not 101), or the
/// network error (`net::ERR_CONNECTION_REFUSED`) when there was no answer.
/// Checked against real Chromium (`harness/tests/browser.rs`).
pub fn websocket_failed(url: &str, answer: Result<u16, &str>) -> String {
    match answer {
        Ok(s) => format!(
            "WebSocket connection to '{url}' failed: Error during WebSocket handshake: Unexpected response code: {s}"
        ),
        Err(net) => {
            format!("WebSocket connection to '{url}' failed: Error in connection establishment: {net}")
        }
    }
}

/// Appends Java's exception chain to Finesse's desktop log (off the async
/// workers; a log that cannot be written loses its lines).
pub async fn log_failure(disk: &VirtualDisk, clock: &Clock, url: &str, v: &personality::Verdict) {
    let path = disk.root().join(DESKTOP_LOG);
    let now = clock.now();
    let chain = if v.detail.is_empty() {
        vec![v.text.clone()]
    } else {
        v.detail.clone()
    };
    let stamp = super::rest::stamp(now);
    let mut text = format!(
        "{stamp}: ERROR [shindig] Error fetching gadget {url}: {}\n",
        chain[0]
    );
    for c in chain.iter().skip(1) {
        text.push_str(&format!("Caused by: {c}\n"));
    }
    let disk = disk.clone();
    let _ = tokio::task::spawn_blocking(move || {
        if let Some(dir) = path.parent() {
            if disk.check(dir).is_ok() {
                let _ = std::fs::create_dir_all(dir);
            }
        }
        // past 1 MiB the log rolls over to `….log.1` (one old file kept)
        let big = std::fs::symlink_metadata(&path).is_ok_and(|m| m.len() > MAX_LOG);
        let old = path.with_extension("log.1");
        if big && disk.check(&path).is_ok() && disk.check(&old).is_ok() {
            let _ = std::fs::rename(&path, &old);
        }
        disk.append(&path, text.as_bytes())
    })
    .await;
}

fn page(status: u16, body: &str) -> crate::tls::HttpResponse {
    crate::tls::HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "text/html;charset=UTF-8".into())],
        body: format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>Cisco Finesse</title></head>\n<body>\n{body}\n</body></html>\n"
        )
        .into_bytes(),
    }
}

/// The desktop's sign-in form (`GET /desktop`; its fields and the
/// `/desktop/signin` action are ccelab's, L).
pub fn sign_in_page(error: Option<&str>) -> crate::tls::HttpResponse {
    let e = error
        .map(|e| format!("<p class=\"error\">{}</p>\n", esc(e)))
        .unwrap_or_default();
    page(
        200,
        &format!("<h1>Cisco Finesse</h1>\n{e}<form method=\"post\" action=\"/desktop/signin\">\n<label>Username <input type=\"text\" name=\"username\"></label>\n<label>Password <input type=\"password\" name=\"password\"></label>\n<label>Extension <input type=\"text\" name=\"extension\"></label>\n<input type=\"submit\" value=\"Sign In\">\n</form>"),
    )
}

/// The desktop page of a signed-in agent: the Live Data gadget as Finesse
/// fetched it, and the script that calls Live Data from the browser — the
/// web service, then the Socket.IO service, by `XMLHttpRequest` with
/// credentials; three tries 250 ms apart, then [`LIVE_DATA_UNAVAILABLE`]
/// (and on retrying every 5 s: the timing is ccelab's, L). A gadget Finesse
/// could not fetch leaves its text in place of the gadget. `#agent` and
/// `#livedata` show the lines [`sign_in`] predicts.
pub fn desktop_page(
    agent: &str,
    host: &str,
    gadget: Option<Result<(String, crate::cuic::LiveDataProfile), String>>,
) -> crate::tls::HttpResponse {
    let live = match gadget {
        None => format!("<p id=\"livedata\">{NO_GADGET}</p>"),
        Some(Err(url)) => format!(
            "<p id=\"livedata\" class=\"gadget-error\">{}</p>",
            esc(&not_fetched(&url))
        ),
        Some(Ok((cuic, profile))) => {
            let (web, socket_io) = profile.ports();
            // a JavaScript string literal that cannot end the script element
            let quote = |t: &str| {
                serde_json::Value::String(t.to_string())
                    .to_string()
                    .replace('<', "\\u003c")
            };
            format!(
                "<div id=\"livedata\" data-server=\"https://{c}:{web}\" data-socketio=\"https://{c}:{socket_io}\">{GADGET}Loading</div>\n<script>\n(function () {{\n  var g = document.getElementById('livedata');\n  var urls = [g.dataset.server + '/livedata/security', g.dataset.socketio + '/socket.io/?EIO=3&transport=polling'];
  var socket = g.dataset.socketio.replace(/^https:/, 'wss:') + '/socket.io/?EIO=3&transport=websocket';\n  var tries = 0;\n  function get(u) {{\n    return new Promise(function (done) {{\n      var x = new XMLHttpRequest();\n      x.open('GET', u);\n      x.withCredentials = true;\n      x.onload = function () {{ done(true); }};\n      x.onerror = function () {{ done(false); }};\n      x.send();\n    }});\n  }}\n  function ws(u) {{\n    return new Promise(function (done) {{\n      var w = new WebSocket(u);\n      w.onopen = function () {{ w.close(); done(true); }};\n      w.onerror = function () {{ done(false); }};\n    }});\n  }}\n  function attempt() {{\n    get(urls[0]).then(function (a) {{\n      return get(urls[1]).then(function (b) {{ return a && b; }});\n    }}).then(function (ok) {{\n      return ok ? ws(socket) : false;\n    }}).then(function (good) {{\n      if (good) {{ g.textContent = {ok}; return; }}\n      tries += 1;\n      if (tries >= 3) {{ g.textContent = {fail}; }}\n      setTimeout(attempt, tries >= 3 ? 5000 : 250);\n    }});\n  }}\n  attempt();\n}})();\n</script>",
                c = esc(&cuic),
                ok = quote(&loaded(&cuic)),
                fail = quote(&format!("{GADGET}{LIVE_DATA_UNAVAILABLE}")),
            )
        }
    };
    page(
        200,
        &format!(
            "<h1>Cisco Finesse</h1>\n<p id=\"agent\">{}</p>\n<section id=\"gadgets\">\n{live}\n</section>",
            esc(&signed_in(agent, host))
        ),
    )
}

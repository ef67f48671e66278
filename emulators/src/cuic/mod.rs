//! Cisco Unified Intelligence Center with Live Data, publisher and
//! subscriber ([SEC] "Live Data, self-signed"; docs/requirements.md §1, §2;
//! F18), on the VOS platform, in the 12.5 port profile:
//!
//! * **Intelligence Center Reporting Service** on HTTPS 8444:
//!   `/cuic/rest/about` (the reachability check of Cisco's VPN-less
//!   guide; its body is not documented — ccelab answers a small JSON
//!   document, L) and the Live Data gadget Finesse's desktop layout names,
//!   `/cuic/gadget/LiveData/LiveDataGadget.jsp` (the default Finesse layout's
//!   URL; the gadget's XML is ccelab's, L);
//! * **CCE Live Data Web Service** on 12005 (`/livedata/security`) and
//!   **CCE Live Data Socket.IO Service** on 12008 (`/security`): the
//!   endpoints the agent's browser reaches directly (which is why it must
//!   accept a self-signed Live Data certificate: [SEC]); bodies L. The
//!   Socket.IO service answers Engine.IO's handshake as a Socket.IO client
//!   makes it — `/socket.io/?EIO=3&transport=polling` (an XHR, under CORS),
//!   then the upgrade to a real WebSocket,
//!   `wss://…/socket.io/?EIO=3&transport=websocket`, whose first frame is
//!   the open packet (Engine.IO protocol 3; Live Data's own events are not
//!   modelled);
//! * the CORS allow-lists of `utils cuic cors …` and `utils live-data cors …`
//!   (the CUIC and Live Data CLI guides; research vos-web.md §4): a desktop
//!   origin not allowed gets no `Access-Control-Allow-Origin`, and the
//!   gadget's call fails in the browser. The texts `utils … cors status`
//!   and `… allowed_origin list` print are not documented (L).
//!
//! In the 12.6(2) profile ([`LiveDataProfile::V1262`]) both Live Data
//! endpoints are on 443 behind the **Cisco Web Proxy Service** (the 12.6 CLI
//! guide has that service restarted after a Live Data CORS change, H; that
//! both move to 443 is the VPN-less guide's reading, L).
//!
//! Service names: Cisco's Live Data guides name the `CCE Live Data …`
//! services (M).

use std::sync::{Arc, Mutex};

use crate::platform::vos::appliance::{Appliance, HandlerFactory, WebService};
use crate::platform::vos::{CliReply, TomcatLoad, VosConfig};
use crate::product::{HostCtx, ProductError};
use crate::tls::{HttpRequest, HttpResponse};

/// CUIC's reporting web service.
pub const REPORTING: &str = "Intelligence Center Reporting Service";
/// Live Data's web service.
pub const LIVE_DATA_WEB: &str = "CCE Live Data Web Service";
/// Live Data's Socket.IO service.
pub const LIVE_DATA_SOCKET_IO: &str = "CCE Live Data Socket.IO Service";
/// CUIC's HTTPS port.
pub const REPORTING_PORT: u16 = 8444;
/// Live Data's web service port (12.5).
pub const LIVE_DATA_WEB_PORT: u16 = 12005;
/// Live Data's Socket.IO port (12.5).
pub const LIVE_DATA_SOCKET_IO_PORT: u16 = 12008;
/// The most origins an allow-list keeps (ccelab's bound).
pub const MAX_ORIGINS: usize = 100;
/// The gadget Finesse's desktop layout loads from CUIC.
pub const GADGET_PATH: &str = "/cuic/gadget/LiveData/LiveDataGadget.jsp";

/// The web proxy of the 12.6(2) profile.
pub const WEB_PROXY: &str = "Cisco Web Proxy Service";

/// Where Live Data listens: the 12.5 ports or 12.6(2)'s 443.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub enum LiveDataProfile {
    /// 12005 (web service) and 12008 (Socket.IO).
    #[default]
    #[serde(rename = "12.5")]
    V125,
    /// Both on 443 (the web proxy).
    #[serde(rename = "12.6.2")]
    V1262,
}

impl LiveDataProfile {
    /// The web service's and the Socket.IO service's ports.
    pub fn ports(self) -> (u16, u16) {
        match self {
            LiveDataProfile::V125 => (LIVE_DATA_WEB_PORT, LIVE_DATA_SOCKET_IO_PORT),
            LiveDataProfile::V1262 => (443, 443),
        }
    }
}

/// The `[cuic]` section of a topology file.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CuicSection {
    /// `"12.5"` (Live Data on 12005 and 12008, the default) or `"12.6.2"` (on 443).
    pub profile: Option<LiveDataProfile>,
}

/// One CORS allow-list (`utils cuic cors` or `utils live-data cors`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cors {
    /// `enable` / `disable`.
    pub enabled: bool,
    /// The allowed origins, `http[s]://host[:port]`.
    pub origins: Vec<String>,
}

impl Cors {
    /// The `Access-Control-Allow-Origin` answer for `origin`, if allowed.
    pub fn allow(&self, origin: &str) -> Option<String> {
        (self.enabled && self.origins.iter().any(|o| o.eq_ignore_ascii_case(origin)))
            .then(|| origin.to_string())
    }
}

/// A CUIC node's CORS settings (kept in the node's database: each node is
/// configured on its own, as the guides say "on every node").
#[derive(Debug, Default)]
pub struct CorsSettings {
    /// `utils cuic cors`.
    pub cuic: Cors,
    /// `utils live-data cors`.
    pub live_data: Cors,
}

/// What a CUIC node is, beyond its platform.
pub struct CuicNode {
    /// Publisher (true) or subscriber.
    pub publisher: bool,
    /// Its CORS settings.
    pub cors: Arc<Mutex<CorsSettings>>,
    /// Where its Live Data listens.
    pub profile: LiveDataProfile,
}

/// What a CUIC node is told when it starts.
pub struct CuicConfig {
    /// Publisher (true) or subscriber.
    pub publisher: bool,
    /// The origins allowed at start on both lists (the Finesse desktops:
    /// `https://<Finesse FQDN>` and `…:8445`, as the Finesse guide asks),
    /// CORS enabled; empty: CORS disabled.
    pub origins: Vec<String>,
    /// Where Live Data listens.
    pub profile: LiveDataProfile,
    /// The platform's settings.
    pub vos: VosConfig,
}

/// The platform services of a CUIC node (`utils service list`).
pub fn platform_services(profile: LiveDataProfile) -> Vec<(String, bool)> {
    let proxy = profile == LiveDataProfile::V1262;
    [
        (WEB_PROXY, proxy),
        ("A Cisco DB", true),
        ("A Cisco DB Replicator", true),
        ("CCE Live Data ActiveMQ Service", true),
        ("CCE Live Data Cassandra Service", true),
        ("CCE Live Data Event Store Service", true),
        (LIVE_DATA_SOCKET_IO, true),
        ("CCE Live Data Storm DRPC Service", true),
        (LIVE_DATA_WEB, true),
        ("CCE Live Data Zookeeper Service", true),
        ("Cisco AMC Service", true),
        ("Cisco Audit Event Service", true),
        ("Cisco Certificate Expiry Monitor", true),
        ("Cisco DRF Local", true),
        ("Cisco DRF Master", true),
        ("Cisco Tomcat", true),
        (REPORTING, true),
        ("Host Resources Agent", true),
        ("System NTP", true),
    ]
    .into_iter()
    .map(|(n, on)| (n.to_string(), on))
    .collect()
}

fn with_cors(mut r: HttpResponse, cors: &Cors, req: &HttpRequest) -> HttpResponse {
    let origin = req
        .headers
        .iter()
        .find(|(k, _)| k == "origin")
        .map(|(_, v)| v.as_str());
    if let Some(allowed) = origin.and_then(|o| cors.allow(o)) {
        r.headers
            .push(("Access-Control-Allow-Origin".into(), allowed));
        r.headers
            .push(("Access-Control-Allow-Credentials".into(), "true".into()));
        r.headers.push(("Vary".into(), "Origin".into()));
    }
    r
}

/// The Engine.IO endpoint of Live Data's Socket.IO service.
pub const SOCKET_IO_PATH: &str = "/socket.io/";

/// Engine.IO's (protocol 3) answer on [`SOCKET_IO_PATH`]: the open packet,
/// by polling (`transport=polling`) or as a WebSocket's first frame
/// (`transport=websocket`, an `Upgrade: websocket` request).
fn socket_io(r: &HttpRequest) -> HttpResponse {
    let q = crate::platform::http::form_fields(&r.query);
    let open = format!(
        "0{{\"sid\":\"{:016x}\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,\"pingTimeout\":60000}}",
        rand::random::<u64>()
    );
    match (
        q.get("EIO").map(String::as_str),
        q.get("transport").map(String::as_str),
    ) {
        (Some("3"), Some("websocket")) => HttpResponse::websocket(&open),
        (Some("3"), Some("polling")) => HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), "text/plain; charset=UTF-8".into())],
            body: format!("{}:{open}", open.chars().count()).into_bytes(),
        },
        _ => HttpResponse::json(
            400,
            serde_json::json!({"code": 0, "message": "Transport unknown"}),
        ),
    }
}

/// Starts CUIC on a host.
pub async fn start(config: CuicConfig, ctx: HostCtx) -> Result<Arc<Appliance>, ProductError> {
    let cors = Arc::new(Mutex::new(CorsSettings {
        cuic: Cors {
            enabled: !config.origins.is_empty(),
            origins: config.origins.clone(),
        },
        live_data: Cors {
            enabled: !config.origins.is_empty(),
            origins: config.origins.clone(),
        },
    }));
    let (fqdn, version) = (ctx.fqdn.clone(), config.vos.version.clone());
    let (web_port, socket_port) = config.profile.ports();
    let c = cors.clone();
    let reporting: HandlerFactory = Arc::new(move |_load: &TomcatLoad| {
        let (c, fqdn, version) = (c.clone(), fqdn.clone(), version.clone());
        crate::tls::handler(move |r| {
            let resp = match (r.method.as_str(), r.path.as_str()) {
                ("GET", "/cuic/rest/about") => HttpResponse::json(200, serde_json::json!({"product": "Cisco Unified Intelligence Center", "version": version, "host": fqdn})),
                ("GET", GADGET_PATH) => HttpResponse {
                    status: 200,
                    headers: vec![("Content-Type".into(), "text/xml; charset=UTF-8".into())],
                    body: format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Module>\n  <ModulePrefs title=\"Live Data\" scrolling=\"true\">\n    <Require feature=\"dynamic-height\"/>\n  </ModulePrefs>\n  <Content type=\"html\"><![CDATA[<div id=\"livedata\" data-server=\"https://{fqdn}:{web_port}\" data-socketio=\"https://{fqdn}:{socket_port}\"></div>]]></Content>\n</Module>\n").into_bytes(),
                },
                _ => HttpResponse::text(404, "Not Found"),
            };
            let cuic = c.lock().unwrap_or_else(|e| e.into_inner()).cuic.clone();
            with_cors(resp, &cuic, &r)
        })
    });
    // Live Data's answers: each path with Live Data's CORS list
    let live = |paths: &'static [&'static str]| -> HandlerFactory {
        let c = cors.clone();
        Arc::new(move |_load: &TomcatLoad| {
            let c = c.clone();
            crate::tls::handler(move |r| {
                let resp = if paths.contains(&r.path.as_str()) {
                    HttpResponse::json(200, serde_json::json!({"status": "OK"}))
                } else if paths.contains(&"/security") && r.path == SOCKET_IO_PATH {
                    socket_io(&r)
                } else {
                    HttpResponse::text(404, "Not Found")
                };
                let ld = c
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .live_data
                    .clone();
                with_cors(resp, &ld, &r)
            })
        })
    };
    let mut webs = vec![WebService::new(
        REPORTING,
        vec![(REPORTING_PORT, reporting)],
        &ctx.disk,
    )];
    match config.profile {
        LiveDataProfile::V125 => {
            webs.push(WebService::new(
                LIVE_DATA_WEB,
                vec![(LIVE_DATA_WEB_PORT, live(&["/livedata/security"]))],
                &ctx.disk,
            ));
            webs.push(WebService::new(
                LIVE_DATA_SOCKET_IO,
                vec![(LIVE_DATA_SOCKET_IO_PORT, live(&["/security"]))],
                &ctx.disk,
            ));
        }
        LiveDataProfile::V1262 => webs.push(WebService::new(
            WEB_PROXY,
            vec![(443, live(&["/livedata/security", "/security"]))],
            &ctx.disk,
        )),
    }
    let node = CuicNode {
        publisher: config.publisher,
        cors: cors.clone(),
        profile: config.profile,
    };
    let a = Appliance::start(ctx, config.vos, webs, Vec::new(), Box::new(node)).await?;
    a.vos()
        .set_commands(Arc::new(move |w, words| cors_command(&cors, w, words)));
    Ok(a)
}

/// `utils cuic cors …` and `utils live-data cors …` (status, enable,
/// disable, allowed_origin list|add URL1,URL2). Status and list texts are
/// ccelab's (L); an origin that is not `http[s]://host[:port]` is refused.
fn cors_command(cors: &Arc<Mutex<CorsSettings>>, w: &[&str], words: &[String]) -> Option<CliReply> {
    let (which, rest) = match w {
        ["utils", "cuic", "cors", rest @ ..] => ("cuic", rest),
        ["utils", "live-data", "cors", rest @ ..] => ("live-data", rest),
        _ => return None,
    };
    if rest == ["allowed_origin", "delete"] {
        return Some(delete_origin(cors, which == "cuic"));
    }
    let mut all = cors.lock().unwrap_or_else(|e| e.into_inner());
    let list = if which == "cuic" {
        &mut all.cuic
    } else {
        &mut all.live_data
    };
    let out = match rest {
        ["status"] => vec![format!(
            "CORS is {}",
            if list.enabled { "enabled" } else { "disabled" }
        )],
        ["enable"] => {
            list.enabled = true;
            vec!["CORS is enabled".into()]
        }
        ["disable"] => {
            list.enabled = false;
            vec!["CORS is disabled".into()]
        }
        ["allowed_origin", "list"] => list
            .origins
            .iter()
            .enumerate()
            .map(|(i, o)| format!("{}. {o}", i + 1))
            .collect(),
        ["allowed_origin", "add", _] => {
            let given = words.last().cloned().unwrap_or_default();
            let urls: Vec<&str> = given.split(',').collect();
            if let Some(bad) = urls.iter().find(|u| !valid_origin(u)) {
                return Some(CliReply::Lines(vec![
                    format!("Invalid URL: {bad} (format: http[s]://<hostname>[:port])"),
                    crate::platform::vos::cli::FAILED.into(),
                ]));
            }
            for u in urls {
                if list.origins.len() >= MAX_ORIGINS {
                    return Some(CliReply::Lines(vec![
                        format!("At most {MAX_ORIGINS} allowed origins"),
                        crate::platform::vos::cli::FAILED.into(),
                    ]));
                }
                if !list.origins.iter().any(|o| o.eq_ignore_ascii_case(u)) {
                    list.origins.push(u.to_string());
                }
            }
            vec!["Command run successfully".into()]
        }
        _ => return None,
    };
    Some(CliReply::Lines(out))
}

/// `… cors allowed_origin delete`: the numbered list, `a: all`, `q: quit`
/// and `Select the index of origin to be deleted [1-N or a,q]` (the CUIC
/// and Live Data CLI guides, H); the answer deletes one, all, or nothing
/// (what it prints after is ccelab's, L).
fn delete_origin(cors: &Arc<Mutex<CorsSettings>>, cuic: bool) -> CliReply {
    let origins = {
        let all = cors.lock().unwrap_or_else(|e| e.into_inner());
        if cuic {
            all.cuic.origins.clone()
        } else {
            all.live_data.origins.clone()
        }
    };
    if origins.is_empty() {
        return CliReply::Lines(vec!["No allowed origins configured".into()]);
    }
    let mut lines: Vec<String> = origins
        .iter()
        .enumerate()
        .map(|(i, o)| format!("{}. {o}", i + 1))
        .collect();
    lines.push("a: all".into());
    lines.push("q: quit".into());
    let n = origins.len();
    let cors = cors.clone();
    CliReply::Ask {
        lines,
        prompt: format!("Select the index of origin to be deleted [1-{n} or a,q] "),
        answer: Arc::new(move |answer: &str| {
            let mut all = cors.lock().unwrap_or_else(|e| e.into_inner());
            let list = if cuic {
                &mut all.cuic
            } else {
                &mut all.live_data
            };
            match answer.to_ascii_lowercase().as_str() {
                "q" => Vec::new(),
                "a" => {
                    list.origins.clear();
                    vec!["Command run successfully".into()]
                }
                i => match i.parse::<usize>() {
                    Ok(k) if (1..=list.origins.len()).contains(&k) => {
                        list.origins.remove(k - 1);
                        vec!["Command run successfully".into()]
                    }
                    _ => vec![
                        format!("Invalid selection: {answer}"),
                        crate::platform::vos::cli::FAILED.into(),
                    ],
                },
            }
        }),
    }
}

fn valid_origin(u: &str) -> bool {
    let Some(rest) = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"))
    else {
        return false;
    };
    let (host, port) = rest.split_once(':').unwrap_or((rest, ""));
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && (port.is_empty() || port.parse::<u16>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cors_commands() {
        let c = Arc::new(Mutex::new(CorsSettings::default()));
        let run = |line: &str| {
            let words: Vec<String> = line.split_whitespace().map(String::from).collect();
            let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
            let w: Vec<&str> = lower.iter().map(String::as_str).collect();
            match cors_command(&c, &w, &words) {
                Some(CliReply::Lines(l)) => Some(l),
                Some(CliReply::Ask { lines, answer, .. }) => {
                    let mut l = lines;
                    l.extend(answer("1"));
                    Some(l)
                }
                None => None,
            }
        };
        assert_eq!(
            run("utils live-data cors status").unwrap(),
            ["CORS is disabled"]
        );
        run("utils live-data cors enable").unwrap();
        assert!(run("utils live-data cors allowed_origin add https://finessea.example.com,https://finessea.example.com:8445").is_some());
        assert_eq!(
            run("utils live-data cors allowed_origin list").unwrap(),
            [
                "1. https://finessea.example.com",
                "2. https://finessea.example.com:8445"
            ]
        );
        let bad = run("utils live-data cors allowed_origin add finessea.example.com").unwrap();
        assert!(bad[0].starts_with("Invalid URL"));
        let ld = c.lock().unwrap().live_data.clone();
        assert_eq!(
            ld.allow("https://finessea.example.com:8445").as_deref(),
            Some("https://finessea.example.com:8445")
        );
        assert_eq!(ld.allow("https://evil.example.com"), None);
        assert!(run("utils cuic cors status").is_some());
        // delete: the list, then the answer `1` removes the first origin
        let d = run("utils live-data cors allowed_origin delete").unwrap();
        assert_eq!(
            d[..4],
            [
                "1. https://finessea.example.com",
                "2. https://finessea.example.com:8445",
                "a: all",
                "q: quit"
            ]
        );
        assert_eq!(
            run("utils live-data cors allowed_origin list").unwrap(),
            ["1. https://finessea.example.com:8445"]
        );
        assert!(run("show cert list own").is_none());
    }
}

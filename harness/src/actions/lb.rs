//! The load balancer and the web servers behind it ([ECE] HA; F22, F23):
//! a user going through the VIP (`ece-browse`), the runtime API's server
//! states (`lb-server`), and a PFX carried from one web server to another
//! (`pfx-copy`, [ECE] 1).

use super::{ActionError, Outcome};
use crate::lab::Lab;
use crate::topology::Role;
use ccelab_emulators::actors::ece_user::{self, Browse};
use ccelab_emulators::ece::web::RunningWeb;
use ccelab_emulators::lb::RunningLb;
use ccelab_emulators::platform::iis;
use ccelab_emulators::tls::Outcome as TlsOutcome;

/// The most page loads one `ece-browse` makes.
pub(super) const MAX_REQUESTS: u32 = 50;

/// What `ece-browse` is asked.
pub(super) struct BrowseArgs<'a> {
    /// `tls13` (default: a current browser) or `tls12`.
    pub(super) client: Option<&'a str>,
    /// `default` (pa, the default) or `system` (sa).
    pub(super) partition: Option<&'a str>,
    /// Page loads after the login (default 4).
    pub(super) requests: Option<u32>,
    /// One kept-alive connection (default: a new one per request).
    pub(super) keep_alive: Option<bool>,
    /// The host whose name the browser uses (default: ECE's name, the VIP).
    pub(super) via: Option<&'a str>,
}

/// `ece-browse`: an administrator logs in to ECE through ECE's name and
/// loads a page that needs the session, `requests` times: each line says
/// which web server answered and whether the session was known there (a
/// redirect to the login page: F23).
pub(super) async fn browse(lab: &Lab, a: &BrowseArgs<'_>) -> Result<Outcome, ActionError> {
    let tls13 = match a.client.unwrap_or("tls13") {
        "tls13" => true,
        "tls12" => false,
        other => {
            return Err(ActionError::Invalid(format!(
                "client `{other}`: tls13 or tls12"
            )))
        }
    };
    let partition = a.partition.unwrap_or("default");
    let user = match partition {
        "default" => ("pa".to_string(), lab.topo.ece_accounts.pa.clone()),
        "system" => ("sa".to_string(), lab.topo.ece_accounts.sa.clone()),
        other => {
            return Err(ActionError::Invalid(format!(
                "partition `{other}`: default (pa) or system (sa)"
            )))
        }
    };
    let requests = a.requests.unwrap_or(4);
    if !(1..=MAX_REQUESTS).contains(&requests) {
        return Err(ActionError::Invalid(format!(
            "requests = {requests}: between 1 and {MAX_REQUESTS}"
        )));
    }
    let name = match a.via {
        Some(v) => lab
            .topo
            .host(v)
            .ok_or_else(|| ActionError::no_host(lab, v))?
            .fqdn
            .clone(),
        None => lab.topo.ece_fqdn(),
    };
    let host = lab
        .topo
        .host(&name)
        .ok_or_else(|| ActionError::no_host(lab, &name))?;
    let port = lab
        .bound_port(&host.name, 443)
        .ok_or_else(|| ActionError::Invalid(format!("{}: nothing listens on 443", host.name)))?;
    let spec = Browse {
        addr: std::net::SocketAddr::from((host.address, port)),
        name: name.clone(),
        // the administrators' PCs trust the enterprise CA (domain members)
        anchors: vec![lab.topo.root.cert.clone()],
        tls13,
        keep_alive: a.keep_alive.unwrap_or(false),
        partition: partition.to_string(),
        credentials: user.clone(),
        requests: requests as usize,
        timeout: std::time::Duration::from_secs(25),
    };
    // through the load balancer, the servers it chose (its log); else the
    // web server whose TLS listener completed a handshake
    let balancer = (host.role == Role::LoadBalancer)
        .then(|| lab.product::<RunningLb>(&host.name))
        .flatten();
    let mut marks = Vec::new();
    let seen = ece_user::browse(&spec, &mut |_| {
        marks.push((lab.event_mark(), balancer.map(|b| b.routes().mark())))
    })
    .await;
    let server_fqdn = |name: &str| {
        balancer
            .and_then(|b| b.config())
            .and_then(|c| c.servers.into_iter().find(|s| s.name == name))
            .map(|s| s.host)
    };
    let webs: Vec<(std::net::IpAddr, String)> = lab
        .topo
        .hosts
        .iter()
        .filter(|h| h.role == Role::EceWeb)
        .map(|h| (std::net::IpAddr::V4(h.address), h.fqdn.clone()))
        .collect();
    // the web server a request reached: the one whose TLS listener
    // completed a handshake meanwhile (a kept-alive connection: the last one)
    let mut last: Option<String> = None;
    let mut lines = vec![format!(
        "{} through {name}: TLS {}, {}",
        user.0,
        if tls13 { "1.3" } else { "1.2" },
        if spec.keep_alive {
            "one kept-alive connection"
        } else {
            "a new connection per request"
        }
    )];
    let mut session_on: Option<String> = None;
    let mut ok = true;
    for (i, s) in seen.iter().enumerate() {
        let reached = match (marks.get(i), marks.get(i + 1)) {
            (Some((_, Some(from))), Some((_, Some(to)))) => balancer
                .and_then(|b| b.routes().between(*from, *to).into_iter().next_back())
                .and_then(|n| server_fqdn(&n)),
            (Some((from, _)), Some((to, _))) => lab
                .tls_events_between(from, to)
                .into_iter()
                .filter(|e| matches!(e.outcome, TlsOutcome::Completed { .. }))
                .filter_map(|e| webs.iter().find(|(ip, _)| *ip == e.local.ip()))
                .map(|(_, f)| f.clone())
                .next_back(),
            _ => None,
        };
        let reached = reached.or_else(|| last.clone());
        last = reached.clone();
        let on = reached.as_deref().unwrap_or("no web server");
        let conn = s
            .connection
            .as_ref()
            .map(|c| format!(" (new connection, {c})"))
            .unwrap_or_default();
        let what = match &s.result {
            Err(e) => {
                ok = false;
                format!("failed: {e}")
            }
            Ok(200) if i == 0 => {
                session_on = reached.clone();
                let cookies = if s.set_cookies.is_empty() {
                    String::new()
                } else {
                    format!(", cookies set: {}", s.set_cookies.join(", "))
                };
                format!("200, logged in{cookies}")
            }
            Ok(200) => "200, signed in".to_string(),
            Ok(302)
                if s.location
                    .as_deref()
                    .is_some_and(|l| ece_user::is_login_page(l, partition)) =>
            {
                ok = false;
                match &session_on {
                    Some(w) if Some(w) != reached.as_ref() => {
                        format!("302 to the login page: the session lives on {w} (F23)")
                    }
                    _ => "302 to the login page".to_string(),
                }
            }
            Ok(st) => {
                ok = false;
                format!("{st}")
            }
        };
        lines.push(format!("{i}. GET {} → {on}{conn}: {what}", s.path));
    }
    Ok(Outcome {
        ok,
        shows: lines.join("\n"),
        ..Outcome::default()
    })
}

/// The load balancer of the topology.
fn lb(lab: &Lab) -> Result<&RunningLb, ActionError> {
    let h = lab
        .topo
        .hosts
        .iter()
        .find(|h| h.role == Role::LoadBalancer)
        .ok_or_else(|| ActionError::Invalid("this topology has no load balancer ([lb])".into()))?;
    lab.product::<RunningLb>(&h.name)
        .ok_or_else(|| ActionError::Invalid(format!("{}: not running", h.name)))
}

/// `lb-server`: the runtime API's `set server ece_web/NAME state
/// maint|ready` (NAME: HAProxy's server name or the web server's host).
pub(super) fn server_state(lab: &Lab, server: &str, state: &str) -> Result<Outcome, ActionError> {
    let maint = match state {
        "maint" => true,
        "ready" => false,
        other => {
            return Err(ActionError::Invalid(format!(
                "state `{other}`: maint or ready"
            )))
        }
    };
    let balancer = lb(lab)?;
    // a web server's host name or FQDN stands for its server line (`eceweb2`)
    let name = match lab.topo.host(server).filter(|h| h.role == Role::EceWeb) {
        Some(h) => lab
            .topo
            .lb_servers()
            .into_iter()
            .find(|(_, f)| *f == h.fqdn)
            .map_or(server.to_string(), |(n, _)| n),
        None => server.to_string(),
    };
    if !balancer.set_maintenance(&name, maint) {
        let names: Vec<String> = balancer
            .config()
            .map(|c| c.servers.into_iter().map(|s| s.name).collect())
            .unwrap_or_default();
        return Err(ActionError::Invalid(format!(
            "no server `{server}` in backend ece_web (servers: {})",
            names.join(", ")
        )));
    }
    Ok(Outcome::ok(format!(
        "set server ece_web/{name} state {state}"
    )))
}

/// `pfx-copy`: the certificate IIS serves on `from`, exported as a PFX —
/// with its private key, or without it (the key was not marked exportable:
/// F22) — imported into IIS on `to` and bound to its https binding; IIS on
/// `to` restarts ([ECE] 1: "export a PFX with the private key, import it
/// into IIS on the others").
pub(super) async fn pfx_copy(
    lab: &Lab,
    from: &str,
    to: &str,
    private_key: bool,
) -> Result<Outcome, ActionError> {
    // a web server runs here, or in a process of its own (one container
    // per host: the machine carries the file between their disks)
    let web = |n: &str| -> Result<(Option<&RunningWeb>, &crate::topology::Host), ActionError> {
        let h = lab
            .topo
            .host(n)
            .ok_or_else(|| ActionError::no_host(lab, n))?;
        let not_web = || ActionError::Invalid(format!("{}: not an ECE web server", h.name));
        match lab.product::<RunningWeb>(&h.name) {
            Some(w) => Ok((Some(w), h)),
            None if !lab.runs(&h.name) && h.role == Role::EceWeb => Ok((None, h)),
            None => Err(not_web()),
        }
    };
    let (_, from_host) = web(from)?;
    let (target, to_host) = web(to)?;
    let (from_disk, to_disk) = (from_host.disk.clone(), to_host.disk.clone());
    if from_disk.root() == to_disk.root() {
        return Err(ActionError::Invalid(format!(
            "pfx-copy: `{from}` and `{to}` are one web server"
        )));
    }
    let now = lab.topo.clock.now();
    let thumb =
        tokio::task::spawn_blocking(move || iis::copy_pfx(&from_disk, &to_disk, private_key, now))
            .await
            .map_err(|e| ActionError::Invalid(e.to_string()))?
            .map_err(ActionError::Invalid)?;
    let how = if private_key {
        "with its private key"
    } else {
        "without its private key"
    };
    let head = format!(
        "PFX {thumb} exported from {from} {how}, imported on {to}, bound; IIS restarted on {to}"
    );
    let restarted = match target {
        Some(t) => t.restart_site().await.map_err(|e| e.problem),
        None => crate::container::remote::act(to_host, &super::Action::restart(&to_host.name))
            .await
            .map(|_| ())
            .map_err(|e| {
                // the host's error names it first (`eceweb2: …`)
                let e = e.to_string();
                e.strip_prefix(&format!("{}: ", to_host.name))
                    .map_or(e.clone(), str::to_string)
            }),
    };
    Ok(match restarted {
        Ok(()) => Outcome::ok(head),
        Err(problem) => Outcome {
            ok: false,
            shows: format!("{head}\n{problem}"),
            ..Outcome::default()
        },
    })
}

/// `lb-mode`: `haproxy.cfg` written for another mode (the VIP's
/// certificate file too, for offload), then HAProxy reloads. The web
/// servers keep their certificates.
pub(super) async fn set_mode(
    lab: &Lab,
    mode: &str,
    cookie: Option<bool>,
    stick: Option<bool>,
) -> Result<Outcome, ActionError> {
    let mode = ccelab_emulators::lb::LbMode::from_name(mode).ok_or_else(|| {
        ActionError::Invalid(format!("mode `{mode}`: passthrough, offload or none"))
    })?;
    let balancer = lb(lab)?;
    let Some(h) = lab.topo.hosts.iter().find(|h| h.role == Role::LoadBalancer) else {
        return Err(ActionError::Invalid(
            "this topology has no load balancer".into(),
        ));
    };
    let servers = lab.topo.lb_servers();
    let (name, disk, fqdn, address) = (h.name.clone(), h.disk.clone(), h.fqdn.clone(), h.address);
    let cert = lab.topo.ece_web.clone();
    let (cookie, stick) = (cookie.unwrap_or(true), stick.unwrap_or(true));
    let timeout_connect = lab.topo.lb.clone().unwrap_or_default().timeout_connect;
    tokio::task::spawn_blocking(move || {
        let layout = ccelab_emulators::lb::Layout {
            mode,
            vip_fqdn: &fqdn,
            vip_address: address,
            servers: &servers,
            cookie,
            stick,
            timeout_connect,
        };
        let offload = mode == ccelab_emulators::lb::LbMode::Offload;
        ccelab_emulators::lb::write_disk(&name, &disk, &layout, offload.then_some(&cert))
    })
    .await
    .map_err(|e| ActionError::Invalid(e.to_string()))?
    .map_err(|e| ActionError::Invalid(e.to_string()))?;
    use ccelab_emulators::product::Running as _;
    Ok(match balancer.restart().await {
        Ok(()) => Outcome::ok(format!(
            "{}: haproxy.cfg written for mode {}; HAProxy reloaded",
            h.name,
            mode.name()
        )),
        Err(e) => Outcome {
            ok: false,
            shows: format!("{}: the reload failed: {}", h.name, e.problem),
            ..Outcome::default()
        },
    })
}

//! `ccelab slot --address ADDRESS…`: a host's container kept between
//! scenarios (a lab machine re-imaged for each test). It holds one address
//! on each of a scenario pool's networks (its lanes:
//! [`crate::container::pool`]) and runs, on demand, the host of a lab folder
//! that sits at one of them — exactly what `ccelab host` runs — until told
//! to stop it; then the next one. Starting containers costs the Docker
//! daemon far more than a host's start, so a catalog of scenarios reuses one
//! container per address, and the lanes run side by side in it (each lab
//! on its own network, each host alone at its address).
//!
//! Its API, on `ADDRESS:9596` for each address (the host's own control API
//! is on 9595 while it runs), acts on the host at that address, and
//! answers local tools only (no `Origin`; a `Host` that is the address or
//! loopback):
//!
//! | method and path | does |
//! |---|---|
//! | `GET /` | `{"running": HOST or null}` |
//! | `POST /start` `{"dir": DIR, "host": NAME}` | stops what runs, builds DIR's topology, starts NAME (its address must be this one) and its control API |
//! | `POST /stop` | stops the host; 200 once its ports are free again, 503 if they are still taken after 5 s (the pool then replaces the container) |

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use clap::Args;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};

use super::Failure;
use crate::container::{LabSpec, HOST_CONTROL_PORT, SLOT_PORT};

/// The options of `ccelab slot`.
#[derive(Args, Debug)]
pub(crate) struct SlotArgs {
    /// The addresses this container holds, one on each of the pool's networks.
    #[arg(long, required_unless_present = "own_address")]
    address: Vec<std::net::Ipv4Addr>,
    /// The one address Docker gave this container (its hostname's line in
    /// `/etc/hosts`), for a container started by a tool that cannot choose
    /// addresses (testcontainers).
    #[arg(long, conflicts_with = "address")]
    own_address: bool,
}

/// The host running now: its lab, its control API, its name.
struct Running {
    host: String,
    lab: Arc<crate::lab::Lab>,
    _control: crate::control::ControlServer,
}

type State = Arc<tokio::sync::Mutex<Option<Running>>>;

use crate::control::json;

/// Starts host `name` of the lab in `dir` at `address`.
async fn start(dir: PathBuf, name: String, address: std::net::Ipv4Addr) -> Result<Running, String> {
    let (topo, h) = tokio::task::spawn_blocking(move || {
        let spec = LabSpec::read(&dir).map_err(|e| e.to_string())?;
        let topo = spec.build(&dir).map_err(|e| e.to_string())?;
        let h = topo
            .host(&name)
            .cloned()
            .ok_or_else(|| format!("no host `{name}`; the hosts are {}", topo.known_hosts()))?;
        Ok::<_, String>((topo, h))
    })
    .await
    .map_err(|e| e.to_string())??;
    if h.address != address {
        return Err(format!(
            "{} is at {}, not at this slot's {address}",
            h.name, h.address
        ));
    }
    let lab = crate::lab::Lab::start_host(Arc::new(topo), &h.name)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(moved) = super::host::moved_ports(&lab, &h.name) {
        return Err(format!("{}: {moved}", h.name));
    }
    let control =
        crate::control::serve(lab.clone(), SocketAddr::from((address, HOST_CONTROL_PORT)))
            .await
            .map_err(|e| format!("control API {address}:{HOST_CONTROL_PORT}: {e}"))?;
    Ok(Running {
        host: h.name.clone(),
        lab,
        _control: control,
    })
}

/// Stops what runs and waits (up to 5 s) until its ports can be bound
/// again; false if they are still taken then.
async fn stop(state: &State, address: std::net::Ipv4Addr) -> bool {
    let Some(r) = state.lock().await.take() else {
        return true;
    };
    let mut ports: Vec<u16> = r
        .lab
        .ports_of(&r.host)
        .into_iter()
        .map(|(_, b)| b)
        .collect();
    ports.push(HOST_CONTROL_PORT);
    drop(r);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::time::Instant::now() < deadline {
        let free = ports
            .iter()
            .all(|p| std::net::TcpListener::bind(SocketAddr::from((address, *p))).is_ok());
        if free {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    false
}

async fn route(
    (state, address): (State, std::net::Ipv4Addr),
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    if let Some(refused) = crate::control::from_elsewhere(req.headers(), IpAddr::V4(address)) {
        return refused;
    }
    match (req.method().clone(), req.uri().path()) {
        (Method::GET, "/") => {
            let host = state.lock().await.as_ref().map(|r| r.host.clone());
            json(200, serde_json::json!({ "running": host }))
        }
        (Method::POST, "/start") => {
            let limited = http_body_util::Limited::new(req.into_body(), 64 << 10);
            let Ok(body) = limited.collect().await.map(|b| b.to_bytes()) else {
                return json(413, serde_json::json!({"error": "over 64 KiB"}));
            };
            let v: serde_json::Value = match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(e) => return json(400, serde_json::json!({"error": e.to_string()})),
            };
            let (Some(dir), Some(host)) = (v["dir"].as_str(), v["host"].as_str()) else {
                return json(
                    400,
                    serde_json::json!({"error": "send {\"dir\": DIR, \"host\": NAME}"}),
                );
            };
            // a host a previous lab left (its stop never came) goes first
            let _ = stop(&state, address).await;
            let mut running = state.lock().await;
            match start(PathBuf::from(dir), host.to_string(), address).await {
                Ok(r) => {
                    *running = Some(r);
                    json(200, serde_json::json!({"started": host}))
                }
                Err(e) => json(400, serde_json::json!({ "error": e })),
            }
        }
        (Method::POST, "/stop") => {
            if stop(&state, address).await {
                json(200, serde_json::json!({"stopped": true}))
            } else {
                json(
                    503,
                    serde_json::json!({"error": "stopped, but its ports are still taken after 5 s"}),
                )
            }
        }
        _ => json(
            404,
            serde_json::json!({"error": "GET /, POST /start, POST /stop"}),
        ),
    }
}

/// Serves the slot until SIGTERM or SIGINT; Ok(0).
pub(crate) fn run(mut a: SlotArgs) -> Result<i32, Failure> {
    if a.own_address {
        a.address = vec![own_address().map_err(|e| Failure::new("--own-address", e))?];
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new("runtime", e))?;
    rt.block_on(async move {
        let mut lanes = Vec::new();
        for &address in &a.address {
            // this container's own addresses on the pool's networks (asked for: this command)
            ccelab_emulators::net::allow_bind(address.into());
            let state: State = Arc::new(tokio::sync::Mutex::new(None));
            let shared = (state.clone(), address);
            let api = crate::control::serve_bounded(
                SocketAddr::from((address, SLOT_PORT)),
                move || Some(shared.clone()),
                route,
            )
            .await
            .map_err(|e| Failure::new(format!("{address}:{SLOT_PORT}"), e))?;
            lanes.push((address, state, api));
        }
        let names: Vec<String> = a.address.iter().map(|x| x.to_string()).collect();
        out!(
            "ccelab slot {}: ready on port {SLOT_PORT}",
            names.join(", ")
        );
        let why = super::host::stop_signal().await;
        out!("ccelab slot {}: {why}: stopping", names.join(", "));
        for (address, state, _api) in &lanes {
            let _ = stop(state, *address).await;
        }
        Ok::<_, Failure>(0)
    })
}

/// This container's address: its hostname's line in the `/etc/hosts`
/// Docker writes (a non-loopback IPv4 address).
fn own_address() -> Result<std::net::Ipv4Addr, String> {
    let read = |p: &str| {
        ccelab_emulators::host::read_within(
            std::path::Path::new("/etc"),
            std::path::Path::new(p),
            1 << 20,
        )
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| format!("{p}: {e}"))
    };
    let name = read("/etc/hostname")?.trim().to_string();
    read("/etc/hosts")?
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let ip = f.next()?.parse::<std::net::Ipv4Addr>().ok()?;
            (!ip.is_loopback() && f.any(|n| n == name)).then_some(ip)
        })
        .next()
        .ok_or_else(|| format!("no address of `{name}` in /etc/hosts"))
}

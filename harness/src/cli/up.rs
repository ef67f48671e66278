//! `ccelab up`: build a topology, write every host's disk, start the
//! services and the control API, write `DIR/topology.json` (and the name
//! files for real clients), then serve until Ctrl-C.
//!
//! `topology.json` schema (stable): `preset`; `hosts[]` with `name`, `fqdn`,
//! `role` (`ca`, `ece-web`, `ece-app`, `ad-dc`, `ads`, …), `address`, `disk` (absolute path),
//! `services[]` with `name`, `port` (the product's port) and `bound_port`
//! (where it really listens); `accounts[]` — every login and store password
//! of the lab — with `host`, `user`, `password`, `purpose` (the AD accounts,
//! `host` the DC, also `upn`, `down_level` `EXAMPLE\user`, `dn`, `groups`
//! and `enabled`); `ca_certs[]` (absolute PEM paths); `control` (the control API's URL).
//! Beside it: `hosts` (hosts-file lines), `jdk-hosts` (for
//! `-Djdk.net.hosts.file`) and `curl-resolve` (`--resolve` arguments).

use std::path::PathBuf;

use ccelab_emulators::clock::Clock;
use clap::Args;

use super::Failure;
use crate::topology::Topology;

/// The options of `ccelab up`: the topology, where it goes, its ports and how long it runs.
#[derive(Args, Debug)]
pub(crate) struct UpArgs {
    #[command(flatten)]
    given: Given,
    /// Listen on ephemeral ports instead of the products' real ones (443 …).
    #[arg(long)]
    ephemeral_ports: bool,
    /// Stop by itself after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    duration: Option<u64>,
    /// One container per host (`ccelab host` in the image of `ccelab image
    /// build`) on a private Docker network whose aliases are the FQDNs,
    /// each host's disk bind-mounted; removed when this stops.
    #[arg(long, conflicts_with = "ephemeral_ports")]
    containers: bool,
    /// The image the hosts' containers run (with --containers).
    #[arg(long, default_value = crate::container::IMAGE, requires = "containers")]
    image: String,
}

/// Which topology, and where its disks go (`up`, `compose`).
#[derive(Args, Debug)]
pub(crate) struct Given {
    /// The preset: pcce-2000, pcce-4000 or ece-400-ha.
    #[arg(long, default_value = "pcce-2000", conflicts_with = "topology")]
    pub(crate) preset: String,
    /// A TOML topology file overriding a preset (see the README).
    #[arg(long, value_name = "FILE")]
    pub(crate) topology: Option<PathBuf>,
    /// Where the hosts' disks and topology.json go.
    #[arg(long, default_value = "ccelab-lab")]
    pub(crate) dir: PathBuf,
}

/// The two-worker runtime `up` serves on.
fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new("runtime", e))
}

/// The topology file's text and folder (`preset = "…"` and DIR for a bare
/// preset), checked as `ccelab up` checks it.
pub(crate) fn topology_text(
    topology: &Option<PathBuf>,
    preset: &str,
    dir: &std::path::Path,
) -> Result<(String, PathBuf), Failure> {
    match topology {
        Some(file) => {
            let scratch = std::env::temp_dir().join(format!("ccelab-check-{}", std::process::id()));
            // errors at FILE:LINE:COLUMN, as without containers (nothing is written)
            crate::topology_file::load(file, &scratch)
                .map_err(|e| Failure::new(e.location, e.message))?;
            let text = std::fs::read_to_string(file).map_err(|e| Failure::file(file, e))?;
            let abs = std::path::absolute(file).map_err(|e| Failure::file(file, e))?;
            let base = abs
                .parent()
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default();
            Ok((text, base))
        }
        None => {
            if crate::topology::Preset::from_name(preset).is_none() {
                return Err(Failure::new(
                    "--preset",
                    crate::topology::TopologyError::UnknownPreset(preset.into()),
                ));
            }
            Ok((
                format!("preset = {}\n", serde_json::Value::String(preset.into())),
                dir.to_path_buf(),
            ))
        }
    }
}

/// `ccelab up --containers`: the deployment in containers until Ctrl-C,
/// SIGTERM or `--duration`, then everything removed.
fn run_containers(a: UpArgs, dir: PathBuf) -> Result<i32, Failure> {
    let started = std::time::Instant::now();
    let (text, base) = topology_text(&a.given.topology, &a.given.preset, &dir)?;
    let rt = runtime()?;
    // the signals are taken before anything is made: Ctrl-C while the
    // containers start, or during --duration, still removes them
    let stop = std::sync::Arc::new(tokio::sync::Notify::new());
    {
        let stop = stop.clone();
        rt.spawn(async move {
            wait_signal().await;
            stop.notify_one();
        });
    }
    let image = a.image.clone();
    let (d, t, b) = (dir.clone(), text.clone(), base.clone());
    let lab = rt
        .block_on(rt.spawn_blocking(move || {
            crate::container::lab::ContainerLab::start(crate::container::lab::Start {
                topology: &t,
                base_dir: &b,
                dir: &d,
                image: &image,
                address_holders: true,
            })
        }))
        .map_err(|e| Failure::new("start", e))?
        .map_err(|e| Failure::new(dir.display(), e))?;
    let lab = std::sync::Arc::new(lab);
    let served = rt.block_on(async {
        let control = crate::container::control::serve(&lab)
            .await
            .map_err(|e| Failure::new("control API", e))?;
        let url = format!("http://{}", control.local_addr());
        let l = lab.clone();
        let u = url.clone();
        tokio::task::spawn_blocking(move || l.write_client_files(Some(&u)))
            .await
            .map_err(|e| Failure::new("start", e))?
            .map_err(|e| Failure::new(dir.display(), e))?;
        out!(
            "ccelab: {} up in {} ms in containers: {} hosts on network {} ({}) under {}; control API {url}; topology.json written",
            lab.topo.preset,
            started.elapsed().as_millis(),
            lab.containers.len(),
            lab.network,
            lab.spec.subnet,
            dir.display()
        );
        let timer = async {
            match a.duration {
                Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = timer => {}
            _ = stop.notified() => {}
        }
        out!("ccelab: stopping the containers");
        drop(control);
        Ok::<_, Failure>(())
    });
    // removed whatever happened above
    drop(rt);
    drop(lab);
    out!("ccelab: containers and network removed");
    served.map(|()| 0)
}

/// Ctrl-C or SIGTERM.
async fn wait_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// Builds and deploys the topology, then serves until Ctrl-C or `--duration`; Ok(0).
pub(crate) fn run(a: UpArgs) -> Result<i32, Failure> {
    ccelab_emulators::pki::warm_up();
    // nothing is created before the topology is known to be good
    let dir = std::path::absolute(&a.given.dir).map_err(|e| Failure::file(&a.given.dir, e))?;
    if a.containers {
        return run_containers(a, dir);
    }
    let started = std::time::Instant::now();
    let topo = match &a.given.topology {
        Some(file) => crate::topology_file::load(file, &dir)
            .map_err(|e| Failure::new(e.location, e.message))?,
        None => Topology::preset(&a.given.preset, &dir, Clock::system())
            .map_err(|e| Failure::new("--preset", e))?,
    };
    let rt = runtime()?;
    rt.block_on(async {
        let crate::deploy::Deployed { lab, control: control_server } =
            crate::deploy::deploy(topo, &dir, !a.ephemeral_ports)
                .await
                .map_err(|e| Failure::new(dir.display(), e))?;
        let control = control_server.addr;
        out!(
            "ccelab: {} up in {} ms: {} hosts under {}; control API http://{control}; topology.json written",
            lab.topo.preset,
            started.elapsed().as_millis(),
            lab.topo.hosts.len(),
            dir.display()
        );
        match a.duration {
            Some(s) => tokio::time::sleep(std::time::Duration::from_secs(s)).await,
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        out!("ccelab: shutting down");
        Ok::<_, Failure>(0)
    })
}

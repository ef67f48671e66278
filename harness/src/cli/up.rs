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
    /// The preset: pcce-2000, pcce-4000 or ece-400-ha.
    #[arg(long, default_value = "pcce-2000", conflicts_with = "topology")]
    preset: String,
    /// A TOML topology file overriding a preset (see the README).
    #[arg(long, value_name = "FILE")]
    topology: Option<PathBuf>,
    /// Where the hosts' disks and topology.json go.
    #[arg(long, default_value = "ccelab-lab")]
    dir: PathBuf,
    /// Listen on ephemeral ports instead of the products' real ones (443 …).
    #[arg(long)]
    ephemeral_ports: bool,
    /// Stop by itself after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    duration: Option<u64>,
}

/// Builds and deploys the topology, then serves until Ctrl-C or `--duration`; Ok(0).
pub(crate) fn run(a: UpArgs) -> Result<i32, Failure> {
    ccelab_emulators::pki::warm_up();
    // nothing is created before the topology is known to be good
    let dir = std::path::absolute(&a.dir).map_err(|e| Failure::file(&a.dir, e))?;
    let started = std::time::Instant::now();
    let topo = match &a.topology {
        Some(file) => crate::topology_file::load(file, &dir)
            .map_err(|e| Failure::new(e.location, e.message))?,
        None => Topology::preset(&a.preset, &dir, Clock::system())
            .map_err(|e| Failure::new("--preset", e))?,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new("runtime", e))?;
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

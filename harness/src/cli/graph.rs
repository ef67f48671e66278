//! `ccelab graph`: the trust graph of a topology, a topology file or a
//! reproduction (issue 17; [`crate::graph`]).

use std::io::Write as _;
use std::path::PathBuf;

use ccelab_emulators::clock::{parse_time, Clock};
use clap::Args;

use super::Failure;
use crate::graph::render::{render, Format};
use crate::topology::Topology;

/// Draw the deployment's trust graph.
#[derive(Args, Debug)]
#[command(
    long_about = "Draw the deployment's trust graph: its hosts, the certificates each \
presents, the stores each trusts, and every TLS connection a product makes as a client \
(CCE Administration's Java to the ECE web server, to Finesse, IdS and the CVP reporting \
server; ECE's JNDI to the DC; Finesse to IdS and CUIC; CVP's WSM to the principal AW), \
coloured by the verdict of the client's personality with its text on hover.

The deployment is started on ephemeral loopback ports in a temporary folder, each edge is \
probed with a TLS handshake as its client would make it (trusting what the product loaded), \
and everything is removed again. A name no host answers to (a host name instead of the FQDN, \
F10) shows as a dashed box outside the lab.

TARGET: a reproduction folder made by `ccelab reproduce` (its topology.toml), or a \
topology file; without it, --preset.

Exit 0 when every client accepts its server, 1 when some refuse, 2 on bad input."
)]
pub(super) struct GraphArgs {
    /// A reproduction folder (with topology.toml) or a topology file.
    pub(super) target: Option<PathBuf>,
    /// The preset, without TARGET: pcce-2000, pcce-4000 or ece-400-ha.
    #[arg(long, default_value = "pcce-2000", conflicts_with = "target")]
    pub(super) preset: String,
    /// The output format.
    #[arg(long, value_enum, default_value = "html")]
    pub(super) format: Format,
    /// Where it goes (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub(super) out: Option<PathBuf>,
    /// The lab's clock (RFC 3339 or YYYY-MM-DD) for a preset (a topology file has its own `clock`).
    #[arg(long, conflicts_with = "target")]
    pub(super) at: Option<String>,
    /// Only the connections made from this host (name or FQDN; repeatable).
    #[arg(long, value_name = "HOST")]
    pub(super) from: Vec<String>,
    /// Only the connections made to this host (name or FQDN; repeatable).
    #[arg(long, value_name = "HOST")]
    pub(super) to: Vec<String>,
}

/// The topology file TARGET names.
fn topology_file(target: &std::path::Path) -> PathBuf {
    if target.is_dir() {
        target.join("topology.toml")
    } else {
        target.to_path_buf()
    }
}

/// Runs `ccelab graph`.
pub(super) fn run(a: GraphArgs) -> Result<i32, Failure> {
    ccelab_emulators::pki::warm_up();
    let scratch = tempfile::Builder::new()
        .prefix("ccelab-graph-")
        .tempdir()
        .map_err(|e| Failure::new("temporary folder", e))?;
    let dir = scratch.path().to_path_buf();
    let topo = match &a.target {
        Some(t) => {
            let file = topology_file(t);
            if !file.is_file() {
                return Err(Failure::file(
                    t,
                    "neither a topology file nor a folder with topology.toml",
                ));
            }
            crate::topology_file::load(&file, &dir)
                .map_err(|e| Failure::new(e.location, e.message))?
        }
        None => {
            let clock = match &a.at {
                Some(t) => Clock::fixed(
                    parse_time(t, time::OffsetDateTime::now_utc())
                        .map_err(|e| Failure::new("--at", e))?,
                ),
                None => Clock::system(),
            };
            Topology::preset(&a.preset, &dir, clock).map_err(|e| Failure::new("--preset", e))?
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new("runtime", e))?;
    let graph = rt.block_on(async {
        let deployed = crate::deploy::deploy(topo, &dir, false)
            .await
            .map_err(|e| Failure::new(dir.display(), e))?;
        Ok::<_, Failure>(crate::graph::build(&deployed.lab).await)
    })?;
    for (flag, names) in [("--from", &a.from), ("--to", &a.to)] {
        if let Some(n) = graph.unknown(names) {
            let known: Vec<&str> = graph.hosts.iter().map(|h| h.name.as_str()).collect();
            return Err(Failure::new(
                flag,
                format!("no host `{n}` in the graph (hosts: {})", known.join(", ")),
            ));
        }
    }
    let graph = graph.only(&a.from, &a.to);
    drop(rt);
    let text = render(&graph, a.format);
    match &a.out {
        Some(path) => ccelab_emulators::stores::write_atomic(path, text.as_bytes())
            .map_err(|e| Failure::file(path, e))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .map_err(|e| Failure::new("standard output", e))?;
        }
    }
    let refused = graph.refused();
    if a.out.is_some() {
        eprintln!(
            "ccelab: {} hosts, {} connections, {refused} refused by their client",
            graph.hosts.len(),
            graph.edges.len()
        );
    }
    Ok(if refused == 0 { 0 } else { 1 })
}

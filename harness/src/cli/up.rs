//! `ccelab up`: build a topology, write every host's disk, start the
//! services and the control API, write `DIR/topology.json` (and the name
//! files for real clients), then serve until Ctrl-C.
//!
//! `topology.json` schema (stable): `preset`; `hosts[]` with `name`, `fqdn`,
//! `role` (`ca`, `ece-web`, `ads`, …), `address`, `disk` (absolute path),
//! `services[]` with `name`, `port` (the product's port) and `bound_port`
//! (where it really listens); `accounts[]` with `host`, `user`, `password`,
//! `purpose`; `ca_certs[]` (absolute PEM paths); `control` (the control API's URL).
//! Beside it: `hosts` (hosts-file lines), `jdk-hosts` (for
//! `-Djdk.net.hosts.file`) and `curl-resolve` (`--resolve` arguments).

use std::path::PathBuf;
use std::sync::Arc;

use ccelab_emulators::clock::Clock;
use ccelab_emulators::stores::write_atomic;
use clap::Args;

use super::Failure;
use crate::lab::Lab;
use crate::topology::{Role, Topology, CACERTS_PASS};

#[derive(Args, Debug)]
pub struct UpArgs {
    /// The preset: pcce-2000 or pcce-4000.
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

pub fn run(a: UpArgs) -> Result<i32, Failure> {
    ccelab_emulators::pki::warm_up();
    // nothing is created before the topology is known to be good
    let dir = std::path::absolute(&a.dir).map_err(|e| Failure::file(&a.dir, e))?;
    let started = std::time::Instant::now();
    let topo = match &a.topology {
        Some(file) => {
            let text = std::fs::read_to_string(file).map_err(|e| Failure::file(file, e))?;
            let spec = crate::topology_file::parse(file, &text)
                .map_err(|e| Failure::new(e.location, e.message))?;
            spec.build(&dir).map_err(|e| Failure::file(file, e))?
        }
        None => Topology::preset(&a.preset, &dir, Clock::system())
            .map_err(|e| Failure::new("--preset", e))?,
    };
    std::fs::create_dir_all(&dir).map_err(|e| Failure::file(&dir, e))?;
    topo.write_disks().map_err(|e| Failure::file(&dir, e))?;
    let ca_dir = dir.join("ca");
    std::fs::create_dir_all(&ca_dir).map_err(|e| Failure::file(&ca_dir, e))?;
    let ca_certs = [
        ("root.pem", topo.root.cert.to_pem()),
        ("issuing.pem", topo.issuing.cert.to_pem()),
    ];
    for (f, pem) in &ca_certs {
        write_atomic(&ca_dir.join(f), pem.as_bytes())
            .map_err(|e| Failure::file(&ca_dir.join(f), e))?;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new("runtime", e))?;
    rt.block_on(async {
        let lab = Lab::start(Arc::new(topo), !a.ephemeral_ports).await.map_err(|e| Failure::new(dir.display(), e))?;
        let control = crate::control::serve(lab.clone(), "127.0.0.1:0".parse().unwrap_or(([127, 0, 0, 1], 0).into()))
            .await
            .map_err(|e| Failure::new("control API", e))?;
        let mut hosts_lines = String::new();
        let mut jdk_hosts = String::new();
        let mut resolve = Vec::new();
        let mut hosts = Vec::new();
        for h in &lab.topo.hosts {
            hosts_lines.push_str(&format!("{} {} {}\n", h.address, h.fqdn, h.short()));
            jdk_hosts.push_str(&format!("{} {} {}\n", h.address, h.fqdn, h.short()));
            let services = match h.role {
                Role::EceWeb => {
                    let bound = lab.bound_port(&h.name, 443);
                    if let Some(b) = bound {
                        resolve.push(format!("--resolve {}:{b}:{}", h.fqdn, h.address));
                    }
                    vec![serde_json::json!({"name": "W3SVC", "port": 443, "bound_port": bound})]
                }
                Role::Ads => vec![serde_json::json!({"name": "Apache Tomcat", "port": 443, "bound_port": null})],
                Role::Ca => vec![],
            };
            hosts.push(serde_json::json!({
                "name": h.name, "fqdn": h.fqdn, "role": h.role, "address": h.address.to_string(),
                "disk": h.disk.root().display().to_string(), "services": services,
            }));
        }
        let doc = serde_json::json!({
            "preset": lab.topo.preset,
            "hosts": hosts,
            "accounts": [
                {"host": "ece", "user": "pa", "password": "Password1", "purpose": "ECE business partition administrator (inventory credentials, [ECE] 4.3)"},
                {"host": "ece", "user": "sa", "password": "Password1", "purpose": "ECE system partition administrator"},
                {"host": "ads-a", "user": "cacerts", "password": CACERTS_PASS, "purpose": "Java cacerts store password"},
                {"host": "ads-b", "user": "cacerts", "password": CACERTS_PASS, "purpose": "Java cacerts store password"},
            ],
            "ca_certs": ca_certs.iter().map(|(f, _)| ca_dir.join(f).display().to_string()).collect::<Vec<_>>(),
            "control": format!("http://{control}"),
        });
        for (name, text) in [
            ("hosts", hosts_lines),
            ("jdk-hosts", jdk_hosts),
            ("curl-resolve", resolve.join(" ") + "\n"),
            ("topology.json", serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"),
        ] {
            write_atomic(&dir.join(name), text.as_bytes()).map_err(|e| Failure::file(&dir.join(name), e))?;
        }
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

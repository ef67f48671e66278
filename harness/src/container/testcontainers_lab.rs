//! The testcontainers back end of [`Lab::builder()`](crate::lab::Lab::builder):
//! the deployment in containers started through the `testcontainers` crate
//! (the form a user's own `cargo test` takes), torn down when dropped.
//!
//! ```no_run
//! use ccelab::actions::Action;
//! use ccelab::lab::Lab;
//!
//! # async fn t() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let lab = Lab::builder().ads_trust([]).start_in_containers(dir.path(), "ccelab:local").await?;
//! let opened = lab.apply(&Action::open_gadget("ads-a")).await;
//! assert!(opened.logged[0].contains("PKIX path building failed"));
//! # Ok(()) }
//! ```
//!
//! Each host that runs a product is one container of the image (`ccelab
//! image build`) on a network of the lab's own, running `ccelab slot
//! --own-address`: testcontainers cannot choose addresses, so each
//! container says which one Docker gave it, the topology is placed there,
//! and each host is started in its container from the lab folder
//! (bind-mounted at the same path). Actions go where
//! [`crate::actions::Place`] says ([`super::remote::apply`]), as the
//! scenario runner sends them.
//!
//! Dropping it removes the containers (testcontainers' own drop, which needs
//! the tokio runtime: drop it inside one) and the network (testcontainers
//! removes a network it made with its last container).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use testcontainers::core::{Mount, WaitFor};
use testcontainers::runners::AsyncRunner as _;
use testcontainers::{ContainerAsync, GenericImage, ImageExt as _};

use super::{LabSpec, LABEL_LAB, LABEL_PID, SLOT_PORT};
use crate::actions::{Action, Outcome};
use crate::deploy::DeployError;
use crate::lab::Lab;
use crate::topology::Topology;

/// A deployment whose hosts run in containers started by testcontainers.
pub struct ContainersDeployed {
    /// The machine's view of it ([`Lab::remote`]): the topology, its disks
    /// and names, where each host listens.
    pub lab: Arc<Lab>,
    /// Host name → its control API (`http://ADDRESS:9595`).
    pub controls: BTreeMap<String, String>,
    /// The deployment's control API on loopback (`topology.json`'s `control`).
    pub control: SocketAddr,
    _control: ccelab_emulators::net::Acceptor,
    /// Host name → its container (removed when dropped).
    pub containers: BTreeMap<String, ContainerAsync<GenericImage>>,
}

impl ContainersDeployed {
    /// Does an action where it is done in containers (its outcome, the
    /// logs that tell why it failed, the hosts' TLS and LDAP events).
    pub async fn apply(&self, action: &Action) -> Outcome {
        super::remote::apply(&self.lab, &self.lab.topo, &self.controls, action).await
    }

    /// Where a host's product port listens (its container's address, the real port).
    pub fn endpoint(&self, host: &str, port: u16) -> Option<SocketAddr> {
        let h = self.lab.topo.host(host)?;
        Some(SocketAddr::from((h.address, port)))
    }
}

fn deploy_err(e: impl std::fmt::Display) -> DeployError {
    DeployError::File {
        path: std::path::PathBuf::from("containers"),
        source: std::io::Error::other(e.to_string()),
    }
}

/// Starts the topology `text` (from `base_dir`) under `dir` in containers
/// of `image` (`name:tag`).
pub(crate) async fn start(
    text: String,
    base_dir: &Path,
    dir: &Path,
    image: &str,
) -> Result<ContainersDeployed, DeployError> {
    // the lab folder made and both folders made absolute, off the async workers
    let (d, b) = (dir.to_path_buf(), base_dir.to_path_buf());
    let (dir, base_dir, base_is_dir) = tokio::task::spawn_blocking(move || {
        let io = |e: std::io::Error| DeployError::File {
            path: d.clone(),
            source: e,
        };
        std::fs::create_dir_all(&d).map_err(io)?;
        let dir = std::path::absolute(&d).map_err(io)?;
        // a builder's topology names no file: its folder is the lab's
        let base = if b.as_os_str().is_empty() {
            dir.clone()
        } else {
            std::path::absolute(&b).map_err(io)?
        };
        let is_dir = base.is_dir();
        Ok::<_, DeployError>((dir, base, is_dir))
    })
    .await
    .map_err(deploy_err)??;
    let (name, tag) = image.rsplit_once(':').unwrap_or((image, "latest"));
    // the hosts, as the topology lists them (built once more after placing)
    let (t, b, d) = (text.clone(), base_dir.clone(), dir.clone());
    let (_, first) =
        tokio::task::spawn_blocking(move || LabSpec::placed(&t, &b, &d, "", &|_| None))
            .await
            .map_err(deploy_err)?
            .map_err(deploy_err)?;
    let id = format!("{}-t{:04x}", std::process::id(), rand::random::<u16>());
    let network = format!("ccelab-{id}");
    let hosts: Vec<String> = first
        .hosts
        .iter()
        .filter(|h| super::runs_product(h.role))
        .map(|h| h.name.clone())
        .collect();
    let mut containers = BTreeMap::new();
    let mut addresses: BTreeMap<String, Ipv4Addr> = BTreeMap::new();
    // started one after another: a failure drops (removes) those made
    for h in &hosts {
        let mut req = GenericImage::new(name, tag)
            .with_wait_for(WaitFor::message_on_stdout("ready on port"))
            .with_cmd(["slot", "--own-address"])
            .with_network(network.clone())
            .with_label(LABEL_LAB, id.clone())
            .with_label(LABEL_PID, super::docker::owner())
            .with_user(super::lab::caller_ids())
            .with_startup_timeout(super::lab::START_TIMEOUT)
            .with_mount(Mount::bind_mount(
                dir.display().to_string(),
                dir.display().to_string(),
            ));
        if base_is_dir && base_dir != Path::new("/") && !dir.starts_with(&base_dir) {
            req = req.with_mount(
                Mount::bind_mount(
                    base_dir.display().to_string(),
                    base_dir.display().to_string(),
                )
                .with_access_mode(testcontainers::core::AccessMode::ReadOnly),
            );
        }
        let c = req.start().await.map_err(deploy_err)?;
        let ip = match c.get_bridge_ip_address().await.map_err(deploy_err)? {
            std::net::IpAddr::V4(v4) => v4,
            other => return Err(deploy_err(format!("{h}: an IPv6 address {other}"))),
        };
        addresses.insert(h.clone(), ip);
        containers.insert(h.clone(), c);
    }
    // the topology at those addresses, its disks and spec, each host started
    let (t, b, d, a) = (text, base_dir, dir.clone(), addresses.clone());
    let topo: Topology = tokio::task::spawn_blocking(move || {
        let (spec, topo) = LabSpec::placed(&t, &b, &d, "docker", &|h| a.get(&h.name).copied())
            .map_err(deploy_err)?;
        topo.write_disks().map_err(DeployError::Disk)?;
        spec.write(&d).map_err(deploy_err)?;
        Ok::<_, DeployError>(topo)
    })
    .await
    .map_err(deploy_err)??;
    let topo = Arc::new(topo);
    let controls: BTreeMap<String, String> = topo
        .hosts
        .iter()
        .filter(|h| containers.contains_key(&h.name))
        .map(|h| (h.name.clone(), super::remote::control_of(h)))
        .collect();
    for h in &hosts {
        let ip = addresses[h];
        let api = format!("http://{}", SocketAddr::from((ip, SLOT_PORT)));
        let body = serde_json::json!({"dir": dir, "host": h}).to_string();
        let answer = tokio::task::spawn_blocking(move || {
            crate::control::request(&api, "POST", "/start", &body)
        })
        .await
        .map_err(deploy_err)?;
        match answer {
            Ok((200, _)) => {}
            Ok((_, b)) => return Err(deploy_err(format!("{h}: {b}"))),
            Err(e) => return Err(deploy_err(format!("{h}: {e}"))),
        }
    }
    let machine = Lab::remote(topo.clone()).await?;
    super::remote::note_ports(&machine, &controls).await;
    let acceptor = super::control::serve_hosts(&topo, &controls)
        .await
        .map_err(DeployError::Control)?;
    let control = acceptor.local_addr();
    let (t, d, c) = (topo.clone(), dir.clone(), controls.clone());
    tokio::task::spawn_blocking(move || {
        super::lab::client_files(&t, &d, &c, Some(&format!("http://{control}")))
    })
    .await
    .map_err(deploy_err)?
    .map_err(deploy_err)?;
    Ok(ContainersDeployed {
        lab: machine,
        controls,
        control,
        _control: acceptor,
        containers,
    })
}

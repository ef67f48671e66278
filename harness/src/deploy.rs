//! The one start-up path of a topology, shared by `ccelab up` and the
//! scenario runner: every host's disk written (off the async workers), every
//! product started from its disk, the control API served on loopback, and
//! `topology.json`, `hosts`, `jdk-hosts`, `curl-resolve` written.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::control::ControlServer;
use crate::lab::{Lab, LabError};
use crate::topology::{Topology, TopologyError};

/// A started topology. Dropping it stops the control API; the products stop
/// when the last owner of the lab lets go.
pub struct Deployed {
    /// The running products.
    pub lab: Arc<Lab>,
    /// The control API.
    pub control: ControlServer,
}

/// Why a topology did not start.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A file of the lab directory could not be written.
    #[error("{}: {source}", path.display())]
    File {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A host's disk could not be written.
    #[error(transparent)]
    Disk(#[from] TopologyError),
    /// A product did not start.
    #[error(transparent)]
    Lab(#[from] LabError),
    /// The control API's port could not be bound.
    #[error("control API: {0}")]
    Control(std::io::Error),
}

/// Writes `topo`'s disks under `dir` and starts it: real product ports
/// (443, 389…) where `real_ports` and they can be bound, else ephemeral ones.
pub async fn deploy(topo: Topology, dir: &Path, real_ports: bool) -> Result<Deployed, DeployError> {
    let owned = dir.to_path_buf();
    let topo = tokio::task::spawn_blocking(move || -> Result<Topology, DeployError> {
        std::fs::create_dir_all(&owned).map_err(|source| DeployError::File {
            path: owned.clone(),
            source,
        })?;
        topo.write_disks()?;
        Ok(topo)
    })
    .await
    .map_err(|e| DeployError::File {
        path: dir.to_path_buf(),
        source: std::io::Error::other(e),
    })??;
    let lab = Lab::start(Arc::new(topo), real_ports).await?;
    let control = crate::control::serve(lab.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(DeployError::Control)?;
    let (l, d, addr) = (lab.clone(), dir.to_path_buf(), control.addr);
    tokio::task::spawn_blocking(move || crate::lab::files::write_topology_files(&l, &d, addr))
        .await
        .map_err(|e| DeployError::File {
            path: dir.to_path_buf(),
            source: std::io::Error::other(e),
        })?
        .map_err(|(path, source)| DeployError::File { path, source })?;
    Ok(Deployed { lab, control })
}

//! One container per host: the lab's hosts as Docker containers on a
//! private network whose aliases are the FQDNs (`ccelab up --containers`,
//! `ccelab compose`), each running `ccelab host` from its bind-mounted disk.
//!
//! - [`LabSpec`] (`DIR/containers.toml`) is what every host needs to know of
//!   the deployment: the topology file's text, the instant its certificates
//!   were minted from, and each host's address on the containers' network.
//!   `ccelab host` builds the same [`Topology`] from it (the key pool and the
//!   certificates are deterministic) and starts its one product, which reads
//!   its disk as in one process.
//! - [`docker`] drives the Docker CLI (no registry: the image is built here,
//!   FROM scratch, by [`image`]).
//! - [`lab::ContainerLab`] starts a deployment in containers and removes
//!   everything it made when dropped.
//! - [`compose`] writes the same layout as a `docker-compose.yml`.
//! - [`remote`] asks a host's process for an action or an answer; where an
//!   action is done is [`crate::actions::Place`]; a scenario's steps go
//!   through both (`ccelab scenario run --containers`).
//!
//! Addresses: each host keeps the last byte of its loopback address
//! (127.0.0.11 → 10.77.N.11) on a /24 of its own, so the mapping is plain.

pub mod compose;
pub mod control;
pub mod docker;
pub mod image;
pub mod lab;
pub mod pool;
pub mod remote;
pub mod testcontainers_lab;

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use ccelab_emulators::clock::Clock;
use serde::{Deserialize, Serialize};

use crate::topology::{Role, Topology, TopologyError};

/// The spec file every container reads, beside the disks.
pub const SPEC_FILE: &str = "containers.toml";

/// The port of a host's own control API in its container (ccelab's choice:
/// no product of the topology uses it).
pub const HOST_CONTROL_PORT: u16 = 9595;

/// The port of a pool's slot API (`ccelab slot`, [`pool`]).
pub const SLOT_PORT: u16 = 9596;

/// The image `ccelab image build` tags and the containers run.
pub const IMAGE: &str = "ccelab:local";

/// The label on every container and network ccelab makes; its value is the lab's id.
pub const LABEL_LAB: &str = "ccelab.lab";

/// The label holding the process that made a container or network
/// ([`docker::owner`]: a later run on the same machine removes what a
/// killed process left, [`docker::reap`]).
pub const LABEL_PID: &str = "ccelab.pid";

/// How the topology clock runs in every host.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClockRuns {
    /// The machine's clock (certificates were minted at `minted_at`).
    System,
    /// Fixed at `minted_at`, moved only when told.
    Fixed,
}

/// What every host of a containerised deployment is told (`DIR/containers.toml`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabSpec {
    /// The topology file's text (`preset = "pcce-2000"` for a bare preset).
    pub topology: String,
    /// The folder the topology file was in (an LDIF it names is read there).
    pub base_dir: PathBuf,
    /// The instant the certificates were minted from (RFC 3339).
    pub minted_at: String,
    /// How the clock runs from then on.
    pub clock: ClockRuns,
    /// The subnet of the containers' network (`10.77.3.0/24`).
    pub subnet: String,
    /// Each host's address on that network, by host name.
    pub addresses: BTreeMap<String, Ipv4Addr>,
}

/// Why a lab spec could not be read or used.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("{}: {problem}", path.display())]
    File {
        /// The spec file.
        path: PathBuf,
        /// What went wrong.
        problem: String,
    },
    /// The topology it holds does not build.
    #[error("{0}")]
    Topology(#[from] TopologyError),
}

impl LabSpec {
    /// The spec of `topology_text` (from `base_dir`) minted now or at its
    /// fixed clock, every host on `subnet` (`a.b.c`) with its loopback
    /// address's last byte; also the topology, built as the hosts will build it.
    pub fn new(
        topology_text: &str,
        base_dir: &Path,
        subnet: [u8; 3],
        dir: &Path,
    ) -> Result<(LabSpec, Topology), SpecError> {
        Self::placed(
            topology_text,
            base_dir,
            dir,
            &format!("{}.{}.{}.0/24", subnet[0], subnet[1], subnet[2]),
            &|h| {
                let last = h.address.octets()[3];
                Some(Ipv4Addr::new(subnet[0], subnet[1], subnet[2], last))
            },
        )
    }

    /// The spec of `topology_text` (from `base_dir`) minted now or at its
    /// fixed clock, each host at the address `place` gives it (None: its
    /// loopback one; a host that runs no product), on the network `subnet`.
    pub fn placed(
        topology_text: &str,
        base_dir: &Path,
        dir: &Path,
        subnet: &str,
        place: &dyn Fn(&crate::topology::Host) -> Option<Ipv4Addr>,
    ) -> Result<(LabSpec, Topology), SpecError> {
        let file = crate::topology_file::parse(&base_dir.join("topology.toml"), topology_text)
            .map_err(|e| SpecError::File {
                path: base_dir.to_path_buf(),
                problem: e.to_string(),
            })?;
        let now = Clock::system().now();
        let (minted_at, clock) = match &file.clock {
            Some(t) => (
                ccelab_emulators::clock::parse_time(t, now)
                    .map_err(TopologyError::Invalid)?
                    .replace_nanosecond(0)
                    .unwrap_or(now),
                ClockRuns::Fixed,
            ),
            None => (now, ClockRuns::System),
        };
        let rfc = |t: time::OffsetDateTime| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        let mut spec = LabSpec {
            topology: topology_text.to_string(),
            base_dir: base_dir.to_path_buf(),
            minted_at: rfc(minted_at),
            clock,
            subnet: subnet.to_string(),
            addresses: BTreeMap::new(),
        };
        // built once: the addresses are placed after the build, here as in every host
        let mut topo = spec.build(dir)?;
        spec.addresses = topo
            .hosts
            .iter()
            .filter_map(|h| Some((h.name.clone(), place(h)?)))
            .collect();
        spec.place(&mut topo);
        Ok((spec, topo))
    }

    /// Reads `DIR/containers.toml`.
    pub fn read(dir: &Path) -> Result<LabSpec, SpecError> {
        let path = dir.join(SPEC_FILE);
        let bytes =
            ccelab_emulators::host::read_within(dir, &path, ccelab_emulators::host::MAX_READ)
                .map_err(|e| SpecError::File {
                    path: path.clone(),
                    problem: e.to_string(),
                })?;
        let text = String::from_utf8(bytes).map_err(|e| SpecError::File {
            path: path.clone(),
            problem: e.to_string(),
        })?;
        toml::from_str(&text).map_err(|e| SpecError::File {
            path,
            problem: e.message().trim().to_string(),
        })
    }

    /// Writes `DIR/containers.toml` (atomically).
    pub fn write(&self, dir: &Path) -> Result<(), SpecError> {
        let path = dir.join(SPEC_FILE);
        let text = toml::to_string(self).map_err(|e| SpecError::File {
            path: path.clone(),
            problem: e.to_string(),
        })?;
        ccelab_emulators::stores::write_atomic(&path, text.as_bytes()).map_err(|e| {
            SpecError::File {
                path,
                problem: e.to_string(),
            }
        })
    }

    /// The topology under `dir`, exactly as every host builds it: the same
    /// certificates (minted at `minted_at` from the key pool), each host at
    /// its container address, the clock running as the deployment's does.
    pub fn build(&self, dir: &Path) -> Result<Topology, SpecError> {
        let mut file =
            crate::topology_file::parse(&self.base_dir.join("topology.toml"), &self.topology)
                .map_err(|e| SpecError::File {
                    path: self.base_dir.clone(),
                    problem: e.to_string(),
                })?;
        file.base_dir = self.base_dir.clone();
        file.clock = Some(self.minted_at.clone());
        let mut topo = file.build(dir)?;
        self.place(&mut topo);
        if self.clock == ClockRuns::System {
            topo.clock = Clock::system();
        }
        Ok(topo)
    }

    /// Puts every host at its address on the containers' network (after
    /// the build: the certificates do not depend on it).
    fn place(&self, topo: &mut Topology) {
        for h in &mut topo.hosts {
            if let Some(a) = self.addresses.get(&h.name) {
                h.address = *a;
            }
        }
    }
}

/// True when a host of `role` runs a product (a container of its own); the
/// Microsoft CA is only its certificates.
pub fn runs_product(role: Role) -> bool {
    role != Role::Ca
}

/// A role as `topology.json` names it (`ece-web`, `ad-dc`).
pub fn role_name(role: Role) -> String {
    serde_json::to_value(role)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

//! The one start-up path of a topology, shared by `ccelab up`, the scenario
//! runner and Rust tests: every host's disk written (off the async workers),
//! every product started from its disk, the control API served on loopback,
//! and `topology.json`, `hosts`, `jdk-hosts`, `curl-resolve` written.
//!
//! From a Rust test, the builder reads like the sentence a tester would say:
//! "a PCCE 2000-agent deployment whose ADSs trust nothing yet: the ECE gadget
//! does not open, and the catalina log says PKIX".
//!
//! ```
//! use ccelab::actions::Action;
//! use ccelab::lab::Lab;
//! use ccelab::topology::Preset;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let rt = tokio::runtime::Runtime::new()?;
//! # rt.block_on(async {
//! let dir = tempfile::tempdir()?;
//! let lab = Lab::builder()
//!     .preset(Preset::Pcce2000)
//!     .ads_trust([])
//!     .start(dir.path())
//!     .await?;
//! let opened = lab.apply(Action::open_gadget("ads-a")).await?;
//! assert!(!opened.ok);
//! assert_eq!(opened.shows, "There was an error loading the page. Contact your administrator.");
//! assert!(opened.logged[0].contains("PKIX path building failed"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::actions::{Action, ActionError, Outcome};
use crate::control::ControlServer;
use crate::lab::{Lab, LabError};
use crate::topology::{Preset, Topology, TopologyError};
use crate::topology_file::{IssuerSpec, TopologyFile, TrustItem};

/// A started topology. Dropping it stops the control API; the products stop
/// when the last owner of the lab lets go.
pub struct Deployed {
    /// The running products.
    pub lab: Arc<Lab>,
    /// The control API.
    pub control: ControlServer,
}

impl Deployed {
    /// Does `action` on the running topology (as a scenario step or `ccelab ctl` does).
    pub async fn apply(&self, action: Action) -> Result<Outcome, ActionError> {
        action.apply(&self.lab).await
    }
}

impl std::ops::Deref for Deployed {
    type Target = Lab;
    fn deref(&self) -> &Lab {
        &self.lab
    }
}

/// A topology to start: a preset with changes, as a topology file gives them.
#[derive(Clone, Debug, Default)]
pub struct LabBuilder {
    given: TopologyFile,
    /// The same as a topology file's text (what each host of a deployment
    /// in containers is told); None for one built from a parsed file.
    text: Option<toml::Table>,
}

impl Lab {
    /// A topology to start from Rust ([`LabBuilder::start`]).
    pub fn builder() -> LabBuilder {
        LabBuilder {
            given: TopologyFile::default(),
            text: Some(toml::Table::new()),
        }
    }
}

impl LabBuilder {
    /// The topology a topology file describes (a scenario's `given`).
    pub fn topology(given: TopologyFile) -> LabBuilder {
        LabBuilder { given, text: None }
    }

    /// `text` as a topology file read in `base_dir` (also for containers).
    pub fn topology_text(text: &str, base_dir: &Path) -> Result<LabBuilder, TopologyError> {
        let mut given = crate::topology_file::parse(&base_dir.join("topology.toml"), text)
            .map_err(|e| TopologyError::Invalid(e.to_string()))?;
        given.base_dir = base_dir.to_path_buf();
        let table = toml::from_str(text).map_err(|e| TopologyError::Invalid(e.to_string()))?;
        Ok(LabBuilder {
            given,
            text: Some(table),
        })
    }

    /// Sets `path` (`["ads", "cacerts"]`) of the text form.
    fn set(&mut self, path: &[&str], v: toml::Value) {
        let Some(mut t) = self.text.as_mut() else {
            return;
        };
        let (last, tables) = path.split_last().unwrap_or((&"", &[]));
        for k in tables {
            let entry = t
                .entry(k.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if !entry.is_table() {
                *entry = toml::Value::Table(toml::Table::new());
            }
            let Some(next) = entry.as_table_mut() else {
                return;
            };
            t = next;
        }
        t.insert(last.to_string(), v);
    }

    /// The deployment size ([`Preset::Pcce2000`] unless said).
    pub fn preset(mut self, p: Preset) -> Self {
        self.given.preset = Some(p.name().to_string());
        self.set(&["preset"], toml::Value::String(p.name().to_string()));
        self
    }

    /// What every ADS's `cacerts` trusts ([ECE] 4.1; `[]`: nothing of the
    /// topology's, F1).
    pub fn ads_trust(mut self, trusted: impl IntoIterator<Item = TrustItem>) -> Self {
        let items: Vec<TrustItem> = trusted.into_iter().collect();
        let names = items
            .iter()
            .map(|t| {
                toml::Value::String(
                    match t {
                        TrustItem::Root => "root",
                        TrustItem::Issuing => "issuing",
                        TrustItem::EceWeb => "ece-web",
                        TrustItem::Finesse => "finesse",
                        TrustItem::Ids => "ids",
                        TrustItem::Cvp => "cvp",
                    }
                    .into(),
                )
            })
            .collect();
        self.set(&["ads", "cacerts"], toml::Value::Array(names));
        self.given.ads.get_or_insert_with(Default::default).cacerts = Some(items);
        self
    }

    /// A self-signed ECE web certificate (the self-signed route of [ECE] 1.1 and 4.1).
    pub fn self_signed_web_certificate(mut self) -> Self {
        let web = self.given.ece_web.get_or_insert_with(Default::default);
        web.certificate.get_or_insert_with(Default::default).issuer = Some(IssuerSpec::SelfSigned);
        self.set(
            &["ece_web", "certificate", "issuer"],
            toml::Value::String("self".into()),
        );
        self
    }

    /// The topology clock: fixed at this time (RFC 3339). By default it is
    /// fixed at the start of the current UTC day, so that certificates
    /// minted from it are valid for real clients and the clock can be advanced.
    pub fn clock(mut self, rfc3339: &str) -> Self {
        self.given.clock = Some(rfc3339.to_string());
        self.set(&["clock"], toml::Value::String(rfc3339.to_string()));
        self
    }

    /// Builds the topology under `dir` and starts it one container per host
    /// of `image` (`ccelab:local`, built by `ccelab image build`) through
    /// testcontainers ([`crate::container::testcontainers_lab`]): real
    /// ports, each host at the address Docker gave its container. Dropping
    /// the result (inside the tokio runtime) removes the containers.
    pub async fn start_in_containers(
        self,
        dir: &Path,
        image: &str,
    ) -> Result<crate::container::testcontainers_lab::ContainersDeployed, DeployError> {
        let Some(mut table) = self.text else {
            return Err(DeployError::Disk(TopologyError::Invalid(
                "a builder made from a parsed topology file cannot go to containers: use LabBuilder::topology_text".into(),
            )));
        };
        if !table.contains_key("clock") {
            let today = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT);
            if let Ok(t) = today.format(&time::format_description::well_known::Rfc3339) {
                table.insert("clock".into(), toml::Value::String(t));
            }
        }
        let text = toml::to_string(&table)
            .map_err(|e| DeployError::Disk(TopologyError::Invalid(e.to_string())))?;
        crate::container::testcontainers_lab::start(text, &self.given.base_dir, dir, image).await
    }

    /// Builds the topology under `dir` and starts it on ephemeral ports.
    pub async fn start(self, dir: &Path) -> Result<Deployed, DeployError> {
        let mut given = self.given;
        if given.clock.is_none() {
            let today = time::OffsetDateTime::now_utc().replace_time(time::Time::MIDNIGHT);
            given.clock = today
                .format(&time::format_description::well_known::Rfc3339)
                .ok();
        }
        // key pool, certificates, the LDIF file: off the async workers
        let owned = dir.to_path_buf();
        let topo = tokio::task::spawn_blocking(move || given.build(&owned))
            .await
            .map_err(|e| DeployError::File {
                path: dir.to_path_buf(),
                source: std::io::Error::other(e),
            })??;
        deploy(topo, dir, false).await
    }
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

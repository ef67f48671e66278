//! A deployment in containers: one per host that runs a product, on a
//! private bridge network of its own (a /24 whose addresses keep the last
//! byte of each host's loopback address), with the FQDN and the short name
//! as network aliases and each host's disk bind-mounted at the same path.
//! The machine reaches the containers' addresses directly, so `DIR/hosts`,
//! `ccelab exec` and every real client work as with one process.
//!
//! Nothing is left behind: [`ContainerLab`] removes its containers and its
//! network when dropped (also while a failing test unwinds), a start that
//! fails half-way removes what it made, and every container and network is
//! labelled with the process that made it, so that one killed before it
//! could clean up is removed by the next start ([`super::docker::reap`]).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::docker::{self, docker, DockerError};
use super::{LabSpec, SpecError, HOST_CONTROL_PORT, LABEL_LAB, LABEL_PID};
use crate::topology::{Topology, TopologyError};

/// Why a deployment in containers did not start.
#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    /// Docker refused or is not there.
    #[error(transparent)]
    Docker(#[from] DockerError),
    /// The image is not built.
    #[error("no image `{0}`: build it with `ccelab image build` (see the README)")]
    NoImage(String),
    /// The topology did not build.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A disk could not be written.
    #[error(transparent)]
    Topology(#[from] TopologyError),
    /// A file of the lab folder could not be written.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// No free /24 for the network.
    #[error("no free subnet for the lab's network: {0}")]
    NoSubnet(String),
    /// A host's container stopped or did not answer while starting.
    #[error("host `{host}` did not start ({state}); its last lines:\n{logs}")]
    HostDown {
        /// The host.
        host: String,
        /// The container's state.
        state: String,
        /// What it printed last.
        logs: String,
    },
}

/// How long a lab's containers may take to answer (each `ccelab host`
/// starts in well under a second; a loaded CI machine is slower).
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A deployment whose hosts run in containers; dropping it removes them
/// and their network.
pub struct ContainerLab {
    /// The lab's id (in its containers', network's and labels' names).
    pub id: String,
    /// The lab folder (`containers.toml`, `topology.json`, the disks).
    pub dir: PathBuf,
    /// The topology, with the containers' addresses.
    pub topo: Arc<Topology>,
    /// What every host was told.
    pub spec: LabSpec,
    /// The network's name.
    pub network: String,
    /// Container name by host name (every host that runs a product).
    pub containers: BTreeMap<String, String>,
    /// The containers that hold each host's address (`ccelab pause`).
    pub holders: Vec<String>,
}

/// What to start.
pub struct Start<'a> {
    /// The topology file's text (`preset = "pcce-2000"`).
    pub topology: &'a str,
    /// Where the topology file was (an LDIF it names is read there).
    pub base_dir: &'a Path,
    /// The lab folder.
    pub dir: &'a Path,
    /// The image the hosts run.
    pub image: &'a str,
    /// Each host's address held by a container of its own (`ccelab
    /// pause`), so that a killed product leaves its machine answering
    /// (refused connections, as a crashed service's). Without it (a
    /// scenario, whose steps stop services, never containers) each host is
    /// one container: half the containers to start and remove.
    pub address_holders: bool,
}

fn io_at(path: &Path) -> impl Fn(std::io::Error) -> ContainerError + '_ {
    move |source| ContainerError::File {
        path: path.to_path_buf(),
        source,
    }
}

impl ContainerLab {
    /// Builds the topology, writes the disks and `containers.toml`, creates
    /// the network and one container per host, and waits until every host
    /// answers on its control API. Blocking (run it off async workers).
    pub fn start(s: Start<'_>) -> Result<ContainerLab, ContainerError> {
        docker::daemon()?;
        if !super::image::exists(s.image) {
            return Err(ContainerError::NoImage(s.image.to_string()));
        }
        docker::reap();
        let pid = std::process::id();
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // a random part: another machine's or container's process may have this pid
        let id = format!("{pid}-{seq}-{:04x}", rand::random::<u16>());
        let network = format!("ccelab-{id}");
        std::fs::create_dir_all(s.dir).map_err(io_at(s.dir))?;
        let dir = std::path::absolute(s.dir).map_err(io_at(s.dir))?;
        // the topology file's folder is mounted at its own path: an absolute one
        let base_dir = std::path::absolute(s.base_dir).map_err(io_at(s.base_dir))?;
        let s = Start {
            base_dir: &base_dir,
            ..s
        };
        let subnet = create_network(&network, &id, pid, seq)?;
        let built = (|| -> Result<(LabSpec, Topology), ContainerError> {
            let (spec, topo) = LabSpec::new(s.topology, s.base_dir, subnet, &dir)?;
            topo.write_disks()?;
            spec.write(&dir)?;
            Ok((spec, topo))
        })();
        let (spec, topo) = match built {
            Ok(v) => v,
            Err(e) => {
                let _ = docker(&["network", "rm", &network]);
                return Err(e);
            }
        };
        // from here on, whatever fails removes what was made (drop)
        let mut lab = ContainerLab {
            id,
            dir,
            topo: Arc::new(topo),
            spec,
            network,
            containers: BTreeMap::new(),
            holders: Vec::new(),
        };
        lab.run_containers(&s)?;
        Ok(lab)
    }

    fn run_containers(&mut self, s: &Start<'_>) -> Result<(), ContainerError> {
        let uid = caller_ids();
        let spec_file = self.dir.join(super::SPEC_FILE);
        // each host is two containers: its "machine" (the holder: the
        // address, the names, the network namespace; `ccelab pause`) and
        // its product (`ccelab host`, in the holder's namespace). A killed
        // product leaves the machine answering: its closed ports refuse,
        // as a crashed service's on a running machine do.
        let labels = [
            "--label".to_string(),
            format!("{LABEL_LAB}={}", self.id),
            "--label".into(),
            format!("{LABEL_PID}={}", docker::owner()),
        ];
        let hosts: Vec<&crate::topology::Host> = self
            .topo
            .hosts
            .iter()
            .filter(|h| super::runs_product(h.role))
            .collect();
        let holders: Vec<Vec<String>> = hosts
            .iter()
            .map(|h| {
                let mut args: Vec<String> = vec![
                    "run".into(),
                    "-d".into(),
                    "--name".into(),
                    self.holder_of(&h.name),
                ];
                args.extend(self.address_args(h));
                args.extend(["--user".into(), uid.clone()]);
                args.extend(labels.iter().cloned());
                args.extend([s.image.to_string(), "pause".into()]);
                args
            })
            .collect();
        let products: Vec<Vec<String>> = hosts
            .iter()
            .map(|h| {
                let disk = h.disk.root().display().to_string();
                let network: Vec<String> = if s.address_holders {
                    vec![
                        "--network".into(),
                        format!("container:{}", self.holder_of(&h.name)),
                    ]
                } else {
                    self.address_args(h)
                };
                let mut args: Vec<String> = vec![
                    "run".into(),
                    "-d".into(),
                    "--name".into(),
                    self.product_of(&h.name),
                ];
                args.extend(network);
                args.extend([
                    "--user".into(),
                    uid.clone(),
                    "--stop-timeout".into(),
                    "10".into(),
                    "-v".into(),
                    format!("{0}:{0}:ro", spec_file.display()),
                    "-v".into(),
                    format!("{disk}:{disk}"),
                ]);
                args.extend(labels.iter().cloned());
                if s.base_dir.is_dir() && s.base_dir != Path::new("/") {
                    args.push("-v".into());
                    args.push(format!("{0}:{0}:ro", s.base_dir.display()));
                }
                args.extend([
                    s.image.to_string(),
                    "host".into(),
                    "--dir".into(),
                    self.dir.display().to_string(),
                    "--host".into(),
                    h.name.clone(),
                ]);
                args
            })
            .collect();
        let names: Vec<String> = hosts.iter().map(|h| h.name.clone()).collect();
        // recorded before they run: a failure half-way removes what was made
        if s.address_holders {
            self.holders = names.iter().map(|n| self.holder_of(n)).collect();
            run_all(&holders)?;
        }
        self.containers = names
            .iter()
            .map(|n| (n.clone(), self.product_of(n)))
            .collect();
        run_all(&products)?;
        self.wait_ready()?;
        self.write_client_files(None)?;
        Ok(())
    }

    /// A host's place on the lab's network: its address, its names.
    fn address_args(&self, h: &crate::topology::Host) -> Vec<String> {
        vec![
            "--hostname".into(),
            h.short().to_string(),
            "--network".into(),
            self.network.clone(),
            "--ip".into(),
            h.address.to_string(),
            "--network-alias".into(),
            h.fqdn.clone(),
            "--network-alias".into(),
            h.short().to_string(),
        ]
    }

    /// The container holding a host's address (its "machine").
    fn holder_of(&self, host: &str) -> String {
        format!("ccelab-{}-{host}-net", self.id)
    }

    /// The container running a host's product.
    fn product_of(&self, host: &str) -> String {
        format!("ccelab-{}-{host}", self.id)
    }

    /// Waits until every host's control API answers.
    pub fn wait_ready(&self) -> Result<(), ContainerError> {
        let all: Vec<&String> = self.containers.keys().collect();
        self.wait_ready_for(&all)
    }

    /// Waits until these hosts' control APIs answer (the others may be stopped).
    pub fn wait_ready_for(&self, hosts: &[&String]) -> Result<(), ContainerError> {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut pending: Vec<&String> = hosts.to_vec();
        let mut last_check = Instant::now();
        while !pending.is_empty() {
            pending.retain(|h| {
                self.control(h)
                    .and_then(|c| crate::control::request(&c, "GET", "/status", "").ok())
                    .is_none_or(|(code, _)| code != 200)
            });
            if pending.is_empty() {
                break;
            }
            if last_check.elapsed() > Duration::from_millis(500) || Instant::now() > deadline {
                last_check = Instant::now();
                for h in &pending {
                    let c = &self.containers[*h];
                    let st = docker::state(c);
                    let down = st.as_ref().is_none_or(|(s, _)| s != "running");
                    if down || Instant::now() > deadline {
                        return Err(ContainerError::HostDown {
                            host: (*h).clone(),
                            state: st.map_or("gone".into(), |(s, code)| {
                                if s == "running" {
                                    format!(
                                        "running, but not answering after {} s",
                                        START_TIMEOUT.as_secs()
                                    )
                                } else {
                                    format!("{s}, exit code {code}")
                                }
                            }),
                            logs: docker::logs_tail(c, 20),
                        });
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }

    /// A host's control API (`http://ADDRESS:9595`), if it runs a product.
    pub fn control(&self, host: &str) -> Option<String> {
        let h = self.topo.host(host)?;
        self.containers.contains_key(&h.name).then(|| {
            format!(
                "http://{}",
                SocketAddr::from((h.address, HOST_CONTROL_PORT))
            )
        })
    }

    /// The container of a host.
    pub fn container(&self, host: &str) -> Option<&str> {
        let h = self.topo.host(host)?;
        self.containers.get(&h.name).map(String::as_str)
    }

    /// `topology.json`, `hosts`, `jdk-hosts`, `curl-resolve` and `ca/`, from
    /// what each host's control API says of its services (and the DC's of
    /// the accounts); `control` is the deployment's control API (by
    /// default the DC host's own).
    pub fn write_client_files(&self, control: Option<&str>) -> Result<(), ContainerError> {
        let controls: BTreeMap<String, String> = self
            .containers
            .keys()
            .filter_map(|h| Some((h.clone(), self.control(h)?)))
            .collect();
        client_files(&self.topo, &self.dir, &controls, control)
    }

    /// `docker kill` a host's product container: its product is gone at
    /// once, its machine stays (the address holder), so its peers'
    /// connections are refused, as a crashed service's are.
    pub fn kill(&self, host: &str) -> Result<(), ContainerError> {
        self.on(host, &["kill"])
    }

    /// `docker stop` (SIGTERM, the host stops cleanly).
    pub fn stop(&self, host: &str) -> Result<(), ContainerError> {
        self.on(host, &["stop", "-t", "10"])
    }

    /// `docker start` a stopped host's container, and wait until it answers.
    pub fn start_host(&self, host: &str) -> Result<(), ContainerError> {
        self.on(host, &["start"])?;
        self.wait_one(host)
    }

    /// `docker restart`: the host reads its disk again (F9), as a restart
    /// of the real machine's services does.
    pub fn restart(&self, host: &str) -> Result<(), ContainerError> {
        self.on(host, &["restart", "-t", "10"])?;
        self.wait_one(host)
    }

    fn wait_one(&self, host: &str) -> Result<(), ContainerError> {
        let name = self
            .topo
            .host(host)
            .map(|h| h.name.clone())
            .unwrap_or_default();
        self.wait_ready_for(&[&name])
    }

    fn on(&self, host: &str, verb: &[&str]) -> Result<(), ContainerError> {
        let c = self.container(host).ok_or_else(|| {
            ContainerError::Docker(DockerError::Failed {
                command: verb.join(" "),
                stderr: format!(
                    "no container for host `{host}`; the hosts are {}",
                    self.topo.known_hosts()
                ),
            })
        })?;
        let mut args: Vec<&str> = verb.to_vec();
        args.push(c);
        docker(&args)?;
        Ok(())
    }

    /// Removes the containers and the network (what drop does); the errors, if any.
    pub fn remove(&mut self) -> Vec<DockerError> {
        let mut errors = Vec::new();
        if !self.containers.is_empty() || !self.holders.is_empty() {
            let mut args = vec!["rm".to_string(), "-f".into(), "-v".into()];
            args.extend(self.containers.values().cloned());
            args.extend(self.holders.iter().cloned());
            if let Err(e) = docker(&args) {
                // one already gone fails the whole command: remove one by one
                let mut left = false;
                for c in self.containers.values().chain(self.holders.iter()) {
                    if docker(&["rm", "-f", "-v", c]).is_err() && docker::state(c).is_some() {
                        left = true;
                    }
                }
                if left {
                    errors.push(e);
                }
            }
            self.containers.clear();
            self.holders.clear();
        }
        if !self.network.is_empty() {
            if let Err(e) = docker(&["network", "rm", &self.network]) {
                errors.push(e);
            }
            self.network.clear();
        }
        errors
    }
}

impl Drop for ContainerLab {
    fn drop(&mut self) {
        for e in self.remove() {
            eprintln!("ccelab: removing lab {}: {e}", self.id);
        }
    }
}

/// `topology.json`, `hosts`, `jdk-hosts`, `curl-resolve` and `ca/` of a
/// deployment whose hosts' control APIs are `controls` (host → URL), from
/// what each says of its services (and the DC's of the accounts); `control`
/// is the deployment's control API (by default the DC host's own).
pub fn client_files(
    topo: &Topology,
    dir: &Path,
    controls: &BTreeMap<String, String>,
    control: Option<&str>,
) -> Result<(), ContainerError> {
    let mut services = BTreeMap::new();
    for (h, c) in controls {
        let Ok((200, body)) = crate::control::request(c, "GET", "/status", "") else {
            continue;
        };
        let own: Vec<ccelab_emulators::product::ServiceInfo> =
            serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| {
                    v["hosts"]
                        .as_array()?
                        .iter()
                        .find(|x| x["name"] == h.as_str())
                        .map(|x| x["services"].clone())
                })
                .and_then(|s| serde_json::from_value(s).ok())
                .unwrap_or_default();
        services.insert(h.clone(), own);
    }
    // the DC's host knows the directory's accounts (any host knows the others)
    let source = topo
        .hosts
        .iter()
        .find(|h| h.role == crate::topology::Role::AdDc && controls.contains_key(&h.name))
        .map(|h| h.name.clone())
        .or_else(|| controls.keys().next().cloned());
    let accounts = source
        .as_ref()
        .and_then(|h| controls.get(h))
        .and_then(|c| crate::control::request(c, "GET", "/accounts", "").ok())
        .and_then(|(code, body)| (code == 200).then_some(body))
        .and_then(|b| serde_json::from_str::<Vec<serde_json::Value>>(&b).ok())
        .unwrap_or_default();
    let control = control
        .map(str::to_string)
        .or_else(|| source.and_then(|h| controls.get(&h).cloned()))
        .unwrap_or_default();
    crate::lab::files::write_client_files(
        topo,
        dir,
        &|h| services.get(&h.name).cloned().unwrap_or_default(),
        accounts,
        &control,
        &|h| controls.get(&h.name).cloned(),
    )
    .map_err(|(path, source)| ContainerError::File { path, source })
}

/// The user and group the containers run as: the caller's, so that files
/// they write on the bind-mounted disks are the caller's.
pub fn caller_ids() -> String {
    // SAFETY: getuid and getgid cannot fail and touch no memory
    let (u, g) = unsafe { (libc::getuid(), libc::getgid()) };
    format!("{u}:{g}")
}

/// Runs the `docker run` commands, four at a time; the first error.
pub(super) fn run_all(commands: &[Vec<String>]) -> Result<(), ContainerError> {
    let jobs: Vec<Vec<Vec<String>>> = commands.iter().map(|c| vec![c.clone()]).collect();
    Ok(super::docker::in_parallel(&jobs, 4)?)
}

/// Creates the lab's network on a free /24 under 10.77.0.0/16; its subnet.
pub(super) fn create_network(
    name: &str,
    id: &str,
    pid: u32,
    seq: u32,
) -> Result<[u8; 3], ContainerError> {
    let start = (pid.wrapping_mul(31).wrapping_add(seq.wrapping_mul(7))) % 250;
    let mut last = String::new();
    for i in 0..250u32 {
        let n = u8::try_from((start + i) % 250 + 1).unwrap_or(1);
        let subnet = [10, 77, n];
        let r = docker(&[
            "network".to_string(),
            "create".into(),
            "--driver".into(),
            "bridge".into(),
            "--subnet".into(),
            format!("10.77.{n}.0/24"),
            "--label".into(),
            format!("{LABEL_LAB}={id}"),
            "--label".into(),
            format!("{LABEL_PID}={}", docker::owner()),
            name.to_string(),
        ]);
        match r {
            Ok(_) => return Ok(subnet),
            Err(DockerError::Failed { stderr, .. })
                if stderr.contains("overlap") || stderr.contains("in use") =>
            {
                last = stderr;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ContainerError::NoSubnet(last))
}

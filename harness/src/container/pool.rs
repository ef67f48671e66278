//! A pool of host containers for scenarios: a few private networks (its
//! lanes: one per scenario running at once) and, per address a scenario
//! needs, one container (`ccelab slot`) holding that address on every lane,
//! kept from one scenario to the next — a lab machine re-imaged for each
//! test. A
//! scenario's lab folder is written under the pool's root (bind-mounted at
//! the same path in every container), each of its hosts is started in the
//! container holding its address, and stopped when the scenario ends; the
//! next scenario reuses the containers. Each host runs at its own address
//! on its lane's network, exactly as `ccelab host` runs it, and no other
//! host of its lab is in its container; only the Docker daemon's work (a
//! container start costs it ~0.4 s, a host's start a few milliseconds) is
//! shared: the containers of three lanes cost what one lab's would.
//!
//! Dropping the pool removes its containers and its network (also while a
//! failing test unwinds); they carry the same labels as
//! [`super::lab::ContainerLab`]'s, so a pool whose process was killed is
//! removed by the next start ([`super::docker::reap`]).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::docker::{self, docker, DockerError};
use super::lab::{caller_ids, create_network, ContainerError, START_TIMEOUT};
use super::{LabSpec, LABEL_LAB, LABEL_PID, SLOT_PORT};
use crate::topology::Topology;

/// A pool of host containers (see the module).
pub struct Pool {
    /// The pool's id (in its containers' and network's names and labels).
    pub id: String,
    /// Each lane's network and subnet.
    lanes: Vec<(String, [u8; 3])>,
    image: String,
    /// Bind mounts: the root (read-write) and the topology files' folders (read-only).
    mounts: Vec<String>,
    root: PathBuf,
    /// Container by the last byte of the address it holds.
    slots: Mutex<BTreeMap<u8, String>>,
}

/// A deployment started in a pool: its topology (with the pool's
/// addresses), its folder and each host's control API.
pub struct Lease {
    /// The lane it runs on.
    pub lane: usize,
    /// The topology.
    pub topo: Arc<Topology>,
    /// The lab folder.
    pub dir: PathBuf,
    /// Host name → its control API (`http://ADDRESS:9595`).
    pub controls: BTreeMap<String, String>,
}

impl Pool {
    /// A pool of `lanes` networks whose labs go under `root` (created),
    /// reading topology files' folders `base_dirs`; its networks are made
    /// now, its containers when a lab needs them. Blocking.
    pub fn new(
        image: &str,
        root: &Path,
        base_dirs: &[PathBuf],
        lanes: usize,
    ) -> Result<Pool, ContainerError> {
        docker::daemon()?;
        if !super::image::exists(image) {
            return Err(ContainerError::NoImage(image.to_string()));
        }
        docker::reap();
        let io = |e| ContainerError::File {
            path: root.to_path_buf(),
            source: e,
        };
        std::fs::create_dir_all(root).map_err(io)?;
        let root = std::path::absolute(root).map_err(io)?;
        let pid = std::process::id();
        static SEQ: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let id = format!("{pid}-p{seq}-{:04x}", rand::random::<u16>());
        let mut pool = Pool {
            id: id.clone(),
            lanes: Vec::new(),
            image: image.to_string(),
            mounts: Vec::new(),
            root: root.clone(),
            slots: Mutex::new(BTreeMap::new()),
        };
        for lane in 0..lanes.max(1) {
            let network = format!("ccelab-{id}-{lane}");
            // a failure drops the pool: the networks made so far go
            let subnet = create_network(
                &network,
                &id,
                pid,
                seq.wrapping_mul(5).wrapping_add(97 + lane as u32),
            )?;
            pool.lanes.push((network, subnet));
        }
        let mut mounts = vec![format!("{0}:{0}", root.display())];
        for b in base_dirs {
            let Ok(b) = std::path::absolute(b) else {
                continue;
            };
            if b.is_dir() && b != Path::new("/") && !b.starts_with(&root) {
                let m = format!("{0}:{0}:ro", b.display());
                if !mounts.contains(&m) {
                    mounts.push(m);
                }
            }
        }
        pool.mounts = mounts;
        Ok(pool)
    }

    /// How many labs run at once (one per lane).
    pub fn lanes(&self) -> usize {
        self.lanes.len()
    }

    fn address(&self, lane: usize, last: u8) -> Ipv4Addr {
        let s = self.lanes[lane].1;
        Ipv4Addr::new(s[0], s[1], s[2], last)
    }

    fn slot_api(&self, lane: usize, last: u8) -> String {
        format!(
            "http://{}",
            SocketAddr::from((self.address(lane, last), SLOT_PORT))
        )
    }

    /// Starts the containers for these addresses' last bytes that the pool
    /// does not have yet (each created on lane 0's network, connected to
    /// the others', then started), and waits until each answers.
    fn ensure_slots(&self, needed: &[u8]) -> Result<(), ContainerError> {
        // held throughout: two lanes never make one slot twice
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let missing: Vec<u8> = needed
            .iter()
            .copied()
            .filter(|b| !slots.contains_key(b))
            .collect::<std::collections::BTreeSet<u8>>()
            .into_iter()
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        let uid = caller_ids();
        let name_of = |b: u8| format!("ccelab-{}-slot-{b}", self.id);
        // recorded before they exist: dropping the pool removes them whatever happens
        for b in &missing {
            slots.insert(*b, name_of(*b));
        }
        let commands = |b: u8| -> Vec<Vec<String>> {
            let mut create: Vec<String> = vec![
                "create".into(),
                "--name".into(),
                name_of(b),
                "--network".into(),
                self.lanes[0].0.clone(),
                "--ip".into(),
                self.address(0, b).to_string(),
                "--user".into(),
                uid.clone(),
                "--stop-timeout".into(),
                "10".into(),
                "--label".into(),
                format!("{LABEL_LAB}={}", self.id),
                "--label".into(),
                format!("{LABEL_PID}={}", docker::owner()),
            ];
            for m in &self.mounts {
                create.push("-v".into());
                create.push(m.clone());
            }
            create.extend([self.image.clone(), "slot".into()]);
            for lane in 0..self.lanes.len() {
                create.push("--address".into());
                create.push(self.address(lane, b).to_string());
            }
            let mut all = vec![create];
            for lane in 1..self.lanes.len() {
                all.push(vec![
                    "network".into(),
                    "connect".into(),
                    "--ip".into(),
                    self.address(lane, b).to_string(),
                    self.lanes[lane].0.clone(),
                    name_of(b),
                ]);
            }
            all.push(vec!["start".into(), name_of(b)]);
            all
        };
        // a slot that did not come up is removed and forgotten: the next
        // lab that needs its address makes it again
        let made = self.make_slots(&missing, &commands, &name_of);
        if made.is_err() {
            for b in &missing {
                let _ = docker(&["rm", "-f", "-v", &name_of(*b)]);
                slots.remove(b);
            }
        }
        made
    }

    /// Runs each slot's commands (four slots at a time) and waits until
    /// each answers.
    fn make_slots(
        &self,
        missing: &[u8],
        commands: &dyn Fn(u8) -> Vec<Vec<String>>,
        name_of: &dyn Fn(u8) -> String,
    ) -> Result<(), ContainerError> {
        let jobs: Vec<Vec<Vec<String>>> = missing.iter().map(|b| commands(*b)).collect();
        docker::in_parallel(&jobs, 4)?;
        let deadline = Instant::now() + START_TIMEOUT;
        for &b in missing {
            let api = self.slot_api(0, b);
            loop {
                if matches!(crate::control::request(&api, "GET", "/", ""), Ok((200, _))) {
                    break;
                }
                let st = docker::state(&name_of(b));
                if st.as_ref().is_none_or(|(s, _)| s != "running") || Instant::now() > deadline {
                    return Err(ContainerError::HostDown {
                        host: self.address(0, b).to_string(),
                        state: st.map_or("gone".into(), |(s, c)| format!("{s}, exit code {c}")),
                        logs: docker::logs_tail(&name_of(b), 20),
                    });
                }
                std::thread::sleep(Duration::from_millis(30));
            }
        }
        Ok(())
    }

    /// Writes the lab of `topology_text` (from `base_dir`) into `dir` (under
    /// the pool's root) with the addresses of lane `lane` and starts each
    /// of its hosts in the container holding its address. Blocking.
    pub fn start(
        &self,
        topology_text: &str,
        base_dir: &Path,
        dir: &Path,
        lane: usize,
    ) -> Result<Lease, ContainerError> {
        if lane >= self.lanes.len() {
            return Err(ContainerError::NoSubnet(format!(
                "lane {lane}: the pool has {}",
                self.lanes.len()
            )));
        }
        let io = |e| ContainerError::File {
            path: dir.to_path_buf(),
            source: e,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let dir = std::path::absolute(dir).map_err(io)?;
        if !dir.starts_with(&self.root) {
            return Err(ContainerError::File {
                path: dir,
                source: std::io::Error::other(format!(
                    "not under the pool's folder {}",
                    self.root.display()
                )),
            });
        }
        let base_dir = std::path::absolute(base_dir).map_err(io)?;
        let (spec, topo) = LabSpec::new(topology_text, &base_dir, self.lanes[lane].1, &dir)?;
        topo.write_disks()?;
        spec.write(&dir)?;
        let hosts: Vec<(String, u8)> = topo
            .hosts
            .iter()
            .filter(|h| super::runs_product(h.role))
            .map(|h| (h.name.clone(), h.address.octets()[3]))
            .collect();
        let bytes: Vec<u8> = hosts.iter().map(|(_, b)| *b).collect();
        self.ensure_slots(&bytes)?;
        let lease = Lease {
            lane,
            controls: topo
                .hosts
                .iter()
                .filter(|h| super::runs_product(h.role))
                .map(|h| (h.name.clone(), super::remote::control_of(h)))
                .collect(),
            topo: Arc::new(topo),
            dir: dir.clone(),
        };
        // every host at once; the first failure stops the others
        let results: Vec<(String, u8, Result<(), String>)> = std::thread::scope(|scope| {
            let jobs: Vec<_> = hosts
                .iter()
                .map(|(name, b)| {
                    let api = self.slot_api(lane, *b);
                    let body = serde_json::json!({"dir": dir, "host": name}).to_string();
                    let j = scope.spawn(move || {
                        match crate::control::request(&api, "POST", "/start", &body) {
                            Ok((200, _)) => Ok(()),
                            Ok((_, b)) => Err(serde_json::from_str::<serde_json::Value>(&b)
                                .ok()
                                .and_then(|v| v["error"].as_str().map(str::to_string))
                                .unwrap_or(b)),
                            Err(e) => Err(format!("{api}: {e}")),
                        }
                    });
                    (name.clone(), *b, j)
                })
                .collect();
            jobs.into_iter()
                .map(|(n, b, j)| {
                    let r = j
                        .join()
                        .unwrap_or_else(|_| Err("the thread starting it panicked".into()));
                    (n, b, r)
                })
                .collect()
        });
        if let Some((host, b, Err(e))) = results.iter().find(|(_, _, r)| r.is_err()) {
            let e = ContainerError::HostDown {
                host: host.clone(),
                state: "did not start in its container".into(),
                logs: format!(
                    "{e}\n{}",
                    docker::logs_tail(&format!("ccelab-{}-slot-{b}", self.id), 10)
                ),
            };
            self.stop(&lease);
            return Err(e);
        }
        Ok(lease)
    }

    /// Stops every host of `lease` (their containers stay for the next
    /// lab). A slot whose host did not let go of its ports is removed, so
    /// that the next lab gets a fresh container there. Blocking.
    pub fn stop(&self, lease: &Lease) {
        let stuck: Vec<u8> = std::thread::scope(|scope| {
            let jobs: Vec<_> = lease
                .topo
                .hosts
                .iter()
                .filter(|h| super::runs_product(h.role))
                .map(|h| {
                    let b = h.address.octets()[3];
                    let api = self.slot_api(lease.lane, b);
                    let job = scope.spawn(move || {
                        matches!(
                            crate::control::request(&api, "POST", "/stop", ""),
                            Ok((200, _))
                        )
                    });
                    (b, job)
                })
                .collect();
            jobs.into_iter()
                .filter_map(|(b, j)| (!j.join().unwrap_or(false)).then_some(b))
                .collect()
        });
        if !stuck.is_empty() {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            for b in stuck {
                if let Some(name) = slots.remove(&b) {
                    let _ = docker(&["rm", "-f", "-v", &name]);
                }
            }
        }
    }

    /// Removes the containers and the network (what drop does); the errors, if any.
    pub fn remove(&mut self) -> Vec<DockerError> {
        let mut errors = Vec::new();
        let slots: Vec<String> =
            std::mem::take(&mut *self.slots.lock().unwrap_or_else(|e| e.into_inner()))
                .into_values()
                .collect();
        if !slots.is_empty() {
            let mut args = vec!["rm".to_string(), "-f".into(), "-v".into()];
            args.extend(slots.iter().cloned());
            if let Err(e) = docker(&args) {
                let mut left = false;
                for c in &slots {
                    if docker(&["rm", "-f", "-v", c]).is_err() && docker::state(c).is_some() {
                        left = true;
                    }
                }
                if left {
                    errors.push(e);
                }
            }
        }
        for (network, _) in std::mem::take(&mut self.lanes) {
            if let Err(e) = docker(&["network", "rm", &network]) {
                errors.push(e);
            }
        }
        errors
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        for e in self.remove() {
            eprintln!("ccelab: removing pool {}: {e}", self.id);
        }
    }
}

//! `ccelab host`: one host of a deployment, from its disk — the entry point
//! of the host's container (`ccelab up --containers`, `ccelab compose`).
//! It reads `DIR/containers.toml` ([`crate::container::LabSpec`]), builds
//! the same topology as every other host, starts its own product on its
//! real ports at its address, serves its control API on port 9595, prints
//! what its product logs (the log files on its disk, as they grow) and
//! stops cleanly on SIGTERM (`docker stop`) or Ctrl-C.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use super::Failure;
use crate::container::{LabSpec, HOST_CONTROL_PORT};

/// The options of `ccelab host`.
#[derive(Args, Debug)]
pub(crate) struct HostArgs {
    /// The lab folder: `containers.toml` and this host's disk under
    /// `disks/NAME/`, at the same path as on the machine that wrote them.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// The host to run, by its topology name (`ece`, `ads-a`, `dc`…).
    #[arg(long, value_name = "NAME")]
    host: String,
    /// How often the log files are read for new lines, in milliseconds.
    #[arg(long, default_value_t = 500, value_name = "MS")]
    log_poll: u64,
}

/// Runs the host until SIGTERM or Ctrl-C; Ok(0) on a clean stop.
pub(crate) fn run(a: HostArgs) -> Result<i32, Failure> {
    let started = std::time::Instant::now();
    let dir = std::path::absolute(&a.dir).map_err(|e| Failure::file(&a.dir, e))?;
    let spec = LabSpec::read(&dir).map_err(|e| Failure::new("--dir", e))?;
    let topo = spec.build(&dir).map_err(|e| Failure::new("--dir", e))?;
    let Some(h) = topo.host(&a.host).cloned() else {
        return Err(Failure::new(
            "--host",
            format!("no host `{}`; the hosts are {}", a.host, topo.known_hosts()),
        ));
    };
    if !crate::container::runs_product(h.role) {
        return Err(Failure::new(
            "--host",
            format!(
                "`{}` runs no product (its certificates are all it is)",
                h.name
            ),
        ));
    }
    let disk = h.disk.root().to_path_buf();
    if !disk.is_dir() {
        return Err(Failure::file(
            &disk,
            "this host's disk is not there (mount it at the same path)",
        ));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new("runtime", e))?;
    rt.block_on(async move {
        let topo = std::sync::Arc::new(topo);
        let before = tokio::task::spawn_blocking({
            let disk = disk.clone();
            move || log_files(&disk)
        })
        .await
        .unwrap_or_default();
        // this host's own address on the containers' network (asked for: this command)
        ccelab_emulators::net::allow_bind(h.address.into());
        let lab = crate::lab::Lab::start_host(topo.clone(), &h.name)
            .await
            .map_err(|e| {
                let hint = if e.to_string().contains("Cannot assign requested address") {
                    format!(
                        " ({} is not an address of this machine: `ccelab host` runs in the host's container)",
                        h.address
                    )
                } else {
                    String::new()
                };
                Failure::new(&h.name, format!("{e}{hint}"))
            })?;
        if let Some(moved) = moved_ports(&lab, &h.name) {
            return Err(Failure::new(&h.name, moved));
        }
        let control = crate::control::serve(
            lab.clone(),
            SocketAddr::from((h.address, HOST_CONTROL_PORT)),
        )
        .await
        .map_err(|e| Failure::new(format!("control API {}:{HOST_CONTROL_PORT}", h.address), e))?;
        let ports: Vec<String> = lab
            .ports_of(&h.name)
            .iter()
            .map(|(p, _)| p.to_string())
            .collect();
        out!(
            "ccelab host {} ({}, {}): up in {} ms at {}, ports {}; control API http://{}",
            h.name,
            h.fqdn,
            crate::container::role_name(h.role),
            started.elapsed().as_millis(),
            h.address,
            if ports.is_empty() { "none".to_string() } else { ports.join(", ") },
            control.addr
        );
        let offsets = std::sync::Arc::new(std::sync::Mutex::new(before));
        let follow = tokio::spawn(follow_logs(
            disk.clone(),
            offsets.clone(),
            Duration::from_millis(a.log_poll.max(50)),
        ));
        let why = stop_signal().await;
        out!("ccelab host {}: {why}: stopping", h.name);
        drop(control);
        follow.abort();
        let _ = follow.await;
        drop(lab);
        // the last lines the products wrote, up to their stop
        print_new(disk, offsets).await;
        out!("ccelab host {}: stopped", h.name);
        Ok::<_, Failure>(0)
    })
}

/// Why a host that moved off its real ports cannot serve (every other host
/// reaches it on them); None when it is on all of them.
pub(crate) fn moved_ports(lab: &crate::lab::Lab, host: &str) -> Option<String> {
    let moved: Vec<String> = lab
        .ports_of(host)
        .into_iter()
        .filter(|(p, b)| p != b)
        .map(|(p, b)| format!("{p} (bound {b})"))
        .collect();
    (!moved.is_empty()).then(|| {
        format!(
            "these ports were taken, so the other hosts cannot reach them: {}",
            moved.join(", ")
        )
    })
}

/// `ccelab pause`: holds a host's address on the containers' network (the
/// host's "machine": its product's container shares this one's network) and
/// does nothing else until SIGTERM or SIGINT; Ok(0).
pub(crate) fn pause() -> Result<i32, Failure> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("runtime", e))?;
    rt.block_on(stop_signal());
    Ok(0)
}

/// Waits for SIGTERM (what `docker stop` sends) or SIGINT; names the one that came.
pub(crate) async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) else {
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        };
        tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// The most log files followed, and how deep under the disk they are looked for.
const MAX_LOG_FILES: usize = 256;
const MAX_DEPTH: usize = 12;
/// The most bytes of one file printed per poll (the rest the next time).
const MAX_CHUNK: u64 = 64 << 10;

/// The log files under `disk` (`*.log`, and `*.txt` under a `logs` folder)
/// with their sizes now, by path.
fn log_files(disk: &Path) -> BTreeMap<PathBuf, u64> {
    let mut found = BTreeMap::new();
    let mut stack = vec![(disk.to_path_buf(), 0usize)];
    while let Some((d, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            // no link is followed (nothing outside the disk is read)
            let Ok(t) = e.file_type() else { continue };
            let p = e.path();
            if t.is_dir() && depth < MAX_DEPTH {
                stack.push((p, depth + 1));
            } else if t.is_file() && found.len() < MAX_LOG_FILES {
                let name = e.file_name().to_string_lossy().to_ascii_lowercase();
                let in_logs = p
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|f| f.to_string_lossy().eq_ignore_ascii_case("logs"));
                if name.ends_with(".log") || (in_logs && name.ends_with(".txt")) {
                    let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                    found.insert(p, len);
                }
            }
        }
    }
    found
}

/// Where each log file was read up to.
type Offsets = std::sync::Arc<std::sync::Mutex<BTreeMap<PathBuf, u64>>>;

/// Prints what is appended to the disk's log files, each line after its
/// file's path on the disk; files there before the start from their end.
async fn follow_logs(disk: PathBuf, offsets: Offsets, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        print_new(disk.clone(), offsets.clone()).await;
    }
}

/// Prints the lines appended since the last look, off the async workers;
/// a line is printed exactly when its file's offset moves past it (a
/// follower aborted meanwhile loses none).
async fn print_new(disk: PathBuf, offsets: Offsets) {
    let _ = tokio::task::spawn_blocking(move || {
        let mut o = offsets.lock().unwrap_or_else(|e| e.into_inner());
        let (lines, next) = read_new(&disk, std::mem::take(&mut *o));
        *o = next;
        for l in lines {
            out!("{l}");
        }
    })
    .await;
}

/// The new lines of every log file, and the offsets read up to.
fn read_new(
    disk: &Path,
    mut offsets: BTreeMap<PathBuf, u64>,
) -> (Vec<String>, BTreeMap<PathBuf, u64>) {
    use std::io::{Read as _, Seek as _};
    let mut lines = Vec::new();
    for (p, len) in log_files(disk) {
        let from = offsets.get(&p).copied().unwrap_or(0);
        // a file rewritten shorter is read again from its start
        let from = if len < from { 0 } else { from };
        if len == from {
            offsets.insert(p, len);
            continue;
        }
        // inside the disk (a link swapped in since the listing is refused), a regular file
        if ccelab_emulators::host::check_within(disk, &p).is_err() {
            continue;
        }
        let Ok(mut f) = ccelab_emulators::host::open_file(&p) else {
            continue;
        };
        let mut buf = Vec::new();
        if f.seek(std::io::SeekFrom::Start(from)).is_err()
            || f.take(MAX_CHUNK.min(len - from))
                .read_to_end(&mut buf)
                .is_err()
        {
            continue;
        }
        // whole lines only; a partial last line waits for its end
        let whole = match buf.iter().rposition(|b| *b == b'\n') {
            Some(i) => i + 1,
            None if buf.len() as u64 == MAX_CHUNK => buf.len(),
            None => 0,
        };
        let rel = p.strip_prefix(disk).unwrap_or(&p).display().to_string();
        for l in String::from_utf8_lossy(&buf[..whole]).lines() {
            lines.push(format!("[{rel}] {l}"));
        }
        offsets.insert(p, from + whole as u64);
    }
    (lines, offsets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_log_lines_are_printed_once_whole_lines_only() {
        let d = tempfile::tempdir().unwrap();
        let logs = d.path().join("C/icm/tomcat/logs");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::write(logs.join("old.log"), "before the start\n").unwrap();
        std::fs::write(d.path().join("notes.md"), "not a log\n").unwrap();
        let before = log_files(d.path());
        std::fs::write(logs.join("old.log"), "before the start\nafter\npart").unwrap();
        std::fs::write(
            logs.join("catalina.2026-01-01.txt"),
            "PKIX path building failed\n",
        )
        .unwrap();
        let (lines, offsets) = read_new(d.path(), before);
        assert_eq!(
            lines,
            [
                "[C/icm/tomcat/logs/catalina.2026-01-01.txt] PKIX path building failed",
                "[C/icm/tomcat/logs/old.log] after",
            ]
        );
        let (again, _) = read_new(d.path(), offsets);
        assert!(again.is_empty(), "{again:?}");
    }
}

//! The Docker CLI, as ccelab uses it: networks and containers labelled with
//! their lab ([`super::LABEL_LAB`]) and the process that made them
//! ([`super::LABEL_PID`]), so that what a killed process left behind is
//! found and removed by the next run ([`reap`]).

use std::process::{Command, Stdio};
use std::time::Duration;

/// Why a Docker command failed.
#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// The `docker` program could not be run.
    #[error("docker: {0} (is Docker installed?)")]
    Missing(std::io::Error),
    /// The daemon did not answer.
    #[error("no Docker daemon answers: {0}")]
    NoDaemon(String),
    /// A command failed; its standard error, trimmed.
    #[error("docker {command}: {stderr}")]
    Failed {
        /// The subcommand (`run`, `network create`).
        command: String,
        /// What docker printed.
        stderr: String,
    },
}

/// Runs `docker ARGS`; its standard output, trimmed.
pub fn docker<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Result<String, DockerError> {
    let out = Command::new("docker")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(DockerError::Missing)?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        let command = args
            .iter()
            .take(2)
            .map(|a| a.as_ref().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        Err(DockerError::Failed {
            command,
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        })
    }
}

/// Runs `jobs` `width` at a time, each job's docker commands in order on a
/// thread of its own; the first error.
pub fn in_parallel(jobs: &[Vec<Vec<String>>], width: usize) -> Result<(), DockerError> {
    for chunk in jobs.chunks(width.max(1)) {
        let results: Vec<Result<(), DockerError>> = std::thread::scope(|scope| {
            let running: Vec<_> = chunk
                .iter()
                .map(|cmds| {
                    scope.spawn(move || {
                        for c in cmds {
                            docker(c)?;
                        }
                        Ok(())
                    })
                })
                .collect();
            running
                .into_iter()
                .map(|j| {
                    j.join().unwrap_or_else(|_| {
                        Err(DockerError::Failed {
                            command: "docker".into(),
                            stderr: "the thread running it panicked".into(),
                        })
                    })
                })
                .collect()
        });
        results.into_iter().collect::<Result<(), _>>()?;
    }
    Ok(())
}

/// Whether a daemon answers (`docker version` within 10 s).
pub fn daemon() -> Result<(), DockerError> {
    let mut child = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(DockerError::Missing)?;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match child.try_wait() {
            Ok(Some(st)) if st.success() => return Ok(()),
            Ok(Some(_)) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                return Err(DockerError::NoDaemon(err.trim().to_string()));
            }
            Ok(None) if std::time::Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50))
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(DockerError::NoDaemon(
                    "`docker version` took over 10 s".into(),
                ));
            }
        }
    }
}

/// This process as the owner label gives it: `PID/START@BOOT/PIDNS` (its
/// start time in clock ticks since boot, the machine's boot id, its pid
/// namespace), so that a reused pid, another boot or another container's
/// process is never taken for it.
pub fn owner() -> String {
    let pid = std::process::id();
    format!(
        "{pid}/{}@{}/{}",
        start_time(pid).unwrap_or_default(),
        boot_id(),
        pid_ns()
    )
}

fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn pid_ns() -> String {
    std::fs::read_link("/proc/self/ns/pid")
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// A process's start time (field 22 of `/proc/PID/stat`).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the command name may hold spaces and parentheses: fields after the last ')'
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// Whether the owner label `label` names a process gone from this machine's
/// pid namespace (false for a live one, and for another boot's or
/// namespace's, which this process cannot judge).
fn gone(label: &str) -> bool {
    let Some((who, place)) = label.split_once('@') else {
        return false;
    };
    if place != format!("{}/{}", boot_id(), pid_ns()) {
        return false;
    }
    let Some((pid, start)) = who.split_once('/') else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    start_time(pid).is_none_or(|t| t.to_string() != start)
}

/// Removes the containers and networks whose making process is gone (a
/// test run killed before its labs were dropped). Returns how many.
pub fn reap() -> usize {
    let mut removed = 0;
    // (id, owner label) of every labelled container (`ps -a`) or network (`network ls`)
    let owned = |list: [&str; 2]| -> Vec<(String, String)> {
        let filter = format!("label={}", super::LABEL_PID);
        let fmt = format!("{{{{.ID}}}} {{{{.Label \"{}\"}}}}", super::LABEL_PID);
        let args = [list[0], list[1], "--filter", &filter, "--format", &fmt];
        docker(&args)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let (id, owner) = l.split_once(' ')?;
                Some((id.to_string(), owner.trim().to_string()))
            })
            .collect()
    };
    let dead: Vec<String> = owned(["ps", "-a"])
        .into_iter()
        .filter(|(_, p)| gone(p))
        .map(|(id, _)| id)
        .collect();
    if !dead.is_empty() {
        let mut args = vec!["rm".to_string(), "-f".into(), "-v".into()];
        args.extend(dead.iter().cloned());
        if docker(&args).is_ok() {
            removed += dead.len();
        }
    }
    for (id, p) in owned(["network", "ls"]) {
        if gone(&p) && docker(&["network", "rm", &id]).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The state of a container (`running`, `exited`…) and its exit code.
pub fn state(name: &str) -> Option<(String, i32)> {
    let out = docker(&[
        "inspect",
        "--format",
        "{{.State.Status}} {{.State.ExitCode}}",
        name,
    ])
    .ok()?;
    let (s, code) = out.split_once(' ')?;
    Some((s.to_string(), code.trim().parse().unwrap_or(-1)))
}

/// The last `n` lines a container printed (stdout and stderr).
pub fn logs_tail(name: &str, n: usize) -> String {
    Command::new("docker")
        .args(["logs", "--tail", &n.to_string(), name])
        .stdin(Stdio::null())
        .output()
        .map(|o| {
            let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
            s.push_str(&String::from_utf8_lossy(&o.stderr));
            s.trim().to_string()
        })
        .unwrap_or_default()
}

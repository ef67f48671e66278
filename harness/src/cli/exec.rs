//! `ccelab exec [--dir DIR] -- CMD [ARGS…]`: run any client tool so that the
//! topology's FQDNs resolve to the emulated hosts, without changing the
//! machine: the command runs in a private mount namespace (`unshare --mount`)
//! in which `DIR/hosts` is bind-mounted over `/etc/hosts`. Java gets
//! `-Djdk.net.hosts.file=DIR/jdk-hosts` through `JDK_JAVA_OPTIONS` as well.
//! Services must listen on their real ports (`ccelab up` without
//! `--ephemeral-ports`) for URLs such as `https://ece.example.com/` to work.
//! Where no private namespace can be made (no privilege), it says what to do
//! instead.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;

use super::Failure;

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// The topology directory (`ccelab up --dir`).
    #[arg(long, default_value = "ccelab-lab")]
    dir: PathBuf,
    /// The command and its arguments (after `--`).
    #[arg(trailing_var_arg = true, required = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

pub fn run(a: ExecArgs) -> Result<i32, Failure> {
    let hosts = std::fs::canonicalize(a.dir.join("hosts")).map_err(|e| {
        Failure::file(
            &a.dir.join("hosts"),
            format!("{e} (is `ccelab up --dir {}` running?)", a.dir.display()),
        )
    })?;
    if !can_unshare() {
        return Err(advice(&a.dir));
    }
    let mut cmd = command(&a.dir, &hosts, &a.command);
    cmd.env("CCELAB_DIR", &a.dir);
    match cmd.status() {
        Ok(s) => Ok(s.code().unwrap_or(128)),
        Err(_) => Err(advice(&a.dir)),
    }
}

/// `argv` as `ccelab exec` runs it for the topology in `dir`: in a private
/// mount namespace with `hosts` over `/etc/hosts` when one can be made
/// ([`can_unshare`]), else directly; Java also gets `-Djdk.net.hosts.file`.
pub fn command(dir: &Path, hosts: &Path, argv: &[String]) -> Command {
    let mut java_opts = std::env::var("JDK_JAVA_OPTIONS").unwrap_or_default();
    java_opts.push_str(&format!(
        " -Djdk.net.hosts.file={}",
        dir.join("jdk-hosts").display()
    ));
    let mut cmd = if can_unshare() {
        let mut c = Command::new("unshare");
        c.args([
            "--mount",
            "--",
            "sh",
            "-c",
            r#"mount --bind "$0" /etc/hosts && exec "$@""#,
        ])
        .arg(hosts)
        .args(argv);
        c
    } else {
        let mut c = Command::new(argv.first().map(String::as_str).unwrap_or("true"));
        c.args(argv.iter().skip(1));
        c
    };
    cmd.env("JDK_JAVA_OPTIONS", java_opts.trim());
    cmd
}

/// Whether this process may make a private mount namespace (probed once).
pub fn can_unshare() -> bool {
    static CAN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CAN.get_or_init(|| {
        Command::new("unshare")
            .args(["--mount", "true"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

fn advice(dir: &std::path::Path) -> Failure {
    Failure::new(
        "exec",
        format!(
            "cannot make a private mount namespace here (needs `unshare --mount`, i.e. root or CAP_SYS_ADMIN); instead add the lines of {0}/hosts to /etc/hosts, or give curl `$(cat {0}/curl-resolve)` and java `-Djdk.net.hosts.file={0}/jdk-hosts`",
            dir.display()
        ),
    )
}

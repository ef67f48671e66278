//! `ccelab exec [--dir DIR] -- CMD [ARGS…]`: run any client tool so that the
//! topology's FQDNs resolve to the emulated hosts, without changing the
//! machine: the command runs in a private mount namespace (`unshare --mount`)
//! in which `DIR/hosts` is bind-mounted over `/etc/hosts`. Java gets
//! `-Djdk.net.hosts.file=DIR/jdk-hosts` through `JDK_JAVA_OPTIONS` as well.
//! Services must listen on their real ports (`ccelab up` without
//! `--ephemeral-ports`) for URLs such as `https://ece.example.com/` to work.
//! Where no private namespace can be made (no privilege), it says what to do
//! instead.

use std::path::PathBuf;

use clap::Args;

use super::Failure;

/// The options of `ccelab exec`: the topology directory and the command.
#[derive(Args, Debug)]
pub struct ExecArgs {
    /// The topology directory (`ccelab up --dir`).
    #[arg(long, default_value = "ccelab-lab")]
    dir: PathBuf,
    /// The command and its arguments (after `--`).
    #[arg(trailing_var_arg = true, required = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

/// Runs the command with `CCELAB_DIR` set, in a private mount namespace
/// where `DIR/hosts` is `/etc/hosts`; Ok(its exit code, 128 when a signal
/// ended it). A [`Failure`] when `DIR/hosts` is missing (no `ccelab up`), or
/// when no namespace can be made or the command cannot be started (it says
/// what to do instead).
pub fn run(a: ExecArgs) -> Result<i32, Failure> {
    let hosts = std::fs::canonicalize(a.dir.join("hosts")).map_err(|e| {
        Failure::file(
            &a.dir.join("hosts"),
            format!("{e} (is `ccelab up --dir {}` running?)", a.dir.display()),
        )
    })?;
    if !crate::exec::can_unshare() {
        return Err(advice(&a.dir));
    }
    let mut cmd = crate::exec::command(&a.dir, &hosts, &a.command);
    cmd.env("CCELAB_DIR", &a.dir);
    match cmd.status() {
        Ok(s) => Ok(s.code().unwrap_or(128)),
        Err(_) => Err(advice(&a.dir)),
    }
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

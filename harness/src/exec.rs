//! Running a real client against the topology as `ccelab exec` does: the
//! command runs in a private mount namespace (`unshare --mount`) in which the
//! lab's `hosts` file is bind-mounted over `/etc/hosts`, so the topology's
//! FQDNs resolve to the emulated hosts without changing the machine; Java
//! also gets `-Djdk.net.hosts.file`. Used by `ccelab exec` and by the
//! `run` / `keytool` actions.

use std::path::Path;
use std::process::Command;

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

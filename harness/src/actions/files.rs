//! Real tools and a host's disk: `keytool` and `run` execute real commands
//! as `ccelab exec` does (the topology's names resolve); `store-delete`,
//! `store-import`, `write-file` and `edit-file` change files on a host's
//! disk the way an administrator would (nothing reloads until a restart: F9).

use std::path::{Path, PathBuf};

use ccelab_emulators::stores::{write_atomic, Keystore, StoreError};

use super::{ActionError, Outcome};
use crate::lab::Lab;

/// How long a `run` or `keytool` command may take before it is killed.
pub(crate) const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// A file of a host's disk: the disk and the real path.
pub(crate) struct DiskFile {
    disk: ccelab_emulators::host::VirtualDisk,
    path: PathBuf,
}

impl DiskFile {
    /// Reads it: a regular file inside the disk, at most
    /// `ccelab_emulators::host::MAX_READ` bytes, nothing blocks on a FIFO.
    fn read(&self) -> Result<Vec<u8>, String> {
        self.disk
            .read(&self.path)
            .map_err(|e| format!("{}: {e}", self.path.display()))
    }
}

/// A Windows path on a host's disk (`%JAVA_HOME%`, `{ECE_HOME}` expand).
pub(crate) fn disk_path(lab: &Lab, host: &str, win: &str) -> Result<PathBuf, ActionError> {
    disk_file(lab, host, win).map(|f| f.path)
}

/// [`disk_path`] with its disk.
fn disk_file(lab: &Lab, host: &str, win: &str) -> Result<DiskFile, ActionError> {
    let h = lab
        .topo
        .host(host)
        .ok_or_else(|| ActionError::no_host(lab, host))?;
    let p = h
        .disk
        .path(win)
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    // a symbolic link out of the disk is refused before anything is read or written
    h.disk
        .check(&p)
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    Ok(DiskFile {
        disk: h.disk.clone(),
        path: p,
    })
}

/// The environment of commands: `CCELAB_DIR`, and per host
/// `CCELAB_<HOST>_{ADDRESS,FQDN,DISK}` and `CCELAB_<HOST>_PORT_<N>` (where
/// product port N really listens).
pub(crate) fn command_env(lab: &Lab) -> Vec<(String, String)> {
    let mut env = vec![("CCELAB_DIR".into(), lab.topo.dir.display().to_string())];
    for h in &lab.topo.hosts {
        let k = h.name.to_ascii_uppercase().replace('-', "_");
        env.push((format!("CCELAB_{k}_ADDRESS"), h.address.to_string()));
        env.push((format!("CCELAB_{k}_FQDN"), h.fqdn.clone()));
        env.push((
            format!("CCELAB_{k}_DISK"),
            h.disk.root().display().to_string(),
        ));
        for (product, bound) in lab.ports_of(&h.name) {
            env.push((format!("CCELAB_{k}_PORT_{product}"), bound.to_string()));
        }
    }
    env
}

/// `keytool` / `run`: runs `argv` as `ccelab exec` does (private mount
/// namespace with the topology's hosts file, where one can be made); killed
/// after [`COMMAND_TIMEOUT`]. `keytool` on the command's PATH is
/// [`keytool_wrapper`]'s.
pub(super) async fn run_command(lab: &Lab, argv: Vec<String>) -> Result<Outcome, ActionError> {
    if argv.is_empty() {
        return Err("an empty command".into());
    }
    let dir = lab.topo.dir.clone();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let wrapper = {
        let (dir, path) = (dir.clone(), path.clone());
        tokio::task::spawn_blocking(move || keytool_wrapper(&dir, &path))
            .await
            .ok()
            .flatten()
    };
    let mut cmd =
        tokio::process::Command::from(crate::exec::command(&dir, &dir.join("hosts"), &argv));
    cmd.envs(command_env(lab))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(bin) = wrapper {
        let mut dirs = vec![bin];
        dirs.extend(std::env::split_paths(&path));
        if let Ok(joined) = std::env::join_paths(dirs) {
            cmd.env("PATH", joined);
        }
    }
    let out = match tokio::time::timeout(COMMAND_TIMEOUT, cmd.output()).await {
        Err(_) => {
            return Err(ActionError::Invalid(format!(
                "`{}` did not finish within {} s (killed)",
                argv.join(" "),
                COMMAND_TIMEOUT.as_secs()
            )))
        }
        Ok(r) => r.map_err(|e| format!("cannot run `{}`: {e}", argv[0]))?,
    };
    let code = out.status.code().unwrap_or(128);
    Ok(Outcome {
        ok: code == 0,
        exit: Some(code),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        ..Outcome::default()
    })
}

/// JVM options for keytool that actions run (`-J` hands them to its JVM):
/// a program that lives a fraction of a second gains nothing from the
/// optimizing compiler, a parallel collector or the perf-data file.
const KEYTOOL_JVM: &str = "-J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC -J-XX:-UsePerfData";

/// The lab's `.ccelab-bin` directory, put first on the PATH of the
/// commands actions run, with a `keytool` that runs the real one (the first
/// `keytool` on `path`) with [`KEYTOOL_JVM`]: the same keytool and the same
/// output, at about 0.6× its CPU time (the JIT compiler threads were a sixth
/// of the scenario catalog's CPU). None when no keytool is installed or the
/// file cannot be written: the command then finds what PATH has.
fn keytool_wrapper(dir: &Path, path: &std::ffi::OsStr) -> Option<PathBuf> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let bin = dir.join(".ccelab-bin");
    let wrapper = bin.join("keytool");
    // only a real folder and file of the lab's: a symbolic link there could
    // lead anywhere, and then PATH gets nothing
    let is_link = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    if is_link(&bin) || is_link(&wrapper) {
        return None;
    }
    if wrapper.is_file() {
        return Some(bin);
    }
    let real = std::env::split_paths(path)
        .filter(|d| *d != bin)
        .map(|d| d.join("keytool"))
        .find(|k| {
            std::fs::metadata(k).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })?;
    let quoted = format!("'{}'", real.display().to_string().replace('\'', r"'\''"));
    let script = format!(
        "#!/bin/sh\n# written by ccelab: the real keytool with JVM options for a short run\nexec {quoted} {KEYTOOL_JVM} \"$@\"\n"
    );
    std::fs::create_dir_all(&bin).ok()?;
    // made executable before it takes its name: a command started meanwhile
    // never finds a keytool it cannot run
    let tmp = bin.join(format!(".keytool.{}", std::process::id()));
    let made = (|| {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o755)
            .open(&tmp)?;
        f.write_all(script.as_bytes())?;
        std::fs::rename(&tmp, &wrapper)
    })();
    if made.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    made.ok().map(|()| bin)
}

/// Loads a store, changes it, saves it in place (keytool's texts on failure).
fn edit_store(
    file: &DiskFile,
    pw: &str,
    f: impl FnOnce(&mut Keystore) -> Result<String, StoreError>,
) -> Result<String, String> {
    let path = &file.path;
    let bytes = file.read()?;
    let mut ks = Keystore::load(&bytes, Some(pw)).map_err(|e| e.keytool_line())?;
    let msg = f(&mut ks).map_err(|e| e.keytool_line())?;
    ks.save(path, pw, None)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(msg)
}

/// Runs a disk job off the async workers.
async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> Result<T, ActionError> + Send + 'static,
) -> Result<T, ActionError> {
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| ActionError::Invalid(format!("a disk job failed: {e}")))?
}

/// `store-delete`: deletes an alias (keytool's `-delete`).
pub(super) async fn store_delete(
    lab: &Lab,
    host: &str,
    path: &str,
    alias: &str,
    password: Option<&str>,
) -> Result<Outcome, ActionError> {
    let file = disk_file(lab, host, path)?;
    let (pw, alias) = (
        password.unwrap_or("changeit").to_string(),
        alias.to_string(),
    );
    blocking(move || {
        Ok(Outcome::from_result(edit_store(&file, &pw, |ks| {
            ks.delete(&alias).map(|_| format!("deleted {alias}"))
        })))
    })
    .await
}

/// `store-import`: imports one of the topology's certificates (keytool's `-importcert`).
pub(super) async fn store_import(
    lab: &Lab,
    host: &str,
    path: &str,
    alias: &str,
    cert: &str,
    password: Option<&str>,
) -> Result<Outcome, ActionError> {
    let file = disk_file(lab, host, path)?;
    let t = &lab.topo;
    let cert = match cert {
        "root" => t.root.cert.clone(),
        "issuing" => t.issuing.cert.clone(),
        "ece-web" => t.ece_web.cert.clone(),
        "dc" => t.dc.cert.clone(),
        other => {
            return Err(ActionError::Invalid(format!(
                "cert `{other}`: one of root, issuing, ece-web, dc"
            )))
        }
    };
    let now = t.clock.now();
    let (pw, alias) = (
        password.unwrap_or("changeit").to_string(),
        alias.to_string(),
    );
    blocking(move || {
        Ok(Outcome::from_result(edit_store(&file, &pw, |ks| {
            ks.import_cert(&alias, cert, now)
                .map(|_| format!("imported {alias}"))
        })))
    })
    .await
}

/// `write-file`: writes a file on a host's disk (atomically).
pub(super) async fn write_file(
    lab: &Lab,
    host: &str,
    path: &str,
    text: &str,
) -> Result<Outcome, ActionError> {
    let path = disk_path(lab, host, path)?;
    let text = text.to_string();
    blocking(move || {
        Ok(Outcome::from_result(
            write_atomic(&path, text.as_bytes())
                .map(|_| "written".to_string())
                .map_err(|e| e.to_string()),
        ))
    })
    .await
}

/// `edit-file`: replaces text in a file on a host's disk (the text must be there).
pub(super) async fn edit_file(
    lab: &Lab,
    host: &str,
    path: &str,
    [old, new]: &[String; 2],
) -> Result<Outcome, ActionError> {
    let file = disk_file(lab, host, path)?;
    let (old, new) = (old.clone(), new.clone());
    blocking(move || {
        let path = &file.path;
        let text = String::from_utf8(file.read()?)
            .map_err(|_| format!("{}: not a UTF-8 text file", path.display()))?;
        if !text.contains(old.as_str()) {
            return Err(format!("{}: `{old}` is not in the file", path.display()).into());
        }
        Ok(Outcome::from_result(
            write_atomic(path, text.replace(old.as_str(), &new).as_bytes())
                .map(|_| "edited".to_string())
                .map_err(|e| e.to_string()),
        ))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keytool_wrapper_runs_the_real_one_with_the_jvm_options() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let (lab, jdk) = (t.path().join("lab"), t.path().join("jdk bin"));
        std::fs::create_dir_all(&jdk).unwrap();
        // no keytool on PATH: no wrapper, the command finds what PATH has
        assert_eq!(keytool_wrapper(&lab, jdk.as_os_str()), None);
        let real = jdk.join("keytool");
        std::fs::write(&real, "#!/bin/sh\necho \"$@\"\n").unwrap();
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([lab.join(".ccelab-bin"), jdk.clone()]).unwrap();
        let bin = keytool_wrapper(&lab, &path).unwrap();
        assert_eq!(bin, lab.join(".ccelab-bin"));
        let out = std::process::Command::new(bin.join("keytool"))
            .args(["-list", "-alias", "it's"])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("{KEYTOOL_JVM} -list -alias it's\n")
        );
        // made once per lab
        assert_eq!(keytool_wrapper(&lab, &path), Some(bin));
        // a symbolic link in its place is neither followed nor put on PATH
        let other = t.path().join("other");
        std::fs::create_dir_all(&other).unwrap();
        let lab2 = t.path().join("lab2");
        std::fs::create_dir_all(&lab2).unwrap();
        std::os::unix::fs::symlink(&other, lab2.join(".ccelab-bin")).unwrap();
        assert_eq!(keytool_wrapper(&lab2, &path), None);
        assert!(!other.join("keytool").exists());
    }
}

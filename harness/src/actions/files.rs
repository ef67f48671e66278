//! Real tools and a host's disk: `keytool` and `run` execute real commands
//! as `ccelab exec` does (the topology's names resolve); `store-delete`,
//! `store-import`, `write-file` and `edit-file` change files on a host's
//! disk the way an administrator would (nothing reloads until a restart: F9).

use std::path::PathBuf;

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
/// after [`COMMAND_TIMEOUT`].
pub(super) async fn run_command(lab: &Lab, argv: Vec<String>) -> Result<Outcome, ActionError> {
    if argv.is_empty() {
        return Err("an empty command".into());
    }
    let dir = &lab.topo.dir;
    let mut cmd =
        tokio::process::Command::from(crate::exec::command(dir, &dir.join("hosts"), &argv));
    cmd.envs(command_env(lab))
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
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

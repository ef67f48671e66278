//! Emulated hosts' virtual disks and services.
//!
//! Each emulated machine of the topology (an AW/ADS, an ECE server, a CVP
//! server) is a host: a disk holding its files plus the services that read
//! them. A host's disk is a real directory in which Windows paths map in one
//! documented way, so that a real tool (keytool, an editor, a script) edits the
//! same files the emulated product reads (docs/requirements.md §1):
//!
//! * `C:\icm\tomcat\logs` → `<disk>/C/icm/tomcat/logs` (drive letter upper-case,
//!   separators `\` or `/`, case kept as given);
//! * `%JAVA_HOME%`, `%CVP_HOME%`, `%ECE_HOME%` and `{ECE_HOME}` expand to the
//!   host's fixed install paths ([`JAVA_HOME`], [`CVP_HOME`], [`ECE_HOME`]);
//! * `..` components and paths without a drive are refused, so nothing
//!   escapes the disk.
//!
//! A [`Service`] reads its configuration and trust when it starts and keeps it
//! until it restarts — a keytool import without a restart changes nothing
//! (F9; docs/requirements.md §2 "Trust changes take effect only after a restart").

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// `%JAVA_HOME%` on every emulated Windows host (the AW/ADS keeps its
/// `cacerts` at `%JAVA_HOME%\lib\security\cacerts`).
pub const JAVA_HOME: &str = r"C:\Program Files\Java\jre";
/// `%CVP_HOME%` on CVP servers.
pub const CVP_HOME: &str = r"C:\Cisco\CVP";
/// `{ECE_HOME}` on ECE servers.
pub const ECE_HOME: &str = r"C:\ECE";

/// Why a Windows path cannot be mapped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DiskError {
    /// The path has no drive letter (`\icm`, `icm\logs`).
    #[error("`{0}` is not an absolute Windows path (it needs a drive, e.g. C:\\…)")]
    NotAbsolute(String),
    /// The path has a `..` component, which could leave the disk's directory.
    #[error("`{0}` leaves the disk (`..` is not allowed)")]
    Escapes(String),
    /// The path names a `%VARIABLE%` other than `JAVA_HOME`, `CVP_HOME` and
    /// `ECE_HOME` (the path, the variable's name).
    #[error("`{0}`: unknown variable `{1}`")]
    UnknownVariable(String, String),
}

/// One host's disk.
#[derive(Clone, Debug)]
pub struct VirtualDisk {
    root: PathBuf,
}

impl VirtualDisk {
    /// The disk whose drives are the subdirectories (`C`, `D`, …) of `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        VirtualDisk { root: root.into() }
    }

    /// The directory holding the drives.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Expands `%JAVA_HOME%`-style and `{ECE_HOME}` variables.
    pub fn expand(windows: &str) -> Result<String, DiskError> {
        let mut out = windows.to_string();
        for (names, value) in [
            (["%JAVA_HOME%", "{JAVA_HOME}"], JAVA_HOME),
            (["%CVP_HOME%", "{CVP_HOME}"], CVP_HOME),
            (["%ECE_HOME%", "{ECE_HOME}"], ECE_HOME),
        ] {
            for n in names {
                out = out.replace(n, value);
            }
        }
        if let Some(start) = out.find('%') {
            let rest = &out[start + 1..];
            if let Some(end) = rest.find('%') {
                return Err(DiskError::UnknownVariable(
                    windows.into(),
                    rest[..end].to_string(),
                ));
            }
        }
        Ok(out)
    }

    /// The real path of a Windows path on this disk.
    pub fn path(&self, windows: &str) -> Result<PathBuf, DiskError> {
        let w = Self::expand(windows)?;
        let b = w.as_bytes();
        if b.len() < 2 || !b[0].is_ascii_alphabetic() || b[1] != b':' {
            return Err(DiskError::NotAbsolute(windows.into()));
        }
        let mut p = self
            .root
            .join((b[0] as char).to_ascii_uppercase().to_string());
        for part in w[2..]
            .split(['\\', '/'])
            .filter(|s| !s.is_empty() && *s != ".")
        {
            if part == ".." {
                return Err(DiskError::Escapes(windows.into()));
            }
            p.push(part);
        }
        Ok(p)
    }
}

/// A service's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceState {
    /// Started: it serves what it loaded at its start.
    Running,
    /// Not started, or stopped: it has nothing loaded.
    Stopped,
}

/// A service that loads `T` (its configuration and trust) from the disk when
/// it starts and keeps it until it restarts.
#[derive(Clone)]
pub struct Service<T: Clone> {
    /// The service's Windows name (`Apache Tomcat`, `Cisco Service`, `callserver`).
    pub name: String,
    inner: Arc<RwLock<(ServiceState, Option<T>)>>,
    load: Arc<dyn Fn() -> T + Send + Sync>,
}

impl<T: Clone> Service<T> {
    /// A stopped service whose start runs `load`.
    pub fn new(name: impl Into<String>, load: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Service {
            name: name.into(),
            inner: Arc::new(RwLock::new((ServiceState::Stopped, None))),
            load: Arc::new(load),
        }
    }

    /// Starts the service: runs its load and keeps the result (on a running
    /// service this reloads, as a restart does).
    pub fn start(&self) {
        let loaded = (self.load)();
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) =
            (ServiceState::Running, Some(loaded));
    }

    /// Stops the service and drops what it loaded.
    pub fn stop(&self) {
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = (ServiceState::Stopped, None);
    }

    /// Stops and starts the service: the only way changes on the disk reach it.
    pub fn restart(&self) {
        self.stop();
        self.start();
    }

    /// Whether the service is running.
    pub fn state(&self) -> ServiceState {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).0
    }

    /// What the service loaded at its last start (None while stopped).
    pub fn loaded(&self) -> Option<T> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_paths_map_into_the_disk() {
        let d = VirtualDisk::new("/lab/hosts/ads-a");
        assert_eq!(
            d.path(r"C:\icm\tomcat\logs").unwrap(),
            PathBuf::from("/lab/hosts/ads-a/C/icm/tomcat/logs")
        );
        assert_eq!(
            d.path(r"%JAVA_HOME%\lib\security\cacerts").unwrap(),
            PathBuf::from("/lab/hosts/ads-a/C/Program Files/Java/jre/lib/security/cacerts")
        );
        assert_eq!(
            d.path(r"{ECE_HOME}\eService\templates\finesse\gadget\spog\spog_config.js")
                .unwrap(),
            PathBuf::from(
                "/lab/hosts/ads-a/C/ECE/eService/templates/finesse/gadget/spog/spog_config.js"
            )
        );
        assert_eq!(
            d.path("d:/temp/x.crt").unwrap(),
            PathBuf::from("/lab/hosts/ads-a/D/temp/x.crt")
        );
        assert_eq!(
            d.path(r"C:\a\..\..\etc"),
            Err(DiskError::Escapes(r"C:\a\..\..\etc".into()))
        );
        assert_eq!(d.path(r"\icm"), Err(DiskError::NotAbsolute(r"\icm".into())));
        assert!(matches!(d.path(r"%FOO%\x"), Err(DiskError::UnknownVariable(_, v)) if v == "FOO"));
    }

    #[test]
    fn a_service_keeps_what_it_loaded_until_restarted() {
        let source = Arc::new(RwLock::new(1));
        let s2 = source.clone();
        let svc = Service::new("Apache Tomcat", move || *s2.read().unwrap());
        assert_eq!(svc.loaded(), None);
        svc.start();
        assert_eq!(svc.loaded(), Some(1));
        *source.write().unwrap() = 2; // keytool -import on the disk
        assert_eq!(svc.loaded(), Some(1), "F9: no effect before the restart");
        svc.restart();
        assert_eq!(svc.loaded(), Some(2));
        svc.stop();
        assert_eq!(svc.state(), ServiceState::Stopped);
        assert_eq!(svc.loaded(), None);
    }
}

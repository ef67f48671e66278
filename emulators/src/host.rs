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
//! Products read and write their disk only through [`VirtualDisk::read`],
//! [`VirtualDisk::append`] and [`VirtualDisk::check`] (or the free
//! functions behind them): a symbolic link that leads outside the disk, a
//! FIFO, a device or an oversized file is refused with a message that says
//! so, and nothing blocks on a FIFO.
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
    #[error("`{0}` is not an absolute path (it needs a drive, e.g. C:\\…, or a leading / on a Linux appliance)")]
    NotAbsolute(String),
    /// The path has a `..` component, which could leave the disk's directory.
    #[error("`{0}` leaves the disk (`..` is not allowed)")]
    Escapes(String),
    /// The path names a `%VARIABLE%` other than `JAVA_HOME`, `CVP_HOME` and
    /// `ECE_HOME` (the path, the variable's name).
    #[error("`{0}`: unknown variable `{1}`")]
    UnknownVariable(String, String),
    /// A symbolic link on the way leads outside the host's disk.
    #[error("{0}: a symbolic link leads outside the host's disk; refused")]
    LeavesDisk(String),
    /// Not a regular file (a FIFO, a device, a socket, a directory).
    #[error("{0}: not a regular file; refused")]
    NotAFile(String),
    /// Larger than a product reads (the path, the limit in bytes).
    #[error("{0}: larger than {1} bytes; refused")]
    TooLarge(String, u64),
    /// The operating system's error (its text only: callers name the file).
    #[error("{1}")]
    Io(String, String),
}

/// The largest file a product reads from a disk (a keystore, a
/// configuration, a PFX is far smaller).
pub const MAX_READ: u64 = 16 << 20;

fn io_err(path: &Path, e: &std::io::Error) -> DiskError {
    DiskError::Io(path.display().to_string(), e.to_string())
}

/// Checks that `path`, a path under `root`, does not leave `root`: no `..`,
/// and no symbolic link on the way (the file itself included) that resolves
/// outside `root`. Components that do not exist yet are fine.
pub fn check_within(root: &Path, path: &Path) -> Result<(), DiskError> {
    let shown = || path.display().to_string();
    let rel = path
        .strip_prefix(root)
        .map_err(|_| DiskError::LeavesDisk(shown()))?;
    let Ok(root_real) = root.canonicalize() else {
        return Ok(()); // nothing of the disk exists yet
    };
    let mut cur = root.to_path_buf();
    for c in rel.components() {
        match c {
            std::path::Component::Normal(n) => cur.push(n),
            std::path::Component::CurDir => continue,
            _ => return Err(DiskError::LeavesDisk(shown())),
        }
        match std::fs::symlink_metadata(&cur) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_err(path, &e)),
            Ok(m) if m.file_type().is_symlink() => match cur.canonicalize() {
                Ok(t) if t.starts_with(&root_real) => {}
                // dangling or outside
                _ => return Err(DiskError::LeavesDisk(shown())),
            },
            Ok(_) => {}
        }
    }
    Ok(())
}

/// Opens `path` without blocking on a FIFO, and refuses anything but a regular file.
fn open_regular(
    path: &Path,
    options: &mut std::fs::OpenOptions,
) -> Result<std::fs::File, DiskError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let f = options
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| io_err(path, &e))?;
    let m = f.metadata().map_err(|e| io_err(path, &e))?;
    if !m.is_file() {
        return Err(DiskError::NotAFile(path.display().to_string()));
    }
    Ok(f)
}

/// Opens `path` to read without blocking on a FIFO: a regular file only
/// (for readers that seek, such as log followers; check the path first).
pub fn open_file(path: &Path) -> Result<std::fs::File, DiskError> {
    open_regular(path, std::fs::OpenOptions::new().read(true))
}

/// Reads `name`, a file a topology file names: relative, in the topology
/// file's folder `base_dir` or below it (no `..`, no absolute path, no link
/// out of it), a regular file of at most [`MAX_READ`] bytes. The error names
/// the file.
pub fn read_below(base_dir: &Path, name: &str) -> Result<Vec<u8>, String> {
    let p = Path::new(name);
    if name.is_empty()
        || p.is_absolute()
        || p.components().any(|c| {
            !matches!(
                c,
                std::path::Component::Normal(_) | std::path::Component::CurDir
            )
        })
    {
        return Err(format!(
            "`{name}`: the file must be in the topology file's folder or below it"
        ));
    }
    let path = base_dir.join(p);
    // the folder itself as the system resolves it (`..`, a linked folder):
    // only what is below it is checked for links out
    let base = std::fs::canonicalize(base_dir)
        .or_else(|_| std::path::absolute(base_dir))
        .unwrap_or_else(|_| base_dir.to_path_buf());
    let full = base.join(p);
    read_within(&base, &full, MAX_READ).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads `path` (under `root`): at most `max` bytes, a regular file inside the disk.
pub fn read_within(root: &Path, path: &Path, max: u64) -> Result<Vec<u8>, DiskError> {
    use std::io::Read as _;
    check_within(root, path)?;
    let f = open_regular(path, std::fs::OpenOptions::new().read(true))?;
    let mut out = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| io_err(path, &e))?;
    if out.len() as u64 > max {
        return Err(DiskError::TooLarge(path.display().to_string(), max));
    }
    Ok(out)
}

/// Appends `bytes` to `path` (under `root`; created if missing), a regular
/// file inside the disk.
pub fn append_within(root: &Path, path: &Path, bytes: &[u8]) -> Result<(), DiskError> {
    use std::io::Write as _;
    check_within(root, path)?;
    let mut f = open_regular(path, std::fs::OpenOptions::new().create(true).append(true))?;
    f.write_all(bytes).map_err(|e| io_err(path, &e))
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

    /// Reads a file of this disk ([`read_within`], at most [`MAX_READ`] bytes).
    pub fn read(&self, path: &Path) -> Result<Vec<u8>, DiskError> {
        read_within(&self.root, path, MAX_READ)
    }

    /// Reads a text file of this disk (invalid UTF-8 is replaced).
    pub fn read_string(&self, path: &Path) -> Result<String, DiskError> {
        self.read(path)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// Appends to a file of this disk ([`append_within`]).
    pub fn append(&self, path: &Path, bytes: &[u8]) -> Result<(), DiskError> {
        append_within(&self.root, path, bytes)
    }

    /// Checks that a path of this disk stays inside it ([`check_within`]):
    /// before writing or replacing a file.
    pub fn check(&self, path: &Path) -> Result<(), DiskError> {
        check_within(&self.root, path)
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

    /// The real path of a Windows path on this disk (`C:\icm\…`), or of
    /// an absolute Unix path on a Linux appliance's disk (`/opt/cisco/…`,
    /// under the disk's root).
    pub fn path(&self, windows: &str) -> Result<PathBuf, DiskError> {
        let w = Self::expand(windows)?;
        let b = w.as_bytes();
        let (mut p, rest) = if b.first() == Some(&b'/') {
            (self.root.clone(), &w[1..])
        } else if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
            (
                self.root
                    .join((b[0] as char).to_ascii_uppercase().to_string()),
                &w[2..],
            )
        } else {
            return Err(DiskError::NotAbsolute(windows.into()));
        };
        for part in rest
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
        assert_eq!(
            d.path("/opt/cisco/desktop/logs").unwrap(),
            d.root().join("opt/cisco/desktop/logs")
        );
        assert_eq!(
            d.path("/opt/../../x"),
            Err(DiskError::Escapes("/opt/../../x".into()))
        );
        assert!(matches!(d.path(r"%FOO%\x"), Err(DiskError::UnknownVariable(_, v)) if v == "FOO"));
    }

    #[test]
    fn reads_and_writes_stay_on_the_disk() {
        let d = tempfile::tempdir().unwrap();
        let outside = d.path().join("outside.txt");
        std::fs::write(&outside, "secret").unwrap();
        let disk = VirtualDisk::new(d.path().join("disk"));
        let dir = disk.path(r"C:\logs").unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        // a file and a link that stays inside are fine
        std::fs::write(dir.join("a.txt"), "inside").unwrap();
        std::os::unix::fs::symlink(dir.join("a.txt"), dir.join("in.txt")).unwrap();
        assert_eq!(disk.read(&dir.join("in.txt")).unwrap(), b"inside");
        disk.append(&dir.join("new.log"), b"x").unwrap();
        assert_eq!(std::fs::read(dir.join("new.log")).unwrap(), b"x");
        // a link out: neither read nor appended to
        std::os::unix::fs::symlink(&outside, dir.join("out.txt")).unwrap();
        let out = dir.join("out.txt");
        assert!(matches!(disk.read(&out), Err(DiskError::LeavesDisk(_))));
        assert!(matches!(
            disk.append(&out, b"x"),
            Err(DiskError::LeavesDisk(_))
        ));
        // a directory on the way that links out
        std::os::unix::fs::symlink(d.path(), dir.join("up")).unwrap();
        let via = dir.join("up").join("outside.txt");
        assert!(matches!(disk.read(&via), Err(DiskError::LeavesDisk(_))));
        assert!(disk.check(&dir.join("up").join("new")).is_err());
        // a dangling link is refused too
        std::os::unix::fs::symlink(d.path().join("nowhere"), dir.join("dangling")).unwrap();
        assert!(disk.append(&dir.join("dangling"), b"x").is_err());
        assert!(!d.path().join("nowhere").exists());
        assert_eq!(std::fs::read(&outside).unwrap(), b"secret");
        // not there: the OS's words
        let e = disk.read(&dir.join("missing")).unwrap_err();
        assert!(
            matches!(&e, DiskError::Io(_, m) if m.contains("No such file or directory")),
            "{e}"
        );
        // too large
        std::fs::write(dir.join("big"), vec![0u8; 100]).unwrap();
        assert!(matches!(
            read_within(disk.root(), &dir.join("big"), 99),
            Err(DiskError::TooLarge(_, 99))
        ));
        assert_eq!(
            read_within(disk.root(), &dir.join("big"), 100)
                .unwrap()
                .len(),
            100
        );
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let d = tempfile::tempdir().unwrap();
        let disk = VirtualDisk::new(d.path());
        let fifo = d.path().join("C").join("fifo");
        std::fs::create_dir_all(fifo.parent().unwrap()).unwrap();
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: mkfifo with a valid NUL-terminated path
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // no writer: a blocking open would wait forever
        assert!(matches!(disk.read(&fifo), Err(DiskError::NotAFile(_))));
        assert!(matches!(open_file(&fifo), Err(DiskError::NotAFile(_))));
        // appending to a FIFO without a reader fails at once (ENXIO) or is refused
        assert!(disk.append(&fifo, b"x").is_err());
        assert!(matches!(disk.read(d.path()), Err(DiskError::NotAFile(_))));
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

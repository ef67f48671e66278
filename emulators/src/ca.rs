//! The Microsoft CA (AD CS) of the deployment: an enterprise root CA and an
//! issuing CA ([ECE] 1.1 option 2, [SEC]; docs/requirements.md §1). It
//! serves nothing on the network (its certificates are on the disks, and
//! `ccelab pki sign` signs CSRs as it would); its disk holds both
//! certificates as PEM.

use crate::host::VirtualDisk;
use crate::pki::Certificate;
use crate::product::{write_file, ProductError};

/// Where the CA's certificates are on its disk.
pub const CA_DIR: &str = r"C:\ccelab\ca";

/// Writes the root and issuing CA certificates (`root.pem`, `issuing.pem`).
pub fn write_disk(
    host: &str,
    disk: &VirtualDisk,
    root: &Certificate,
    issuing: &Certificate,
) -> Result<(), ProductError> {
    let dir = disk.path(CA_DIR).map_err(|e| ProductError::new(host, e))?;
    for (f, c) in [("root.pem", root), ("issuing.pem", issuing)] {
        write_file(host, &dir.join(f), c.to_pem().as_bytes())?;
    }
    Ok(())
}

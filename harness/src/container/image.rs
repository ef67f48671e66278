//! The image every host's container runs: FROM scratch, one statically
//! linked `ccelab` (no base image can be pulled here: there is no
//! registry). `ccelab image build` makes it from a static binary:
//!
//! ```sh
//! RUSTFLAGS="-C target-feature=+crt-static" \
//!   cargo build --release -p ccelab --target x86_64-unknown-linux-gnu
//! target/x86_64-unknown-linux-gnu/release/ccelab image build
//! ```

use std::path::{Path, PathBuf};

use super::docker::{docker, DockerError};

/// The command that builds the static binary (the README's, and the hint of every error here).
pub const STATIC_BUILD: &str = "RUSTFLAGS=\"-C target-feature=+crt-static\" cargo build --release -p ccelab --target x86_64-unknown-linux-gnu";

/// Where [`STATIC_BUILD`] puts the binary, from the workspace's top.
pub const STATIC_BINARY: &str = "target/x86_64-unknown-linux-gnu/release/ccelab";

/// The Dockerfile of the image (the build context holds only the binary).
pub const DOCKERFILE: &str =
    "FROM scratch\nCOPY ccelab /ccelab\nENTRYPOINT [\"/ccelab\"]\nCMD [\"--help\"]\n";

/// Why the image was not built.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The binary is not there or not readable.
    #[error("{}: {problem}", path.display())]
    Binary {
        /// The binary.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// Docker refused.
    #[error(transparent)]
    Docker(#[from] DockerError),
}

/// Whether the ELF file `bytes` runs without a dynamic loader (no
/// `PT_INTERP` program header): a binary a FROM-scratch image can run.
pub fn is_static_elf(bytes: &[u8]) -> Result<bool, String> {
    if bytes.len() < 64 || &bytes[..4] != b"\x7fELF" {
        return Err("not an ELF executable".into());
    }
    if bytes[4] != 2 || bytes[5] != 1 {
        return Err("not a 64-bit little-endian ELF executable".into());
    }
    let u16_at = |o: usize| {
        bytes
            .get(o..o + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]))
    };
    let u64_at = |o: usize| {
        bytes
            .get(o..o + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
    };
    let (Some(phoff), Some(entsize), Some(num)) = (u64_at(0x20), u16_at(0x36), u16_at(0x38)) else {
        return Err("its ELF header is cut short".into());
    };
    for i in 0..usize::from(num) {
        let at = usize::try_from(phoff)
            .ok()
            .and_then(|p| p.checked_add(i * usize::from(entsize)))
            .ok_or("its program headers lie outside the file")?;
        let p_type = at
            .checked_add(4)
            .and_then(|end| bytes.get(at..end))
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .ok_or("its program headers lie outside the file")?;
        // PT_INTERP: the path of the dynamic loader
        if p_type == 3 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Builds the image `tag` from the static binary at `binary`; returns its
/// size in bytes.
pub fn build(binary: &Path, tag: &str) -> Result<u64, ImageError> {
    let err = |problem: String| ImageError::Binary {
        path: binary.to_path_buf(),
        problem,
    };
    let bytes = std::fs::read(binary).map_err(|e| err(e.to_string()))?;
    match is_static_elf(&bytes) {
        Ok(true) => {}
        Ok(false) => {
            return Err(err(format!(
                "linked dynamically (it names a loader), so a FROM-scratch image cannot run it; build a static one: {STATIC_BUILD}"
            )))
        }
        Err(e) => return Err(err(e)),
    }
    // removed when dropped, whatever happens
    let dir = tempfile::tempdir().map_err(|e| err(format!("a build folder: {e}")))?;
    let context = dir.path();
    std::fs::write(context.join("Dockerfile"), DOCKERFILE)
        .map_err(|e| err(format!("writing the build context: {e}")))?;
    std::fs::write(context.join("ccelab"), &bytes)
        .map_err(|e| err(format!("writing the build context: {e}")))?;
    // symbols are not needed to run (smaller image); strip if binutils is there
    let _ = std::process::Command::new("strip")
        .arg("--strip-all")
        .arg(context.join("ccelab"))
        .stderr(std::process::Stdio::null())
        .status();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(
            context.join("ccelab"),
            std::fs::Permissions::from_mode(0o755),
        )
        .map_err(|e| err(e.to_string()))?;
    }
    docker(&[
        "build".as_ref(),
        "--quiet".as_ref(),
        "--label".as_ref(),
        "ccelab.image=1".as_ref(),
        "-t".as_ref(),
        tag.as_ref(),
        context.as_os_str(),
    ])?;
    let size = docker(&["image", "inspect", "--format", "{{.Size}}", tag])?;
    Ok(size.parse().unwrap_or(0))
}

/// Whether the image `tag` exists.
pub fn exists(tag: &str) -> bool {
    docker(&["image", "inspect", "--format", "{{.Id}}", tag]).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dynamic_binary_names_its_loader() {
        // the test binary itself is linked dynamically (no crt-static in tests)
        let me = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(is_static_elf(&me), Ok(false));
        assert!(is_static_elf(b"#!/bin/sh\n").is_err());
        let mut cut = me[..64].to_vec();
        cut[0x20..0x28].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(is_static_elf(&cut).is_err());
    }
}

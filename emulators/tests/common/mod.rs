//! Helpers shared by the interop tests: runners for the real tools (openssl,
//! keytool, curl, java), the keytool-made fixture files, and the example PKI
//! (the AD CS enterprise root and issuing CA) the tests issue from. A missing
//! tool is a test failure with a clear message, never a silent skip:
//! `.ci/run` installs them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use ccelab_emulators::pki::{keypool, Ca, KeyPair, KeyType};
use time::macros::datetime;
use time::OffsetDateTime;

/// The instant the tests' fixed clocks start at.
pub(crate) const T0: OffsetDateTime = datetime!(2026-01-01 0:00 UTC);

/// Key `(kt, i)` of the deterministic key pool.
pub(crate) fn pool_key(kt: KeyType, i: usize) -> Arc<KeyPair> {
    keypool::key(kt, i).unwrap()
}

/// The example enterprise root CA (`ccelab_emulators::pki::example`).
pub(crate) fn example_root(
    key: Arc<KeyPair>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Ca {
    ccelab_emulators::pki::example::example_root(key, not_before, not_after).unwrap()
}

/// The example issuing CA below `root` (`ccelab_emulators::pki::example`).
pub(crate) fn example_issuing(
    root: &Ca,
    key: Arc<KeyPair>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Ca {
    ccelab_emulators::pki::example::example_issuing(root, key, not_before, not_after).unwrap()
}

/// Runs `tool args…` and returns its output; panics if the tool is missing.
pub(crate) fn run(tool: &str, args: &[&str]) -> Output {
    run_in(None, tool, args)
}

/// Runs `tool args…` in `dir` under the C locale (`LC_ALL=C`, `LANG=C`), so
/// that the tools print their untranslated texts.
pub(crate) fn run_in(dir: Option<&Path>, tool: &str, args: &[&str]) -> Output {
    spawn(dir, tool, args, &[("LC_ALL", "C"), ("LANG", "C")])
}

/// Runs `tool args…` in `dir` under `LC_ALL=C.UTF-8`: keytool then decodes
/// non-ASCII arguments (passwords) as UTF-8, where the C locale would mangle them.
pub(crate) fn run_utf8_in(dir: &Path, tool: &str, args: &[&str]) -> Output {
    spawn(Some(dir), tool, args, &[("LC_ALL", "C.UTF-8")])
}

fn spawn(dir: Option<&Path>, tool: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(tool);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    if let Some(d) = dir {
        c.current_dir(d);
    }
    match c.output() {
        Ok(o) => o,
        Err(e) => panic!(
            "cannot run `{tool}` ({e}): install it (bash .ci/run installs what the tests need)"
        ),
    }
}

/// stdout + stderr as text.
pub(crate) fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Asserts that the run of `tool args…` succeeded; returns its combined output.
fn succeeded(tool: &str, args: &[&str], o: &Output) -> String {
    let t = text(o);
    assert!(
        o.status.success(),
        "`{tool} {}` failed:\n{t}",
        args.join(" ")
    );
    t
}

/// Runs and asserts success, returning the combined output.
pub(crate) fn ok(tool: &str, args: &[&str]) -> String {
    succeeded(tool, args, &run(tool, args))
}

/// [`run_utf8_in`] and assert success, returning the combined output.
pub(crate) fn ok_utf8_in(dir: &Path, tool: &str, args: &[&str]) -> String {
    succeeded(tool, args, &run_utf8_in(dir, tool, args))
}

/// A file path inside a temp dir, as a String.
pub(crate) fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// The keytool-made fixture files in `shared/fixtures/keystores` (see their
/// README.md).
pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/keystores")
        .join(name)
}

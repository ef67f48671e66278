//! Helpers shared by the interop tests that run the real tools (openssl,
//! keytool). A missing tool is a test failure with a clear message, never a
//! silent skip: `.ci/run` installs them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use time::macros::datetime;
use time::OffsetDateTime;

/// The instant the tests' fixed clocks start at.
pub const T0: OffsetDateTime = datetime!(2026-01-01 0:00 UTC);

/// Runs `tool args…` and returns its output; panics if the tool is missing.
pub fn run(tool: &str, args: &[&str]) -> Output {
    run_in(None, tool, args)
}

/// Runs `tool args…` in `dir`.
pub fn run_in(dir: Option<&Path>, tool: &str, args: &[&str]) -> Output {
    let mut c = Command::new(tool);
    c.args(args).env("LC_ALL", "C").env("LANG", "C");
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
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs and asserts success, returning the combined output.
pub fn ok(tool: &str, args: &[&str]) -> String {
    let o = run(tool, args);
    assert!(
        o.status.success(),
        "`{tool} {}` failed:\n{}",
        args.join(" "),
        text(&o)
    );
    text(&o)
}

/// A file path inside a temp dir, as a String.
pub fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// The shared fixtures made by the real keytool.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/keystores")
        .join(name)
}

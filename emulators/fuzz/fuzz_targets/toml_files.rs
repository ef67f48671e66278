//! Topology files and scenario files (TOML): parsed or refused with a
//! FILE:LINE:COLUMN error, never a panic. The first byte chooses which.
#![no_main]
use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if kind % 2 == 0 {
        let _ = ccelab::topology_file::parse(Path::new("t.toml"), text);
    } else {
        let _ = ccelab::scenario::Scenario::parse(Path::new("s.toml"), text);
    }
});

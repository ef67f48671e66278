//! The control API's request bodies: an `Action` as JSON, read, described
//! and its texts walked as the runner substitutes them.
#![no_main]
use ccelab::actions::Action;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = serde_json::from_slice::<Action>(data) {
        let _ = a.name();
        let _ = a.remote_allowed();
        let _ = a.map_text(&mut |v| Ok(v.to_string()));
    }
});

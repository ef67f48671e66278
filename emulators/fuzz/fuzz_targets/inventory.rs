//! CCE Administration's machine inventory bodies: the `<machine>` XML of the
//! REST API and the 4000/12000-agent CSV upload, checked as the API checks
//! them (all rows or none).
#![no_main]
use std::sync::Arc;

use ccelab_emulators::cce_admin::inventory::{Inventory, InventoryEnv, MachineXml};
use ccelab_emulators::network::{Network, Unreachable};
use libfuzzer_sys::fuzz_target;

struct NoNames;
impl Network for NoNames {
    fn endpoint(&self, _: &str, _: u16) -> Result<std::net::SocketAddr, Unreachable> {
        Err(Unreachable::UnknownHost)
    }
    fn address(&self, _: &str) -> Option<std::net::IpAddr> {
        None
    }
    fn canonical_name(&self, name: &str) -> Option<String> {
        name.ends_with(".example.com").then(|| name.to_ascii_lowercase())
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let env = InventoryEnv {
        app_instance: "Main_PS1_Multichannel".into(),
        csv_upload: true,
        network: Arc::new(NoNames),
    };
    let mut inv = Inventory::documented(&env, "ece.example.com", Some("pw".into()));
    // POST /unifiedconfig/config/machineinventory, as the API parses it
    if let Ok(m) = quick_xml::de::from_str::<MachineXml>(text) {
        let _ = inv.add(&env, m.to_new());
    }
    let _ = inv.upload_csv(&env, text);
});

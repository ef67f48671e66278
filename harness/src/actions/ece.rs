//! ECE's own administration: its users' passwords (F12), the Partition
//! Administration Configuration of partition-administrator SSO ([ECE] 2.2;
//! F4, F5, F14–F16) and the processes' maximum trace level (docs/requirements.md §6).

use super::{ActionError, Outcome, PartitionAdminFields};
use crate::lab::Lab;

/// `ece-password`: changes an ECE user's password in ECE; the inventory keeps
/// the old one until it is edited (F12).
pub(super) fn set_password(lab: &Lab, user: &str, password: &str) -> Result<Outcome, ActionError> {
    lab.set_ece_password(user, password)?;
    Ok(Outcome::ok("password changed"))
}

/// `partition-admin`: changes the given fields and saves; the saved
/// configuration (without its password) is the outcome's data.
pub(super) fn partition_admin(
    lab: &Lab,
    change: PartitionAdminFields,
) -> Result<Outcome, ActionError> {
    let mut cfg = lab
        .partition_admin()
        .ok_or("this topology has no ECE application server")?;
    for (v, f) in [
        (change.ldap_url, &mut cfg.ldap_url),
        (change.dn_attribute, &mut cfg.dn_attribute),
        (change.base, &mut cfg.base),
        (change.search_dn, &mut cfg.search_dn),
        (change.password, &mut cfg.password),
        (change.keystore_location, &mut cfg.keystore_location),
    ] {
        if let Some(v) = v {
            *f = v;
        }
    }
    if let Some(b) = change.enable_ssl {
        cfg.enable_ssl = b;
    }
    lab.set_partition_admin(cfg)?;
    Ok(Outcome::ok("saved")
        .with_data(serde_json::to_value(lab.partition_admin()).unwrap_or_default()))
}

/// `trace-level`: a process's maximum trace level, on one application server or every one.
pub(super) fn trace_level(
    lab: &Lab,
    process: &str,
    host: Option<&str>,
    level: u8,
    minutes: Option<u32>,
) -> Result<Outcome, ActionError> {
    lab.set_trace_level(process, host, level, minutes)?;
    let on = host.map(|h| format!(" on {h}")).unwrap_or_default();
    Ok(Outcome::ok(format!("trace level {level}{on}")))
}

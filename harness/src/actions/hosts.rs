//! Hosts as a whole: restart (services reload from the disk: F9), Windows
//! services stopped or started (F3), and the topology clock.

use super::{lab_outcome, ActionError, Outcome};
use crate::lab::Lab;

/// `restart`: the host's services reload their configuration and trust from its disk.
pub(super) async fn restart(lab: &Lab, host: &str) -> Result<Outcome, ActionError> {
    lab_outcome(lab.restart(host).await.map(|_| format!("restarted {host}")))
}

/// `stop` / `start`: a Windows service ("Cisco Service", "Apache Tomcat", "MSSQLSERVER").
pub(super) async fn set_service(
    lab: &Lab,
    host: &str,
    service: &str,
    running: bool,
) -> Result<Outcome, ActionError> {
    let verb = if running { "start" } else { "stop" };
    lab_outcome(
        lab.set_service(host, service, running)
            .await
            .map(|_| format!("{verb} {service} on {host}")),
    )
}

/// `clock-advance`: moves a fixed topology clock forward.
pub(super) fn clock_advance(lab: &Lab, by: &str) -> Result<Outcome, ActionError> {
    let now = lab.topo.clock.now();
    let t = ccelab_emulators::clock::parse_time(&format!("+{}", by.trim_start_matches('+')), now)?;
    if t > now && lab.topo.clock.advance(t - now) {
        Ok(
            Outcome::ok(format!("clock +{by}"))
                .with_data(serde_json::json!({"now": t.to_string()})),
        )
    } else {
        Err(ActionError::Invalid(
            "the clock cannot move: the topology runs on the system clock (start it with a fixed `clock` in a topology file to move time)".into(),
        ))
    }
}

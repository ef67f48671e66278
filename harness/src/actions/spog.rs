//! CCE Administration (SPOG) as its administrator uses it: the "Email and
//! Chat" card that opens the ECE gadget ([ECE] troubleshooting: F1–F4, F7–F10,
//! F12, F13), the machine inventory ([ECE] 4.2, 4.3) and the integration's
//! tabs and agents ([ECE] 5, 6) are plain calls of [`Lab`]; what lives here is
//! how their answers read for the user.

use super::{lab_outcome, ActionError, Outcome};
use crate::lab::Lab;
use ccelab_emulators::cce_admin::inventory::{ApiError, Machine, NewMachine};

/// `open-gadget`: what the SPOG user sees, then what the browser console
/// shows; the lines logged and the log that tells why.
pub(super) async fn open_gadget(
    lab: &Lab,
    ads: Option<&str>,
    user: Option<&str>,
) -> Result<Outcome, ActionError> {
    if user.is_some_and(|u| u.chars().any(char::is_control)) {
        return Err(ActionError::Invalid(
            "user: an administrator's name is one line of text".into(),
        ));
    }
    let g = match lab.open_gadget(ads.unwrap_or("ads-a"), user).await {
        Ok(g) => g,
        Err(e) => return lab_outcome(Err(e)),
    };
    let mut shows = g.message.clone();
    for c in &g.console {
        shows.push_str(&format!("\nbrowser console: {c}"));
    }
    Ok(Outcome {
        ok: g.ok,
        shows,
        ..Outcome::default()
    })
}

/// `inventory-status`: CCE Administration on `ads` checks the Finesse
/// nodes of the inventory (F17); a line per machine.
pub(super) async fn inventory_status(
    lab: &Lab,
    ads: Option<&str>,
    machines: &[String],
) -> Result<Outcome, ActionError> {
    let ads = ads.unwrap_or("ads-a");
    let admin = lab
        .product::<ccelab_emulators::cce_admin::RunningCceAdmin>(ads)
        .ok_or_else(|| ActionError::no_host(lab, ads))?;
    let (ok, lines) = admin
        .finesse_status_of(machines)
        .await
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    Ok(Outcome {
        ok,
        shows: lines.join("\n"),
        ..Outcome::default()
    })
}

/// `inventory-web-server`: the inventory's Edit of the ECE web server.
pub(super) fn inventory_web_server(
    lab: &Lab,
    name: &str,
    user: Option<&str>,
    password: Option<&str>,
) -> Result<Outcome, ActionError> {
    Ok(
        match lab.cce()?.set_inventory_web_server(name, user, password) {
            Ok(()) => Outcome::ok("saved")
                .with_data(serde_json::to_value(lab.cce()?.inventory()).unwrap_or_default()),
            Err(m) => Outcome::failed(m),
        },
    )
}

fn machine_line(m: &Machine) -> String {
    format!("added {} {} (id {})", m.machine_type, m.name, m.id)
}

fn error_line(e: &ApiError) -> String {
    format!("{}: {} ({})", e.error_data, e.error_message, e.error_type)
}

/// `inventory-add`: one machine, checked as the machineinventory API checks.
pub(super) fn inventory_add(lab: &Lab, m: NewMachine) -> Result<Outcome, ActionError> {
    Ok(match lab.cce()?.add_machine(m) {
        Ok(m) => {
            Outcome::ok(machine_line(&m)).with_data(serde_json::to_value(&m).unwrap_or_default())
        }
        Err(errors) => {
            Outcome::failed(errors.iter().map(error_line).collect::<Vec<_>>().join("\n"))
                .with_data(serde_json::to_value(&errors).unwrap_or_default())
        }
    })
}

/// `inventory-delete`: a machine by its id.
pub(super) fn inventory_delete(lab: &Lab, id: u64) -> Result<Outcome, ActionError> {
    if lab.cce()?.delete_machine(id) {
        Ok(Outcome::ok(format!("deleted machine {id}")))
    } else {
        Err(ActionError::Invalid(format!("no machine {id}")))
    }
}

/// `inventory-upload`: the CSV's rows, all added or none (errors by line of `file`).
pub(super) fn inventory_upload(
    lab: &Lab,
    csv: &str,
    file: Option<&str>,
) -> Result<Outcome, ActionError> {
    Ok(match lab.cce()?.upload_machines(csv) {
        Ok(added) => Outcome::ok(
            added
                .iter()
                .map(machine_line)
                .collect::<Vec<_>>()
                .join("\n"),
        )
        .with_data(serde_json::to_value(&added).unwrap_or_default()),
        Err(rows) => {
            let file = file.unwrap_or("csv");
            let mut lines: Vec<String> = rows
                .iter()
                .flat_map(|(line, errors)| {
                    errors
                        .iter()
                        .map(move |e| format!("{file}:{line}: {}", error_line(e)))
                })
                .collect();
            lines.push("nothing was added".into());
            Outcome::failed(lines.join("\n"))
        }
    })
}

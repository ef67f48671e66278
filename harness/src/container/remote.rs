//! Asking another host's process (its own control API at
//! `http://ADDRESS:9595`) when each host runs in a process of its own: an
//! action done there ([`act`]), or what it answers on a `GET` ([`get`]).
//! Requests are blocking ([`crate::control::request`]: a connect timeout, a
//! bounded answer) and run off the async workers.

use std::net::SocketAddr;

use super::HOST_CONTROL_PORT;
use crate::actions::{Action, ActionError, Outcome};
use crate::topology::Host;

/// A host's own control API.
pub fn control_of(h: &Host) -> String {
    format!(
        "http://{}",
        SocketAddr::from((h.address, HOST_CONTROL_PORT))
    )
}

/// `GET path` of a host's API: the answer's JSON, or why there is none.
pub async fn get(control: &str, path: &str) -> Result<serde_json::Value, String> {
    let (c, p) = (control.to_string(), path.to_string());
    let answer = tokio::task::spawn_blocking(move || crate::control::request(&c, "GET", &p, ""))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("{control}: {e}"))?;
    match answer {
        (200, body) => serde_json::from_str(&body).map_err(|e| format!("{control}{path}: {e}")),
        (code, body) => Err(format!("{control}{path}: {code} {body}")),
    }
}

/// Does `action` in `host`'s process: its outcome, or the error that host
/// gave (as it would have been given in one process), or that it does not
/// answer (its container is stopped or gone).
pub async fn act(host: &Host, action: &Action) -> Result<Outcome, ActionError> {
    let control = control_of(host);
    let body = serde_json::to_string(action).map_err(|e| ActionError::Invalid(e.to_string()))?;
    let c = control.clone();
    let answer =
        tokio::task::spawn_blocking(move || crate::control::request(&c, "POST", "/actions", &body))
            .await
            .map_err(|e| ActionError::Invalid(e.to_string()))?;
    let gone = || {
        ActionError::Invalid(format!(
            "host `{}` does not answer at {control}: its container is stopped or gone",
            host.name
        ))
    };
    let (code, body) = answer.map_err(|_| gone())?;
    if code == 200 {
        return serde_json::from_str(&body).map_err(|e| ActionError::Invalid(e.to_string()));
    }
    let error = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string));
    match error {
        Some(e) => Err(ActionError::Invalid(e)),
        None => Err(gone()),
    }
}

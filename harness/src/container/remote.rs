//! Asking another host's process (its own control API at
//! `http://ADDRESS:9595`) when each host runs in a process of its own: an
//! action done there ([`act`]), or what it answers on a `GET` ([`get`]).
//! Requests are blocking ([`crate::control::request`]: a connect timeout, a
//! bounded answer) and run off the async workers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use super::HOST_CONTROL_PORT;
use crate::actions::{Action, ActionError, Outcome, Place};
use crate::lab::Lab;
use crate::topology::{Host, Topology};

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

/// Records on the machine's view where each host listens, as its control
/// API says (`ccelab ctl status`): the commands' `CCELAB_<HOST>_PORT_<N>`.
pub async fn note_ports(machine: &Lab, controls: &BTreeMap<String, String>) {
    for (h, c) in controls {
        let Ok(status) = get(c, "/status").await else {
            continue;
        };
        let ports = status["hosts"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == h.as_str()))
            .and_then(|x| x["services"].as_array())
            .map(|svcs| {
                svcs.iter()
                    .filter_map(|s| {
                        let p = u16::try_from(s["port"].as_u64()?).ok()?;
                        let b = u16::try_from(s["bound_port"].as_u64()?).ok()?;
                        Some((p, b))
                    })
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        machine.note_ports(h, ports);
    }
}

/// Does `action` on a deployment whose hosts each run in a process of
/// their own (their control APIs `controls`, host → URL), as one process
/// would: where [`crate::actions::Place`] says — a host's process, the
/// machine (`machine`, [`Lab::remote`]: commands, files on the bind-mounted
/// disks), each host holding a copy of shared state, or everywhere (the
/// clock). When it fails for the user, the lines the hosts' telling logs
/// gained are read from the disks on the machine; the TLS and LDAP events
/// of every host since the action began come with the outcome.
pub async fn apply(
    machine: &Lab,
    topo: &Topology,
    controls: &BTreeMap<String, String>,
    action: &Action,
) -> Outcome {
    let hosts: Vec<(&crate::topology::Host, String)> = controls
        .iter()
        .filter_map(|(h, control)| Some((topo.host(h)?, control.clone())))
        .collect();
    let ask_all = |path: String| {
        let asked: Vec<_> = hosts
            .iter()
            .map(|(_, control)| {
                let (control, path) = (control.clone(), path.clone());
                tokio::spawn(async move { get(&control, &path).await.ok() })
            })
            .collect();
        async move {
            let mut out = Vec::new();
            for a in asked {
                out.push(a.await.ok().flatten());
            }
            out
        }
    };
    let telling = |answers: Vec<Option<serde_json::Value>>| -> Vec<PathBuf> {
        answers
            .into_iter()
            .flatten()
            .filter_map(|v| serde_json::from_value::<Vec<PathBuf>>(v).ok())
            .flatten()
            // only logs on the hosts' disks are read (a host names its own)
            .filter(|p| topo.hosts.iter().any(|h| p.starts_with(h.disk.root())))
            .collect()
    };
    let marks = ask_all("/events/mark".into()).await;
    let logs = telling(ask_all("/telling-logs".into()).await);
    let sizes = {
        let logs = logs.clone();
        tokio::task::spawn_blocking(move || crate::actions::log_sizes(&logs))
            .await
            .unwrap_or_default()
    };
    let first_that_worked = |results: Vec<Result<Outcome, ActionError>>| {
        let mut results = results.into_iter();
        let first = results.next();
        match first {
            Some(Ok(o)) if o.ok => Ok(o),
            first => results
                .find(|r| r.as_ref().is_ok_and(|o| o.ok))
                .or(first)
                .unwrap_or_else(|| Err(ActionError::Invalid("no host to do it".into()))),
        }
    };
    let applied = match action.place(topo) {
        Place::Machine => action.apply(machine).await,
        Place::Host(h) => match topo.host(&h) {
            Some(host) => act(host, action).await,
            None => action.apply(machine).await,
        },
        Place::Each(names) => {
            let mut results = Vec::new();
            for n in &names {
                if let Some(host) = topo.host(n) {
                    results.push(act(host, action).await);
                }
            }
            first_that_worked(results)
        }
        Place::Everywhere => {
            for (host, _) in &hosts {
                // a host that is stopped keeps its own (the machine's decides)
                let _ = act(host, action).await;
            }
            action.apply(machine).await
        }
    };
    let mut o = applied.unwrap_or_else(|e| Outcome::failed(e.to_string()));
    if !o.ok {
        // as in one process: the lines the telling logs gained (the day
        // may have turned meanwhile: a catalina log of its own)
        let mut now = logs;
        for p in telling(ask_all("/telling-logs".into()).await) {
            if !now.contains(&p) {
                now.push(p);
            }
        }
        if let Ok(Some((file, lines))) =
            tokio::task::spawn_blocking(move || crate::actions::appended(&now, &sizes)).await
        {
            o.log_file = Some(file);
            o.logged = lines;
        }
    }
    // every host's events since its mark: the TLS ones, then the DC's LDAP ones
    let asked: Vec<_> = hosts
        .iter()
        .zip(marks)
        .filter_map(|((_, control), mark)| {
            let m = mark?;
            let path = format!(
                "/events/lines?tls={}&ldap={}",
                m["tls"].as_u64()?,
                m["ldap"].as_u64()?
            );
            let control = control.clone();
            Some(tokio::spawn(async move { get(&control, &path).await.ok() }))
        })
        .collect();
    let mut lines = Vec::new();
    for a in asked {
        if let Some(v) = a.await.ok().flatten() {
            lines.extend(serde_json::from_value::<Vec<String>>(v).unwrap_or_default());
        }
    }
    let (tls, ldap): (Vec<String>, Vec<String>) =
        lines.into_iter().partition(|l| !l.starts_with("ldap "));
    o.events = tls.into_iter().chain(ldap).collect();
    o
}

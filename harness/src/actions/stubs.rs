//! Stubs for what ccelab does not model (issue 17;
//! [`ccelab_emulators::stubs`]): `stub` adds one to a host's listener,
//! `stub-requests` counts what the stubs answered, as WireMock's `verify`.

use ccelab_emulators::stubs::{Journaled, StubSpec};

use super::{ActionError, Outcome, StubQuery};
use crate::lab::Lab;

/// The topology's name of `host` (name or FQDN) and whether `port` is one
/// of its listeners; the error names the host's ports.
pub(crate) fn listener(lab: &Lab, host: &str, port: u16) -> Result<String, ActionError> {
    let h = lab
        .topo
        .host(host)
        .ok_or_else(|| ActionError::no_host(lab, host))?;
    let ports: Vec<u16> = lab.ports_of(&h.name).iter().map(|(p, _)| *p).collect();
    if !ports.contains(&port) {
        let list: Vec<String> = ports.iter().map(u16::to_string).collect();
        return Err(ActionError::Invalid(format!(
            "{} listens on no port {port}; its ports are {}",
            h.name,
            if list.is_empty() {
                "none".to_string()
            } else {
                list.join(", ")
            }
        )));
    }
    Ok(h.name.clone())
}

/// What a stub matches and answers, in one line.
pub(crate) fn describe(s: &StubSpec) -> String {
    let mut m = vec![s.method.clone().unwrap_or_else(|| "any method".into())];
    match (&s.path, &s.path_regex) {
        (Some(p), _) => m.push(p.clone()),
        (None, Some(r)) => m.push(format!("path ~ {r}")),
        (None, None) => m.push("any path".into()),
    }
    for (k, v) in &s.headers {
        m.push(format!("{k}: {v}"));
    }
    if let Some(b) = &s.body_contains {
        m.push(format!("body ∋ {b:?}"));
    }
    let delay = if s.delay_ms > 0 {
        format!(" after {} ms", s.delay_ms)
    } else {
        String::new()
    };
    format!("{} → {}{delay}", m.join(" "), s.status)
}

/// `stub`: adds the stub; it answers from the next request on.
pub(super) async fn add(lab: &Lab, spec: StubSpec) -> Result<Outcome, ActionError> {
    let host = listener(lab, &spec.host, spec.port)?;
    let line = describe(&spec);
    let port = spec.port;
    let n = lab
        .stubs()
        .add(&host, spec)
        .await
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    Ok(Outcome::ok(format!("stub {n} on {host}:{port}: {line}")))
}

fn picked(q: &StubQuery, j: &Journaled) -> bool {
    let path = j.target.split('?').next().unwrap_or_default();
    q.stub.is_none_or(|n| n == j.stub)
        && q.method
            .as_ref()
            .is_none_or(|m| m.eq_ignore_ascii_case(&j.method))
        && q.path.as_ref().is_none_or(|p| p == path)
        && q.headers.iter().all(|(k, v)| {
            j.headers
                .iter()
                .any(|(hk, hv)| hk.eq_ignore_ascii_case(k) && hv == v)
        })
        && q.body_contains
            .as_ref()
            .is_none_or(|b| j.body.contains(b.as_str()))
}

/// `stub-requests`: the requests the listener's stubs answered that match
/// the query; with `count`, ok only when exactly that many did (the text
/// then says how many did, as WireMock's verification does).
pub(super) fn requests(lab: &Lab, q: &StubQuery) -> Result<Outcome, ActionError> {
    let host = listener(lab, &q.host, q.port)?;
    let found: Vec<Journaled> = lab
        .stubs()
        .journal(&host, q.port)
        .into_iter()
        .filter(|j| picked(q, j))
        .collect();
    let mut lines = vec![format!(
        "{} request(s) to the stubs on {host}:{} matched",
        found.len(),
        q.port
    )];
    for j in &found {
        lines.push(format!("  stub {}: {} {}", j.stub, j.method, j.target));
    }
    let data = serde_json::to_value(&found).unwrap_or_default();
    Ok(match q.count {
        Some(n) if n != found.len() => {
            lines[0] = format!(
                "expected {n} request(s) to the stubs on {host}:{}, {} matched",
                q.port,
                found.len()
            );
            Outcome::failed(lines.join("\n")).with_data(data)
        }
        _ => Outcome::ok(lines.join("\n")).with_data(data),
    })
}

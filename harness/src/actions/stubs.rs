//! Stubs for what ccelab does not model (issue 17;
//! [`ccelab_emulators::stubs`]): `stub` adds one to a host's listener,
//! `stub-requests` counts what the stubs answered, as WireMock's `verify`.

use ccelab_emulators::stubs::{Journaled, RequestQuery, StubSpec};

use super::{ActionError, Outcome, StubQuery};
use crate::lab::Lab;

/// The topology's name of `host` (name or FQDN).
fn host_name(lab: &Lab, host: &str) -> Result<String, ActionError> {
    lab.topo
        .host(host)
        .map(|h| h.name.clone())
        .ok_or_else(|| ActionError::no_host(lab, host))
}

/// Whether `port` is an HTTP(S) listener of `host`; the error names them.
fn http_listener(lab: &Lab, host: &str, port: u16) -> Result<(), ActionError> {
    if lab.stubs().serves(host, port) {
        return Ok(());
    }
    let ports: Vec<String> = lab
        .stubs()
        .http_ports(host)
        .iter()
        .map(u16::to_string)
        .collect();
    Err(ActionError::Invalid(format!(
        "{host} serves no HTTP on port {port}; its HTTP(S) ports are {}",
        if ports.is_empty() {
            "none".to_string()
        } else {
            ports.join(", ")
        }
    )))
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
pub(super) fn add(lab: &Lab, spec: StubSpec) -> Result<Outcome, ActionError> {
    let host = host_name(lab, &spec.host)?;
    http_listener(lab, &host, spec.port)?;
    let line = describe(&spec);
    let port = spec.port;
    let n = lab
        .stubs()
        .add(&host, spec)
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    Ok(Outcome::ok(format!("stub {n} on {host}:{port}: {line}")))
}

/// `stub-requests`: the requests the listener's stubs answered that match
/// the query (WireMock's matchers, as the stubs match); with `count`, ok only when exactly that many did (the text
/// then says how many did, as WireMock's verification does).
pub(super) fn requests(lab: &Lab, q: &StubQuery) -> Result<Outcome, ActionError> {
    let host = host_name(lab, &q.host)?;
    http_listener(lab, &host, q.port)?;
    let query = RequestQuery {
        stub: q.stub,
        method: q.method.clone(),
        path: q.path.clone(),
        headers: q.headers.clone(),
        body_contains: q.body_contains.clone(),
    };
    let found: Vec<Journaled> = lab.stubs().requests(&host, q.port, &query);
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

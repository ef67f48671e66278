//! Finesse and Live Data as an agent meets them ([SEC] "Live Data,
//! self-signed"; F18): the desktop with its Live Data gadget, and the
//! browser warning an agent accepts for a self-signed Live Data
//! certificate.

use super::{ActionError, Outcome};
use crate::lab::Lab;
use ccelab_emulators::finesse::{desktop, FinesseNode};
use ccelab_emulators::personality::Contact;
use ccelab_emulators::platform::vos::appliance::Appliance;

fn finesse<'a>(lab: &'a Lab, host: &str) -> Result<&'a Appliance, ActionError> {
    let a = lab
        .product::<Appliance>(host)
        .ok_or_else(|| ActionError::no_host(lab, host))?;
    if a.product::<FinesseNode>().is_none() {
        return Err(ActionError::Invalid(format!(
            "{host} is not a Finesse node"
        )));
    }
    Ok(a)
}

/// `finesse-desktop`: `agent` signs in to the desktop of `host` (default
/// `finesse-a`) with its password (default: the topology's).
pub(super) async fn desktop(
    lab: &Lab,
    host: Option<&str>,
    agent: Option<&str>,
    password: Option<&str>,
) -> Result<Outcome, ActionError> {
    let host = host.unwrap_or("finesse-a");
    let a = finesse(lab, host)?;
    let agent = agent.unwrap_or("agent1");
    let password = match password {
        Some(p) => p.to_string(),
        None => lab
            .topo
            .agents
            .iter()
            .find(|x| x.login_name == agent)
            .map(|x| x.password.clone())
            .ok_or_else(|| ActionError::Invalid(format!("no agent `{agent}` in the topology")))?,
    };
    let d = desktop::sign_in(a, agent, &password).await;
    let mut shows = d.shows.join("\n");
    for c in &d.console {
        shows.push_str(&format!("\nbrowser console: {c}"));
    }
    Ok(Outcome {
        ok: d.ok,
        shows,
        ..Outcome::default()
    })
}

/// `accept-certificate`: the agent opens `https://<host>:<port>/` in the
/// browser and accepts the certificate warning ([SEC]: with self-signed
/// certificates the agent accepts the Live Data certificate at sign-in).
pub(super) async fn accept_certificate(
    lab: &Lab,
    agent: Option<&str>,
    host: &str,
    port: u16,
) -> Result<Outcome, ActionError> {
    let agent = agent.unwrap_or("agent1");
    let h = lab
        .topo
        .host(host)
        .ok_or_else(|| ActionError::no_host(lab, host))?;
    let Some(node) = lab
        .topo
        .hosts
        .iter()
        .find_map(|f| lab.product::<Appliance>(&f.name)?.product::<FinesseNode>())
    else {
        return Err("this topology has no Finesse".into());
    };
    let Some(bound) = lab.bound_port(&h.name, port) else {
        return Ok(Outcome::failed(format!(
            "https://{}:{port}/ net::ERR_CONNECTION_REFUSED",
            h.fqdn
        )));
    };
    let addr = std::net::SocketAddr::from((h.address, bound));
    match ccelab_emulators::personality::fetch_chain(
        addr,
        &h.fqdn,
        true,
        std::time::Duration::from_secs(10),
    )
    .await
    {
        Contact::Presented { chain, .. } if !chain.is_empty() => {
            let leaf = chain[0].clone();
            let subject = leaf.subject_string();
            node.deployment.browsers.accept(agent, &h.fqdn, leaf);
            Ok(Outcome::ok(format!(
                "{agent} accepted the certificate of https://{}:{port}/ ({subject})",
                h.fqdn
            )))
        }
        _ => Ok(Outcome::failed(format!(
            "https://{}:{port}/ net::ERR_CONNECTION_RESET",
            h.fqdn
        ))),
    }
}

//! The trust graph (`ccelab graph`, the control API's `/graph`; issue 17):
//! the deployment as a picture — its hosts, the certificates each presents,
//! the stores each trusts, and every client → server TLS edge with the
//! verdict of the client's personality and its text
//! ([`ccelab_emulators::edges`]: each product probes the connections it
//! makes with the trust it has loaded). Rendered as JSON, Graphviz DOT, SVG
//! and an HTML page ([`render`]).

pub mod render;

use std::collections::BTreeMap;

use ccelab_emulators::edges::{Presented, TrustEdge};
use serde::Serialize;

use crate::lab::Lab;
use crate::topology::Role;

/// The deployment's trust graph at the lab's clock.
#[derive(Clone, Debug, Serialize)]
pub struct Graph {
    /// The preset the topology is built on.
    pub preset: String,
    /// The lab's clock when the edges were probed (RFC 3339).
    pub at: String,
    /// The hosts, in the topology's order, then the names clients used
    /// that no host of the lab answers to.
    pub hosts: Vec<Node>,
    /// Every client → server edge, in host order.
    pub edges: Vec<Edge>,
}

/// A host of the graph.
#[derive(Clone, Debug, Serialize)]
pub struct Node {
    /// Its name in the topology (for a name outside the lab: the name).
    pub name: String,
    /// Its FQDN.
    pub fqdn: String,
    /// What runs on it (None: not a host of the lab).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Its address ("" when not a host of the lab).
    pub address: String,
    /// Whether it is a host of the lab (false: a name a client connects to
    /// that leads to no host: F10, a typo, a host that is not emulated).
    pub in_lab: bool,
    /// Not a host but a client outside the lab (the agents' browsers).
    pub client_only: bool,
    /// The certificates it presented to the graph's clients, per product port.
    pub presents: Vec<Listener>,
    /// The stores its clients trust.
    pub trusts: Vec<String>,
}

/// What a host presented on one port.
#[derive(Clone, Debug, Serialize)]
pub struct Listener {
    /// The product port.
    pub port: u16,
    /// The name the client asked for (its SNI, when it sends one).
    pub name: String,
    /// The chain, leaf first.
    pub chain: Vec<Presented>,
}

/// How an edge is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The client accepts the server.
    Ok,
    /// The client refuses it (or cannot reach it).
    Fail,
    /// No TLS: no certificate is checked (a clear-text connection that
    /// cannot be made fails).
    ClearText,
}

/// One client → server edge.
#[derive(Clone, Debug, Serialize)]
pub struct Edge {
    /// The node it leads to (a host's name, or the name used when it leads
    /// to no host).
    pub to: String,
    /// How it is drawn.
    pub verdict: Verdict,
    /// What the client did and said.
    #[serde(flatten)]
    pub edge: TrustEdge,
}

/// Probes every edge of the running `lab` and assembles its graph.
pub async fn build(lab: &Lab) -> Graph {
    let probed = lab.trust_edges().await;
    let at = lab
        .topo
        .clock
        .now()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    assemble(lab, probed, at)
}

fn assemble(lab: &Lab, probed: Vec<TrustEdge>, at: String) -> Graph {
    let mut hosts: Vec<Node> = lab
        .topo
        .hosts
        .iter()
        .map(|h| Node {
            name: h.name.clone(),
            fqdn: h.fqdn.clone(),
            role: Some(h.role),
            address: h.address.to_string(),
            in_lab: true,
            client_only: false,
            presents: Vec::new(),
            trusts: Vec::new(),
        })
        .collect();
    let by_address: BTreeMap<String, String> = lab
        .topo
        .hosts
        .iter()
        .map(|h| (h.address.to_string(), h.name.clone()))
        .collect();
    let mut edges = Vec::new();
    for e in probed {
        // where the name led; a name that leads to no host is a node of its
        // own, even when it reads like a host's topology name
        let to = match e
            .addr
            .and_then(|a| by_address.get(&a.ip().to_string()).cloned())
        {
            Some(host) => host,
            None if lab.topo.hosts.iter().any(|h| h.name == e.name) => {
                format!("{} (not resolved)", e.name)
            }
            None => e.name.clone(),
        };
        if !hosts.iter().any(|n| n.name == to) {
            hosts.push(Node {
                name: to.clone(),
                fqdn: e.name.clone(),
                role: None,
                address: String::new(),
                in_lab: false,
                client_only: false,
                presents: Vec::new(),
                trusts: Vec::new(),
            });
        }
        // a client that is no host (the agents' browsers)
        if !hosts.iter().any(|n| n.name == e.from) {
            hosts.push(Node {
                name: e.from.clone(),
                fqdn: String::new(),
                role: None,
                address: String::new(),
                in_lab: false,
                client_only: true,
                presents: Vec::new(),
                trusts: Vec::new(),
            });
        }
        if let Some(n) = hosts.iter_mut().find(|n| n.name == to) {
            // one chain per port and name asked for (SNI picks the binding)
            let seen = n
                .presents
                .iter()
                .any(|l| l.port == e.port && l.name.eq_ignore_ascii_case(&e.name));
            if !e.presented.is_empty() && !seen {
                n.presents.push(Listener {
                    port: e.port,
                    name: e.name.clone(),
                    chain: e.presented.clone(),
                });
                n.presents
                    .sort_by(|a, b| (a.port, &a.name).cmp(&(b.port, &b.name)));
            }
        }
        if let Some(n) = hosts.iter_mut().find(|n| n.name == e.from) {
            if !n.trusts.contains(&e.store) {
                n.trusts.push(e.store.clone());
            }
        }
        let verdict = match (e.tls, e.ok) {
            (_, false) => Verdict::Fail,
            (false, true) => Verdict::ClearText,
            (true, true) => Verdict::Ok,
        };
        edges.push(Edge {
            to,
            verdict,
            edge: e,
        });
    }
    Graph {
        preset: lab.topo.preset.clone(),
        at,
        hosts,
        edges,
    }
}

impl Graph {
    /// A value of `--from`/`--to` that names no node of the graph.
    pub fn unknown<'a>(&self, names: &'a [String]) -> Option<&'a String> {
        names.iter().find(|w| {
            !self
                .hosts
                .iter()
                .any(|h| h.name.eq_ignore_ascii_case(w) || h.fqdn.eq_ignore_ascii_case(w))
        })
    }

    /// The edges from a host `from` names and to a host `to` names (by name
    /// or FQDN, case-insensitively; an empty list keeps every host), with
    /// only the hosts they touch.
    pub fn only(&self, from: &[String], to: &[String]) -> Graph {
        self.only_any(&[(from.to_vec(), to.to_vec())])
    }

    /// The edges [`Graph::only`] keeps for any of the `(from, to)` pairs,
    /// with only the hosts they touch.
    pub fn only_any(&self, pairs: &[(Vec<String>, Vec<String>)]) -> Graph {
        let names = |n: &str| -> Vec<String> {
            self.hosts
                .iter()
                .filter(|h| h.name == n)
                .flat_map(|h| [h.name.to_ascii_lowercase(), h.fqdn.to_ascii_lowercase()])
                .collect()
        };
        let picked = |list: &[String], n: &str| {
            list.is_empty()
                || names(n)
                    .iter()
                    .any(|x| list.iter().any(|w| w.eq_ignore_ascii_case(x)))
        };
        let edges: Vec<Edge> = self
            .edges
            .iter()
            .filter(|e| {
                pairs
                    .iter()
                    .any(|(from, to)| picked(from, &e.edge.from) && picked(to, &e.to))
            })
            .cloned()
            .collect();
        let hosts = self
            .hosts
            .iter()
            .filter(|h| {
                edges
                    .iter()
                    .any(|e| e.edge.from == h.name || e.to == h.name)
            })
            .cloned()
            .collect();
        Graph {
            preset: self.preset.clone(),
            at: self.at.clone(),
            hosts,
            edges,
        }
    }

    /// Whether some client refuses its server.
    pub fn refused(&self) -> usize {
        self.edges
            .iter()
            .filter(|e| e.verdict == Verdict::Fail)
            .count()
    }
}

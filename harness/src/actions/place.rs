//! Where an action is done when every host runs in a process of its own
//! (one container per host, `ccelab host`): in the process of the host
//! whose product it acts on, on the machine (commands, files on the
//! bind-mounted disks), or in several hosts' processes (the clock; writes
//! to what the hosts of one product share in one process — ECE's database
//! on each application server, CCE Administration's configuration on each
//! ADS, the agents' browsers on each Finesse node — so that each host's
//! copy stays the deployment's).
//!
//! Each default is the one the action itself takes in one process
//! (`ads-a`, `finesse-a`, the first ECE web server by name).

use super::Action;
use crate::container::runs_product;
use crate::topology::{Role, Topology};

/// Where an action is done (see the module).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Place {
    /// On the machine: commands, files on the hosts' disks, and actions
    /// whose host the topology does not have (the machine answers the
    /// error the host would).
    Machine,
    /// In this host's process (its name).
    Host(String),
    /// In each of these hosts' processes, in this order: the first answer
    /// that worked for the user is the action's, else the first one.
    Each(Vec<String>),
    /// In every host's process and on the machine (the clock).
    Everywhere,
}

/// The hosts of `role` that run a product, by name (the order one process
/// finds its products in).
fn of_role(topo: &Topology, role: Role) -> Vec<String> {
    let mut v: Vec<String> = topo
        .hosts
        .iter()
        .filter(|h| h.role == role)
        .map(|h| h.name.clone())
        .collect();
    v.sort();
    v
}

/// The host named `name`, if it runs a product; else the machine.
fn named(topo: &Topology, name: &str) -> Place {
    topo.host(name)
        .filter(|h| runs_product(h.role))
        .map_or(Place::Machine, |h| Place::Host(h.name.clone()))
}

/// The first host of `role`, else the machine.
fn first(topo: &Topology, role: Role) -> Place {
    of_role(topo, role)
        .into_iter()
        .next()
        .map_or(Place::Machine, Place::Host)
}

/// Every host of `role`, else the machine.
fn each(topo: &Topology, role: Role) -> Place {
    match of_role(topo, role) {
        v if v.is_empty() => Place::Machine,
        v => Place::Each(v),
    }
}

impl Action {
    /// Where this action is done in `topo` when each host runs in a
    /// process of its own (see the module). Every action is listed, so a
    /// new one needs a decision here.
    pub fn place(&self, topo: &Topology) -> Place {
        match self {
            Action::Keytool { .. }
            | Action::Run { .. }
            | Action::StoreDelete { .. }
            | Action::StoreImport { .. }
            | Action::WriteFile { .. }
            | Action::EditFile { .. }
            // from one web server's disk to another's, then IIS restarts on
            // the second (asked of its host)
            | Action::PfxCopy { .. } => Place::Machine,
            Action::OpenGadget { ads, .. } | Action::InventoryStatus { ads, .. } => {
                named(topo, ads.as_deref().unwrap_or("ads-a"))
            }
            Action::FinesseDesktop { host, .. } => {
                named(topo, host.as_deref().unwrap_or("finesse-a"))
            }
            // the agent's browser: every Finesse node's copy of it
            Action::AcceptCertificate { .. } => each(topo, Role::Finesse),
            Action::Stub(ccelab_emulators::stubs::StubSpec { host, .. })
            | Action::StubRequests(super::StubQuery { host, .. }) => named(topo, host),
            Action::Restart { host }
            | Action::Stop { host, .. }
            | Action::Start { host, .. }
            | Action::DecryptKeystore { host } => named(topo, host),
            // CCE Administration's configuration: every ADS's copy
            Action::InventoryWebServer { .. }
            | Action::InventoryAdd { .. }
            | Action::InventoryDelete { .. }
            | Action::InventoryUpload { .. } => each(topo, Role::Ads),
            Action::AgentEnable { .. } => first(topo, Role::Ads),
            // ECE's database: every application server's copy
            Action::EcePassword { .. }
            | Action::CreateDepartment { .. }
            | Action::PartitionAdmin(_)
            | Action::Awdb { .. }
            | Action::IntegrationSave { .. } => each(topo, Role::EceApp),
            Action::TraceLevel { host, .. } => match host {
                Some(h) if topo.host(h).is_some_and(|x| x.role == Role::EceApp) => named(topo, h),
                Some(_) => first(topo, Role::EceApp),
                None => each(topo, Role::EceApp),
            },
            Action::Binding { host, .. } | Action::CertReplace { host, .. } => match host {
                Some(h) => named(topo, h),
                None => first(topo, Role::EceWeb),
            },
            Action::AdPolicy { .. } | Action::AdFault { .. } => first(topo, Role::AdDc),
            Action::ClockAdvance { .. } => Place::Everywhere,
            // CCE Administration's ORM client, on the ADS
            Action::CvpOrm { ads, .. } => named(topo, ads.as_deref().unwrap_or("ads-a")),
            // the browser goes to the name it was given: the host behind it
            // tells which web server answered
            Action::EceBrowse { via, .. } => match via {
                Some(v) => named(topo, v),
                None => named(topo, &topo.ece_fqdn()),
            },
            Action::LbServer { .. } | Action::LbMode { .. } => first(topo, Role::LoadBalancer),
            // service-controller.bat asks the call server it names
            Action::ServiceController { callserver, .. } => {
                let c = callserver.trim();
                topo.hosts
                    .iter()
                    .find(|h| {
                        h.role == Role::CvpCall
                            && (h.address.to_string() == c || h.fqdn.eq_ignore_ascii_case(c))
                    })
                    .map_or(Place::Machine, |h| Place::Host(h.name.clone()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn topo(preset: &str) -> Topology {
        let dir =
            std::env::temp_dir().join(format!("ccelab-place-{}-{preset}", std::process::id()));
        let f = crate::topology_file::parse(
            std::path::Path::new("t.toml"),
            &format!("preset = \"{preset}\"\nclock = \"2026-01-01T00:00:00Z\"\n"),
        )
        .unwrap();
        f.build(&dir).unwrap()
    }

    #[test]
    fn each_action_goes_where_its_product_runs() {
        let t = topo("pcce-2000");
        let place = |toml_text: &str| toml::from_str::<Action>(toml_text).unwrap().place(&t);
        assert_eq!(place("do = \"open-gadget\""), Place::Host("ads-a".into()));
        assert_eq!(
            place("do = \"open-gadget\"\nads = \"ads-b\""),
            Place::Host("ads-b".into())
        );
        assert_eq!(place("do = \"restart\"\nhost = \"nope\""), Place::Machine);
        assert_eq!(
            place("do = \"keytool\"\nargs = [\"-help\"]"),
            Place::Machine
        );
        assert_eq!(
            place("do = \"clock-advance\"\nby = \"1d\""),
            Place::Everywhere
        );
        assert_eq!(
            place("do = \"inventory-delete\"\nid = 1"),
            Place::Each(vec!["ads-a".into(), "ads-b".into()])
        );
        assert!(
            matches!(place("do = \"ece-password\"\nuser = \"pa\"\npassword = \"x\""), Place::Each(v) if !v.is_empty())
        );
        assert!(
            matches!(place("do = \"binding\""), Place::Host(h) if t.host(&h).unwrap().role == Role::EceWeb)
        );
        assert!(
            matches!(place("do = \"ad-fault\"\nuser = \"pa\"\nfault = \"locked\""), Place::Host(h) if t.host(&h).unwrap().role == Role::AdDc)
        );
    }
}

//! The in-process [`Network`] of a lab: every host on its own loopback
//! address, each product port mapped to the port its product really bound
//! (the real one, or an ephemeral one in tests). Products reach each other
//! only through it and real connections, never through each other's memory.
//! With one host per process (`ccelab host`, a container), the other hosts
//! are at their own addresses on their real product ports.

use std::net::SocketAddr;
use std::sync::Arc;

use ccelab_emulators::network::{Network, Unreachable};
use ccelab_emulators::product::PortTable;

use crate::topology::Topology;

/// The lab's names (FQDNs, short names, addresses) and bound ports.
pub(crate) struct LabNetwork {
    pub(crate) topo: Arc<Topology>,
    pub(crate) ports: PortTable,
    /// One host of a deployment whose other hosts run elsewhere (one
    /// container per host, `ccelab host`): a host this process does not run
    /// listens on its real product ports at its own address.
    pub(crate) direct: bool,
}

impl Network for LabNetwork {
    fn endpoint(&self, name: &str, port: u16) -> Result<SocketAddr, Unreachable> {
        let h = self.topo.resolve(name).ok_or(Unreachable::UnknownHost)?;
        let bound = self
            .ports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(h.name.clone(), port))
            .copied();
        match bound {
            Some(b) => Ok(SocketAddr::from((h.address, b))),
            // another container: its real port (a refused connection there
            // is the peer's own answer)
            None if self.direct => Ok(SocketAddr::from((h.address, port))),
            None => Err(Unreachable::Refused),
        }
    }

    fn address(&self, name: &str) -> Option<std::net::IpAddr> {
        self.topo.resolve(name).map(|h| h.address.into())
    }

    fn canonical_name(&self, name: &str) -> Option<String> {
        self.topo.resolve(name).map(|h| h.fqdn.clone())
    }
}

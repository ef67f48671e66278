//! `docker-compose.yml` for a deployment: the layout of
//! [`super::lab::ContainerLab`] (one service per host that runs a product,
//! a bridge network on the spec's /24, each host at its address with its
//! FQDN and short name as aliases, its disk bind-mounted at the same path),
//! for users who run it with `docker compose up` / `docker-compose up`.
//! Compose file format 2.4: the newest that both Compose v1 (Debian's
//! `docker-compose`) and v2 read with fixed addresses.

use std::path::Path;

use super::{LabSpec, HOST_CONTROL_PORT};
use crate::topology::Topology;

/// A YAML double-quoted scalar (JSON's string syntax is valid YAML).
fn q(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The compose file of `topo` (built from `spec`) under `dir`, whose hosts run `image`.
pub fn compose_file(topo: &Topology, spec: &LabSpec, dir: &Path, image: &str) -> String {
    let spec_file = dir.join(super::SPEC_FILE).display().to_string();
    let mut y = String::new();
    y.push_str("# Written by `ccelab compose`: one container per host of the topology.\n");
    y.push_str("# Build the image first (`ccelab image build`), then:\n");
    y.push_str(&format!(
        "#   docker-compose -f {0}/docker-compose.yml up   (or: docker compose -f … up)\n",
        dir.display()
    ));
    y.push_str(&format!(
        "# The machine reaches every host at its address ({}); {}/hosts lists them.\n",
        spec.subnet,
        dir.display()
    ));
    y.push_str(&format!(
        "# Each host's control API: http://ADDRESS:{HOST_CONTROL_PORT}\n"
    ));
    y.push_str("version: \"2.4\"\n");
    y.push_str("networks:\n  lab:\n    driver: bridge\n    ipam:\n      config:\n");
    y.push_str(&format!("        - subnet: {}\n", q(&spec.subnet)));
    y.push_str("services:\n");
    for h in &topo.hosts {
        if !super::runs_product(h.role) {
            continue;
        }
        let disk = h.disk.root().display().to_string();
        // the host's "machine": its address and names (see lab.rs)
        let net = format!("{}-net", h.name);
        y.push_str(&format!("  {}:\n", q(&net)));
        y.push_str(&format!("    image: {}\n", q(image)));
        y.push_str("    command: [\"pause\"]\n");
        y.push_str(&format!("    hostname: {}\n", q(h.short())));
        y.push_str("    networks:\n      lab:\n");
        y.push_str(&format!(
            "        ipv4_address: {}\n",
            q(&h.address.to_string())
        ));
        y.push_str(&format!(
            "        aliases: [{}, {}]\n",
            q(&h.fqdn),
            q(h.short())
        ));
        // its product, in the machine's network
        y.push_str(&format!("  {}:\n", q(&h.name)));
        y.push_str(&format!("    image: {}\n", q(image)));
        y.push_str(&format!(
            "    command: [\"host\", \"--dir\", {}, \"--host\", {}]\n",
            q(&dir.display().to_string()),
            q(&h.name)
        ));
        y.push_str(&format!(
            "    network_mode: {}\n",
            q(&format!("service:{net}"))
        ));
        y.push_str(&format!("    depends_on: [{}]\n", q(&net)));
        y.push_str("    stop_grace_period: 10s\n");
        y.push_str("    volumes:\n");
        y.push_str(&format!(
            "      - {}\n",
            q(&format!("{spec_file}:{spec_file}:ro"))
        ));
        y.push_str(&format!("      - {}\n", q(&format!("{disk}:{disk}"))));
        if spec.base_dir.is_dir() && spec.base_dir != Path::new("/") {
            let b = spec.base_dir.display().to_string();
            y.push_str(&format!("      - {}\n", q(&format!("{b}:{b}:ro"))));
        }
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_product_host_is_a_service_at_its_address_with_its_names() {
        let d = tempfile::tempdir().unwrap();
        let (spec, topo) =
            LabSpec::new("preset = \"pcce-2000\"\n", d.path(), [10, 77, 9], d.path()).unwrap();
        let y = compose_file(&topo, &spec, d.path(), "ccelab:local");
        assert!(y.contains("        - subnet: \"10.77.9.0/24\"\n"), "{y}");
        assert!(y.contains("  \"ece\":\n"), "{y}");
        assert!(y.contains("    network_mode: \"service:ece-net\"\n"), "{y}");
        assert!(y.contains("        ipv4_address: \"10.77.9.11\"\n"));
        assert!(y.contains("        aliases: [\"ece.example.com\", \"ece\"]\n"));
        assert!(y.contains("        aliases: [\"gcdcsrv01.example.local\", \"gcdcsrv01\"]\n"));
        // the CA runs no product: no service
        assert!(!y.contains("  \"ca\":\n"));
        let services = y.matches("    command: [\"host\"").count();
        let products = topo
            .hosts
            .iter()
            .filter(|h| crate::container::runs_product(h.role))
            .count();
        assert_eq!(services, products);
    }
}

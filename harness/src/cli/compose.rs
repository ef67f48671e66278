//! `ccelab compose`: a topology's disks, `containers.toml` and a
//! `docker-compose.yml` that runs one container per host (the layout of
//! `ccelab up --containers`), for `docker compose up`.

use clap::Args;

use super::Failure;
use crate::container::LabSpec;

/// The options of `ccelab compose`.
#[derive(Args, Debug)]
pub(crate) struct ComposeArgs {
    /// The topology; DIR gets the disks, containers.toml and docker-compose.yml.
    #[command(flatten)]
    given: super::up::Given,
    /// The image the hosts run (`ccelab image build`).
    #[arg(long, default_value = crate::container::IMAGE)]
    image: String,
    /// The network's /24, as its first three bytes (each host keeps the
    /// last byte of its loopback address: 127.0.0.11 → A.B.C.11). Outside
    /// 10.77.0.0/16, where `up --containers` puts its labs.
    #[arg(long, default_value = "10.78.1", value_name = "A.B.C")]
    subnet: String,
}

/// Writes the deployment and its compose file; Ok(0).
pub(crate) fn run(a: ComposeArgs) -> Result<i32, Failure> {
    let subnet = parse_subnet(&a.subnet)?;
    let dir = std::path::absolute(&a.given.dir).map_err(|e| Failure::file(&a.given.dir, e))?;
    let (text, base) = super::up::topology_text(&a.given.topology, &a.given.preset, &dir)?;
    std::fs::create_dir_all(&dir).map_err(|e| Failure::file(&dir, e))?;
    let (spec, topo) =
        LabSpec::new(&text, &base, subnet, &dir).map_err(|e| Failure::new(dir.display(), e))?;
    topo.write_disks()
        .map_err(|e| Failure::new(dir.display(), e))?;
    spec.write(&dir)
        .map_err(|e| Failure::new(dir.display(), e))?;
    let yml = crate::container::compose::compose_file(&topo, &spec, &dir, &a.image);
    let path = dir.join("docker-compose.yml");
    ccelab_emulators::stores::write_atomic(&path, yml.as_bytes())
        .map_err(|e| Failure::file(&path, e))?;
    let hosts: String = topo
        .hosts
        .iter()
        .map(|h| format!("{} {} {}\n", h.address, h.fqdn, h.short()))
        .collect();
    for f in ["hosts", "jdk-hosts"] {
        ccelab_emulators::stores::write_atomic(&dir.join(f), hosts.as_bytes())
            .map_err(|e| Failure::file(&dir.join(f), e))?;
    }
    out!(
        "ccelab: wrote {} ({} hosts on {}); run: docker-compose -f {} up",
        path.display(),
        topo.hosts
            .iter()
            .filter(|h| crate::container::runs_product(h.role))
            .count(),
        spec.subnet,
        path.display()
    );
    Ok(0)
}

/// `A.B.C` as three bytes.
fn parse_subnet(s: &str) -> Result<[u8; 3], Failure> {
    let parts: Vec<Option<u8>> = s.split('.').map(|p| p.parse().ok()).collect();
    match parts.as_slice() {
        [Some(a), Some(b), Some(c)] => Ok([*a, *b, *c]),
        _ => Err(Failure::new(
            "--subnet",
            format!("`{s}` is not three bytes A.B.C (the /24's network part, as 10.78.1)"),
        )),
    }
}

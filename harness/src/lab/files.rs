//! The files `ccelab up` (and a scenario run) writes beside the hosts' disks
//! for clients: `topology.json` (the stable schema of `cli::up`), `hosts`,
//! `jdk-hosts`, `curl-resolve`, and the CA certificates under `ca/`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use ccelab_emulators::stores::write_atomic;

use super::Lab;
use crate::topology::{
    EceKeystore, Role, AWDB_DATABASE, AWDB_LOGIN, CACERTS_PASS, ECE_DEFAULT_PASSWORD,
    ECE_LDAP_KEYSTORE_PASS, VOS_ADMIN_PASSWORD,
};

/// Writes the client files of a running lab into `dir`.
pub fn write_topology_files(
    lab: &Lab,
    dir: &Path,
    control: SocketAddr,
) -> Result<(), (PathBuf, std::io::Error)> {
    write_client_files(
        &lab.topo,
        dir,
        &|h| lab.services(h),
        accounts(lab),
        &format!("http://{control}"),
        &|_| None,
    )
}

/// Writes the client files of a topology into `dir`: `services` gives each
/// host's services as they started, `accounts` every login ([`accounts`]),
/// `control` the control API's URL and `host_control` a host's own control
/// API where it has one (one container per host).
pub fn write_client_files(
    topo: &crate::topology::Topology,
    dir: &Path,
    services_of: &dyn Fn(&crate::topology::Host) -> Vec<ccelab_emulators::product::ServiceInfo>,
    accounts: Vec<serde_json::Value>,
    control: &str,
    host_control: &dyn Fn(&crate::topology::Host) -> Option<String>,
) -> Result<(), (PathBuf, std::io::Error)> {
    let ca_dir = dir.join("ca");
    std::fs::create_dir_all(&ca_dir).map_err(|e| (ca_dir.clone(), e))?;
    let ca_certs = [
        ("root.pem", topo.root.cert.to_pem()),
        ("issuing.pem", topo.issuing.cert.to_pem()),
    ];
    for (f, pem) in &ca_certs {
        write_atomic(&ca_dir.join(f), pem.as_bytes())
            .map_err(|e| (ca_dir.join(f), std::io::Error::other(e.to_string())))?;
    }
    let mut hosts_lines = String::new();
    let mut jdk_hosts = String::new();
    let mut resolve = Vec::new();
    let mut hosts = Vec::new();
    for h in &topo.hosts {
        hosts_lines.push_str(&format!("{} {} {}\n", h.address, h.fqdn, h.short()));
        jdk_hosts.push_str(&format!("{} {} {}\n", h.address, h.fqdn, h.short()));
        let mut services = services_of(h);
        for svc in &mut services {
            // a snapshot of the start: states change, see `ccelab ctl status`
            svc.state = None;
            // curl reaches any listener by the host's name (https, http, ldap)
            if let Some(b) = svc.bound_port {
                let line = format!("--resolve {}:{b}:{}", h.fqdn, h.address);
                if !resolve.contains(&line) {
                    resolve.push(line);
                }
            }
        }
        let mut doc = serde_json::json!({
            "name": h.name, "fqdn": h.fqdn, "role": h.role, "address": h.address.to_string(),
            "disk": h.disk.root().display().to_string(), "services": services,
        });
        if let Some(c) = host_control(h) {
            doc["control"] = serde_json::Value::String(c);
        }
        if crate::topology::Topology::java_product(h.role).is_some() {
            // the Java its product runs (its release's, or `[java]`'s)
            doc["java"] = serde_json::Value::String(topo.java_of(h).to_string());
        }
        hosts.push(doc);
    }
    let doc = serde_json::json!({
        "preset": topo.preset,
        "release": topo.release.to_string(),
        "hosts": hosts,
        "accounts": accounts,
        "ca_certs": ca_certs.iter().map(|(f, _)| ca_dir.join(f).display().to_string()).collect::<Vec<_>>(),
        "control": control,
    });
    for (name, text) in [
        ("hosts", hosts_lines),
        ("jdk-hosts", jdk_hosts),
        ("curl-resolve", resolve.join(" ") + "\n"),
        (
            "topology.json",
            serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n",
        ),
    ] {
        write_atomic(&dir.join(name), text.as_bytes())
            .map_err(|e| (dir.join(name), std::io::Error::other(e.to_string())))?;
    }
    Ok(())
}

/// Every login and store password of the lab, as `topology.json`'s
/// `accounts` lists them (the AD accounts from the running DC's directory).
pub fn accounts(lab: &Lab) -> Vec<serde_json::Value> {
    let ece_accounts: Vec<serde_json::Value> = lab
        .topo
        .ece_accounts
        .list()
        .into_iter()
        .map(|(u, p)| {
            let purpose = if u == "pa" {
                "ECE business partition administrator (inventory credentials, [ECE] 4.3)"
            } else {
                "ECE system partition administrator"
            };
            serde_json::json!({"host": "ece", "user": u, "password": p, "purpose": purpose})
        })
        .collect();
    // the AD logins: every account of the DC's directory with a password
    let ad_accounts: Vec<serde_json::Value> = lab
        .topo
        .hosts
        .iter()
        .find(|h| h.role == Role::AdDc)
        .zip(lab.dc())
        .map(|(h, dc)| {
            dc.with_directory(|d| d.logins())
                .into_iter()
                .map(|l| {
                    let purpose = ad_purpose(&l);
                    serde_json::json!({
                        "host": h.name, "user": l.sam_account_name, "password": l.password,
                        "purpose": purpose, "upn": l.user_principal_name, "down_level": l.down_level,
                        "dn": l.dn, "groups": l.groups, "enabled": l.enabled,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    // ECE's LDAPS keystore, on each application server whose disk has it
    let keystore_on = &lab.topo.ece_app.keystore_on;
    let keystore_accounts: Vec<serde_json::Value> = lab
        .topo
        .hosts
        .iter()
        .filter(|h| h.role == Role::EceApp)
        .filter(|_| lab.topo.ece_app.keystore != EceKeystore::Missing)
        .filter(|h| keystore_on.as_ref().is_none_or(|on| on.contains(&h.name)))
        .map(|h| serde_json::json!({"host": h.name, "user": "mydomain.jks", "password": ECE_LDAP_KEYSTORE_PASS, "purpose": "ECE's LDAPS keystore password ([ECE] 2.1, Partition Administration Configuration)"}))
        .collect();
    // the VOS appliances' platform administrator, and the agents Finesse authenticates
    let of = |roles: &'static [Role]| {
        lab.topo
            .hosts
            .iter()
            .filter(move |h| roles.contains(&h.role))
    };
    let vos_accounts: Vec<serde_json::Value> = of(&[Role::Finesse, Role::Cuic, Role::Ids])
        .map(|h| {
            let purpose = if h.role == Role::Finesse {
                "VOS platform administrator (SSH admin CLI on 22, cmplatform and the certmgr API on 8443) and Finesse administrator (REST, HTTP Basic)"
            } else {
                "VOS platform administrator (SSH admin CLI on 22, cmplatform and the certmgr API on 8443)"
            };
            serde_json::json!({"host": h.name, "user": ccelab_emulators::platform::vos::ADMIN_USER, "password": VOS_ADMIN_PASSWORD, "purpose": purpose})
        })
        .collect();
    let first_finesse = lab.topo.hosts.iter().find(|h| h.role == Role::Finesse);
    // the CVP hosts' .keystore (12.6(2): only DecryptKeystoreUtil.bat shows it there) and the WSM user
    let cvp_accounts: Vec<serde_json::Value> = of(&[Role::CvpCall, Role::CvpReporting, Role::CvpOamp])
        .flat_map(|h| {
            [
                serde_json::json!({"host": h.name, "user": ".keystore", "password": ccelab_emulators::cvp::keystore_password(&h.fqdn), "purpose": "CVP's JCEKS .keystore (security.properties: Security.keystorePW)"}),
                serde_json::json!({"host": h.name, "user": ccelab_emulators::cvp::WSM_ADMIN, "password": crate::registry::CVP_WSM_PASSWORD, "purpose": "CVP Web Services Manager on 8111 (HTTP Basic: Diagnostic Portal, OPS REST on OAMP)"}),
            ]
        })
        .collect();
    let agent_accounts: Vec<serde_json::Value> = first_finesse
        .map(|h| {
            lab.topo
                .agents
                .iter()
                .map(|a| {
                    let role = if a.supervisor { "supervisor" } else { "agent" };
                    serde_json::json!({"host": h.name, "user": a.login_name, "password": a.password, "id": a.id, "purpose": format!("Finesse {role} (REST, HTTP Basic; either node), team {} {}", a.team_id, a.team_name)})
                })
                .collect()
        })
        .unwrap_or_default();
    ad_accounts.into_iter().chain(ece_accounts).chain([
            serde_json::json!({"host": "ads-a", "user": AWDB_LOGIN, "password": ECE_DEFAULT_PASSWORD, "purpose": format!("SQL Server login ECE uses for the AWDB {AWDB_DATABASE} ([ECE] 5, AWDB Details)")}),
            serde_json::json!({"host": "ads-a", "user": lab.topo.cce_admin_account().0, "password": lab.topo.cce_admin_account().1, "purpose": "CCE Administration administrator (REST API, HTTP Basic)"}),
            serde_json::json!({"host": "ads-a", "user": "cacerts", "password": CACERTS_PASS, "purpose": "Java cacerts store password"}),
            serde_json::json!({"host": "ads-b", "user": "cacerts", "password": CACERTS_PASS, "purpose": "Java cacerts store password"}),
        ]).chain(keystore_accounts).chain(vos_accounts).chain(agent_accounts).chain(cvp_accounts).collect::<Vec<_>>()
}

/// What an AD account is for, as `topology.json` says it.
fn ad_purpose(l: &ccelab_emulators::ad_dc::Login) -> String {
    let role = match l.sam_account_name.as_str() {
        "pcceadmin" => "AD bind account of ECE's LDAP lookups ([ECE] 2.1)",
        "Administrator" => {
            "AD domain administrator (CCE Administration's administrator in this lab)"
        }
        _ => "AD user",
    };
    let mut s = role.to_string();
    if !l.groups.is_empty() {
        s.push_str(&format!("; member of {}", l.groups.join(", ")));
    }
    if !l.enabled {
        s.push_str("; disabled (binds answer data 533)");
    }
    s
}

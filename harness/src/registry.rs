//! The registry: which product runs on a host of each role — what it has
//! on its disk when the topology is built ([`write_disk`]) and what it is
//! told when it starts ([`start`]), both taken from the topology. This is
//! the one place that matches on a host's role; adding a product is a folder
//! of its own in `emulators/` and an arm in each of the two functions here.
//!
//! Every serving role is a product on [`Running`]: the AD DC, the ECE web
//! server (IIS), ECE's application servers and CCE Administration on each
//! ADS. The CA serves nothing (its certificates are on the disks).

use std::sync::Arc;

use ccelab_emulators::ad_dc::product::AdDcConfig;
use ccelab_emulators::ad_dc::{Directory, Policy};
use ccelab_emulators::cce_admin::inventory::InventoryEnv;
use ccelab_emulators::cce_admin::CceDeployment;
use ccelab_emulators::cuic::{self, CuicConfig};
use ccelab_emulators::cvp::{self, CvpCert, CvpConfig, CvpRole};
use ccelab_emulators::ece::app::{AppConfig, AppProduct};
use ccelab_emulators::ece::db::EceDb;
use ccelab_emulators::ece::web::WebConfig;
use ccelab_emulators::finesse::{self, CuicTrust, FinesseConfig, FinesseDeployment, NodeInfo};
use ccelab_emulators::ids::{self, IdsCluster};
use ccelab_emulators::platform::vos::{self, VosConfig, ADMIN_USER};
use ccelab_emulators::product::{HostCtx, Running};

use crate::lab::network::LabNetwork;
use crate::lab::LabError;
use crate::topology::{
    EceKeystore, Host, Preset, Role, TomcatCert, Topology, TopologyError, Trusted,
    ECE_DEFAULT_PASSWORD, VOS_ADMIN_PASSWORD,
};
use ccelab_emulators::ece::web::WebDisk;
use ccelab_emulators::pki::{keypool, CertParams, Certificate, Issued, KeyType, San};

/// What several hosts of one product share: ECE's database (its
/// application servers all use it; the data server is not emulated) and
/// CCE Administration's configuration (the inventory, the AWDB login, the
/// application instance: the ADSs share it, as their AWDBs hold the same).
pub(crate) struct Shared {
    ece_db: Arc<EceDb>,
    ece_logs: &'static str,
    cce: Arc<CceDeployment>,
    finesse: Arc<FinesseDeployment>,
    ids: Arc<IdsCluster>,
}

impl Shared {
    /// The shared parts of `topo`'s products.
    pub(crate) fn new(topo: &Topology, network: Arc<LabNetwork>) -> Shared {
        let dc = topo
            .hosts
            .iter()
            .find(|h| h.role == Role::AdDc)
            .map(|d| d.fqdn.clone())
            .unwrap_or_default();
        let apps = topo.hosts.iter().filter(|h| h.role == Role::EceApp).count();
        let env = InventoryEnv {
            app_instance: topo.ads.app_instance.clone(),
            csv_upload: topo.preset == Preset::Pcce4000.name(),
            network,
        };
        let pa = Some(topo.ece_accounts.pa.clone());
        let (admin, admin_password) = topo.cce_admin_account();
        let cce = CceDeployment::new(
            env,
            (admin, admin_password),
            ECE_DEFAULT_PASSWORD.to_string(),
            &topo.ece_fqdn(),
            pa,
        );
        // the agents CCE knows are the ones Finesse signs in
        *cce.agents.lock().unwrap_or_else(|e| e.into_inner()) =
            topo.agents.iter().map(|a| a.login_name.clone()).collect();
        // the Finesse nodes in the inventory by FQDN ([SEC]: the FQDN must be
        // the certificate's name)
        for f in topo
            .hosts
            .iter()
            .filter(|f| matches!(f.role, Role::Finesse | Role::Ids))
        {
            let t = if f.role == Role::Ids {
                ccelab_emulators::cce_admin::inventory::IDS
            } else {
                ccelab_emulators::cce_admin::inventory::FINESSE
            };
            let _ = cce.add_machine(ccelab_emulators::cce_admin::inventory::NewMachine {
                name: Some(f.short().to_string()),
                machine_type: t.into(),
                address: f.fqdn.clone(),
                ..Default::default()
            });
        }
        // the CVP servers the scan found, with the WSM credentials
        // (CVP_WSM / DIAGNOSTIC_PORTAL: [PCCE150-Inv])
        for c in topo
            .hosts
            .iter()
            .filter(|c| matches!(c.role, Role::CvpCall | Role::CvpReporting))
        {
            let t = if c.role == Role::CvpCall {
                ccelab_emulators::cce_admin::inventory::CVP
            } else {
                ccelab_emulators::cce_admin::inventory::CVP_REPORTING
            };
            let _ = cce.add_scanned_machine(ccelab_emulators::cce_admin::inventory::NewMachine {
                name: Some(c.short().to_string()),
                machine_type: t.into(),
                address: c.fqdn.clone(),
                user: Some(cvp::WSM_ADMIN.into()),
                password: Some(CVP_WSM_PASSWORD.into()),
                ..Default::default()
            });
        }
        Shared {
            ece_db: Arc::new(EceDb::new(&dc, topo.ece_accounts.list())),
            ece_logs: ccelab_emulators::ece::ece_logs(apps),
            cce: Arc::new(cce),
            ids: Arc::new(IdsCluster::new(
                // the emulated IdP signs in the agents with their passwords
                topo.agents
                    .iter()
                    .map(|a| (a.login_name.clone(), a.password.clone()))
                    .collect(),
                vec![(
                    FINESSE_CLIENT_ID.to_string(),
                    FINESSE_CLIENT_SECRET.to_string(),
                    fqdns_of(topo, Role::Finesse)
                        .iter()
                        .map(|f| format!("https://{f}:8445/"))
                        .collect(),
                )],
                topo.clock.clone(),
            )),
            finesse: {
                let f = FinesseDeployment::new(
                    topo.agents.clone(),
                    (ADMIN_USER.to_string(), VOS_ADMIN_PASSWORD.to_string()),
                    // the agents' PCs trust the enterprise CA (domain members),
                    // and the customer's CAs above twinned VOS certificates
                    std::iter::once(topo.root.cert.clone())
                        .chain(
                            topo.vos_files
                                .values()
                                .filter_map(|f| f.own.as_ref())
                                .filter(|o| !o.cert.is_self_issued())
                                .map(|o| o.root.clone()),
                        )
                        .collect(),
                );
                f.set_in_service(topo.finesse.in_service);
                Arc::new(f)
            },
        }
    }
}

/// Starts the product of `h`'s role, if it is one on the product trait.
pub(crate) async fn start(
    topo: &Topology,
    h: &Host,
    ctx: HostCtx,
    shared: &Shared,
) -> Result<Option<Arc<dyn Running>>, LabError> {
    Ok(match h.role {
        Role::AdDc => {
            let dc = ccelab_emulators::ad_dc::product::start(ad_dc_config(topo, h)?, ctx).await?;
            Some(dc)
        }
        Role::EceWeb => {
            // the n-th web server forwards to the n-th application server
            // first (in HA each side's web server pairs with its side's
            // collocated server; ccelab's model, see ece::web::forward)
            let mut app_servers = fqdns_of(topo, Role::EceApp);
            let n = fqdns_of(topo, Role::EceWeb)
                .iter()
                .position(|f| *f == h.fqdn)
                .unwrap_or(0);
            if !app_servers.is_empty() {
                let k = n % app_servers.len();
                app_servers.rotate_left(k);
            }
            let config = WebConfig { app_servers };
            Some(ccelab_emulators::ece::web::start(config, ctx).await?)
        }
        Role::EceApp => {
            let config = AppConfig {
                db: shared.ece_db.clone(),
                log_dir: shared.ece_logs.to_string(),
            };
            let app = ccelab_emulators::ece::app::start(config, ctx).await?;
            Some(Arc::new(AppProduct(app)))
        }
        Role::Ads => Some(ccelab_emulators::cce_admin::start(shared.cce.clone(), ctx).await?),
        Role::Finesse => {
            let fqdns = fqdns_of(topo, Role::Finesse);
            let i = fqdns.iter().position(|f| *f == h.fqdn).unwrap_or(0);
            let config = FinesseConfig {
                deployment: shared.finesse.clone(),
                nodes: NodeInfo {
                    primary: fqdns.first().cloned().unwrap_or_default(),
                    secondary: fqdns.get(1).cloned(),
                    sso: topo.hosts.iter().any(|i| i.role == Role::Ids),
                },
                // the primary shows the publisher's Live Data, the secondary the subscriber's
                live_data: fqdns_of(topo, Role::Cuic)
                    .get(i)
                    .map(|c| (c.clone(), topo.live_data)),
                sso: fqdns_of(topo, Role::Ids)
                    .first()
                    .map(|ids| finesse::sso::SsoClient {
                        ids: ids.clone(),
                        client_id: FINESSE_CLIENT_ID.into(),
                        secret: FINESSE_CLIENT_SECRET.into(),
                        redirect_uri: format!("https://{}:8445/desktop/sso/authcode", h.fqdn),
                    }),
                vos: vos_config(topo, h, "12.6.2.10000-24", finesse::platform_services()),
            };
            Some(finesse::start(config, ctx).await?)
        }
        Role::Cuic => {
            let publisher = fqdns_of(topo, Role::Cuic).first() == Some(&h.fqdn);
            let origins = if topo.finesse.live_data_cors {
                fqdns_of(topo, Role::Finesse)
                    .iter()
                    .flat_map(|f| [format!("https://{f}"), format!("https://{f}:8445")])
                    .collect()
            } else {
                Vec::new()
            };
            let config = CuicConfig {
                publisher,
                origins,
                profile: topo.live_data,
                vos: vos_config(
                    topo,
                    h,
                    "12.6.2.10000-16",
                    cuic::platform_services(topo.live_data),
                ),
            };
            Some(cuic::start(config, ctx).await?)
        }
        Role::Ids => {
            let publisher = fqdns_of(topo, Role::Ids).first() == Some(&h.fqdn);
            let vos = vos_config(topo, h, "12.6.2.10000-10", ids::platform_services());
            Some(ids::start(shared.ids.clone(), publisher, vos, ctx).await?)
        }
        Role::CvpCall | Role::CvpReporting | Role::CvpOamp => {
            let profile = topo.cvp.profile;
            let version = match profile {
                cvp::KeystoreProfile::V125 => (12, 5, 1, "12.5(1) BuildNumber=12.5.1.0.0.0.165"),
                cvp::KeystoreProfile::V1262 => (12, 6, 2, "12.6(2) BuildNumber=12.6.2.0.0.0.146"),
            };
            let config = CvpConfig {
                role: cvp_role(h.role),
                profile,
                wsm_password: CVP_WSM_PASSWORD.into(),
                principal_aw: principal_aw(topo)
                    .map(|a| a.fqdn.clone())
                    .unwrap_or_default(),
                version: (version.0, version.1, version.2, version.3.to_string()),
                servers: topo
                    .hosts
                    .iter()
                    .filter(|c| matches!(c.role, Role::CvpCall | Role::CvpReporting))
                    .map(|c| (c.fqdn.clone(), cvp_role(c.role)))
                    .collect(),
            };
            let running = cvp::start(config, ctx).await?;
            Some(Arc::new(cvp::CvpProduct(running)))
        }
        Role::Ca => None,
        Role::LoadBalancer => Some(ccelab_emulators::lb::start(ctx).await?),
    })
}

/// The WSM user's password on every CVP host (`wsmadmin`: the OAMP
/// user's, ccelab's default).
pub const CVP_WSM_PASSWORD: &str = ECE_DEFAULT_PASSWORD;

/// The CVP role of a CVP host.
fn cvp_role(r: Role) -> CvpRole {
    match r {
        Role::CvpReporting => CvpRole::Reporting,
        Role::CvpOamp => CvpRole::Oamp,
        _ => CvpRole::CallServer,
    }
}

/// The principal AW (the first ADS, side A), with its index among the hosts.
fn principal_aw(topo: &Topology) -> Option<&Host> {
    topo.hosts.iter().find(|h| h.role == Role::Ads)
}

/// A web server's own certificate behind an offloading load balancer
/// ([ECE] 1: "a certificate per web server plus one for the load
/// balancer"): its FQDN, issued by the issuing CA (pool keys 30–31, shared
/// by the web servers' leaves). None otherwise: every web server serves the
/// one certificate whose PFX, with its key, was imported on each.
fn ece_web_certificate(
    topo: &Topology,
    h: &Host,
    now: time::OffsetDateTime,
) -> Result<Option<Issued>, TopologyError> {
    let offload = topo
        .lb
        .as_ref()
        .is_some_and(|l| l.mode == ccelab_emulators::lb::LbMode::Offload);
    if !offload {
        return Ok(None);
    }
    let n = fqdns_of(topo, Role::EceWeb)
        .iter()
        .position(|f| *f == h.fqdn)
        .unwrap_or(0);
    let p = CertParams::leaf(
        &format!("CN={}", h.fqdn),
        now - time::Duration::days(1),
        now + time::Duration::days(365),
    )?
    .with_sans([San::Dns(h.fqdn.clone())]);
    Ok(Some(
        topo.issuing
            .issue(&p, keypool::key(KeyType::Rsa2048, 30 + n % 2)?)?,
    ))
}

/// CCE Administration's `tomcatCert` on the `i`-th host (an ADS): issued
/// by the topology's issuing CA; deterministic (pool key 3 + i,
/// content-derived serial), so a CVP server's `AW_cert` is the same.
fn ads_tomcat(
    topo: &Topology,
    i: usize,
    h: &Host,
    now: time::OffsetDateTime,
) -> Result<ccelab_emulators::pki::Issued, TopologyError> {
    let p = CertParams::leaf(
        &format!("CN={}", h.fqdn),
        now - time::Duration::days(1),
        now + time::Duration::days(365),
    )?
    .with_sans([San::Dns(h.fqdn.clone())]);
    Ok(topo
        .issuing
        .issue(&p, keypool::key(KeyType::Rsa2048, 3 + i)?)?)
}

/// The key entries of a CVP host's `.keystore` as installed, alias by
/// alias (pool keys: RSA-2048 32… or RSA-1024 0…, one per alias across
/// the CVP hosts). Self-signed ones are keytool's (`-genkeypair`: the
/// FQDN as first and last name, the other fields Unknown, no SAN; ten
/// years, L); CA-signed ones carry the FQDN as SAN.
fn cvp_keys(
    topo: &Topology,
    h: &Host,
    now: time::OffsetDateTime,
) -> Result<Vec<(&'static str, ccelab_emulators::pki::Issued)>, TopologyError> {
    let before: usize = topo
        .hosts
        .iter()
        .take_while(|o| o.name != h.name)
        .filter(|o| matches!(o.role, Role::CvpCall | Role::CvpReporting | Role::CvpOamp))
        .map(|o| cvp_role(o.role).key_aliases().len())
        .sum();
    let role = cvp_role(h.role);
    let mut out = Vec::new();
    for (j, alias) in role.key_aliases().iter().enumerate() {
        let n = before + j;
        let key = if topo.cvp.key_size == 1024 {
            keypool::key(KeyType::Rsa1024, n % 8)?
        } else {
            keypool::key(KeyType::Rsa2048, 32 + n % 8)?
        };
        // F17: the reporting server's WSM certificate made for its host name
        let name = if *alias == "wsm_certificate"
            && role == CvpRole::Reporting
            && topo.cvp.wsm_cn_host_name
        {
            h.short().to_string()
        } else {
            h.fqdn.clone()
        };
        let issued = match topo.cvp.certificate {
            CvpCert::SelfSigned => {
                let p = CertParams::leaf(
                    &format!("CN={name}, OU=Unknown, O=Unknown, L=Unknown, ST=Unknown, C=Unknown"),
                    now - time::Duration::days(1),
                    now + time::Duration::days(3650),
                )?;
                ccelab_emulators::pki::Issued::self_signed(&p, key)?
            }
            CvpCert::CaSigned => {
                let p = CertParams::leaf(
                    &format!("CN={name}"),
                    now - time::Duration::days(1),
                    now + time::Duration::days(730),
                )?
                .with_sans([San::Dns(name.clone())]);
                topo.issuing.issue(&p, key)?
            }
        };
        out.push((*alias, issued));
    }
    Ok(out)
}

/// Gives the `i`-th host another FQDN (`[hosts.NAME] fqdn`): what its
/// product has that follows the name follows it (the DC's certificate is
/// issued again); the web server's name is `[ece_web] fqdn`, with its
/// certificate and bindings.
pub(crate) fn rename(topo: &mut Topology, i: usize, fqdn: &str) -> Result<(), TopologyError> {
    // a name reaches one host: two hosts with one FQDN would make `ctl`,
    // the hosts files and SNI ambiguous
    if let Some(other) = topo
        .hosts
        .iter()
        .enumerate()
        .find(|(j, o)| *j != i && o.fqdn.eq_ignore_ascii_case(fqdn))
    {
        return Err(TopologyError::Invalid(format!(
            "`{fqdn}` is already the FQDN of {}",
            other.1.name
        )));
    }
    let behind_lb = topo.lb.is_some();
    let Some(h) = topo.hosts.get_mut(i) else {
        return Ok(());
    };
    match h.role {
        // behind a load balancer a web server has a name of its own
        Role::EceWeb if behind_lb => h.fqdn = fqdn.to_string(),
        Role::EceWeb | Role::LoadBalancer => return Err(TopologyError::Invalid(
            "the FQDN users reach ECE by is [ece_web] fqdn (the certificate and bindings follow it)"
                .into(),
        )),
        Role::AdDc => {
            h.fqdn = fqdn.to_string();
            topo.reissue_dc()?;
        }
        Role::Ca
        | Role::Ads
        | Role::EceApp
        | Role::Finesse
        | Role::Cuic
        | Role::Ids
        | Role::CvpCall
        | Role::CvpReporting
        | Role::CvpOamp => h.fqdn = fqdn.to_string(),
    }
    Ok(())
}

/// The DC of the topology: the example forest of [ECE] 2.1–2.2 for the DC's
/// domain (plus the topology's LDIF), its certificate, and the topology's
/// AD policy (F15, F16).
fn ad_dc_config(topo: &Topology, h: &Host) -> Result<AdDcConfig, LabError> {
    let mut directory = Directory::example_for(&h.fqdn).map_err(|e| service(h, e))?;
    if let Some(ldif) = &topo.ad_dc.ldif {
        directory
            .add_ldif(ldif)
            .map_err(|e| service(h, format!("LDIF: {e}")))?;
    }
    Ok(AdDcConfig {
        directory,
        chain: topo.dc.chain(),
        key: topo.dc.key.clone(),
        policy: Policy {
            require_signing: topo.ad_dc.require_signing,
            allow_anonymous: topo.ad_dc.allow_anonymous,
            ..Policy::default()
        },
    })
}

/// The `i`-th VOS host of the topology (finesse-a 0, finesse-b 1, cuic-a 2,
/// cuic-b 3, ids-a 4, ids-b 5): its slot
/// in the key pool.
fn vos_slot(topo: &Topology, h: &Host) -> usize {
    topo.hosts
        .iter()
        .filter(|o| matches!(o.role, Role::Finesse | Role::Cuic | Role::Ids))
        .position(|o| o.name == h.name)
        .unwrap_or(0)
}

/// The pool keys of a VOS host: the installed tomcat key, and the one a
/// regeneration or CSR alternates with (RSA-2048 indices 10–15 and 16–21).
fn vos_keys(topo: &Topology, h: &Host) -> [usize; 2] {
    let slot = vos_slot(topo, h) % 6;
    [10 + slot, 16 + slot]
}

/// The platform settings of a VOS host (the version string and the OVA's
/// sizes in the banner are ccelab's: 2000-agent Finesse OVA, 4 vCPU, 8 GB).
fn vos_config(
    topo: &Topology,
    h: &Host,
    version: &str,
    services: Vec<(String, bool)>,
) -> VosConfig {
    VosConfig {
        version: version.to_string(),
        admin: (ADMIN_USER.to_string(), VOS_ADMIN_PASSWORD.to_string()),
        services,
        restart_time: topo.finesse.restart_time,
        hardware: vec![
            "4 vCPU: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz".into(),
            "Disk 1: 146GB, Partitions aligned".into(),
            "8192 Mbytes RAM".into(),
        ],
        key_slots: vos_keys(topo, h),
    }
}

/// Finesse's OAuth client at IdS (ccelab's id and secret).
const FINESSE_CLIENT_ID: &str = "finesse";
const FINESSE_CLIENT_SECRET: &str = "finesse-client-secret";

/// The FQDNs of the hosts of `role`, in topology order.
fn fqdns_of(topo: &Topology, role: Role) -> Vec<String> {
    topo.hosts
        .iter()
        .filter(|h| h.role == role)
        .map(|h| h.fqdn.clone())
        .collect()
}

/// Certificates several disks hold, made once by whichever disk writer
/// needs them first (the others wait): each VOS host's tomcat certificate
/// (an ADS's cacerts, Finesse's tomcat-trust), each CVP host's key entries
/// (an ADS's cacerts, the CVP servers' `oamp_certificate`) and the
/// principal AW's `tomcatCert` (`AW_cert`). Making them while the other
/// disks are written keeps `ccelab up` short.
pub(crate) struct Made {
    vos: std::collections::HashMap<String, std::sync::OnceLock<Result<Issued, String>>>,
    cvp: std::collections::HashMap<String, std::sync::OnceLock<Result<CvpKeys, String>>>,
    aw: std::sync::OnceLock<Result<Issued, String>>,
}

/// A CVP host's key entries (alias, certificate and key).
type CvpKeys = Vec<(&'static str, Issued)>;

/// An empty memo for the topology's hosts.
pub(crate) fn certificates(topo: &Topology) -> Made {
    fn of<T>(
        topo: &Topology,
        f: fn(Role) -> bool,
    ) -> std::collections::HashMap<String, std::sync::OnceLock<T>> {
        topo.hosts
            .iter()
            .filter(|h| f(h.role))
            .map(|h| (h.name.clone(), std::sync::OnceLock::new()))
            .collect()
    }
    Made {
        vos: of(topo, |r| {
            matches!(r, Role::Finesse | Role::Cuic | Role::Ids)
        }),
        cvp: of(topo, |r| {
            matches!(r, Role::CvpCall | Role::CvpReporting | Role::CvpOamp)
        }),
        aw: std::sync::OnceLock::new(),
    }
}

/// A VOS host's tomcat certificate as installed: self-signed by the
/// platform, or issued by the topology's issuing CA (`[finesse]
/// certificate`). Deterministic (pool key, content-derived serial), so
/// Finesse's trust wiring computes the CUIC certificate its disk holds.
fn vos_tomcat(
    topo: &Topology,
    h: &Host,
    now: time::OffsetDateTime,
) -> Result<ccelab_emulators::pki::Issued, TopologyError> {
    // the customer's twin (`[hosts.NAME] tomcat`)
    if let Some(own) = topo.vos_files.get(&h.name).and_then(|f| f.own.clone()) {
        return Ok(own);
    }
    let key = keypool::key(KeyType::Rsa2048, vos_keys(topo, h)[0])?;
    // F17: a Finesse certificate made for the host name, not the FQDN
    let name = if h.role == Role::Finesse && topo.finesse.certificate_cn_host_name {
        h.short().to_string()
    } else {
        h.fqdn.clone()
    };
    match topo.finesse.certificate {
        TomcatCert::SelfSigned => {
            vos::self_signed_tomcat(&name, now, key).map_err(TopologyError::Invalid)
        }
        TomcatCert::CaSigned => {
            let p = CertParams::leaf(
                &format!("CN={name}"),
                now - time::Duration::days(1),
                now + time::Duration::days(730),
            )?
            .with_sans([San::Dns(name.clone())]);
            Ok(topo.issuing.issue(&p, key)?)
        }
    }
}

fn service(h: &Host, problem: impl std::fmt::Display) -> LabError {
    LabError::Service {
        host: h.name.clone(),
        problem: problem.to_string(),
    }
}

/// Writes the files the product of `h`'s role has on its disk when the
/// topology starts (the `i`-th host: its key from the pool).
pub(crate) fn write_disk(
    topo: &Topology,
    i: usize,
    h: &Host,
    now: time::OffsetDateTime,
    memo: &Made,
) -> Result<(), TopologyError> {
    // the certificates made once for the whole topology
    let made = |h: &Host| -> Result<Issued, TopologyError> {
        let slot = memo
            .vos
            .get(&h.name)
            .ok_or_else(|| TopologyError::Invalid(format!("{}: not a VOS host", h.name)))?;
        slot.get_or_init(|| vos_tomcat(topo, h, now).map_err(|e| e.to_string()))
            .clone()
            .map_err(TopologyError::Invalid)
    };
    let cvp_made = |h: &Host| -> Result<CvpKeys, TopologyError> {
        let slot = memo
            .cvp
            .get(&h.name)
            .ok_or_else(|| TopologyError::Invalid(format!("{}: not a CVP host", h.name)))?;
        slot.get_or_init(|| cvp_keys(topo, h, now).map_err(|e| e.to_string()))
            .clone()
            .map_err(TopologyError::Invalid)
    };
    let aw_made = || -> Result<Option<Issued>, TopologyError> {
        let Some((j, aw)) = topo
            .hosts
            .iter()
            .enumerate()
            .find(|(_, a)| a.role == Role::Ads)
        else {
            return Ok(None);
        };
        memo.aw
            .get_or_init(|| ads_tomcat(topo, j, aw, now).map_err(|e| e.to_string()))
            .clone()
            .map(Some)
            .map_err(TopologyError::Invalid)
    };
    let disk = &h.disk;
    match h.role {
        Role::Ads => {
            let mut trusted: Vec<(String, Certificate)> = Vec::new();
            let from_file = topo
                .ads
                .cacerts_entries
                .get(&h.name)
                .or_else(|| topo.ads.cacerts_entries.get("*"));
            if let Some(entries) = from_file {
                trusted.extend(entries.iter().cloned());
            }
            let listed: &[Trusted] = if from_file.is_some() {
                &[]
            } else {
                &topo.ads.cacerts
            };
            for t in listed {
                match t {
                    Trusted::Root => {
                        trusted.push(("Example Enterprise CA".to_string(), topo.root.cert.clone()))
                    }
                    Trusted::Issuing => {
                        trusted.push(("Example Issuing CA".to_string(), topo.issuing.cert.clone()))
                    }
                    Trusted::EceWeb => trusted.push((topo.ece_fqdn(), topo.ece_web.cert.clone())),
                    // self-signed Finesse / IdS certificates, each under its FQDN ([SEC])
                    Trusted::Finesse | Trusted::Ids => {
                        let role = if *t == Trusted::Ids {
                            Role::Ids
                        } else {
                            Role::Finesse
                        };
                        for f in topo.hosts.iter().filter(|f| f.role == role) {
                            let c = made(f)?.cert;
                            if c.is_self_issued() {
                                trusted.push((f.fqdn.clone(), c));
                            }
                        }
                    }
                    // each CVP server's self-signed WSM certificate under its FQDN ([SEC])
                    Trusted::Cvp => {
                        for c in topo
                            .hosts
                            .iter()
                            .filter(|c| matches!(c.role, Role::CvpCall | Role::CvpReporting))
                        {
                            let wsm = cvp_made(c)?
                                .into_iter()
                                .find(|(a, _)| *a == "wsm_certificate")
                                .map(|(_, i)| i.cert);
                            if let Some(cert) = wsm.filter(|c| c.is_self_issued()) {
                                trusted.push((c.fqdn.clone(), cert));
                            }
                        }
                    }
                }
            }
            let tomcat = match principal_aw(topo) {
                Some(aw) if aw.name == h.name => aw_made()?.ok_or_else(|| {
                    TopologyError::Invalid(format!("{}: no principal AW", h.name))
                })?,
                _ => ads_tomcat(topo, i, h, now)?,
            };
            ccelab_emulators::cce_admin::write_disk(&h.name, disk, &trusted, &tomcat, now)?;
        }
        Role::EceWeb => {
            let own = ece_web_certificate(topo, h, now)?;
            let vip = topo.ece_fqdn();
            let web = WebDisk {
                fqdn: &h.fqdn,
                certificate: own.as_ref().unwrap_or(&topo.ece_web),
                host_name: &topo.iis.host_name,
                require_sni: topo.iis.require_sni,
                require_ssl: topo.iis.require_ssl,
                spog: (
                    topo.iis.spog_protocol.as_deref().unwrap_or("https"),
                    topo.iis.spog_web_server_name.as_deref().unwrap_or(&vip),
                ),
            };
            ccelab_emulators::ece::web::write_disk(&h.name, disk, &web, topo.clock.now())?;
        }
        Role::LoadBalancer => {
            let knobs = topo.lb.clone().unwrap_or_default();
            let servers = topo.lb_servers();
            let layout = ccelab_emulators::lb::Layout {
                mode: knobs.mode,
                vip_fqdn: &h.fqdn,
                vip_address: h.address,
                servers: &servers,
                cookie: knobs.cookie,
                stick: knobs.stick,
                timeout_connect: knobs.timeout_connect,
            };
            let offload = knobs.mode == ccelab_emulators::lb::LbMode::Offload;
            ccelab_emulators::lb::write_disk(
                &h.name,
                disk,
                &layout,
                offload.then_some(&topo.ece_web),
            )?;
        }
        Role::EceApp => {
            let servers = topo.hosts.iter().filter(|h| h.role == Role::EceApp).count();
            let copied_here = topo
                .ece_app
                .keystore_on
                .as_ref()
                .is_none_or(|on| on.contains(&h.name));
            let also = topo
                .ece_app
                .keystore_also
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("imported-{}", i + 1), c.clone()));
            let with: Vec<(String, Certificate)> =
                std::iter::once(("mydomaincontroller".to_string(), topo.dc.cert.clone()))
                    .chain(also.clone())
                    .collect();
            let without: Vec<(String, Certificate)> = also.collect();
            let keystore = match (topo.ece_app.keystore, copied_here) {
                (EceKeystore::Missing, _) | (_, false) => None,
                (EceKeystore::WithDc, true) => Some(&with[..]),
                (EceKeystore::WithoutDc, true) => Some(&without[..]),
            };
            ccelab_emulators::ece::app::write_disk(
                &h.name,
                disk,
                ccelab_emulators::ece::ece_logs(servers),
                keystore,
                now,
            )?;
        }
        Role::AdDc => ccelab_emulators::ad_dc::product::write_disk(&h.name, disk, &topo.dc.cert)?,
        Role::Finesse | Role::Cuic | Role::Ids => {
            let own = made(h)?;
            let files = topo.vos_files.get(&h.name);
            let mut trust = match (files.and_then(|f| f.own.as_ref()), topo.finesse.certificate) {
                // a twin's own chain, as VOS keeps a CA-signed certificate's chain
                (Some(o), _) if o.cert.is_self_issued() => Vec::new(),
                (Some(o), _) => std::iter::once(o.root.clone())
                    .chain(o.intermediates.iter().rev().cloned())
                    .collect(),
                (None, TomcatCert::SelfSigned) => Vec::new(),
                (None, TomcatCert::CaSigned) => {
                    vec![topo.root.cert.clone(), topo.issuing.cert.clone()]
                }
            };
            if let Some(exact) = files.and_then(|f| f.trust.clone()) {
                // the customer's tomcat-trust as listed
                trust = exact;
            } else if h.role == Role::Finesse {
                // the CUIC certificates uploaded to this node's tomcat-trust ([SEC] Live Data)
                let cuics: Vec<&Host> =
                    topo.hosts.iter().filter(|c| c.role == Role::Cuic).collect();
                let me = fqdns_of(topo, Role::Finesse)
                    .iter()
                    .position(|f| *f == h.fqdn)
                    .unwrap_or(0);
                let wanted: Vec<&Host> = match topo.finesse.cuic_trust {
                    CuicTrust::Seed => cuics.get(me).copied().into_iter().collect(),
                    CuicTrust::Both => cuics,
                    CuicTrust::None => Vec::new(),
                };
                // and the IdS nodes' (SSO: Finesse calls IdS server-side)
                let idss = topo.hosts.iter().filter(|c| c.role == Role::Ids);
                for c in wanted.into_iter().chain(idss) {
                    let cert = made(c)?.cert;
                    if !trust.contains(&cert) && cert.is_self_issued() {
                        trust.push(cert);
                    }
                }
            }
            vos::write_disk(&h.name, disk, &own, &trust)?;
        }
        Role::CvpCall | Role::CvpReporting | Role::CvpOamp => {
            let role = cvp_role(h.role);
            let keys = cvp_made(h)?;
            let mut trusted = Vec::new();
            if topo.cvp.certificate == CvpCert::CaSigned {
                // [PCCE1262-Cert]: `root`, then `intermediate_ca`
                trusted.push(("root".to_string(), topo.root.cert.clone()));
                trusted.push(("intermediate_ca".to_string(), topo.issuing.cert.clone()));
            }
            if role == CvpRole::Oamp {
                // the call server's certificates, imported on OAMP for secure
                // communication with the Ops console ([CVP150-Sec]:
                // oamp_wsm_certificate, oamp_callserver_certificate,
                // oamp_vxml_certificate)
                if let Some(call) = topo.hosts.iter().find(|c| c.role == Role::CvpCall) {
                    for (alias, issued) in cvp_made(call)? {
                        let name = match alias {
                            "wsm_certificate" => "oamp_wsm_certificate",
                            "callserver_certificate" => "oamp_callserver_certificate",
                            _ => "oamp_vxml_certificate",
                        };
                        trusted.push((name.to_string(), issued.cert));
                    }
                }
            } else {
                // OAMP's certificate, for secure communication with the Ops console ([CVP150-Sec])
                if let Some(oamp) = topo.hosts.iter().find(|o| o.role == Role::CvpOamp) {
                    if let Some((_, c)) = cvp_made(oamp)?
                        .into_iter()
                        .find(|(a, _)| *a == "oamp_certificate")
                    {
                        trusted.push(("oamp_certificate".to_string(), c.cert));
                    }
                }
                // [SEC]: the principal AW's certificate as AW_cert (F19 without it)
                if topo.cvp.aw_cert {
                    if let Some(aw) = aw_made()? {
                        trusted.push(("AW_cert".to_string(), aw.cert));
                    }
                }
            }
            let d = cvp::CvpDisk {
                role,
                keys,
                trusted,
                profile: topo.cvp.profile,
                password: cvp::keystore_password(&h.fqdn),
            };
            cvp::write_disk(&h.name, disk, &d, now)?;
        }
        Role::Ca => {
            ccelab_emulators::ca::write_disk(&h.name, disk, &topo.root.cert, &topo.issuing.cert)?
        }
    }
    Ok(())
}

//! Topologies: the hosts of a deployment, their PKI and the files on their
//! virtual disks, built from a preset (docs/requirements.md §1–§3).
//!
//! `pcce-2000`: the 2000-agent Packaged CCE of [ECE] with application
//! instance `MultiChannel`, CCE Administration on ADS side A and side B, and a
//! 400-agent ECE collocated server with its web server; an enterprise root and
//! an issuing CA (AD CS). Every trust store is filled as after a correct
//! integration ([ECE] 4.1: the CA certificates in every ADS's `cacerts`).
//! The AD DC / GC (`dc`, gcdcsrv01.example.local) serves LDAP. A topology file can
//! add application servers (`[ece_app] servers`: `ece-app-2`… for the HA and
//! distributed deployments, where "every other application server" of
//! [ECE] 2.1 needs the LDAPS keystore too; F14).
//!
//! `pcce-4000`: the same hosts with the integrator-created application
//! instance `Main_PS1_Multichannel` ([ECE] 4.3); its inventory is uploaded
//! as CSV (`ccelab ctl inventory upload`).
//!
//! Each host's disk is `DIR/disks/<host>/` (`DIR/hosts` is the hosts file
//! for real clients). Files written (Windows paths on each host's disk, see `ccelab_emulators::host`):
//! * ADS: `%JAVA_HOME%\lib\security\cacerts` (JKS, `changeit`) with
//!   `example enterprise ca`, `example issuing ca` and the AW's `tomcatcert`
//!   key entry; `C:\icm\tomcat\logs\`.
//! * ECE web: `C:\Windows\System32\inetsrv\config\applicationHost.config`
//!   with the `Default Web Site` https binding (`*:443:`, sslFlags 0 — host
//!   name blank, Require SNI unchecked, [ECE] 1.2) carrying the certificate's
//!   thumbprint; the certificate as a PFX in ccelab's stand-in for the Windows
//!   certificate store, `C:\ccelab\certstore\My\<thumbprint>.pfx` (invented:
//!   the real store is not a file), the issuing CA in the stand-in for the
//!   Intermediate Certification Authorities store, `C:\ccelab\certstore\CA\`,
//!   from which the server builds the chain it sends (F8 when it is missing);
//!   `spog_config.js` ([ECE] 3).

pub use ccelab_emulators::ece::{
    ece_logs, ECE_LDAP_KEYSTORE, ECE_LDAP_KEYSTORE_PASS, ECE_LOGS, ECE_LOGS_HA, SPOG_CONFIG,
};
use ccelab_emulators::personality::jre::{JavaProduct, JavaSection, Jre, Release, DEFAULT_RELEASE};
use ccelab_emulators::pki::example::{example_issuing, example_root};
pub use ccelab_emulators::platform::iis::{
    APPLICATION_HOST, CERT_STORE_CA, CERT_STORE_MY, PFX_PASS,
};
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ccelab_emulators::clock::Clock;
use ccelab_emulators::host::VirtualDisk;
use ccelab_emulators::pki::{keypool, Ca, CertParams, Issued, KeyPair, KeyType, San};
use serde::Serialize;
use time::Duration;

/// The product role of a host (the `role` of `topology.json`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The Microsoft CA (AD CS).
    Ca,
    /// The ECE web server (IIS).
    EceWeb,
    /// ECE's collocated server (application, services, messaging, data).
    EceApp,
    /// The AD domain controller / global catalog.
    AdDc,
    /// An AW/ADS running CCE Administration.
    Ads,
    /// A Finesse node (primary or secondary) on VOS.
    Finesse,
    /// A CUIC / Live Data node (publisher or subscriber) on VOS.
    Cuic,
    /// A Cisco Identity Service node (publisher or subscriber) on VOS.
    Ids,
    /// A CVP call server (with its VXML server).
    CvpCall,
    /// The CVP reporting server.
    CvpReporting,
    /// The CVP Operations Console (OAMP).
    CvpOamp,
    /// The network load balancer in front of the ECE web servers (its FQDN
    /// is the VIP's).
    LoadBalancer,
}

/// One emulated machine.
#[derive(Clone, Debug)]
pub struct Host {
    /// Its name in the topology (`ece`, `ads-a`, `dc`).
    pub name: String,
    /// Its fully qualified name.
    pub fqdn: String,
    /// What runs on it.
    pub role: Role,
    /// Its own loopback address.
    pub address: Ipv4Addr,
    /// Its disk (`DIR/disks/<name>/`).
    pub disk: VirtualDisk,
}

impl Host {
    /// The short (NetBIOS-like) name: the first label of the FQDN.
    pub fn short(&self) -> &str {
        self.fqdn.split('.').next().unwrap_or(&self.fqdn)
    }
}

/// Errors building a topology.
#[derive(Debug, thiserror::Error)]
pub enum TopologyError {
    /// No preset of that name.
    #[error("unknown preset `{0}` (available: pcce-2000, pcce-4000, ece-400-ha)")]
    UnknownPreset(String),
    /// A certificate could not be made.
    #[error("{0}")]
    Pki(#[from] ccelab_emulators::pki::PkiError),
    /// A key or trust store could not be written.
    #[error("{0}")]
    Store(#[from] ccelab_emulators::stores::StoreError),
    /// A Windows path that maps to no file of the disk.
    #[error("{0}")]
    Disk(#[from] ccelab_emulators::host::DiskError),
    /// A file or directory could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A value the topology cannot take.
    #[error("{0}")]
    Invalid(String),
    /// A value of a topology file's key (`ece_app.keystore_on`) the
    /// topology cannot take (the file's loader says where it is).
    #[error("{key}: {problem}")]
    At {
        /// The key's dotted path.
        key: String,
        /// What is wrong with its value.
        problem: String,
    },
    /// A product could not write its disk.
    #[error(transparent)]
    Product(#[from] ccelab_emulators::product::ProductError),
}

pub use ccelab_emulators::cce_admin::{AdsKnobs, Trusted};
pub use ccelab_emulators::ece::db::EceAccounts;

/// The hosts every preset has, by name (`[ece_app] servers` adds
/// `ece-app-2`…).
pub const PRESET_HOSTS: [&str; 15] = [
    "ca",
    "ece",
    "ads-a",
    "ads-b",
    "dc",
    "ece-app",
    "finesse-a",
    "finesse-b",
    "cuic-a",
    "cuic-b",
    "ids-a",
    "ids-b",
    "cvp-a",
    "cvp-rpt",
    "cvp-oamp",
];

/// The host names of a topology with `servers` application servers.
pub fn host_names(servers: u8) -> Vec<String> {
    host_names_of(servers, false, 1)
}

/// The host names of a topology with `servers` application servers and,
/// with a load balancer (`lb`), `webs` web servers behind it (as
/// [`Topology::add_load_balancer`] and [`Topology::add_ece_web_servers`] name them).
pub fn host_names_of(servers: u8, lb: bool, webs: u8) -> Vec<String> {
    let mut names: Vec<String> = PRESET_HOSTS
        .iter()
        .map(|h| {
            if lb && *h == "ece" {
                "ece-web-1".to_string()
            } else {
                h.to_string()
            }
        })
        .chain((2..=servers).map(|i| format!("ece-app-{i}")))
        .collect();
    if lb {
        names.push("lb".into());
        names.extend((2..=webs).map(|i| format!("ece-web-{i}")));
    }
    names
}

/// Whether `fqdn` is a fully qualified host name (labels of letters,
/// digits and hyphens, at least two).
pub fn is_fqdn(fqdn: &str) -> bool {
    fqdn.len() <= 253
        && fqdn.contains('.')
        && fqdn.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// The deployment sizes ccelab builds (docs/requirements.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// Packaged CCE 2000 agents: application instance `MultiChannel`, components added through pop-ups.
    Pcce2000,
    /// Packaged CCE 4000 agents: application instance `Main_PS1_Multichannel`, components added by CSV.
    Pcce4000,
    /// `pcce-2000` with ECE's 400-agent HA deployment: two collocated ECE
    /// servers, two web servers behind a load balancer (SSL offload with
    /// cookie insert) whose VIP carries ECE's FQDN.
    Ece400Ha,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 3] = [Preset::Pcce2000, Preset::Pcce4000, Preset::Ece400Ha];

    /// Its name (`pcce-2000`).
    pub fn name(self) -> &'static str {
        match self {
            Preset::Pcce2000 => "pcce-2000",
            Preset::Pcce4000 => "pcce-4000",
            Preset::Ece400Ha => "ece-400-ha",
        }
    }

    /// The preset of that name.
    pub fn from_name(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A built topology.
pub struct Topology {
    /// The preset it was built from (`pcce-2000`).
    pub preset: String,
    /// The lab directory.
    pub dir: PathBuf,
    /// The topology clock (fixed, or the system's).
    pub clock: Clock,
    /// The hosts.
    pub hosts: Vec<Host>,
    /// The enterprise root CA.
    pub root: Ca,
    /// The issuing CA below it.
    pub issuing: Ca,
    /// The ECE web server's certificate.
    pub ece_web: Issued,
    /// The AD DC / GC's certificate (LDAPS 636 and 3269).
    pub dc: Issued,
    /// The AD DC's knobs (F15, F16, more entries).
    pub ad_dc: AdDcKnobs,
    /// The application servers' knobs (the LDAPS keystore: F14).
    pub ece_app: AppKnobs,
    /// IIS's knobs (binding: F6; Require SSL: F20; `spog_config.js`: F13).
    pub iis: IisKnobs,
    /// CCE Administration's knobs (what every ADS trusts: F1; the
    /// application instance: F11).
    pub ads: AdsKnobs,
    /// ECE's own users (`pa`: the inventory credentials of [ECE] 4.3; F12).
    pub ece_accounts: EceAccounts,
    /// Finesse's knobs (its tomcat certificates, the restart time).
    pub finesse: FinesseKnobs,
    /// The agents the deployment provisions (Finesse authenticates them).
    pub agents: Vec<Agent>,
    /// Where CUIC's Live Data listens (`[cuic] profile`).
    pub live_data: ccelab_emulators::cuic::LiveDataProfile,
    /// The CVP hosts' knobs (`[cvp]`: certificates, key size, the key
    /// store's password profile, `AW_cert`).
    pub cvp: ccelab_emulators::cvp::CvpKnobs,
    /// The load balancer's knobs (`[lb]`), when the topology has one.
    pub lb: Option<LbKnobs>,
    /// The stubs (`[[stub]]`), each with its host's name.
    pub stubs: Vec<(String, ccelab_emulators::stubs::StubSpec)>,
    /// VOS hosts whose certificate units come from files (`[hosts.NAME]
    /// tomcat`, `tomcat_trust`: `ccelab reproduce`'s twins), by host name.
    pub vos_files: std::collections::BTreeMap<String, VosFiles>,
    /// The CCE release (`release = "12.5"`): the Java each product runs
    /// (issue 19; [`ccelab_emulators::personality::jre::Release::java`]).
    pub release: Release,
    /// `[java]`: products whose Java is not their release's.
    pub java: JavaSection,
}

/// A VOS host's certificate units as files give them.
#[derive(Clone, Debug, Default)]
pub struct VosFiles {
    /// Its `tomcat` certificate, key and chain (else as the knobs make it).
    pub own: Option<Issued>,
    /// Its `tomcat-trust`, exactly (else as the knobs make it).
    pub trust: Option<Vec<ccelab_emulators::pki::Certificate>>,
}

/// The load balancer's knobs (`[lb]`; topology.md §1, F23).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LbKnobs {
    /// offload (default: the only mode whose persistence holds for TLS 1.3
    /// browsers), passthrough or none.
    pub mode: ccelab_emulators::lb::LbMode,
    /// Offload: the persistence cookie is inserted (F23 when not).
    pub cookie: bool,
    /// Passthrough: the stick table is configured (F23 when not).
    pub stick: bool,
    /// `timeout connect` (5 s, the usual recipe's).
    pub timeout_connect: std::time::Duration,
}

impl Default for LbKnobs {
    fn default() -> Self {
        LbKnobs {
            mode: ccelab_emulators::lb::LbMode::Offload,
            cookie: true,
            stick: true,
            timeout_connect: std::time::Duration::from_secs(5),
        }
    }
}

pub use ccelab_emulators::cce_admin::{AWDB_DATABASE, AWDB_LOGIN};

pub use ccelab_emulators::ad_dc::product::AdDcKnobs;
pub use ccelab_emulators::ece::app::{AppKnobs, EceKeystore};
pub use ccelab_emulators::ece::web::IisKnobs;
pub use ccelab_emulators::finesse::{Agent, FinesseKnobs, TomcatCert};

/// The VOS platform administrator's password on the appliances (ccelab's
/// default; user `admin`).
pub const VOS_ADMIN_PASSWORD: &str = ECE_DEFAULT_PASSWORD;

/// The default password of the ECE accounts `pa` and `sa` in presets (and
/// of the AWDB login).
pub const ECE_DEFAULT_PASSWORD: &str = ccelab_emulators::ece::db::DEFAULT_PASSWORD;

/// The `cacerts` password on every ADS (the JDK default).
pub const CACERTS_PASS: &str = "changeit";
/// `cacerts` of the AW/ADS.
pub const CACERTS: &str = r"%JAVA_HOME%\lib\security\cacerts";
/// The Tomcat logs of CCE Administration.
pub const TOMCAT_LOGS: &str = r"C:\icm\tomcat\logs";

fn io(path: &Path) -> impl Fn(std::io::Error) -> TopologyError + '_ {
    move |source| TopologyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn key(kt: KeyType, i: usize) -> Result<Arc<KeyPair>, TopologyError> {
    Ok(keypool::key(kt, i)?)
}

/// The DC's certificate from AD CS (the Domain Controller template: the
/// DC's FQDN, and the domain name, as SANs); one year, like [ECE] 2.1's
/// sample (valid 2020-04-15 to 2021-04-15).
fn dc_certificate(
    issuing: &Ca,
    fqdn: &str,
    now: time::OffsetDateTime,
) -> Result<Issued, TopologyError> {
    let domain = fqdn.split_once('.').map_or(fqdn, |(_, d)| d);
    let p = CertParams::leaf(
        &format!("CN={fqdn}"),
        now - Duration::days(1),
        now + Duration::days(365),
    )?
    .with_sans([San::Dns(fqdn.into()), San::Dns(domain.into())]);
    Ok(issuing.issue(&p, key(KeyType::Rsa2048, 9)?)?)
}

impl Topology {
    /// The release and the Java its products run, as a transcript names
    /// them: `release 12.6 (Java 8u292)`, or per product when they differ
    /// (`release 12.5 (Java: ads 8u221, ece_app 17)`).
    pub fn release_summary(&self) -> String {
        let mut seen: Vec<(&str, Jre)> = Vec::new();
        for h in &self.hosts {
            let product = match Self::java_product(h.role) {
                Some(JavaProduct::Ads) => "ads",
                Some(JavaProduct::EceApp) => "ece_app",
                Some(JavaProduct::Cvp) => "cvp",
                Some(JavaProduct::Vos) => "vos",
                None => continue,
            };
            if !seen.iter().any(|(p, _)| *p == product) {
                seen.push((product, self.java_of(h)));
            }
        }
        let javas: Vec<String> = if seen.windows(2).all(|w| w[0].1 == w[1].1) {
            seen.first()
                .map(|(_, j)| vec![format!("Java {j}")])
                .unwrap_or_default()
        } else {
            vec![format!(
                "Java: {}",
                seen.iter()
                    .map(|(p, j)| format!("{p} {j}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )]
        };
        match javas.first() {
            Some(j) => format!("release {} ({j})", self.release),
            None => format!("release {}", self.release),
        }
    }

    /// The product whose Java a topology chooses, for a host of `role`
    /// (None: IIS, the DC, the CA, the load balancer — no Java client of
    /// theirs is modelled).
    pub fn java_product(role: Role) -> Option<JavaProduct> {
        match role {
            Role::Ads => Some(JavaProduct::Ads),
            Role::EceApp => Some(JavaProduct::EceApp),
            Role::CvpCall | Role::CvpReporting | Role::CvpOamp => Some(JavaProduct::Cvp),
            Role::Finesse | Role::Cuic | Role::Ids => Some(JavaProduct::Vos),
            Role::Ca | Role::EceWeb | Role::AdDc | Role::LoadBalancer => None,
        }
    }

    /// The Java `host`'s product runs: `[java]`'s override, else its
    /// release's; Java 17 for hosts without a Java product.
    pub fn java_of(&self, host: &Host) -> Jre {
        let Some(product) = Self::java_product(host.role) else {
            return Jre::Jdk17;
        };
        self.java
            .of(product)
            .unwrap_or_else(|| self.release.java(product))
    }

    /// Issues the DC's certificate again for its current FQDN.
    pub fn reissue_dc(&mut self) -> Result<(), TopologyError> {
        let fqdn = self
            .hosts
            .iter()
            .find(|h| h.role == Role::AdDc)
            .map(|h| h.fqdn.clone())
            .unwrap_or_default();
        self.dc = dc_certificate(&self.issuing, &fqdn, self.clock.now())?;
        Ok(())
    }

    /// Builds a preset under `dir` (nothing is written yet: see [`Topology::write_disks`]).
    pub fn preset(name: &str, dir: &Path, clock: Clock) -> Result<Self, TopologyError> {
        if Preset::from_name(name).is_none() {
            return Err(TopologyError::UnknownPreset(name.into()));
        }
        let now = clock.now();
        let host = |n: &str, fqdn: &str, role, last: u8| Host {
            name: n.into(),
            fqdn: fqdn.into(),
            role,
            address: Ipv4Addr::new(127, 0, 0, last),
            disk: VirtualDisk::new(dir.join("disks").join(n)),
        };
        let hosts = vec![
            host("ca", "ca.example.local", Role::Ca, 10),
            host("ece", "ece.example.com", Role::EceWeb, 11),
            host("ads-a", "adsa.example.com", Role::Ads, 12),
            host("ads-b", "adsb.example.com", Role::Ads, 13),
            host("dc", "gcdcsrv01.example.local", Role::AdDc, 14),
            host("ece-app", "eceapp.example.com", Role::EceApp, 15),
            // 127.0.0.16… are kept for `[ece_app] servers`
            host("finesse-a", "finessea.example.com", Role::Finesse, 20),
            host("finesse-b", "finesseb.example.com", Role::Finesse, 21),
            host("cuic-a", "cuica.example.com", Role::Cuic, 22),
            host("cuic-b", "cuicb.example.com", Role::Cuic, 23),
            host("ids-a", "idsa.example.com", Role::Ids, 24),
            host("ids-b", "idsb.example.com", Role::Ids, 25),
            host("cvp-a", "cvpa.example.com", Role::CvpCall, 26),
            host("cvp-rpt", "cvprpt.example.com", Role::CvpReporting, 27),
            host("cvp-oamp", "cvpoamp.example.com", Role::CvpOamp, 28),
        ];
        let from = now - Duration::days(1);
        let root = example_root(key(KeyType::Rsa2048, 0)?, from, now + Duration::days(3650))?;
        let issuing = example_issuing(
            &root,
            key(KeyType::Rsa2048, 1)?,
            from,
            now + Duration::days(1825),
        )?;
        let web = CertParams::leaf(
            "CN=ece.example.com, OU=Contact Center, O=Example, L=Tokyo, ST=Tokyo, C=JP",
            now - Duration::days(1),
            now + Duration::days(365),
        )?
        .with_sans([San::Dns("ece.example.com".into())]);
        // the two leaves are signed side by side
        let web_key = key(KeyType::Rsa2048, 2)?;
        let (ece_web, dc) = std::thread::scope(|scope| {
            let dc = scope.spawn(|| dc_certificate(&issuing, "gcdcsrv01.example.local", now));
            let web = issuing.issue(&web, web_key);
            let dc = dc.join().unwrap_or_else(|_| {
                Err(TopologyError::Invalid(
                    "signing the DC certificate panicked".into(),
                ))
            });
            Ok::<_, TopologyError>((web?, dc?))
        })?;
        Ok(Topology {
            preset: name.into(),
            dir: dir.to_path_buf(),
            clock,
            hosts,
            root,
            issuing,
            ece_web,
            dc,
            ad_dc: AdDcKnobs::default(),
            ece_app: AppKnobs::default(),
            iis: IisKnobs::default(),
            ads: AdsKnobs::for_agents(if name == "pcce-4000" { 4000 } else { 2000 }),
            ece_accounts: EceAccounts::default(),
            finesse: FinesseKnobs::default(),
            agents: ccelab_emulators::finesse::preset_agents(ECE_DEFAULT_PASSWORD),
            live_data: ccelab_emulators::cuic::LiveDataProfile::default(),
            cvp: ccelab_emulators::cvp::CvpKnobs::default(),
            lb: None,
            stubs: Vec::new(),
            vos_files: Default::default(),
            release: DEFAULT_RELEASE,
            java: JavaSection::default(),
        })
        .and_then(|mut t| {
            if name == Preset::Ece400Ha.name() {
                t.add_ece_app_servers(2)?;
                t.add_load_balancer(LbKnobs::default())?;
                t.add_ece_web_servers(2)?;
            }
            Ok(t)
        })
    }

    /// Puts a load balancer in front of ECE's web server ([ECE] HA): host
    /// `lb` (127.0.0.29) takes the web server's FQDN as its VIP — the name
    /// users, SPOG and the inventory reach ECE by — and the web server
    /// becomes `ece-web-1`, `eceweb1.<domain>`. Host names and addresses are
    /// ccelab's. Again: only the knobs change.
    pub fn add_load_balancer(&mut self, knobs: LbKnobs) -> Result<(), TopologyError> {
        if self.lb.is_some() {
            self.lb = Some(knobs);
            return Ok(());
        }
        let Some(web) = self.hosts.iter_mut().find(|h| h.role == Role::EceWeb) else {
            return Err(TopologyError::Invalid(
                "[lb]: this topology has no ECE web server".into(),
            ));
        };
        let vip = web.fqdn.clone();
        let domain = vip
            .split_once('.')
            .map_or("example.com", |(_, d)| d)
            .to_string();
        let disks = self.dir.join("disks");
        web.name = "ece-web-1".into();
        web.fqdn = format!("eceweb1.{domain}");
        web.disk = VirtualDisk::new(disks.join("ece-web-1"));
        self.hosts.push(Host {
            name: "lb".into(),
            fqdn: vip,
            role: Role::LoadBalancer,
            address: Ipv4Addr::new(127, 0, 0, 29),
            disk: VirtualDisk::new(disks.join("lb")),
        });
        self.lb = Some(knobs);
        Ok(())
    }

    /// Grows ECE to `n` web servers (1–4) behind the load balancer:
    /// `ece-web-2` (`eceweb2.<domain>`, 127.0.0.30), and so on.
    pub fn add_ece_web_servers(&mut self, n: u8) -> Result<(), TopologyError> {
        if !(1..=4).contains(&n) {
            return Err(TopologyError::Invalid(format!(
                "[ece_web] servers = {n}: between 1 and 4"
            )));
        }
        if n > 1 && self.lb.is_none() {
            return Err(TopologyError::Invalid(format!(
                "[ece_web] servers = {n}: several web servers sit behind a load balancer (add [lb])"
            )));
        }
        let have = self.hosts.iter().filter(|h| h.role == Role::EceWeb).count();
        if usize::from(n) < have {
            return Err(TopologyError::Invalid(format!(
                "[ece_web] servers = {n}: this topology has {have} web servers already (a preset's hosts cannot be removed)"
            )));
        }
        let Some(lb) = self.hosts.iter().find(|h| h.role == Role::LoadBalancer) else {
            return Ok(());
        };
        let domain = lb
            .fqdn
            .split_once('.')
            .map_or("example.com", |(_, d)| d)
            .to_string();
        let disks = self.dir.join("disks");
        for i in 2..=n {
            let name = format!("ece-web-{i}");
            if self.hosts.iter().any(|h| h.name == name) {
                continue;
            }
            self.hosts.push(Host {
                fqdn: format!("eceweb{i}.{domain}"),
                role: Role::EceWeb,
                address: Ipv4Addr::new(127, 0, 0, 28 + i),
                disk: VirtualDisk::new(disks.join(&name)),
                name,
            });
        }
        Ok(())
    }

    /// Grows ECE to `n` application servers (1–4): `ece-app-2`
    /// (`eceapp2.<domain of ece-app>`, 127.0.0.16), and so on. A 400-agent
    /// deployment has the one collocated server; more come with the
    /// distributed deployments ([ECE] 2.1 speaks of "every other application
    /// server"). Host names and addresses are ccelab's.
    pub fn add_ece_app_servers(&mut self, n: u8) -> Result<(), TopologyError> {
        if !(1..=4).contains(&n) {
            return Err(TopologyError::Invalid(format!(
                "[ece_app] servers = {n}: between 1 and 4"
            )));
        }
        let Some(first) = self.hosts.iter().find(|h| h.role == Role::EceApp).cloned() else {
            return Err(TopologyError::Invalid(
                "[ece_app] servers: this topology has no ECE application server".into(),
            ));
        };
        let have = self.hosts.iter().filter(|h| h.role == Role::EceApp).count();
        if usize::from(n) < have {
            return Err(TopologyError::Invalid(format!(
                "[ece_app] servers = {n}: this topology has {have} application servers already (a preset's hosts cannot be removed)"
            )));
        }
        let domain = first.fqdn.split_once('.').map_or("example.com", |(_, d)| d);
        let disks = self.dir.join("disks");
        for i in 2..=n {
            let name = format!("ece-app-{i}");
            if self.hosts.iter().any(|h| h.name == name) {
                continue;
            }
            self.hosts.push(Host {
                fqdn: format!("eceapp{i}.{domain}"),
                role: Role::EceApp,
                address: Ipv4Addr::new(127, 0, 0, 14 + i),
                disk: VirtualDisk::new(disks.join(&name)),
                name,
            });
        }
        Ok(())
    }

    /// CCE Administration's administrator (REST API, HTTP Basic): a fully
    /// qualified user name as Cisco's API guide asks, and its password.
    pub fn cce_admin_account(&self) -> (String, String) {
        // the AD domain's Administrator (the SPOG administrator ECE looks up)
        let domain = self
            .hosts
            .iter()
            .find(|h| h.role == Role::AdDc)
            .and_then(|h| h.fqdn.split_once('.').map(|(_, d)| d.to_string()))
            .unwrap_or_else(|| "example.local".into());
        (
            format!("administrator@{domain}"),
            ECE_DEFAULT_PASSWORD.into(),
        )
    }

    /// The load balancer's servers: HAProxy's name for each web server
    /// (`eceweb1`, `eceweb2`, … by position: stable whatever the web
    /// servers' FQDNs) and its FQDN.
    pub fn lb_servers(&self) -> Vec<(String, String)> {
        self.hosts
            .iter()
            .filter(|h| h.role == Role::EceWeb)
            .enumerate()
            .map(|(i, h)| (format!("eceweb{}", i + 1), h.fqdn.clone()))
            .collect()
    }

    /// The FQDN users reach ECE by: the load balancer's VIP when there is
    /// one ([ECE] 4.3: the best practice for the inventory), else the web
    /// server's.
    pub fn ece_fqdn(&self) -> String {
        self.hosts
            .iter()
            .find(|h| h.role == Role::LoadBalancer)
            .or_else(|| self.hosts.iter().find(|h| h.role == Role::EceWeb))
            .map(|h| h.fqdn.clone())
            .unwrap_or_default()
    }

    /// The host named `name` in the topology (`ads-a`) or by its FQDN
    /// (`aw1.example.local`), case-insensitive.
    pub fn host(&self, name: &str) -> Option<&Host> {
        self.hosts
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .or_else(|| {
                self.hosts
                    .iter()
                    .find(|h| h.fqdn.eq_ignore_ascii_case(name))
            })
    }

    /// The hosts an error about an unknown host lists: `ca, ece (ece.example.local), …`.
    pub fn known_hosts(&self) -> String {
        self.hosts
            .iter()
            .map(|h| format!("{} ({})", h.name, h.fqdn))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The host a client reaches by `name`: its FQDN, short name or address.
    pub fn resolve(&self, name: &str) -> Option<&Host> {
        self.hosts.iter().find(|h| {
            h.fqdn.eq_ignore_ascii_case(name)
                || h.short().eq_ignore_ascii_case(name)
                || h.address.to_string() == name
        })
    }

    /// Writes every host's files.
    ///
    /// Hosts are written in parallel (each has its own disk; an ADS signs
    /// its `tomcatCert`), and the first error is returned.
    pub fn write_disks(&self) -> Result<(), TopologyError> {
        let now = self.clock.now();
        // the VOS appliances' certificates, made once: several disks hold
        // them (an ADS's cacerts, Finesse's tomcat-trust)
        let vos = crate::registry::certificates(self);
        std::thread::scope(|scope| {
            let jobs: Vec<_> = self
                .hosts
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let vos = &vos;
                    scope.spawn(move || self.write_host(i, h, now, vos))
                })
                .collect();
            // every job is joined before the first error (in host order) is returned
            let results: Vec<Result<(), TopologyError>> = jobs
                .into_iter()
                .map(|j| {
                    j.join().unwrap_or_else(|_| {
                        Err(TopologyError::Invalid(
                            "writing a host's disk panicked".into(),
                        ))
                    })
                })
                .collect();
            results
                .into_iter()
                .collect::<Result<Vec<()>, _>>()
                .map(|_| ())
        })
    }

    fn write_host(
        &self,
        i: usize,
        h: &Host,
        now: time::OffsetDateTime,
        vos: &crate::registry::Made,
    ) -> Result<(), TopologyError> {
        std::fs::create_dir_all(h.disk.root()).map_err(io(h.disk.root()))?;
        crate::registry::write_disk(self, i, h, now, vos)
    }
}

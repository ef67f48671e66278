//! Cisco Unified OS (VOS), the appliance platform of Finesse, IdS and CUIC
//! ([SEC]; docs/requirements.md §1): the certificate units on the disk
//! ([`certs`]), how the CLI prints a certificate ([`dump`]), the platform
//! administrator's SSH command line ([`cli`] on [`ssh`]), and the platform
//! services with their restart semantics.
//!
//! Tomcat loads its own certificate and the `tomcat-trust` certificates
//! **when it starts** ([`load_tomcat`]) and keeps them until `utils service
//! restart Cisco Tomcat` (`Cisco Finesse Tomcat` on Finesse) or a reboot:
//! `show cert list trust` lists an upload at once, the running service does
//! not use it ([SEC]: "restart Cisco Finesse Tomcat"; F18).

pub mod appliance;
pub mod certs;
pub mod cli;
pub mod cmplatform;
pub mod dump;
pub mod ssh;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::Clock;
use crate::host::VirtualDisk;
use crate::pki::{keypool, CertParams, Certificate, Issued, KeyPair, KeyType, San};
use crate::product::{ProductError, ProductFuture};

pub use certs::TomcatUnits;

/// The platform administrator of the appliances (ccelab's default; the
/// real one is chosen at installation).
pub const ADMIN_USER: &str = "admin";

/// What a product tells the platform it runs on.
#[derive(Clone, Debug)]
pub struct VosConfig {
    /// The product's installed version (`show version active`).
    pub version: String,
    /// The platform administrator's name and password (SSH, cmplatform).
    pub admin: (String, String),
    /// The platform services `utils service list` shows, in order, with
    /// whether each is activated (a deactivated one shows
    /// `[STOPPED]  Service Not Activated`).
    pub services: Vec<(String, bool)>,
    /// How long `utils service restart` takes (real: minutes; ccelab's
    /// default 3 s; a topology knob).
    pub restart_time: Duration,
    /// The `vCPU`/disk/RAM lines of the CLI's banner.
    pub hardware: Vec<String>,
    /// The host's two pool key slots: the installed certificate's, and
    /// another; a `set cert regen` or `set csr gen` takes the one that is not
    /// the current certificate's key (a new certificate never keeps it).
    pub key_slots: [usize; 2],
}

/// A platform service's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServiceStatus {
    /// `[STARTED]`.
    Started,
    /// `[STOPPED]  Commanded Out of Service`.
    Stopped,
    /// `[STOPPED]  Service Not Activated`.
    NotActivated,
}

/// What a product does when the platform starts or stops one of its
/// services (`true`: start).
pub type ServiceHook =
    Arc<dyn Fn(bool) -> ProductFuture<'static, Result<(), ProductError>> + Send + Sync>;

/// A product's own CLI commands (`utils cuic cors …`): given the command's
/// words (lower-case) and as typed, the lines it prints, or None when the
/// command is not the product's.
pub type CliCommands = Arc<dyn Fn(&[&str], &[String]) -> Option<CliReply> + Send + Sync>;

/// What a product command does with the answer to its question: the lines to print.
pub type Answer = Arc<dyn Fn(&str) -> Vec<String> + Send + Sync>;

/// What a product command answers.
pub enum CliReply {
    /// Lines, then the prompt.
    Lines(Vec<String>),
    /// Lines, a question, and what the answer line does.
    Ask {
        /// Printed first.
        lines: Vec<String>,
        /// The question (no line end: the answer follows on its line).
        prompt: String,
        /// The lines the answer gives.
        answer: Answer,
    },
}

/// The platform of one appliance: its names, disk, clock, services.
pub struct Vos {
    /// The host's name in the topology.
    pub host: String,
    /// Its FQDN (the CN of the certificates it generates).
    pub fqdn: String,
    /// Its disk.
    pub disk: VirtualDisk,
    /// The deployment's clock.
    pub clock: Clock,
    /// What the product told it.
    pub config: VosConfig,
    services: Mutex<Vec<(String, ServiceStatus)>>,
    hooks: Mutex<HashMap<String, ServiceHook>>,
    commands: Mutex<Option<CliCommands>>,
}

impl Vos {
    /// The platform of `host`.
    pub fn new(
        host: &str,
        fqdn: &str,
        disk: VirtualDisk,
        clock: Clock,
        config: VosConfig,
    ) -> Arc<Vos> {
        let services = config
            .services
            .iter()
            .map(|(n, on)| {
                let s = if *on {
                    ServiceStatus::Started
                } else {
                    ServiceStatus::NotActivated
                };
                (n.clone(), s)
            })
            .collect();
        Arc::new(Vos {
            host: host.to_string(),
            fqdn: fqdn.to_string(),
            disk,
            clock,
            config,
            services: Mutex::new(services),
            hooks: Mutex::new(HashMap::new()),
            commands: Mutex::new(None),
        })
    }

    /// The `tomcat` units of the disk.
    pub fn units(&self) -> TomcatUnits {
        TomcatUnits::new(&self.disk)
    }

    /// Lets the product act when `service` starts or stops.
    pub fn on_service(&self, service: &str, hook: ServiceHook) {
        self.hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(service.to_string(), hook);
    }

    /// Adds the product's own CLI commands.
    pub fn set_commands(&self, commands: CliCommands) {
        *self.commands.lock().unwrap_or_else(|e| e.into_inner()) = Some(commands);
    }

    /// Runs a product command of the CLI, if `words` is one.
    pub fn product_command(&self, lower: &[&str], words: &[String]) -> Option<CliReply> {
        let c = self
            .commands
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()?;
        c(lower, words)
    }

    /// The services and their states, in `utils service list`'s order.
    pub fn services(&self) -> Vec<(String, ServiceStatus)> {
        self.services
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The service of that name (case-insensitive), as the platform spells it.
    pub fn service_named(&self, name: &str) -> Option<(String, ServiceStatus)> {
        self.services()
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
    }

    /// Starts or stops `service` (the product's hook runs first: a service
    /// whose start fails stays stopped).
    pub async fn set_service(&self, service: &str, start: bool) -> Result<(), ProductError> {
        let hook = self
            .hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(service)
            .cloned();
        if let Some(h) = hook {
            h(start).await?;
        }
        let mut all = self.services.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = all.iter_mut().find(|(n, _)| n == service) {
            s.1 = if start {
                ServiceStatus::Started
            } else {
                ServiceStatus::Stopped
            };
        }
        Ok(())
    }

    /// `utils system restart`: every service with a product behind it stops,
    /// and starts again after the restart time, reading the disk again.
    pub async fn reboot(&self) {
        let hooked: Vec<String> = self
            .hooks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect();
        for s in &hooked {
            let _ = self.set_service(s, false).await;
        }
        tokio::time::sleep(self.config.restart_time).await;
        for s in &hooked {
            let _ = self.set_service(s, true).await;
        }
    }

    /// The pool key for a regenerated certificate or a CSR: of the host's
    /// two slots, one that is not the current certificate's key.
    fn next_key(&self) -> Result<Arc<KeyPair>, crate::pki::PkiError> {
        let current = self.units().own().ok().map(|(c, _)| c.spki_der());
        for slot in [self.config.key_slots[1], self.config.key_slots[0]] {
            let k = keypool::key(KeyType::Rsa2048, slot)?;
            if current.as_deref() != Some(k.spki_der()) {
                return Ok(k);
            }
        }
        keypool::key(KeyType::Rsa2048, self.config.key_slots[1])
    }

    /// `set cert regen tomcat`: a new self-signed certificate for the FQDN
    /// with a new key; VOS also puts it in `tomcat-trust` (a real CUCM 14
    /// listing has `tomcat-trust/<fqdn>_<serial>.pem` with the own
    /// certificate's serial; docs/research/vos-cli.md §2b).
    pub fn regenerate(&self) -> Result<Certificate, String> {
        let key = self.next_key().map_err(|e| e.to_string())?;
        let issued = self_signed_tomcat(&self.fqdn, self.clock.now(), key)?;
        let units = self.units();
        units
            .set_own(&issued.cert, &issued.key, certs::SELF_SIGNED_DESCRIPTION)
            .map_err(|e| e.to_string())?;
        units
            .add_trust(&issued.cert, certs::SELF_SIGNED_DESCRIPTION)
            .map_err(|e| e.to_string())?;
        Ok(issued.cert)
    }

    /// `set csr gen tomcat`: a CSR for the FQDN with a new key, kept as the
    /// pending CSR.
    pub fn generate_csr(&self) -> Result<String, String> {
        let key = self.next_key().map_err(|e| e.to_string())?;
        let subject =
            crate::pki::dn::parse(&format!("CN={}", self.fqdn)).map_err(|e| e.to_string())?;
        let csr = crate::pki::Csr::new(
            &subject,
            &[San::Dns(self.fqdn.clone())],
            &key,
            crate::pki::SigHash::Sha256,
        )
        .map_err(|e| e.to_string())?;
        self.units()
            .set_csr(&csr, &key)
            .map_err(|e| e.to_string())?;
        Ok(csr.to_pem())
    }
}

impl Vos {
    /// Installs a CA-signed `tomcat` certificate (`chain`: the leaf first,
    /// then any intermediates): its key must be the pending CSR's, and its
    /// issuer must already be in `tomcat-trust` ("VOS must have the signing
    /// CA in its trust store before it will accept the identity cert",
    /// research vos-web.md §1, M). The error texts are ccelab's (L).
    pub fn install_identity(&self, chain: &[Certificate]) -> Result<Certificate, String> {
        let Some(leaf) = chain.first() else {
            return Err("no certificate given".into());
        };
        let units = self.units();
        let key = units
            .csr_key()
            .map_err(|_| "no CSR was generated for tomcat: generate one first".to_string())?;
        if key.spki_der() != leaf.spki_der().as_slice() {
            return Err("the certificate does not match the CSR generated for tomcat".into());
        }
        let trust = units.trust().map_err(|e| e.to_string())?;
        let known = |c: &Certificate| {
            trust.iter().any(|(_, t)| c.is_signed_by(t))
                || chain.iter().skip(1).any(|i| {
                    c.is_signed_by(i) && trust.iter().any(|(_, t)| i.is_signed_by(t) || *t == *i)
                })
        };
        if !known(leaf) {
            return Err(format!(
                "the issuer of the certificate ({}) is not in tomcat-trust: upload the CA certificate(s) as tomcat-trust first",
                leaf.issuer_string()
            ));
        }
        for i in chain.iter().skip(1) {
            if !i.is_self_issued() {
                units
                    .add_trust(i, certs::TRUST_DESCRIPTION)
                    .map_err(|e| e.to_string())?;
            }
        }
        let description = format!(
            "Certificate Signed by {}",
            crate::pki::dn::common_name(leaf.issuer()).unwrap_or_default()
        );
        units
            .set_own(leaf, &key, &description)
            .map_err(|e| e.to_string())?;
        Ok(leaf.clone())
    }
}

/// A tomcat certificate as VOS generates it: self-signed, CN and SAN the
/// FQDN, two years from now (VOS's self-signed validity is configurable;
/// ccelab's choice).
pub fn self_signed_tomcat(
    fqdn: &str,
    now: time::OffsetDateTime,
    key: Arc<KeyPair>,
) -> Result<Issued, String> {
    let p = CertParams::leaf(
        &format!("CN={fqdn}"),
        now - time::Duration::minutes(5),
        now + time::Duration::days(730),
    )
    .map_err(|e| e.to_string())?
    .with_sans([San::Dns(fqdn.to_string())]);
    Issued::self_signed(&p, key).map_err(|e| e.to_string())
}

/// What a VOS Tomcat loaded when it started: its identity (or why it has
/// none) and the `tomcat-trust` certificates.
#[derive(Clone)]
pub struct TomcatLoad {
    /// The own certificate and key.
    pub identity: Result<(Certificate, Arc<KeyPair>), String>,
    /// The trust certificates, by file name.
    pub trust: Vec<(String, Certificate)>,
}

/// Tomcat's start on a VOS host: reads `tomcat/tomcat.pem`, its key and
/// `tomcat-trust` from the disk (blocking I/O: call it off the async workers).
pub fn load_tomcat(disk: &VirtualDisk) -> TomcatLoad {
    let units = TomcatUnits::new(disk);
    TomcatLoad {
        identity: units.own().map_err(|e| e.to_string()),
        trust: units.trust().unwrap_or_default(),
    }
}

/// Writes a VOS host's certificate units as after installation: the own
/// `tomcat` certificate (`description` for a CA-signed one: `Certificate
/// Signed by <issuer CN>`) and the trust certificates given. A self-signed
/// own certificate is in `tomcat-trust` too.
pub fn write_disk(
    host: &str,
    disk: &VirtualDisk,
    own: &Issued,
    trust: &[Certificate],
) -> Result<(), ProductError> {
    let units = TomcatUnits::new(disk);
    let description = if own.cert.is_self_issued() {
        certs::SELF_SIGNED_DESCRIPTION.to_string()
    } else {
        format!(
            "Certificate Signed by {}",
            crate::pki::dn::common_name(own.cert.issuer()).unwrap_or_default()
        )
    };
    let mut trusted: Vec<(&Certificate, &str)> = Vec::new();
    if own.cert.is_self_issued() {
        trusted.push((&own.cert, &description));
    }
    trusted.extend(trust.iter().map(|c| (c, certs::TRUST_DESCRIPTION)));
    units
        .install((&own.cert, &own.key, &description), &trusted)
        .map_err(|e| ProductError::new(host, e))
}

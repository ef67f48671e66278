//! The DC as a product of a deployment: the domain controller started on its
//! host with its four listeners (LDAP 389, LDAPS 636, GC 3268, GC over TLS
//! 3269: docs/requirements.md §1), bound through the deployment's
//! [`Listeners`](crate::product::Listeners).

use std::any::Any;
use std::sync::Arc;

use crate::host::VirtualDisk;
use crate::pki::{Certificate, KeyPair};
use crate::product::{write_file, HostCtx, ProductError, ProductFuture, Running, ServiceInfo};
use crate::tls::TlsVersion;

use super::{
    server_tls_config, AdListener, DcOptions, Directory, DomainController, Policy, PortKind,
};

/// What the DC of a deployment holds: its directory, its certificate for
/// LDAPS and StartTLS (served with TLS 1.2, as Windows Server 2016/2019 serve
/// it), and its policy (F15, F16).
pub struct AdDcConfig {
    /// The forest's entries.
    pub directory: Directory,
    /// Its certificate chain (leaf first) and key.
    pub chain: Vec<Certificate>,
    /// The certificate's key.
    pub key: Arc<KeyPair>,
    /// Signing and anonymous-access policy.
    pub policy: Policy,
}

/// The DC's knobs in a topology (default: as AD ships — no signing
/// required, anonymous operations refused).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AdDcKnobs {
    /// "LDAP server signing requirements" = Require signing (KB4520412; F15).
    pub require_signing: bool,
    /// Anonymous LDAP operations allowed (dSHeuristics; default refused: F16).
    pub allow_anonymous: bool,
    /// LDIF added to the example directory.
    pub ldif: Option<String>,
}

/// The `[ad_dc]` section of a topology file: changes to [`AdDcKnobs`].
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdDcSection {
    /// "LDAP server signing requirements" = Require signing (KB4520412; F15).
    pub require_signing: Option<bool>,
    /// Anonymous operations allowed (default: refused, as AD does; F16).
    pub allow_anonymous: Option<bool>,
    /// An LDIF file (relative to the topology file) whose entries are added
    /// to the example directory (`userPassword:`/`unicodePwd::` set passwords).
    pub ldif: Option<String>,
    /// The DC's certificate, its key and CA certificates from one PEM file
    /// (`ccelab reproduce`'s twin of the customer's DC certificate); the
    /// topology applies it (after the DC's FQDN).
    pub certificate: Option<String>,
}

impl AdDcSection {
    /// The knobs this section makes; the LDIF file is read from `base_dir`
    /// and checked now against the forest of the DC `dc_fqdn` (its domain
    /// follows the DC's name), so that a bad one stops a topology before
    /// anything is written.
    pub fn knobs(&self, base_dir: &std::path::Path, dc_fqdn: &str) -> Result<AdDcKnobs, String> {
        let ldif = match &self.ldif {
            None => None,
            Some(f) => {
                let bytes = crate::host::read_below(base_dir, f)
                    .map_err(|e| e.replace("the file must be", "the LDIF must be"))?;
                let path = base_dir.join(f);
                let text = String::from_utf8(bytes)
                    .map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
                super::Directory::example_for(dc_fqdn)
                    .map_err(|e| format!("the DC `{dc_fqdn}`: {e}"))?
                    .add_ldif(&text)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                Some(text)
            }
        };
        Ok(AdDcKnobs {
            require_signing: self.require_signing.unwrap_or(false),
            allow_anonymous: self.allow_anonymous.unwrap_or(false),
            ldif,
        })
    }
}

/// The running DC.
pub struct RunningDc {
    /// The domain controller (its directory, policy and events).
    pub dc: Arc<DomainController>,
    ctx: HostCtx,
    _listeners: Vec<AdListener>,
}

/// Where the DC's certificate is on its disk (what `openssl s_client
/// -connect gcdcsrv01.example.local:3269` shows: [ECE] 2.1).
pub const DC_CERT: &str = r"C:\ccelab\dc\dc.pem";

/// Writes the DC's certificate to its disk.
pub fn write_disk(host: &str, disk: &VirtualDisk, cert: &Certificate) -> Result<(), ProductError> {
    let path = disk.path(DC_CERT).map_err(|e| ProductError::new(host, e))?;
    write_file(host, &path, cert.to_pem().as_bytes())
}

/// Starts the DC on its host.
pub async fn start(cfg: AdDcConfig, ctx: HostCtx) -> Result<Arc<RunningDc>, ProductError> {
    let tls = server_tls_config(&cfg.chain, &cfg.key, &[TlsVersion::Tls12])
        .map_err(|e| ProductError::new(&ctx.name, e))?;
    let dc = DomainController::new(
        cfg.directory,
        DcOptions {
            tls: Some(tls),
            policy: cfg.policy,
            clock: ctx.clock.clone(),
        },
    );
    let mut listeners = Vec::new();
    for kind in PortKind::ALL {
        let dc = dc.clone();
        let l = ctx
            .listeners
            .bind(&ctx.name, ctx.address, kind.default_port(), move |addr| {
                let dc = dc.clone();
                async move {
                    let l = dc.listen(addr, kind).await?;
                    let local = l.local_addr();
                    Ok::<_, super::AdError>((l, local))
                }
            })
            .await?;
        listeners.push(l);
    }
    Ok(Arc::new(RunningDc {
        dc,
        ctx,
        _listeners: listeners,
    }))
}

impl Running for RunningDc {
    fn services(&self) -> Vec<ServiceInfo> {
        PortKind::ALL
            .iter()
            .map(|k| ServiceInfo {
                name: "NTDS".into(),
                port: Some(k.default_port()),
                bound_port: self.ctx.listeners.bound(&self.ctx.name, k.default_port()),
                state: None,
            })
            .collect()
    }

    /// The DC reads nothing from a disk: its listeners go on as they are.
    fn restart(&self) -> ProductFuture<'_, Result<(), ProductError>> {
        Box::pin(async { Ok(()) })
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

//! Topology files: TOML that overrides a preset (docs/requirements.md §1:
//! the hosts, their certificates and trust, the documented knobs). Unknown keys and bad values are errors that
//! name the file, line and column.
//!
//! ```toml
//! preset = "pcce-2000"
//! clock = "2026-01-01T00:00:00Z"      # a fixed topology clock (default: the system clock)
//! release = "12.5"                     # 12.0, 12.5 (= 12.5(1)), 12.5(1a), 12.5(2), 12.6 (default):
//!                                      # the Java each product runs, so its texts
//!
//! [java]                               # a product's Java instead of its release's
//! ads = "8u221"                        # ads, ece_app, cvp, vos: "8" (= 8u221), "8uN", "11", "17"
//!
//! [ece_web]
//! fqdn = "ece.example.com"
//! [ece_web.certificate]
//! issuer = "issuing"                   # "issuing", "root" or "self" (self-signed)
//! cn = "ece.example.com"
//! sans = ["dns:ece.example.com"]       # [] for a CN-only certificate
//! key = "rsa2048"                      # rsa1024 … rsa4096, p256, p384
//! not_before = "-1d"                   # RFC 3339, YYYY-MM-DD or an offset from the clock
//! not_after = "+365d"
//! # file = "twins/ece-web.pem"       # instead: the certificate, its key and its CA
//!                                      # certificates from a PEM file (`ccelab reproduce`)
//! [ece_web.binding]
//! host_name = ""                       # [ECE] 1.2: blank
//! require_sni = false                  # [ECE] 1.2: unchecked
//!
//! [ads]
//! cacerts = ["root", "issuing"]        # what each ADS trusts: "root", "issuing", "ece-web",
//!                                      # "finesse", "ids", "cvp" (self-signed ones, by FQDN)
//! # cacerts_file = "twins/cacerts"     # instead: the trusted certificates of a key store
//! # cacerts_password = "changeit"      # (JKS, JCEKS, PKCS#12), on every ADS
//! # [ads.cacerts_files]                # or one ADS's own: ads-b = "twins/ads-b-cacerts"
//!
//! [lb]                                 # a load balancer whose VIP takes ECE's FQDN
//! mode = "offload"                     # or "passthrough", "none" (F23)
//! cookie = true                        # offload: cookie insert (false: F23)
//! stick = true                         # passthrough: the session-ID stick table (false: F23)
//! timeout_connect = "5s"               # haproxy.cfg's; a refused server is retried min(it, 1 s) apart
//! # [ece_web] servers = 2              # web servers behind it (ece-web-1 …)
//!
//! [cvp]
//! certificate = "self-signed"          # or "ca-signed"
//! key_size = 2048                      # 1024 as [SEC]'s keytool examples (F24)
//! keystore_profile = "12.5"            # or "12.6.2" (DecryptKeystoreUtil.bat)
//! aw_cert = true                       # false: F19
//! wsm_certificate_cn = "fqdn"          # "host-name": F17 on the reporting server
//!
//! [ad_dc]
//! require_signing = false              # KB4520412 (F15)
//! # ldif = "ad.ldif"                   # entries added to the example directory
//! # certificate = "twins/dc.pem"       # the DC's certificate, key and CAs (`ccelab reproduce`)
//!
//! [hosts.finesse-a]                    # any host: its FQDN; a VOS host (finesse-*, cuic-*,
//! fqdn = "fin01.corp.example"          # ids-*): its certificate units from files
//! tomcat = "twins/finesse-a.pem"       # the tomcat certificate, key and CA certificates
//! tomcat_trust = ["twins/cuic-a.pem"]  # the whole tomcat-trust (else as [finesse] makes it)
//! ```

use std::path::{Path, PathBuf};

use ccelab_emulators::clock::{parse_time, Clock};
use ccelab_emulators::pki::{keypool, Issued};
use serde::Deserialize;

use crate::topology::{Topology, TopologyError};

/// A topology file: a preset and the changes to it, one section per product.
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TopologyFile {
    /// The preset (`pcce-2000` unless said).
    pub preset: Option<String>,
    /// A fixed topology clock (RFC 3339, a date or an offset; default: the system clock).
    #[serde(default, deserialize_with = "ccelab_emulators::pki::spec::time_de")]
    pub clock: Option<String>,
    /// The CCE release (`"12.0"`, `"12.5"` = 12.5(1), `"12.5(1a)"`,
    /// `"12.5(2)"`, `"12.6"`; default 12.6): the Java each product runs.
    pub release: Option<ccelab_emulators::personality::jre::Release>,
    /// `[java]`: a product's Java instead of its release's (`ads`,
    /// `ece_app`, `cvp`, `vos` = `"8"` (8u221), `"8uN"`, `"11"`, `"17"`).
    pub java: Option<ccelab_emulators::personality::jre::JavaSection>,
    /// `[ece_web]`: the ECE web server.
    pub ece_web: Option<EceWebSpec>,
    /// `[ads]`: what every ADS trusts.
    pub ads: Option<AdsSpec>,
    /// `[ad_dc]`: the AD DC.
    pub ad_dc: Option<AdDcSpec>,
    /// `[ece_app]`: ECE's application servers.
    pub ece_app: Option<EceAppSpec>,
    /// `[finesse]`: the Finesse nodes (their tomcat certificates, the
    /// time `utils service restart` takes).
    pub finesse: Option<ccelab_emulators::finesse::FinesseSection>,
    /// `[cuic]`: CUIC and Live Data (the port profile).
    pub cuic: Option<ccelab_emulators::cuic::CuicSection>,
    /// `[cvp]`: the CVP hosts (certificates, key size, the key store's
    /// password profile, `AW_cert`).
    pub cvp: Option<ccelab_emulators::cvp::CvpSection>,
    /// `[lb]`: a load balancer in front of the ECE web servers (mode,
    /// persistence).
    pub lb: Option<ccelab_emulators::lb::LbSection>,
    /// Per-host overrides, by host name (`[hosts.ads-a]`).
    #[serde(default)]
    pub hosts: std::collections::BTreeMap<String, HostSpec>,
    /// `[[stub]]`: answers WireMock gives before a host's product
    /// ([`ccelab_emulators::stubs::StubSpec`]).
    #[serde(default)]
    pub stub: Vec<ccelab_emulators::stubs::StubSpec>,
    /// The topology file's directory (relative paths in it start there).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// A host's overrides ([hosts.NAME]).
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    /// The host's FQDN (its certificates follow it).
    pub fqdn: Option<String>,
    /// A VOS host's `tomcat` certificate, its key and its CA certificates,
    /// from one PEM file (`ccelab reproduce`'s twin of the customer's).
    pub tomcat: Option<String>,
    /// A VOS host's whole `tomcat-trust`: PEM files of certificates (every
    /// certificate of each file; none: an empty `tomcat-trust`).
    pub tomcat_trust: Option<Vec<String>>,
}

/// The AD DC / GC (`[ad_dc]`): the DC's own section.
pub type AdDcSpec = ccelab_emulators::ad_dc::product::AdDcSection;

/// ECE's application servers (`[ece_app]`): their own section.
pub type EceAppSpec = ccelab_emulators::ece::app::AppSection;

/// `[ece_web]`: the ECE web server's section.
pub type EceWebSpec = ccelab_emulators::ece::web::WebSection;

/// The two lines of `spog_config.js` (IIS's own section).
pub type SpogConfigSpec = ccelab_emulators::ece::web::SpogSection;

/// The https binding (IIS's own section).
pub type BindingSpec = ccelab_emulators::ece::web::BindingSection;

pub use ccelab_emulators::pki::spec::{CertSpec, IssuerSpec};

/// `[ads]`: CCE Administration's section.
pub type AdsSpec = ccelab_emulators::cce_admin::AdsSection;

/// A certificate an ADS's `cacerts` can hold.
pub use ccelab_emulators::cce_admin::Trusted as TrustItem;

/// Where key `key` (a dotted path: `ece_app.keystore_on`) is set in a
/// topology file's `text`, whose tables are under `prefix` (`""` for a
/// topology file, `"given."` inside a scenario): the byte offset of its
/// line, or of its table's header, or None.
pub fn locate(text: &str, prefix: &str, key: &str) -> Option<usize> {
    let (table, name) = match key.rsplit_once('.') {
        Some((t, n)) => (format!("{prefix}{t}"), n),
        None => (prefix.trim_end_matches('.').to_string(), key),
    };
    let mut current = String::new();
    let (mut offset, mut header) = (0usize, None);
    for line in text.split_inclusive('\n') {
        let l = line.trim_start();
        let indent = line.len() - l.len();
        if let Some(h) = l.strip_prefix('[') {
            current = h
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            if current == format!("{prefix}{key}") {
                // the key is a table of its own (`[hosts.nope]`)
                return Some(offset + indent);
            }
            if current == table {
                header = Some(offset + indent);
            }
        } else if current == table {
            if let Some(rest) = l.strip_prefix(name) {
                if rest.trim_start().starts_with('=') {
                    return Some(offset + indent);
                }
            }
        }
        offset += line.len();
    }
    header
}

/// Reads, checks and builds the topology file at `path` under `dir`; every
/// error names the file and, where a value is to blame, its line and column.
pub fn load(path: &Path, dir: &Path) -> Result<Topology, FileError> {
    // the user's own file: anywhere (its folder as the system resolves it,
    // `..` included), but a regular file of sane size
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let abs = match (abs.parent(), abs.file_name()) {
        (Some(d), Some(n)) => d.canonicalize().map_or_else(|_| abs.clone(), |d| d.join(n)),
        _ => abs,
    };
    let bytes =
        ccelab_emulators::host::read_within(Path::new("/"), &abs, ccelab_emulators::host::MAX_READ)
            .map_err(|e| FileError::file(path, e.to_string()))?;
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned();
            return Err(FileError::at(
                path,
                &good,
                good.len(),
                "not UTF-8 text: the first byte that is not is here",
            ));
        }
    };
    let spec = parse(path, text)?;
    spec.build(dir).map_err(|e| located(path, text, "", e))
}

/// A build error of a topology file (or a scenario's `[given]`: `prefix`
/// `"given."`) at the place its key is set, when it says which.
pub fn located(path: &Path, text: &str, prefix: &str, e: TopologyError) -> FileError {
    match &e {
        TopologyError::At { key, problem } => match locate(text, prefix, key) {
            Some(at) => FileError::at(path, text, at, format!("{prefix}{key}: {problem}")),
            None => FileError::file(path, e.to_string()),
        },
        _ => FileError::file(path, e.to_string()),
    }
}

/// A topology-file error (`FILE:LINE:COLUMN: message`).
pub type FileError = crate::located::Located;

/// Parses a topology file; errors read `FILE:LINE:COLUMN: message`.
pub fn parse(path: &Path, text: &str) -> Result<TopologyFile, FileError> {
    let mut spec = toml::from_str::<TopologyFile>(text).map_err(|e| {
        FileError::at(
            path,
            text,
            e.span().map_or(0, |s| s.start),
            e.message().trim(),
        )
    })?;
    spec.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    Ok(spec)
}

impl TopologyFile {
    /// Builds the topology: the preset, then every override.
    pub fn build(&self, dir: &Path) -> Result<Topology, TopologyError> {
        let clock = match &self.clock {
            Some(t) => Clock::fixed(
                parse_time(t, time::OffsetDateTime::now_utc()).map_err(TopologyError::Invalid)?,
            ),
            None => Clock::system(),
        };
        let at = |key: &str| {
            let key = key.to_string();
            move |e: &dyn std::fmt::Display| TopologyError::At {
                key: key.clone(),
                problem: e.to_string(),
            }
        };
        let mut topo = Topology::preset(self.preset.as_deref().unwrap_or("pcce-2000"), dir, clock)
            .map_err(|e| match e {
                TopologyError::UnknownPreset(_) => at("preset")(&e),
                e => e,
            })?;
        if let Some(r) = self.release {
            topo.release = r;
        }
        if let Some(j) = self.java {
            topo.java = j;
        }
        if let Some(lb) = &self.lb {
            let mut knobs = topo.lb.clone().unwrap_or_default();
            if let Some(m) = lb.mode {
                knobs.mode = m;
            }
            if let Some(c) = lb.cookie {
                knobs.cookie = c;
            }
            if let Some(st) = lb.stick {
                knobs.stick = st;
            }
            if let Some(t) = &lb.timeout_connect {
                knobs.timeout_connect = ccelab_emulators::lb::config::duration(t)
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        at("lb.timeout_connect")(&format!(
                            "`{t}` is not a time above zero in HAProxy's format (5s, 200ms)"
                        ))
                    })?;
            }
            topo.add_load_balancer(knobs).map_err(|e| at("lb")(&e))?;
        }
        if let Some(n) = self.ece_web.as_ref().and_then(|w| w.servers) {
            topo.add_ece_web_servers(n)
                .map_err(|e| at("ece_web.servers")(&e))?;
        }
        // with a load balancer, ECE's name (and the certificate users see) is the VIP's
        let vip_role = if topo.lb.is_some() {
            crate::topology::Role::LoadBalancer
        } else {
            crate::topology::Role::EceWeb
        };
        if let Some(ece) = &self.ece_web {
            if let Some(f) = &ece.fqdn {
                if !crate::topology::is_fqdn(f) {
                    return Err(at("ece_web.fqdn")(&format!(
                        "`{f}` is not a fully qualified host name"
                    )));
                }
                if let Some(h) = topo.hosts.iter_mut().find(|h| h.role == vip_role) {
                    h.fqdn = f.clone();
                }
                // behind a load balancer the web servers follow the VIP's domain
                // (`[hosts.ece-web-N] fqdn` names one otherwise)
                if vip_role == crate::topology::Role::LoadBalancer {
                    let domain = f.split_once('.').map_or(f.as_str(), |(_, d)| d).to_string();
                    for (n, h) in topo
                        .hosts
                        .iter_mut()
                        .filter(|h| h.role == crate::topology::Role::EceWeb)
                        .enumerate()
                    {
                        h.fqdn = format!("eceweb{}.{domain}", n + 1);
                    }
                }
            }
            let fqdn = topo.ece_fqdn();
            let from_file = match &ece.certificate {
                Some(c) => c
                    .load_file(&self.base_dir)
                    .map_err(|e| at("ece_web.certificate.file")(&e))?,
                None => None,
            };
            if let Some(issued) = from_file {
                topo.ece_web = issued;
            } else if ece.certificate.is_some() || ece.fqdn.is_some() {
                let spec = ece.certificate.clone().unwrap_or_default();
                let (params, key_type, issuer) =
                    spec.params(&fqdn, topo.clock.now()).map_err(|e| {
                        let key = match e {
                            ccelab_emulators::pki::PkiError::Validity(_) => {
                                "ece_web.certificate.not_after"
                            }
                            _ => "ece_web.certificate",
                        };
                        at(key)(&e)
                    })?;
                let key = keypool::key(key_type, 2)?;
                topo.ece_web = match issuer {
                    IssuerSpec::Issuing => topo.issuing.issue(&params, key)?,
                    IssuerSpec::Root => topo.root.issue(&params, key)?,
                    IssuerSpec::SelfSigned => Issued::self_signed(&params, key)?,
                };
            }
            ece.apply(&mut topo.iis, &mut topo.ece_accounts);
        }
        if let Some(app) = &self.ece_app {
            if let Some(n) = app.servers {
                // the added servers take the domain of ece-app's own name
                if let Some(f) = self.hosts.get("ece-app").and_then(|h| h.fqdn.as_ref()) {
                    if let Some(h) = topo.hosts.iter_mut().find(|h| h.name == "ece-app") {
                        h.fqdn = f.clone();
                    }
                }
                topo.add_ece_app_servers(n)?;
            }
        }
        for (name, spec) in &self.hosts {
            if spec.tomcat.is_none() && spec.tomcat_trust.is_none() {
                continue;
            }
            let vos = topo.hosts.iter().any(|h| {
                h.name == *name
                    && matches!(
                        h.role,
                        crate::topology::Role::Finesse
                            | crate::topology::Role::Cuic
                            | crate::topology::Role::Ids
                    )
            });
            if !vos {
                let names: Vec<&str> = topo
                    .hosts
                    .iter()
                    .filter(|h| {
                        matches!(
                            h.role,
                            crate::topology::Role::Finesse
                                | crate::topology::Role::Cuic
                                | crate::topology::Role::Ids
                        )
                    })
                    .map(|h| h.name.as_str())
                    .collect();
                return Err(at(&format!("hosts.{name}"))(&format!(
                    "tomcat and tomcat_trust are a VOS host's (VOS hosts: {})",
                    names.join(", ")
                )));
            }
            let mut files = crate::topology::VosFiles::default();
            if let Some(f) = &spec.tomcat {
                files.own = Some(
                    ccelab_emulators::pki::spec::load_identity(&self.base_dir, f)
                        .map_err(|e| at(&format!("hosts.{name}.tomcat"))(&e))?,
                );
            }
            if let Some(list) = &spec.tomcat_trust {
                let at = at(&format!("hosts.{name}.tomcat_trust"));
                let mut trust = Vec::new();
                for f in list {
                    let bytes = ccelab_emulators::host::read_below(&self.base_dir, f)
                        .map_err(|e| at(&e))?;
                    let text = String::from_utf8(bytes)
                        .map_err(|_| at(&format!("{f}: not a PEM text")))?;
                    let certs = ccelab_emulators::pki::Certificate::all_from_pem(&text)
                        .map_err(|e| at(&format!("{f}: {e}")))?;
                    if certs.is_empty() {
                        return Err(at(&format!("{f}: no CERTIFICATE in the file")));
                    }
                    trust.extend(certs);
                }
                files.trust = Some(trust);
            }
            topo.vos_files.insert(name.clone(), files);
        }
        for (name, spec) in &self.hosts {
            let Some(fqdn) = &spec.fqdn else { continue };
            if !crate::topology::is_fqdn(fqdn) {
                return Err(at(&format!("hosts.{name}.fqdn"))(&format!(
                    "`{fqdn}` is not a fully qualified host name"
                )));
            }
            let Some(i) = topo.hosts.iter().position(|h| h.name == *name) else {
                let names: Vec<&str> = topo.hosts.iter().map(|h| h.name.as_str()).collect();
                let hint = if name == "ece" && topo.lb.is_some() {
                    "; behind [lb] the web server is ece-web-1 and ECE's name is [ece_web] fqdn"
                } else {
                    ""
                };
                return Err(at(&format!("hosts.{name}"))(&format!(
                    "no such host (hosts: {}){hint}",
                    names.join(", ")
                )));
            };
            crate::registry::rename(&mut topo, i, fqdn)
                .map_err(|e| at(&format!("hosts.{name}.fqdn"))(&e))?;
        }
        if let Some(ad) = &self.ad_dc {
            let dc = topo
                .hosts
                .iter()
                .find(|h| h.role == crate::topology::Role::AdDc)
                .map_or_else(String::new, |h| h.fqdn.clone());
            topo.ad_dc = ad
                .knobs(&self.base_dir, &dc)
                .map_err(|e| at("ad_dc.ldif")(&e))?;
            if let Some(f) = &ad.certificate {
                topo.dc = ccelab_emulators::pki::spec::load_identity(&self.base_dir, f)
                    .map_err(|e| at("ad_dc.certificate")(&e))?;
            }
        }
        if let Some(p) = self.cuic.as_ref().and_then(|c| c.profile) {
            topo.live_data = p;
        }
        if let Some(c) = &self.cvp {
            topo.cvp = c
                .knobs(topo.cvp.clone())
                .map_err(|e| at("cvp.key_size")(&TopologyError::Invalid(e)))?;
        }
        if let Some(f) = &self.finesse {
            topo.finesse = f
                .knobs(topo.finesse.clone())
                .map_err(|e| at("finesse.restart_seconds")(&TopologyError::Invalid(e)))?;
        }
        if let Some(on) = self.ece_app.as_ref().and_then(|a| a.keystore_on.as_ref()) {
            let mut canonical: Vec<String> = Vec::new();
            for name in on {
                let found = topo.hosts.iter().find(|h| {
                    h.name.eq_ignore_ascii_case(name) && h.role == crate::topology::Role::EceApp
                });
                if let Some(h) = found {
                    if !canonical.contains(&h.name) {
                        canonical.push(h.name.clone());
                    }
                } else {
                    let apps: Vec<&str> = topo
                        .hosts
                        .iter()
                        .filter(|h| h.role == crate::topology::Role::EceApp)
                        .map(|h| h.name.as_str())
                        .collect();
                    return Err(at("ece_app.keystore_on")(&format!(
                        "`{name}` is not an application server (application servers: {})",
                        apps.join(", ")
                    )));
                }
            }
            topo.ece_app.keystore_on = Some(canonical);
        }
        if let Some(k) = self.ece_app.as_ref().and_then(|a| a.keystore) {
            topo.ece_app.keystore = k;
        }
        if let Some(f) = self.ece_app.as_ref().and_then(|a| a.keystore_also.as_ref()) {
            let at = at("ece_app.keystore_also");
            let bytes =
                ccelab_emulators::host::read_below(&self.base_dir, f).map_err(|e| at(&e))?;
            let text = String::from_utf8(bytes).map_err(|_| at(&format!("{f}: not UTF-8 text")))?;
            topo.ece_app.keystore_also = ccelab_emulators::ece::app::keystore_also(&text)
                .map_err(|e| at(&format!("{f}: {e}")))?;
        }
        if let Some(ads) = &self.ads {
            ads.apply(&mut topo.ads, &self.base_dir)
                .map_err(|(key, problem)| TopologyError::At { key, problem })?;
            for host in ads.cacerts_files.keys() {
                let ok = topo
                    .hosts
                    .iter()
                    .any(|h| h.name == *host && h.role == crate::topology::Role::Ads);
                if !ok {
                    let adss: Vec<&str> = topo
                        .hosts
                        .iter()
                        .filter(|h| h.role == crate::topology::Role::Ads)
                        .map(|h| h.name.as_str())
                        .collect();
                    return Err(at(&format!("ads.cacerts_files.{host}"))(&format!(
                        "`{host}` is not an ADS (ADSs: {})",
                        adss.join(", ")
                    )));
                }
            }
        }
        for (i, st) in self.stub.iter().enumerate() {
            let Some(h) = topo.host(&st.host) else {
                return Err(at(&format!("stub[{i}].host"))(&format!(
                    "no host `{}`; the hosts are {}",
                    st.host,
                    topo.known_hosts()
                )));
            };
            let name = h.name.clone();
            st.check().map_err(|e| at(&format!("stub[{i}]"))(&e))?;
            topo.stubs.push((name, st.clone()));
        }
        Ok(topo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_file_line_and_column() {
        let p = Path::new("lab.toml");
        let e = parse(p, "preset = \"pcce-2000\"\n[ece_web]\nfqdm = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("lab.toml:3:1: unknown field `fqdm`"), "{e}");
        let e = parse(p, "[ece_web.certificate]\nkey = \"rsa999\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("lab.toml:2:7: unknown key type `rsa999`"),
            "{e}"
        );
        let e = parse(p, "[ece_web.certificate]\nsans = [\"dns:a b\"]\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("lab.toml:2:8:"), "{e}");
        let e = parse(p, "clock = \"yesterday\"\n").unwrap_err().to_string();
        assert!(e.starts_with("lab.toml:1:9:"), "{e}");
        let e = parse(p, "[ads]\ncacerts = [\"root\", \"nope\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("lab.toml:2:20: unknown variant `nope`"),
            "{e}"
        );
        assert!(parse(p, "preset = \"pcce-2000\"\n").is_ok());
        let e = parse(p, "[ece_app]\nservers = 5\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("lab.toml:2:11: 5 application servers: between 1 and 4"),
            "{e}"
        );
    }

    #[test]
    fn a_load_balancer_in_a_topology_file() {
        let p = Path::new("lab.toml");
        let d = tempfile::tempdir().unwrap();
        // ECE's name is the VIP's; the web servers follow its domain
        let topo = parse(
            p,
            "[lb]\nmode = \"none\"\n[ece_web]\nservers = 3\nfqdn = \"chat.corp.example\"\n",
        )
        .unwrap()
        .build(d.path())
        .unwrap();
        assert_eq!(topo.ece_fqdn(), "chat.corp.example");
        assert_eq!(
            topo.lb.as_ref().map(|l| l.timeout_connect),
            Some(std::time::Duration::from_secs(5))
        );
        // haproxy.cfg's timeout connect, in HAProxy's time format
        let t = parse(p, "[lb]\ntimeout_connect = \"200ms\"\n")
            .unwrap()
            .build(d.path())
            .unwrap();
        assert_eq!(
            t.lb.map(|l| l.timeout_connect),
            Some(std::time::Duration::from_millis(200))
        );
        let e = parse(p, "[lb]\ntimeout_connect = \"soon\"\n")
            .unwrap()
            .build(d.path())
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("lb.timeout_connect") && e.contains("`soon` is not a time"),
            "{e}"
        );
        assert_eq!(
            topo.lb_servers(),
            [
                ("eceweb1".to_string(), "eceweb1.corp.example".to_string()),
                ("eceweb2".to_string(), "eceweb2.corp.example".to_string()),
                ("eceweb3".to_string(), "eceweb3.corp.example".to_string()),
            ]
        );
        // a preset's web servers cannot be removed; several need a load balancer
        let e = parse(p, "preset = \"ece-400-ha\"\n[ece_web]\nservers = 1\n")
            .unwrap()
            .build(d.path())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("has 2 web servers already"), "{e}");
        let e = parse(p, "[ece_web]\nservers = 2\n")
            .unwrap()
            .build(d.path())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("add [lb]"), "{e}");
        let e = parse(p, "[lb]\n[hosts.ece]\nfqdn = \"x.example.com\"\n")
            .unwrap()
            .build(d.path())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("the web server is ece-web-1"), "{e}");
    }

    #[test]
    fn more_application_servers_and_where_the_keystore_is() {
        let p = Path::new("lab.toml");
        let d = tempfile::tempdir().unwrap();
        let spec = parse(
            p,
            "[ece_app]\nservers = 3\nkeystore_on = [\"ECE-APP\", \"ece-app-3\", \"ece-app\"]\n[hosts.ece-app-2]\nfqdn = \"app2.example.com\"\n[hosts.ece-app]\nfqdn = \"eceapp.corp.example\"\n",
        )
        .unwrap();
        let topo = spec.build(d.path()).unwrap();
        let apps: Vec<(&str, &str, String)> = topo
            .hosts
            .iter()
            .filter(|h| h.role == crate::topology::Role::EceApp)
            .map(|h| (h.name.as_str(), h.fqdn.as_str(), h.address.to_string()))
            .collect();
        assert_eq!(
            apps,
            [
                ("ece-app", "eceapp.corp.example", "127.0.0.15".to_string()),
                ("ece-app-2", "app2.example.com", "127.0.0.16".to_string()),
                (
                    "ece-app-3",
                    "eceapp3.corp.example",
                    "127.0.0.17".to_string()
                ),
            ]
        );
        // names as the hosts spell them, once each
        assert_eq!(
            topo.ece_app.keystore_on,
            Some(vec!["ece-app".to_string(), "ece-app-3".to_string()])
        );
        topo.write_disks().unwrap();
        let ks = |h: &str| {
            d.path()
                .join("disks")
                .join(h)
                .join("C/ece/pcce/mydomain.jks")
        };
        assert!(ks("ece-app").exists() && !ks("ece-app-2").exists() && ks("ece-app-3").exists());
        assert!(d
            .path()
            .join("disks/ece-app-2/C/ECE/eService/logs")
            .is_dir());
        let e = parse(p, "[ece_app]\nkeystore_on = [\"ads-a\"]\n")
            .unwrap()
            .build(d.path())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            e,
            "ece_app.keystore_on: `ads-a` is not an application server (application servers: ece-app)"
        );
    }

    /// Issue 11 D8: every bad value of a topology file is an error at its
    /// FILE:LINE:COLUMN, found before anything is written.
    #[test]
    fn bad_values_are_errors_at_their_place() {
        let d = tempfile::tempdir().unwrap();
        let lab = d.path().join("lab");
        let load_text = |text: &[u8]| {
            let f = d.path().join("t.toml");
            std::fs::write(&f, text).unwrap();
            load(&f, &lab)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        let cases: [(&str, &str); 15] = [
            ("[hosts.ads-b]\nfqdn = \"adsa.example.com\"\n", "t.toml:2:1: hosts.ads-b.fqdn: `adsa.example.com` is already the FQDN of ads-a"),
            ("preset = \"pcce-9000\"\n", "t.toml:1:1: preset: unknown preset `pcce-9000`"),
            ("[ece_web]\nfqdn = \"../..\"\n", "t.toml:2:1: ece_web.fqdn: `../..` is not a fully qualified host name"),
            ("[ece_web]\nfqdn = \"\"\n", "t.toml:2:1: ece_web.fqdn: `` is not"),
            ("[ece_web.certificate]\nsans = [\"xyz:host\"]\n", "t.toml:2:8: `xyz:host`: unknown SAN type `xyz:`"),
            ("[ece_web.certificate]\nnot_before = \"+2d\"\nnot_after = \"+1d\"\n", "t.toml:3:1: ece_web.certificate.not_after:"),
            ("[ece_app]\nservers = 2\nkeystore_on = [\"ece-app-3\"]\n", "t.toml:3:1: ece_app.keystore_on: `ece-app-3` is not an application server"),
            ("[ad_dc]\nldif = \"missing.ldif\"\n", "t.toml:2:1: ad_dc.ldif:"),
            ("[ad_dc]\nldif = \"../../etc/passwd\"\n", "t.toml:2:1: ad_dc.ldif: `../../etc/passwd`: the LDIF must be in the topology file's folder or below it"),
            ("clock = \"2026-13-45T99:00:00Z\"\n", "is not a valid date and time"),
            ("[ece_web.certificate]\nfile = \"../x.pem\"\n", "t.toml:2:1: ece_web.certificate.file: `../x.pem`: the file must be in the topology file's folder or below it"),
            ("[ece_web.certificate]\nfile = \"x.pem\"\ncn = \"a\"\n", "t.toml:2:1: ece_web.certificate.file: `file` gives the whole certificate"),
            ("[ece_web.certificate]\nfile = \"t.toml\"\n", "t.toml: no CERTIFICATE in the file"),
            ("[ads]\ncacerts = []\ncacerts_file = \"t.toml\"\n", "t.toml:3:1: ads.cacerts_file: `cacerts` and `cacerts_file` both say"),
            ("[ads.cacerts_files]\nece = \"t.toml\"\n", "ads.cacerts_files.ece:"),
        ];
        for (text, want) in cases {
            let e = load_text(text.as_bytes());
            assert!(e.contains(want), "{text:?}: {e}");
        }
        assert!(!lab.exists(), "nothing written for a bad file");
        let e = load_text(b"preset = \"pcce-2000\"\n# caf\xe9\n");
        assert!(
            e.ends_with("t.toml:2:6: not UTF-8 text: the first byte that is not is here"),
            "{e}"
        );
        // a symbolic link out of the folder is not followed for the LDIF
        std::os::unix::fs::symlink("/etc/hostname", d.path().join("out.ldif")).unwrap();
        let e = load_text(b"[ad_dc]\nldif = \"out.ldif\"\n");
        assert!(e.contains("leads outside"), "{e}");
    }

    #[test]
    fn a_vos_host_s_certificate_units_from_files() {
        let d = tempfile::tempdir().unwrap();
        let key = keypool::key(ccelab_emulators::pki::KeyType::Rsa2048, 30).unwrap();
        let from = time::macros::datetime!(2026-01-01 00:00:00 UTC);
        let own = ccelab_emulators::platform::vos::self_signed_tomcat(
            "fin01.corp.example",
            from,
            key.clone(),
        )
        .unwrap();
        let mut pem = own.cert.to_pem();
        pem.push_str(&key.to_pkcs8_pem());
        std::fs::write(d.path().join("fin.pem"), pem).unwrap();
        std::fs::write(d.path().join("trust.pem"), own.cert.to_pem()).unwrap();
        let p = d.path().join("lab.toml");
        let spec = parse(
            &p,
            "[hosts.finesse-a]\nfqdn = \"fin01.corp.example\"\ntomcat = \"fin.pem\"\ntomcat_trust = [\"trust.pem\"]\n[hosts.finesse-b]\ntomcat_trust = []\n",
        )
        .unwrap();
        let topo = spec.build(&d.path().join("lab")).unwrap();
        let f = &topo.vos_files["finesse-a"];
        assert_eq!(f.own.as_ref().unwrap().cert, own.cert);
        assert_eq!(f.trust.as_deref(), Some(&[own.cert.clone()][..]));
        assert_eq!(topo.vos_files["finesse-b"].trust.as_deref(), Some(&[][..]));
        // not a VOS host; a file that is not there; a file without the key
        for (text, want) in [
            ("[hosts.ads-a]\ntomcat = \"fin.pem\"\n", "a VOS host's"),
            (
                "[hosts.cuic-a]\ntomcat_trust = [\"nope.pem\"]\n",
                "hosts.cuic-a.tomcat_trust",
            ),
            (
                "[hosts.ids-a]\ntomcat = \"trust.pem\"\n",
                "hosts.ids-a.tomcat",
            ),
        ] {
            let e = parse(&p, text).unwrap().build(d.path()).err().unwrap();
            assert!(e.to_string().contains(want), "{e}");
        }
    }
}

//! Topology files: TOML that overrides a preset ([topology.md] §1; issue
//! "ECE ↔ PCCE integration" §2). Unknown keys and bad values are errors that
//! name the file, line and column.
//!
//! ```toml
//! preset = "pcce-2000"
//! clock = "2026-01-01T00:00:00Z"      # a fixed topology clock (default: the system clock)
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
//! [ece_web.binding]
//! host_name = ""                       # [ECE] 1.2: blank
//! require_sni = false                  # [ECE] 1.2: unchecked
//!
//! [ads]
//! cacerts = ["root", "issuing"]        # what each ADS trusts: "root", "issuing", "ece-web"
//! ```
//!
//! [topology.md]: ../../../shared/spec/topology.md

use std::path::Path;

use ccelab_emulators::clock::{parse_time, Clock};
use ccelab_emulators::pki::{keypool, CertParams, Issued, KeyType, San};
use serde::{Deserialize, Deserializer};

use crate::topology::{Topology, TopologyError};

fn from_str_de<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: std::str::FromStr<Err = String>,
{
    let s: Option<String> = Option::deserialize(d)?;
    s.map(|v| v.parse::<T>().map_err(serde::de::Error::custom))
        .transpose()
}

fn sans_de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<San>>, D::Error> {
    let v: Option<Vec<String>> = Option::deserialize(d)?;
    v.map(|v| {
        v.iter()
            .map(|s| s.parse::<San>().map_err(serde::de::Error::custom))
            .collect()
    })
    .transpose()
}

fn time_de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    if let Some(v) = &s {
        parse_time(v, time::OffsetDateTime::UNIX_EPOCH).map_err(serde::de::Error::custom)?;
    }
    Ok(s)
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TopologyFile {
    pub preset: Option<String>,
    #[serde(default, deserialize_with = "time_de")]
    pub clock: Option<String>,
    pub ece_web: Option<EceWebSpec>,
    pub ads: Option<AdsSpec>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EceWebSpec {
    pub fqdn: Option<String>,
    pub certificate: Option<CertSpec>,
    pub binding: Option<BindingSpec>,
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IssuerSpec {
    #[default]
    Issuing,
    Root,
    #[serde(rename = "self")]
    SelfSigned,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CertSpec {
    pub issuer: Option<IssuerSpec>,
    pub cn: Option<String>,
    #[serde(default, deserialize_with = "sans_de")]
    pub sans: Option<Vec<San>>,
    #[serde(default, deserialize_with = "from_str_de")]
    pub key: Option<KeyType>,
    #[serde(default, deserialize_with = "time_de")]
    pub not_before: Option<String>,
    #[serde(default, deserialize_with = "time_de")]
    pub not_after: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct BindingSpec {
    pub host_name: Option<String>,
    pub require_sni: Option<bool>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TrustItem {
    Root,
    Issuing,
    EceWeb,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AdsSpec {
    pub cacerts: Option<Vec<TrustItem>>,
}

/// `file:line:column` of a byte offset.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A topology-file error: where (`FILE:LINE:COLUMN`) and what.
#[derive(Debug)]
pub struct FileError {
    pub location: String,
    pub message: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

/// Parses a topology file; errors read `FILE:LINE:COLUMN: message`.
pub fn parse(path: &Path, text: &str) -> Result<TopologyFile, FileError> {
    toml::from_str::<TopologyFile>(text).map_err(|e| {
        let (line, col) = e.span().map(|s| position(text, s.start)).unwrap_or((1, 1));
        FileError {
            location: format!("{}:{line}:{col}", path.display()),
            message: e.message().trim().to_string(),
        }
    })
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
        let mut topo = Topology::preset(self.preset.as_deref().unwrap_or("pcce-2000"), dir, clock)?;
        if let Some(ece) = &self.ece_web {
            if let Some(f) = &ece.fqdn {
                if let Some(h) = topo
                    .hosts
                    .iter_mut()
                    .find(|h| h.role == crate::topology::Role::EceWeb)
                {
                    h.fqdn = f.clone();
                }
            }
            let fqdn = topo
                .hosts
                .iter()
                .find(|h| h.role == crate::topology::Role::EceWeb)
                .map(|h| h.fqdn.clone())
                .unwrap_or_default();
            if ece.certificate.is_some() || ece.fqdn.is_some() {
                let spec = ece.certificate.as_ref();
                let now = topo.clock.now();
                let time = |v: Option<&String>, default| match v {
                    Some(t) => parse_time(t, now).map_err(TopologyError::Invalid),
                    None => Ok(default),
                };
                let nb = time(
                    spec.and_then(|s| s.not_before.as_ref()),
                    now - time::Duration::days(1),
                )?;
                let na = time(
                    spec.and_then(|s| s.not_after.as_ref()),
                    now + time::Duration::days(365),
                )?;
                let cn = spec
                    .and_then(|s| s.cn.clone())
                    .unwrap_or_else(|| fqdn.clone());
                let sans = spec
                    .and_then(|s| s.sans.clone())
                    .unwrap_or_else(|| vec![San::Dns(fqdn.clone())]);
                let key = keypool::key(spec.and_then(|s| s.key).unwrap_or(KeyType::Rsa2048), 2)?;
                let params = CertParams::leaf(&format!("CN={cn}"), nb, na)?.with_sans(sans);
                topo.ece_web = match spec.and_then(|s| s.issuer).unwrap_or_default() {
                    IssuerSpec::Issuing => topo.issuing.issue(&params, key)?,
                    IssuerSpec::Root => topo.root.issue(&params, key)?,
                    IssuerSpec::SelfSigned => Issued::self_signed(&params, key)?,
                };
            }
            if let Some(b) = &ece.binding {
                topo.binding_host_name = b.host_name.clone().unwrap_or_default();
                topo.binding_require_sni = b.require_sni.unwrap_or(false);
            }
        }
        if let Some(items) = self.ads.as_ref().and_then(|a| a.cacerts.clone()) {
            topo.ads_trust = items
                .iter()
                .map(|i| match i {
                    TrustItem::Root => crate::topology::Trusted::Root,
                    TrustItem::Issuing => crate::topology::Trusted::Issuing,
                    TrustItem::EceWeb => crate::topology::Trusted::EceWeb,
                })
                .collect();
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
    }
}

//! A certificate as a topology file describes it (`[ece_web.certificate]`):
//! who signs it, its CN, SANs, key type and validity, relative to the
//! topology clock. The topology mints it with its CAs and the key pool.

use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;

use super::{CertParams, Certificate, Issued, KeyPair, KeyType, PkiError, San};
use crate::clock::parse_time;

/// Who signs a certificate.
#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum IssuerSpec {
    /// The issuing CA (default; [ECE] 1.1 option 2).
    #[default]
    Issuing,
    /// The root CA itself.
    Root,
    /// Nobody: self-signed ([ECE] 1.1 option 1).
    #[serde(rename = "self")]
    SelfSigned,
}

/// A certificate to mint (default: the host's FQDN as CN and only SAN,
/// RSA-2048, valid from a day before the clock for a year).
#[derive(Clone, Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CertSpec {
    /// `issuing`, `root` or `self`.
    pub issuer: Option<IssuerSpec>,
    /// Its common name (F2 when not the FQDN SPOG uses).
    pub cn: Option<String>,
    /// Its SANs (`dns:NAME`, `ip:ADDR`; `[]` for none).
    #[serde(default, deserialize_with = "sans_de")]
    pub sans: Option<Vec<San>>,
    /// Its key type (`rsa1024` … `rsa4096`, `p256`, `p384`; F24).
    #[serde(default, deserialize_with = "key_de")]
    pub key: Option<KeyType>,
    /// notBefore (RFC 3339, a date or an offset from the clock).
    #[serde(default, deserialize_with = "time_de")]
    pub not_before: Option<String>,
    /// notAfter (F25 when in the past).
    #[serde(default, deserialize_with = "time_de")]
    pub not_after: Option<String>,
    /// Instead of minting: a PEM file (in the topology file's folder or
    /// below) with the certificate first, its private key, and the CA
    /// certificates that came with it (what `ccelab reproduce` writes for a
    /// customer's twin). Nothing else of the section may be set with it.
    pub file: Option<String>,
}

impl CertSpec {
    /// The certificate of `file` ([`CertSpec::file`]), read from
    /// `base_dir`: the first certificate is the leaf, the private key must
    /// be its, the self-signed one (if any) is the root and the others are
    /// the intermediates a server sends after its leaf.
    pub fn load_file(&self, base_dir: &std::path::Path) -> Result<Option<Issued>, String> {
        let Some(f) = &self.file else {
            return Ok(None);
        };
        if self.issuer.is_some()
            || self.cn.is_some()
            || self.sans.is_some()
            || self.key.is_some()
            || self.not_before.is_some()
            || self.not_after.is_some()
        {
            return Err(
                "`file` gives the whole certificate: issuer, cn, sans, key, not_before and not_after cannot be set with it".into(),
            );
        }
        load_identity(base_dir, f).map(Some)
    }

    /// The parameters of the certificate for host `fqdn` with the clock at
    /// `now`, its key type and its issuer.
    pub fn params(
        &self,
        fqdn: &str,
        now: OffsetDateTime,
    ) -> Result<(CertParams, KeyType, IssuerSpec), PkiError> {
        let time = |v: Option<&String>, default| match v {
            Some(t) => parse_time(t, now).map_err(PkiError::Validity),
            None => Ok(default),
        };
        let nb = time(self.not_before.as_ref(), now - time::Duration::days(1))?;
        let na = time(self.not_after.as_ref(), now + time::Duration::days(365))?;
        if na <= nb {
            return Err(PkiError::Validity(format!(
                "notAfter ({na}) is not after notBefore ({nb})"
            )));
        }
        let cn = self.cn.clone().unwrap_or_else(|| fqdn.to_string());
        let sans = self
            .sans
            .clone()
            .unwrap_or_else(|| vec![San::Dns(fqdn.to_string())]);
        let params = CertParams::leaf(&format!("CN={cn}"), nb, na)?.with_sans(sans);
        Ok((
            params,
            self.key.unwrap_or(KeyType::Rsa2048),
            self.issuer.unwrap_or_default(),
        ))
    }
}

fn key_de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<KeyType>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    s.map(|v| v.parse::<KeyType>().map_err(serde::de::Error::custom))
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

/// A time checked at parse time (so a bad one is an error at its line).
pub fn time_de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    if let Some(v) = &s {
        parse_time(v, OffsetDateTime::UNIX_EPOCH).map_err(serde::de::Error::custom)?;
    }
    Ok(s)
}

/// A certificate, its private key and its CA certificates from one PEM file
/// (path relative to `base_dir`, never outside it): the first certificate
/// is the leaf, the key must be its key.
pub fn load_identity(base_dir: &std::path::Path, f: &str) -> Result<Issued, String> {
    let bytes = crate::host::read_below(base_dir, f)?;
    let at = base_dir.join(f).display().to_string();
    let text = String::from_utf8(bytes).map_err(|_| format!("{at}: not a PEM text"))?;
    let certs = Certificate::all_from_pem(&text).map_err(|e| format!("{at}: {e}"))?;
    let Some(leaf) = certs.first().cloned() else {
        return Err(format!("{at}: no CERTIFICATE in the file"));
    };
    let key = KeyPair::from_pem(&text).map_err(|e| format!("{at}: {e}"))?;
    if key.spki_der() != leaf.spki_der().as_slice() {
        return Err(format!(
            "{at}: the private key is not the key of the first certificate ({})",
            leaf.subject_string()
        ));
    }
    let is_root = |c: &Certificate| c.is_self_issued() && c.is_signed_by(c);
    let root = certs
        .iter()
        .find(|c| is_root(c))
        .or(certs.last())
        .cloned()
        .unwrap_or_else(|| leaf.clone());
    let intermediates = certs
        .iter()
        .skip(1)
        .filter(|c| !is_root(c))
        .cloned()
        .collect();
    Ok(Issued {
        cert: leaf,
        key,
        intermediates,
        root,
    })
}

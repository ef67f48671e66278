//! A certificate as a topology file describes it (`[ece_web.certificate]`):
//! who signs it, its CN, SANs, key type and validity, relative to the
//! topology clock. The topology mints it with its CAs and the key pool.

use serde::{Deserialize, Deserializer};
use time::OffsetDateTime;

use super::{CertParams, KeyType, PkiError, San};
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
}

impl CertSpec {
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

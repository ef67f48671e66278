//! PKCS#12 / PFX through the `p12-keystore` crate, with Java's reading of it:
//! certificate bags that belong to no key are trust entries only when they
//! carry Oracle's trusted-key-usage attribute (2.16.840.1.113894.746875.1.1) —
//! a certificate-only PFX exported by Windows or `openssl pkcs12 -nokeys`
//! lists as an empty keystore in keytool — and keytool's `Time <ms>` local key
//! ids give key entries their creation date. A PFX of a certificate without
//! its private key is how F22 (key not marked exportable) looks on disk.

use p12_keystore::{KeyStore, KeyStoreEntry, Pkcs12ImportPolicy, PrivateKey, PrivateKeyChain};
use time::OffsetDateTime;

use super::{Entry, KeyMaterial, StoreEntry, StoreError};
use crate::pki::Certificate;

/// True for a DER `SEQUENCE { INTEGER 3, … }` (the PFX version).
pub(super) fn looks_like_pfx(b: &[u8]) -> bool {
    if b.len() < 5 || b[0] != 0x30 {
        return false;
    }
    let hdr = match b[1] {
        l if l < 0x80 => 2,
        l if (0x81..=0x84).contains(&l) => 2 + (l & 0x7f) as usize,
        _ => return false,
    };
    b.get(hdr..hdr + 3) == Some(&[0x02, 0x01, 0x03])
}

fn map_err(e: p12_keystore::error::Error) -> StoreError {
    match e {
        p12_keystore::error::Error::MacError(_) => StoreError::Pkcs12BadPassword,
        other => StoreError::Malformed(format!("bad PKCS#12 file: {other}")),
    }
}

fn time_from_local_key_id(id: &[u8]) -> Option<OffsetDateTime> {
    let s = std::str::from_utf8(id).ok()?;
    let ms: i64 = s.strip_prefix("Time ")?.parse().ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).ok()
}

pub(super) fn decode(bytes: &[u8], password: &str) -> Result<Vec<StoreEntry>, StoreError> {
    let ks = KeyStore::from_pkcs12(bytes, password, Pkcs12ImportPolicy::Strict).map_err(map_err)?;
    let mut out = Vec::new();
    for (alias, entry) in ks.entries() {
        let (created, entry) = match entry {
            KeyStoreEntry::Certificate(c) => {
                (None, Entry::Trusted(Certificate::from_der(c.as_der())?))
            }
            KeyStoreEntry::PrivateKeyChain(chain) => {
                let certs = chain
                    .certs()
                    .iter()
                    .map(|c| Certificate::from_der(c.as_der()))
                    .collect::<Result<_, _>>()?;
                (
                    time_from_local_key_id(chain.local_key_id().as_ref()),
                    Entry::PrivateKey {
                        key: KeyMaterial::Plain(chain.key().as_der().to_vec()),
                        chain: certs,
                    },
                )
            }
            KeyStoreEntry::Secret(_) => {
                return Err(StoreError::Unsupported(format!(
                "PKCS#12 secret key entry <{alias}> (ccelab reads certificates and private keys)"
            )))
            }
        };
        out.push(StoreEntry {
            alias: alias.clone(),
            created,
            entry,
        });
    }
    Ok(out)
}

pub(super) fn encode(
    entries: &[StoreEntry],
    storepass: &str,
    keypass: &str,
) -> Result<Vec<u8>, StoreError> {
    let mut ks = KeyStore::new();
    for e in entries {
        let entry = match &e.entry {
            Entry::Trusted(c) => KeyStoreEntry::Certificate(
                p12_keystore::Certificate::from_der(c.der()).map_err(map_err)?,
            ),
            Entry::PrivateKey { key, chain } => {
                let pkcs8 = match key {
                    KeyMaterial::Plain(p) => p.clone(),
                    KeyMaterial::Protected(b) => super::jks::unprotect_key(b, keypass)?,
                };
                let certs = chain
                    .iter()
                    .map(|c| p12_keystore::Certificate::from_der(c.der()))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(map_err)?;
                // keytool's local key id: "Time <creation ms>"
                let ms = e
                    .created
                    .map(|t| (t.unix_timestamp_nanos() / 1_000_000) as i64)
                    .unwrap_or(0);
                let id = format!("Time {ms}").into_bytes();
                KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(
                    id,
                    PrivateKey::from_der(&pkcs8).map_err(map_err)?,
                    certs,
                ))
            }
            Entry::Secret(_) => {
                return Err(StoreError::Unsupported(format!(
                    "secret key entry <{}> cannot be written to PKCS#12 by ccelab",
                    e.alias
                )))
            }
        };
        ks.add_entry(&e.alias, entry);
    }
    ks.writer(storepass).write().map_err(map_err)
}

//! Key and trust stores as the products keep them (docs/requirements.md §2): the
//! ADS/AW `cacerts` (JKS, `changeit`), ECE's `mydomain.jks` ([ECE] 2.1), the
//! CVP `.keystore` (JCEKS, [SEC]), PFX files moved between IIS servers
//! ([ECE] 1, F22), and PEM / DER / Base-64 `.cer` certificates.
//!
//! One in-memory model, [`Keystore`], read from and written to every format,
//! byte-compatible with JDK 17 keytool and `openssl pkcs12`, with keytool's
//! semantics where a user would compare them: the format is found by content
//! (magic bytes), never by file name (JDK 17 keytool does the same for JKS,
//! JCEKS and PKCS12); aliases are case-insensitive and JKS/JCEKS store them
//! lower-cased; importing under an existing alias is refused; and errors carry
//! keytool's own exception texts ([`StoreError::keytool_line`]).

pub mod jks;
mod pkcs12;

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use time::OffsetDateTime;

use crate::pki::{pem, Certificate, KeyPair, PkiError};

pub use jks::Flavor;

/// The file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StoreType {
    /// Sun's JKS (magic `0xFEEDFEED`): the JDK's `cacerts` and ECE's
    /// `mydomain.jks`; keys protected with Sun's proprietary key protector.
    Jks,
    /// SunJCE's JCEKS (magic `0xCECECECE`): the CVP `.keystore`; keys
    /// protected with PBE-with-MD5-and-triple-DES, and secret key entries.
    Jceks,
    /// A PKCS#12 PFX (`.p12` / `.pfx`): what IIS exports with a private key
    /// and JDK 17 keytool's default store type.
    Pkcs12,
    /// PEM text: certificates (any number) and at most one private key.
    Pem,
    /// One DER certificate (a binary `.cer` / `.der`).
    Der,
}

impl StoreType {
    /// The name keytool prints after `Keystore type:`.
    pub fn keytool_name(self) -> &'static str {
        match self {
            StoreType::Jks => "JKS",
            StoreType::Jceks => "JCEKS",
            StoreType::Pkcs12 => "PKCS12",
            StoreType::Pem => "PEM",
            StoreType::Der => "DER",
        }
    }

    /// The provider keytool prints after `Keystore provider:`.
    pub fn keytool_provider(self) -> &'static str {
        match self {
            StoreType::Jceks => "SunJCE",
            _ => "SUN",
        }
    }

    /// Whether the format holds a password-protected integrity check.
    pub fn has_password(self) -> bool {
        matches!(self, StoreType::Jks | StoreType::Jceks | StoreType::Pkcs12)
    }
}

impl fmt::Display for StoreType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.keytool_name().to_ascii_lowercase())
    }
}

impl FromStr for StoreType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "jks" => Ok(StoreType::Jks),
            "jceks" => Ok(StoreType::Jceks),
            "pkcs12" | "p12" | "pfx" => Ok(StoreType::Pkcs12),
            "pem" | "crt" | "cer" => Ok(StoreType::Pem),
            "der" => Ok(StoreType::Der),
            _ => Err(format!(
                "unknown store type `{s}` (use jks, jceks, pkcs12, pem or der)"
            )),
        }
    }
}

/// Finds the format of `bytes` by content: JKS / JCEKS magic, a PKCS#12 PFX
/// (`SEQUENCE { INTEGER 3, …`), PEM text, or a DER certificate.
pub fn detect(bytes: &[u8]) -> Option<StoreType> {
    match jks::flavor_of(bytes) {
        Some(Flavor::Jks) => return Some(StoreType::Jks),
        Some(Flavor::Jceks) => return Some(StoreType::Jceks),
        None => {}
    }
    if pkcs12::looks_like_pfx(bytes) {
        return Some(StoreType::Pkcs12);
    }
    if pem::looks_like_pem(bytes) {
        return Some(StoreType::Pem);
    }
    if Certificate::from_der(bytes).is_ok() {
        return Some(StoreType::Der);
    }
    None
}

/// A private key as a store holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyMaterial {
    /// A PKCS#8 `PrivateKeyInfo` DER.
    Plain(Vec<u8>),
    /// A JKS/JCEKS protected key (`EncryptedPrivateKeyInfo` DER) not yet
    /// unlocked with its key password (listing needs no key password).
    Protected(Vec<u8>),
}

/// What an alias holds.
#[derive(Clone, Debug)]
pub enum Entry {
    /// keytool's `trustedCertEntry`.
    Trusted(Certificate),
    /// keytool's `PrivateKeyEntry`: a key and its chain, leaf first.
    PrivateKey {
        /// The private key.
        key: KeyMaterial,
        /// The certificate chain of the key, leaf first (never empty).
        chain: Vec<Certificate>,
    },
    /// keytool's `SecretKeyEntry` (JCEKS), kept byte for byte.
    Secret(Vec<u8>),
}

impl Entry {
    /// The entry type as keytool prints it.
    pub fn keytool_kind(&self) -> &'static str {
        match self {
            Entry::Trusted(_) => "trustedCertEntry",
            Entry::PrivateKey { .. } => "PrivateKeyEntry",
            Entry::Secret(_) => "SecretKeyEntry",
        }
    }

    /// The certificate keytool shows for the entry (the leaf of a key entry).
    pub fn certificate(&self) -> Option<&Certificate> {
        match self {
            Entry::Trusted(c) => Some(c),
            Entry::PrivateKey { chain, .. } => chain.first(),
            Entry::Secret(_) => None,
        }
    }
}

/// One alias of a store.
#[derive(Clone, Debug)]
pub struct StoreEntry {
    /// The alias as stored (lower-cased in JKS/JCEKS); look-ups ignore case.
    pub alias: String,
    /// Creation date when the format records it (JKS, JCEKS; PKCS#12 keys
    /// written by keytool, whose local key id is `Time <ms>`).
    pub created: Option<OffsetDateTime>,
    /// What the alias holds.
    pub entry: Entry,
}

/// Everything that can go wrong with a store. [`StoreError::keytool_line`]
/// gives the line keytool prints for the same condition.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store file does not exist (the path as given).
    #[error("Keystore file does not exist: {0}")]
    NotFound(String),
    /// JKS/JCEKS integrity check failed.
    #[error("Keystore was tampered with, or password was incorrect")]
    TamperedOrBadPassword,
    /// PKCS#12 MAC check failed.
    #[error("keystore password was incorrect")]
    Pkcs12BadPassword,
    /// The bytes are none of the known formats (see [`detect`]).
    #[error("Unrecognized keystore format. Please load it with a specified type")]
    UnrecognizedFormat,
    /// A JKS/JCEKS file ends inside an entry (keytool: `java.io.EOFException`).
    #[error("the store is truncated (it ends inside an entry)")]
    Truncated,
    /// The file is of a known format but its content is inconsistent (a bad
    /// certificate, a PEM key without its certificate, a broken PKCS#12
    /// structure); the text says what.
    #[error("{0}")]
    Malformed(String),
    /// An import under an alias the store already has (keytool refuses it).
    #[error("Certificate not imported, alias <{0}> already exists")]
    AliasExists(String),
    /// The alias is not in the store (`keytool -delete` of a missing alias).
    #[error("Alias <{0}> does not exist")]
    AliasMissing(String),
    /// A JKS/JCEKS/PKCS#12 store password shorter than six characters, which
    /// keytool refuses when it writes a store.
    #[error("Keystore password must be at least 6 characters")]
    ShortPassword,
    /// A PEM or DER input that holds no X.509 certificate (nor, for PEM, a
    /// private key).
    #[error("Input not an X.509 certificate")]
    NotACertificate,
    /// Java's text: `Cannot recover key` (JKS) or the cipher's padding error (JCEKS).
    #[error("{0}")]
    UnrecoverableKey(String),
    /// The format (named) cannot be read without the store password
    /// (PKCS#12: its contents are encrypted under it).
    #[error("a password is needed for {0} stores")]
    PasswordNeeded(&'static str),
    /// The store holds something the target format cannot represent (a
    /// secret key in JKS or PEM, several entries in one DER file, a PKCS#12
    /// bag or algorithm not implemented); the text says what.
    #[error("{0}")]
    Unsupported(String),
    /// Reading or writing the store file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
}

impl StoreError {
    /// The line keytool prints for this condition (verified against JDK 17 keytool in the tests).
    pub fn keytool_line(&self) -> String {
        let class = match self {
            StoreError::TamperedOrBadPassword
            | StoreError::Pkcs12BadPassword
            | StoreError::Io { .. } => "java.io.IOException",
            StoreError::Truncated => return "keytool error: java.io.EOFException".into(),
            StoreError::UnrecognizedFormat => "java.security.KeyStoreException",
            StoreError::UnrecoverableKey(_) => "java.security.UnrecoverableKeyException",
            _ => "java.lang.Exception",
        };
        format!("keytool error: {class}: {self}")
    }
}

impl From<jks::JksError> for StoreError {
    fn from(e: jks::JksError) -> Self {
        match e {
            jks::JksError::TamperedOrBadPassword => StoreError::TamperedOrBadPassword,
            jks::JksError::Truncated { .. } => StoreError::Truncated,
            jks::JksError::NotJks => StoreError::UnrecognizedFormat,
            jks::JksError::UnrecoverableKey(m) => StoreError::UnrecoverableKey(m),
            other => StoreError::Malformed(other.to_string()),
        }
    }
}

impl From<PkiError> for StoreError {
    fn from(e: PkiError) -> Self {
        StoreError::Malformed(e.to_string())
    }
}

/// An in-memory key/trust store.
#[derive(Clone, Debug)]
pub struct Keystore {
    /// The format the store was read from (or created as); [`Keystore::to_bytes`]
    /// and [`Keystore::save`] write it back in this format.
    pub store_type: StoreType,
    entries: Vec<StoreEntry>,
}

fn ms_to_time(ms: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000).ok()
}

fn time_to_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Unique aliases for formats without them (PEM): the lower-cased CN, else `certN`.
/// The aliases given to the certificates of a PEM or DER file: the
/// lower-cased CN (`cert{n}` without one), then `-2`, `-3`… for repeats.
/// Linear in the number of certificates (issue 11 D5: 4,000 copies of one
/// certificate used to take 24 s).
#[derive(Default)]
struct Namer {
    /// Every alias given, lower-cased.
    taken: std::collections::HashSet<String>,
    /// For each base, the suffix to try next.
    next: std::collections::HashMap<String, usize>,
}

impl Namer {
    fn name(&mut self, cert: Option<&Certificate>, n: usize) -> String {
        let base = cert
            .and_then(|c| c.common_name())
            .map(|cn| cn.to_lowercase())
            .unwrap_or_else(|| format!("cert{n}"));
        let mut i = self.next.get(&base).copied().unwrap_or(1);
        let mut alias = if i == 1 {
            base.clone()
        } else {
            format!("{base}-{i}")
        };
        while self.taken.contains(&alias) {
            i += 1;
            alias = format!("{base}-{i}");
        }
        self.next.insert(base, i + 1);
        self.taken.insert(alias.clone());
        alias
    }
}

impl Keystore {
    /// An empty store.
    pub fn new(store_type: StoreType) -> Self {
        Keystore {
            store_type,
            entries: Vec::new(),
        }
    }

    /// Reads a store of any format, found by content. `storepass` is needed
    /// for PKCS#12; for JKS/JCEKS, None skips the integrity check exactly as
    /// `keytool -list` without a password does.
    pub fn load(bytes: &[u8], storepass: Option<&str>) -> Result<Self, StoreError> {
        let t = detect(bytes).ok_or(StoreError::UnrecognizedFormat)?;
        Self::load_as(t, bytes, storepass)
    }

    /// Reads a store of a given format.
    pub fn load_as(
        t: StoreType,
        bytes: &[u8],
        storepass: Option<&str>,
    ) -> Result<Self, StoreError> {
        match t {
            StoreType::Jks | StoreType::Jceks => {
                let (flavor, raw) = jks::decode(bytes, storepass)?;
                let store_type = if flavor == Flavor::Jks {
                    StoreType::Jks
                } else {
                    StoreType::Jceks
                };
                let mut entries = Vec::with_capacity(raw.len());
                for r in raw {
                    let entry = match r.kind {
                        jks::RawKind::TrustedCert { der, .. } => {
                            Entry::Trusted(Certificate::from_der(&der)?)
                        }
                        jks::RawKind::PrivateKey { protected, chain } => Entry::PrivateKey {
                            key: KeyMaterial::Protected(protected),
                            chain: chain
                                .iter()
                                .map(|(_, d)| Certificate::from_der(d))
                                .collect::<Result<_, _>>()?,
                        },
                        jks::RawKind::SecretKey { sealed } => Entry::Secret(sealed),
                    };
                    entries.push(StoreEntry {
                        alias: r.alias,
                        created: ms_to_time(r.timestamp_ms),
                        entry,
                    });
                }
                Ok(Keystore {
                    store_type,
                    entries,
                })
            }
            StoreType::Pkcs12 => {
                let pass = storepass.ok_or(StoreError::PasswordNeeded("PKCS12"))?;
                Ok(Keystore {
                    store_type: t,
                    entries: pkcs12::decode(bytes, pass)?,
                })
            }
            StoreType::Pem => {
                let text = String::from_utf8_lossy(bytes);
                let blocks = pem::parse(&text).map_err(|e| StoreError::Malformed(e.to_string()))?;
                let mut key = None;
                let mut certs = Vec::new();
                for b in &blocks {
                    match b.label.as_str() {
                        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                            certs.push(Certificate::from_der(&b.der)?)
                        }
                        l if l.ends_with("PRIVATE KEY") => {
                            let single = pem::encode(l, &b.der);
                            key = Some(KeyPair::from_pem(&single)?);
                        }
                        _ => {}
                    }
                }
                if certs.is_empty() && key.is_none() {
                    return Err(StoreError::NotACertificate);
                }
                let mut ks = Keystore::new(StoreType::Pem);
                if let Some(k) = key {
                    // the chain starts with the certificate of the key
                    let pos = certs
                        .iter()
                        .position(|c| c.spki_der() == k.spki_der())
                        .ok_or_else(|| {
                            StoreError::Malformed(
                                "the PEM private key matches none of its certificates".into(),
                            )
                        })?;
                    let leaf = certs.remove(pos);
                    let mut chain = vec![leaf];
                    chain.append(&mut certs);
                    let alias = Namer::default().name(chain.first(), 1);
                    ks.entries.push(StoreEntry {
                        alias,
                        created: None,
                        entry: Entry::PrivateKey {
                            key: KeyMaterial::Plain(k.pkcs8_der().to_vec()),
                            chain,
                        },
                    });
                } else {
                    let mut namer = Namer::default();
                    for (i, c) in certs.into_iter().enumerate() {
                        let alias = namer.name(Some(&c), i + 1);
                        ks.entries.push(StoreEntry {
                            alias,
                            created: None,
                            entry: Entry::Trusted(c),
                        });
                    }
                }
                Ok(ks)
            }
            StoreType::Der => {
                let c = Certificate::from_der(bytes).map_err(|_| StoreError::NotACertificate)?;
                let mut ks = Keystore::new(StoreType::Der);
                let alias = Namer::default().name(Some(&c), 1);
                ks.entries.push(StoreEntry {
                    alias,
                    created: None,
                    entry: Entry::Trusted(c),
                });
                Ok(ks)
            }
        }
    }

    /// Reads a store file; a missing file gives keytool's "Keystore file does not exist".
    pub fn load_file(path: &Path, storepass: Option<&str>) -> Result<Self, StoreError> {
        let bytes = read_file(path)?;
        Self::load(&bytes, storepass)
    }

    /// The entries in file order.
    pub fn entries(&self) -> &[StoreEntry] {
        &self.entries
    }

    /// The entry for `alias` (case-insensitive, as keytool).
    pub fn get(&self, alias: &str) -> Option<&StoreEntry> {
        self.entries
            .iter()
            .find(|e| e.alias.eq_ignore_ascii_case(alias))
    }

    fn normalize_alias(&self, alias: &str) -> String {
        match self.store_type {
            // keytool stores JKS/JCEKS aliases lower-cased
            StoreType::Jks | StoreType::Jceks => alias.to_lowercase(),
            _ => alias.to_string(),
        }
    }

    /// `keytool -importcert`: adds a trusted certificate; an existing alias is refused.
    pub fn import_cert(
        &mut self,
        alias: &str,
        cert: Certificate,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if self.get(alias).is_some() {
            return Err(StoreError::AliasExists(alias.to_string()));
        }
        let alias = self.normalize_alias(alias);
        self.entries.push(StoreEntry {
            alias,
            created: Some(now),
            entry: Entry::Trusted(cert),
        });
        Ok(())
    }

    /// Adds a private key entry (`keytool -genkeypair` / `-importkeystore`); an existing alias is refused.
    pub fn set_key_entry(
        &mut self,
        alias: &str,
        pkcs8: Vec<u8>,
        chain: Vec<Certificate>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.push_key(alias, KeyMaterial::Plain(pkcs8), chain, now)
    }

    /// Adds a private key entry whose key is already protected for this
    /// store's flavor (a JKS/JCEKS `EncryptedPrivateKeyInfo`); an existing
    /// alias is refused.
    pub fn set_protected_key_entry(
        &mut self,
        alias: &str,
        protected: Vec<u8>,
        chain: Vec<Certificate>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.push_key(alias, KeyMaterial::Protected(protected), chain, now)
    }

    fn push_key(
        &mut self,
        alias: &str,
        key: KeyMaterial,
        chain: Vec<Certificate>,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        if self.get(alias).is_some() {
            return Err(StoreError::AliasExists(alias.to_string()));
        }
        if chain.is_empty() {
            return Err(StoreError::Malformed(
                "a private key entry needs its certificate".into(),
            ));
        }
        let alias = self.normalize_alias(alias);
        self.entries.push(StoreEntry {
            alias,
            created: Some(now),
            entry: Entry::PrivateKey { key, chain },
        });
        Ok(())
    }

    /// The unlocked key (PKCS#8) and chain of the key entry `alias`, if it
    /// has one (None too while its key is still protected).
    pub fn plain_key(&self, alias: &str) -> Option<(Vec<u8>, Vec<Certificate>)> {
        self.entries
            .iter()
            .filter(|e| e.alias.eq_ignore_ascii_case(alias))
            .find_map(|e| match &e.entry {
                Entry::PrivateKey {
                    key: KeyMaterial::Plain(k),
                    chain,
                } => Some((k.clone(), chain.clone())),
                _ => None,
            })
    }

    /// Decrypts the protected key of one alias with `keypass` (what a
    /// server that uses that key alone does when it loads the store).
    pub fn unlock_key(&mut self, alias: &str, keypass: &str) -> Result<(), StoreError> {
        let e = self
            .entries
            .iter_mut()
            .find(|e| e.alias.eq_ignore_ascii_case(alias))
            .ok_or_else(|| StoreError::AliasMissing(alias.to_string()))?;
        if let Entry::PrivateKey { key, .. } = &mut e.entry {
            if let KeyMaterial::Protected(blob) = key {
                *key = KeyMaterial::Plain(jks::unprotect_key(blob, keypass)?);
            }
        }
        Ok(())
    }

    /// `keytool -delete`.
    pub fn delete(&mut self, alias: &str) -> Result<StoreEntry, StoreError> {
        let pos = self
            .entries
            .iter()
            .position(|e| e.alias.eq_ignore_ascii_case(alias))
            .ok_or_else(|| StoreError::AliasMissing(alias.to_string()))?;
        Ok(self.entries.remove(pos))
    }

    /// Decrypts every protected JKS/JCEKS key with `keypass` (needed before
    /// writing another format). keytool's default key password is the store password.
    pub fn unlock_keys(&mut self, keypass: &str) -> Result<(), StoreError> {
        for e in &mut self.entries {
            if let Entry::PrivateKey { key, .. } = &mut e.entry {
                if let KeyMaterial::Protected(blob) = key {
                    *key = KeyMaterial::Plain(jks::unprotect_key(blob, keypass)?);
                }
            }
        }
        Ok(())
    }

    /// The certificates Java's default trust manager takes as anchors from this
    /// store: every trusted entry **and** the certificate of every key entry
    /// (`sun.security.validator.TrustStoreUtil` takes both).
    pub fn java_trust_anchors(&self) -> Vec<Certificate> {
        self.entries
            .iter()
            .filter_map(|e| e.entry.certificate().cloned())
            .collect()
    }

    /// Serialises the store in its own type.
    pub fn to_bytes(&self, storepass: &str, keypass: Option<&str>) -> Result<Vec<u8>, StoreError> {
        self.to_bytes_as(self.store_type, storepass, keypass)
    }

    /// Serialises the store as `t`. Protected keys must be unlocked first
    /// unless `t` is the flavor they were protected for.
    pub fn to_bytes_as(
        &self,
        t: StoreType,
        storepass: &str,
        keypass: Option<&str>,
    ) -> Result<Vec<u8>, StoreError> {
        let keypass = keypass.unwrap_or(storepass);
        match t {
            StoreType::Jks | StoreType::Jceks => {
                let flavor = if t == StoreType::Jks {
                    Flavor::Jks
                } else {
                    Flavor::Jceks
                };
                let mut rng = rand::thread_rng();
                let mut raw = Vec::with_capacity(self.entries.len());
                for e in &self.entries {
                    let kind = match &e.entry {
                        Entry::Trusted(c) => jks::RawKind::TrustedCert {
                            cert_type: "X.509".into(),
                            der: c.der().to_vec(),
                        },
                        Entry::PrivateKey { key, chain } => {
                            let protected = match key {
                                KeyMaterial::Plain(p) => {
                                    jks::try_protect_key(flavor, p, keypass, &mut rng)?
                                }
                                KeyMaterial::Protected(b)
                                    if Some(flavor) == protection_flavor(b) =>
                                {
                                    b.clone()
                                }
                                KeyMaterial::Protected(b) => jks::try_protect_key(
                                    flavor,
                                    &jks::unprotect_key(b, keypass)?,
                                    keypass,
                                    &mut rng,
                                )?,
                            };
                            jks::RawKind::PrivateKey {
                                protected,
                                chain: chain
                                    .iter()
                                    .map(|c| ("X.509".to_string(), c.der().to_vec()))
                                    .collect(),
                            }
                        }
                        Entry::Secret(s) if flavor == Flavor::Jceks => {
                            jks::RawKind::SecretKey { sealed: s.clone() }
                        }
                        Entry::Secret(_) => {
                            return Err(StoreError::Unsupported(format!(
                                "secret key entry <{}> cannot be stored in a JKS store",
                                e.alias
                            )))
                        }
                    };
                    raw.push(jks::RawEntry {
                        alias: e.alias.to_lowercase(),
                        timestamp_ms: e.created.map(time_to_ms).unwrap_or(0),
                        kind,
                    });
                }
                Ok(jks::try_encode(flavor, &raw, storepass)?)
            }
            StoreType::Pkcs12 => pkcs12::encode(&self.entries, storepass, keypass),
            StoreType::Pem => {
                let mut out = String::new();
                for e in &self.entries {
                    match &e.entry {
                        Entry::Trusted(c) => out.push_str(&c.to_pem()),
                        Entry::PrivateKey { key, chain } => {
                            let p = match key {
                                KeyMaterial::Plain(p) => p.clone(),
                                KeyMaterial::Protected(b) => jks::unprotect_key(b, keypass)?,
                            };
                            out.push_str(&pem::encode("PRIVATE KEY", &p));
                            for c in chain {
                                out.push_str(&c.to_pem());
                            }
                        }
                        Entry::Secret(_) => {
                            return Err(StoreError::Unsupported(format!(
                                "secret key entry <{}> has no PEM form",
                                e.alias
                            )))
                        }
                    }
                }
                Ok(out.into_bytes())
            }
            StoreType::Der => match self.entries.as_slice() {
                [one] => one
                    .entry
                    .certificate()
                    .map(|c| c.der().to_vec())
                    .ok_or_else(|| {
                        StoreError::Unsupported("a DER file holds one certificate".into())
                    }),
                _ => Err(StoreError::Unsupported(format!(
                    "a DER file holds exactly one certificate; this store has {} entries (use pem)",
                    self.entries.len()
                ))),
            },
        }
    }

    /// Writes the store to `path` atomically (temporary file, then rename), so
    /// a failure never leaves a half-written store.
    pub fn save(
        &self,
        path: &Path,
        storepass: &str,
        keypass: Option<&str>,
    ) -> Result<(), StoreError> {
        if self.store_type.has_password() && storepass.chars().count() < 6 {
            return Err(StoreError::ShortPassword);
        }
        let bytes = self.to_bytes(storepass, keypass)?;
        write_atomic(path, &bytes)
    }
}

/// The format a protected key blob was made for, from its algorithm OID.
fn protection_flavor(blob: &[u8]) -> Option<Flavor> {
    use der::Decode;
    /// `EncryptedPrivateKeyInfo` with any algorithm (the `pkcs8` crate's
    /// version only knows PBES1/PBES2, not Sun's OIDs).
    #[derive(der::Sequence)]
    struct Epki {
        alg: spki::AlgorithmIdentifierOwned,
        data: der::asn1::OctetString,
    }
    let info = Epki::from_der(blob).ok()?;
    let _ = info.data;
    match info.alg.oid.to_string().as_str() {
        "1.3.6.1.4.1.42.2.17.1.1" => Some(Flavor::Jks),
        "1.3.6.1.4.1.42.2.19.1" => Some(Flavor::Jceks),
        _ => None,
    }
}

/// Reads a file, mapping "not found" to keytool's text.
pub fn read_file(path: &Path) -> Result<Vec<u8>, StoreError> {
    std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => StoreError::NotFound(path.display().to_string()),
        _ => StoreError::Io {
            path: path.display().to_string(),
            source: e,
        },
    })
}

/// Writes `bytes` to `path` through a temporary file in the same directory and
/// a rename: readers see the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    let io = |e: std::io::Error| StoreError::Io {
        path: path.display().to_string(),
        source: e,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.ccelab-tmp-{}", std::process::id()));
    let result = (|| {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_certificates_get_numbered_aliases_in_linear_time() {
        let now = time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000);
        let key = crate::pki::keypool::key(crate::pki::KeyType::EcP256, 0).unwrap();
        let root =
            crate::pki::example::example_root(key, now, now + time::Duration::days(1)).unwrap();
        let pem = root.cert.to_pem();
        // 4,000 copies: quadratic-or-worse naming took 24 s here
        let ks = Keystore::load(pem.repeat(4000).as_bytes(), None).unwrap();
        let aliases: Vec<&str> = ks.entries().iter().map(|e| e.alias.as_str()).collect();
        let cn = aliases[0].to_string();
        assert_eq!(aliases.len(), 4000);
        assert_eq!(aliases[1], format!("{cn}-2"));
        assert_eq!(aliases[3999], format!("{cn}-4000"));
        let unique: std::collections::HashSet<&&str> = aliases.iter().collect();
        assert_eq!(unique.len(), 4000);
    }
}

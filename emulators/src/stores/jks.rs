//! Reading and writing Sun's two proprietary Java keystore formats, JKS and
//! JCEKS, byte-compatible with the JDK 17 `keytool`.
//!
//! Cisco contact-center hosts keep their certificates in such stores (a
//! Tomcat `.keystore` in JKS, CVP's `.keystore` in JCEKS, Java `cacerts`), so
//! the emulated hosts must read what keytool wrote and write what keytool
//! reads. This module is the byte layer: it parses and writes the container
//! and wraps/unwraps private keys; it does not interpret certificates.
//!
//! # The container (both flavors)
//!
//! All integers are big-endian.
//!
//! ```text
//! u32 magic          0xFEEDFEED (JKS) or 0xCECECECE (JCEKS)
//! u32 version        2 (1 is read too: its certificates carry no type string)
//! u32 count
//! count × entry:
//!   u32 tag          1 private key, 2 trusted certificate, 3 secret key (JCEKS only)
//!   utf alias        Java "modified UTF-8": u16 byte length, then the bytes
//!   i64 timestamp    milliseconds since 1970-01-01T00:00:00Z
//!   tag 1: u32 length, EncryptedPrivateKeyInfo DER;
//!          u32 chain length, then per certificate: utf type ("X.509"), u32 length, DER
//!   tag 2: utf type ("X.509"), u32 length, DER
//!   tag 3: one Java-serialized object (a javax.crypto.SealedObject), written by a
//!          fresh ObjectOutputStream: stream header 0xACED 0x0005 and no length prefix
//! 20 bytes: SHA-1( password as UTF-16BE || UTF-8 "Mighty Aphrodite" || all bytes above )
//! ```
//!
//! keytool stores aliases lower-cased (`Locale.ENGLISH`) and looks them up
//! lower-cased. [`RawEntry`] is raw and [`encode`] writes aliases as given, so
//! callers lower-case: with a capital in an alias, keytool 17 `-list` stops at
//! `keytool error: java.lang.Exception: Alias <UpperCase> does not exist`.
//!
//! # Private key protection
//!
//! * JKS (`sun.security.provider.KeyProtector`, OID 1.3.6.1.4.1.42.2.17.1.1,
//!   AlgorithmIdentifier parameters `NULL`): with `P` the password as UTF-16BE
//!   and a random 20-byte salt, the keystream is `D1 = SHA-1(P || salt)`,
//!   `Di+1 = SHA-1(P || Di)`; the protected blob is
//!   `salt || (PKCS#8 XOR keystream) || SHA-1(P || PKCS#8)`. A wrong password
//!   fails the final check: "Cannot recover key".
//! * JCEKS (`com.sun.crypto.provider.KeyProtector`, PBEWithMD5AndTripleDES,
//!   OID 1.3.6.1.4.1.42.2.19.1, parameters `SEQUENCE { OCTET STRING salt(8),
//!   INTEGER iterations }`, 200000 iterations in JDK 17): Sun's own PBES1
//!   variant for DESede (see [`pbe_md5_tdes_key_iv`]), then
//!   DESede/CBC/PKCS5Padding. The password must be printable ASCII (Java
//!   refuses anything else with "Password is not ASCII"). A wrong password
//!   usually fails the padding check, with Java's text "Given final block not
//!   properly padded. Such issues can arise if a bad key is used during
//!   decryption."
//!
//! Java's JCEKS reader accepts either protection; its JKS reader only the JKS
//! one (a PBE-protected key in a JKS store gives "Unsupported key protection
//! algorithm"). [`unprotect_key`] accepts either in both.
//!
//! All of the above was checked against stores made by the JDK 17.0.15
//! keytool (see `tests/jks_interop.rs`).

use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use der::asn1::{Any, Null, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use sha1::{Digest, Sha1};
use spki::AlgorithmIdentifierOwned;
use std::rc::Rc;

/// Which of the two Sun formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// `JKS`: magic 0xFEEDFEED, provider SUN; no secret keys.
    Jks,
    /// `JCEKS`: magic 0xCECECECE, provider SunJCE; may hold secret keys.
    Jceks,
}

/// One keystore entry as stored, without interpretation of its contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawEntry {
    /// The alias exactly as stored (keytool writes it lower-cased).
    pub alias: String,
    /// Creation date, milliseconds since the Unix epoch (Java `Date.getTime()`).
    pub timestamp_ms: i64,
    /// What the entry holds.
    pub kind: RawKind,
}

/// The payload of a [`RawEntry`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawKind {
    /// tag 2
    TrustedCert {
        /// Certificate type string, `"X.509"` in practice.
        cert_type: String,
        /// The certificate's DER.
        der: Vec<u8>,
    },
    /// tag 1: `protected` is the DER EncryptedPrivateKeyInfo as stored; `chain` certificate DERs, leaf first, each with its type string
    PrivateKey {
        /// DER `EncryptedPrivateKeyInfo`, see [`protect_key`] / [`unprotect_key`].
        protected: Vec<u8>,
        /// `(type, DER)` per certificate, leaf first.
        chain: Vec<(String, Vec<u8>)>,
    },
    /// tag 3 (JCEKS only): the Java-serialized SealedObject, kept byte for byte, never interpreted
    SecretKey {
        /// The whole serialization stream, from its `0xACED0005` header on.
        sealed: Vec<u8>,
    },
}

/// Why a store or a protected key could not be read (or written).
#[derive(Debug, thiserror::Error)]
pub enum JksError {
    /// The input does not start with the JKS or JCEKS magic number.
    #[error("Invalid keystore format: not a JKS or JCEKS keystore")]
    NotJks,
    /// The input ends inside an item that starts at `offset`.
    #[error("keystore truncated: item at byte offset {offset} runs past the end of the input")]
    Truncated {
        /// Byte offset where the incomplete item starts.
        offset: usize,
    },
    /// The version field is neither 1 nor 2 (Java says "Invalid keystore format").
    #[error("unsupported keystore version {0}")]
    UnsupportedVersion(u32),
    /// An entry tag other than 1, 2 (or 3 in JCEKS); Java says "Unrecognized keystore entry: N".
    #[error("Unrecognized keystore entry: {0}")]
    UnknownTag(u32),
    /// The integrity digest does not match: wrong store password, or altered
    /// bytes. The text is Java's, as keytool prints it after
    /// `keytool error: java.io.IOException: `.
    #[error("Keystore was tampered with, or password was incorrect")]
    TamperedOrBadPassword,
    /// The key password is wrong (or the key is damaged); carries Java's text:
    /// JKS "Cannot recover key"; JCEKS usually "Given final block not properly
    /// padded. Such issues can arise if a bad key is used during decryption."
    #[error("{0}")]
    UnrecoverableKey(String),
    /// The protected key uses an algorithm (OID) other than the two Sun ones.
    #[error("unsupported key protection algorithm {0}")]
    UnsupportedKeyProtection(String),
    /// Structurally invalid input (or, when writing, unrepresentable input).
    #[error("malformed keystore data: {0}")]
    Malformed(String),
}

/// The Sun JKS key protector's OID, 1.3.6.1.4.1.42.2.17.1.1.
pub const JKS_KEY_PROTECTOR_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.42.2.17.1.1");
/// PBEWithMD5AndTripleDES (Sun), 1.3.6.1.4.1.42.2.19.1, used by JCEKS.
pub const PBE_MD5_TRIPLE_DES_OID: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.42.2.19.1");
/// Iteration count the JDK 17 keytool writes for JCEKS keys (observed: `INTEGER 200000`).
pub const JCEKS_ITERATIONS: u32 = 200_000;
/// Largest iteration count JDK 17 accepts when recovering a JCEKS key
/// (`KeyProtector.MAX_ITERATION_COUNT`); larger ones are refused, which also
/// bounds the work hostile input can cause.
pub const JCEKS_MAX_ITERATIONS: u32 = 5_000_000;

const JKS_MAGIC: u32 = 0xFEED_FEED;
const JCEKS_MAGIC: u32 = 0xCECE_CECE;
const VERSION_1: u32 = 1;
const VERSION_2: u32 = 2;
const TAG_PRIVATE_KEY: u32 = 1;
const TAG_TRUSTED_CERT: u32 = 2;
const TAG_SECRET_KEY: u32 = 3;
const INTEGRITY_WHITENER: &[u8] = b"Mighty Aphrodite";
const SHA1_LEN: usize = 20;
const JKS_SALT_LEN: usize = 20;
const JCEKS_SALT_LEN: usize = 8;
/// Smallest possible entry: tag, empty alias, timestamp, 4-byte length (v1 cert).
const MIN_ENTRY_LEN: usize = 4 + 2 + 8 + 4;
const BAD_PADDING: &str = "Given final block not properly padded. Such issues can arise if a bad key is used during decryption.";
const NOT_ASCII: &str = "Password is not ASCII";

/// Tell the flavor from the magic number; `None` if the bytes are neither.
pub fn flavor_of(bytes: &[u8]) -> Option<Flavor> {
    match bytes.get(..4)? {
        [0xFE, 0xED, 0xFE, 0xED] => Some(Flavor::Jks),
        [0xCE, 0xCE, 0xCE, 0xCE] => Some(Flavor::Jceks),
        _ => None,
    }
}

/// Parse. With Some(password) the trailing SHA-1 integrity digest is checked (password as UTF-16BE bytes, then the UTF-8 bytes of "Mighty Aphrodite", then all preceding bytes); with None it is not checked (keytool -list without -storepass does that and prints a warning).
///
/// Entries come back in file order. Like Java, bytes after the 20-byte digest
/// are ignored; unlike Java (which without a password never reads the
/// digest), the digest must be present even with `None`.
pub fn decode(bytes: &[u8], password: Option<&str>) -> Result<(Flavor, Vec<RawEntry>), JksError> {
    let mut r = Reader::new(bytes);
    let flavor = match r.u32()? {
        JKS_MAGIC => Flavor::Jks,
        JCEKS_MAGIC => Flavor::Jceks,
        _ => return Err(JksError::NotJks),
    };
    let version = r.u32()?;
    if version != VERSION_1 && version != VERSION_2 {
        return Err(JksError::UnsupportedVersion(version));
    }
    let count_at = r.pos;
    let count = r.u32()?;
    if count > i32::MAX as u32 {
        return Err(JksError::Malformed(format!(
            "entry count {count} at offset {count_at} is negative as a Java int"
        )));
    }
    // Never trust the count for allocation: each entry takes MIN_ENTRY_LEN bytes at least.
    let mut entries = Vec::with_capacity((count as usize).min(r.remaining() / MIN_ENTRY_LEN));
    for _ in 0..count {
        entries.push(read_entry(&mut r, flavor, version)?);
    }
    let body_len = r.pos;
    let digest = r.take(SHA1_LEN)?;
    if let Some(pw) = password {
        if integrity_digest(pw, &bytes[..body_len]).as_slice() != digest {
            return Err(JksError::TamperedOrBadPassword);
        }
    }
    Ok((flavor, entries))
}

/// Write a version-2 store of the given flavor, sealed with `password`.
///
/// Aliases and type strings are written as given (see the module docs on
/// lower-casing); entries keep their order.
///
/// # Panics
///
/// When [`try_encode`] would fail: a secret-key entry in a JKS store, or an
/// alias/type string longer than 65535 bytes of modified UTF-8, or more than
/// `i32::MAX` entries/bytes in one field.
pub fn encode(flavor: Flavor, entries: &[RawEntry], password: &str) -> Vec<u8> {
    match try_encode(flavor, entries, password) {
        Ok(bytes) => bytes,
        Err(e) => panic!("jks::encode: {e}"),
    }
}

/// [`encode`] that reports unrepresentable input as [`JksError::Malformed`]
/// instead of panicking.
pub fn try_encode(
    flavor: Flavor,
    entries: &[RawEntry],
    password: &str,
) -> Result<Vec<u8>, JksError> {
    let mut out = Vec::new();
    out.extend_from_slice(
        &match flavor {
            Flavor::Jks => JKS_MAGIC,
            Flavor::Jceks => JCEKS_MAGIC,
        }
        .to_be_bytes(),
    );
    out.extend_from_slice(&VERSION_2.to_be_bytes());
    put_len(&mut out, entries.len(), "entry count")?;
    for e in entries {
        let tag = match &e.kind {
            RawKind::PrivateKey { .. } => TAG_PRIVATE_KEY,
            RawKind::TrustedCert { .. } => TAG_TRUSTED_CERT,
            RawKind::SecretKey { .. } => TAG_SECRET_KEY,
        };
        if tag == TAG_SECRET_KEY && flavor == Flavor::Jks {
            return Err(JksError::Malformed(format!(
                "secret key entry {:?} cannot be stored in a JKS keystore",
                e.alias
            )));
        }
        out.extend_from_slice(&tag.to_be_bytes());
        put_utf(&mut out, &e.alias)?;
        out.extend_from_slice(&e.timestamp_ms.to_be_bytes());
        match &e.kind {
            RawKind::PrivateKey { protected, chain } => {
                put_bytes(&mut out, protected, "protected key")?;
                put_len(&mut out, chain.len(), "chain length")?;
                for (cert_type, der) in chain {
                    put_utf(&mut out, cert_type)?;
                    put_bytes(&mut out, der, "certificate")?;
                }
            }
            RawKind::TrustedCert { cert_type, der } => {
                put_utf(&mut out, cert_type)?;
                put_bytes(&mut out, der, "certificate")?;
            }
            RawKind::SecretKey { sealed } => out.extend_from_slice(sealed),
        }
    }
    let digest = integrity_digest(password, &out);
    out.extend_from_slice(&digest);
    Ok(out)
}

/// Wrap a PKCS#8 PrivateKeyInfo DER as keytool does: JKS = Sun's proprietary KeyProtector (OID 1.3.6.1.4.1.42.2.17.1.1, 20-byte salt, SHA-1 keystream, SHA-1 check), JCEKS = PBEWithMD5AndTripleDES (OID 1.3.6.1.4.1.42.2.19.1, params SEQUENCE{OCTET STRING salt(8), INTEGER iterations}; JDK 17 keytool writes 200000 iterations).
///
/// The salt (20 bytes for JKS, 8 for JCEKS) is drawn from `rng`, so a seeded
/// RNG gives reproducible output. The result is the DER
/// `EncryptedPrivateKeyInfo` to put in [`RawKind::PrivateKey::protected`].
///
/// # Panics
///
/// When [`try_protect_key`] would fail: `pkcs8_der` is not a PKCS#8
/// PrivateKeyInfo (e.g. a PKCS#1 `RSAPrivateKey`, which Java would refuse
/// later with "corrupt private key"), or, for JCEKS, the password has a
/// character outside printable ASCII (Java: "Password is not ASCII").
pub fn protect_key(
    flavor: Flavor,
    pkcs8_der: &[u8],
    key_password: &str,
    rng: &mut impl rand::RngCore,
) -> Vec<u8> {
    match try_protect_key(flavor, pkcs8_der, key_password, rng) {
        Ok(bytes) => bytes,
        Err(e) => panic!("jks::protect_key: {e}"),
    }
}

/// [`protect_key`] that returns an error instead of panicking:
/// [`JksError::Malformed`] for a key that is not PKCS#8,
/// [`JksError::UnrecoverableKey`]`("Password is not ASCII")` for a JCEKS
/// password Java would refuse.
pub fn try_protect_key(
    flavor: Flavor,
    pkcs8_der: &[u8],
    key_password: &str,
    rng: &mut impl rand::RngCore,
) -> Result<Vec<u8>, JksError> {
    check_pkcs8(pkcs8_der).map_err(|e| {
        JksError::Malformed(format!(
            "key to protect is not a PKCS#8 PrivateKeyInfo: {e}"
        ))
    })?;
    let (algorithm, data) = match flavor {
        Flavor::Jks => {
            let pw = utf16be(key_password);
            let mut salt = [0u8; JKS_SALT_LEN];
            rng.fill_bytes(&mut salt);
            let mut data = Vec::with_capacity(JKS_SALT_LEN + pkcs8_der.len() + SHA1_LEN);
            data.extend_from_slice(&salt);
            data.extend_from_slice(pkcs8_der);
            jks_keystream_xor(&pw, &salt, &mut data[JKS_SALT_LEN..]);
            data.extend_from_slice(
                &Sha1::new()
                    .chain_update(&pw)
                    .chain_update(pkcs8_der)
                    .finalize(),
            );
            let alg = AlgorithmIdentifierOwned {
                oid: JKS_KEY_PROTECTOR_OID,
                parameters: Some(Any::from(Null)),
            };
            (alg, data)
        }
        Flavor::Jceks => {
            let mut salt = [0u8; JCEKS_SALT_LEN];
            rng.fill_bytes(&mut salt);
            return jceks_protect(pkcs8_der, key_password, salt, JCEKS_ITERATIONS);
        }
    };
    let info = EncryptedPrivateKeyInfo {
        algorithm,
        encrypted_data: OctetString::new(data).map_err(der_err)?,
    };
    info.to_der().map_err(der_err)
}

/// JCEKS protection (PBEWithMD5AndTripleDES) of a PKCS#8 key with a given
/// salt and iteration count: the `EncryptedPrivateKeyInfo` DER. keytool
/// reads the count from each entry, so any count up to
/// [`JCEKS_MAX_ITERATIONS`] interoperates; JDK 17 writes [`JCEKS_ITERATIONS`].
pub fn try_protect_jceks(
    pkcs8_der: &[u8],
    key_password: &str,
    salt: [u8; 8],
    iterations: u32,
) -> Result<Vec<u8>, JksError> {
    check_pkcs8(pkcs8_der).map_err(|e| {
        JksError::Malformed(format!(
            "key to protect is not a PKCS#8 PrivateKeyInfo: {e}"
        ))
    })?;
    jceks_protect(pkcs8_der, key_password, salt, iterations)
}

/// PBEWithMD5AndTripleDES protection with a given salt and iteration count.
fn jceks_protect(
    pkcs8_der: &[u8],
    key_password: &str,
    salt: [u8; 8],
    iterations: u32,
) -> Result<Vec<u8>, JksError> {
    let pw = jceks_password(key_password)?;
    let (key, iv) = pbe_md5_tdes_key_iv(&pw, &salt, iterations);
    let data = cbc::Encryptor::<des::TdesEde3>::new(&key.into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(pkcs8_der);
    let params = PbeParameter {
        salt: OctetString::new(salt.to_vec()).map_err(der_err)?,
        iteration_count: iterations,
    };
    let info = EncryptedPrivateKeyInfo {
        algorithm: AlgorithmIdentifierOwned {
            oid: PBE_MD5_TRIPLE_DES_OID,
            parameters: Some(Any::encode_from(&params).map_err(der_err)?),
        },
        encrypted_data: OctetString::new(data).map_err(der_err)?,
    };
    info.to_der().map_err(der_err)
}

/// Unwrap a protected key (the DER `EncryptedPrivateKeyInfo` of a tag-1
/// entry) into its PKCS#8 PrivateKeyInfo DER, picking the algorithm by OID
/// (either algorithm works for either flavor, as in Java's JCEKS).
///
/// A wrong password gives [`JksError::UnrecoverableKey`] with Java's text.
/// The result is checked to parse as PKCS#8, so a JCEKS password that passes
/// the padding check by chance is still reported as unrecoverable.
pub fn unprotect_key(protected: &[u8], key_password: &str) -> Result<Vec<u8>, JksError> {
    let info = EncryptedPrivateKeyInfo::from_der(protected)
        .map_err(|e| JksError::Malformed(format!("EncryptedPrivateKeyInfo: {e}")))?;
    let data = info.encrypted_data.as_bytes();
    if info.algorithm.oid == JKS_KEY_PROTECTOR_OID {
        if data.len() < JKS_SALT_LEN + SHA1_LEN {
            return Err(JksError::Malformed(format!(
                "JKS protected key is {} bytes, shorter than its salt and check",
                data.len()
            )));
        }
        let pw = utf16be(key_password);
        let (salt, rest) = data.split_at(JKS_SALT_LEN);
        let (encrypted, check) = rest.split_at(rest.len() - SHA1_LEN);
        let mut plain = encrypted.to_vec();
        jks_keystream_xor(&pw, salt, &mut plain);
        let expect = Sha1::new()
            .chain_update(&pw)
            .chain_update(&plain)
            .finalize();
        if expect.as_slice() != check {
            return Err(JksError::UnrecoverableKey("Cannot recover key".into()));
        }
        check_pkcs8(&plain)
            .map_err(|e| JksError::Malformed(format!("recovered key is not PKCS#8: {e}")))?;
        Ok(plain)
    } else if info.algorithm.oid == PBE_MD5_TRIPLE_DES_OID {
        let params = info
            .algorithm
            .parameters
            .as_ref()
            .ok_or_else(|| JksError::UnrecoverableKey("PBE parameters missing".into()))?;
        let params: PbeParameter = params
            .decode_as()
            .map_err(|e| JksError::Malformed(format!("PBE parameters: {e}")))?;
        let salt: [u8; JCEKS_SALT_LEN] = params
            .salt
            .as_bytes()
            .try_into()
            .map_err(|_| JksError::UnrecoverableKey("Salt must be 8 bytes long".into()))?;
        let iterations = params.iteration_count;
        if iterations == 0 {
            return Err(JksError::UnrecoverableKey(
                "IterationCount must be a positive number".into(),
            ));
        }
        if iterations > JCEKS_MAX_ITERATIONS {
            return Err(JksError::UnrecoverableKey(
                "PBE iteration count too large".into(),
            ));
        }
        if data.is_empty() || data.len() % 8 != 0 {
            return Err(JksError::UnrecoverableKey(
                "Input length must be multiple of 8 when decrypting with padded cipher".into(),
            ));
        }
        let pw = jceks_password(key_password)?;
        let (key, iv) = pbe_md5_tdes_key_iv(&pw, &salt, iterations);
        let plain = cbc::Decryptor::<des::TdesEde3>::new(&key.into(), &iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(|_| JksError::UnrecoverableKey(BAD_PADDING.into()))?;
        check_pkcs8(&plain).map_err(|e| {
            JksError::UnrecoverableKey(format!(
                "recovered key is not PKCS#8 (wrong key password?): {e}"
            ))
        })?;
        Ok(plain)
    } else {
        Err(JksError::UnsupportedKeyProtection(
            info.algorithm.oid.to_string(),
        ))
    }
}

/// Sun's PBES1 key derivation for PBEWithMD5AndTripleDES
/// (`com.sun.crypto.provider.PBES1Core`): if the two 4-byte salt halves are
/// equal the first half is reversed; each half is then hashed `iterations`
/// times as `h = MD5(h || password)` (starting from the half); the two 16-byte
/// results, concatenated, give the DESede key (first 24 bytes) and the CBC IV
/// (last 8). `password` holds one byte per (ASCII) character; `iterations`
/// should be at least 1 (Java refuses 0; here 0 acts as 1).
pub fn pbe_md5_tdes_key_iv(
    password: &[u8],
    salt: &[u8; 8],
    iterations: u32,
) -> ([u8; 24], [u8; 8]) {
    let mut salt = *salt;
    if salt[..4] == salt[4..] {
        salt[..4].reverse();
    }
    let mut out = [0u8; 32];
    // the `md5` crate's non-generic compression runs optimized even in a
    // debug build (the Digest wrappers are compiled where they are used: a
    // keytool-made key, 200,000 rounds, took seconds unoptimized)
    let mut buf = Vec::with_capacity(16 + password.len());
    for (half, dst) in salt.chunks_exact(4).zip(out.chunks_exact_mut(16)) {
        buf.clear();
        buf.extend_from_slice(half);
        buf.extend_from_slice(password);
        let mut h = md5_fast::compute(&buf).0;
        for _ in 1..iterations {
            buf.clear();
            buf.extend_from_slice(&h);
            buf.extend_from_slice(password);
            h = md5_fast::compute(&buf).0;
        }
        dst.copy_from_slice(&h);
    }
    let mut key = [0u8; 24];
    let mut iv = [0u8; 8];
    key.copy_from_slice(&out[..24]);
    iv.copy_from_slice(&out[24..]);
    (key, iv)
}

#[derive(der::Sequence)]
struct EncryptedPrivateKeyInfo {
    algorithm: AlgorithmIdentifierOwned,
    encrypted_data: OctetString,
}

#[derive(der::Sequence)]
struct PbeParameter {
    salt: OctetString,
    iteration_count: u32,
}

fn der_err(e: der::Error) -> JksError {
    JksError::Malformed(format!("DER: {e}"))
}

fn check_pkcs8(der: &[u8]) -> Result<(), der::Error> {
    pkcs8::PrivateKeyInfo::from_der(der).map(|_| ())
}

/// Java's `char[]` password as big-endian UTF-16 bytes.
fn utf16be(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

/// The bytes `com.sun.crypto.provider.PBEKey` makes: printable ASCII only.
fn jceks_password(s: &str) -> Result<Vec<u8>, JksError> {
    if s.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
        Ok(s.as_bytes().to_vec())
    } else {
        Err(JksError::UnrecoverableKey(NOT_ASCII.into()))
    }
}

fn integrity_digest(password: &str, body: &[u8]) -> [u8; SHA1_LEN] {
    Sha1::new()
        .chain_update(utf16be(password))
        .chain_update(INTEGRITY_WHITENER)
        .chain_update(body)
        .finalize()
        .into()
}

/// XOR `data` with the JKS keystream SHA-1(pw || salt), SHA-1(pw || previous), ...
fn jks_keystream_xor(pw: &[u8], salt: &[u8], data: &mut [u8]) {
    let mut digest = Sha1::new().chain_update(pw).chain_update(salt).finalize();
    for (i, chunk) in data.chunks_mut(SHA1_LEN).enumerate() {
        if i > 0 {
            digest = Sha1::new().chain_update(pw).chain_update(digest).finalize();
        }
        chunk
            .iter_mut()
            .zip(digest.iter())
            .for_each(|(b, k)| *b ^= k);
    }
}

fn put_len(out: &mut Vec<u8>, len: usize, what: &str) -> Result<(), JksError> {
    let n = i32::try_from(len)
        .map_err(|_| JksError::Malformed(format!("{what} {len} exceeds a Java int")))?;
    out.extend_from_slice(&n.to_be_bytes());
    Ok(())
}

fn put_bytes(out: &mut Vec<u8>, bytes: &[u8], what: &str) -> Result<(), JksError> {
    put_len(out, bytes.len(), what)?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// Java `DataOutputStream.writeUTF`: modified UTF-8 (NUL as C0 80, characters
/// beyond the BMP as two 3-byte surrogates) behind a u16 length.
fn put_utf(out: &mut Vec<u8>, s: &str) -> Result<(), JksError> {
    let mut enc = Vec::with_capacity(s.len());
    for unit in s.encode_utf16() {
        match unit {
            0x0001..=0x007F => enc.push(unit as u8),
            0x0000 | 0x0080..=0x07FF => {
                enc.push(0xC0 | (unit >> 6) as u8);
                enc.push(0x80 | (unit & 0x3F) as u8);
            }
            _ => {
                enc.push(0xE0 | (unit >> 12) as u8);
                enc.push(0x80 | ((unit >> 6) & 0x3F) as u8);
                enc.push(0x80 | (unit & 0x3F) as u8);
            }
        }
    }
    let len = u16::try_from(enc.len()).map_err(|_| {
        JksError::Malformed(format!(
            "string of {} bytes in modified UTF-8 exceeds writeUTF's 65535",
            enc.len()
        ))
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&enc);
    Ok(())
}

fn read_entry(r: &mut Reader<'_>, flavor: Flavor, version: u32) -> Result<RawEntry, JksError> {
    let tag = r.u32()?;
    if !(tag == TAG_PRIVATE_KEY
        || tag == TAG_TRUSTED_CERT
        || (tag == TAG_SECRET_KEY && flavor == Flavor::Jceks))
    {
        return Err(JksError::UnknownTag(tag));
    }
    let alias = r.utf()?;
    let timestamp_ms = r.i64()?;
    let kind = match tag {
        TAG_PRIVATE_KEY => {
            let protected = r.sized()?.to_vec();
            let n_at = r.pos;
            let n = r.u32()?;
            if n > i32::MAX as u32 {
                return Err(JksError::Malformed(format!(
                    "certificate chain length {n} at offset {n_at} is negative as a Java int"
                )));
            }
            let min_cert = if version == VERSION_1 { 4 } else { 6 };
            let mut chain = Vec::with_capacity((n as usize).min(r.remaining() / min_cert));
            for _ in 0..n {
                chain.push(read_cert(r, version)?);
            }
            RawKind::PrivateKey { protected, chain }
        }
        TAG_TRUSTED_CERT => {
            let (cert_type, der) = read_cert(r, version)?;
            RawKind::TrustedCert { cert_type, der }
        }
        _ => {
            let start = r.pos;
            JavaSerialSkipper::new(r).skip_stream()?;
            RawKind::SecretKey {
                sealed: r.buf[start..r.pos].to_vec(),
            }
        }
    };
    Ok(RawEntry {
        alias,
        timestamp_ms,
        kind,
    })
}

fn read_cert(r: &mut Reader<'_>, version: u32) -> Result<(String, Vec<u8>), JksError> {
    let cert_type = if version == VERSION_1 {
        "X.509".to_string()
    } else {
        r.utf()?
    };
    Ok((cert_type, r.sized()?.to_vec()))
}

/// A bounds-checked cursor over the input.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], JksError> {
        let start = self.pos;
        let s = start
            .checked_add(n)
            .and_then(|end| self.buf.get(start..end))
            .ok_or(JksError::Truncated { offset: start })?;
        self.pos = start + n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], JksError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn u8(&mut self) -> Result<u8, JksError> {
        Ok(self.array::<1>()?[0])
    }

    fn peek(&self) -> Result<u8, JksError> {
        self.buf
            .get(self.pos)
            .copied()
            .ok_or(JksError::Truncated { offset: self.pos })
    }

    fn u16(&mut self) -> Result<u16, JksError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    fn u32(&mut self) -> Result<u32, JksError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    fn i64(&mut self) -> Result<i64, JksError> {
        Ok(i64::from_be_bytes(self.array()?))
    }

    /// u32 length, then that many bytes; a length past the end is `Truncated`
    /// at the length field.
    fn sized(&mut self) -> Result<&'a [u8], JksError> {
        let at = self.pos;
        let n = self.u32()? as usize;
        if n > self.remaining() {
            return Err(JksError::Truncated { offset: at });
        }
        self.take(n)
    }

    /// Java `DataInputStream.readUTF` (modified UTF-8), as strict as Java,
    /// and rejecting unpaired surrogates, which a Rust `String` cannot hold.
    fn utf(&mut self) -> Result<String, JksError> {
        let at = self.pos;
        let n = self.u16()? as usize;
        if n > self.remaining() {
            return Err(JksError::Truncated { offset: at });
        }
        let bytes = self.take(n)?;
        let bad = || JksError::Malformed(format!("bad modified UTF-8 in string at offset {at}"));
        let mut units = Vec::with_capacity(n);
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let cont = |k: usize| match bytes.get(i + k) {
                Some(c) if c & 0xC0 == 0x80 => Ok(u16::from(c & 0x3F)),
                _ => Err(bad()),
            };
            match b >> 4 {
                0..=7 => {
                    units.push(u16::from(b));
                    i += 1;
                }
                12 | 13 => {
                    units.push((u16::from(b & 0x1F) << 6) | cont(1)?);
                    i += 2;
                }
                14 => {
                    units.push((u16::from(b & 0x0F) << 12) | (cont(1)? << 6) | cont(2)?);
                    i += 3;
                }
                _ => return Err(bad()),
            }
        }
        String::from_utf16(&units).map_err(|_| bad())
    }
}

/// Finds the end of one Java serialization stream (a fresh
/// `ObjectOutputStream`'s header plus one object) without building anything,
/// following the grammar of the Java Object Serialization Specification, ch. 6.
struct JavaSerialSkipper<'r, 'a> {
    r: &'r mut Reader<'a>,
    handles: Vec<Handle>,
    depth: usize,
}

/// What a back-reference handle names; only class descriptors matter.
enum Handle {
    Desc(Rc<ClassDesc>),
    Other,
}

#[derive(Default)]
struct ClassDesc {
    flags: u8,
    /// Field type codes (`B`, `C`, `D`, `F`, `I`, `J`, `S`, `Z`, `L`, `[`) in stream order.
    fields: Vec<u8>,
    /// Element type code if this describes an array class (`[B` → `B`).
    array_elem: Option<u8>,
    /// Handle of the superclass descriptor.
    super_desc: Option<usize>,
}

const STREAM_MAGIC: u16 = 0xACED;
const STREAM_VERSION: u16 = 5;
const BASE_HANDLE: u32 = 0x7E_0000;
const TC_NULL: u8 = 0x70;
const TC_REFERENCE: u8 = 0x71;
const TC_CLASSDESC: u8 = 0x72;
const TC_OBJECT: u8 = 0x73;
const TC_STRING: u8 = 0x74;
const TC_ARRAY: u8 = 0x75;
const TC_CLASS: u8 = 0x76;
const TC_BLOCKDATA: u8 = 0x77;
const TC_ENDBLOCKDATA: u8 = 0x78;
const TC_RESET: u8 = 0x79;
const TC_BLOCKDATALONG: u8 = 0x7A;
const TC_EXCEPTION: u8 = 0x7B;
const TC_LONGSTRING: u8 = 0x7C;
const TC_PROXYCLASSDESC: u8 = 0x7D;
const TC_ENUM: u8 = 0x7E;
const SC_WRITE_METHOD: u8 = 0x01;
const SC_SERIALIZABLE: u8 = 0x02;
const SC_EXTERNALIZABLE: u8 = 0x04;
const SC_BLOCK_DATA: u8 = 0x08;
/// Nesting limit, so hostile input cannot exhaust the stack; also the
/// longest class hierarchy walked, so work stays linear in the input.
const MAX_SERIAL_DEPTH: usize = 64;

impl<'r, 'a> JavaSerialSkipper<'r, 'a> {
    fn new(r: &'r mut Reader<'a>) -> Self {
        JavaSerialSkipper {
            r,
            handles: Vec::new(),
            depth: 0,
        }
    }

    fn bad(&self, what: &str) -> JksError {
        JksError::Malformed(format!(
            "serialized secret key at offset {}: {what}",
            self.r.pos
        ))
    }

    fn skip_stream(&mut self) -> Result<(), JksError> {
        let at = self.r.pos;
        if self.r.u16()? != STREAM_MAGIC || self.r.u16()? != STREAM_VERSION {
            return Err(JksError::Malformed(format!(
                "secret key entry at offset {at} is not a Java serialization stream"
            )));
        }
        self.object()
    }

    fn new_handle(&mut self, h: Handle) -> usize {
        self.handles.push(h);
        self.handles.len() - 1
    }

    /// One `content`/`object` of the grammar (not block data).
    fn object(&mut self) -> Result<(), JksError> {
        self.depth += 1;
        if self.depth > MAX_SERIAL_DEPTH {
            return Err(self.bad("objects nested too deeply"));
        }
        let result = self.object_inner();
        self.depth -= 1;
        result
    }

    fn object_inner(&mut self) -> Result<(), JksError> {
        loop {
            let tc = self.r.u8()?;
            return match tc {
                // Like Java, a reset is allowed only between top-level objects.
                TC_RESET if self.depth == 1 => {
                    self.handles.clear();
                    continue;
                }
                TC_NULL => Ok(()),
                TC_REFERENCE => self.reference().map(|_| ()),
                TC_CLASSDESC | TC_PROXYCLASSDESC => self.new_class_desc(tc).map(|_| ()),
                TC_OBJECT => self.new_object(),
                TC_STRING => {
                    self.new_handle(Handle::Other);
                    let n = self.r.u16()? as usize;
                    self.r.take(n).map(|_| ())
                }
                TC_LONGSTRING => {
                    self.new_handle(Handle::Other);
                    let at = self.r.pos;
                    let n = usize::try_from(u64::from_be_bytes(self.r.array()?))
                        .map_err(|_| JksError::Truncated { offset: at })?;
                    self.r.take(n).map(|_| ())
                }
                TC_ARRAY => self.new_array(),
                TC_CLASS => {
                    self.class_desc()?;
                    self.new_handle(Handle::Other);
                    Ok(())
                }
                TC_ENUM => {
                    self.class_desc()?;
                    self.new_handle(Handle::Other);
                    match self.r.u8()? {
                        TC_STRING => {
                            self.new_handle(Handle::Other);
                            let n = self.r.u16()? as usize;
                            self.r.take(n).map(|_| ())
                        }
                        TC_REFERENCE => self.reference().map(|_| ()),
                        _ => Err(self.bad("enum constant name is not a string")),
                    }
                }
                TC_EXCEPTION => Err(self.bad("writing aborted (TC_EXCEPTION)")),
                _ => Err(self.bad(&format!("unexpected type code 0x{tc:02X}"))),
            };
        }
    }

    fn reference(&mut self) -> Result<usize, JksError> {
        let h = self.r.u32()?.wrapping_sub(BASE_HANDLE) as usize;
        if h < self.handles.len() {
            Ok(h)
        } else {
            Err(self.bad("reference to an unknown handle"))
        }
    }

    /// `classDesc`: a new descriptor, a reference to one, or null.
    fn class_desc(&mut self) -> Result<Option<usize>, JksError> {
        match self.r.u8()? {
            TC_NULL => Ok(None),
            TC_REFERENCE => {
                let h = self.reference()?;
                self.desc(h)?;
                Ok(Some(h))
            }
            tc @ (TC_CLASSDESC | TC_PROXYCLASSDESC) => self.new_class_desc(tc).map(Some),
            tc => Err(self.bad(&format!(
                "type code 0x{tc:02X} where a class descriptor is needed"
            ))),
        }
    }

    fn new_class_desc(&mut self, tc: u8) -> Result<usize, JksError> {
        self.depth += 1;
        if self.depth > MAX_SERIAL_DEPTH {
            return Err(self.bad("class descriptors nested too deeply"));
        }
        let result = self.new_class_desc_inner(tc);
        self.depth -= 1;
        result
    }

    fn new_class_desc_inner(&mut self, tc: u8) -> Result<usize, JksError> {
        let mut desc = ClassDesc::default();
        let h;
        if tc == TC_CLASSDESC {
            let n = self.r.u16()? as usize;
            let name = self.r.take(n)?;
            if name.first() == Some(&b'[') {
                desc.array_elem = name.get(1).copied();
            }
            self.r.take(8)?; // serialVersionUID
            h = self.new_handle(Handle::Other);
            desc.flags = self.r.u8()?;
            let count = self.r.u16()?;
            for _ in 0..count {
                let code = self.r.u8()?;
                let n = self.r.u16()? as usize;
                self.r.take(n)?; // field name
                match code {
                    b'B' | b'C' | b'D' | b'F' | b'I' | b'J' | b'S' | b'Z' => {}
                    b'L' | b'[' => match self.r.u8()? {
                        TC_STRING => {
                            self.new_handle(Handle::Other);
                            let n = self.r.u16()? as usize;
                            self.r.take(n)?;
                        }
                        TC_REFERENCE => {
                            self.reference()?;
                        }
                        _ => return Err(self.bad("field class name is not a string")),
                    },
                    _ => return Err(self.bad(&format!("unknown field type code 0x{code:02X}"))),
                }
                desc.fields.push(code);
            }
        } else {
            h = self.new_handle(Handle::Other);
            let count = self.r.u32()?;
            for _ in 0..count {
                let n = self.r.u16()? as usize;
                self.r.take(n)?; // interface name
            }
            desc.flags = SC_SERIALIZABLE;
        }
        self.annotation()?;
        desc.super_desc = self.class_desc()?;
        match self.handles.get_mut(h) {
            Some(slot) => *slot = Handle::Desc(Rc::new(desc)),
            None => return Err(self.bad("handle table reset inside a class descriptor")),
        }
        Ok(h)
    }

    /// Contents up to and including `TC_ENDBLOCKDATA`.
    fn annotation(&mut self) -> Result<(), JksError> {
        loop {
            match self.r.peek()? {
                TC_ENDBLOCKDATA => {
                    self.r.u8()?;
                    return Ok(());
                }
                TC_BLOCKDATA => {
                    self.r.u8()?;
                    let n = self.r.u8()? as usize;
                    self.r.take(n)?;
                }
                TC_BLOCKDATALONG => {
                    self.r.u8()?;
                    let at = self.r.pos;
                    let n = usize::try_from(self.r.u32()? as i32)
                        .map_err(|_| JksError::Truncated { offset: at })?;
                    self.r.take(n)?;
                }
                _ => self.object()?,
            }
        }
    }

    /// The class descriptor behind handle `h`.
    fn desc(&self, h: usize) -> Result<Rc<ClassDesc>, JksError> {
        match self.handles.get(h) {
            Some(Handle::Desc(d)) => Ok(Rc::clone(d)),
            _ => Err(self.bad("reference to something other than a finished class descriptor")),
        }
    }

    fn new_object(&mut self) -> Result<(), JksError> {
        let top = self
            .class_desc()?
            .ok_or_else(|| self.bad("object with a null class descriptor"))?;
        self.new_handle(Handle::Other);
        // Class data goes from the topmost serializable superclass down.
        let mut chain = Vec::new();
        let mut cur = Some(top);
        while let Some(h) = cur {
            if chain.len() >= MAX_SERIAL_DEPTH {
                return Err(self.bad("class hierarchy too deep (or cyclic)"));
            }
            let d = self.desc(h)?;
            cur = d.super_desc;
            chain.push(d);
        }
        for d in chain.iter().rev() {
            if d.flags & SC_EXTERNALIZABLE != 0 {
                if d.flags & SC_BLOCK_DATA == 0 {
                    return Err(self.bad("externalizable data in protocol version 1"));
                }
                self.annotation()?;
            } else if d.flags & SC_SERIALIZABLE != 0 {
                for &code in &d.fields {
                    self.value(code)?;
                }
                if d.flags & SC_WRITE_METHOD != 0 {
                    self.annotation()?;
                }
            }
        }
        Ok(())
    }

    fn value(&mut self, code: u8) -> Result<(), JksError> {
        match prim_width(code) {
            Some(w) => self.r.take(w).map(|_| ()),
            None => self.object(),
        }
    }

    fn new_array(&mut self) -> Result<(), JksError> {
        let h = self
            .class_desc()?
            .ok_or_else(|| self.bad("array with a null class descriptor"))?;
        let elem = self
            .desc(h)?
            .array_elem
            .ok_or_else(|| self.bad("array of a non-array class"))?;
        self.new_handle(Handle::Other);
        let at = self.r.pos;
        let size = self.r.u32()? as i32;
        let size = usize::try_from(size).map_err(|_| self.bad("negative array size"))?;
        match prim_width(elem) {
            Some(w) => {
                let n = size
                    .checked_mul(w)
                    .ok_or(JksError::Truncated { offset: at })?;
                if n > self.r.remaining() {
                    return Err(JksError::Truncated { offset: at });
                }
                self.r.take(n).map(|_| ())
            }
            None if elem == b'L' || elem == b'[' => {
                for _ in 0..size {
                    self.object()?;
                }
                Ok(())
            }
            None => Err(self.bad("unknown array element type")),
        }
    }
}

fn prim_width(code: u8) -> Option<usize> {
    match code {
        b'B' | b'Z' => Some(1),
        b'C' | b'S' => Some(2),
        b'I' | b'F' => Some(4),
        b'J' | b'D' => Some(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{RngCore, SeedableRng};

    /// An Ed25519 PKCS#8 PrivateKeyInfo (RFC 8410 layout), small and valid.
    fn pkcs8() -> Vec<u8> {
        let mut der = hex::decode("302e020100300506032b657004220420").unwrap();
        der.extend((0u8..32).map(|i| i.wrapping_mul(7)));
        der
    }

    /// A SealedObject (an AES key) exactly as JDK 17 keytool -genseckey wrote it into a JCEKS store.
    const KEYTOOL_SEALED_AES: &str = "aced000573720033636f6d2e73756e2e63727970746f2e70726f76696465722e5365616c65644f626a656374466f724b657950726f746563746f72cd57ca59e730bb53020000787200196a617661782e63727970746f2e5365616c65644f626a6563743e363da6c3b754700200045b000d656e636f646564506172616d737400025b425b0010656e63727970746564436f6e74656e7471007e00024c0009706172616d73416c677400124c6a6176612f6c616e672f537472696e673b4c00077365616c416c6771007e00037870757200025b42acf317f8060854e0020000787000000011300f04085b69c1c716c5e72e0203030d407571007e0005000000908c51e45766ffe26f5790702265da786ec06c21d466e8b390704681e64e07d8f4bdc40dda85823c9e4e537ea15c0b087b0cec9ce482827d1e742f06181db3dbf6bebf8f61eab18f42a29368089f7e7646c25ce4b344665318798328d5ec938c0932dcda62b0635bffaaca82cfe8ca4358749bb9494fe22a4822460f319dcabc23f546fabc99d61a19c72ed81746eed2df740016504245576974684d4435416e64547269706c65444553740016504245576974684d4435416e64547269706c65444553";

    fn entries(flavor: Flavor) -> Vec<RawEntry> {
        let mut rng = StdRng::seed_from_u64(7);
        let mut v = vec![
            RawEntry {
                alias: "root".into(),
                timestamp_ms: 1_700_000_000_123,
                kind: RawKind::TrustedCert {
                    cert_type: "X.509".into(),
                    der: vec![0x30, 0x03, 0x02, 0x01, 0x05],
                },
            },
            RawEntry {
                alias: "tomcat".into(),
                timestamp_ms: -5,
                kind: RawKind::PrivateKey {
                    protected: protect_key(Flavor::Jks, &pkcs8(), "keypass", &mut rng),
                    chain: vec![("X.509".into(), vec![1, 2, 3]), ("X.509".into(), vec![4])],
                },
            },
        ];
        if flavor == Flavor::Jceks {
            v.push(RawEntry {
                alias: "sec1".into(),
                timestamp_ms: 0,
                kind: RawKind::SecretKey {
                    sealed: hex::decode(KEYTOOL_SEALED_AES).unwrap(),
                },
            });
        }
        v
    }

    #[test]
    fn flavor_by_magic() {
        assert_eq!(flavor_of(&[0xFE, 0xED, 0xFE, 0xED, 0]), Some(Flavor::Jks));
        assert_eq!(flavor_of(&[0xCE, 0xCE, 0xCE, 0xCE]), Some(Flavor::Jceks));
        assert_eq!(flavor_of(&[0xCE, 0xCE, 0xCE]), None);
        assert_eq!(flavor_of(b"0\x82\x01\x02"), None);
    }

    #[test]
    fn round_trip_both_flavors() {
        for flavor in [Flavor::Jks, Flavor::Jceks] {
            let es = entries(flavor);
            let bytes = encode(flavor, &es, "changeit");
            assert_eq!(flavor_of(&bytes), Some(flavor));
            assert_eq!(&bytes[4..8], &[0, 0, 0, 2], "version 2");
            let (f, back) = decode(&bytes, Some("changeit")).unwrap();
            assert_eq!(f, flavor);
            assert_eq!(back, es);
            assert_eq!(decode(&bytes, None).unwrap().1, es);
            // Like Java, bytes after the digest are ignored.
            let mut longer = bytes.clone();
            longer.extend_from_slice(b"garbage");
            assert_eq!(decode(&longer, Some("changeit")).unwrap().1, es);
        }
    }

    #[test]
    fn empty_store_layout() {
        let bytes = encode(Flavor::Jks, &[], "changeit");
        assert_eq!(bytes.len(), 12 + 20);
        assert_eq!(
            &bytes[..12],
            &[0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0, 0, 0, 0]
        );
        let mut h = Sha1::new();
        h.update(utf16be("changeit"));
        h.update(b"Mighty Aphrodite");
        h.update(&bytes[..12]);
        assert_eq!(&bytes[12..], h.finalize().as_slice());
    }

    #[test]
    fn modified_utf8_aliases() {
        for alias in [
            "plain",
            "nul\0in",
            "caf\u{e9}",
            "\u{20ac}uro",
            "smile\u{1F600}",
            "",
        ] {
            let es = vec![RawEntry {
                alias: alias.into(),
                timestamp_ms: 1,
                kind: RawKind::TrustedCert {
                    cert_type: "X.509".into(),
                    der: vec![0],
                },
            }];
            let bytes = encode(Flavor::Jceks, &es, "pw");
            assert_eq!(decode(&bytes, Some("pw")).unwrap().1, es, "{alias:?}");
        }
        let mut out = Vec::new();
        put_utf(&mut out, "a\0\u{e9}\u{1F600}").unwrap();
        assert_eq!(
            hex::encode(out),
            // len 11: 'a', NUL as C0 80, é as C3 A9, U+1F600 as two 3-byte surrogates
            "000b61c080c3a9eda0bdedb880"
        );
        // Java's readUTF rejects a lone continuation byte and 4-byte UTF-8.
        for bad in [
            &[0x00, 0x01, 0x80][..],
            &[0x00, 0x04, 0xF0, 0x9F, 0x98, 0x80],
        ] {
            assert!(matches!(
                Reader::new(bad).utf(),
                Err(JksError::Malformed(_))
            ));
        }
        assert!(try_encode(
            Flavor::Jks,
            &[RawEntry {
                alias: "x".repeat(65_536),
                ..entries(Flavor::Jks)[0].clone()
            }],
            "p"
        )
        .is_err());
    }

    #[test]
    fn wrong_store_password() {
        let bytes = encode(Flavor::Jks, &entries(Flavor::Jks), "changeit");
        let err = decode(&bytes, Some("changeIt")).unwrap_err();
        assert!(matches!(err, JksError::TamperedOrBadPassword));
        assert_eq!(
            err.to_string(),
            "Keystore was tampered with, or password was incorrect"
        );
    }

    #[test]
    fn truncated_at_every_offset_is_an_error() {
        for flavor in [Flavor::Jks, Flavor::Jceks] {
            let bytes = encode(flavor, &entries(flavor), "changeit");
            for len in 0..bytes.len() {
                assert!(
                    decode(&bytes[..len], Some("changeit")).is_err(),
                    "{flavor:?} len {len}"
                );
                assert!(decode(&bytes[..len], None).is_err(), "{flavor:?} len {len}");
            }
        }
    }

    #[test]
    fn corrupt_bytes_never_panic() {
        for flavor in [Flavor::Jks, Flavor::Jceks] {
            let bytes = encode(flavor, &entries(flavor), "changeit");
            for i in 0..bytes.len() {
                for x in [0x01, 0x80, 0xFF] {
                    let mut b = bytes.clone();
                    b[i] ^= x;
                    assert!(decode(&b, Some("changeit")).is_err(), "{flavor:?} byte {i}");
                    let _ = decode(&b, None);
                }
            }
        }
    }

    #[test]
    fn header_errors() {
        assert!(matches!(
            decode(b"", None),
            Err(JksError::Truncated { offset: 0 })
        ));
        assert!(matches!(
            decode(b"PK\x03\x04rest", None),
            Err(JksError::NotJks)
        ));
        let mut b = encode(Flavor::Jks, &[], "p");
        b[7] = 3;
        assert!(matches!(
            decode(&b, None),
            Err(JksError::UnsupportedVersion(3))
        ));
        // An absurd entry count must neither allocate nor loop for long.
        for count in [0x7FFF_FFFFu32, 0xFFFF_FFFF] {
            let mut b = encode(Flavor::Jks, &[], "p");
            b[8..12].copy_from_slice(&count.to_be_bytes());
            assert!(decode(&b, None).is_err());
        }
    }

    #[test]
    fn hostile_lengths() {
        let mut b = encode(Flavor::Jceks, &entries(Flavor::Jceks)[..1], "p");
        // entry: tag @12, alias len @16, "root" @18, timestamp @22, type @30 (2+5), der length @37
        assert_eq!(&b[37..41], &[0, 0, 0, 5]);
        b[37..41].copy_from_slice(&0xFFFF_FFF0u32.to_be_bytes());
        assert!(matches!(
            decode(&b, None),
            Err(JksError::Truncated { offset: 37 })
        ));
        b[16..18].copy_from_slice(&[0xFF, 0xFF]);
        assert!(matches!(
            decode(&b, None),
            Err(JksError::Truncated { offset: 16 })
        ));
        // A huge chain length in a private key entry.
        let es = entries(Flavor::Jks);
        let mut b = encode(Flavor::Jks, &es[1..2], "p");
        let RawKind::PrivateKey { protected, .. } = &es[1].kind else {
            unreachable!()
        };
        let at = 12 + 4 + 2 + 6 + 8 + 4 + protected.len();
        assert_eq!(&b[at..at + 4], &[0, 0, 0, 2]);
        for n in [0x7FFF_FFFFu32, 0x8000_0000] {
            b[at..at + 4].copy_from_slice(&n.to_be_bytes());
            assert!(decode(&b, None).is_err());
        }
    }

    #[test]
    fn secret_keys_only_in_jceks() {
        let es = entries(Flavor::Jceks);
        assert!(matches!(
            try_encode(Flavor::Jks, &es, "p"),
            Err(JksError::Malformed(_))
        ));
        let mut b = encode(Flavor::Jceks, &es, "p");
        b[..4].copy_from_slice(&JKS_MAGIC.to_be_bytes());
        assert!(matches!(decode(&b, None), Err(JksError::UnknownTag(3))));
        let mut b = encode(Flavor::Jceks, &es[..1], "p");
        b[15] = 9;
        assert_eq!(
            decode(&b, None).unwrap_err().to_string(),
            "Unrecognized keystore entry: 9"
        );
    }

    #[test]
    fn serialized_object_bounds() {
        let sealed = hex::decode(KEYTOOL_SEALED_AES).unwrap();
        let mut r = Reader::new(&sealed);
        JavaSerialSkipper::new(&mut r).skip_stream().unwrap();
        assert_eq!(r.pos, sealed.len());
        // Deeply nested Object[] arrays: an error, not a stack overflow.
        let mut deep = hex::decode("aced0005").unwrap();
        deep.extend(
            hex::decode(
                "757200135b4c6a6176612e6c616e672e4f626a6563743b0000000000000000020000787000000001",
            )
            .unwrap(),
        );
        for _ in 0..10_000 {
            deep.extend(hex::decode("7571007e000000000001").unwrap());
        }
        deep.push(TC_NULL);
        let mut r = Reader::new(&deep);
        assert!(matches!(
            JavaSerialSkipper::new(&mut r).skip_stream(),
            Err(JksError::Malformed(_))
        ));
        // The same nesting, shallow enough, is walked to its end.
        let shallow = [&deep[..4 + 40 + 10 * 10], &[TC_NULL][..]].concat();
        let mut r = Reader::new(&shallow);
        JavaSerialSkipper::new(&mut r).skip_stream().unwrap();
        assert_eq!(r.pos, shallow.len());
        // Every truncation of the real object is an error.
        for len in 0..sealed.len() {
            let mut r = Reader::new(&sealed[..len]);
            assert!(
                JavaSerialSkipper::new(&mut r).skip_stream().is_err(),
                "len {len}"
            );
        }
        // Not a serialization stream at all.
        let mut r = Reader::new(b"\x30\x82\x01\x00");
        assert!(JavaSerialSkipper::new(&mut r).skip_stream().is_err());
    }

    /// `protect_key`, but JCEKS with few iterations: 200000 MD5 rounds take
    /// about a second in an unoptimized build.
    fn quick_protect(flavor: Flavor, key: &[u8], pw: &str, seed: u64) -> Vec<u8> {
        let mut rng = StdRng::seed_from_u64(seed);
        match flavor {
            Flavor::Jks => protect_key(flavor, key, pw, &mut rng),
            Flavor::Jceks => {
                let mut salt = [0u8; 8];
                rng.fill_bytes(&mut salt);
                jceks_protect(key, pw, salt, 1000).unwrap()
            }
        }
    }

    fn skip(stream: &[u8]) -> Result<usize, JksError> {
        let mut r = Reader::new(stream);
        JavaSerialSkipper::new(&mut r).skip_stream()?;
        Ok(r.pos)
    }

    #[test]
    fn hostile_serialized_objects() {
        let desc = |super_desc: &str| format!("72000141{}02000078{super_desc}", "00".repeat(8));
        // A reset inside a class annotation (Java: "unexpected reset").
        let reset_inside = hex::decode(format!(
            "aced000573{}",
            desc("79").replace("020000787", "02000079787")
        ))
        .unwrap();
        assert!(matches!(skip(&reset_inside), Err(JksError::Malformed(m)) if m.contains("0x79")));
        // A class that names itself as its superclass.
        let own_super = hex::decode(format!("aced000573{}", desc("71007e0000"))).unwrap();
        assert!(
            matches!(skip(&own_super), Err(JksError::Malformed(m)) if m.contains("finished class"))
        );
        // An Object[] of 100 class descriptors, each the superclass of the next,
        // then an object of the last: a hierarchy too deep to walk.
        let mut s = String::from("aced000575");
        s += "7200135b4c6a6176612e6c616e672e4f626a6563743b0000000000000000020000787000000065";
        s += &desc("70");
        for h in 2..101 {
            s += &desc(&format!("71{:08x}", 0x7e0000 + h));
        }
        s += &format!("7371{:08x}", 0x7e0000 + 101);
        let deep = hex::decode(&s).unwrap();
        assert!(matches!(skip(&deep), Err(JksError::Malformed(m)) if m.contains("too deep")));
        // 63 levels are fine: the object has no fields, so it ends right there.
        let ok_len = s.find(&desc(&format!("71{:08x}", 0x7e0000 + 64))).unwrap();
        let mut fine = s[..ok_len].replace("00000065", "00000040");
        fine += &format!("7371{:08x}", 0x7e0000 + 64);
        let fine = hex::decode(&fine).unwrap();
        assert_eq!(skip(&fine).unwrap(), fine.len());
        // Random streams built from type codes and small numbers never panic.
        let alphabet = [0x00, 0x01, 0x02, 0x08, 0x5b, 0x42, 0x4c, 0x7e, 0xff];
        let mut rng = StdRng::seed_from_u64(5);
        for _ in 0..20_000 {
            let mut b = vec![0xac, 0xed, 0x00, 0x05];
            for _ in 0..(rng.next_u32() % 64) {
                let x = rng.next_u32() as usize;
                b.push(if x % 2 == 0 {
                    0x70 + (x / 2 % 15) as u8
                } else {
                    alphabet[x / 2 % alphabet.len()]
                });
            }
            let _ = skip(&b);
        }
    }

    #[test]
    fn protect_unprotect_round_trip() {
        for flavor in [Flavor::Jks, Flavor::Jceks] {
            let key = pkcs8();
            let p1 = quick_protect(flavor, &key, "key pass 1", 1);
            let p2 = quick_protect(flavor, &key, "key pass 1", 1);
            let p3 = quick_protect(flavor, &key, "key pass 1", 2);
            assert_eq!(p1, p2, "deterministic for a seeded rng");
            assert_ne!(p1, p3, "salted");
            assert_eq!(unprotect_key(&p1, "key pass 1").unwrap(), key);
            assert_eq!(unprotect_key(&p3, "key pass 1").unwrap(), key);
            let err = unprotect_key(&p1, "key pass 2").unwrap_err();
            assert!(matches!(err, JksError::UnrecoverableKey(_)), "{err:?}");
            if flavor == Flavor::Jks {
                assert_eq!(err.to_string(), "Cannot recover key");
            }
        }
        // JKS handles any Unicode password (UTF-16BE), JCEKS only printable ASCII, like Java.
        let p = protect_key(
            Flavor::Jks,
            &pkcs8(),
            "p\u{e4}ss\u{20ac}\u{1F600}",
            &mut StdRng::seed_from_u64(3),
        );
        assert_eq!(
            unprotect_key(&p, "p\u{e4}ss\u{20ac}\u{1F600}").unwrap(),
            pkcs8()
        );
        let e = try_protect_key(
            Flavor::Jceks,
            &pkcs8(),
            "p\u{e4}ss",
            &mut StdRng::seed_from_u64(3),
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "Password is not ASCII");
        let p = quick_protect(Flavor::Jceks, &pkcs8(), "ascii", 3);
        assert_eq!(
            unprotect_key(&p, "tab\there").unwrap_err().to_string(),
            "Password is not ASCII"
        );
    }

    #[test]
    fn only_pkcs8_is_protected() {
        // A PKCS#1 RSAPrivateKey (what `openssl pkey -outform DER` writes): Java would
        // recover it and then fail with "corrupt private key", so refuse it up front.
        let pkcs1 = hex::decode("3006020100020101").unwrap();
        for flavor in [Flavor::Jks, Flavor::Jceks] {
            let e = try_protect_key(flavor, &pkcs1, "p", &mut StdRng::seed_from_u64(1));
            assert!(matches!(e, Err(JksError::Malformed(_))), "{e:?}");
        }
    }

    #[test]
    fn protected_key_layouts_match_keytool() {
        // JKS: SEQUENCE { SEQUENCE { OID 1.3.6.1.4.1.42.2.17.1.1, NULL }, OCTET STRING salt||xored||check }
        let key = pkcs8();
        let p = protect_key(Flavor::Jks, &key, "k", &mut StdRng::seed_from_u64(9));
        let info = EncryptedPrivateKeyInfo::from_der(&p).unwrap();
        assert_eq!(info.algorithm.oid, JKS_KEY_PROTECTOR_OID);
        assert_eq!(
            info.algorithm.parameters.unwrap().to_der().unwrap(),
            [0x05, 0x00]
        );
        assert_eq!(info.encrypted_data.as_bytes().len(), 20 + key.len() + 20);
        assert_eq!(
            &p[2..18],
            &hex::decode("300e060a2b060104012a021101010500").unwrap()[..]
        );
        // JCEKS: parameters SEQUENCE { OCTET STRING (8), INTEGER 200000 }.
        let p = protect_key(Flavor::Jceks, &key, "k", &mut StdRng::seed_from_u64(9));
        let info = EncryptedPrivateKeyInfo::from_der(&p).unwrap();
        assert_eq!(info.algorithm.oid, PBE_MD5_TRIPLE_DES_OID);
        let params: PbeParameter = info.algorithm.parameters.unwrap().decode_as().unwrap();
        assert_eq!(params.salt.as_bytes().len(), 8);
        assert_eq!(params.iteration_count, 200_000);
        assert_eq!(
            info.encrypted_data.as_bytes().len(),
            (key.len() / 8 + 1) * 8
        );
        assert_eq!(unprotect_key(&p, "k").unwrap(), key);
    }

    /// Known answers from the JDK 17 SunJCE `PBEWithMD5AndTripleDES` cipher
    /// (password "Cisco123", 1000 iterations), including a salt whose halves are equal.
    #[test]
    fn pbe_md5_tdes_matches_sunjce() {
        let plain = b"PKCS#8 stand-in plaintext, 35 byte";
        for (salt, expect) in [
            (
                "0102030405060708",
                "449a7b318766b2aa7346521441f0994da0ff2091fb2c4b44e73308850519689360b4d33b6977a1f9",
            ),
            (
                "0102030401020304",
                "2dc9ec8e0610ea5065c2946a2d1f82228740ce604bf6a38696fa39a592d910b62141d579b956b53f",
            ),
        ] {
            let salt: [u8; 8] = hex::decode(salt).unwrap().try_into().unwrap();
            let (key, iv) = pbe_md5_tdes_key_iv(b"Cisco123", &salt, 1000);
            let ct = cbc::Encryptor::<des::TdesEde3>::new(&key.into(), &iv.into())
                .encrypt_padded_vec_mut::<Pkcs7>(plain);
            assert_eq!(hex::encode(ct), expect);
        }
    }

    #[test]
    fn hostile_protected_keys() {
        let ic_too_large = {
            let params = PbeParameter {
                salt: OctetString::new(vec![1; 8]).unwrap(),
                iteration_count: JCEKS_MAX_ITERATIONS + 1,
            };
            EncryptedPrivateKeyInfo {
                algorithm: AlgorithmIdentifierOwned {
                    oid: PBE_MD5_TRIPLE_DES_OID,
                    parameters: Some(Any::encode_from(&params).unwrap()),
                },
                encrypted_data: OctetString::new(vec![0; 16]).unwrap(),
            }
            .to_der()
            .unwrap()
        };
        assert_eq!(
            unprotect_key(&ic_too_large, "p").unwrap_err().to_string(),
            "PBE iteration count too large"
        );
        let other_oid = EncryptedPrivateKeyInfo {
            algorithm: AlgorithmIdentifierOwned {
                oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13"),
                parameters: None,
            },
            encrypted_data: OctetString::new(vec![0; 16]).unwrap(),
        }
        .to_der()
        .unwrap();
        assert!(
            matches!(unprotect_key(&other_oid, "p"), Err(JksError::UnsupportedKeyProtection(o)) if o == "1.2.840.113549.1.5.13")
        );
        let p = quick_protect(Flavor::Jceks, &pkcs8(), "p", 1);
        for len in 0..p.len() {
            assert!(unprotect_key(&p[..len], "p").is_err());
        }
        let p = protect_key(Flavor::Jks, &pkcs8(), "p", &mut StdRng::seed_from_u64(1));
        for len in 0..p.len() {
            assert!(unprotect_key(&p[..len], "p").is_err());
        }
    }
}

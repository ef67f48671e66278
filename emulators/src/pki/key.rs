//! Private keys of the topology and the signatures made with them.
//!
//! RSA keys of 2048 bits and more sign through aws-lc-rs (fast, the provider
//! rustls uses); RSA-1024 keys — which [SEC]'s `keytool -genkeypair -keysize
//! 1024` steps create for the AW `tomcatCert` and the CVP `wsm_certificate`
//! (F24) — and SHA-1 signatures, which aws-lc-rs refuses, sign through the
//! pure-Rust `rsa` crate. ECDSA signs deterministically (RFC 6979) so that
//! certificates minted from pooled keys are byte-for-byte stable.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use der::asn1::ObjectIdentifier;
use der::{Any, Decode};
use pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use spki::{AlgorithmIdentifierOwned, EncodePublicKey};

use super::{pem, PkiError};

/// The key algorithms and sizes ccelab issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyType {
    /// RSA 1024: what [SEC]'s keytool examples make (weak: F24).
    Rsa1024,
    /// RSA 2048: the default, "2048 or more" of [ECE] 1.1.
    Rsa2048,
    /// RSA 3072.
    Rsa3072,
    /// RSA 4096.
    Rsa4096,
    /// ECDSA on NIST P-256 (secp256r1 / prime256v1), signing with SHA-256.
    EcP256,
    /// ECDSA on NIST P-384 (secp384r1), signing with SHA-384.
    EcP384,
}

impl KeyType {
    /// Every key type, in pool order.
    pub const ALL: [KeyType; 6] = [
        KeyType::Rsa1024,
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
        KeyType::EcP256,
        KeyType::EcP384,
    ];

    /// The CLI / file name of the type (`rsa2048`, `p256`).
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Rsa1024 => "rsa1024",
            KeyType::Rsa2048 => "rsa2048",
            KeyType::Rsa3072 => "rsa3072",
            KeyType::Rsa4096 => "rsa4096",
            KeyType::EcP256 => "p256",
            KeyType::EcP384 => "p384",
        }
    }

    /// RSA modulus size, or None for EC keys.
    pub fn rsa_bits(self) -> Option<usize> {
        match self {
            KeyType::Rsa1024 => Some(1024),
            KeyType::Rsa2048 => Some(2048),
            KeyType::Rsa3072 => Some(3072),
            KeyType::Rsa4096 => Some(4096),
            _ => None,
        }
    }

    /// The key size as keytool prints it ("2048-bit RSA key", "256-bit EC (secp256r1) key").
    pub fn bits(self) -> usize {
        match self {
            KeyType::EcP256 => 256,
            KeyType::EcP384 => 384,
            other => other.rsa_bits().unwrap_or(0),
        }
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for KeyType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let l = s.to_ascii_lowercase().replace(['-', '_'], "");
        Ok(match l.as_str() {
            "rsa1024" => KeyType::Rsa1024,
            "rsa2048" | "rsa" => KeyType::Rsa2048,
            "rsa3072" => KeyType::Rsa3072,
            "rsa4096" => KeyType::Rsa4096,
            "p256" | "ecp256" | "ec" | "ecdsap256" | "secp256r1" | "prime256v1" => KeyType::EcP256,
            "p384" | "ecp384" | "ecdsap384" | "secp384r1" => KeyType::EcP384,
            _ => {
                return Err(format!(
                    "unknown key type `{s}` (use rsa1024, rsa2048, rsa3072, rsa4096, p256 or p384)"
                ))
            }
        })
    }
}

/// The hash of a signature. SHA-256 is the default; SHA-1 exists because old
/// deployments (and old Microsoft CAs) still have SHA-1-signed certificates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum SigHash {
    /// SHA-1 (`SHA1withRSA`; deprecated, still found in old deployments).
    Sha1,
    /// SHA-256 (`SHA256withRSA`, `SHA256withECDSA`).
    #[default]
    Sha256,
    /// SHA-384 (`SHA384withRSA`, `SHA384withECDSA`).
    Sha384,
    /// SHA-512 (`SHA512withRSA`).
    Sha512,
}

impl FromStr for SigHash {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "sha1" => Ok(SigHash::Sha1),
            "sha256" => Ok(SigHash::Sha256),
            "sha384" => Ok(SigHash::Sha384),
            "sha512" => Ok(SigHash::Sha512),
            _ => Err(format!(
                "unknown hash `{s}` (use sha1, sha256, sha384 or sha512)"
            )),
        }
    }
}

pub(crate) mod oids {
    use der::asn1::ObjectIdentifier as O;
    pub(crate) const RSA_ENCRYPTION: O = O::new_unwrap("1.2.840.113549.1.1.1");
    pub(crate) const SHA1_RSA: O = O::new_unwrap("1.2.840.113549.1.1.5");
    pub(crate) const SHA256_RSA: O = O::new_unwrap("1.2.840.113549.1.1.11");
    pub(crate) const SHA384_RSA: O = O::new_unwrap("1.2.840.113549.1.1.12");
    pub(crate) const SHA512_RSA: O = O::new_unwrap("1.2.840.113549.1.1.13");
    pub(crate) const EC_PUBLIC_KEY: O = O::new_unwrap("1.2.840.10045.2.1");
    pub(crate) const ECDSA_SHA1: O = O::new_unwrap("1.2.840.10045.4.1");
    pub(crate) const ECDSA_SHA256: O = O::new_unwrap("1.2.840.10045.4.3.2");
    pub(crate) const ECDSA_SHA384: O = O::new_unwrap("1.2.840.10045.4.3.3");
    pub(crate) const ECDSA_SHA512: O = O::new_unwrap("1.2.840.10045.4.3.4");
    pub(crate) const P256: O = O::new_unwrap("1.2.840.10045.3.1.7");
    pub(crate) const P384: O = O::new_unwrap("1.3.132.0.34");
}

/// The signature algorithm identifier for a key type and hash, or an error
/// for a combination ccelab cannot sign (ECDSA is signed with its curve's hash).
pub fn signature_algorithm(
    kt: KeyType,
    hash: SigHash,
) -> Result<AlgorithmIdentifierOwned, PkiError> {
    let null = Some(Any::from(der::asn1::Null));
    let (oid, parameters) = match (kt, hash) {
        (KeyType::EcP256, SigHash::Sha256) => (oids::ECDSA_SHA256, None),
        (KeyType::EcP384, SigHash::Sha384) => (oids::ECDSA_SHA384, None),
        (KeyType::EcP256 | KeyType::EcP384, _) => {
            return Err(PkiError::Unsupported(format!(
                "{kt} keys sign with {} only",
                if kt == KeyType::EcP256 {
                    "SHA-256"
                } else {
                    "SHA-384"
                }
            )))
        }
        (_, SigHash::Sha1) => (oids::SHA1_RSA, null),
        (_, SigHash::Sha256) => (oids::SHA256_RSA, null),
        (_, SigHash::Sha384) => (oids::SHA384_RSA, null),
        (_, SigHash::Sha512) => (oids::SHA512_RSA, null),
    };
    Ok(AlgorithmIdentifierOwned { oid, parameters })
}

/// The hash an EC key type signs with by default.
pub fn default_hash(kt: KeyType) -> SigHash {
    match kt {
        KeyType::EcP384 => SigHash::Sha384,
        _ => SigHash::Sha256,
    }
}

enum Signer {
    /// aws-lc-rs, for RSA >= 2048.
    Aws(aws_lc_rs::signature::RsaKeyPair),
    /// the `rsa` crate: RSA-1024, and SHA-1 for every size.
    Rsa,
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

/// A private key with its public key and a signer. Cheap to share (`Arc`).
pub struct KeyPair {
    key_type: KeyType,
    pkcs8: Vec<u8>,
    spki: Vec<u8>,
    signer: Signer,
    /// RSA keys always keep the `rsa` crate form for SHA-1 and small keys.
    rsa: Option<rsa::RsaPrivateKey>,
}

impl fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyPair")
            .field("key_type", &self.key_type)
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// Loads a PKCS#8 `PrivateKeyInfo` (DER).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Arc<Self>, PkiError> {
        let info = pkcs8::PrivateKeyInfo::from_der(der)
            .map_err(|e| PkiError::BadKey(format!("not a PKCS#8 private key: {e}")))?;
        let alg = info.algorithm.oid;
        if alg == oids::RSA_ENCRYPTION {
            let key = rsa::RsaPrivateKey::from_pkcs8_der(der)
                .map_err(|e| PkiError::BadKey(format!("bad RSA key: {e}")))?;
            return Self::from_rsa(key);
        }
        if alg == oids::EC_PUBLIC_KEY {
            let curve: Option<ObjectIdentifier> =
                info.algorithm.parameters.and_then(|p| p.decode_as().ok());
            return match curve {
                Some(c) if c == oids::P256 => {
                    let sk = p256::ecdsa::SigningKey::from_pkcs8_der(der)
                        .map_err(|e| PkiError::BadKey(format!("bad P-256 key: {e}")))?;
                    Self::from_p256(sk)
                }
                Some(c) if c == oids::P384 => {
                    let sk = p384::ecdsa::SigningKey::from_pkcs8_der(der)
                        .map_err(|e| PkiError::BadKey(format!("bad P-384 key: {e}")))?;
                    Self::from_p384(sk)
                }
                other => Err(PkiError::Unsupported(format!(
                    "EC curve {} (P-256 and P-384 are supported)",
                    other
                        .map(|o| o.to_string())
                        .unwrap_or_else(|| "unnamed".into())
                ))),
            };
        }
        Err(PkiError::Unsupported(format!(
            "private key algorithm {alg}"
        )))
    }

    /// Loads the first private key of a PEM text: PKCS#8 (`PRIVATE KEY`),
    /// PKCS#1 (`RSA PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
    pub fn from_pem(text: &str) -> Result<Arc<Self>, PkiError> {
        for b in pem::parse(text).map_err(|e| PkiError::BadKey(e.to_string()))? {
            match b.label.as_str() {
                "PRIVATE KEY" => return Self::from_pkcs8_der(&b.der),
                "RSA PRIVATE KEY" => {
                    let k = rsa::RsaPrivateKey::from_pkcs1_der(&b.der)
                        .map_err(|e| PkiError::BadKey(format!("bad PKCS#1 RSA key: {e}")))?;
                    return Self::from_rsa(k);
                }
                "EC PRIVATE KEY" => {
                    if let Ok(sk) = p256::SecretKey::from_sec1_der(&b.der) {
                        return Self::from_p256(sk.into());
                    }
                    let sk = p384::SecretKey::from_sec1_der(&b.der)
                        .map_err(|e| PkiError::BadKey(format!("bad SEC1 EC key: {e}")))?;
                    return Self::from_p384(sk.into());
                }
                "ENCRYPTED PRIVATE KEY" => {
                    return Err(PkiError::Unsupported(
                        "encrypted PEM private keys (decrypt with `openssl pkey` first)".into(),
                    ))
                }
                _ => {}
            }
        }
        Err(PkiError::BadKey(
            "no private key block in the PEM text".into(),
        ))
    }

    fn from_rsa(key: rsa::RsaPrivateKey) -> Result<Arc<Self>, PkiError> {
        let bits = key.size() * 8;
        let key_type = match bits {
            1024 => KeyType::Rsa1024,
            2048 => KeyType::Rsa2048,
            3072 => KeyType::Rsa3072,
            4096 => KeyType::Rsa4096,
            _ => return Err(PkiError::Unsupported(format!("{bits}-bit RSA keys"))),
        };
        let pkcs8 = key
            .to_pkcs8_der()
            .map_err(|e| PkiError::BadKey(e.to_string()))?
            .as_bytes()
            .to_vec();
        let spki = key
            .to_public_key()
            .to_public_key_der()
            .map_err(|e| PkiError::BadKey(e.to_string()))?
            .into_vec();
        let signer = if bits >= 2048 {
            Signer::Aws(
                aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&pkcs8)
                    .map_err(|e| PkiError::BadKey(format!("aws-lc rejected the RSA key: {e}")))?,
            )
        } else {
            Signer::Rsa
        };
        Ok(Arc::new(KeyPair {
            key_type,
            pkcs8,
            spki,
            signer,
            rsa: Some(key),
        }))
    }

    fn from_p256(sk: p256::ecdsa::SigningKey) -> Result<Arc<Self>, PkiError> {
        let pkcs8 = sk
            .to_pkcs8_der()
            .map_err(|e| PkiError::BadKey(e.to_string()))?
            .as_bytes()
            .to_vec();
        let spki = sk
            .verifying_key()
            .to_public_key_der()
            .map_err(|e| PkiError::BadKey(e.to_string()))?
            .into_vec();
        Ok(Arc::new(KeyPair {
            key_type: KeyType::EcP256,
            pkcs8,
            spki,
            signer: Signer::P256(sk),
            rsa: None,
        }))
    }

    fn from_p384(sk: p384::ecdsa::SigningKey) -> Result<Arc<Self>, PkiError> {
        let pkcs8 = sk
            .to_pkcs8_der()
            .map_err(|e| PkiError::BadKey(e.to_string()))?
            .as_bytes()
            .to_vec();
        let spki = sk
            .verifying_key()
            .to_public_key_der()
            .map_err(|e| PkiError::BadKey(e.to_string()))?
            .into_vec();
        Ok(Arc::new(KeyPair {
            key_type: KeyType::EcP384,
            pkcs8,
            spki,
            signer: Signer::P384(sk),
            rsa: None,
        }))
    }

    /// Generates a fresh key from `rng`. Deterministic for a deterministic
    /// RNG. Costly for RSA (~0.1–1 s): use the [`super::keypool`] instead.
    pub fn generate<R: rand::CryptoRng + rand::RngCore>(
        kt: KeyType,
        rng: &mut R,
    ) -> Result<Arc<Self>, PkiError> {
        match kt {
            KeyType::EcP256 => Self::from_p256(p256::ecdsa::SigningKey::random(rng)),
            KeyType::EcP384 => Self::from_p384(p384::ecdsa::SigningKey::random(rng)),
            _ => {
                let bits = kt.rsa_bits().unwrap_or(2048);
                let key = rsa::RsaPrivateKey::new(rng, bits)
                    .map_err(|e| PkiError::BadKey(format!("RSA generation failed: {e}")))?;
                Self::from_rsa(key)
            }
        }
    }

    /// The key's algorithm and size.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The PKCS#8 `PrivateKeyInfo` DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as `openssl genpkey` writes.
    pub fn to_pkcs8_pem(&self) -> String {
        pem::encode("PRIVATE KEY", &self.pkcs8)
    }

    /// The "traditional" PEM form: PKCS#1 (`RSA PRIVATE KEY`) for RSA keys,
    /// SEC1 (`EC PRIVATE KEY`) for EC keys — what `openssl rsa -traditional`
    /// and `openssl ec` write, and what older IIS/Windows tooling expects.
    pub fn to_traditional_pem(&self) -> Result<String, PkiError> {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        let err = |e: &dyn std::fmt::Display| PkiError::Encoding(e.to_string());
        match (&self.rsa, &self.signer) {
            (Some(k), _) => Ok(pem::encode(
                "RSA PRIVATE KEY",
                k.to_pkcs1_der().map_err(|e| err(&e))?.as_bytes(),
            )),
            (None, Signer::P256(sk)) => {
                let der = p256::SecretKey::from(sk)
                    .to_sec1_der()
                    .map_err(|e| err(&e))?;
                sec1_with_curve(&der, oids::P256)
            }
            (None, Signer::P384(sk)) => {
                let der = p384::SecretKey::from(sk)
                    .to_sec1_der()
                    .map_err(|e| err(&e))?;
                sec1_with_curve(&der, oids::P384)
            }
            _ => Err(PkiError::Unsupported("traditional PEM of this key".into())),
        }
    }

    /// The `SubjectPublicKeyInfo` DER.
    pub fn spki_der(&self) -> &[u8] {
        &self.spki
    }

    /// Signs `msg` with the given hash; the output is the raw signature value
    /// (PKCS#1 v1.5 for RSA, DER `Ecdsa-Sig-Value` for ECDSA).
    pub fn sign(&self, hash: SigHash, msg: &[u8]) -> Result<Vec<u8>, PkiError> {
        use signature::{SignatureEncoding as _, Signer as _};
        // Validate the combination first (EC keys sign with their curve's hash).
        signature_algorithm(self.key_type, hash)?;
        let sig = match (&self.signer, hash) {
            (Signer::Aws(kp), h) if h != SigHash::Sha1 && aws_rng_ready() => {
                let padding: &'static dyn aws_lc_rs::signature::RsaEncoding = match h {
                    SigHash::Sha384 => &aws_lc_rs::signature::RSA_PKCS1_SHA384,
                    SigHash::Sha512 => &aws_lc_rs::signature::RSA_PKCS1_SHA512,
                    _ => &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                };
                let mut out = vec![0u8; kp.public_modulus_len()];
                kp.sign(
                    padding,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    msg,
                    &mut out,
                )
                .map_err(|_| PkiError::Unsupported("aws-lc RSA signing failed".into()))?;
                out
            }
            (Signer::P256(sk), _) => {
                let s: p256::ecdsa::DerSignature = sk.sign(msg);
                s.to_bytes().to_vec()
            }
            (Signer::P384(sk), _) => {
                let s: p384::ecdsa::DerSignature = sk.sign(msg);
                s.to_bytes().to_vec()
            }
            (_, h) => {
                let key = self
                    .rsa
                    .clone()
                    .ok_or_else(|| PkiError::Unsupported("no RSA key".into()))?;
                match h {
                    SigHash::Sha1 => rsa::pkcs1v15::SigningKey::<sha1::Sha1>::new(key)
                        .sign(msg)
                        .to_vec(),
                    SigHash::Sha256 => rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key)
                        .sign(msg)
                        .to_vec(),
                    SigHash::Sha384 => rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new(key)
                        .sign(msg)
                        .to_vec(),
                    SigHash::Sha512 => rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(key)
                        .sign(msg)
                        .to_vec(),
                }
            }
        };
        Ok(sig)
    }
}

/// SEC1 `ECPrivateKey` with the named-curve parameters openssl needs to read it.
fn sec1_with_curve(der: &[u8], curve: ObjectIdentifier) -> Result<String, PkiError> {
    use der::Encode;
    let mut k = sec1::EcPrivateKey::from_der(der).map_err(|e| PkiError::Encoding(e.to_string()))?;
    k.parameters = Some(sec1::EcParameters::NamedCurve(curve));
    let out = k.to_der().map_err(|e| PkiError::Encoding(e.to_string()))?;
    Ok(pem::encode("EC PRIVATE KEY", &out))
}

/// aws-lc seeds its random generator on first use, which costs ~50 ms here
/// (measured), and RSA signing needs it for blinding. PKCS#1 v1.5 signatures
/// are deterministic, so the `rsa` crate (≈2× slower per signature, no
/// seeding) produces the very same bytes: it signs until a background thread
/// has seeded aws-lc, and aws-lc signs from then on. Certificates are
/// byte-identical either way; only the time to a topology's first
/// certificates changes.
fn aws_rng_ready() -> bool {
    use std::sync::atomic::{AtomicBool, Ordering};
    static READY: AtomicBool = AtomicBool::new(false);
    static WARM: std::sync::Once = std::sync::Once::new();
    WARM.call_once(|| {
        std::thread::spawn(|| {
            use aws_lc_rs::rand::SecureRandom;
            let mut b = [0u8; 1];
            if aws_lc_rs::rand::SystemRandom::new().fill(&mut b).is_ok() {
                READY.store(true, Ordering::Release);
            }
        });
    });
    READY.load(Ordering::Acquire)
}

/// Starts seeding aws-lc's random generator in the background (see
/// [`aws_rng_ready`]); call early in a process that will make TLS handshakes.
pub fn warm_up() {
    aws_rng_ready();
}

/// Verifies `sig` over `msg` with the public key `spki_der` and the signature
/// algorithm `alg` (any RSA size, P-256, P-384). Used for CSR self-signatures
/// and certificate chains.
pub fn verify(
    spki_der: &[u8],
    alg: &ObjectIdentifier,
    msg: &[u8],
    sig: &[u8],
) -> Result<bool, PkiError> {
    if let Some(ok) = verify_aws(spki_der, alg, msg, sig) {
        return Ok(ok);
    }
    verify_rustcrypto(spki_der, alg, msg, sig)
}

/// aws-lc verification (fast), for the algorithm/key combinations it has;
/// None hands the check to the pure-Rust path.
fn verify_aws(spki_der: &[u8], alg: &ObjectIdentifier, msg: &[u8], sig: &[u8]) -> Option<bool> {
    use aws_lc_rs::signature as s;
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der).ok()?;
    let key = spki.subject_public_key.as_bytes()?;
    let a = *alg;
    let params: &'static dyn s::VerificationAlgorithm = if spki.algorithm.oid
        == oids::RSA_ENCRYPTION
    {
        match a {
            _ if a == oids::SHA1_RSA => &s::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            _ if a == oids::SHA256_RSA => &s::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            _ if a == oids::SHA512_RSA => &s::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
            _ => return None,
        }
    } else if spki.algorithm.oid == oids::EC_PUBLIC_KEY {
        let curve: ObjectIdentifier = spki.algorithm.parameters.and_then(|p| p.decode_as().ok())?;
        match (curve, a) {
            (c, a) if c == oids::P256 && a == oids::ECDSA_SHA256 => &s::ECDSA_P256_SHA256_ASN1,
            (c, a) if c == oids::P256 && a == oids::ECDSA_SHA384 => &s::ECDSA_P256_SHA384_ASN1,
            (c, a) if c == oids::P384 && a == oids::ECDSA_SHA384 => &s::ECDSA_P384_SHA384_ASN1,
            (c, a) if c == oids::P384 && a == oids::ECDSA_SHA256 => &s::ECDSA_P384_SHA256_ASN1,
            _ => return None,
        }
    } else {
        return None;
    };
    Some(
        s::UnparsedPublicKey::new(params, key)
            .verify(msg, sig)
            .is_ok(),
    )
}

fn verify_rustcrypto(
    spki_der: &[u8],
    alg: &ObjectIdentifier,
    msg: &[u8],
    sig: &[u8],
) -> Result<bool, PkiError> {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use signature::Verifier as _;
    use spki::DecodePublicKey;
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| PkiError::BadKey(format!("bad public key: {e}")))?;
    if spki.algorithm.oid == oids::RSA_ENCRYPTION {
        let pk = rsa::RsaPublicKey::from_public_key_der(spki_der)
            .map_err(|e| PkiError::BadKey(format!("bad RSA public key: {e}")))?;
        let Ok(sig) = Signature::try_from(sig) else {
            return Ok(false);
        };
        let ok = match *alg {
            a if a == oids::SHA1_RSA => VerifyingKey::<sha1::Sha1>::new(pk)
                .verify(msg, &sig)
                .is_ok(),
            a if a == oids::SHA256_RSA => VerifyingKey::<sha2::Sha256>::new(pk)
                .verify(msg, &sig)
                .is_ok(),
            a if a == oids::SHA384_RSA => VerifyingKey::<sha2::Sha384>::new(pk)
                .verify(msg, &sig)
                .is_ok(),
            a if a == oids::SHA512_RSA => VerifyingKey::<sha2::Sha512>::new(pk)
                .verify(msg, &sig)
                .is_ok(),
            other => {
                return Err(PkiError::Unsupported(format!(
                    "signature algorithm {other} with an RSA key"
                )))
            }
        };
        return Ok(ok);
    }
    if spki.algorithm.oid == oids::EC_PUBLIC_KEY {
        use signature::hazmat::PrehashVerifier;
        let digest = match *alg {
            a if a == oids::ECDSA_SHA1 => sha1_digest(msg),
            a if a == oids::ECDSA_SHA256 => sha2_digest::<sha2::Sha256>(msg),
            a if a == oids::ECDSA_SHA384 => sha2_digest::<sha2::Sha384>(msg),
            a if a == oids::ECDSA_SHA512 => sha2_digest::<sha2::Sha512>(msg),
            other => {
                return Err(PkiError::Unsupported(format!(
                    "signature algorithm {other} with an EC key"
                )))
            }
        };
        if let Ok(vk) = p256::ecdsa::VerifyingKey::from_public_key_der(spki_der) {
            let Ok(s) = p256::ecdsa::Signature::from_der(sig) else {
                return Ok(false);
            };
            return Ok(vk.verify_prehash(&digest, &s).is_ok());
        }
        if let Ok(vk) = p384::ecdsa::VerifyingKey::from_public_key_der(spki_der) {
            let Ok(s) = p384::ecdsa::Signature::from_der(sig) else {
                return Ok(false);
            };
            return Ok(vk.verify_prehash(&digest, &s).is_ok());
        }
        return Err(PkiError::Unsupported("EC curve of the public key".into()));
    }
    Err(PkiError::Unsupported(format!(
        "public key algorithm {}",
        spki.algorithm.oid
    )))
}

fn sha1_digest(msg: &[u8]) -> Vec<u8> {
    use sha1::Digest;
    sha1::Sha1::digest(msg).to_vec()
}

fn sha2_digest<D: sha2::Digest>(msg: &[u8]) -> Vec<u8> {
    D::digest(msg).to_vec()
}

/// Size in bits of the public key in a `SubjectPublicKeyInfo` (RSA modulus or EC field).
pub fn public_key_bits(spki_der: &[u8]) -> Option<usize> {
    use spki::DecodePublicKey;
    if let Ok(pk) = rsa::RsaPublicKey::from_public_key_der(spki_der) {
        return Some(pk.size() * 8);
    }
    if p256::PublicKey::from_public_key_der(spki_der).is_ok() {
        return Some(256);
    }
    if p384::PublicKey::from_public_key_der(spki_der).is_ok() {
        return Some(384);
    }
    None
}

pub(crate) fn encode_err(e: der::Error) -> PkiError {
    PkiError::Encoding(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two RSA backends must make the same PKCS#1 v1.5 signature, so
    /// which one signs never changes a certificate's bytes.
    #[test]
    fn rsa_backends_sign_identically() {
        use signature::{SignatureEncoding as _, Signer as _};
        for (kt, i) in [(KeyType::Rsa2048, 0), (KeyType::Rsa3072, 0)] {
            let k = super::super::keypool::key(kt, i).unwrap();
            let msg = b"tbsCertificate";
            let by_rsa_crate =
                rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k.rsa.clone().unwrap())
                    .sign(msg)
                    .to_vec();
            let Signer::Aws(kp) = &k.signer else {
                panic!("{kt} should sign through aws-lc")
            };
            let mut by_aws = vec![0u8; kp.public_modulus_len()];
            kp.sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                msg,
                &mut by_aws,
            )
            .unwrap();
            assert_eq!(by_rsa_crate, by_aws, "{kt}");
            assert_eq!(k.sign(SigHash::Sha256, msg).unwrap(), by_aws);
        }
    }
}

//! The topology's PKI: root and issuing CAs (the Microsoft AD CS role of
//! docs/requirements.md §1), leaf and self-signed certificates (IIS "Create
//! Self-Signed Certificate", keytool `-genkeypair`), PKCS#10 requests (IIS /
//! MMC "Create Certificate Request", [ECE] 1.1 option 2) and a CA that signs
//! them keeping the requested SANs, and a deterministic key pool so that no
//! test pays for RSA key generation.
//!
//! Validity windows are always given as instants computed from the topology
//! [`crate::clock::Clock`], so expiry scenarios (F25) never go stale.

mod cert;
mod csr;
pub mod dn;
pub mod example;
mod key;
pub mod keypool;
pub mod pem;
pub mod pkcs7;
pub mod spec;
pub mod twin;

pub use cert::{issue, Ca, CertParams, Certificate, Eku, Issued, KeyUsage, San};
pub use csr::Csr;
pub use key::{
    default_hash, public_key_bits, signature_algorithm, verify, warm_up, KeyPair, KeyType, SigHash,
};

/// Everything that can go wrong making or reading PKI objects.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    /// A distinguished name or SAN that cannot be parsed or encoded (a
    /// malformed `CN=…, O=…` string, an unknown attribute keyword, a non-ASCII
    /// DNS name).
    #[error("bad distinguished name: {0}")]
    BadName(String),
    /// A private key that cannot be read (not PKCS#8, PKCS#1 or SEC1, or
    /// corrupt), or a key that does not belong to the certificate it must
    /// sign for.
    #[error("bad private key: {0}")]
    BadKey(String),
    /// Bytes that are not a DER X.509 certificate, or a certificate that
    /// cannot play the part asked of it (a CA without BasicConstraints CA:true).
    #[error("bad certificate: {0}")]
    BadCertificate(String),
    /// A PKCS#10 certificate request that cannot be parsed.
    #[error("bad certificate request: {0}")]
    BadCsr(String),
    /// A certificate was given where a CSR was expected (submitting the
    /// wrong file to the CA).
    #[error("the file holds a certificate, not a certificate request (CSR)")]
    CertificateNotCsr,
    /// The CSR's self-signature does not verify with the public key it carries.
    #[error("the certificate request's signature does not verify: it was altered or signed with another key")]
    CsrSignature,
    /// A validity window that cannot be issued (not-after before not-before,
    /// or an instant before 1970).
    #[error("{0}")]
    Validity(String),
    /// A key type, key size, curve or algorithm ccelab does not implement.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// DER encoding or decoding failed inside the ASN.1 libraries (or a
    /// key-pool file could not be written).
    #[error("encoding failed: {0}")]
    Encoding(String),
}

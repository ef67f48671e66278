//! The topology's PKI: root and issuing CAs (the Microsoft AD CS role of
//! [topology.md] §1), leaf and self-signed certificates (IIS "Create
//! Self-Signed Certificate", keytool `-genkeypair`), PKCS#10 requests (IIS /
//! MMC "Create Certificate Request", [ECE] 1.1 option 2) and a CA that signs
//! them keeping the requested SANs, and a deterministic key pool so that no
//! test pays for RSA key generation.
//!
//! Validity windows are always given as instants computed from the topology
//! [`crate::clock::Clock`], so expiry scenarios (F25) never go stale.
//!
//! [topology.md]: ../../../shared/spec/topology.md

mod cert;
mod csr;
pub mod dn;
mod key;
pub mod keypool;
pub mod pem;

pub use cert::{issue, Ca, CertParams, Certificate, Eku, Issued, KeyUsage, San};
pub use csr::Csr;
pub use key::{
    default_hash, public_key_bits, signature_algorithm, verify, warm_up, KeyPair, KeyType, SigHash,
};

/// Everything that can go wrong making or reading PKI objects.
#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("bad distinguished name: {0}")]
    BadName(String),
    #[error("bad private key: {0}")]
    BadKey(String),
    #[error("bad certificate: {0}")]
    BadCertificate(String),
    #[error("bad certificate request: {0}")]
    BadCsr(String),
    #[error("the file holds a certificate, not a certificate request (CSR)")]
    CertificateNotCsr,
    #[error("the certificate request's signature does not verify: it was altered or signed with another key")]
    CsrSignature,
    #[error("{0}")]
    Validity(String),
    #[error("not supported: {0}")]
    Unsupported(String),
    #[error("encoding failed: {0}")]
    Encoding(String),
}

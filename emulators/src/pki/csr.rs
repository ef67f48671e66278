//! PKCS#10 certificate requests: made as IIS "Create Certificate Request" and
//! the MMC "Create Custom Request" wizard make them ([ECE] 1.1 options 2a/2b:
//! subject fields, the CN repeated as a DNS SAN, one SAN per URL), and read
//! from `openssl req` and `keytool -certreq` output (`NEW CERTIFICATE
//! REQUEST` label) for a CA to sign. A request whose self-signature does not
//! verify, or a certificate handed in instead of a request, is refused — the
//! CA's refusal of an incomplete or damaged request in [ECE] 1.1.

use der::asn1::{BitString, ObjectIdentifier, SetOfVec};
use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::name::Name;
use x509_cert::request::{CertReq, CertReqInfo, ExtensionReq, Version};

use super::key::{encode_err, signature_algorithm, KeyPair, SigHash};
use super::{dn, pem, PkiError, San};

const EXTENSION_REQUEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.14");

/// A parsed, signature-checked certificate request.
#[derive(Clone, Debug)]
pub struct Csr {
    der: Vec<u8>,
    inner: CertReq,
}

impl Csr {
    /// Makes a request for `subject` with `sans`, signed by `key`.
    pub fn new(
        subject: &Name,
        sans: &[San],
        key: &KeyPair,
        hash: SigHash,
    ) -> Result<Self, PkiError> {
        let mut attributes = SetOfVec::new();
        if !sans.is_empty() {
            let san = super::cert::san_extension(sans)?
                .to_extension(subject, &[])
                .map_err(encode_err)?;
            let attr = Attribute::try_from(ExtensionReq(vec![san])).map_err(encode_err)?;
            attributes.insert(attr).map_err(encode_err)?;
        }
        let info = CertReqInfo {
            version: Version::V1,
            subject: subject.clone(),
            public_key: SubjectPublicKeyInfoOwned::from_der(key.spki_der()).map_err(encode_err)?,
            attributes,
        };
        let alg = signature_algorithm(key.key_type(), hash)?;
        let sig = key.sign(hash, &info.to_der().map_err(encode_err)?)?;
        let req = CertReq {
            info,
            algorithm: alg,
            signature: BitString::from_bytes(&sig).map_err(encode_err)?,
        };
        let der = req.to_der().map_err(encode_err)?;
        Self::from_der(&der)
    }

    /// Reads a request from PEM (`CERTIFICATE REQUEST` or keytool's `NEW
    /// CERTIFICATE REQUEST`) or DER, and verifies its self-signature.
    pub fn parse(bytes: &[u8]) -> Result<Self, PkiError> {
        if pem::looks_like_pem(bytes) {
            let text = String::from_utf8_lossy(bytes);
            let blocks = pem::parse(&text).map_err(|e| PkiError::BadCsr(e.to_string()))?;
            if let Some(b) = blocks
                .iter()
                .find(|b| b.label.ends_with("CERTIFICATE REQUEST"))
            {
                return Self::from_der(&b.der);
            }
            if blocks.iter().any(|b| b.label == "CERTIFICATE") {
                return Err(PkiError::CertificateNotCsr);
            }
            return Err(PkiError::BadCsr(
                "no CERTIFICATE REQUEST block in the PEM text".into(),
            ));
        }
        Self::from_der(bytes)
    }

    /// Reads a DER request and verifies its self-signature.
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        let inner = match CertReq::from_der(der) {
            Ok(r) => r,
            Err(e) => {
                if x509_cert::Certificate::from_der(der).is_ok() {
                    return Err(PkiError::CertificateNotCsr);
                }
                return Err(PkiError::BadCsr(format!("not a PKCS#10 request: {e}")));
            }
        };
        let info = inner.info.to_der().map_err(encode_err)?;
        let spki = inner.info.public_key.to_der().map_err(encode_err)?;
        let sig = inner.signature.as_bytes().ok_or(PkiError::CsrSignature)?;
        if !super::verify(&spki, &inner.algorithm.oid, &info, sig)? {
            return Err(PkiError::CsrSignature);
        }
        Ok(Csr {
            der: der.to_vec(),
            inner,
        })
    }

    /// The request's DER, exactly as read or made.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM as `openssl req` writes it.
    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE REQUEST", &self.der)
    }

    /// The requested subject DN.
    pub fn subject(&self) -> &Name {
        &self.inner.info.subject
    }

    /// The requested subject as Java prints it (`CN=…, OU=…`).
    pub fn subject_string(&self) -> String {
        dn::java_string(self.subject())
    }

    /// The public key to be certified, as `SubjectPublicKeyInfo` DER.
    pub fn spki_der(&self) -> Vec<u8> {
        self.inner.info.public_key.to_der().unwrap_or_default()
    }

    /// Extensions requested through the PKCS#9 extensionRequest attribute.
    pub fn requested_extensions(&self) -> Vec<Extension> {
        self.inner
            .info
            .attributes
            .iter()
            .filter(|a| a.oid == EXTENSION_REQUEST)
            .flat_map(|a| a.values.iter())
            .filter_map(|v| v.decode_as::<ExtensionReq>().ok())
            .flat_map(|r| r.0)
            .collect()
    }

    /// The requested DNS and IP SANs.
    pub fn sans(&self) -> Vec<San> {
        let san_oid = ObjectIdentifier::new_unwrap("2.5.29.17");
        self.requested_extensions()
            .iter()
            .filter(|e| e.extn_id == san_oid)
            .filter_map(|e| SubjectAltName::from_der(e.extn_value.as_bytes()).ok())
            .flat_map(|s| super::cert::sans_of(&s))
            .collect()
    }
}

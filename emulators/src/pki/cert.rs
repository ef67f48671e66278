//! X.509 certificates: reading them, and issuing them as a CA (or
//! self-signed) from [`CertParams`].

use std::net::IpAddr;
use std::sync::Arc;

use der::asn1::{BitString, Ia5String, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use sha1::Digest as _;
use spki::SubjectPublicKeyInfoOwned;
use time::OffsetDateTime;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsages, SubjectAltName,
    SubjectKeyIdentifier,
};
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{TbsCertificate, Version};

use super::key::{default_hash, encode_err, oids, signature_algorithm, KeyPair, KeyType, SigHash};
use super::{dn, pem, PkiError};

/// A parsed certificate that keeps its exact DER.
#[derive(Clone)]
pub struct Certificate {
    der: Arc<[u8]>,
    inner: Arc<x509_cert::Certificate>,
    /// The signed bytes (`tbsCertificate` exactly as in `der`) and the SPKI,
    /// kept so that chain checks never re-encode.
    tbs: std::ops::Range<usize>,
    spki: Arc<[u8]>,
}

/// The byte range of the first element inside the outer SEQUENCE of `der`.
fn first_inner_element(der: &[u8]) -> Option<std::ops::Range<usize>> {
    fn header(b: &[u8], at: usize) -> Option<(usize, usize)> {
        // (header length, content length) of the TLV at `at`
        let l0 = *b.get(at + 1)? as usize;
        if l0 < 0x80 {
            return Some((2, l0));
        }
        let n = l0 & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let len = b
            .get(at + 2..at + 2 + n)?
            .iter()
            .fold(0usize, |acc, x| (acc << 8) | *x as usize);
        Some((2 + n, len))
    }
    let (outer_hdr, _) = header(der, 0)?;
    let (h, l) = header(der, outer_hdr)?;
    let end = outer_hdr.checked_add(h)?.checked_add(l)?;
    (end <= der.len()).then_some(outer_hdr..end)
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Certificate({})", self.subject_string())
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}
impl Eq for Certificate {}

/// A subject alternative name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum San {
    /// A `dNSName` (e.g. `ece.example.com`, or a wildcard `*.example.com`).
    Dns(String),
    /// An `iPAddress` (IPv4 or IPv6).
    Ip(IpAddr),
}

impl std::str::FromStr for San {
    type Err = String;
    /// `dns:NAME`, `ip:ADDR`, or a bare name / address.
    fn from_str(s: &str) -> Result<Self, String> {
        let lower = s.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("dns:") {
            return San::Dns(s[4..].trim().to_string()).check(v);
        }
        if lower.starts_with("ip:") {
            return s[3..]
                .trim()
                .parse()
                .map(San::Ip)
                .map_err(|_| format!("`{}` is not an IP address", &s[3..]));
        }
        if let Ok(ip) = s.parse() {
            return Ok(San::Ip(ip));
        }
        if let Some((prefix, _)) = s.split_once(':') {
            return Err(format!(
                "`{s}`: unknown SAN type `{prefix}:` (use dns:NAME or ip:ADDRESS)"
            ));
        }
        San::Dns(s.to_string()).check(s)
    }
}

impl San {
    fn check(self, raw: &str) -> Result<Self, String> {
        if raw.is_empty() || !raw.is_ascii() || raw.contains(char::is_whitespace) {
            return Err(format!("`{raw}` is not a DNS name"));
        }
        Ok(self)
    }
}

impl std::fmt::Display for San {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            San::Dns(d) => write!(f, "DNS:{d}"),
            San::Ip(i) => write!(f, "IP:{i}"),
        }
    }
}

/// The SubjectAltName extension value for `sans`.
pub(crate) fn san_extension(sans: &[San]) -> Result<SubjectAltName, PkiError> {
    let names = sans
        .iter()
        .map(|s| match s {
            San::Dns(d) => Ia5String::new(d)
                .map(GeneralName::DnsName)
                .map_err(|_| PkiError::BadName(format!("`{d}` is not an ASCII DNS name"))),
            San::Ip(ip) => {
                let octets = match ip {
                    IpAddr::V4(a) => a.octets().to_vec(),
                    IpAddr::V6(a) => a.octets().to_vec(),
                };
                OctetString::new(octets)
                    .map(GeneralName::IpAddress)
                    .map_err(encode_err)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SubjectAltName(names))
}

/// The DNS and IP names of a SubjectAltName, in order (other types are skipped).
pub(crate) fn sans_of(san: &SubjectAltName) -> Vec<San> {
    san.0
        .iter()
        .filter_map(|g| match g {
            GeneralName::DnsName(d) => Some(San::Dns(d.to_string())),
            GeneralName::IpAddress(o) => match o.as_bytes().len() {
                4 => <[u8; 4]>::try_from(o.as_bytes())
                    .ok()
                    .map(|a| San::Ip(IpAddr::from(a))),
                16 => <[u8; 16]>::try_from(o.as_bytes())
                    .ok()
                    .map(|a| San::Ip(IpAddr::from(a))),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Key usage bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyUsage {
    /// `digitalSignature`: signing handshakes (ECDHE key exchange, TLS 1.3).
    DigitalSignature,
    /// `nonRepudiation` (also called `contentCommitment`).
    NonRepudiation,
    /// `keyEncipherment`: RSA key transport (TLS 1.2 RSA key exchange).
    KeyEncipherment,
    /// `dataEncipherment`: encrypting data directly with the public key.
    DataEncipherment,
    /// `keyAgreement`: (EC)DH with the certified key.
    KeyAgreement,
    /// `keyCertSign`: signing certificates (a CA).
    KeyCertSign,
    /// `cRLSign`: signing certificate revocation lists (a CA).
    CrlSign,
}

impl KeyUsage {
    fn flag(self) -> KeyUsages {
        match self {
            KeyUsage::DigitalSignature => KeyUsages::DigitalSignature,
            KeyUsage::NonRepudiation => KeyUsages::NonRepudiation,
            KeyUsage::KeyEncipherment => KeyUsages::KeyEncipherment,
            KeyUsage::DataEncipherment => KeyUsages::DataEncipherment,
            KeyUsage::KeyAgreement => KeyUsages::KeyAgreement,
            KeyUsage::KeyCertSign => KeyUsages::KeyCertSign,
            KeyUsage::CrlSign => KeyUsages::CRLSign,
        }
    }
}

/// Extended key usages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eku {
    /// `id-kp-serverAuth` (1.3.6.1.5.5.7.3.1): TLS server authentication.
    ServerAuth,
    /// `id-kp-clientAuth` (1.3.6.1.5.5.7.3.2): TLS client authentication.
    ClientAuth,
    /// `id-kp-codeSigning` (1.3.6.1.5.5.7.3.3).
    CodeSigning,
    /// `id-kp-emailProtection` (1.3.6.1.5.5.7.3.4): S/MIME.
    EmailProtection,
}

impl Eku {
    fn oid(self) -> ObjectIdentifier {
        ObjectIdentifier::new_unwrap(match self {
            Eku::ServerAuth => "1.3.6.1.5.5.7.3.1",
            Eku::ClientAuth => "1.3.6.1.5.5.7.3.2",
            Eku::CodeSigning => "1.3.6.1.5.5.7.3.3",
            Eku::EmailProtection => "1.3.6.1.5.5.7.3.4",
        })
    }
}

/// What to put in a certificate. Build with [`CertParams::leaf`] or
/// [`CertParams::ca`] and adjust the public fields.
#[derive(Clone, Debug)]
pub struct CertParams {
    /// The subject DN (see [`super::dn::parse`] for the string form).
    pub subject: Name,
    /// The SubjectAltName entries, in order (none: no SAN extension).
    pub sans: Vec<San>,
    /// Start of the validity window.
    pub not_before: OffsetDateTime,
    /// End of the validity window (inclusive, as RFC 5280 defines it).
    pub not_after: OffsetDateTime,
    /// `Some(path_len)` makes a CA (`None` inside = no path length limit).
    pub ca: Option<Option<u8>>,
    /// None: the defaults (CA: keyCertSign, cRLSign, digitalSignature; RSA
    /// leaf: digitalSignature, keyEncipherment; EC leaf: digitalSignature).
    /// Some(empty): no KeyUsage extension at all.
    pub key_usage: Option<Vec<KeyUsage>>,
    /// None: serverAuth + clientAuth on leaves, nothing on CAs. Some(empty): none.
    pub ext_key_usage: Option<Vec<Eku>>,
    /// None: SHA-256 for RSA and P-256 signers, SHA-384 for P-384 signers.
    pub hash: Option<SigHash>,
    /// None: a deterministic serial derived from the certificate's content.
    pub serial: Option<Vec<u8>>,
    /// Add SubjectKeyIdentifier / AuthorityKeyIdentifier (default true).
    pub key_ids: bool,
}

impl CertParams {
    /// A server (leaf) certificate for `subject` (keytool-style DN string).
    pub fn leaf(
        subject: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Self, PkiError> {
        Ok(CertParams {
            subject: dn::parse(subject)?,
            sans: Vec::new(),
            not_before,
            not_after,
            ca: None,
            key_usage: None,
            ext_key_usage: None,
            hash: None,
            serial: None,
            key_ids: true,
        })
    }

    /// A CA certificate for `subject` with no path length limit.
    pub fn ca(
        subject: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Self, PkiError> {
        Ok(CertParams {
            ca: Some(None),
            ..Self::leaf(subject, not_before, not_after)?
        })
    }

    /// Adds SANs.
    pub fn with_sans(mut self, sans: impl IntoIterator<Item = San>) -> Self {
        self.sans.extend(sans);
        self
    }
}

fn x509_time(t: OffsetDateTime) -> Result<Time, PkiError> {
    let secs = t.unix_timestamp();
    if secs < 0 {
        return Err(PkiError::Validity(format!(
            "{t} is before 1970, which ccelab cannot encode"
        )));
    }
    let d = std::time::Duration::from_secs(secs as u64);
    // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050.
    if t.year() < 2050 {
        Ok(Time::UtcTime(
            der::asn1::UtcTime::from_unix_duration(d).map_err(encode_err)?,
        ))
    } else {
        Ok(Time::GeneralTime(
            der::asn1::GeneralizedTime::from_unix_duration(d).map_err(encode_err)?,
        ))
    }
}

fn time_to_offset(t: &Time) -> OffsetDateTime {
    let d = t.to_unix_duration();
    OffsetDateTime::from_unix_timestamp(d.as_secs() as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn ext<T: AsExtension>(
    value: &T,
    subject: &Name,
    others: &[Extension],
) -> Result<Extension, PkiError> {
    value.to_extension(subject, others).map_err(encode_err)
}

fn key_identifier(spki_der: &[u8]) -> Result<OctetString, PkiError> {
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der).map_err(encode_err)?;
    let digest = sha1::Sha1::digest(spki.subject_public_key.raw_bytes());
    OctetString::new(digest.to_vec()).map_err(encode_err)
}

fn deterministic_serial(issuer: &Name, p: &CertParams, spki: &[u8]) -> Vec<u8> {
    let mut h = sha2::Sha256::new();
    sha2::Digest::update(&mut h, dn::to_der(issuer));
    sha2::Digest::update(&mut h, dn::to_der(&p.subject));
    sha2::Digest::update(&mut h, spki);
    sha2::Digest::update(&mut h, p.not_before.unix_timestamp().to_be_bytes());
    sha2::Digest::update(&mut h, p.not_after.unix_timestamp().to_be_bytes());
    for s in &p.sans {
        sha2::Digest::update(&mut h, s.to_string().as_bytes());
    }
    let mut out = sha2::Digest::finalize(h)[..16].to_vec();
    // positive, minimal DER INTEGER: first byte in 0x01..=0x7f
    out[0] = (out[0] & 0x7f).max(1);
    out
}

/// Issues a certificate for the public key `subject_spki` (DER), signed by
/// `issuer` (its certificate and key), or self-signed by `subject_key` when
/// `issuer` is None.
pub fn issue(
    p: &CertParams,
    subject_spki: &[u8],
    issuer: Option<(&Certificate, &KeyPair)>,
    self_key: Option<&KeyPair>,
) -> Result<Certificate, PkiError> {
    if p.not_after < p.not_before {
        return Err(PkiError::Validity(format!(
            "not-after {} is before not-before {}",
            p.not_after, p.not_before
        )));
    }
    let (issuer_name, signer, issuer_spki): (Name, &KeyPair, Vec<u8>) = match (issuer, self_key) {
        (Some((c, k)), _) => {
            if c.spki_der() != k.spki_der() {
                return Err(PkiError::BadKey(
                    "the CA key does not belong to the CA certificate".into(),
                ));
            }
            (c.subject().clone(), k, k.spki_der().to_vec())
        }
        (None, Some(k)) => {
            if k.spki_der() != subject_spki {
                return Err(PkiError::BadKey(
                    "a self-signed certificate must be signed by its own key".into(),
                ));
            }
            (p.subject.clone(), k, subject_spki.to_vec())
        }
        (None, None) => return Err(PkiError::BadKey("nothing to sign with".into())),
    };
    let hash = p.hash.unwrap_or_else(|| default_hash(signer.key_type()));
    let sig_alg = signature_algorithm(signer.key_type(), hash)?;
    let spki = SubjectPublicKeyInfoOwned::from_der(subject_spki).map_err(encode_err)?;
    let subject_is_rsa = spki.algorithm.oid == oids::RSA_ENCRYPTION;

    let mut exts: Vec<Extension> = Vec::new();
    if let Some(path_len) = p.ca {
        exts.push(ext(
            &BasicConstraints {
                ca: true,
                path_len_constraint: path_len,
            },
            &p.subject,
            &exts,
        )?);
    }
    let ku: Vec<KeyUsage> = match (&p.key_usage, p.ca.is_some()) {
        (Some(k), _) => k.clone(),
        (None, true) => vec![
            KeyUsage::DigitalSignature,
            KeyUsage::KeyCertSign,
            KeyUsage::CrlSign,
        ],
        (None, false) if subject_is_rsa => {
            vec![KeyUsage::DigitalSignature, KeyUsage::KeyEncipherment]
        }
        (None, false) => vec![KeyUsage::DigitalSignature],
    };
    if !ku.is_empty() {
        let flags = ku
            .iter()
            .fold(flagset::FlagSet::<KeyUsages>::default(), |acc, k| {
                acc | k.flag()
            });
        exts.push(ext(
            &x509_cert::ext::pkix::KeyUsage(flags),
            &p.subject,
            &exts,
        )?);
    }
    let eku: Vec<Eku> = match (&p.ext_key_usage, p.ca.is_some()) {
        (Some(e), _) => e.clone(),
        (None, true) => vec![],
        (None, false) => vec![Eku::ServerAuth, Eku::ClientAuth],
    };
    if !eku.is_empty() {
        exts.push(ext(
            &ExtendedKeyUsage(eku.iter().map(|e| e.oid()).collect()),
            &p.subject,
            &exts,
        )?);
    }
    if !p.sans.is_empty() {
        exts.push(ext(&san_extension(&p.sans)?, &p.subject, &exts)?);
    }
    if p.key_ids {
        exts.push(ext(
            &SubjectKeyIdentifier(key_identifier(subject_spki)?),
            &p.subject,
            &exts,
        )?);
        if issuer.is_some() {
            let aki = AuthorityKeyIdentifier {
                key_identifier: Some(key_identifier(&issuer_spki)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            };
            exts.push(ext(&aki, &p.subject, &exts)?);
        }
    }

    let serial_bytes = match &p.serial {
        Some(s) => s.clone(),
        None => deterministic_serial(&issuer_name, p, subject_spki),
    };
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&serial_bytes).map_err(encode_err)?,
        signature: sig_alg.clone(),
        issuer: issuer_name,
        validity: Validity {
            not_before: x509_time(p.not_before)?,
            not_after: x509_time(p.not_after)?,
        },
        subject: p.subject.clone(),
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: if exts.is_empty() { None } else { Some(exts) },
    };
    let tbs_der = tbs.to_der().map_err(encode_err)?;
    let sig = signer.sign(hash, &tbs_der)?;
    let cert = x509_cert::Certificate {
        tbs_certificate: tbs,
        signature_algorithm: sig_alg,
        signature: BitString::from_bytes(&sig).map_err(encode_err)?,
    };
    let der = cert.to_der().map_err(encode_err)?;
    Certificate::from_der(&der)
}

impl Certificate {
    /// Parses DER.
    pub fn from_der(der: &[u8]) -> Result<Self, PkiError> {
        let inner = x509_cert::Certificate::from_der(der)
            .map_err(|e| PkiError::BadCertificate(e.to_string()))?;
        let tbs = first_inner_element(der)
            .ok_or_else(|| PkiError::BadCertificate("no tbsCertificate".into()))?;
        let spki = inner
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| PkiError::BadCertificate(e.to_string()))?;
        Ok(Certificate {
            der: der.into(),
            inner: Arc::new(inner),
            tbs,
            spki: spki.into(),
        })
    }

    /// Every `CERTIFICATE` block of a PEM text (other blocks are skipped).
    pub fn all_from_pem(text: &str) -> Result<Vec<Self>, PkiError> {
        pem::parse(text)
            .map_err(|e| PkiError::BadCertificate(e.to_string()))?
            .into_iter()
            .filter(|b| {
                b.label == "CERTIFICATE"
                    || b.label == "X509 CERTIFICATE"
                    || b.label == "TRUSTED CERTIFICATE"
            })
            .map(|b| Self::from_der(&b.der))
            .collect()
    }

    /// The certificate's DER, exactly as read or issued.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate as one PEM `CERTIFICATE` block (64-column Base-64).
    pub fn to_pem(&self) -> String {
        pem::encode("CERTIFICATE", &self.der)
    }

    /// The parsed structure, for anything not wrapped here.
    pub fn x509(&self) -> &x509_cert::Certificate {
        &self.inner
    }

    /// The subject DN.
    pub fn subject(&self) -> &Name {
        &self.inner.tbs_certificate.subject
    }

    /// The issuer DN.
    pub fn issuer(&self) -> &Name {
        &self.inner.tbs_certificate.issuer
    }

    /// Subject as Java prints it (`CN=…, OU=…`).
    pub fn subject_string(&self) -> String {
        dn::java_string(self.subject())
    }

    /// Issuer as Java prints it (`CN=…, OU=…`).
    pub fn issuer_string(&self) -> String {
        dn::java_string(self.issuer())
    }

    /// The subject's most specific CN value, if the subject has one.
    pub fn common_name(&self) -> Option<String> {
        dn::common_name(self.subject())
    }

    /// Serial number as lower-case hex without leading zeros (keytool's `Serial number:` line).
    pub fn serial_hex(&self) -> String {
        let b = self.inner.tbs_certificate.serial_number.as_bytes();
        let h = hex::encode(b);
        let t = h.trim_start_matches('0');
        if t.is_empty() {
            "0".into()
        } else {
            t.to_string()
        }
    }

    /// Start of the validity window (`notBefore`).
    pub fn not_before(&self) -> OffsetDateTime {
        time_to_offset(&self.inner.tbs_certificate.validity.not_before)
    }

    /// End of the validity window (`notAfter`).
    pub fn not_after(&self) -> OffsetDateTime {
        time_to_offset(&self.inner.tbs_certificate.validity.not_after)
    }

    /// `SubjectPublicKeyInfo` DER.
    pub fn spki_der(&self) -> Vec<u8> {
        self.spki.to_vec()
    }

    /// Public key size in bits.
    pub fn key_bits(&self) -> Option<usize> {
        super::public_key_bits(&self.spki_der())
    }

    /// The key type, when it is one ccelab issues.
    pub fn key_type(&self) -> Option<KeyType> {
        let bits = self.key_bits()?;
        let rsa = self
            .inner
            .tbs_certificate
            .subject_public_key_info
            .algorithm
            .oid
            == oids::RSA_ENCRYPTION;
        KeyType::ALL
            .into_iter()
            .find(|k| k.bits() == bits && k.rsa_bits().is_some() == rsa)
    }

    /// Colon-separated upper-case SHA-256 fingerprint, as keytool and openssl print it.
    pub fn sha256_fingerprint(&self) -> String {
        colon_hex(&sha2::Sha256::digest(&self.der))
    }

    /// The Windows thumbprint: the upper-case SHA-1 fingerprint without
    /// colons (IIS's `certificateHash`, the certificate store's file names).
    pub fn thumbprint(&self) -> String {
        hex::encode_upper(sha1::Sha1::digest(&self.der))
    }

    /// Colon-separated upper-case SHA-1 fingerprint.
    pub fn sha1_fingerprint(&self) -> String {
        colon_hex(&sha1::Sha1::digest(&self.der))
    }

    fn extension<'a>(&'a self, oid: &str) -> Option<&'a Extension> {
        let oid = ObjectIdentifier::new_unwrap(oid);
        self.inner
            .tbs_certificate
            .extensions
            .as_ref()?
            .iter()
            .find(|e| e.extn_id == oid)
    }

    /// `Some(path_len)` when BasicConstraints says CA.
    pub fn basic_constraints_ca(&self) -> Option<Option<u8>> {
        let e = self.extension("2.5.29.19")?;
        let bc = BasicConstraints::from_der(e.extn_value.as_bytes()).ok()?;
        bc.ca.then_some(bc.path_len_constraint)
    }

    /// Whether the certificate has a SubjectAltName extension at all.
    pub fn has_subject_alt_name(&self) -> bool {
        self.extension("2.5.29.17").is_some()
    }

    /// SANs of type DNS and IP, in order (other types are skipped).
    pub fn sans(&self) -> Vec<San> {
        let Some(e) = self.extension("2.5.29.17") else {
            return Vec::new();
        };
        let Ok(san) = SubjectAltName::from_der(e.extn_value.as_bytes()) else {
            return Vec::new();
        };
        sans_of(&san)
    }

    /// Subject and issuer are the same name.
    pub fn is_self_issued(&self) -> bool {
        dn::to_der(self.subject()) == dn::to_der(self.issuer())
    }

    /// The signature algorithm in Java's naming (`SHA256withRSA`, `SHA1withRSA`, `SHA256withECDSA`).
    pub fn signature_algorithm_name(&self) -> String {
        let o = self.inner.signature_algorithm.oid;
        let n = [
            (oids::SHA1_RSA, "SHA1withRSA"),
            (oids::SHA256_RSA, "SHA256withRSA"),
            (oids::SHA384_RSA, "SHA384withRSA"),
            (oids::SHA512_RSA, "SHA512withRSA"),
            (oids::ECDSA_SHA1, "SHA1withECDSA"),
            (oids::ECDSA_SHA256, "SHA256withECDSA"),
            (oids::ECDSA_SHA384, "SHA384withECDSA"),
            (oids::ECDSA_SHA512, "SHA512withECDSA"),
        ];
        n.iter()
            .find(|(oid, _)| *oid == o)
            .map(|(_, n)| n.to_string())
            .unwrap_or_else(|| o.to_string())
    }

    /// True when `issuer`'s key verifies this certificate's signature.
    pub fn is_signed_by(&self, issuer: &Certificate) -> bool {
        let Some(tbs) = self.der.get(self.tbs.clone()) else {
            return false;
        };
        let Some(sig) = self.inner.signature.as_bytes() else {
            return false;
        };
        super::verify(&issuer.spki, &self.inner.signature_algorithm.oid, tbs, sig).unwrap_or(false)
    }
}

pub(crate) fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// A certificate authority: its certificate, key, and the certificates above
/// it (its issuer … the root; empty for a root).
#[derive(Clone, Debug)]
pub struct Ca {
    /// The CA's own certificate (BasicConstraints CA:true).
    pub cert: Certificate,
    /// The CA's signing key (the private half of `cert`'s public key).
    pub key: Arc<KeyPair>,
    /// The certificates above this CA, its issuer first and the root last
    /// (empty for a root).
    pub parents: Vec<Certificate>,
}

/// A certificate issued with its key and chain.
#[derive(Clone, Debug)]
pub struct Issued {
    /// The issued (leaf) certificate.
    pub cert: Certificate,
    /// The private key of `cert`.
    pub key: Arc<KeyPair>,
    /// The issuing CAs up to, not including, the root (what a server sends after its leaf).
    pub intermediates: Vec<Certificate>,
    /// The root (self-signed) at the top, or the certificate itself when self-signed.
    pub root: Certificate,
}

impl Ca {
    /// A self-signed root CA.
    pub fn root(params: &CertParams, key: Arc<KeyPair>) -> Result<Self, PkiError> {
        let mut p = params.clone();
        p.ca.get_or_insert(None);
        let cert = issue(&p, key.spki_der(), None, Some(&key))?;
        Ok(Ca {
            cert,
            key,
            parents: Vec::new(),
        })
    }

    /// Loads a CA from its certificate, key and the certificates above it.
    pub fn from_parts(
        cert: Certificate,
        key: Arc<KeyPair>,
        parents: Vec<Certificate>,
    ) -> Result<Self, PkiError> {
        if cert.spki_der() != key.spki_der() {
            return Err(PkiError::BadKey(
                "the key does not belong to the CA certificate".into(),
            ));
        }
        if cert.basic_constraints_ca().is_none() {
            return Err(PkiError::BadCertificate(format!(
                "{} is not a CA certificate (no BasicConstraints CA:true)",
                cert.subject_string()
            )));
        }
        Ok(Ca { cert, key, parents })
    }

    /// An intermediate (issuing) CA below this one.
    pub fn intermediate(&self, params: &CertParams, key: Arc<KeyPair>) -> Result<Ca, PkiError> {
        let mut p = params.clone();
        p.ca.get_or_insert(None);
        let cert = issue(&p, key.spki_der(), Some((&self.cert, &self.key)), None)?;
        let mut parents = vec![self.cert.clone()];
        parents.extend(self.parents.iter().cloned());
        Ok(Ca { cert, key, parents })
    }

    /// Issues a certificate for `key`.
    pub fn issue(&self, params: &CertParams, key: Arc<KeyPair>) -> Result<Issued, PkiError> {
        let cert = issue(params, key.spki_der(), Some((&self.cert, &self.key)), None)?;
        Ok(Issued {
            cert,
            key,
            intermediates: self.chain_below_root(),
            root: self.root_cert(),
        })
    }

    /// Signs a public key given as SPKI DER (what signing a CSR comes down to).
    pub fn issue_for_spki(
        &self,
        params: &CertParams,
        spki_der: &[u8],
    ) -> Result<Certificate, PkiError> {
        issue(params, spki_der, Some((&self.cert, &self.key)), None)
    }

    /// This CA and its parents, excluding the self-signed root.
    pub fn chain_below_root(&self) -> Vec<Certificate> {
        std::iter::once(&self.cert)
            .chain(self.parents.iter())
            .filter(|c| !c.is_self_issued())
            .cloned()
            .collect()
    }

    /// The root at the top of this CA's chain.
    pub fn root_cert(&self) -> Certificate {
        self.parents
            .last()
            .cloned()
            .unwrap_or_else(|| self.cert.clone())
    }
}

impl Issued {
    /// A self-signed certificate (IIS "Create Self-Signed Certificate", keytool -genkeypair).
    pub fn self_signed(params: &CertParams, key: Arc<KeyPair>) -> Result<Self, PkiError> {
        let cert = issue(params, key.spki_der(), None, Some(&key))?;
        Ok(Issued {
            root: cert.clone(),
            cert,
            key,
            intermediates: Vec::new(),
        })
    }

    /// Leaf then intermediates: what a correctly configured server sends.
    pub fn chain(&self) -> Vec<Certificate> {
        std::iter::once(self.cert.clone())
            .chain(self.intermediates.iter().cloned())
            .collect()
    }
}

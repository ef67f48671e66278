//! Twin certificates: for a customer's certificates (public halves only),
//! certificates that behave the same in every check a client makes, signed
//! with keys ccelab holds (issue 17, `ccelab reproduce`).
//!
//! A twin is the original's `tbsCertificate` with only the public key
//! replaced, signed again by the issuer's twin: the same version, serial,
//! signature algorithm, issuer and subject names, validity, and every
//! extension byte for byte — key usage, EKU, basic constraints, SANs, the
//! CRL and AIA URLs, Microsoft's template and CA-version extensions, and the
//! key identifiers. The identifiers keep the originals' values: an AKI still
//! names its issuer's SKI, so chains link as they did (RFC 5280 4.2.1.2 lets
//! a CA choose how it makes key identifiers). The twins form a hierarchy of
//! the same shape: a certificate's twin issuer is the twin of the
//! certificate whose key signed the original; one original key gives one
//! twin key, so a CA renewed with the same key stays one key.
//!
//! What cannot be twinned is reported as [`Caveat`]s: the public key, the
//! signature and so every fingerprint and thumbprint differ; a key type
//! ccelab has no key pool for, or a signature algorithm it cannot make, is
//! replaced by the nearest one; an issuer that is not among the inputs gets
//! a stand-in twin of its name.

use std::collections::BTreeMap;
use std::sync::Arc;

use der::asn1::BitString;
use der::{Decode, Encode};
use spki::SubjectPublicKeyInfoOwned;

use super::key::oids;
use super::{dn, keypool, signature_algorithm, Certificate, KeyPair, KeyType, PkiError, SigHash};

/// Where twin keys start in the key pool, per key type: past the keys the
/// preset topologies use, so a twin never shares a key with a ccelab
/// certificate of another name.
fn pool_base(kt: KeyType) -> usize {
    match kt {
        KeyType::Rsa2048 => 24,
        KeyType::Rsa1024 | KeyType::EcP256 | KeyType::EcP384 => 4,
        KeyType::Rsa3072 | KeyType::Rsa4096 => 0,
    }
}

/// A property of an original that its twin does not have, and what that
/// changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caveat {
    /// The original's subject (`CN=…`).
    pub subject: String,
    /// What differs and what it changes.
    pub text: String,
}

/// One twin.
#[derive(Clone, Debug)]
pub struct Twin {
    /// The customer's certificate (None for a stand-in issuer that was not
    /// among the inputs).
    pub original: Option<Certificate>,
    /// Its twin.
    pub cert: Certificate,
    /// The twin's private key (from the key pool).
    pub key: Arc<KeyPair>,
    /// The index of the twin that signed it (itself for a self-signed one).
    pub issuer: usize,
}

/// The twins of a set of certificates, issuers before what they issued.
#[derive(Clone, Debug, Default)]
pub struct Twins {
    /// Every twin; stand-in issuers included.
    pub twins: Vec<Twin>,
    /// What the twins do not reproduce.
    pub caveats: Vec<Caveat>,
}

/// Why twins could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TwinError {
    /// Certificates that issue each other in a ring (A ← B ← A): no
    /// hierarchy has that shape.
    #[error("the certificates issue each other in a loop: {0}")]
    Loop(String),
    /// Signing or encoding failed.
    #[error(transparent)]
    Pki(#[from] PkiError),
}

impl Twins {
    /// The twin of `original` (same DER).
    pub fn of(&self, original: &Certificate) -> Option<&Twin> {
        self.twins.iter().find(|t| {
            t.original
                .as_ref()
                .is_some_and(|o| o.der() == original.der())
        })
    }

    /// The chain of twin `i` above it, nearest issuer first, without the
    /// self-signed root at the top.
    pub fn intermediates(&self, i: usize) -> Vec<Certificate> {
        let mut out = Vec::new();
        let mut at = i;
        while let Some(t) = self.twins.get(at) {
            if t.issuer == at || out.len() > self.twins.len() {
                break;
            }
            at = t.issuer;
            match self.twins.get(at) {
                Some(up) if up.issuer != at => out.push(up.cert.clone()),
                _ => break,
            }
        }
        out
    }

    /// The originals of twin `i` and of the twins above it, up to the
    /// first stand-in or self-signed one (the customer's chain).
    pub fn original_chain(&self, i: usize) -> Vec<Certificate> {
        let mut out = Vec::new();
        let mut at = i;
        while let Some(t) = self.twins.get(at) {
            match &t.original {
                Some(o) if out.len() <= self.twins.len() => out.push(o.clone()),
                _ => break,
            }
            if t.issuer == at {
                break;
            }
            at = t.issuer;
        }
        out
    }

    /// The self-signed top of twin `i`'s hierarchy.
    pub fn root(&self, i: usize) -> Option<&Twin> {
        let mut at = i;
        for _ in 0..=self.twins.len() {
            let t = self.twins.get(at)?;
            if t.issuer == at {
                return Some(t);
            }
            at = t.issuer;
        }
        None
    }
}

/// The hash of an original signature algorithm, and the key type family it
/// needs (`true`: RSA).
fn sig_hash(oid: &der::asn1::ObjectIdentifier) -> Option<(SigHash, bool)> {
    Some(match *oid {
        o if o == oids::SHA1_RSA => (SigHash::Sha1, true),
        o if o == oids::SHA256_RSA => (SigHash::Sha256, true),
        o if o == oids::SHA384_RSA => (SigHash::Sha384, true),
        o if o == oids::SHA512_RSA => (SigHash::Sha512, true),
        o if o == oids::ECDSA_SHA256 => (SigHash::Sha256, false),
        o if o == oids::ECDSA_SHA384 => (SigHash::Sha384, false),
        _ => return None,
    })
}

/// A text rewrite applied to every name a twin carries (`--redact`).
pub type Rename = Arc<dyn Fn(&str) -> String + Send + Sync>;

/// Makes twins. Keys come from the key pool in the order originals are
/// met, so the same inputs in the same order give the same twins.
#[derive(Default)]
pub struct Twinner {
    /// original SPKI → twin key
    keys: BTreeMap<Vec<u8>, Arc<KeyPair>>,
    next: BTreeMap<KeyType, usize>,
    rename: Option<Rename>,
    /// Originals (DER) whose signature cannot be checked: rebuilt from a
    /// text dump, their issuer is found by name and key identifier.
    by_name: std::collections::BTreeSet<Vec<u8>>,
}

impl Twinner {
    /// A twinner with no key handed out yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A twinner that also rewrites, with `rename`, every string value of
    /// the subject and issuer names, the SAN's DNS names, e-mail addresses,
    /// URIs and directory names, and the CRL distribution points' and AIA's
    /// URIs — the same function on every certificate, so issuer and
    /// subject names still match (`ccelab reproduce --redact`).
    pub fn with_rename(rename: Rename) -> Self {
        Twinner {
            rename: Some(rename),
            ..Self::default()
        }
    }

    /// Finds the issuers of `ders` by name (and by the authority key
    /// identifier where both sides have one) rather than by signature:
    /// certificates rebuilt from a text dump (a VOS `show cert own
    /// tomcat`), whose bytes, and so whose signature, are not the
    /// original's.
    pub fn by_name(&mut self, ders: impl IntoIterator<Item = Vec<u8>>) {
        self.by_name.extend(ders);
    }

    /// The next unused twin key of type `kt`.
    fn next_key(&mut self, kt: KeyType) -> Result<Arc<KeyPair>, PkiError> {
        let n = self.next.entry(kt).or_insert(0);
        let k = keypool::key(kt, pool_base(kt) + *n)?;
        *n += 1;
        Ok(k)
    }

    /// The twin key of the original key `spki`.
    fn key_for(&mut self, spki: &[u8], kt: KeyType) -> Result<Arc<KeyPair>, PkiError> {
        if let Some(k) = self.keys.get(spki) {
            return Ok(k.clone());
        }
        let k = self.next_key(kt)?;
        self.keys.insert(spki.to_vec(), k.clone());
        Ok(k)
    }

    /// Twins of `certs` (duplicates ignored). Each certificate's issuer is
    /// the input whose subject is its issuer name and whose key verifies
    /// its signature; an issuer not among them gets a stand-in twin.
    pub fn twin(&mut self, certs: &[Certificate]) -> Result<Twins, TwinError> {
        let mut uniq: Vec<Certificate> = Vec::new();
        for c in certs {
            if !uniq.iter().any(|u| u.der() == c.der()) {
                uniq.push(c.clone());
            }
        }
        let issuer_of = issuers(&uniq, &self.by_name)?;
        let mut out = Twins::default();
        let mut index: Vec<Option<usize>> = vec![None; uniq.len()];
        // stand-in issuers, by issuer name DER
        let mut standins: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        // issuers first: repeat until every original has its twin
        while index.iter().any(Option::is_none) {
            let mut progressed = false;
            for i in 0..uniq.len() {
                if index[i].is_some() {
                    continue;
                }
                let c = &uniq[i];
                let parent = match issuer_of[i] {
                    Some(j) if j == i => None,
                    Some(j) => match index[j] {
                        Some(t) => Some(t),
                        None => continue,
                    },
                    None => {
                        let name = dn::to_der(c.issuer());
                        let t = match standins.get(&name) {
                            Some(t) => *t,
                            None => {
                                let t = self.standin(c, &mut out)?;
                                standins.insert(name, t);
                                t
                            }
                        };
                        Some(t)
                    }
                };
                let t = self.one(c, parent, &mut out)?;
                index[i] = Some(t);
                progressed = true;
            }
            if !progressed {
                // cannot happen once rings are refused; never loop forever
                return Err(TwinError::Loop("the issuers could not be ordered".into()));
            }
        }
        for (i, c) in uniq.iter().enumerate() {
            if issuer_of[i].is_none() {
                let name = dn::to_der(c.issuer());
                let has_namesake = uniq
                    .iter()
                    .any(|u| dn::to_der(u.subject()) == name && u.der() != c.der());
                out.caveats.push(Caveat {
                    subject: c.subject_string(),
                    text: if has_namesake {
                        format!(
                            "its issuer `{}` is among the files, but that certificate's key did not sign it (a CA renewed with a new key?): its twin is signed by a stand-in of that name, which no store trusts",
                            c.issuer_string()
                        )
                    } else {
                        format!(
                            "its issuer `{}` is not among the files: its twin is signed by a stand-in of that name, which no store trusts (send the CA certificate to reproduce a chain that anchors)",
                            c.issuer_string()
                        )
                    },
                });
            }
        }
        Ok(out)
    }

    /// A self-signed stand-in for the missing issuer of `c`.
    fn standin(&mut self, c: &Certificate, out: &mut Twins) -> Result<usize, TwinError> {
        let alg = &c.x509().signature_algorithm.oid;
        let (kt, hash) = match sig_hash(alg) {
            Some((h, true)) => (KeyType::Rsa2048, h),
            Some((SigHash::Sha384, false)) => (KeyType::EcP384, SigHash::Sha384),
            Some((_, false)) => (KeyType::EcP256, SigHash::Sha256),
            None => (KeyType::Rsa2048, SigHash::Sha256),
        };
        let key = self.next_key(kt)?;
        let mut p = super::CertParams::ca("CN=x", c.not_before(), c.not_after())?;
        p.subject = match &self.rename {
            Some(r) => rename_name(c.issuer(), r.as_ref())?,
            None => c.issuer().clone(),
        };
        p.hash = Some(hash);
        // the original's AKI names a key this stand-in does not have
        p.key_ids = false;
        let cert = super::issue(&p, key.spki_der(), None, Some(&key))?;
        let at = out.twins.len();
        out.twins.push(Twin {
            original: None,
            cert,
            key,
            issuer: at,
        });
        Ok(at)
    }

    /// The twin of `c`, signed by twin `parent` (None: by itself).
    fn one(
        &mut self,
        c: &Certificate,
        parent: Option<usize>,
        out: &mut Twins,
    ) -> Result<usize, TwinError> {
        let subject = c.subject_string();
        let caveat = |out: &mut Twins, text: String| {
            out.caveats.push(Caveat {
                subject: subject.clone(),
                text,
            })
        };
        let spki = c.spki_der();
        let kt = match c.key_type() {
            Some(kt) => kt,
            None => {
                let is_rsa = c
                    .x509()
                    .tbs_certificate
                    .subject_public_key_info
                    .algorithm
                    .oid
                    == oids::RSA_ENCRYPTION;
                let kt = if is_rsa {
                    KeyType::Rsa2048
                } else {
                    KeyType::EcP256
                };
                caveat(
                    out,
                    format!(
                        "its key ({} bits, {}) is of a type ccelab has no key pool for: the twin has a {kt} key, so key-size checks (F24) see {} bits",
                        c.key_bits().unwrap_or(0),
                        c.x509().tbs_certificate.subject_public_key_info.algorithm.oid,
                        kt.bits()
                    ),
                );
                kt
            }
        };
        let key = self.key_for(&spki, kt)?;
        let (signer_key, signer_at) = match parent {
            Some(p) => (out.twins[p].key.clone(), p),
            None => (key.clone(), out.twins.len()),
        };
        let alg = c.x509().signature_algorithm.clone();
        let signer_kt = signer_key.key_type();
        // the original's hash when the twin issuer's key can sign with it
        let same = sig_hash(&alg.oid)
            .filter(|(_, rsa)| *rsa == signer_kt.rsa_bits().is_some())
            .and_then(|(h, _)| Some(h).zip(signature_algorithm(signer_kt, h).ok()));
        let (hash, new_alg) = match same {
            Some(found) => found,
            None => {
                let h = super::default_hash(signer_kt);
                (h, signature_algorithm(signer_kt, h)?)
            }
        };
        let mut tbs = c.x509().tbs_certificate.clone();
        tbs.subject_public_key_info =
            SubjectPublicKeyInfoOwned::from_der(key.spki_der()).map_err(enc)?;
        if let Some(r) = &self.rename {
            rename_tbs(&mut tbs, r.as_ref())?;
        }
        if let Some(p) = parent {
            let rebuilt_parent = out.twins[p]
                .original
                .as_ref()
                .is_some_and(|o| self.by_name.contains(o.der()));
            if self.by_name.contains(c.der()) || rebuilt_parent {
                // a rebuilt certificate (or one below a rebuilt issuer) names
                // its issuer exactly as the issuer's twin does (renamed once)
                tbs.issuer = out.twins[p].cert.subject().clone();
            }
        }
        // the original's algorithm identifier, byte for byte, when it can be made
        let alg = if new_alg.oid == alg.oid {
            alg
        } else {
            caveat(
                out,
                format!(
                    "its signature algorithm {} cannot be made with the twin issuer's {signer_kt} key: the twin is signed {} (a client that refuses the original's algorithm accepts the twin)",
                    c.signature_algorithm_name(),
                    new_alg.oid
                ),
            );
            tbs.signature = new_alg.clone();
            new_alg
        };
        let tbs_der = tbs.to_der().map_err(enc)?;
        let sig = signer_key.sign(hash, &tbs_der)?;
        let cert = x509_cert::Certificate {
            tbs_certificate: tbs,
            signature_algorithm: alg,
            signature: BitString::from_bytes(&sig).map_err(enc)?,
        };
        let cert = Certificate::from_der(&cert.to_der().map_err(enc)?)?;
        out.twins.push(Twin {
            original: Some(c.clone()),
            cert,
            key,
            issuer: signer_at,
        });
        Ok(out.twins.len() - 1)
    }
}

/// The issuer of each certificate of `uniq` (its index; itself when
/// self-signed; None when not among them), or the ring they form when some
/// issue each other in a loop.
fn issuers(
    uniq: &[Certificate],
    by_name: &std::collections::BTreeSet<Vec<u8>>,
) -> Result<Vec<Option<usize>>, TwinError> {
    // issuer of each original: Some(j) in uniq, or None (not there)
    let issuer_of: Vec<Option<usize>> = uniq
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if c.is_self_issued() && c.is_signed_by(c) {
                return Some(i);
            }
            // names byte for byte, or as text when the issuer was rebuilt
            // from a dump (which does not keep the names' string types)
            let named = |u: &Certificate| {
                dn::to_der(u.subject()) == dn::to_der(c.issuer())
                    || (by_name.contains(u.der())
                        && u.subject_string().eq_ignore_ascii_case(&c.issuer_string()))
            };
            let signed = uniq
                .iter()
                .enumerate()
                .find(|(j, u)| *j != i && named(u) && c.is_signed_by(u))
                .map(|(j, _)| j);
            if signed.is_some() || !by_name.contains(c.der()) {
                return signed;
            }
            // a rebuilt certificate: its issuer by name and key identifier
            if c.is_self_issued() {
                return Some(i);
            }
            let aki = key_id(c, "2.5.29.35");
            // by text: a dump does not keep the names' string types
            let issuer = c.issuer_string().to_lowercase();
            uniq.iter()
                .enumerate()
                .find(|(j, u)| {
                    *j != i
                        && u.subject_string().to_lowercase() == issuer
                        && match (&aki, key_id(u, "2.5.29.14")) {
                            (Some(a), Some(s)) => *a == s,
                            _ => true,
                        }
                })
                .map(|(j, _)| j)
        })
        .collect();
    // a ring of issuers is an input error
    for start in 0..uniq.len() {
        let mut seen = vec![start];
        let mut at = start;
        while let Some(j) = issuer_of[at] {
            if j == at {
                break;
            }
            if seen.contains(&j) {
                let ring: Vec<String> = seen
                    .iter()
                    .skip_while(|s| **s != j)
                    .map(|s| uniq[*s].subject_string())
                    .collect();
                return Err(TwinError::Loop(format!(
                    "{} (each is signed by the next; no certificate of the ring is self-signed)",
                    ring.join(" ← ")
                )));
            }
            seen.push(j);
            at = j;
        }
    }
    Ok(issuer_of)
}

/// Refuses certificates that issue each other in a loop (checked on every
/// input, before anything else is decided).
pub fn check_loops(certs: &[Certificate]) -> Result<(), TwinError> {
    issuers(certs, &Default::default()).map(|_| ())
}

/// The key identifier of `c`'s SKI (`2.5.29.14`) or AKI (`2.5.29.35`, its
/// `keyIdentifier`), when it has one.
fn key_id(c: &Certificate, oid: &str) -> Option<Vec<u8>> {
    let e = c
        .x509()
        .tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id.to_string() == oid)?;
    let v = e.extn_value.as_bytes();
    if oid == "2.5.29.14" {
        return der::asn1::OctetString::from_der(v)
            .ok()
            .map(|o| o.as_bytes().to_vec());
    }
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING OPTIONAL, … }
    let seq = der::asn1::AnyRef::from_der(v).ok()?;
    let body = seq.value();
    if body.first() != Some(&0x80) {
        return None;
    }
    let len = *body.get(1)? as usize;
    body.get(2..2 + len).map(<[u8]>::to_vec)
}

/// `name` with `rename` applied to each attribute's string value (kept in
/// its string type when the new text fits it, else a UTF8String).
fn rename_name(
    name: &x509_cert::name::Name,
    rename: &dyn Fn(&str) -> String,
) -> Result<x509_cert::name::Name, PkiError> {
    use der::asn1::{Any, BmpString, Ia5StringRef, PrintableStringRef, Utf8StringRef};
    use der::{Tag, Tagged};
    let mut rdns = Vec::new();
    for rdn in &name.0 {
        let mut atvs = Vec::new();
        for atv in rdn.0.iter() {
            let v = &atv.value;
            let text = match v.tag() {
                Tag::Utf8String => v
                    .decode_as::<Utf8StringRef<'_>>()
                    .ok()
                    .map(|s| s.as_str().to_string()),
                Tag::PrintableString => v
                    .decode_as::<PrintableStringRef<'_>>()
                    .ok()
                    .map(|s| s.as_str().to_string()),
                Tag::Ia5String => v
                    .decode_as::<Ia5StringRef<'_>>()
                    .ok()
                    .map(|s| s.as_str().to_string()),
                Tag::BmpString => v.decode_as::<BmpString>().ok().map(|s| s.to_string()),
                _ => None,
            };
            let value = match text {
                None => v.clone(),
                Some(t) => {
                    let new = rename(&t);
                    let same_type = match v.tag() {
                        Tag::PrintableString => PrintableStringRef::new(&new)
                            .ok()
                            .map(|s| Any::encode_from(&s)),
                        Tag::Ia5String => {
                            Ia5StringRef::new(&new).ok().map(|s| Any::encode_from(&s))
                        }
                        Tag::BmpString => BmpString::from_utf8(&new)
                            .ok()
                            .map(|s| Any::encode_from(&s)),
                        _ => None,
                    };
                    match same_type {
                        Some(a) => a.map_err(enc)?,
                        None => Any::encode_from(&Utf8StringRef::new(&new).map_err(enc)?)
                            .map_err(enc)?,
                    }
                }
            };
            atvs.push(x509_cert::attr::AttributeTypeAndValue {
                oid: atv.oid,
                value,
            });
        }
        rdns.push(x509_cert::name::RelativeDistinguishedName(
            der::asn1::SetOfVec::try_from(atvs).map_err(enc)?,
        ));
    }
    Ok(x509_cert::name::RdnSequence(rdns))
}

fn rename_general(
    g: &x509_cert::ext::pkix::name::GeneralName,
    rename: &dyn Fn(&str) -> String,
) -> Result<x509_cert::ext::pkix::name::GeneralName, PkiError> {
    use x509_cert::ext::pkix::name::GeneralName as G;
    let ia5 = |s: &der::asn1::Ia5String| -> Result<der::asn1::Ia5String, PkiError> {
        der::asn1::Ia5String::new(&rename(s.as_str())).map_err(enc)
    };
    Ok(match g {
        G::DnsName(s) => G::DnsName(ia5(s)?),
        G::Rfc822Name(s) => G::Rfc822Name(ia5(s)?),
        G::UniformResourceIdentifier(s) => G::UniformResourceIdentifier(ia5(s)?),
        G::DirectoryName(n) => G::DirectoryName(rename_name(n, rename)?),
        other => other.clone(),
    })
}

/// Renames the names of a `tbsCertificate`: subject, issuer, and the
/// extensions that carry names (SAN, CRL distribution points, AIA).
fn rename_tbs(
    tbs: &mut x509_cert::TbsCertificate,
    rename: &dyn Fn(&str) -> String,
) -> Result<(), PkiError> {
    use x509_cert::ext::pkix::crl::dp::DistributionPoint;
    use x509_cert::ext::pkix::name::DistributionPointName;
    use x509_cert::ext::pkix::{
        AccessDescription, AuthorityInfoAccessSyntax, CrlDistributionPoints, SubjectAltName,
    };
    tbs.subject = rename_name(&tbs.subject, rename)?;
    tbs.issuer = rename_name(&tbs.issuer, rename)?;
    let Some(exts) = tbs.extensions.as_mut() else {
        return Ok(());
    };
    for e in exts.iter_mut() {
        let bytes = e.extn_value.as_bytes();
        let new: Option<Vec<u8>> = match e.extn_id.to_string().as_str() {
            "2.5.29.17" => {
                let san = SubjectAltName::from_der(bytes).map_err(enc)?;
                let v = san
                    .0
                    .iter()
                    .map(|g| rename_general(g, rename))
                    .collect::<Result<_, _>>()?;
                Some(SubjectAltName(v).to_der().map_err(enc)?)
            }
            "2.5.29.31" => {
                let dps = CrlDistributionPoints::from_der(bytes).map_err(enc)?;
                let mut out = Vec::new();
                for dp in dps.0 {
                    let distribution_point = match dp.distribution_point {
                        Some(DistributionPointName::FullName(names)) => {
                            Some(DistributionPointName::FullName(
                                names
                                    .iter()
                                    .map(|g| rename_general(g, rename))
                                    .collect::<Result<_, _>>()?,
                            ))
                        }
                        other => other,
                    };
                    out.push(DistributionPoint {
                        distribution_point,
                        ..dp
                    });
                }
                Some(CrlDistributionPoints(out).to_der().map_err(enc)?)
            }
            "1.3.6.1.5.5.7.1.1" => {
                let aia = AuthorityInfoAccessSyntax::from_der(bytes).map_err(enc)?;
                let v = aia
                    .0
                    .iter()
                    .map(|a| {
                        Ok(AccessDescription {
                            access_method: a.access_method,
                            access_location: rename_general(&a.access_location, rename)?,
                        })
                    })
                    .collect::<Result<_, PkiError>>()?;
                Some(AuthorityInfoAccessSyntax(v).to_der().map_err(enc)?)
            }
            _ => None,
        };
        if let Some(n) = new {
            e.extn_value = der::asn1::OctetString::new(n).map_err(enc)?;
        }
    }
    Ok(())
}

fn enc(e: der::Error) -> PkiError {
    PkiError::Encoding(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{Ca, CertParams, San};
    use time::macros::datetime;

    fn hierarchy() -> (Ca, Ca, crate::pki::Issued) {
        let nb = datetime!(2025-01-01 0:00 UTC);
        let na = datetime!(2030-01-01 0:00 UTC);
        let root = Ca::root(
            &CertParams::ca("CN=Cust Root, O=Cust", nb, na).unwrap(),
            keypool::key(KeyType::Rsa2048, 0).unwrap(),
        )
        .unwrap();
        let issuing = root
            .intermediate(
                &CertParams::ca("CN=Cust Issuing, O=Cust", nb, na).unwrap(),
                keypool::key(KeyType::EcP384, 0).unwrap(),
            )
            .unwrap();
        let mut p = CertParams::leaf("CN=web.cust.test", nb, na)
            .unwrap()
            .with_sans([San::Dns("web.cust.test".into())]);
        p.serial = Some(vec![0x42, 0x01, 0x02]);
        let leaf = issuing
            .issue(&p, keypool::key(KeyType::Rsa1024, 0).unwrap())
            .unwrap();
        (root, issuing, leaf)
    }

    #[test]
    fn twins_keep_everything_but_the_key_and_chain_as_the_originals() {
        let (root, issuing, leaf) = hierarchy();
        let originals = [leaf.cert.clone(), issuing.cert.clone(), root.cert.clone()];
        let t = Twinner::new().twin(&originals).unwrap();
        assert_eq!(t.twins.len(), 3);
        assert!(t.caveats.is_empty(), "{:?}", t.caveats);
        for o in &originals {
            let tw = t.of(o).unwrap();
            let (a, b) = (&o.x509().tbs_certificate, &tw.cert.x509().tbs_certificate);
            assert_eq!(a.serial_number, b.serial_number);
            assert_eq!(a.subject, b.subject);
            assert_eq!(a.issuer, b.issuer);
            assert_eq!(a.validity, b.validity);
            assert_eq!(a.extensions, b.extensions);
            assert_eq!(a.signature, b.signature);
            assert_eq!(o.key_type(), tw.cert.key_type());
            assert_ne!(o.spki_der(), tw.cert.spki_der());
            assert_eq!(tw.key.spki_der(), tw.cert.spki_der().as_slice());
        }
        let (l, i, r) = (
            t.of(&originals[0]).unwrap(),
            t.of(&originals[1]).unwrap(),
            t.of(&originals[2]).unwrap(),
        );
        assert!(l.cert.is_signed_by(&i.cert));
        assert!(i.cert.is_signed_by(&r.cert));
        assert!(r.cert.is_signed_by(&r.cert));
        assert!(!l.cert.is_signed_by(&originals[1]));
        let li = t.twins.iter().position(|x| x.cert == l.cert).unwrap();
        assert_eq!(t.intermediates(li), vec![i.cert.clone()]);
        assert_eq!(t.root(li).unwrap().cert, r.cert);
    }

    #[test]
    fn the_same_inputs_give_the_same_twins() {
        let (root, issuing, leaf) = hierarchy();
        let originals = [leaf.cert, issuing.cert, root.cert];
        let a = Twinner::new().twin(&originals).unwrap();
        let b = Twinner::new().twin(&originals).unwrap();
        let ders = |t: &Twins| {
            t.twins
                .iter()
                .map(|x| x.cert.der().to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(ders(&a), ders(&b));
    }

    #[test]
    fn a_missing_issuer_gets_a_stand_in_and_a_caveat() {
        let (_, _, leaf) = hierarchy();
        let t = Twinner::new()
            .twin(std::slice::from_ref(&leaf.cert))
            .unwrap();
        assert_eq!(t.twins.len(), 2);
        let tw = t.of(&leaf.cert).unwrap();
        let standin = &t.twins[tw.issuer];
        assert!(standin.original.is_none());
        assert_eq!(standin.cert.subject(), leaf.cert.issuer());
        assert!(tw.cert.is_signed_by(&standin.cert));
        assert_eq!(t.caveats.len(), 1);
        assert!(
            t.caveats[0].text.contains("is not among the files"),
            "{:?}",
            t.caveats
        );
    }

    #[test]
    fn certificates_that_issue_each_other_are_refused() {
        let nb = datetime!(2025-01-01 0:00 UTC);
        let na = datetime!(2030-01-01 0:00 UTC);
        let ka = keypool::key(KeyType::EcP256, 0).unwrap();
        let kb = keypool::key(KeyType::EcP256, 1).unwrap();
        let a_self = Ca::root(&CertParams::ca("CN=A", nb, na).unwrap(), ka.clone()).unwrap();
        let b_self = Ca::root(&CertParams::ca("CN=B", nb, na).unwrap(), kb.clone()).unwrap();
        let a_by_b = b_self
            .issue(&CertParams::ca("CN=A", nb, na).unwrap(), ka)
            .unwrap()
            .cert;
        let b_by_a = a_self
            .issue(&CertParams::ca("CN=B", nb, na).unwrap(), kb)
            .unwrap()
            .cert;
        let e = Twinner::new().twin(&[a_by_b, b_by_a]).unwrap_err();
        assert!(e.to_string().contains("loop"), "{e}");
        assert!(
            e.to_string().contains("CN=A") && e.to_string().contains("CN=B"),
            "{e}"
        );
    }
}

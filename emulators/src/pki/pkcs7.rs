//! PKCS#7 / CMS SignedData "certs-only" bundles (`.p7b`, RFC 5652 5.1):
//! the certificates they carry (Windows' "Cryptographic Message Syntax
//! Standard" export, AD CS's `certnew.p7b`, `openssl crl2pkcs7`).

/// The certificates of a PKCS#7 SignedData (a `.p7b`, "certs-only"):
/// None when `der` is not one, an error when it is but is broken.
pub fn certificates(der: &[u8]) -> Option<Result<Vec<super::Certificate>, String>> {
    use der::asn1::{AnyRef, ObjectIdentifier};
    use der::{Decode, Encode, Reader, SliceReader, Tag, Tagged};
    const SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
    let outer = AnyRef::from_der(der).ok()?;
    if outer.tag() != Tag::Sequence {
        return None;
    }
    let mut r = SliceReader::new(outer.value()).ok()?;
    let oid: ObjectIdentifier = r.decode().ok()?;
    if oid != SIGNED_DATA {
        return None;
    }
    let mut parse = || -> Result<Vec<super::Certificate>, String> {
        let bad = |e: der::Error| format!("broken PKCS#7 SignedData: {e}");
        let explicit: AnyRef = r.decode().map_err(bad)?;
        let sd = AnyRef::from_der(explicit.value()).map_err(bad)?;
        let mut s = SliceReader::new(sd.value()).map_err(bad)?;
        let _version: AnyRef = s.decode().map_err(bad)?;
        let _digests: AnyRef = s.decode().map_err(bad)?;
        let _content: AnyRef = s.decode().map_err(bad)?;
        let mut certs = Vec::new();
        while !s.is_finished() {
            let field: AnyRef = s.decode().map_err(bad)?;
            let is_certs = matches!(field.tag(), Tag::ContextSpecific { number, constructed: true } if number.value() == 0);
            if !is_certs {
                continue;
            }
            let mut c = SliceReader::new(field.value()).map_err(bad)?;
            while !c.is_finished() {
                let one: AnyRef = c.decode().map_err(bad)?;
                if one.tag() != Tag::Sequence {
                    continue; // an attribute certificate or other choice
                }
                let der = one.to_der().map_err(bad)?;
                certs.push(super::Certificate::from_der(&der).map_err(|e| e.to_string())?);
            }
        }
        Ok(certs)
    };
    Some(parse())
}

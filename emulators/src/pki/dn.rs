//! Distinguished names as administrators type them and as Java prints them.
//!
//! Input is the keytool `-dname` / X500Principal string form, most specific
//! attribute first: `CN=ece.example.com, OU=IT, O=Example, L=Tokyo, ST=Tokyo, C=JP`
//! or an AD CA's `CN=Example Enterprise CA, DC=example, DC=local` (docs/requirements.md §1:
//! AD CS names carry DC components, repeated — which is why this module, and not
//! rcgen's map-based `DistinguishedName`, builds names). Values are encoded as
//! Java's `AVA` does: DC and EMAILADDRESS as IA5String, C as PrintableString,
//! anything else PrintableString when every character allows it, else UTF8String.
//!
//! Output ([`java_string`]) is what `X500Principal.toString()` and keytool's
//! `Owner:` / `Issuer:` lines show: most specific first, `, ` between attributes.

use der::asn1::{Any, Ia5StringRef, ObjectIdentifier, PrintableStringRef, SetOfVec, Utf8StringRef};
use der::{Decode, Encode, Tag, Tagged};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use super::PkiError;

const ATTRS: &[(&str, &str)] = &[
    ("CN", "2.5.4.3"),
    ("C", "2.5.4.6"),
    ("L", "2.5.4.7"),
    ("ST", "2.5.4.8"),
    ("STREET", "2.5.4.9"),
    ("O", "2.5.4.10"),
    ("OU", "2.5.4.11"),
    ("T", "2.5.4.12"),
    ("SERIALNUMBER", "2.5.4.5"),
    ("DC", "0.9.2342.19200300.100.1.25"),
    ("UID", "0.9.2342.19200300.100.1.1"),
    ("EMAILADDRESS", "1.2.840.113549.1.9.1"),
];

fn keyword_oid(k: &str) -> Option<ObjectIdentifier> {
    let k = k.trim().to_ascii_uppercase();
    let k = match k.as_str() {
        "S" => "ST",
        "TITLE" => "T",
        "E" | "EMAIL" => "EMAILADDRESS",
        other => other,
    };
    if let Some(o) = k.strip_prefix("OID.") {
        return ObjectIdentifier::new(o).ok();
    }
    ATTRS
        .iter()
        .find(|(n, _)| *n == k)
        .and_then(|(_, o)| ObjectIdentifier::new(o).ok())
        .or_else(|| ObjectIdentifier::new(k).ok())
}

fn oid_keyword(oid: &ObjectIdentifier) -> String {
    let s = oid.to_string();
    ATTRS
        .iter()
        .find(|(_, o)| *o == s)
        .map(|(n, _)| n.to_string())
        .unwrap_or_else(|| format!("OID.{s}"))
}

fn is_printable(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || " '()+,-./:=?".contains(c))
}

/// Splits on an unescaped, unquoted separator.
fn split_unescaped(s: &str, seps: &[char]) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if !quoted && seps.contains(&c) => parts.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    parts.push(cur);
    parts
}

fn unescape_value(v: &str) -> String {
    let v = v.trim();
    let inner = if v.len() >= 2 && v.starts_with('"') && v.ends_with('"') {
        &v[1..v.len() - 1]
    } else {
        v
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn atv(oid: ObjectIdentifier, value: &str) -> Result<AttributeTypeAndValue, PkiError> {
    let s = oid.to_string();
    let tag = if s == "0.9.2342.19200300.100.1.25" || s == "1.2.840.113549.1.9.1" {
        if !value.is_ascii() {
            return Err(PkiError::BadName(format!("`{value}` must be ASCII")));
        }
        Tag::Ia5String
    } else if s == "2.5.4.6" {
        if value.len() != 2 || !is_printable(value) {
            // keytool accepts any text for C (the [SEC] example answers `91`);
            // Java encodes it as PrintableString when it can.
            if is_printable(value) {
                Tag::PrintableString
            } else {
                Tag::Utf8String
            }
        } else {
            Tag::PrintableString
        }
    } else if is_printable(value) {
        Tag::PrintableString
    } else {
        Tag::Utf8String
    };
    let value = Any::new(tag, value.as_bytes()).map_err(|e| PkiError::BadName(e.to_string()))?;
    Ok(AttributeTypeAndValue { oid, value })
}

/// Parses a keytool-style DN string (most specific first) into an X.509 `Name`.
pub fn parse(text: &str) -> Result<Name, PkiError> {
    if text.trim().is_empty() {
        return Ok(RdnSequence(Vec::new()));
    }
    let mut rdns = Vec::new();
    for part in split_unescaped(text, &[',', ';']) {
        let mut atvs = Vec::new();
        for piece in split_unescaped(&part, &['+']) {
            let (k, v) = piece.split_once('=').ok_or_else(|| {
                PkiError::BadName(format!("`{}` in `{text}` is not TYPE=value", piece.trim()))
            })?;
            let oid = keyword_oid(k).ok_or_else(|| {
                PkiError::BadName(format!("unknown attribute type `{}` in `{text}`", k.trim()))
            })?;
            atvs.push(atv(oid, &unescape_value(v))?);
        }
        let set = SetOfVec::try_from(atvs).map_err(|e| PkiError::BadName(e.to_string()))?;
        rdns.push(RelativeDistinguishedName(set));
    }
    rdns.reverse();
    Ok(RdnSequence(rdns))
}

/// The text value of an attribute, whatever string type encodes it.
pub fn value_text(v: &Any) -> String {
    match v.tag() {
        Tag::PrintableString => PrintableStringRef::try_from(v)
            .map(|s| s.as_str().to_string())
            .ok(),
        Tag::Utf8String => Utf8StringRef::try_from(v)
            .map(|s| s.as_str().to_string())
            .ok(),
        Tag::Ia5String => Ia5StringRef::try_from(v)
            .map(|s| s.as_str().to_string())
            .ok(),
        Tag::TeletexString | Tag::VisibleString => String::from_utf8(v.value().to_vec()).ok(),
        Tag::BmpString => {
            let b = v.value();
            let units: Vec<u16> = b
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
    .unwrap_or_else(|| format!("#{}", hex::encode(v.to_der().unwrap_or_default())))
}

fn java_quote(v: &str) -> String {
    let needs = v.is_empty()
        || v.starts_with(' ')
        || v.ends_with(' ')
        || v.chars().any(|c| ",+=<>#;\n\"\\".contains(c));
    if !needs {
        return v.to_string();
    }
    let mut s = String::from("\"");
    for c in v.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

/// The name as Java's `X500Principal.toString()` (and keytool's `Owner:`) prints it.
pub fn java_string(name: &Name) -> String {
    let mut parts = Vec::new();
    for rdn in name.0.iter().rev() {
        let p: Vec<String> = rdn
            .0
            .iter()
            .map(|a| {
                format!(
                    "{}={}",
                    oid_keyword(&a.oid),
                    java_quote(&value_text(&a.value))
                )
            })
            .collect();
        parts.push(p.join(" + "));
    }
    parts.join(", ")
}

/// The name as OpenSSL 3 prints it by default (`depth=` lines, `-subject`):
/// DER order, `KEY = value`, comma-separated: `DC = local, DC = example, CN = Example Issuing CA`.
pub fn openssl_string(name: &Name) -> String {
    let mut parts = Vec::new();
    for rdn in name.0.iter() {
        let p: Vec<String> = rdn
            .0
            .iter()
            .map(|a| {
                let k = match oid_keyword(&a.oid).as_str() {
                    "EMAILADDRESS" => "emailAddress".to_string(),
                    "SERIALNUMBER" => "serialNumber".to_string(),
                    "T" => "title".to_string(),
                    "STREET" => "street".to_string(),
                    other => other.trim_start_matches("OID.").to_string(),
                };
                format!("{k} = {}", value_text(&a.value))
            })
            .collect();
        parts.push(p.join(" + "));
    }
    parts.join(", ")
}

/// The value of the most specific CN, if any.
pub fn common_name(name: &Name) -> Option<String> {
    let cn = ObjectIdentifier::new_unwrap("2.5.4.3");
    name.0
        .iter()
        .rev()
        .flat_map(|rdn| rdn.0.iter())
        .find(|a| a.oid == cn)
        .map(|a| value_text(&a.value))
}

/// DER of a name (for comparisons that must be byte-exact).
pub fn to_der(name: &Name) -> Vec<u8> {
    name.to_der().unwrap_or_default()
}

/// Parses a DER name.
pub fn from_der(der: &[u8]) -> Result<Name, PkiError> {
    Name::from_der(der).map_err(|e| PkiError::BadName(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ad_ca_name_keeps_both_dcs_in_order() {
        let n = parse("CN=Example Enterprise CA, DC=example, DC=local").unwrap();
        assert_eq!(n.0.len(), 3);
        assert_eq!(
            java_string(&n),
            "CN=Example Enterprise CA, DC=example, DC=local"
        );
        // DER order is the reverse: DC=local first.
        assert_eq!(value_text(&n.0[0].0.as_slice()[0].value), "local");
        assert_eq!(n.0[0].0.as_slice()[0].value.tag(), Tag::Ia5String);
        assert_eq!(common_name(&n).as_deref(), Some("Example Enterprise CA"));
    }

    #[test]
    fn keytool_dialogue_name_with_numeric_country() {
        // [SEC]'s AW example answers `91` for the country code (docs/requirements.md §7).
        let n = parse("CN=CCE-AW-1-21, OU=cisco, O=ccbu, L=BLR, ST=KA, C=91").unwrap();
        assert_eq!(
            java_string(&n),
            "CN=CCE-AW-1-21, OU=cisco, O=ccbu, L=BLR, ST=KA, C=91"
        );
    }

    #[test]
    fn quoting_and_errors() {
        let n = parse(r#"CN="Smith, John", O=Example\, Inc."#).unwrap();
        assert_eq!(java_string(&n), r#"CN="Smith, John", O="Example, Inc.""#);
        assert!(parse("CN")
            .unwrap_err()
            .to_string()
            .contains("not TYPE=value"));
        assert!(parse("XX=1")
            .unwrap_err()
            .to_string()
            .contains("unknown attribute type"));
        let u = parse("CN=サーバー").unwrap();
        assert_eq!(u.0[0].0.as_slice()[0].value.tag(), Tag::Utf8String);
    }
}

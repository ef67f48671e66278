//! How the VOS CLI prints one certificate (`show cert own tomcat`,
//! `show cert trust tomcat-trust/<file>`): the RSA BSAFE `X509Certificate`
//! text VOS's certificate manager uses (docs/research/vos-cli.md §2c).
//!
//! What is sourced: the field prefixes the public expiry scripts parse
//! (`Serial Number: `, `Validity From: ` — 15 characters, the date after
//! it —, `           To:   ` and the date as Java's `Date.toString()`,
//! `EEE MMM dd HH:mm:ss zzz yyyy`), and the layout of the same library's
//! output in a real capture (two-space indent, extension blocks opening
//! with `  [ ` and closing with `  ]`, usage lists ending in `, `, the
//! signature as a 16-byte hex dump with its ASCII column). Which
//! extensions get a detailed body, and the wording of the ones the capture
//! does not show, are ccelab's (L). The server's time zone is UTC here.

use der::asn1::{BitString, ObjectIdentifier};
use der::Decode;

use crate::personality::java::java_date;
use crate::pki::{Certificate, San};

fn ext_name(oid: &str) -> &'static str {
    match oid {
        "2.5.29.15" => "KeyUsage",
        "2.5.29.37" => "ExtKeyUsageSyntax",
        "2.5.29.17" => "SubjectAltName",
        "2.5.29.19" => "BasicConstraints",
        "2.5.29.14" => "SubjectKeyIdentifier",
        "2.5.29.35" => "AuthorityKeyIdentifier",
        _ => "Extension",
    }
}

const KEY_USAGES: [&str; 9] = [
    "digitalSignature",
    "nonRepudiation",
    "keyEncipherment",
    "dataEncipherment",
    "keyAgreement",
    "keyCertSign",
    "cRLSign",
    "encipherOnly",
    "decipherOnly",
];

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signature block: 16 bytes a row, `0000: 5f d6 … [ascii]`.
fn hexdump(bytes: &[u8]) -> Vec<String> {
    bytes
        .chunks(16)
        .enumerate()
        .map(|(i, row)| {
            let h: Vec<String> = row.iter().map(|b| format!("{b:02x}")).collect();
            let a: String = row
                .iter()
                .map(|&b| {
                    if (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '.'
                    }
                })
                .collect();
            format!("  {:04x}: {:<47} [{a}]", i * 16, h.join(" "))
        })
        .collect()
}

/// The lines of `cert`'s dump (without line ends).
pub fn certificate_lines(cert: &Certificate) -> Vec<String> {
    let x = cert.x509();
    let tbs = &x.tbs_certificate;
    let sig_oid = x.signature_algorithm.oid.to_string();
    let mut l = vec![
        "[".to_string(),
        "  Version: V3".to_string(),
        format!("  Serial Number: {}", cert.serial_hex().replace(':', "")),
        format!(
            "  SignatureAlgorithm: {} ({sig_oid})",
            cert.signature_algorithm_name()
        ),
        format!(
            "  Issuer Name: {}",
            crate::pki::dn::java_string(cert.issuer())
        ),
        format!("  Validity From: {}", java_date(cert.not_before())),
        format!("           To:   {}", java_date(cert.not_after())),
        format!(
            "  Subject Name: {}",
            crate::pki::dn::java_string(cert.subject())
        ),
    ];
    let key_alg = tbs.subject_public_key_info.algorithm.oid.to_string();
    let key_name = if key_alg == "1.2.840.113549.1.1.1" {
        "RSA"
    } else {
        "EC"
    };
    l.push(format!("  Key: {key_name} ({key_alg})"));
    l.push(format!(
        "    Key value: {}",
        hex(tbs.subject_public_key_info.subject_public_key.raw_bytes())
    ));
    let exts = tbs.extensions.as_deref().unwrap_or_default();
    l.push(format!("  Extensions: {} present", exts.len()));
    for e in exts {
        let oid = e.extn_id.to_string();
        let name = ext_name(&oid);
        l.push("  [ ".to_string());
        l.push(format!("     Extension: {name} (OID.{oid})"));
        l.push(format!("     Critical: {}", e.critical));
        let v = e.extn_value.as_bytes();
        match oid.as_str() {
            "2.5.29.15" => {
                if let Ok(bits) = BitString::from_der(v) {
                    let raw = bits.raw_bytes();
                    let set: String = KEY_USAGES
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| raw.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0))
                        .map(|(_, n)| format!("{n}, "))
                        .collect();
                    l.push(format!("     Usages: {set}"));
                }
            }
            "2.5.29.37" => {
                if let Ok(oids) = Vec::<ObjectIdentifier>::from_der(v) {
                    let list: String = oids.iter().map(|o| format!("{o}, ")).collect();
                    l.push(format!("     Usage oids: {list}"));
                }
            }
            "2.5.29.17" => {
                let sans = cert.sans();
                l.push(format!("        altNames: {} names", sans.len()));
                for (i, s) in sans.iter().enumerate() {
                    let (v, t) = match s {
                        San::Dns(d) => (d.clone(), "dNSName"),
                        San::Ip(a) => (a.to_string(), "iPAddress"),
                    };
                    l.push(format!("          {}) {v} ({t})", i + 1));
                }
            }
            "2.5.29.19" => match cert.basic_constraints_ca() {
                Some(len) => {
                    l.push("     cA: true".to_string());
                    if let Some(n) = len {
                        l.push(format!("     pathLenConstraint: {n}"));
                    }
                }
                None => l.push("     cA: false".to_string()),
            },
            _ => l.push(format!("     Value: {}", hex(v))),
        }
        l.push("  ]".to_string());
    }
    l.push(String::new());
    l.push("  Signature: ".to_string());
    l.extend(hexdump(x.signature.raw_bytes()));
    l.push("]".to_string());
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{keypool, CertParams, Issued, KeyType};

    #[test]
    fn the_fields_expiry_scripts_parse() {
        let from = time::macros::datetime!(2026-12-01 08:00:00 UTC);
        let p = CertParams::leaf(
            "CN=finessea.example.com, OU=CCBU, O=Cisco, C=US",
            from,
            from + time::Duration::days(730),
        )
        .unwrap()
        .with_sans([San::Dns("finessea.example.com".into())]);
        let c = Issued::self_signed(&p, keypool::key(KeyType::Rsa2048, 10).unwrap()).unwrap();
        let lines = certificate_lines(&c.cert);
        let validity = lines
            .iter()
            .find(|l| l.trim_start().starts_with("Validity"))
            .unwrap();
        // the scripts take the date from column 15 of the stripped line
        assert_eq!(&validity.trim()[15..], "Tue Dec 01 08:00:00 UTC 2026");
        let to = lines
            .iter()
            .find(|l| l.trim_start().starts_with("To:"))
            .unwrap();
        assert_eq!(to, "           To:   Thu Nov 30 08:00:00 UTC 2028");
        // valid_to[-8:-5] is the zone; the rest parses as '%a %b %d %H:%M:%S %Y'
        let t = to.trim_start().trim_start_matches("To:").trim();
        assert_eq!(&t[t.len() - 8..t.len() - 5], "UTC");
        assert!(lines
            .iter()
            .any(|l| l == "          1) finessea.example.com (dNSName)"));
        assert!(lines
            .iter()
            .any(|l| l == "     Usages: digitalSignature, keyEncipherment, "));
        assert!(lines.iter().any(|l| l.starts_with("  0000: ")));
        assert_eq!(lines.last().map(String::as_str), Some("]"));
    }
}

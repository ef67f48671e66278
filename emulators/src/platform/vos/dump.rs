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

/// A time zone abbreviation as Java's `Date.toString()` prints it (`zzz`),
/// and its offset in minutes. VOS prints the server's zone; these are the
/// ones a contact center's servers commonly have. `CST` is US Central (as
/// Java prints `America/Chicago`), `IST` India.
fn zone_minutes(z: &str) -> Option<i32> {
    Some(match z {
        "UTC" | "GMT" | "Z" | "WET" => 0,
        "BST" | "CET" | "WEST" => 60,
        "CEST" | "EET" | "SAST" => 120,
        "EEST" | "MSK" => 180,
        "GST" => 240,
        "IST" => 330,
        "SGT" | "HKT" | "AWST" => 480,
        "JST" | "KST" => 540,
        "AEST" => 600,
        "AEDT" => 660,
        "NZST" => 720,
        "NZDT" => 780,
        "EST" => -300,
        // AST is Atlantic here (Java prints AST for Riyadh too: +3, not modelled)
        "EDT" | "AST" => -240,
        "CST" => -360,
        "CDT" => -300,
        "MST" => -420,
        "MDT" => -360,
        "PST" => -480,
        "PDT" => -420,
        "AKST" => -540,
        "HST" => -600,
        _ => return None,
    })
}

/// Java's form for a zone without an abbreviation: `GMT+05:45`, `GMT-03:00`.
fn gmt_offset(z: &str) -> Option<i32> {
    let rest = z.strip_prefix("GMT")?;
    let sign = match rest.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let (h, m) = rest[1..].split_once(':')?;
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 60 + m))
}

/// `EEE MMM dd HH:mm:ss zzz yyyy` (Java's `Date.toString()`).
fn parse_java_date(s: &str) -> Result<time::OffsetDateTime, String> {
    let bad = || format!("`{s}` is not a date as `EEE MMM dd HH:mm:ss zzz yyyy`");
    let t: Vec<&str> = s.split_whitespace().collect();
    let [_, mon, day, hms, zone, year] = t[..] else {
        return Err(bad());
    };
    let month = crate::clock::MONTH_ABBR
        .iter()
        .position(|m| *m == mon)
        .ok_or_else(bad)?;
    let month = time::Month::try_from(month as u8 + 1).map_err(|_| bad())?;
    let num = |x: &str| x.parse::<u8>().map_err(|_| bad());
    let hms: Vec<&str> = hms.split(':').collect();
    let [h, m, sec] = hms[..] else {
        return Err(bad());
    };
    let year: i32 = year.parse().map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(year, month, num(day)?).map_err(|_| bad())?;
    let tm = time::Time::from_hms(num(h)?, num(m)?, num(sec)?).map_err(|_| bad())?;
    let off = zone_minutes(zone).or_else(|| gmt_offset(zone)).ok_or_else(|| {
        format!("`{s}`: the time zone `{zone}` is not one ccelab knows (UTC, GMT, EST/EDT, CST/CDT, MST/MDT, PST/PDT, CET/CEST, BST, IST, JST, AEST/AEDT…)")
    })?;
    let off = time::UtcOffset::from_whole_seconds(off * 60).map_err(|_| bad())?;
    Ok(time::PrimitiveDateTime::new(date, tm)
        .assume_offset(off)
        .to_offset(time::UtcOffset::UTC))
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != ':')
        .collect();
    hex::decode(&s).map_err(|_| format!("`{s}` is not hexadecimal"))
}

/// An extension block of a dump, as read.
#[derive(Default)]
struct ExtBlock {
    oid: String,
    critical: bool,
    usages: Option<Vec<String>>,
    usage_oids: Option<Vec<String>>,
    names: Vec<(String, String)>,
    ca: Option<bool>,
    path_len: Option<u8>,
    key_id: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
}

impl ExtBlock {
    /// The extension's DER value (None: nothing the dump shows gives it).
    fn value(&self) -> Result<Option<Vec<u8>>, String> {
        use der::Encode;
        let enc = |e: der::Error| e.to_string();
        if let Some(v) = &self.value {
            return Ok(Some(v.clone()));
        }
        Ok(Some(match self.oid.as_str() {
            "2.5.29.15" => {
                let Some(us) = &self.usages else {
                    return Ok(None);
                };
                let mut bits = [0u8; 2];
                let mut last = 0;
                for u in us {
                    let i = KEY_USAGES
                        .iter()
                        .position(|k| k == u)
                        .ok_or_else(|| format!("unknown key usage `{u}`"))?;
                    bits[i / 8] |= 0x80 >> (i % 8);
                    last = last.max(i + 1);
                }
                let len = last.div_ceil(8).max(1);
                let unused = (len * 8 - last.max(1)) as u8;
                BitString::new(unused, &bits[..len])
                    .and_then(|b| b.to_der())
                    .map_err(enc)?
            }
            "2.5.29.37" => {
                let Some(os) = &self.usage_oids else {
                    return Ok(None);
                };
                let oids: Result<Vec<ObjectIdentifier>, String> = os
                    .iter()
                    .map(|o| ObjectIdentifier::new(o).map_err(|_| format!("`{o}` is not an OID")))
                    .collect();
                oids?.to_der().map_err(enc)?
            }
            "2.5.29.17" => {
                let mut body = Vec::new();
                for (v, t) in &self.names {
                    match t.as_str() {
                        "dNSName" => {
                            let s = der::asn1::Ia5StringRef::new(v).map_err(enc)?;
                            let mut inner = Vec::new();
                            der::Encode::encode_to_vec(&s, &mut inner).map_err(enc)?;
                            // [2] IMPLICIT IA5String
                            inner[0] = 0x82;
                            body.extend(inner);
                        }
                        "iPAddress" => {
                            let ip: std::net::IpAddr = v
                                .parse()
                                .map_err(|_| format!("`{v}` is not an IP address"))?;
                            let b = match ip {
                                std::net::IpAddr::V4(a) => a.octets().to_vec(),
                                std::net::IpAddr::V6(a) => a.octets().to_vec(),
                            };
                            body.push(0x87);
                            body.push(b.len() as u8);
                            body.extend(b);
                        }
                        other => {
                            return Err(format!("a subject alternative name of type `{other}`"))
                        }
                    }
                }
                tlv(0x30, &body)
            }
            "2.5.29.19" => {
                let mut body = Vec::new();
                if self.ca == Some(true) {
                    body.extend([0x01, 0x01, 0xff]);
                }
                if let Some(n) = self.path_len {
                    // a positive INTEGER
                    if n >= 0x80 {
                        body.extend([0x02, 0x02, 0x00, n]);
                    } else {
                        body.extend([0x02, 0x01, n]);
                    }
                }
                tlv(0x30, &body)
            }
            "2.5.29.14" => {
                let Some(k) = &self.key_id else {
                    return Ok(None);
                };
                tlv(0x04, k)
            }
            "2.5.29.35" => {
                let Some(k) = &self.key_id else {
                    return Ok(None);
                };
                tlv(0x30, &tlv(0x80, k))
            }
            _ => return Ok(None),
        }))
    }
}

/// A DER TLV with a definite length.
fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = body.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend([0x81, n as u8]);
    } else if n < 0x1_0000 {
        out.extend([0x82, (n >> 8) as u8, n as u8]);
    } else {
        out.extend([0x83, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(body);
    out
}

/// A certificate rebuilt from one dump: every field the dump shows, in
/// DER. What a dump does not carry — the names' string types (ccelab
/// chooses PrintableString or UTF8String as keytool would), the exact
/// encoding of the extensions it decodes — may differ from the original,
/// so the original signature (kept) no longer verifies: a twin's issuer is
/// then found by name.
fn rebuild(lines: &[(usize, &str)]) -> Result<crate::pki::Certificate, String> {
    use der::Encode;
    let enc = |e: der::Error| e.to_string();
    let field = |name: &str| -> Result<(usize, &str), String> {
        lines
            .iter()
            .find_map(|(n, l)| l.trim_start().strip_prefix(name).map(|v| (*n, v.trim())))
            .ok_or_else(|| format!("no `{}` line", name.trim_end_matches([':', ' '])))
    };
    let at = |n: usize, e: String| format!("line {n}: {e}");
    let (n, serial) = field("Serial Number:")?;
    // a positive INTEGER's minimal bytes (the dump may drop a leading 0
    // digit or the 00 byte of a serial whose first bit is set)
    let digits = if serial.len() % 2 == 1 {
        format!("0{serial}")
    } else {
        serial.to_string()
    };
    let mut serial = unhex(&digits).map_err(|e| at(n, e))?;
    while serial.len() > 1 && serial[0] == 0 && serial[1] < 0x80 {
        serial.remove(0);
    }
    if serial.first().is_some_and(|b| *b >= 0x80) {
        serial.insert(0, 0);
    }
    let (n, sig) = field("SignatureAlgorithm:")?;
    let sig_oid = sig
        .rsplit_once('(')
        .map(|(_, o)| o.trim_end_matches(')').trim())
        .ok_or_else(|| at(n, format!("`{sig}`: no OID in parentheses")))?;
    let sig_oid =
        ObjectIdentifier::new(sig_oid).map_err(|_| at(n, format!("`{sig_oid}` is not an OID")))?;
    let rsa_sig = sig_oid.to_string().starts_with("1.2.840.113549.1.1.");
    let alg = spki::AlgorithmIdentifierOwned {
        oid: sig_oid,
        parameters: rsa_sig.then(|| der::asn1::Any::from(der::asn1::Null)),
    };
    let (n, issuer) = field("Issuer Name:")?;
    let issuer = crate::pki::dn::parse(issuer).map_err(|e| at(n, e.to_string()))?;
    let (n, subject) = field("Subject Name:")?;
    let subject = crate::pki::dn::parse(subject).map_err(|e| at(n, e.to_string()))?;
    let (n, from) = field("Validity From:")?;
    let from = parse_java_date(from).map_err(|e| at(n, e))?;
    let (n, to) = field("To:")?;
    let to = parse_java_date(to).map_err(|e| at(n, e))?;
    let (n, key) = field("Key:")?;
    let key_oid = key
        .rsplit_once('(')
        .map(|(_, o)| o.trim_end_matches(')').trim())
        .ok_or_else(|| at(n, format!("`{key}`: no OID in parentheses")))?;
    let (kn, key_value) = field("Key value:")?;
    let key_value = unhex(key_value).map_err(|e| at(kn, e))?;
    let key_alg = match key_oid {
        "1.2.840.113549.1.1.1" => spki::AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1"),
            parameters: Some(der::asn1::Any::from(der::asn1::Null)),
        },
        "1.2.840.10045.2.1" => {
            // the dump names no curve: the point's length gives it
            let curve = match key_value.len() {
                65 => ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7"),
                97 => ObjectIdentifier::new_unwrap("1.3.132.0.34"),
                133 => ObjectIdentifier::new_unwrap("1.3.132.0.35"),
                l => {
                    return Err(at(
                        kn,
                        format!("an EC point of {l} bytes is of no curve ccelab knows"),
                    ))
                }
            };
            spki::AlgorithmIdentifierOwned {
                oid: ObjectIdentifier::new_unwrap("1.2.840.10045.2.1"),
                parameters: Some(der::asn1::Any::from(&curve)),
            }
        }
        o => {
            return Err(at(
                n,
                format!("a key of algorithm {o}: ccelab reads RSA and EC keys"),
            ))
        }
    };
    let spki = spki::SubjectPublicKeyInfoOwned {
        algorithm: key_alg,
        subject_public_key: BitString::from_bytes(&key_value).map_err(enc)?,
    };
    // the extension blocks, then the signature rows
    let mut exts: Vec<ExtBlock> = Vec::new();
    let mut sig_bytes = Vec::new();
    let mut in_sig = false;
    let mut cur: Option<ExtBlock> = None;
    for (n, l) in lines {
        let t = l.trim();
        if in_sig {
            if let Some((off, rest)) = t.split_once(": ") {
                if off.len() == 4 && off.chars().all(|c| c.is_ascii_hexdigit()) {
                    let hexpart: String = rest.chars().take(47).collect();
                    sig_bytes.extend(unhex(&hexpart).map_err(|e| at(*n, e))?);
                }
            }
            continue;
        }
        if t == "Signature:" {
            in_sig = true;
            continue;
        }
        if let Some(rest) = t.strip_prefix("Extension:") {
            if let Some(b) = cur.take() {
                exts.push(b);
            }
            let oid = rest
                .rsplit_once("(OID.")
                .map(|(_, o)| o.trim_end_matches(')').trim().to_string())
                .ok_or_else(|| at(*n, format!("`{t}`: no (OID.…)")))?;
            cur = Some(ExtBlock {
                oid,
                ..ExtBlock::default()
            });
            continue;
        }
        let Some(b) = cur.as_mut() else { continue };
        let list = |v: &str| -> Vec<String> {
            v.split(',')
                .map(|x| x.trim().to_string())
                .filter(|x| !x.is_empty())
                .collect()
        };
        if t == "]" {
            if let Some(b) = cur.take() {
                exts.push(b);
            }
        } else if let Some(v) = t.strip_prefix("Critical:") {
            b.critical = v.trim() == "true";
        } else if let Some(v) = t.strip_prefix("Usages:") {
            b.usages = Some(list(v));
        } else if let Some(v) = t.strip_prefix("Usage oids:") {
            b.usage_oids = Some(list(v));
        } else if let Some(v) = t.strip_prefix("cA:") {
            b.ca = Some(v.trim() == "true");
        } else if let Some(v) = t.strip_prefix("pathLenConstraint:") {
            b.path_len = Some(
                v.trim()
                    .parse()
                    .map_err(|_| at(*n, format!("`{v}` is not a path length")))?,
            );
        } else if let Some(v) = t.strip_prefix("keyID:") {
            b.key_id = Some(unhex(v).map_err(|e| at(*n, e))?);
        } else if let Some(v) = t.strip_prefix("Value:") {
            b.value = Some(unhex(v).map_err(|e| at(*n, e))?);
        } else if let Some((num, rest)) = t.split_once(") ") {
            if num.chars().all(|c| c.is_ascii_digit()) {
                if let Some((v, ty)) = rest.rsplit_once(" (") {
                    b.names
                        .push((v.to_string(), ty.trim_end_matches(')').to_string()));
                }
            }
        }
    }
    if let Some(b) = cur.take() {
        exts.push(b);
    }
    if sig_bytes.is_empty() {
        return Err("no `Signature:` rows".into());
    }
    let mut extensions = Vec::new();
    for b in &exts {
        let Some(v) = b.value()? else { continue };
        extensions.push(x509_cert::ext::Extension {
            extn_id: ObjectIdentifier::new(&b.oid)
                .map_err(|_| format!("`{}` is not an OID", b.oid))?,
            critical: b.critical,
            extn_value: der::asn1::OctetString::new(v).map_err(enc)?,
        });
    }
    let time = |t: time::OffsetDateTime| -> Result<x509_cert::time::Time, String> {
        let d = der::DateTime::from_unix_duration(std::time::Duration::from_secs(
            u64::try_from(t.unix_timestamp()).map_err(|_| format!("{t}: before 1970"))?,
        ))
        .map_err(enc)?;
        // RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime after
        Ok(if t.year() < 2050 {
            x509_cert::time::Time::UtcTime(der::asn1::UtcTime::from_date_time(d).map_err(enc)?)
        } else {
            x509_cert::time::Time::GeneralTime(der::asn1::GeneralizedTime::from_date_time(d))
        })
    };
    let tbs = x509_cert::TbsCertificate {
        version: x509_cert::Version::V3,
        serial_number: x509_cert::serial_number::SerialNumber::new(&serial).map_err(enc)?,
        signature: alg.clone(),
        issuer,
        validity: x509_cert::time::Validity {
            not_before: time(from)?,
            not_after: time(to)?,
        },
        subject,
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: (!extensions.is_empty()).then_some(extensions),
    };
    let cert = x509_cert::Certificate {
        tbs_certificate: tbs,
        signature_algorithm: alg,
        signature: BitString::from_bytes(&sig_bytes).map_err(enc)?,
    };
    crate::pki::Certificate::from_der(&cert.to_der().map_err(enc)?).map_err(|e| e.to_string())
}

/// The certificates of the dumps in `text` (a capture of `show cert own
/// tomcat` / `show cert trust …`, with prompts, pager lines and other
/// output around them): each rebuilt from its fields (see [`rebuild`]),
/// or why it could not be, with the line (1-based) where its dump starts.
pub fn parse_dumps(text: &str) -> Vec<(usize, Result<crate::pki::Certificate, String>)> {
    parse_dumps_from(text, 1)
}

/// [`parse_dumps`] of a part of a file whose first line is line `first`
/// there: every line number is the file's.
pub fn parse_dumps_from(
    text: &str,
    first: usize,
) -> Vec<(usize, Result<crate::pki::Certificate, String>)> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + first, l.trim_end_matches('\r')))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        // `[`, or `admin:[` when the command was not echoed (no terminal)
        let t = lines[i].1.trim();
        let starts = t.strip_prefix("admin:").unwrap_or(t).trim() == "["
            && lines[i + 1..]
                .iter()
                .find(|(_, l)| !l.trim().is_empty())
                .is_some_and(|(_, l)| l.trim_start().starts_with("Version: V"));
        if !starts {
            i += 1;
            continue;
        }
        let start = lines[i].0;
        // to the closing `]` after the signature rows
        // (a prompt or the next dump ends a cut-off one)
        let mut j = i + 1;
        let mut in_sig = false;
        while j < lines.len() {
            let t = lines[j].1.trim();
            if t == "Signature:" {
                in_sig = true;
            } else if (in_sig && t == "]")
                || t.starts_with("admin:")
                // an unindented `[` opens the next dump (extension blocks are indented)
                || matches!(lines[j].1.trim_end(), "[" | "admin:[")
            {
                break;
            }
            j += 1;
        }
        out.push((start, rebuild(&lines[i + 1..j.min(lines.len())])));
        // the closing `]` is this dump's; a prompt or a new `[` is looked at again
        let closed = lines.get(j).is_some_and(|(_, l)| l.trim() == "]");
        i = if closed { j + 1 } else { j.max(i + 1) };
    }
    out
}

/// The `<unit>/<file>.pem: <description>` lines of `show cert list own` /
/// `show cert list trust` in `text` (research §2a–b), in order.
pub fn parse_list(text: &str) -> Vec<super::certs::Listed> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim_end_matches('\r').trim();
            let l = l.strip_prefix("admin:").unwrap_or(l);
            let (path, description) = l.split_once(": ")?;
            let (unit, file) = path.split_once('/')?;
            let ok = !unit.is_empty()
                && unit
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && file.ends_with(".pem")
                && !file.contains('/')
                && !file.contains(' ');
            ok.then(|| super::certs::Listed {
                path: path.to_string(),
                description: description.trim().to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{keypool, CertParams, Issued, KeyType};

    #[test]
    fn the_fields_expiry_scripts_parse() {
        let c = finesse_cert(vec![San::Dns("finessea.example.com".into())]);
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

    /// Finesse's self-signed certificate, with `sans`.
    fn finesse_cert(sans: Vec<San>) -> Issued {
        let from = time::macros::datetime!(2026-12-01 08:00:00 UTC);
        let p = CertParams::leaf(
            "CN=finessea.example.com, OU=CCBU, O=Cisco, C=US",
            from,
            from + time::Duration::days(730),
        )
        .unwrap()
        .with_sans(sans);
        Issued::self_signed(&p, keypool::key(KeyType::Rsa2048, 10).unwrap()).unwrap()
    }

    #[test]
    fn a_dump_gives_back_the_certificate_s_fields() {
        let c = finesse_cert(vec![
            San::Dns("finessea.example.com".into()),
            San::Ip("10.0.0.5".parse().unwrap()),
        ]);
        let text = format!(
            "admin:show cert own tomcat\r\n\r\n{}\r\nadmin:",
            certificate_lines(&c.cert).join("\r\n")
        );
        let got = parse_dumps(&text);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, 3);
        let r = got[0].1.as_ref().unwrap();
        // everything a check reads is the original's
        assert_eq!(r.subject_string(), c.cert.subject_string());
        assert_eq!(r.issuer_string(), c.cert.issuer_string());
        assert_eq!(r.serial_hex(), c.cert.serial_hex());
        assert_eq!(r.not_before(), c.cert.not_before());
        assert_eq!(r.not_after(), c.cert.not_after());
        assert_eq!(r.spki_der(), c.cert.spki_der());
        assert_eq!(r.sans(), c.cert.sans());
        assert_eq!(r.basic_constraints_ca(), c.cert.basic_constraints_ca());
        assert_eq!(
            r.x509().tbs_certificate.extensions,
            c.cert.x509().tbs_certificate.extensions
        );
        assert_eq!(r.x509().signature, c.cert.x509().signature);
        // and the dump of the rebuilt one is the dump of the original
        assert_eq!(certificate_lines(r), certificate_lines(&c.cert));
    }

    #[test]
    fn dumps_in_local_time_and_bad_dumps() {
        assert_eq!(
            parse_java_date("Wed Feb 03 15:31:38 PST 2027").unwrap(),
            time::macros::datetime!(2027-02-03 23:31:38 UTC)
        );
        assert!(parse_java_date("Wed Feb 03 15:31:38 XYZ 2027")
            .unwrap_err()
            .contains("`XYZ`"));
        assert_eq!(
            parse_java_date("Wed Feb 03 15:31:38 GMT+05:45 2027").unwrap(),
            time::macros::datetime!(2027-02-03 09:46:38 UTC)
        );
        assert!(parse_java_date("Wed Feb 257 15:31:38 UTC 2027").is_err());
        let bad = "[\n  Version: V3\n  Serial Number: 01\n  Signature: \n]\n";
        let got = parse_dumps(bad);
        assert_eq!(got.len(), 1);
        assert!(got[0]
            .1
            .as_ref()
            .unwrap_err()
            .contains("SignatureAlgorithm"));
    }

    #[test]
    fn a_cut_off_dump_does_not_take_the_next_one() {
        let c = finesse_cert(vec![San::Dns("finessea.example.com".into())]);
        let whole = certificate_lines(&c.cert).join("\r\n");
        let cut: String = certificate_lines(&c.cert)
            .iter()
            .take(9)
            .map(|l| format!("{l}\r\n"))
            .collect();
        let got = parse_dumps(&format!("{cut}{whole}\r\nadmin:"));
        assert_eq!(got.len(), 2);
        assert!(got[0].1.is_err(), "{:?}", got[0].1);
        assert_eq!(got[1].1.as_ref().unwrap().der(), c.cert.der());
    }

    #[test]
    fn list_lines() {
        let l = parse_list(
            "admin:show cert list trust\r\n\r\ntomcat-trust/cuica.example.com.pem: Trust Certificate\r\ntomcat-trust/USERTrust_RSA_Certification_Authority_01fd6d30fca3ca51a81bbc640e35032d.pem: USERTrust\r\nadmin:",
        );
        assert_eq!(
            l.iter().map(|x| x.path.as_str()).collect::<Vec<_>>(),
            [
                "tomcat-trust/cuica.example.com.pem",
                "tomcat-trust/USERTrust_RSA_Certification_Authority_01fd6d30fca3ca51a81bbc640e35032d.pem"
            ]
        );
        assert_eq!(l[0].description, "Trust Certificate");
    }
}

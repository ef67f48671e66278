//! Distinguished names as Active Directory compares them: attribute types and
//! values case-insensitively, whitespace around `,` and `=` ignored — the
//! bind DN of docs/requirements.md §1, `CN=pcceadmin, CN=Users, DC=example,
//! DC=local`, names the same object as `cn=pcceadmin,cn=users,dc=example,dc=local`.
//!
//! The string form is RFC 4514's (`,` between RDNs, `\,` `\+` `\"` `\\`
//! `\<` `\>` `\;` `\=` `\#` and `\XX` hex escapes, `"…"` quoted values);
//! multi-valued RDNs (`+`) are kept as one opaque value.

use std::fmt;

/// Why a string is not a DN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DnError {
    /// An RDN without `=` between attribute type and value (the whole DN string).
    #[error("`{0}`: an RDN has no `=`")]
    NoEquals(String),
    /// An RDN such as `=Users` whose attribute type is empty (the whole DN string).
    #[error("`{0}`: an RDN has an empty attribute type")]
    EmptyType(String),
    /// A `\` not followed by a special character or two hex digits, or hex
    /// escapes that do not decode to UTF-8 (the whole DN string).
    #[error("`{0}`: bad escape sequence")]
    BadEscape(String),
    /// A `"…"` quoted value without its closing quote (the whole DN string).
    #[error("`{0}`: unterminated quoted value")]
    Unterminated(String),
}

/// One relative distinguished name: attribute type and (unescaped) value as given.
#[derive(Clone, Debug)]
pub struct Rdn {
    /// The attribute type as written (`CN`, `cn`, `DC`, `OU`, …).
    pub attr: String,
    /// The value with escapes and quotes removed.
    pub value: String,
}

/// A parsed DN, most specific RDN first. The empty DN is the root (the RootDSE,
/// or the GC's "phantom root").
#[derive(Clone, Debug, Default)]
pub struct Dn {
    rdns: Vec<Rdn>,
    /// Lower-cased `type=value` per RDN, for comparison.
    keys: Vec<String>,
}

impl PartialEq for Dn {
    fn eq(&self, other: &Self) -> bool {
        self.keys == other.keys
    }
}
impl Eq for Dn {}

impl std::hash::Hash for Dn {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.keys.hash(state)
    }
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

/// Splits `s` at unescaped, unquoted `sep`.
fn split_unescaped(s: &str, sep: char) -> Result<Vec<String>, DnError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push(c);
                match chars.next() {
                    Some(n) => cur.push(n),
                    None => return Err(DnError::BadEscape(s.to_string())),
                }
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c == sep && !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(DnError::Unterminated(s.to_string()));
    }
    out.push(cur);
    Ok(out)
}

fn hex_val(c: char) -> Option<u8> {
    c.to_digit(16).map(|d| d as u8)
}

/// Unescapes an RDN value (RFC 4514 §3), trimming unescaped outer spaces.
fn unescape(raw: &str, whole: &str) -> Result<String, DnError> {
    let t = raw.trim();
    if let Some(inner) = t.strip_prefix('"') {
        let inner = inner
            .strip_suffix('"')
            .ok_or_else(|| DnError::Unterminated(whole.to_string()))?;
        return unescape_inner(inner, whole);
    }
    // an escaped trailing space ("\ ") survives the trim above only partly
    let t = if raw.trim_end().ends_with('\\') {
        raw.trim_start()
    } else {
        t
    };
    unescape_inner(t, whole)
}

fn unescape_inner(t: &str, whole: &str) -> Result<String, DnError> {
    let mut bytes = Vec::with_capacity(t.len());
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut b = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
            continue;
        }
        let Some(n) = chars.next() else {
            return Err(DnError::BadEscape(whole.to_string()));
        };
        if let (Some(h), Some(l)) = (hex_val(n), chars.peek().copied().and_then(hex_val)) {
            chars.next();
            bytes.push(h * 16 + l);
        } else if " \"#+,;<=>\\".contains(n) {
            bytes.push(n as u8);
        } else {
            return Err(DnError::BadEscape(whole.to_string()));
        }
    }
    String::from_utf8(bytes).map_err(|_| DnError::BadEscape(whole.to_string()))
}

/// Escapes a value for the string form (RFC 4514 §2.4).
pub fn escape_value(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    let n = v.chars().count();
    for (i, c) in v.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\' | '=')
            || (i == 0 && (c == '#' || c == ' '))
            || (i + 1 == n && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl Dn {
    /// The root (empty) DN.
    pub fn root() -> Dn {
        Dn::default()
    }

    /// Parses a DN string; the empty (or all-blank) string is the root.
    pub fn parse(s: &str) -> Result<Dn, DnError> {
        if s.trim().is_empty() {
            return Ok(Dn::root());
        }
        let mut rdns = Vec::new();
        for part in split_unescaped(s, ',')? {
            let (attr, value) = match split_unescaped(&part, '=')?.as_slice() {
                [a, rest @ ..] if !rest.is_empty() => {
                    // values may contain further (multi-valued RDN) `=`
                    let value = part[a.len() + 1..].to_string();
                    (a.trim().to_string(), value)
                }
                _ => return Err(DnError::NoEquals(s.to_string())),
            };
            if attr.is_empty() {
                return Err(DnError::EmptyType(s.to_string()));
            }
            let value = unescape(&value, s)?;
            rdns.push(Rdn { attr, value });
        }
        Ok(Dn::from_rdns(rdns))
    }

    fn from_rdns(rdns: Vec<Rdn>) -> Dn {
        let keys = rdns
            .iter()
            .map(|r| format!("{}={}", fold(&r.attr), fold(&r.value)))
            .collect();
        Dn { rdns, keys }
    }

    /// Whether this is the empty DN: the RootDSE, or the GC's phantom root.
    pub fn is_root(&self) -> bool {
        self.rdns.is_empty()
    }

    /// Number of RDNs.
    pub fn len(&self) -> usize {
        self.rdns.len()
    }

    /// Whether the DN has no RDN (the same as [`Dn::is_root`]).
    pub fn is_empty(&self) -> bool {
        self.rdns.is_empty()
    }

    /// The RDNs, most specific first.
    pub fn rdns(&self) -> &[Rdn] {
        &self.rdns
    }

    /// The parent (None for the root).
    pub fn parent(&self) -> Option<Dn> {
        if self.rdns.is_empty() {
            None
        } else {
            Some(Dn::from_rdns(self.rdns[1..].to_vec()))
        }
    }

    /// True if `self` is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: &Dn) -> bool {
        let n = ancestor.keys.len();
        self.keys.len() >= n && self.keys[self.keys.len() - n..] == ancestor.keys[..]
    }

    /// True if `self` lies strictly below `ancestor`.
    pub fn is_below(&self, ancestor: &Dn) -> bool {
        self.keys.len() > ancestor.keys.len() && self.is_within(ancestor)
    }

    /// A comparison key: lower-cased, no whitespace (`cn=x,dc=y`).
    pub fn key(&self) -> String {
        self.keys.join(",")
    }

    /// The values of the `DC=` components, most specific first
    /// (`CN=bob,DC=One,DC=Two` → `["One", "Two"]`).
    pub fn dc_components(&self) -> Vec<&str> {
        self.rdns
            .iter()
            .filter(|r| r.attr.eq_ignore_ascii_case("dc"))
            .map(|r| r.value.as_str())
            .collect()
    }

    /// The value of the first RDN (`CN=Person,CN=Schema,…` → `Person`).
    pub fn first_value(&self) -> Option<&str> {
        self.rdns.first().map(|r| r.value.as_str())
    }

    /// A child DN `attr=value,self`.
    pub fn child(&self, attr: &str, value: &str) -> Dn {
        let mut rdns = vec![Rdn {
            attr: attr.to_string(),
            value: value.to_string(),
        }];
        rdns.extend(self.rdns.iter().cloned());
        Dn::from_rdns(rdns)
    }
}

/// The canonical string form: types as given, no whitespace after commas,
/// values escaped — how AD returns the DNs it stores.
impl fmt::Display for Dn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, r) in self.rdns.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{}={}", r.attr, escape_value(&r.value))?;
        }
        Ok(())
    }
}

/// `example.local` → `DC=example,DC=local`.
pub fn dns_to_dn(domain: &str) -> String {
    domain
        .split('.')
        .map(|l| format!("DC={}", escape_value(l)))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_and_case_do_not_matter() {
        let a = Dn::parse("CN=pcceadmin, CN=Users, DC=example, DC=local").unwrap();
        let b = Dn::parse("cn=PCCEADMIN,cn=users,dc=EXAMPLE,dc=local").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.to_string(), "CN=pcceadmin,CN=Users,DC=example,DC=local");
        assert_eq!(a.key(), "cn=pcceadmin,cn=users,dc=example,dc=local");
    }

    #[test]
    fn escapes_round_trip() {
        let d = Dn::parse(r"CN=Doe\, John,OU=A\2CB,DC=example,DC=local").unwrap();
        assert_eq!(d.rdns()[0].value, "Doe, John");
        assert_eq!(d.rdns()[1].value, "A,B");
        assert_eq!(d.to_string(), r"CN=Doe\, John,OU=A\,B,DC=example,DC=local");
        let q = Dn::parse(r#"CN="Doe, Jane",DC=x"#).unwrap();
        assert_eq!(q.rdns()[0].value, "Doe, Jane");
    }

    #[test]
    fn hierarchy() {
        let root = Dn::parse("DC=example,DC=local").unwrap();
        let u = Dn::parse("CN=a,CN=Users,DC=example,DC=local").unwrap();
        assert!(u.is_below(&root));
        assert!(u.is_within(&root));
        assert!(root.is_within(&root));
        assert!(!root.is_below(&root));
        assert!(!root.is_below(&u));
        assert!(root.is_below(&Dn::root()));
        assert_eq!(u.parent().unwrap().parent().unwrap(), root);
        assert_eq!(u.dc_components(), vec!["example", "local"]);
    }

    #[test]
    fn bad_names() {
        assert!(matches!(Dn::parse("garbage"), Err(DnError::NoEquals(_))));
        assert!(matches!(Dn::parse("=x"), Err(DnError::EmptyType(_))));
        assert!(matches!(Dn::parse(r"CN=a\"), Err(DnError::BadEscape(_))));
        assert!(Dn::parse("").unwrap().is_root());
        assert_eq!(dns_to_dn("example.local"), "DC=example,DC=local");
    }
}

//! `ccelab reproduce --redact`: the customer's names replaced consistently
//! with `example.*` values (RFC 2606's reserved `example.com`, `.net`,
//! `.org`), so a reproduction can be attached to a bug.
//!
//! What is replaced, everywhere (twins' names, SANs, CRL and AIA URLs,
//! store aliases, the topology, the scenario, the report, file names):
//! - each base domain (the last two labels, three under a two-letter
//!   country code's `co.`/`com.`/…) → `example.com`, `example.net`,
//!   `example.org`, then `dN.example.com`; the labels before it are kept;
//! - the base domain's own label (`northwind`) and the first word of each
//!   organisation (`O=`) → `example`, as a whole word, case kept;
//! - whole values: each organisation → `Example Org` (`Example Org N`),
//!   each locality and state → `Example City` / `Example State`, a `DC=`
//!   value that is a base domain's label or top-level domain → the
//!   replacement's.

use std::collections::BTreeSet;

use ccelab_emulators::pki::{Certificate, San};

/// A consistent rewrite of the customer's names.
#[derive(Clone, Debug, Default)]
pub struct Redactor {
    /// Whole values (exact) → replacement.
    whole: Vec<(String, String)>,
    /// Base domains → replacement, longest first.
    domains: Vec<(String, String)>,
    /// Words → `example` (case kept).
    words: Vec<String>,
}

/// The base domain of a DNS name (None: a single label).
fn base_domain(name: &str) -> Option<String> {
    let labels: Vec<&str> = name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
        .collect();
    if labels.len() < 2 {
        return None;
    }
    let n = labels.len();
    let cc_second = labels[n - 1].len() == 2 && labels[n - 2].len() <= 3 && n >= 3;
    let take = if cc_second { 3 } else { 2 };
    Some(labels[n - take..].join(".").to_ascii_lowercase())
}

fn hosts_in_urls(text: &str) -> Vec<String> {
    let re = regex::Regex::new(r"://([A-Za-z0-9.-]+)").expect("a valid pattern");
    re.captures_iter(text).map(|c| c[1].to_string()).collect()
}

/// `(attribute short name, value)` of a name's attributes (`CN`, `O`, `DC`…).
fn attributes(dn: &str) -> Vec<(String, String)> {
    // the RFC 4514 string ccelab prints: `CN=a, O=b\, c, DC=d`
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut esc = false;
    let mut parts = Vec::new();
    for ch in dn.chars() {
        match ch {
            '\\' if !esc => esc = true,
            ',' if !esc => parts.push(std::mem::take(&mut cur)),
            c => {
                esc = false;
                cur.push(c)
            }
        }
    }
    parts.push(cur);
    for p in parts {
        if let Some((k, v)) = p.trim().split_once('=') {
            out.push((k.trim().to_ascii_uppercase(), v.trim().to_string()));
        }
    }
    out
}

impl Redactor {
    /// The redactor of the customer's certificates and configuration values
    /// (`names`: FQDNs and host names from the configuration files).
    pub fn new(certs: &[Certificate], names: &[String]) -> Redactor {
        let mut dns: BTreeSet<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
        let mut orgs = BTreeSet::new();
        let mut places: BTreeSet<(String, String)> = BTreeSet::new();
        let mut dc_seqs = BTreeSet::new();
        for c in certs {
            for s in c.sans() {
                if let San::Dns(d) = s {
                    dns.insert(d.to_ascii_lowercase());
                }
            }
            for h in hosts_in_urls(&String::from_utf8_lossy(c.der())) {
                dns.insert(h.to_ascii_lowercase());
            }
            for dn in [c.subject_string(), c.issuer_string()] {
                let attrs = attributes(&dn);
                let dcs: Vec<String> = attrs
                    .iter()
                    .filter(|(k, _)| k == "DC")
                    .map(|(_, v)| v.to_ascii_lowercase())
                    .collect();
                if dcs.len() >= 2 {
                    dc_seqs.insert(dcs.join("."));
                }
                for (k, v) in attrs {
                    match k.as_str() {
                        "CN" if v.contains('.') && !v.contains(' ') => {
                            dns.insert(v.to_ascii_lowercase());
                        }
                        "O" => {
                            orgs.insert(v);
                        }
                        "L" | "ST" => {
                            places.insert((k, v));
                        }
                        _ => {}
                    }
                }
            }
        }
        dns.extend(dc_seqs);
        let bases: BTreeSet<String> = dns
            .iter()
            .filter(|d| d.contains('.'))
            .filter_map(|d| base_domain(d))
            .collect();
        let mut r = Redactor::default();
        for (i, b) in bases.iter().enumerate() {
            let to = match i {
                0 => "example.com".to_string(),
                1 => "example.net".to_string(),
                2 => "example.org".to_string(),
                n => format!("d{}.example.com", n + 1),
            };
            let (label, tld) = b.split_once('.').unwrap_or((b.as_str(), ""));
            let (to_label, to_tld) = to.rsplit_once('.').unwrap_or((to.as_str(), ""));
            r.whole.push((
                label.to_string(),
                to_label.rsplit('.').next().unwrap_or("example").to_string(),
            ));
            if !tld.contains('.') {
                r.whole.push((tld.to_string(), to_tld.to_string()));
            }
            if label.len() >= 3 {
                r.words.push(label.to_string());
            }
            r.domains.push((b.clone(), to));
        }
        for (i, o) in orgs.iter().enumerate() {
            let to = if i == 0 {
                "Example Org".to_string()
            } else {
                format!("Example Org {}", i + 1)
            };
            r.whole.push((o.clone(), to));
            if let Some(w) = o.split(|c: char| !c.is_alphanumeric()).next() {
                if w.len() >= 4 && !r.words.iter().any(|x| x.eq_ignore_ascii_case(w)) {
                    r.words.push(w.to_ascii_lowercase());
                }
            }
        }
        for (k, v) in places {
            let to = if k == "L" {
                "Example City"
            } else {
                "Example State"
            };
            r.whole.push((v, to.to_string()));
        }
        r.domains.sort_by_key(|(d, _)| std::cmp::Reverse(d.len()));
        r
    }

    /// `s` redacted: a whole value mapped as such, else each organisation,
    /// locality and state inside it, each domain and each word.
    pub fn apply(&self, s: &str) -> String {
        if let Some((_, to)) = self.whole.iter().find(|(from, _)| from == s) {
            return to.clone();
        }
        let mut out = s.to_string();
        for (from, to) in &self.whole {
            // multi-letter values inside a text (not DC labels: those are words)
            if from.len() >= 4 && from.contains(|c: char| c == ' ' || c.is_uppercase()) {
                out = out.replace(from.as_str(), to);
            }
        }
        for (from, to) in &self.whole {
            // `DC=label` in a name or an LDAP URL, for a base domain's labels
            if !from.contains(' ') {
                out = replace_words(&out, &format!("dc={from}"), |_| format!("DC={to}"));
            }
        }
        for (from, to) in &self.domains {
            out = replace_words(&out, from, |_| to.clone());
        }
        for w in &self.words {
            out = replace_words(&out, w, |m| {
                if m.chars().all(|ch| !ch.is_lowercase()) {
                    "EXAMPLE".to_string()
                } else if m.chars().next().is_some_and(char::is_uppercase) {
                    "Example".to_string()
                } else {
                    "example".to_string()
                }
            });
        }
        out
    }
}

/// `text` with every ASCII-case-insensitive occurrence of `word` that is
/// not inside a longer run of letters and digits (`_`, `%`, `.`, `-` bound
/// it, as in URLs and host names) replaced by `to(match)`.
fn replace_words(text: &str, word: &str, to: impl Fn(&str) -> String) -> String {
    if word.is_empty() {
        return text.to_string();
    }
    let lower = text.to_ascii_lowercase();
    let w = word.to_ascii_lowercase();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(at) = lower[i..].find(&w).map(|k| k + i) {
        let end = at + w.len();
        let before = at.checked_sub(1).map(|b| bytes[b]);
        let after = bytes.get(end).copied();
        let bounded = !before.is_some_and(|b| b.is_ascii_alphanumeric())
            && !after.is_some_and(|b| b.is_ascii_alphanumeric());
        out.push_str(&text[i..at]);
        if bounded {
            out.push_str(&to(&text[at..end]));
        } else {
            out.push_str(&text[at..end]);
        }
        i = end;
    }
    out.push_str(&text[i..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_domains_and_attributes() {
        assert_eq!(
            base_domain("ece.corp.northwind.test").as_deref(),
            Some("northwind.test")
        );
        assert_eq!(base_domain("ece.acme.co.jp").as_deref(), Some("acme.co.jp"));
        assert_eq!(base_domain("ece01"), None);
        assert_eq!(
            attributes("CN=a, O=Fabrikam\\, Inc., DC=corp"),
            vec![
                ("CN".into(), "a".into()),
                ("O".into(), "Fabrikam, Inc.".into()),
                ("DC".into(), "corp".into())
            ]
        );
    }

    #[test]
    fn texts_are_rewritten_consistently() {
        let r = Redactor {
            whole: vec![
                ("northwind".into(), "example".into()),
                ("test".into(), "com".into()),
                ("Northwind Traders".into(), "Example Org".into()),
                ("Seattle".into(), "Example City".into()),
            ],
            domains: vec![("northwind.test".into(), "example.com".into())],
            words: vec!["northwind".into()],
        };
        assert_eq!(r.apply("test"), "com");
        assert_eq!(r.apply("Northwind Traders"), "Example Org");
        assert_eq!(r.apply("ece.corp.NORTHWIND.test"), "ece.corp.example.com");
        assert_eq!(
            r.apply("CN=Northwind Root CA, O=Northwind Traders, L=Seattle"),
            "CN=Example Root CA, O=Example Org, L=Example City"
        );
        assert_eq!(
            r.apply("http://pki.corp.northwind.test/CertEnroll/NORTHWIND-CA.crl"),
            "http://pki.corp.example.com/CertEnroll/EXAMPLE-CA.crl"
        );
        assert_eq!(r.apply("a test of northwindy"), "a test of northwindy");
        assert_eq!(
            r.apply("ldap:///CN=X,DC=corp,DC=northwind,DC=test?base NW.corp.northwind.test_Northwind%20Root.crt"),
            "ldap:///CN=X,DC=corp,DC=example,DC=com?base NW.corp.example.com_Example%20Root.crt"
        );
    }
}

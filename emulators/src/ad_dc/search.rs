//! Search as a domain controller (389/636) and a global catalog (3268/3269)
//! answer it: scopes, every filter type, attribute selection, size limits,
//! paging, continuation references to the other naming contexts (DC) or
//! the whole forest with only the partial attribute set (GC), referrals and
//! noSuchObject for bases outside what the server holds, and the RootDSE.
//! Texts and rules: docs/research/active-directory-ldap.md §4–§6, §8 and
//! [ECE] 2.2 / F5 (a DC answers a search at the domain root with
//! continuation references, which JNDI turns into `PartialResultException`;
//! a GC answers the same search with entries only).

use ldap3_proto::proto::{
    LdapFilter, LdapPartialAttribute, LdapResult, LdapResultCode, LdapSearchRequest,
    LdapSearchResultEntry, LdapSearchScope,
};
use time::OffsetDateTime;

use super::directory::{is_dn_attribute, Directory, Entry};
use super::dn::Dn;
use super::texts::{self, AdVersion};

/// How the port being served answers.
#[derive(Clone, Debug)]
pub(crate) struct SearchCtx {
    /// A global catalog port (3268/3269).
    pub gc: bool,
    /// `ldap` or `ldaps`: the scheme of continuation references (research §4:
    /// `ldaps://` on 636).
    pub scheme: &'static str,
    pub version: AdVersion,
    /// AD's MaxPageSize: a search without the paged-results control returns
    /// at most this many entries, then sizeLimitExceeded.
    pub max_page_size: usize,
    pub now: OffsetDateTime,
}

/// Everything a search sends: entries, then references, then the done message.
#[derive(Debug)]
pub(crate) struct SearchOutput {
    pub entries: Vec<LdapSearchResultEntry>,
    pub refs: Vec<String>,
    pub done: LdapResult,
    /// For a paged search: the cookie of the next page (empty when done).
    pub cookie: Option<Vec<u8>>,
}

pub(crate) fn result(code: LdapResultCode, matched: &str, message: String) -> LdapResult {
    LdapResult {
        code,
        matcheddn: matched.to_string(),
        message,
        referral: Vec::new(),
    }
}

fn failed(done: LdapResult) -> SearchOutput {
    SearchOutput {
        entries: Vec::new(),
        refs: Vec::new(),
        done,
        cookie: None,
    }
}

/// Three-valued filter results (RFC 4511 §4.5.1.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tri {
    True,
    False,
    Undefined,
}

impl From<bool> for Tri {
    fn from(b: bool) -> Tri {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }
}

/// `S-1-5-21-…` from a binary SID.
pub(crate) fn sid_string(b: &[u8]) -> Option<String> {
    if b.len() < 8 {
        return None;
    }
    let count = b[1] as usize;
    if b.len() != 8 + 4 * count {
        return None;
    }
    let auth = b[2..8].iter().fold(0u64, |a, &x| (a << 8) | x as u64);
    let mut s = format!("S-{}-{}", b[0], auth);
    for c in b[8..].chunks(4) {
        s.push_str(&format!(
            "-{}",
            u32::from_le_bytes([c[0], c[1], c[2], c[3]])
        ));
    }
    Some(s)
}

struct Eval<'a> {
    dir: &'a Directory,
    gc: bool,
}

impl Eval<'_> {
    fn visible(&self, attr: &str) -> bool {
        !self.gc || texts::in_gc(attr)
    }

    fn values<'e>(&self, e: &'e Entry, attr: &str) -> Option<&'e [Vec<u8>]> {
        if !self.visible(attr) {
            return None;
        }
        e.get(attr).map(|a| a.values.as_slice())
    }

    /// `(objectCategory=person)`: AD resolves a class name to the class's
    /// defaultObjectCategory.
    fn category_dn(&self, assertion: &str) -> Option<Dn> {
        if assertion.contains('=') {
            return Dn::parse(assertion).ok();
        }
        let schema = Dn::parse(self.dir.schema_dn()).ok()?;
        self.dir
            .entries()
            .iter()
            .filter(|e| e.parsed_dn().parent().as_ref() == Some(&schema))
            .find(|e| {
                e.texts("lDAPDisplayName")
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case(assertion))
            })
            .and_then(|e| e.text("defaultObjectCategory"))
            .and_then(|d| Dn::parse(&d).ok())
    }

    fn equal(&self, attr: &str, stored: &[u8], assertion: &str) -> bool {
        if attr.eq_ignore_ascii_case("objectCategory") {
            if let (Some(want), Ok(have)) = (
                self.category_dn(assertion),
                Dn::parse(&String::from_utf8_lossy(stored)),
            ) {
                return want == have;
            }
        }
        if attr.eq_ignore_ascii_case("objectSid") && assertion.starts_with("S-") {
            return sid_string(stored).is_some_and(|s| s.eq_ignore_ascii_case(assertion));
        }
        let Ok(s) = std::str::from_utf8(stored) else {
            return stored == assertion.as_bytes();
        };
        if is_dn_attribute(attr) {
            if let (Ok(a), Ok(b)) = (Dn::parse(s), Dn::parse(assertion)) {
                return a == b;
            }
        }
        s.to_lowercase() == assertion.to_lowercase()
    }

    fn order(stored: &[u8], assertion: &str) -> Option<std::cmp::Ordering> {
        let s = std::str::from_utf8(stored).ok()?;
        if let (Ok(a), Ok(b)) = (s.trim().parse::<i64>(), assertion.trim().parse::<i64>()) {
            return Some(a.cmp(&b));
        }
        Some(s.to_lowercase().cmp(&assertion.to_lowercase()))
    }

    /// Transitive `memberOf` of entry `e` (LDAP_MATCHING_RULE_IN_CHAIN).
    fn in_chain(&self, e: &Entry, attr: &str, target: &Dn) -> bool {
        let mut seen = std::collections::HashSet::new();
        let mut todo = vec![e.parsed_dn().clone()];
        while let Some(d) = todo.pop() {
            if !seen.insert(d.key()) {
                continue;
            }
            let Some(cur) = self.dir.entry_by_dn(&d) else {
                continue;
            };
            for v in self.values(cur, attr).unwrap_or_default() {
                if let Ok(next) = Dn::parse(&String::from_utf8_lossy(v)) {
                    if &next == target {
                        return true;
                    }
                    todo.push(next);
                }
            }
        }
        false
    }

    fn eval(&self, f: &LdapFilter, e: &Entry) -> Tri {
        match f {
            LdapFilter::And(fs) => {
                let mut out = Tri::True;
                for x in fs {
                    match self.eval(x, e) {
                        Tri::False => return Tri::False,
                        Tri::Undefined => out = Tri::Undefined,
                        Tri::True => {}
                    }
                }
                out
            }
            LdapFilter::Or(fs) => {
                let mut out = Tri::False;
                for x in fs {
                    match self.eval(x, e) {
                        Tri::True => return Tri::True,
                        Tri::Undefined => out = Tri::Undefined,
                        Tri::False => {}
                    }
                }
                out
            }
            LdapFilter::Not(x) => match self.eval(x, e) {
                Tri::True => Tri::False,
                Tri::False => Tri::True,
                Tri::Undefined => Tri::Undefined,
            },
            LdapFilter::Present(a) => {
                if a.eq_ignore_ascii_case("objectClass") {
                    return Tri::True;
                }
                self.values(e, a).is_some_and(|v| !v.is_empty()).into()
            }
            LdapFilter::Equality(a, v) | LdapFilter::Approx(a, v) => self
                .values(e, a)
                .is_some_and(|vs| vs.iter().any(|s| self.equal(a, s, v)))
                .into(),
            LdapFilter::GreaterOrEqual(a, v) => self
                .values(e, a)
                .is_some_and(|vs| {
                    vs.iter()
                        .any(|s| Self::order(s, v).is_some_and(|o| o.is_ge()))
                })
                .into(),
            LdapFilter::LessOrEqual(a, v) => self
                .values(e, a)
                .is_some_and(|vs| {
                    vs.iter()
                        .any(|s| Self::order(s, v).is_some_and(|o| o.is_le()))
                })
                .into(),
            LdapFilter::Substring(a, sub) => {
                let Some(vs) = self.values(e, a) else {
                    return Tri::False;
                };
                let lc = |s: &str| s.to_lowercase();
                vs.iter()
                    .any(|s| {
                        let Ok(s) = std::str::from_utf8(s) else {
                            return false;
                        };
                        let s = lc(s);
                        let mut rest: &str = &s;
                        if let Some(i) = &sub.initial {
                            match rest.strip_prefix(lc(i).as_str()) {
                                Some(r) => rest = r,
                                None => return false,
                            }
                        }
                        for any in &sub.any {
                            let any = lc(any);
                            match rest.find(any.as_str()) {
                                Some(p) => rest = &rest[p + any.len()..],
                                None => return false,
                            }
                        }
                        match &sub.final_ {
                            Some(fin) => rest.ends_with(lc(fin).as_str()),
                            None => true,
                        }
                    })
                    .into()
            }
            LdapFilter::Extensible(m) => {
                let attr = m.type_.as_deref();
                match (m.matching_rule.as_deref(), attr) {
                    // LDAP_MATCHING_RULE_BIT_AND / BIT_OR (MS-ADTS 3.1.1.3.4.4)
                    (
                        Some(rule @ ("1.2.840.113556.1.4.803" | "1.2.840.113556.1.4.804")),
                        Some(a),
                    ) => {
                        let Ok(want) = m.match_value.trim().parse::<i64>() else {
                            return Tri::Undefined;
                        };
                        let and = rule.ends_with("803");
                        self.values(e, a)
                            .is_some_and(|vs| {
                                vs.iter().any(|v| {
                                    std::str::from_utf8(v)
                                        .ok()
                                        .and_then(|s| s.trim().parse::<i64>().ok())
                                        .is_some_and(|have| {
                                            if and {
                                                have & want == want
                                            } else {
                                                have & want != 0
                                            }
                                        })
                                })
                            })
                            .into()
                    }
                    // LDAP_MATCHING_RULE_IN_CHAIN (transitive membership)
                    (Some("1.2.840.113556.1.4.1941"), Some(a)) => {
                        let Ok(target) = Dn::parse(&m.match_value) else {
                            return Tri::False;
                        };
                        if !self.visible(a) {
                            return Tri::False;
                        }
                        self.in_chain(e, a, &target).into()
                    }
                    (None, Some(a)) => {
                        let direct = self
                            .values(e, a)
                            .is_some_and(|vs| vs.iter().any(|s| self.equal(a, s, &m.match_value)));
                        let in_dn = m.dn_attributes
                            && e.parsed_dn().rdns().iter().any(|r| {
                                r.attr.eq_ignore_ascii_case(a)
                                    && r.value.to_lowercase() == m.match_value.to_lowercase()
                            });
                        (direct || in_dn).into()
                    }
                    // a rule AD does not implement, or no attribute type
                    _ => Tri::Undefined,
                }
            }
        }
    }
}

/// What attributes a request selects.
struct Selection {
    all_user: bool,
    names: Vec<String>,
}

impl Selection {
    fn new(attrs: &[String]) -> Selection {
        let names: Vec<String> = attrs
            .iter()
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty() && a != "1.1" && a != "+")
            .collect();
        // RFC 4511 §4.5.1.8: an empty list means all user attributes; "1.1"
        // alone none. AD does not implement RFC 3673's "+" (it does not
        // advertise feature 1.3.6.1.4.1.4203.1.5.1) and ignores it.
        let only_special = !attrs.is_empty() && names.is_empty();
        let all_user = (attrs.is_empty() || names.iter().any(|n| n == "*")) && !only_special;
        Selection { all_user, names }
    }

    fn wants(&self, name: &str) -> bool {
        self.all_user || self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    fn explicitly(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }
}

/// AD's `canonicalName` (constructed): `example.local/Users/pcceadmin`.
fn canonical_name(dir: &Directory, e: &Entry) -> Option<String> {
    let dn = e.parsed_dn();
    let part = dir.partition_of(dn)?;
    let dc: Vec<&str> = part.dn.dc_components();
    let mut out = dc.join(".");
    let extra = &dn.rdns()[..dn.len() - part.dn.len()];
    for r in extra.iter().rev() {
        out.push('/');
        out.push_str(&r.value.replace('/', "\\/"));
    }
    if extra.is_empty() {
        out.push('/');
    }
    Some(out)
}

fn entry_out(
    dir: &Directory,
    e: &Entry,
    sel: &Selection,
    types_only: bool,
    gc: bool,
) -> LdapSearchResultEntry {
    let mut attributes: Vec<LdapPartialAttribute> = e
        .attributes()
        .iter()
        .filter(|a| (!gc || texts::in_gc(&a.name)) && sel.wants(&a.name))
        .map(|a| LdapPartialAttribute {
            atype: a.name.clone(),
            vals: if types_only {
                Vec::new()
            } else {
                a.values.clone()
            },
        })
        .collect();
    // constructed attributes: only when asked for by name
    let mut constructed = |name: &str, value: Option<String>| {
        if sel.explicitly(name) {
            if let Some(v) = value {
                attributes.push(LdapPartialAttribute {
                    atype: name.to_string(),
                    vals: if types_only {
                        Vec::new()
                    } else {
                        vec![v.into_bytes()]
                    },
                });
            }
        }
    };
    constructed("canonicalName", canonical_name(dir, e));
    constructed("createTimeStamp", e.text("whenCreated"));
    constructed("modifyTimeStamp", e.text("whenChanged"));
    LdapSearchResultEntry {
        dn: e.dn().to_string(),
        attributes,
    }
}

/// The RootDSE attributes in AD's wire order (research §6). `supportedExtension`
/// is only returned when asked for by name.
fn root_dse_attrs(dir: &Directory, ctx: &SearchCtx) -> Vec<(&'static str, Vec<String>, bool)> {
    let domain_dn = dir.domain_dn().to_string();
    let server = dir.server_dn();
    let usn = 12_000 + dir.entries().len() as u64 * 7;
    let t = ctx.now;
    let now = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}.0Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    );
    let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        ("domainFunctionality", v(&["7"]), true),
        ("forestFunctionality", v(&["7"]), true),
        ("domainControllerFunctionality", v(&["7"]), true),
        ("rootDomainNamingContext", vec![domain_dn.clone()], true),
        (
            "ldapServiceName",
            vec![format!(
                "{}:{}$@{}",
                dir.domain(),
                dir.dc_host().to_lowercase(),
                dir.domain().to_uppercase()
            )],
            true,
        ),
        ("isGlobalCatalogReady", v(&["TRUE"]), true),
        (
            "supportedSASLMechanisms",
            v(&texts::SUPPORTED_SASL_MECHANISMS),
            true,
        ),
        ("supportedLDAPVersion", v(&["3", "2"]), true),
        (
            "supportedLDAPPolicies",
            v(&texts::SUPPORTED_LDAP_POLICIES),
            true,
        ),
        ("supportedControl", v(&texts::SUPPORTED_CONTROLS), true),
        ("supportedExtension", v(&texts::SUPPORTED_EXTENSIONS), false),
        (
            "supportedCapabilities",
            v(&texts::SUPPORTED_CAPABILITIES),
            true,
        ),
        (
            "subschemaSubentry",
            vec![format!("CN=Aggregate,{}", dir.schema_dn())],
            true,
        ),
        ("serverName", vec![server.clone()], true),
        (
            "schemaNamingContext",
            vec![dir.schema_dn().to_string()],
            true,
        ),
        (
            "namingContexts",
            dir.partitions()
                .iter()
                .map(|p| p.dn_string.clone())
                .collect(),
            true,
        ),
        ("isSynchronized", v(&["TRUE"]), true),
        ("highestCommittedUSN", vec![usn.to_string()], true),
        (
            "dsServiceName",
            vec![format!("CN=NTDS Settings,{server}")],
            true,
        ),
        ("dnsHostName", vec![dir.dc_fqdn()], true),
        ("defaultNamingContext", vec![domain_dn], true),
        ("currentTime", vec![now], true),
        (
            "configurationNamingContext",
            vec![dir.config_dn().to_string()],
            true,
        ),
    ]
}

fn root_dse(dir: &Directory, ctx: &SearchCtx, req: &LdapSearchRequest) -> SearchOutput {
    let sel = Selection::new(&req.attrs);
    let mut attributes = Vec::new();
    for (name, vals, by_default) in root_dse_attrs(dir, ctx) {
        let wanted = if by_default {
            sel.wants(name)
        } else {
            sel.explicitly(name)
        };
        if wanted {
            attributes.push(LdapPartialAttribute {
                atype: name.to_string(),
                vals: if req.typesonly {
                    Vec::new()
                } else {
                    vals.into_iter().map(String::into_bytes).collect()
                },
            });
        }
    }
    SearchOutput {
        entries: vec![LdapSearchResultEntry {
            dn: String::new(),
            attributes,
        }],
        refs: Vec::new(),
        done: result(LdapResultCode::Success, "", String::new()),
        cookie: None,
    }
}

/// A one-level or subtree search from the empty base on a DC (not a GC):
/// name resolution fails before the anonymous-operations check, so AD
/// answers 32 even to an anonymous connection (research §11).
pub(crate) fn is_search_from_root(req: &LdapSearchRequest, gc: bool) -> bool {
    !gc && req.scope != LdapSearchScope::Base && Dn::parse(&req.base).is_ok_and(|b| b.is_root())
}

/// True if the request is a RootDSE read (base "" with base scope), which
/// AD allows anonymously (research §2, §6).
pub(crate) fn is_root_dse_read(req: &LdapSearchRequest) -> bool {
    req.scope == LdapSearchScope::Base && req.base.trim().is_empty()
}

/// The answer for a base that no held naming context contains (MS-ADTS
/// 3.1.1.4.6, KB817872, research §5): a referral to the crossRef's dnsRoot
/// when one matches, else to the DNS name made of the base's DC components;
/// noSuchObject when the base has none.
fn outside(dir: &Directory, base: &Dn, base_text: &str) -> LdapResult {
    let host = match dir.partition_of(base) {
        Some(p) => Some(p.dns_root.clone()),
        None => {
            let dc = base.dc_components();
            (!dc.is_empty()).then(|| dc.join("."))
        }
    };
    match host {
        Some(h) => LdapResult {
            code: LdapResultCode::Referral,
            matcheddn: String::new(),
            message: texts::referral(&h),
            referral: vec![format!("ldap://{h}/{}", base_text.trim())],
        },
        None => result(LdapResultCode::NoSuchObject, "", texts::no_such_object("")),
    }
}

fn in_scope(dn: &Dn, base: &Dn, scope: &LdapSearchScope) -> bool {
    match scope {
        LdapSearchScope::Base => dn == base,
        LdapSearchScope::OneLevel => dn.parent().as_ref() == Some(base),
        LdapSearchScope::Subtree => dn.is_within(base),
        LdapSearchScope::Children => dn.is_below(base),
    }
}

/// A paging cookie: the offset and a digest of the request it belongs to.
fn cookie_for(req: &LdapSearchRequest, offset: usize) -> Vec<u8> {
    use sha2::Digest;
    let h = sha2::Sha256::digest(format!(
        "{}|{:?}|{:?}",
        req.base.to_lowercase(),
        req.scope,
        req.filter
    ));
    let mut c = (offset as u32).to_be_bytes().to_vec();
    c.extend_from_slice(&h[..8]);
    c
}

fn offset_of(req: &LdapSearchRequest, cookie: &[u8]) -> Option<usize> {
    if cookie.is_empty() {
        return Some(0);
    }
    if cookie.len() != 12 {
        return None;
    }
    let off = u32::from_be_bytes([cookie[0], cookie[1], cookie[2], cookie[3]]) as usize;
    (cookie_for(req, off) == cookie).then_some(off)
}

/// Runs a search. `page`: the paged-results control's (size, cookie).
pub(crate) fn search(
    dir: &Directory,
    ctx: &SearchCtx,
    req: &LdapSearchRequest,
    page: Option<(i64, &[u8])>,
) -> SearchOutput {
    if is_root_dse_read(req) {
        return root_dse(dir, ctx, req);
    }
    let Ok(base) = Dn::parse(&req.base) else {
        return failed(result(
            LdapResultCode::InvalidDNSyntax,
            "",
            texts::invalid_dn_syntax(ctx.version),
        ));
    };
    let eval = Eval { dir, gc: ctx.gc };
    let mut refs = Vec::new();
    let candidates: Vec<&Entry> = if base.is_root() {
        if !ctx.gc {
            // a NULL base with one-level/subtree scope fails on a DC (research §11)
            return failed(result(
                LdapResultCode::NoSuchObject,
                "",
                texts::no_such_object_at_root(ctx.version),
            ));
        }
        // the GC's phantom root: the whole forest it holds
        dir.entries()
            .iter()
            .filter(|e| {
                dir.partition_of(e.parsed_dn())
                    .is_some_and(|p| p.kind.in_global_catalog())
            })
            .filter(|e| match req.scope {
                LdapSearchScope::OneLevel => e
                    .parsed_dn()
                    .parent()
                    .is_none_or(|p| dir.entry_by_dn(&p).is_none()),
                _ => true,
            })
            .collect()
    } else {
        let Some(part) = dir.partition_of(&base) else {
            return failed(outside(dir, &base, &req.base));
        };
        if ctx.gc && !part.kind.in_global_catalog() {
            return failed(outside(dir, &base, &req.base));
        }
        if dir.entry_by_dn(&base).is_none() {
            let mut best = base.parent();
            while let Some(b) = &best {
                if b.is_root() || dir.entry_by_dn(b).is_some() {
                    break;
                }
                best = b.parent();
            }
            let matched = best
                .and_then(|b| dir.entry_by_dn(&b).map(|e| e.dn().to_string()))
                .unwrap_or_default();
            return failed(result(
                LdapResultCode::NoSuchObject,
                &matched,
                texts::no_such_object(&matched),
            ));
        }
        if !ctx.gc && req.scope != LdapSearchScope::Base {
            // continuation references: the naming contexts directly subordinate
            // to the base's, inside the scope, in the order of the real capture
            // (ForestDnsZones, DomainDnsZones, Configuration — research §4)
            for q in dir.partitions().iter().rev() {
                if q.kind == part.kind || !q.dn.is_below(&base) {
                    continue;
                }
                let parent_nc =
                    q.dn.parent()
                        .and_then(|p| dir.partition_of(&p).map(|x| x.kind));
                if parent_nc != Some(part.kind) {
                    continue; // Schema sits below Configuration: no separate reference
                }
                if req.scope == LdapSearchScope::OneLevel && q.dn.parent().as_ref() != Some(&base) {
                    continue;
                }
                refs.push(format!("{}://{}/{}", ctx.scheme, q.dns_root, q.dn_string));
            }
        }
        dir.entries()
            .iter()
            .filter(|e| {
                let p = dir.partition_of(e.parsed_dn());
                if ctx.gc {
                    p.is_some_and(|p| p.kind.in_global_catalog())
                } else {
                    p.is_some_and(|p| p.kind == part.kind)
                }
            })
            .collect()
    };
    let matching: Vec<&Entry> = candidates
        .into_iter()
        .filter(|e| base.is_root() || in_scope(e.parsed_dn(), &base, &req.scope))
        .filter(|e| eval.eval(&req.filter, e) == Tri::True)
        .collect();
    let sel = Selection::new(&req.attrs);
    let client_limit = usize::try_from(req.sizelimit).ok().filter(|&n| n > 0);
    let (start, end, cookie) = match page {
        Some((size, c)) => {
            let Some(off) = offset_of(req, c) else {
                // **unverified**: AD's answer to a cookie it did not issue
                return failed(result(
                    LdapResultCode::UnwillingToPerform,
                    "",
                    String::new(),
                ));
            };
            let size = usize::try_from(size)
                .ok()
                .filter(|&n| n > 0)
                .unwrap_or(ctx.max_page_size);
            let size = size.min(ctx.max_page_size);
            let end = (off + size).min(matching.len());
            let next = if end < matching.len() {
                cookie_for(req, end)
            } else {
                Vec::new()
            };
            (off.min(matching.len()), end, Some(next))
        }
        None => (0, matching.len(), None),
    };
    let mut limit = end - start;
    let mut exceeded = false;
    if cookie.is_none() && limit > ctx.max_page_size {
        limit = ctx.max_page_size;
        exceeded = true;
    }
    if let Some(n) = client_limit {
        let left = n.saturating_sub(start);
        if limit > left {
            limit = left;
            exceeded = true;
        }
    }
    let entries = matching[start..start + limit]
        .iter()
        .map(|e| entry_out(dir, e, &sel, req.typesonly, ctx.gc))
        .collect();
    let last_page = cookie.as_ref().is_none_or(|c| c.is_empty());
    if exceeded || !last_page {
        refs.clear();
    }
    let done = if exceeded {
        // **unverified**: AD's text for sizeLimitExceeded (none captured); empty
        result(LdapResultCode::SizeLimitExceeded, "", String::new())
    } else {
        result(LdapResultCode::Success, "", String::new())
    };
    SearchOutput {
        entries,
        refs,
        done,
        cookie: if exceeded {
            Some(Vec::new()).filter(|_| cookie.is_some())
        } else {
            cookie
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ldap3_proto::proto::LdapDerefAliases;

    fn ctx(gc: bool) -> SearchCtx {
        SearchCtx {
            gc,
            scheme: "ldap",
            version: AdVersion::Ws2019,
            max_page_size: 1000,
            now: OffsetDateTime::UNIX_EPOCH,
        }
    }

    fn req(base: &str, scope: LdapSearchScope, filter: &str, attrs: &[&str]) -> LdapSearchRequest {
        LdapSearchRequest {
            base: base.into(),
            scope,
            aliases: LdapDerefAliases::Never,
            sizelimit: 0,
            timelimit: 0,
            typesonly: false,
            filter: ldap3_proto::parse_ldap_filter_str(filter).unwrap(),
            attrs: attrs.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn dns(o: &SearchOutput) -> Vec<String> {
        o.entries.iter().map(|e| e.dn.clone()).collect()
    }

    #[test]
    fn dc_subtree_at_domain_root_gives_references() {
        let d = Directory::example_local();
        let o = search(
            &d,
            &ctx(false),
            &req(
                "DC=example,DC=local",
                LdapSearchScope::Subtree,
                "(sAMAccountName=pcceadmin)",
                &["cn"],
            ),
            None,
        );
        assert_eq!(dns(&o), vec!["CN=pcceadmin,CN=Users,DC=example,DC=local"]);
        assert_eq!(
            o.refs,
            vec![
                "ldap://ForestDnsZones.example.local/DC=ForestDnsZones,DC=example,DC=local",
                "ldap://DomainDnsZones.example.local/DC=DomainDnsZones,DC=example,DC=local",
                "ldap://example.local/CN=Configuration,DC=example,DC=local",
            ]
        );
        assert_eq!(o.done.code, LdapResultCode::Success);
        // configuration objects are not in the domain NC
        let o = search(
            &d,
            &ctx(false),
            &req(
                "DC=example,DC=local",
                LdapSearchScope::Subtree,
                "(objectClass=crossRef)",
                &[],
            ),
            None,
        );
        assert!(o.entries.is_empty());
        // the configuration NC refers to the schema NC
        let o = search(
            &d,
            &ctx(false),
            &req(
                d.config_dn(),
                LdapSearchScope::Subtree,
                "(objectClass=crossRef)",
                &["cn"],
            ),
            None,
        );
        assert_eq!(o.entries.len(), 5);
        assert_eq!(
            o.refs,
            vec!["ldap://example.local/CN=Schema,CN=Configuration,DC=example,DC=local"]
        );
    }

    #[test]
    fn gc_answers_the_forest_with_the_pas_only() {
        let d = Directory::example_local();
        let o = search(
            &d,
            &ctx(true),
            &req(
                "",
                LdapSearchScope::Subtree,
                "(userPrincipalName=pcceadmin@example.local)",
                &[],
            ),
            None,
        );
        assert_eq!(dns(&o), vec!["CN=pcceadmin,CN=Users,DC=example,DC=local"]);
        assert!(o.refs.is_empty());
        let names: Vec<&str> = o.entries[0]
            .attributes
            .iter()
            .map(|a| a.atype.as_str())
            .collect();
        assert!(
            names.contains(&"sAMAccountName") && names.contains(&"memberOf"),
            "{names:?}"
        );
        assert!(
            !names.contains(&"employeeID") && !names.contains(&"department"),
            "{names:?}"
        );
        // not matched either
        let o = search(
            &d,
            &ctx(true),
            &req("", LdapSearchScope::Subtree, "(employeeID=E0001)", &[]),
            None,
        );
        assert!(o.entries.is_empty());
        let o = search(
            &d,
            &ctx(false),
            &req(
                "CN=Users,DC=example,DC=local",
                LdapSearchScope::Subtree,
                "(employeeID=E0001)",
                &["employeeID"],
            ),
            None,
        );
        assert_eq!(o.entries.len(), 1);
        // configuration objects through the GC
        let o = search(
            &d,
            &ctx(true),
            &req(
                "",
                LdapSearchScope::Subtree,
                "(objectClass=crossRef)",
                &["cn"],
            ),
            None,
        );
        assert_eq!(o.entries.len(), 5);
        // and at the domain root: no references
        let o = search(
            &d,
            &ctx(true),
            &req(
                "DC=example,DC=local",
                LdapSearchScope::Subtree,
                "(objectCategory=person)",
                &["cn"],
            ),
            None,
        );
        assert!(o.refs.is_empty());
        assert_eq!(o.entries.len(), 10, "{:?}", dns(&o)); // the DC's computer object is a Computer, not a Person
    }

    #[test]
    fn outside_and_missing_bases() {
        let d = Directory::example_local();
        let o = search(
            &d,
            &ctx(false),
            &req(
                "DC=example,DC=com",
                LdapSearchScope::Subtree,
                "(objectClass=*)",
                &[],
            ),
            None,
        );
        assert_eq!(o.done.code, LdapResultCode::Referral);
        assert_eq!(
            o.done.referral,
            vec!["ldap://example.com/DC=example,DC=com"]
        );
        assert_eq!(
            o.done.message,
            "0000202B: RefErr: DSID-0310082F, data 0, 1 access points\n\tref 1: 'example.com'\n\0"
        );
        let o = search(
            &d,
            &ctx(false),
            &req(
                "CN=nobody,CN=Users,DC=example,DC=local",
                LdapSearchScope::Base,
                "(objectClass=*)",
                &[],
            ),
            None,
        );
        assert_eq!(o.done.code, LdapResultCode::NoSuchObject);
        assert_eq!(o.done.matcheddn, "CN=Users,DC=example,DC=local");
        assert!(o
            .done
            .message
            .ends_with("best match of:\n\t'CN=Users,DC=example,DC=local'\n\0"));
        let o = search(
            &d,
            &ctx(false),
            &req(
                "O=nothing",
                LdapSearchScope::Subtree,
                "(objectClass=*)",
                &[],
            ),
            None,
        );
        assert_eq!(o.done.code, LdapResultCode::NoSuchObject);
        assert_eq!(o.done.matcheddn, "");
        let o = search(
            &d,
            &ctx(false),
            &req("", LdapSearchScope::Subtree, "(objectClass=*)", &[]),
            None,
        );
        assert_eq!(o.done.code, LdapResultCode::NoSuchObject);
        let o = search(
            &d,
            &ctx(true),
            &req(
                "DC=DomainDnsZones,DC=example,DC=local",
                LdapSearchScope::Subtree,
                "(objectClass=*)",
                &[],
            ),
            None,
        );
        assert_eq!(o.done.code, LdapResultCode::Referral);
        let o = search(
            &d,
            &ctx(false),
            &req("garbage", LdapSearchScope::Subtree, "(objectClass=*)", &[]),
            None,
        );
        assert_eq!(o.done.code, LdapResultCode::InvalidDNSyntax);
    }

    #[test]
    fn filters() {
        let d = Directory::example_local();
        let n = |f: &str| {
            search(
                &d,
                &ctx(false),
                &req("DC=example,DC=local", LdapSearchScope::Subtree, f, &["1.1"]),
                None,
            )
            .entries
            .len()
        };
        assert_eq!(
            n("(&(objectCategory=person)(objectClass=user)(sn=Agent))"),
            3
        );
        assert_eq!(n("(|(sAMAccountName=aagent)(sAMAccountName=BAGENT))"), 2);
        // Administrator, Guest, krbtgt, pcceadmin, aadmin and the supervisors
        assert_eq!(n("(&(objectCategory=user)(!(sn=Agent)))"), 7);
        assert_eq!(n("(displayName=*Super*)"), 2);
        assert_eq!(n("(displayName=S*Supervisor)"), 2);
        assert_eq!(
            n("(&(objectClass=user)(uSNCreated>=0)(primaryGroupID<=513))"),
            9 // not Guest (514) nor the DC (516)
        );
        assert_eq!(n("(cn~=\"alice agent\")"), 1);
        assert_eq!(n("(userAccountControl:1.2.840.113556.1.4.803:=8192)"), 1);
        assert_eq!(n("(groupType:1.2.840.113556.1.4.804:=8)"), 2);
        assert_eq!(
            n("(memberOf=\"CN=PCCE Agents, CN=Users, DC=example, DC=local\")"),
            3
        );
        assert_eq!(n("(memberOf:1.2.840.113556.1.4.1941:=\"CN=PCCE Agents,CN=Users,DC=example,DC=local\")"), 3);
        assert_eq!(n("(ou:dn:=\"Domain Controllers\")"), 2);
        assert_eq!(n("(sn:1.2.3.4:=x)"), 0);
        let sid = search(
            &d,
            &ctx(false),
            &req(
                "CN=Administrator,CN=Users,DC=example,DC=local",
                LdapSearchScope::Base,
                "(objectClass=*)",
                &["objectSid"],
            ),
            None,
        );
        let s = sid_string(&sid.entries[0].attributes[0].vals[0]).unwrap();
        assert!(s.starts_with("S-1-5-21-") && s.ends_with("-500"), "{s}");
        assert_eq!(n(&format!("(objectSid={s})")), 1);
    }

    #[test]
    fn selection_limits_and_paging() {
        let d = Directory::example_local();
        let mut r = req(
            "CN=Users,DC=example,DC=local",
            LdapSearchScope::OneLevel,
            "(objectClass=user)",
            &["1.1"],
        );
        let o = search(&d, &ctx(false), &r, None);
        assert_eq!(o.entries.len(), 10); // with Guest and krbtgt
        assert!(o.entries.iter().all(|e| e.attributes.is_empty()));
        r.sizelimit = 3;
        let o = search(&d, &ctx(false), &r, None);
        assert_eq!(o.entries.len(), 3);
        assert_eq!(o.done.code, LdapResultCode::SizeLimitExceeded);
        r.sizelimit = 0;
        r.attrs = vec!["SAMACCOUNTNAME".into(), "canonicalName".into()];
        r.typesonly = true;
        let o = search(&d, &ctx(false), &r, None);
        let a = &o.entries[1].attributes;
        assert_eq!(a[0].atype, "sAMAccountName");
        assert!(a[0].vals.is_empty());
        assert_eq!(a[1].atype, "canonicalName");
        r.typesonly = false;
        let mut c = ctx(false);
        c.max_page_size = 5;
        let o = search(&d, &c, &r, None);
        assert_eq!(
            (o.entries.len(), o.done.code.clone()),
            (5, LdapResultCode::SizeLimitExceeded)
        );
        let mut got = Vec::new();
        let mut cookie = Vec::new();
        loop {
            let o = search(&d, &c, &r, Some((3, &cookie)));
            got.extend(dns(&o));
            cookie = o.cookie.unwrap();
            if cookie.is_empty() {
                break;
            }
        }
        assert_eq!(got.len(), 10);
        let o = search(&d, &c, &r, Some((3, b"forged-cookie")));
        assert_eq!(o.done.code, LdapResultCode::UnwillingToPerform);
    }

    #[test]
    fn root_dse_order_and_selection() {
        let d = Directory::example_local();
        let o = search(
            &d,
            &ctx(false),
            &req("", LdapSearchScope::Base, "(objectClass=*)", &[]),
            None,
        );
        let names: Vec<&str> = o.entries[0]
            .attributes
            .iter()
            .map(|a| a.atype.as_str())
            .collect();
        assert_eq!(names.first(), Some(&"domainFunctionality"));
        assert_eq!(names.last(), Some(&"configurationNamingContext"));
        assert!(!names.contains(&"supportedExtension"));
        let o = search(
            &d,
            &ctx(false),
            &req(
                "",
                LdapSearchScope::Base,
                "(objectClass=*)",
                &[
                    "supportedExtension",
                    "defaultNamingContext",
                    "namingContexts",
                ],
            ),
            None,
        );
        let names: Vec<&str> = o.entries[0]
            .attributes
            .iter()
            .map(|a| a.atype.as_str())
            .collect();
        assert_eq!(
            names,
            vec![
                "supportedExtension",
                "namingContexts",
                "defaultNamingContext"
            ]
        );
        assert_eq!(o.entries[0].attributes[1].vals.len(), 5);
    }
}

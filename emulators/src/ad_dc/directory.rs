//! The directory content of the emulated forest: entries (a DN and
//! multi-valued, case-insensitively named attributes), the five naming
//! contexts of a forest root domain, the accounts that can bind (passwords
//! and per-user bind faults, held beside the entries and never returned as
//! attributes), and an LDIF loader.
//!
//! [`Directory::example`] builds the forest of docs/requirements.md §1 / [ECE]
//! 2.1–2.2: domain `example.local` (NetBIOS `EXAMPLE`), GC/DC host
//! `gcdcsrv01.example.local`, the bind account `CN=pcceadmin,CN=Users,DC=example,DC=local`
//! whose `userPrincipalName` is the DN attribute ECE searches by, and a
//! handful of administrators, supervisors and agents.

use std::collections::HashMap;

use base64::Engine;
use sha2::Digest;

use super::dn::{dns_to_dn, Dn, DnError};

/// The password [`Directory::example`] gives every account (the same default
/// as the ECE `pa`/`sa` accounts of ccelab's presets).
pub const EXAMPLE_PASSWORD: &str = "Password1";

/// One attribute of an entry: its name as stored (AD's lDAPDisplayName
/// casing, e.g. `sAMAccountName`) and its values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute's name as stored; look-ups ignore case.
    pub name: String,
    /// The values as raw bytes (text is UTF-8; `objectGUID` and `objectSid`
    /// are binary), in the order stored.
    pub values: Vec<Vec<u8>>,
}

/// One directory object.
#[derive(Clone, Debug)]
pub struct Entry {
    dn: Dn,
    dn_string: String,
    attrs: Vec<Attribute>,
}

impl Entry {
    /// The DN as AD returns it (`CN=pcceadmin,CN=Users,DC=example,DC=local`).
    pub fn dn(&self) -> &str {
        &self.dn_string
    }

    /// The DN parsed, for comparisons (case- and whitespace-insensitive).
    pub fn parsed_dn(&self) -> &Dn {
        &self.dn
    }

    /// Every attribute of the entry, in the order stored.
    pub fn attributes(&self) -> &[Attribute] {
        &self.attrs
    }

    /// The attribute named `name` (case-insensitive).
    pub fn get(&self, name: &str) -> Option<&Attribute> {
        self.attrs
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name))
    }

    /// The values of `name` as text (lossy for binary values).
    pub fn texts(&self, name: &str) -> Vec<String> {
        self.get(name)
            .map(|a| {
                a.values
                    .iter()
                    .map(|v| String::from_utf8_lossy(v).into_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first value of `name` as text.
    pub fn text(&self, name: &str) -> Option<String> {
        self.texts(name).into_iter().next()
    }

    /// True if `objectClass` has `class` (case-insensitive).
    pub fn has_class(&self, class: &str) -> bool {
        self.texts("objectClass")
            .iter()
            .any(|c| c.eq_ignore_ascii_case(class))
    }

    fn add_value(&mut self, name: &str, value: Vec<u8>) {
        match self
            .attrs
            .iter_mut()
            .find(|a| a.name.eq_ignore_ascii_case(name))
        {
            Some(a) => {
                let dup = a.values.iter().any(|v| {
                    v == &value
                        || std::str::from_utf8(v)
                            .ok()
                            .zip(std::str::from_utf8(&value).ok())
                            .is_some_and(|(x, y)| x.to_lowercase() == y.to_lowercase())
                });
                if !dup {
                    a.values.push(value);
                }
            }
            None => self.attrs.push(Attribute {
                name: name.to_string(),
                values: vec![value],
            }),
        }
    }

    fn set(&mut self, name: &str, values: Vec<Vec<u8>>) {
        match self
            .attrs
            .iter_mut()
            .find(|a| a.name.eq_ignore_ascii_case(name))
        {
            Some(a) => a.values = values,
            None => self.attrs.push(Attribute {
                name: name.to_string(),
                values,
            }),
        }
    }
}

/// The naming contexts of a forest root domain, in the order AD lists them
/// in `namingContexts` (docs/research/active-directory-ldap.md §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PartitionKind {
    /// The domain NC (`DC=example,DC=local`): users, groups, computers.
    Domain,
    /// The Configuration NC (`CN=Configuration,…`): sites, servers, crossRefs.
    Configuration,
    /// The Schema NC (`CN=Schema,CN=Configuration,…`).
    Schema,
    /// The DomainDnsZones application partition (`DC=DomainDnsZones,…`).
    DomainDnsZones,
    /// The ForestDnsZones application partition (`DC=ForestDnsZones,…`).
    ForestDnsZones,
}

impl PartitionKind {
    /// Held by a global catalog (3268/3269): the domain NCs (as partial
    /// replicas), Configuration and Schema; not the DNS application
    /// partitions (research §4, §8).
    pub fn in_global_catalog(self) -> bool {
        !matches!(
            self,
            PartitionKind::DomainDnsZones | PartitionKind::ForestDnsZones
        )
    }
}

/// One naming context and where AD's continuation references point for it.
#[derive(Clone, Debug)]
pub struct Partition {
    /// Which naming context this is.
    pub kind: PartitionKind,
    /// The naming context's head DN, parsed.
    pub dn: Dn,
    /// `DC=example,DC=local`, `CN=Configuration,DC=example,DC=local`, …
    pub dn_string: String,
    /// The crossRef's `dnsRoot`: the host of continuation references and
    /// referrals — `ForestDnsZones.example.local`, `DomainDnsZones.example.local`,
    /// and the forest root domain's name for the others (research §4, MS-ADTS 3.1.1.4.7).
    pub dns_root: String,
}

/// A reason a simple bind fails even though the account exists: the `data`
/// sub-code of `80090308 … AcceptSecurityContext error, data <code>`
/// (research §1; Win32 errors in hex).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BindFault {
    /// 525 ERROR_NO_SUCH_USER — "user not found" (any password).
    NoSuchUser,
    /// 52e ERROR_LOGON_FAILURE — the logon always fails (any password).
    LogonFailure,
    /// 530 ERROR_INVALID_LOGON_HOURS (correct password only).
    InvalidLogonHours,
    /// 531 ERROR_INVALID_WORKSTATION (correct password only).
    InvalidWorkstation,
    /// 532 ERROR_PASSWORD_EXPIRED (correct password only).
    PasswordExpired,
    /// 533 ERROR_ACCOUNT_DISABLED (correct password only).
    AccountDisabled,
    /// 701 ERROR_ACCOUNT_EXPIRED (correct password only).
    AccountExpired,
    /// 773 ERROR_PASSWORD_MUST_CHANGE, pwdLastSet=0 (correct password only).
    PasswordMustChange,
    /// 775 ERROR_ACCOUNT_LOCKED_OUT — returned whatever the password.
    LockedOut,
}

impl BindFault {
    /// All faults, in data-code order.
    pub const ALL: [BindFault; 9] = [
        BindFault::NoSuchUser,
        BindFault::LogonFailure,
        BindFault::InvalidLogonHours,
        BindFault::InvalidWorkstation,
        BindFault::PasswordExpired,
        BindFault::AccountDisabled,
        BindFault::AccountExpired,
        BindFault::PasswordMustChange,
        BindFault::LockedOut,
    ];

    /// The `data` sub-code AD puts in the diagnostic message.
    pub fn data_code(self) -> &'static str {
        match self {
            BindFault::NoSuchUser => "525",
            BindFault::LogonFailure => "52e",
            BindFault::InvalidLogonHours => "530",
            BindFault::InvalidWorkstation => "531",
            BindFault::PasswordExpired => "532",
            BindFault::AccountDisabled => "533",
            BindFault::AccountExpired => "701",
            BindFault::PasswordMustChange => "773",
            BindFault::LockedOut => "775",
        }
    }

    /// True if AD reports this only when the password is right; with a wrong
    /// one it answers 52e, which "will prevent most other errors from being
    /// displayed" (research §1). 525, 52e and 775 come back whatever the password.
    pub fn needs_correct_password(self) -> bool {
        !matches!(
            self,
            BindFault::NoSuchUser | BindFault::LogonFailure | BindFault::LockedOut
        )
    }

    /// Parses a data code (`"775"`) or a name (`"locked-out"`).
    pub fn parse(s: &str) -> Option<BindFault> {
        let s = s.trim().to_ascii_lowercase();
        BindFault::ALL.into_iter().find(|f| {
            f.data_code() == s || format!("{f:?}").to_ascii_lowercase() == s.replace(['-', '_'], "")
        })
    }
}

/// An account that can bind, as [`Directory::logins`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login {
    /// `pcceadmin`.
    pub sam_account_name: String,
    /// `EXAMPLE\pcceadmin`.
    pub down_level: String,
    /// `pcceadmin@example.local`, if the account has one.
    pub user_principal_name: Option<String>,
    /// `CN=pcceadmin,CN=Users,DC=example,DC=local`.
    pub dn: String,
    /// The password a simple bind takes.
    pub password: String,
    /// False if userAccountControl has ACCOUNTDISABLE (binds answer `data 533`).
    pub enabled: bool,
    /// The CNs of the groups in `memberOf`.
    pub groups: Vec<String>,
}

#[derive(Clone, Debug, Default)]
struct Account {
    password: Option<String>,
    fault: Option<BindFault>,
}

/// Errors building or loading the directory.
#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// The forest root domain's DNS name is not at least two valid DNS labels.
    #[error("`{0}` is not a DNS domain name with at least two labels (e.g. example.local)")]
    BadDomain(String),
    /// The NetBIOS domain name is empty, longer than 15 characters, or holds
    /// a character NetBIOS names forbid.
    #[error("`{0}` is not a NetBIOS domain name (1–15 characters, no dots or blanks)")]
    BadNetbios(String),
    /// The DC's host name is not one DNS label.
    #[error("`{0}` is not a host name (letters, digits and hyphens)")]
    BadHost(String),
    /// A DN string that does not parse.
    #[error("bad DN: {0}")]
    BadDn(#[from] DnError),
    /// An entry with that DN is already in the directory.
    #[error("an entry `{0}` already exists")]
    Exists(String),
    /// The new entry's parent is not in the directory.
    #[error("the parent of `{0}` does not exist (add it first)")]
    NoParent(String),
    /// The DN is under none of the forest's five naming contexts.
    #[error("`{0}` is in no naming context of this forest")]
    OutsideForest(String),
    /// No user or computer answers to that bind name (a DN, a
    /// userPrincipalName or `DOMAIN\user`).
    #[error("no account `{0}` (a DN, user@domain or DOMAIN\\user of an existing user)")]
    NoAccount(String),
    /// An LDIF text that cannot be loaded; nothing of it was added.
    #[error("line {line}: {message}")]
    Ldif {
        /// 1-based line of the LDIF text where the problem is.
        line: usize,
        /// What is wrong there.
        message: String,
    },
}

/// The directory of one forest root domain, as its DC and GC serve it.
#[derive(Clone, Debug)]
pub struct Directory {
    domain: String,
    netbios: String,
    dc_host: String,
    partitions: Vec<Partition>,
    entries: Vec<Entry>,
    index: HashMap<String, usize>,
    accounts: HashMap<String, Account>,
    domain_sid: [u32; 3],
    next_rid: u32,
    next_usn: u64,
}

/// `whenCreated`/`whenChanged` of the example objects: the first day of
/// validity of the sample AD certificate of [ECE] 2.1 (2020-04-15).
const CREATED: &str = "20200415000000.0Z";

/// `pwdLastSet` of an account whose password the add set: [`CREATED`] as a
/// FILETIME (100 ns since 1601-01-01 UTC).
const CREATED_FILETIME: &str = "132313824000000000";

/// `accountExpires` of an account that never expires (TIMEQ_FOREVER).
const ACCOUNT_NEVER_EXPIRES: &str = "9223372036854775807";

/// userAccountControl flags (MS-ADTS 2.2.16).
const UF_ACCOUNTDISABLE: i64 = 0x2;
const UF_WORKSTATION_TRUST_ACCOUNT: i64 = 0x1000;
const UF_SERVER_TRUST_ACCOUNT: i64 = 0x2000;

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// DN-syntax attributes: compared as DNs (case- and whitespace-insensitive).
pub(crate) const DN_ATTRIBUTES: [&str; 14] = [
    "distinguishedName",
    "member",
    "memberOf",
    "objectCategory",
    "manager",
    "directReports",
    "managedBy",
    "nCName",
    "serverReference",
    "defaultObjectCategory",
    "subRefs",
    "dsServiceName",
    "masteredBy",
    "hasMasterNCs",
];

pub(crate) fn is_dn_attribute(name: &str) -> bool {
    DN_ATTRIBUTES.iter().any(|a| a.eq_ignore_ascii_case(name))
}

impl Directory {
    /// An empty forest: the five naming-context heads and the containers that
    /// hold them together, no users. `domain` is the forest root domain's DNS
    /// name, `netbios` its NetBIOS name, `dc_host` the DC/GC's host name.
    pub fn new(domain: &str, netbios: &str, dc_host: &str) -> Result<Self, DirectoryError> {
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 || !labels.iter().all(|l| is_label(l)) {
            return Err(DirectoryError::BadDomain(domain.to_string()));
        }
        if netbios.is_empty()
            || netbios.len() > 15
            || !netbios
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(DirectoryError::BadNetbios(netbios.to_string()));
        }
        if !is_label(dc_host) {
            return Err(DirectoryError::BadHost(dc_host.to_string()));
        }
        let domain_dn = dns_to_dn(domain);
        let config_dn = format!("CN=Configuration,{domain_dn}");
        let parts = [
            (PartitionKind::Domain, domain_dn.clone(), domain.to_string()),
            (
                PartitionKind::Configuration,
                config_dn.clone(),
                domain.to_string(),
            ),
            (
                PartitionKind::Schema,
                format!("CN=Schema,{config_dn}"),
                domain.to_string(),
            ),
            (
                PartitionKind::DomainDnsZones,
                format!("DC=DomainDnsZones,{domain_dn}"),
                format!("DomainDnsZones.{domain}"),
            ),
            (
                PartitionKind::ForestDnsZones,
                format!("DC=ForestDnsZones,{domain_dn}"),
                format!("ForestDnsZones.{domain}"),
            ),
        ];
        let mut partitions = Vec::new();
        for (kind, dn_string, dns_root) in parts {
            partitions.push(Partition {
                kind,
                dn: Dn::parse(&dn_string)?,
                dn_string,
                dns_root,
            });
        }
        let h = sha2::Sha256::digest(format!("ccelab domain SID/{}", domain.to_lowercase()));
        let sub = |i: usize| u32::from_le_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
        let mut d = Directory {
            domain: domain.to_string(),
            netbios: netbios.to_string(),
            dc_host: dc_host.to_string(),
            partitions,
            entries: Vec::new(),
            index: HashMap::new(),
            accounts: HashMap::new(),
            domain_sid: [sub(0), sub(4), sub(8)],
            next_rid: 1103,
            next_usn: 4096,
        };
        d.build_skeleton()?;
        Ok(d)
    }

    /// The example forest of [ECE] 2.1–2.2: see the module documentation.
    /// Every account's password is [`EXAMPLE_PASSWORD`].
    ///
    /// | account | sAMAccountName | groups |
    /// |---|---|---|
    /// | `CN=pcceadmin,CN=Users,…` | `pcceadmin` | Domain Admins, PCCE Administrators |
    /// | `CN=Administrator,CN=Users,…` | `Administrator` | Domain/Enterprise/Schema Admins |
    /// | `CN=Alex Admin,CN=Users,…` | `aadmin` | PCCE Administrators |
    /// | `CN=Sam Supervisor,CN=Users,…`, `CN=Sue Supervisor,…` | `ssupervisor`, `ssupervisor2` | PCCE Supervisors |
    /// | `CN=Alice Agent,…`, `CN=Bob Agent,…`, `CN=Carol Agent,…` | `aagent`, `bagent`, `cagent` | PCCE Agents |
    ///
    /// Users carry `employeeID` and `department`, which a GC does not hold (F5's fix
    /// changes what a search sees).
    ///
    /// The entries are data: `emulators/src/ad_dc/example.ldif`, loaded by
    /// [`Directory::add_ldif`] with the domain's names substituted.
    pub fn example(domain: &str, netbios: &str, dc_host: &str) -> Result<Self, DirectoryError> {
        let mut d = Directory::new(domain, netbios, dc_host)?;
        let text = d.example_ldif();
        d.add_ldif(&text)?;
        d.next_rid = d.next_rid.max(d.highest_rid() + 1);
        Ok(d)
    }

    /// `example.ldif` for this directory's names (see the file's header).
    fn example_ldif(&self) -> String {
        use base64::Engine as _;
        let guid = |kind: PartitionKind| {
            // AD names the DNS partitions' crossRefs by GUID; a stable stand-in
            let h = sha2::Sha256::digest(self.partition(kind).dn.key().as_bytes());
            hex::encode(&h[..16])
        };
        let text = EXAMPLE_LDIF
            .replace("{schema_dn}", self.schema_dn())
            .replace("{config_dn}", self.config_dn())
            .replace("{domain_dn}", self.domain_dn())
            .replace("{dc_fqdn}", &self.dc_fqdn())
            .replace("{DC_HOST}", &self.dc_host.to_uppercase())
            .replace("{domain}", &self.domain)
            .replace("{netbios}", &self.netbios)
            .replace("{password}", EXAMPLE_PASSWORD)
            .replace(
                "{guid:DomainDnsZones}",
                &guid(PartitionKind::DomainDnsZones),
            )
            .replace(
                "{guid:ForestDnsZones}",
                &guid(PartitionKind::ForestDnsZones),
            );
        let b64 = |sid: Vec<u8>| base64::engine::general_purpose::STANDARD.encode(sid);
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(i) = rest.find('{') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let close = after.find('}');
            let sid = close.and_then(|end| {
                let (kind, rid) = after[..end].split_once(':')?;
                match kind {
                    "sid" => rid.parse::<u32>().ok().map(|r| self.sid(r)),
                    "builtin_sid" if rid.is_empty() => Some(builtin_sid(None)),
                    "builtin_sid" => rid.parse::<u32>().ok().map(|r| builtin_sid(Some(r))),
                    _ => None,
                }
            });
            match (sid, close) {
                (Some(sid), Some(end)) => {
                    out.push_str(&b64(sid));
                    rest = &after[end + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The highest RID of the domain's SIDs so far.
    fn highest_rid(&self) -> u32 {
        let domain = self.domain_sid_bytes();
        self.entries
            .iter()
            .filter_map(|e| e.get("objectSid")?.values.first().cloned())
            .filter(|v| v.len() == 28 && v[8..24] == domain[8..24])
            .map(|v| u32::from_le_bytes([v[24], v[25], v[26], v[27]]))
            .max()
            .unwrap_or(0)
    }

    /// The example forest of the DC `dc_fqdn`: its first label the DC's
    /// host name, the rest the domain, whose first label (upper case) is the
    /// NetBIOS name (`dc01.contoso.local` → `contoso.local`, `CONTOSO`).
    pub fn example_for(dc_fqdn: &str) -> Result<Self, DirectoryError> {
        let (short, domain) = dc_fqdn.split_once('.').unwrap_or((dc_fqdn, ""));
        let netbios = domain
            .split('.')
            .next()
            .unwrap_or("EXAMPLE")
            .to_ascii_uppercase();
        Directory::example(domain, &netbios, short)
    }

    /// `example("example.local", "EXAMPLE", "gcdcsrv01")`.
    pub fn example_local() -> Self {
        match Directory::example("example.local", "EXAMPLE", "gcdcsrv01") {
            Ok(d) => d,
            // the arguments are constants that pass validation
            Err(e) => unreachable_example(e),
        }
    }

    /// The forest root domain's DNS name (`example.local`).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The domain's NetBIOS name (`EXAMPLE`), as in `EXAMPLE\pcceadmin`.
    pub fn netbios(&self) -> &str {
        &self.netbios
    }

    /// The DC/GC's host name without the domain (`gcdcsrv01`).
    pub fn dc_host(&self) -> &str {
        &self.dc_host
    }

    /// `gcdcsrv01.example.local`.
    pub fn dc_fqdn(&self) -> String {
        format!("{}.{}", self.dc_host, self.domain)
    }

    /// The naming contexts in `namingContexts` order.
    pub fn partitions(&self) -> &[Partition] {
        &self.partitions
    }

    /// The naming context of kind `kind`.
    pub fn partition(&self, kind: PartitionKind) -> &Partition {
        // new() creates all five kinds
        self.partitions
            .iter()
            .find(|p| p.kind == kind)
            .unwrap_or(&self.partitions[0])
    }

    /// `DC=example,DC=local`.
    pub fn domain_dn(&self) -> &str {
        &self.partition(PartitionKind::Domain).dn_string
    }

    /// `CN=Configuration,DC=example,DC=local`.
    pub fn config_dn(&self) -> &str {
        &self.partition(PartitionKind::Configuration).dn_string
    }

    /// `CN=Schema,CN=Configuration,DC=example,DC=local`.
    pub fn schema_dn(&self) -> &str {
        &self.partition(PartitionKind::Schema).dn_string
    }

    /// `CN=GCDCSRV01,CN=Servers,CN=Default-First-Site-Name,CN=Sites,CN=Configuration,…`.
    pub fn server_dn(&self) -> String {
        format!(
            "CN={},CN=Servers,CN=Default-First-Site-Name,CN=Sites,{}",
            self.dc_host.to_uppercase(),
            self.config_dn()
        )
    }

    /// The partition holding `dn` (the naming context with the longest head above it).
    pub fn partition_of(&self, dn: &Dn) -> Option<&Partition> {
        self.partitions
            .iter()
            .filter(|p| dn.is_within(&p.dn))
            .max_by_key(|p| p.dn.len())
    }

    /// Every entry, in the order added (naming-context heads and their
    /// containers first).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry named `dn` (any DN spelling).
    pub fn entry(&self, dn: &str) -> Option<&Entry> {
        let d = Dn::parse(dn).ok()?;
        self.entry_by_dn(&d)
    }

    /// The entry named by the parsed `dn`.
    pub fn entry_by_dn(&self, dn: &Dn) -> Option<&Entry> {
        self.index.get(&dn.key()).map(|&i| &self.entries[i])
    }

    /// Adds an entry. Values are text; `distinguishedName`, `name`,
    /// `objectGUID`, `instanceType`, `whenCreated`/`whenChanged` and
    /// `uSNCreated`/`uSNChanged` are added when absent, and `objectSid` for
    /// users, groups and computers. Its parent must exist (unless it heads a
    /// naming context).
    pub fn add_entry(&mut self, dn: &str, attrs: &[(&str, &[&str])]) -> Result<(), DirectoryError> {
        let attrs: Vec<(String, Vec<u8>)> = attrs
            .iter()
            .flat_map(|(n, vs)| {
                vs.iter()
                    .map(move |v| (n.to_string(), v.as_bytes().to_vec()))
            })
            .collect();
        self.insert(dn, attrs)?;
        self.link_members();
        Ok(())
    }

    fn insert(&mut self, dn: &str, attrs: Vec<(String, Vec<u8>)>) -> Result<usize, DirectoryError> {
        let parsed = Dn::parse(dn)?;
        if parsed.is_root() {
            return Err(DirectoryError::BadDn(DnError::NoEquals(dn.to_string())));
        }
        let key = parsed.key();
        if self.index.contains_key(&key) {
            return Err(DirectoryError::Exists(parsed.to_string()));
        }
        let Some(part) = self.partition_of(&parsed) else {
            return Err(DirectoryError::OutsideForest(parsed.to_string()));
        };
        let is_head = part.dn == parsed;
        if !is_head {
            let parent = parsed.parent().unwrap_or_default();
            if !self.index.contains_key(&parent.key()) {
                return Err(DirectoryError::NoParent(parsed.to_string()));
            }
        }
        let dn_string = parsed.to_string();
        let mut e = Entry {
            dn: parsed.clone(),
            dn_string: dn_string.clone(),
            attrs: Vec::new(),
        };
        for (n, v) in attrs {
            e.add_value(&n, v);
        }
        if e.get("distinguishedName").is_none() {
            e.set("distinguishedName", vec![dn_string.clone().into_bytes()]);
        }
        if e.get("instanceType").is_none() {
            let t = if is_head { "5" } else { "4" };
            e.set("instanceType", vec![t.as_bytes().to_vec()]);
        }
        if e.get("whenCreated").is_none() {
            e.set("whenCreated", vec![CREATED.as_bytes().to_vec()]);
        }
        if e.get("whenChanged").is_none() {
            e.set("whenChanged", vec![CREATED.as_bytes().to_vec()]);
        }
        self.next_usn += 1;
        let usn = self.next_usn.to_string().into_bytes();
        if e.get("uSNCreated").is_none() {
            e.set("uSNCreated", vec![usn.clone()]);
        }
        if e.get("uSNChanged").is_none() {
            e.set("uSNChanged", vec![usn]);
        }
        if e.get("name").is_none() {
            if let Some(v) = parsed.first_value() {
                e.set("name", vec![v.as_bytes().to_vec()]);
            }
        }
        if e.get("objectGUID").is_none() {
            let h = sha2::Sha256::digest(format!("ccelab objectGUID/{key}"));
            let mut g = h[..16].to_vec();
            g[7] = (g[7] & 0x0f) | 0x40; // version 4 (stored little-endian: byte 7 is the high byte of field 3)
            g[8] = (g[8] & 0x3f) | 0x80;
            e.set("objectGUID", vec![g]);
        }
        let principal = e.has_class("user") || e.has_class("group") || e.has_class("computer");
        if principal && e.get("objectSid").is_none() {
            let rid = self.next_rid;
            self.next_rid += 1;
            e.set("objectSid", vec![self.sid(rid)]);
        }
        if e.has_class("user") || e.has_class("computer") {
            self.account_defaults(&mut e);
        }
        let i = self.entries.len();
        self.entries.push(e);
        self.index.insert(key, i);
        Ok(i)
    }

    /// What the DC sets on a new user or computer the add did not give
    /// (MS-SAMR 3.1.1.8.1, learn.microsoft.com "Creating a User" —
    /// docs/research/active-directory-ldap.md §9): the logon statistics and
    /// `pwdLastSet` 0, `accountExpires` never (`0x7FFFFFFFFFFFFFFF`),
    /// `userAccountControl` 546 (ACCOUNTDISABLE | PASSWD_NOTREQD |
    /// NORMAL_ACCOUNT — a password in the same add does not change it), then
    /// `sAMAccountType` and `primaryGroupID` from the account type, the
    /// category, and the one `dSCorePropagationData` of an object SDProp has
    /// not touched.
    fn account_defaults(&self, e: &mut Entry) {
        for zero in [
            "badPwdCount",
            "codePage",
            "countryCode",
            "badPasswordTime",
            "lastLogoff",
            "lastLogon",
            "pwdLastSet",
            "logonCount",
        ] {
            if e.get(zero).is_none() {
                e.set(zero, vec![b"0".to_vec()]);
            }
        }
        if e.get("accountExpires").is_none() {
            e.set(
                "accountExpires",
                vec![ACCOUNT_NEVER_EXPIRES.as_bytes().to_vec()],
            );
        }
        if e.get("userAccountControl").is_none() {
            e.set("userAccountControl", vec![b"546".to_vec()]);
        }
        let uac = e
            .text("userAccountControl")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        // MS-SAMR 3.1.1.8.10 / 3.1.1.9.1: trust accounts are machine accounts
        let (account_type, primary_group) = if uac & UF_SERVER_TRUST_ACCOUNT != 0 {
            ("805306369", "516")
        } else if uac & UF_WORKSTATION_TRUST_ACCOUNT != 0 {
            ("805306369", "515")
        } else {
            ("805306368", "513")
        };
        if e.get("sAMAccountType").is_none() {
            e.set("sAMAccountType", vec![account_type.as_bytes().to_vec()]);
        }
        if e.get("primaryGroupID").is_none() {
            e.set("primaryGroupID", vec![primary_group.as_bytes().to_vec()]);
        }
        if e.get("objectCategory").is_none() {
            let class = if e.has_class("computer") {
                "Computer"
            } else {
                "Person"
            };
            e.set("objectCategory", vec![self.objcat(class).into_bytes()]);
        }
        if e.get("dSCorePropagationData").is_none() {
            e.set("dSCorePropagationData", vec![b"16010101000000.0Z".to_vec()]);
        }
    }

    /// The binary SID `S-1-5-21-<domain>-<rid>`.
    fn sid(&self, rid: u32) -> Vec<u8> {
        let mut s = vec![1u8, 5, 0, 0, 0, 0, 0, 5];
        for a in [
            21,
            self.domain_sid[0],
            self.domain_sid[1],
            self.domain_sid[2],
            rid,
        ] {
            s.extend_from_slice(&a.to_le_bytes());
        }
        s
    }

    fn domain_sid_bytes(&self) -> Vec<u8> {
        let mut s = vec![1u8, 4, 0, 0, 0, 0, 0, 5];
        for a in [
            21,
            self.domain_sid[0],
            self.domain_sid[1],
            self.domain_sid[2],
        ] {
            s.extend_from_slice(&a.to_le_bytes());
        }
        s
    }

    /// Adds `memberOf` back-links for every `member` value that names an entry.
    fn link_members(&mut self) {
        let mut links: Vec<(usize, String)> = Vec::new();
        for g in &self.entries {
            for m in g.texts("member") {
                if let Some(&i) = Dn::parse(&m).ok().and_then(|d| self.index.get(&d.key())) {
                    links.push((i, g.dn_string.clone()));
                }
            }
        }
        for (i, group) in links {
            let e = &mut self.entries[i];
            let have = e.texts("memberOf").iter().any(|v| {
                Dn::parse(v)
                    .ok()
                    .zip(Dn::parse(&group).ok())
                    .is_some_and(|(a, b)| a == b)
            });
            if !have {
                e.add_value("memberOf", group.into_bytes());
            }
        }
    }

    fn objcat(&self, class_cn: &str) -> String {
        format!("CN={class_cn},{}", self.schema_dn())
    }

    fn build_skeleton(&mut self) -> Result<(), DirectoryError> {
        let domain_dn = self.domain_dn().to_string();
        let config_dn = self.config_dn().to_string();
        let schema_dn = self.schema_dn().to_string();
        let first = self
            .domain
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string();
        let mut head: Vec<(String, Vec<u8>)> = vec![
            ("objectClass".into(), b"top".to_vec()),
            ("objectClass".into(), b"domain".to_vec()),
            ("objectClass".into(), b"domainDNS".to_vec()),
            ("dc".into(), first.into_bytes()),
            (
                "objectCategory".into(),
                self.objcat("Domain-DNS").into_bytes(),
            ),
            (
                "subRefs".into(),
                format!("DC=ForestDnsZones,{domain_dn}").into_bytes(),
            ),
            (
                "subRefs".into(),
                format!("DC=DomainDnsZones,{domain_dn}").into_bytes(),
            ),
            ("subRefs".into(), config_dn.clone().into_bytes()),
        ];
        head.push(("objectSid".into(), self.domain_sid_bytes()));
        self.insert(&domain_dn, head)?;
        let container = |cn: &str, cat: &str| -> Vec<(String, Vec<u8>)> {
            vec![
                ("objectClass".into(), b"top".to_vec()),
                ("objectClass".into(), b"container".to_vec()),
                ("cn".into(), cn.as_bytes().to_vec()),
                (
                    "objectCategory".into(),
                    format!("CN={cat},{schema_dn}").into_bytes(),
                ),
            ]
        };
        self.insert(&config_dn, {
            let mut a = container("Configuration", "Configuration");
            a[1].1 = b"configuration".to_vec();
            a
        })?;
        self.insert(&schema_dn, {
            let mut a = container("Schema", "DMD");
            a[1].1 = b"dMD".to_vec();
            a
        })?;
        for (zone, dn) in [
            ("DomainDnsZones", format!("DC=DomainDnsZones,{domain_dn}")),
            ("ForestDnsZones", format!("DC=ForestDnsZones,{domain_dn}")),
        ] {
            self.insert(
                &dn,
                vec![
                    ("objectClass".into(), b"top".to_vec()),
                    ("objectClass".into(), b"domain".to_vec()),
                    ("objectClass".into(), b"domainDNS".to_vec()),
                    ("dc".into(), zone.as_bytes().to_vec()),
                    (
                        "objectCategory".into(),
                        self.objcat("Domain-DNS").into_bytes(),
                    ),
                ],
            )?;
        }
        Ok(())
    }

    /// Every account that has a password, in directory order: what a script
    /// needs to log in (`topology.json`'s `accounts`).
    pub fn logins(&self) -> Vec<Login> {
        self.entries
            .iter()
            .filter_map(|e| {
                let password = self.accounts.get(&e.dn.key())?.password.clone()?;
                let sam = e.text("sAMAccountName")?;
                let uac = e
                    .text("userAccountControl")
                    .and_then(|v| v.parse::<i64>().ok())
                    .unwrap_or(0);
                let groups = e
                    .texts("memberOf")
                    .iter()
                    .filter_map(|g| Dn::parse(g).ok()?.first_value().map(str::to_string))
                    .collect();
                Some(Login {
                    down_level: format!("{}\\{sam}", self.netbios),
                    user_principal_name: e.text("userPrincipalName"),
                    sam_account_name: sam,
                    dn: e.dn_string.clone(),
                    password,
                    enabled: uac & UF_ACCOUNTDISABLE == 0,
                    groups,
                })
            })
            .collect()
    }

    /// Sets (or replaces) the password of an existing user or computer, named
    /// as a bind would name it (DN, `user@domain`, `DOMAIN\user`).
    pub fn set_password(&mut self, name: &str, password: &str) -> Result<(), DirectoryError> {
        let key = self
            .resolve_name(name)
            .ok_or_else(|| DirectoryError::NoAccount(name.to_string()))?;
        self.accounts.entry(key).or_default().password = Some(password.to_string());
        Ok(())
    }

    /// Sets or clears the bind fault of an account (the per-user knob for
    /// 525, 52e, 530, 531, 532, 533, 701, 773, 775).
    pub fn set_bind_fault(
        &mut self,
        name: &str,
        fault: Option<BindFault>,
    ) -> Result<(), DirectoryError> {
        let key = self
            .resolve_name(name)
            .ok_or_else(|| DirectoryError::NoAccount(name.to_string()))?;
        self.accounts.entry(key).or_default().fault = fault;
        Ok(())
    }

    /// The fault set on an account.
    pub fn bind_fault(&self, name: &str) -> Option<BindFault> {
        let key = self.resolve_name(name)?;
        self.accounts.get(&key).and_then(|a| a.fault)
    }

    /// The DN key of the user or computer a simple-bind name denotes. AD
    /// accepts a DN, a userPrincipalName (or the implicit
    /// `sAMAccountName@<dns domain>`), and `NETBIOS\sAMAccountName`
    /// (MS-ADTS 5.1.1.1.1 "Simple Authentication").
    /// The DN key of the account whose sAMAccountName is `sam` (any case).
    fn account_by_sam(&self, sam: &str) -> Option<String> {
        self.entries
            .iter()
            .filter(|e| e.get("sAMAccountName").is_some())
            .find(|e| {
                e.texts("sAMAccountName")
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(sam))
            })
            .map(|e| e.dn.key())
    }

    pub(crate) fn resolve_name(&self, name: &str) -> Option<String> {
        let is_account = |e: &&Entry| e.get("sAMAccountName").is_some();
        if let Some((dom, sam)) = name.split_once('\\') {
            if !dom.eq_ignore_ascii_case(&self.netbios) {
                return None;
            }
            return self.account_by_sam(sam);
        }
        if name.contains('@') && !name.contains('=') {
            if let Some(e) = self.entries.iter().filter(is_account).find(|e| {
                e.texts("userPrincipalName")
                    .iter()
                    .any(|u| u.eq_ignore_ascii_case(name))
            }) {
                return Some(e.dn.key());
            }
            let (local, dom) = name.rsplit_once('@')?;
            if !dom.eq_ignore_ascii_case(&self.domain) {
                return None;
            }
            return self.account_by_sam(local);
        }
        let dn = Dn::parse(name).ok()?;
        self.index
            .get(&dn.key())
            .filter(|&&i| is_account(&&self.entries[i]))
            .map(|_| dn.key())
    }

    /// Checks a simple bind. Ok: the entry of the account. Err: the `data`
    /// sub-code AD would report (`unknown_user` for a name that is no account:
    /// 52e in most builds and configurations, research §1).
    pub(crate) fn check_simple_bind(
        &self,
        name: &str,
        password: &str,
        unknown_user: BindFault,
    ) -> Result<&Entry, BindFault> {
        let Some(key) = self.resolve_name(name) else {
            return Err(unknown_user);
        };
        let Some(entry) = self.index.get(&key).map(|&i| &self.entries[i]) else {
            return Err(unknown_user);
        };
        let account = self.accounts.get(&key).cloned().unwrap_or_default();
        if let Some(f) = account.fault {
            if !f.needs_correct_password() {
                return Err(f);
            }
        }
        if account.password.as_deref() != Some(password) {
            return Err(BindFault::LogonFailure);
        }
        let disabled = entry
            .text("userAccountControl")
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|uac| uac & UF_ACCOUNTDISABLE != 0);
        match account.fault {
            Some(f) => Err(f),
            // a disabled account (Guest, krbtgt, or a user added without
            // userAccountControl) answers 533 to its right password
            None if disabled => Err(BindFault::AccountDisabled),
            None => Ok(entry),
        }
    }

    /// Adds the entries of an LDIF text (RFC 2849 content records: `dn:`,
    /// `attr: value`, `attr:: base64`, folded lines, `#` comments, an
    /// optional `version: 1` and `changetype: add`). `unicodePwd::` (base64 of
    /// the quoted UTF-16LE password, as AD takes it) and `userPassword:` set
    /// the account's password and are not stored as attributes. Entries must
    /// come after their parents. On any error nothing is added; the error
    /// names the line.
    pub fn add_ldif(&mut self, text: &str) -> Result<usize, DirectoryError> {
        let records = parse_ldif(text)?;
        let mut next = self.clone();
        let mut added = 0;
        for r in records {
            let mut attrs = Vec::new();
            let mut password = None;
            for (line, name, value) in r.attrs {
                if name.eq_ignore_ascii_case("unicodePwd") {
                    password = Some(decode_unicode_pwd(&value).ok_or_else(|| {
                        DirectoryError::Ldif {
                            line,
                            message: "unicodePwd must be the quoted password in UTF-16LE (base64 with `::`)".into(),
                        }
                    })?);
                } else if name.eq_ignore_ascii_case("userPassword") {
                    password =
                        Some(String::from_utf8(value).map_err(|_| DirectoryError::Ldif {
                            line,
                            message: "userPassword is not UTF-8".into(),
                        })?);
                } else {
                    attrs.push((name, value));
                }
            }
            let at = |e: DirectoryError| DirectoryError::Ldif {
                line: r.line,
                message: e.to_string(),
            };
            let gave_pwd_last_set = attrs
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("pwdLastSet"));
            let i = next.insert(&r.dn, attrs).map_err(at)?;
            if let Some(pw) = password {
                if !gave_pwd_last_set && next.entries[i].get("pwdLastSet").is_some() {
                    // the password was set when the object was created
                    next.entries[i].set("pwdLastSet", vec![CREATED_FILETIME.as_bytes().to_vec()]);
                }
                let key = next.entries[i].dn.key();
                next.accounts.entry(key).or_default().password = Some(pw);
            }
            added += 1;
        }
        next.link_members();
        *self = next;
        Ok(added)
    }
}

/// The binary SID of the Builtin domain `S-1-5-32`, or of its alias
/// `S-1-5-32-<rid>` (Administrators 544, Guests 546).
fn builtin_sid(rid: Option<u32>) -> Vec<u8> {
    let count = if rid.is_some() { 2 } else { 1 };
    let mut s = vec![1u8, count, 0, 0, 0, 0, 0, 5];
    s.extend_from_slice(&32u32.to_le_bytes());
    if let Some(r) = rid {
        s.extend_from_slice(&r.to_le_bytes());
    }
    s
}

/// The example forest ([`Directory::example`]).
const EXAMPLE_LDIF: &str = include_str!("example.ldif");

#[cold]
fn unreachable_example(e: DirectoryError) -> Directory {
    // Directory::new only fails on bad names; the example's are valid.
    panic!("ccelab: the built-in example forest is invalid: {e}")
}

fn decode_unicode_pwd(v: &[u8]) -> Option<String> {
    if v.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = v
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let s = String::from_utf16(&units).ok()?;
    Some(s.strip_prefix('"')?.strip_suffix('"')?.to_string())
}

struct LdifRecord {
    line: usize,
    dn: String,
    attrs: Vec<(usize, String, Vec<u8>)>,
}

/// Unfolds LDIF lines: (first physical line number, logical line); blank
/// lines are kept (as empty strings) to separate records.
fn unfold(text: &str) -> Vec<(usize, String)> {
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut in_comment = false;
    for (i, raw) in text.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(cont) = line.strip_prefix(' ') {
            if in_comment {
                continue;
            }
            if let Some(last) = out.last_mut().filter(|l| !l.1.is_empty()) {
                last.1.push_str(cont);
                continue;
            }
        }
        in_comment = line.starts_with('#');
        if in_comment {
            continue;
        }
        out.push((i + 1, line.to_string()));
    }
    out
}

fn parse_ldif(text: &str) -> Result<Vec<LdifRecord>, DirectoryError> {
    let err = |line: usize, message: String| DirectoryError::Ldif { line, message };
    let mut records = Vec::new();
    let mut cur: Option<LdifRecord> = None;
    let mut first = true;
    for (n, line) in unfold(text) {
        if line.trim().is_empty() {
            if let Some(r) = cur.take() {
                records.push(r);
            }
            continue;
        }
        let Some((name, rest)) = line.split_once(':') else {
            return Err(err(
                n,
                format!("expected `attribute: value`, found `{line}`"),
            ));
        };
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(err(n, "empty attribute name".into()));
        }
        let value: Vec<u8> = if let Some(b64) = rest.strip_prefix(':') {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| err(n, format!("{name}: bad base64: {e}")))?
        } else if rest.starts_with('<') {
            return Err(err(
                n,
                format!("{name}: URL values (`:<`) are not supported"),
            ));
        } else {
            rest.trim_start_matches(' ').as_bytes().to_vec()
        };
        if first && cur.is_none() && name.eq_ignore_ascii_case("version") {
            if value != b"1" {
                return Err(err(n, "only `version: 1` is supported".into()));
            }
            first = false;
            continue;
        }
        first = false;
        match cur.as_mut() {
            None => {
                if !name.eq_ignore_ascii_case("dn") {
                    return Err(err(
                        n,
                        format!("a record must start with `dn:`, found `{name}:`"),
                    ));
                }
                let dn = String::from_utf8(value).map_err(|_| err(n, "dn is not UTF-8".into()))?;
                Dn::parse(&dn).map_err(|e| err(n, e.to_string()))?;
                cur = Some(LdifRecord {
                    line: n,
                    dn,
                    attrs: Vec::new(),
                });
            }
            Some(r) => {
                if name.eq_ignore_ascii_case("dn") {
                    return Err(err(
                        n,
                        "a second `dn:` in one record (records are separated by a blank line)"
                            .into(),
                    ));
                }
                if name.eq_ignore_ascii_case("changetype") {
                    if !value.eq_ignore_ascii_case(b"add") {
                        return Err(err(
                            n,
                            format!(
                                "changetype `{}` is not supported (only content records and `add`)",
                                String::from_utf8_lossy(&value)
                            ),
                        ));
                    }
                    continue;
                }
                r.attrs.push((n, name, value));
            }
        }
    }
    if let Some(r) = cur.take() {
        records.push(r);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_has_the_documented_objects() {
        let d = Directory::example_local();
        assert_eq!(d.domain_dn(), "DC=example,DC=local");
        let u = d
            .entry("CN=pcceadmin, CN=Users, DC=example, DC=local")
            .unwrap();
        assert_eq!(u.dn(), "CN=pcceadmin,CN=Users,DC=example,DC=local");
        assert_eq!(
            u.text("userPrincipalName").unwrap(),
            "pcceadmin@example.local"
        );
        assert_eq!(
            u.text("objectCategory").unwrap(),
            "CN=Person,CN=Schema,CN=Configuration,DC=example,DC=local"
        );
        assert!(u
            .texts("memberOf")
            .contains(&"CN=PCCE Administrators,CN=Users,DC=example,DC=local".to_string()));
        assert_eq!(u.get("objectSid").unwrap().values[0].len(), 28);
        assert!(d
            .entry("CN=GCDCSRV01,OU=Domain Controllers,DC=example,DC=local")
            .is_some());
        assert!(d.entry(&d.server_dn()).is_some());
        assert_eq!(d.dc_fqdn(), "gcdcsrv01.example.local");
    }

    #[test]
    fn bind_names_and_faults() {
        let mut d = Directory::example_local();
        let ok = |d: &Directory, n: &str, p: &str| {
            d.check_simple_bind(n, p, BindFault::LogonFailure)
                .map(|e| e.dn().to_string())
        };
        let dn = "CN=pcceadmin,CN=Users,DC=example,DC=local".to_string();
        assert_eq!(
            ok(
                &d,
                "CN=pcceadmin, CN=Users, DC=example, DC=local",
                EXAMPLE_PASSWORD
            ),
            Ok(dn.clone())
        );
        assert_eq!(
            ok(&d, "pcceadmin@example.local", EXAMPLE_PASSWORD),
            Ok(dn.clone())
        );
        assert_eq!(
            ok(&d, "example\\PCCEADMIN", EXAMPLE_PASSWORD),
            Ok(dn.clone())
        );
        assert_eq!(
            ok(&d, "pcceadmin@example.local", "nope"),
            Err(BindFault::LogonFailure)
        );
        assert_eq!(
            ok(&d, "nobody@example.local", "x"),
            Err(BindFault::LogonFailure)
        );
        assert_eq!(
            ok(&d, "OTHER\\pcceadmin", EXAMPLE_PASSWORD),
            Err(BindFault::LogonFailure)
        );
        d.set_bind_fault("aagent@example.local", Some(BindFault::AccountDisabled))
            .unwrap();
        assert_eq!(
            ok(&d, "aagent@example.local", EXAMPLE_PASSWORD),
            Err(BindFault::AccountDisabled)
        );
        assert_eq!(
            ok(&d, "aagent@example.local", "bad"),
            Err(BindFault::LogonFailure)
        );
        d.set_bind_fault("aagent@example.local", Some(BindFault::LockedOut))
            .unwrap();
        assert_eq!(
            ok(&d, "aagent@example.local", "bad"),
            Err(BindFault::LockedOut)
        );
        assert_eq!(BindFault::parse("773"), Some(BindFault::PasswordMustChange));
        assert_eq!(BindFault::parse("locked-out"), Some(BindFault::LockedOut));
    }

    #[test]
    fn ldif_loads_with_folding_base64_and_passwords() {
        let mut d = Directory::example_local();
        let pw = base64::engine::general_purpose::STANDARD.encode(
            "\"S3cret!\""
                .encode_utf16()
                .flat_map(|u| u.to_le_bytes())
                .collect::<Vec<u8>>(),
        );
        let text = format!(
            "version: 1\n# a comment\n#  continued\ndn: OU=Lab, DC=example,DC=local\nobjectClass: top\nobjectClass: organizationalUnit\nou: Lab\n\ndn: CN=Dee Dev,OU=Lab,DC=example,DC=local\nobjectClass: user\ncn: Dee Dev\nsAMAccountName: ddev\ndescription: a long\n  folded value\nuserPrincipalName:: {}\nunicodePwd:: {pw}\n",
            base64::engine::general_purpose::STANDARD.encode("ddev@example.local")
        );
        assert_eq!(d.add_ldif(&text).unwrap(), 2);
        let e = d.entry("cn=dee dev,ou=lab,dc=example,dc=local").unwrap();
        assert_eq!(e.text("description").unwrap(), "a long folded value");
        assert!(e.get("unicodePwd").is_none());
        assert!(e.get("objectSid").is_some());
        // what the DC sets on a new user (MS-SAMR 3.1.1.8.1): added without
        // userAccountControl it is disabled, even with a password
        for (attr, value) in [
            ("userAccountControl", "546"),
            ("sAMAccountType", "805306368"),
            ("primaryGroupID", "513"),
            ("accountExpires", "9223372036854775807"),
            ("pwdLastSet", CREATED_FILETIME),
            ("badPwdCount", "0"),
            ("badPasswordTime", "0"),
            ("logonCount", "0"),
            ("lastLogon", "0"),
            ("lastLogoff", "0"),
            ("codePage", "0"),
            ("countryCode", "0"),
            ("instanceType", "4"),
            ("dSCorePropagationData", "16010101000000.0Z"),
            (
                "objectCategory",
                "CN=Person,CN=Schema,CN=Configuration,DC=example,DC=local",
            ),
            ("whenCreated", CREATED),
        ] {
            assert_eq!(e.text(attr).as_deref(), Some(value), "{attr}");
        }
        assert!(e.get("lastLogonTimestamp").is_none());
        assert_eq!(
            d.check_simple_bind("ddev@example.local", "S3cret!", BindFault::LogonFailure)
                .err(),
            Some(BindFault::AccountDisabled)
        );
        assert_eq!(
            d.check_simple_bind("ddev@example.local", "wrong", BindFault::LogonFailure)
                .err(),
            Some(BindFault::LogonFailure)
        );
        // enabled (512) it binds by UPN and by DOMAIN\\sam; no password: pwdLastSet 0
        let text = format!(
            "dn: CN=Eve Dev,OU=Lab,DC=example,DC=local\nobjectClass: user\ncn: Eve Dev\nsAMAccountName: edev\nuserAccountControl: 512\nunicodePwd:: {pw}\n\ndn: CN=Web01,OU=Lab,DC=example,DC=local\nobjectClass: computer\ncn: Web01\nsAMAccountName: WEB01$\nuserAccountControl: 4096\n"
        );
        assert_eq!(d.add_ldif(&text).unwrap(), 2);
        assert!(d
            .check_simple_bind("edev@example.local", "S3cret!", BindFault::LogonFailure)
            .is_ok());
        assert!(d
            .check_simple_bind("EXAMPLE\\edev", "S3cret!", BindFault::LogonFailure)
            .is_ok());
        let web = d.entry("CN=Web01,OU=Lab,DC=example,DC=local").unwrap();
        assert_eq!(web.text("sAMAccountType").as_deref(), Some("805306369"));
        assert_eq!(web.text("primaryGroupID").as_deref(), Some("515"));
        assert_eq!(web.text("pwdLastSet").as_deref(), Some("0"));
        assert_eq!(
            web.text("objectCategory").as_deref(),
            Some("CN=Computer,CN=Schema,CN=Configuration,DC=example,DC=local")
        );
    }

    #[test]
    fn ldif_errors_name_the_line_and_change_nothing() {
        let mut d = Directory::example_local();
        let n = d.entries().len();
        let e = d
            .add_ldif("dn: OU=A,DC=example,DC=local\nou: A\n\ndn: CN=x,OU=Missing,DC=example,DC=local\ncn: x\n")
            .unwrap_err();
        assert!(matches!(e, DirectoryError::Ldif { line: 4, .. }), "{e}");
        assert_eq!(d.entries().len(), n);
        let e = d
            .add_ldif("dn: OU=B,DC=example,DC=local\nou B\n")
            .unwrap_err();
        assert!(matches!(e, DirectoryError::Ldif { line: 2, .. }), "{e}");
        let e = d.add_ldif("cn: x\n").unwrap_err();
        assert!(matches!(e, DirectoryError::Ldif { line: 1, .. }), "{e}");
        let e = d
            .add_ldif("dn: OU=C,DC=example,DC=local\nx:: !!!\n")
            .unwrap_err();
        assert!(matches!(e, DirectoryError::Ldif { line: 2, .. }), "{e}");
        let e = d
            .add_ldif("dn: OU=C,DC=elsewhere,DC=com\nou: C\n")
            .unwrap_err();
        assert!(e.to_string().contains("no naming context"), "{e}");
    }
}

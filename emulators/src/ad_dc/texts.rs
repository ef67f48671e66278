//! The exact texts and constants Active Directory sends, with their sources.
//! Everything here comes from `docs/research/active-directory-ldap.md`
//! (cited as [research] with its section) unless marked **unverified**:
//! those few have no public capture behind them and use AD's `LdapErr` shape
//! with the Win32 code that maps to the LDAP result, so that clients parsing
//! the shape still work.
//!
//! Cross-cutting rules ([research], "Cross-cutting facts"): every diagnostic
//! message ends with a NUL byte; `vXXXX` is the OS build number in lower-case
//! hex; `DSID-…` is an internal source-line id that changes between builds —
//! ccelab keeps one value per emulated build.

/// The Windows Server build the DC emulates; it picks the `vXXXX` suffix and
/// the DSIDs seen in captures of that build ([research] §1–§3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum AdVersion {
    /// Windows Server 2016 (build 14393, `v3839`).
    Ws2016,
    /// Windows Server 2019 (build 17763, `v4563`) — the build most public captures show.
    #[default]
    Ws2019,
    /// Windows Server 2022 (build 20348, `v4f7c`).
    Ws2022,
}

impl AdVersion {
    /// The `vXXXX` build suffix ([research] "Cross-cutting facts").
    pub fn build_hex(self) -> &'static str {
        match self {
            AdVersion::Ws2016 => "3839",
            AdVersion::Ws2019 => "4563",
            AdVersion::Ws2022 => "4f7c",
        }
    }

    /// DSID of `80090308 … AcceptSecurityContext error` ([research] §1:
    /// 2016 `0C09042A`, 2019 `0C090439` — the JNDI capture of
    /// github.com/reportportal/reportportal issue 1953 —, 2022 `0C090434`).
    fn dsid_bind(self) -> &'static str {
        match self {
            AdVersion::Ws2016 => "0C09042A",
            AdVersion::Ws2019 => "0C090439",
            AdVersion::Ws2022 => "0C090434",
        }
    }

    /// DSID of `000004DC` ([research] §2: 2016 `0C090A22`
    /// (github.com/etianen/django-python3-ldap issue 232), 2022 `0C090A5A`
    /// (github.com/pingidentity/ldapsdk issue 142); for 2019 `0C090A5C` is
    /// plausible but no capture confirms it).
    fn dsid_not_bound(self) -> &'static str {
        match self {
            AdVersion::Ws2016 => "0C090A22",
            AdVersion::Ws2019 => "0C090A5C",
            AdVersion::Ws2022 => "0C090A5A",
        }
    }

    /// DSID of `00002028` ([research] §3: 2016 `0C090256`
    /// (github.com/ropnop/windapsearch issue 11), 2019 `0C090259`
    /// (github.com/plus3it/join-domain-formula issue 185,
    /// github.com/cannatag/ldap3 issue 1030); no 2022 capture: the 2019 value).
    fn dsid_signing(self) -> &'static str {
        match self {
            AdVersion::Ws2016 => "0C090256",
            AdVersion::Ws2019 | AdVersion::Ws2022 => "0C090259",
        }
    }
}

/// `80090308: LdapErr: DSID-…, comment: AcceptSecurityContext error, data <data>, v…\0`
/// — result 49 of a simple bind ([research] §1; `80090308` = SEC_E_INVALID_TOKEN).
pub fn bind_failure(v: AdVersion, data: &str) -> String {
    format!(
        "80090308: LdapErr: DSID-{}, comment: AcceptSecurityContext error, data {data}, v{}\0",
        v.dsid_bind(),
        v.build_hex()
    )
}

/// `000004DC: … In order to perform this operation a successful bind must be
/// completed on the connection., data 0, v…\0` — result 1 operationsError for
/// anything but a RootDSE read or a bind on an anonymous connection
/// ([research] §2; `000004DC` = 1244 ERROR_NOT_AUTHENTICATED; note the
/// "connection., data 0": a period, then a comma).
pub fn not_authenticated(v: AdVersion) -> String {
    format!(
        "000004DC: LdapErr: DSID-{}, comment: In order to perform this operation a successful bind must be completed on the connection., data 0, v{}\0",
        v.dsid_not_bound(),
        v.build_hex()
    )
}

/// `00002028: … The server requires binds to turn on integrity checking if
/// SSL\TLS are not already active on the connection, data 0, v…\0` — result 8
/// strongerAuthRequired for a simple bind on 389/3268 without TLS when "LDAP
/// server signing requirements" is "Require signing" (KB4520412, F15;
/// [research] §3; one literal backslash in `SSL\TLS`).
pub fn strong_auth_required(v: AdVersion) -> String {
    format!(
        "00002028: LdapErr: DSID-{}, comment: The server requires binds to turn on integrity checking if SSL\\TLS are not already active on the connection, data 0, v{}\0",
        v.dsid_signing(),
        v.build_hex()
    )
}

/// `0000202B: RefErr: DSID-0310082F, data 0, 1 access points\n\tref 1: '<host>'\n\0`
/// — result 10 referral for a base outside every naming context ([research] §5,
/// github.com/dthree/addict issue 8; `0000202B` = 8235 ERROR_DS_REFERRAL).
pub fn referral(host: &str) -> String {
    format!("0000202B: RefErr: DSID-0310082F, data 0, 1 access points\n\tref 1: '{host}'\n\0")
}

/// `0000208D: NameErr: DSID-03100238, problem 2001 (NO_OBJECT), data 0, best match of:\n\t'<dn>'\n\0`
/// — result 32 noSuchObject ([research] §5, github.com/RocketChat/Rocket.Chat
/// issue 8462, github.com/dirkjanm/krbrelayx issue 59; `0000208D` = 8333
/// ERROR_DS_OBJ_NOT_FOUND).
pub fn no_such_object(best_match: &str) -> String {
    format!(
        "0000208D: NameErr: DSID-03100238, problem 2001 (NO_OBJECT), data 0, best match of:\n\t'{best_match}'\n\0"
    )
}

/// `0000208D: NameErr: DSID-…, problem 2001 (NO_OBJECT), data 0, best match of:\n\t''\n\0`
/// — result 32 for a one-level or subtree search with the empty base on a
/// DC's 389/636, bound or not ([research] §11: captures of 2016
/// `DSID-0310021B`, 2019 `DSID-0310021C`; 2022 `DSID-03100220` is from a
/// newer build whose version is **unverified**). Only a GC (or the
/// phantom-root search option) searches from the root.
pub fn no_such_object_at_root(v: AdVersion) -> String {
    let dsid = match v {
        AdVersion::Ws2016 => "0310021B",
        AdVersion::Ws2019 => "0310021C",
        AdVersion::Ws2022 => "03100220",
    };
    format!("0000208D: NameErr: DSID-{dsid}, problem 2001 (NO_OBJECT), data 0, best match of:\n\t''\n\0")
}

/// `0000203D: LdapErr: DSID-0C090F1B, comment: Unknown extended request OID, data 0, v…\0`
/// — result 2 protocolError for an extended operation AD does not implement
/// (e.g. Password Modify): github.com/go-ldap/ldap issues 147 (`DSID-0C090F1B
/// … v2580`) and 106 (`DSID-0C090D9A … v1db1`). The DSID was seen on 2012 R2;
/// none is published for 2016+.
pub fn unknown_extended(v: AdVersion) -> String {
    format!(
        "0000203D: LdapErr: DSID-0C090F1B, comment: Unknown extended request OID, data 0, v{}\0",
        v.build_hex()
    )
}

/// `00000005: SecErr: DSID-031A1256, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0\n\0`
/// — result 50 for a write the bound account may not make
/// (github.com/go-ldap/ldap issue 106). The emulated directory is read-only:
/// every add, modify, delete and rename gets this. The trailing `\n` follows
/// the other multi-part (`…Err:`) texts; the capture was printed without it.
pub fn insufficient_access() -> String {
    "00000005: SecErr: DSID-031A1256, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0\n\0".to_string()
}

/// **Unverified**: result 34 invalidDNSyntax for a base or bind name that is
/// not a DN (`0000208F` = 8335 ERROR_DS_INVALID_DN_SYNTAX).
pub fn invalid_dn_syntax(v: AdVersion) -> String {
    format!(
        "0000208F: LdapErr: DSID-0C090703, comment: Error processing name, data 0, v{}\0",
        v.build_hex()
    )
}

/// **Unverified**: result 7 authMethodNotSupported for SASL binds (the
/// emulator implements no SASL mechanism) and unknown authentication choices
/// (`00002027` = 8231 ERROR_DS_AUTH_METHOD_NOT_SUPPORTED).
pub fn auth_method_not_supported(v: AdVersion) -> String {
    format!(
        "00002027: LdapErr: DSID-0C0904D1, comment: The server does not support the requested authentication mechanism, data 0, v{}\0",
        v.build_hex()
    )
}

/// **Unverified**: result 2 protocolError for a bind with a version other than 2 or 3
/// (`00002021` = 8225 ERROR_DS_PROTOCOL_ERROR).
pub fn bad_version(v: AdVersion) -> String {
    format!(
        "00002021: LdapErr: DSID-0C0904D2, comment: Unsupported LDAP protocol version, data 0, v{}\0",
        v.build_hex()
    )
}

/// **Unverified**: result 52 unavailable for StartTLS on a DC without a
/// certificate (`00000000` as AD's SSL errors show; no capture).
pub fn tls_unavailable(v: AdVersion) -> String {
    format!(
        "00000000: LdapErr: DSID-0C090E09, comment: Error initializing SSL/TLS, data 0, v{}\0",
        v.build_hex()
    )
}

/// **Unverified**: result 1 operationsError for StartTLS on a connection
/// that already has TLS (`00002020` = 8224 ERROR_DS_OPERATIONS_ERROR).
pub fn tls_already_active(v: AdVersion) -> String {
    format!(
        "00002020: LdapErr: DSID-0C090E0A, comment: TLS or SSL already in effect, data 0, v{}\0",
        v.build_hex()
    )
}

/// **Unverified**: result 12 unavailableCriticalExtension for a critical
/// control AD does not list (`0000202C` = 8236 ERROR_DS_UNAVAILABLE_CRIT_EXTENSION).
pub fn critical_extension(v: AdVersion, oid: &str) -> String {
    format!(
        "0000202C: LdapErr: DSID-0C090D0A, comment: Unavailable critical extension {oid}, data 0, v{}\0",
        v.build_hex()
    )
}

/// StartTLS (RFC 4511 §4.14; in AD's supportedExtension).
pub const OID_STARTTLS: &str = "1.3.6.1.4.1.1466.20037";
/// "Who am I?" (RFC 4532; AD implements it: MS-ADTS 3.1.1.3.4.2.4).
pub const OID_WHOAMI: &str = "1.3.6.1.4.1.4203.1.11.3";
/// Notice of Disconnection (RFC 4511 §4.4.1).
pub const OID_NOTICE_OF_DISCONNECTION: &str = "1.3.6.1.4.1.1466.20036";
/// ManageDsaIT (RFC 3296): JNDI attaches it, non-critical, in its default
/// `referral=ignore` mode; AD does not list it and ignores it ([research] §4).
pub const OID_MANAGE_DSA_IT: &str = "2.16.840.1.113730.3.4.2";
/// Simple paged results (RFC 2696; first in AD's supportedControl).
pub const OID_PAGED_RESULTS: &str = "1.2.840.113556.1.4.319";

/// AD's supportedControl values in wire order, identical across 2016/2019/2022
/// captures ([research] §6).
pub const SUPPORTED_CONTROLS: [&str; 40] = [
    "1.2.840.113556.1.4.319",
    "1.2.840.113556.1.4.801",
    "1.2.840.113556.1.4.473",
    "1.2.840.113556.1.4.528",
    "1.2.840.113556.1.4.417",
    "1.2.840.113556.1.4.619",
    "1.2.840.113556.1.4.841",
    "1.2.840.113556.1.4.529",
    "1.2.840.113556.1.4.805",
    "1.2.840.113556.1.4.521",
    "1.2.840.113556.1.4.970",
    "1.2.840.113556.1.4.1338",
    "1.2.840.113556.1.4.474",
    "1.2.840.113556.1.4.1339",
    "1.2.840.113556.1.4.1340",
    "1.2.840.113556.1.4.1413",
    "2.16.840.1.113730.3.4.9",
    "2.16.840.1.113730.3.4.10",
    "1.2.840.113556.1.4.1504",
    "1.2.840.113556.1.4.1852",
    "1.2.840.113556.1.4.802",
    "1.2.840.113556.1.4.1907",
    "1.2.840.113556.1.4.1948",
    "1.2.840.113556.1.4.1974",
    "1.2.840.113556.1.4.1341",
    "1.2.840.113556.1.4.2026",
    "1.2.840.113556.1.4.2064",
    "1.2.840.113556.1.4.2065",
    "1.2.840.113556.1.4.2066",
    "1.2.840.113556.1.4.2090",
    "1.2.840.113556.1.4.2205",
    "1.2.840.113556.1.4.2204",
    "1.2.840.113556.1.4.2206",
    "1.2.840.113556.1.4.2211",
    "1.2.840.113556.1.4.2239",
    "1.2.840.113556.1.4.2255",
    "1.2.840.113556.1.4.2256",
    "1.2.840.113556.1.4.2309",
    "1.2.840.113556.1.4.2330",
    "1.2.840.113556.1.4.2354",
];

/// supportedCapabilities ([research] §6; names in MS-ADTS 3.1.1.3.4.3).
pub const SUPPORTED_CAPABILITIES: [&str; 6] = [
    "1.2.840.113556.1.4.800",
    "1.2.840.113556.1.4.1670",
    "1.2.840.113556.1.4.1791",
    "1.2.840.113556.1.4.1935",
    "1.2.840.113556.1.4.2080",
    "1.2.840.113556.1.4.2237",
];

/// supportedExtension: fast concurrent bind, batch request, dynamic refresh,
/// StartTLS, Who am I — the set python-ldap3 prints for 2012 R2+ DCs (public
/// `server.info` dumps found by code search, listed there sorted by OID; AD's
/// wire order is not established). AD leaves it out of a RootDSE read that
/// asks for no particular attribute (the captures of [research] §6 lack it),
/// so it is returned only when asked for by name. Of these the emulator
/// implements StartTLS and Who am I; the others answer [`unknown_extended`].
pub const SUPPORTED_EXTENSIONS: [&str; 5] = [
    "1.2.840.113556.1.4.1781",
    "1.2.840.113556.1.4.2212",
    "1.3.6.1.4.1.1466.101.119.1",
    OID_STARTTLS,
    OID_WHOAMI,
];

/// supportedLDAPPolicies in wire order ([research] §6).
pub const SUPPORTED_LDAP_POLICIES: [&str; 21] = [
    "MaxPoolThreads",
    "MaxPercentDirSyncRequests",
    "MaxDatagramRecv",
    "MaxReceiveBuffer",
    "MaxPreAuthReceiveBuffer",
    "InitRecvTimeout",
    "MaxConnections",
    "MaxConnIdleTime",
    "MaxPageSize",
    "MaxBatchReturnMessages",
    "MaxQueryDuration",
    "MaxDirSyncDuration",
    "MaxTempTableSize",
    "MaxResultSetSize",
    "MinResultSets",
    "MaxResultSetsPerConn",
    "MaxNotificationPerConn",
    "MaxValRange",
    "MaxValRangeTransitive",
    "ThreadMemoryLimit",
    "SystemMemoryLimitPercent",
];

/// supportedSASLMechanisms as AD advertises them ([research] §6). The
/// emulator implements none of them (a SASL bind gets
/// [`auth_method_not_supported`]); they are listed for fidelity.
pub const SUPPORTED_SASL_MECHANISMS: [&str; 4] = ["GSSAPI", "GSS-SPNEGO", "EXTERNAL", "DIGEST-MD5"];

/// The global catalog's partial attribute set (PAS) of the default schema:
/// the attributes a GC (3268/3269) holds and matches for every object — the
/// 200 attributes Microsoft's published AD DS schema (Windows Server 2016)
/// marks `isMemberOfPartialAttributeSet: TRUE`. The list is data,
/// `emulators/src/ad_dc/partial_attribute_set.txt`, whose header cites the
/// source. Not in it: employeeID, department, employeeNumber, extension
/// attributes, secrets and most logon statistics (stackoverflow.com/questions/16412236:
/// "employeeID is never returned" on 3268). `memberOf`, a back-link computed
/// from the `member` values the GC holds, is answered too (see [`GC_BACKLINKS`]).
pub fn partial_attribute_set() -> impl Iterator<Item = &'static str> {
    PARTIAL_ATTRIBUTE_SET_FILE
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

const PARTIAL_ATTRIBUTE_SET_FILE: &str = include_str!("partial_attribute_set.txt");

/// The PAS, sorted by ASCII-lowercase bytes, for a binary search.
static PAS_SORTED: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    let mut v: Vec<&'static str> = partial_attribute_set().collect();
    v.sort_by(|a, b| cmp_ignore_case(a, b));
    v
});

fn cmp_ignore_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Back-links the GC computes from PAS link values ([research] §8: memberOf
/// lists, on a single-domain forest, every group of the GC's own domain).
pub const GC_BACKLINKS: [&str; 1] = ["memberOf"];

/// True if a GC holds `attr` (case-insensitive).
pub fn in_gc(attr: &str) -> bool {
    PAS_SORTED
        .binary_search_by(|a| cmp_ignore_case(a, attr))
        .is_ok()
        || GC_BACKLINKS.iter().any(|a| a.eq_ignore_ascii_case(attr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_the_captures() {
        assert_eq!(
            bind_failure(AdVersion::Ws2019, "52e"),
            "80090308: LdapErr: DSID-0C090439, comment: AcceptSecurityContext error, data 52e, v4563\0"
        );
        assert_eq!(
            strong_auth_required(AdVersion::Ws2019),
            "00002028: LdapErr: DSID-0C090259, comment: The server requires binds to turn on integrity checking if SSL\\TLS are not already active on the connection, data 0, v4563\0"
        );
        assert!(not_authenticated(AdVersion::Ws2022).starts_with(
            "000004DC: LdapErr: DSID-0C090A5A, comment: In order to perform this operation a successful bind must be completed on the connection., data 0, v4f7c"
        ));
        assert_eq!(
            referral("example.com"),
            "0000202B: RefErr: DSID-0310082F, data 0, 1 access points\n\tref 1: 'example.com'\n\0"
        );
        assert!(in_gc("SAMACCOUNTNAME"));
        assert!(in_gc("memberof"));
        assert!(!in_gc("employeeID"));
    }

    /// The PAS is Microsoft's published default: 200 attributes, among them
    /// those the measurement found missing on 3268/3269 (issue 12), and not
    /// what only an Exchange schema update adds.
    #[test]
    fn partial_attribute_set_is_the_published_default() {
        let pas: Vec<&str> = partial_attribute_set().collect();
        assert_eq!(pas.len(), 200);
        let mut sorted = pas.clone();
        sorted.sort_by(|a, b| cmp_ignore_case(a, b));
        assert_eq!(pas, sorted, "the data file stays sorted");
        for a in [
            "instanceType",
            "dNSHostName",
            "isDeleted",
            "lastLogonTimestamp",
            "homePhone",
            "manager",
            "mail",
            "objectSid",
            "userCertificate",
            "msDS-cloudExtensionAttribute20",
        ] {
            assert!(in_gc(a), "{a}");
            assert!(in_gc(&a.to_ascii_uppercase()), "{a}");
        }
        for a in [
            "proxyAddresses",
            "department",
            "employeeID",
            "pwdLastSet",
            "logonCount",
            "",
        ] {
            assert!(!in_gc(a), "{a}");
        }
    }
}

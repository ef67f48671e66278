//! Enterprise Chat and Email (ECE) 12.x as the topology runs it: the web
//! server ([`web`]: IIS in front of the application servers), the
//! application servers ([`app`]), ECE's database ([`db`]), its side of the
//! Unified CCE integration ([`integration`]), ECE's logs ([`log`]),
//! and what its parts share — the files, URL paths and ports by which they
//! and SPOG find each other.

pub mod app;
pub mod db;
pub mod integration;
pub mod log;
pub mod web;

/// The LDAPS trust store of [ECE] 2.1 on each application server, and its password.
pub const ECE_LDAP_KEYSTORE: &str = r"c:\ece\pcce\mydomain.jks";
/// The password of [`ECE_LDAP_KEYSTORE`] in [ECE] 2.1's example.
pub const ECE_LDAP_KEYSTORE_PASS: &str = "MyP@ssword";
/// ECE's log directory on a 400-agent single-side collocated server (docs/requirements.md §6).
pub const ECE_LOGS: &str = r"{ECE_HOME}\eService_RT\logs";
/// ECE's log directory on each server of an HA or distributed deployment (docs/requirements.md §6).
pub const ECE_LOGS_HA: &str = r"{ECE_HOME}\eService\logs";

/// Where the application servers write their logs, given how many there are.
pub fn ece_logs(servers: usize) -> &'static str {
    if servers > 1 {
        ECE_LOGS_HA
    } else {
        ECE_LOGS
    }
}

/// The SPOG gadget configuration on every ECE web server ([ECE] 3).
pub const SPOG_CONFIG: &str = r"{ECE_HOME}\eService\templates\finesse\gadget\spog\spog_config.js";

/// The URL path under which IIS serves `{ECE_HOME}\eService\templates`
/// (ccelab's choice; the file itself is [ECE] 3's).
pub const SPOG_CONFIG_URL: &str = "/default/templates/finesse/gadget/spog/spog_config.js";

/// The request the gadget's script makes from the browser to
/// `{web_server_protocol}://{web_server_name}` (an invented path).
pub const GADGET_SESSION_PATH: &str = "/default/spog/session";

/// The port of an application server's HTTP listener, where IIS forwards
/// ECE's requests: WildFly's default HTTP port. The sources do not say how
/// ECE's web tier reaches WildFly; the port and the forwarding are ccelab's.
pub const APP_SERVER_PORT: u16 = 8080;

/// The header that names the SPOG administrator on the gadget's session
/// call (ccelab's stand-in for however SPOG passes the signed-in user to ECE;
/// the sources do not say).
pub const SPOG_USER_HEADER: &str = "X-SPOG-User";

/// The two settings of `spog_config.js` ([ECE] 3): `var web_server_protocol
/// = "…";` and `var web_server_name = "…";` (None where a line is missing,
/// as the gadget's script then has no such variable).
pub fn spog_settings(js: &str) -> (Option<String>, Option<String>) {
    let var = |name: &str| {
        js.lines().find_map(|l| {
            let l = l.trim().strip_prefix("var ")?.trim_start();
            let rest = l.strip_prefix(name)?.trim_start().strip_prefix('=')?.trim();
            let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let v = &rest[1..];
            Some(v[..v.find(q)?].to_string())
        })
    };
    (var("web_server_protocol"), var("web_server_name"))
}

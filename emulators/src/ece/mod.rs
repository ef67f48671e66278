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

/// The gadget's page, which SPOG's Email and Chat page frames with the
/// SPOG administrator as `?user=` (issue 18): ECE's page, answered by an
/// application server through IIS (the same path CCE Administration's Java
/// fetches with the `pa` credentials); its script reads `spog_config.js`
/// and calls `web_server_protocol://web_server_name` ([ECE] 3; F13). With
/// every application server's "Cisco Service" stopped the frame shows
/// Chrome's "might be temporarily down" page (F3, [`web`]). The path, the
/// query and the script are ccelab's (L): ECE's own gadget is not public.
pub const SPOG_GADGET_PAGE: &str = "/default/spog/gadget";

/// The gadget page's HTML and script ([`SPOG_GADGET_PAGE`]): it shows
/// `ECE gadget loaded` once its session call and first view succeed,
/// SPOG's error text when ECE cannot sign the administrator in (F4), and
/// nothing when its call is blocked (F13: the browser's console says why).
pub const SPOG_GADGET_HTML: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Email and Chat</title>
<script src="/default/templates/finesse/gadget/spog/spog_config.js"></script>
</head><body><div id="gadget">Loading</div>
<script>
(function () {
  var show = function (t) { document.getElementById('gadget').textContent = t; };
  var user = new URLSearchParams(location.search).get('user') || '';
  var base = web_server_protocol + '://' + web_server_name;
  var start = new XMLHttpRequest();
  start.open('GET', base + '/default/spog/session?user=' + encodeURIComponent(user));
  start.withCredentials = true;
  start.onload = function () {
    if (start.status === 500) { show('There was an error loading the page. Contact your administrator.'); return; }
    if (start.status !== 200) { show(''); return; }
    var inbox = new XMLHttpRequest();
    inbox.open('GET', base + '/default/spog/inbox');
    inbox.withCredentials = true;
    inbox.onload = function () {
      if (inbox.responseURL.indexOf('/login/') >= 0) { show("The Email and Chat gadget shows ECE's login page instead of its content (its session is not known on the web server the request reached)."); return; }
      show(inbox.status === 200 ? 'ECE gadget loaded' : '');
    };
    inbox.onerror = function () { show(''); };
    inbox.send();
  };
  start.onerror = function () { show(''); };
  start.send();
})();
</script></body></html>
"#;

/// The request the gadget's script makes from the browser to
/// `{web_server_protocol}://{web_server_name}` (an invented path).
pub const GADGET_SESSION_PATH: &str = "/default/spog/session";

/// The gadget's first view after its session starts: it needs the
/// session (an invented path; F23 shows here when the session's requests
/// land on different web servers).
pub const GADGET_INBOX_PATH: &str = "/default/spog/inbox";

/// The cookie of an ECE session (WildFly's session cookie; the sources
/// name none for ECE's console: ccelab's choice).
pub const SESSION_COOKIE: &str = "JSESSIONID";

/// The header by which IIS tells an application server whose session a
/// request belongs to (ccelab's stand-in for the web tier's session
/// handling; IIS drops it from what clients send).
pub const SESSION_USER_HEADER: &str = "X-ECE-Session-User";

/// The page a signed-in administrator sees (an invented path under each
/// partition; what matters is that it needs the session).
pub const HOME: &str = "home";

/// Where a request without a session the web server knows is sent: the
/// partition's login page. The system partition's path is the one of
/// Cisco's dCloud ECE 12.5 lab (`/system/web/view/platform/common/login/root.jsp?partitionId=0`);
/// the business partition's is its analogue (no source gives it).
pub fn login_page(partition: &str) -> String {
    let id = if partition == "system" { 0 } else { 1 };
    format!("/{partition}/web/view/platform/common/login/root.jsp?partitionId={id}")
}

/// The partition of a page that needs a session (`/default/home`,
/// `/system/home`, the gadget's inbox), or None.
pub fn session_partition(path: &str) -> Option<&'static str> {
    match path {
        "/default/home" | GADGET_INBOX_PATH => Some("default"),
        "/system/home" => Some("system"),
        _ => None,
    }
}

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

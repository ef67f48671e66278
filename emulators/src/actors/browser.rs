//! The administrator's browser showing the ECE gadget in SPOG ([ECE] 3, F4,
//! F13): the gadget's script, its session call to ECE through IIS, and what
//! Chrome's console says when it fails.

use std::net::SocketAddr;
use std::time::Duration;

use crate::ece::{
    login_page, spog_settings, GADGET_INBOX_PATH, GADGET_SESSION_PATH, SPOG_CONFIG_URL,
};
use crate::network::{Network, Unreachable};
use crate::personality::{self, Failed, KeptAlive};

/// What the gadget did in the administrator's browser.
pub enum InBrowser {
    /// The console lines (Chrome's wording); none when the gadget works.
    Console(Vec<String>),
    /// ECE answered the session call with an error: it could not sign the
    /// SPOG administrator in (F4); the page shows SPOG's error, the
    /// console the failed request.
    SignInFailed(Vec<String>),
    /// The session started, but the gadget's next request reached a web
    /// server that does not know it: ECE's login page shows in the gadget
    /// (F23 behind a load balancer without persistence; what ECE's gadget
    /// really shows then is not in the sources).
    SessionLost,
}

/// The cookies the browser keeps for the gadget's origin (name, value).
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn take(&mut self, reply: &personality::Reply) {
        for (k, v) in &reply.headers {
            if k != "set-cookie" {
                continue;
            }
            let Some((n, val)) = v.split(';').next().and_then(|c| c.split_once('=')) else {
                continue;
            };
            let (n, val) = (n.trim().to_string(), val.trim().to_string());
            self.0.retain(|(o, _)| *o != n);
            // a browser keeps a bounded number of cookies per site
            if self.0.len() < 50 {
                self.0.push((n, val));
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The gadget in the administrator's browser ([ECE] 3, F13): its script
/// reads `spog_config.js` from the web server and calls
/// `{web_server_protocol}://{web_server_name}` from the gadget's origin
/// `https://{name}` (the inventory name SPOG loaded it from), framed by
/// SPOG's page `top` (`https://<ADS>/cceadmin/email-and-chat`). A browser
/// blocks `http` from an https page (mixed content) and a call to another
/// origin without CORS headers (ECE sends none); a name that does not
/// resolve fails. Returns the console lines (Chrome's wording); empty
/// when the gadget's call succeeds. Sources for the texts (no browser runs
/// in the tests): the Mixed Content line for an XHR as captured in public
/// write-ups (e.g. zouwang.vip "open CDN mixed content": "Mixed Content:
/// The page at '…' was loaded over HTTPS, but requested an insecure
/// XMLHttpRequest endpoint '…'. This request has been blocked; the content
/// must be served over HTTPS."), Chrome's CORS console message ("…has been
/// blocked by CORS policy: No 'Access-Control-Allow-Origin' header is
/// present on the requested resource."), and Chrome's `net::ERR_*` names.
pub async fn gadget_in_browser(
    network: &dyn Network,
    name: &str,
    addr: SocketAddr,
    sni: bool,
    user: &str,
    top: &str,
) -> InBrowser {
    // the gadget's page, as SPOG's Email and Chat page frames it
    let query = format!("?user={}", crate::platform::http::percent_encode(user));
    // Chrome names the top-level page (SPOG's) in a frame's mixed content
    // (real Chromium, harness/tests/browser.rs)
    let page = top.to_string();
    let timeout = Duration::from_secs(10);
    let mut jar = Jar::default();
    // one kept-alive connection per origin, as Chrome keeps them: behind a
    // load balancer that routes per connection, all of the gadget's
    // requests to one origin land on one web server (F23 then shows only
    // on a new connection; real Chromium, harness/tests/browser.rs)
    let mut gadget_origin = KeptAlive::new(addr, name, sni);
    let js = match gadget_origin.get(SPOG_CONFIG_URL, &[], timeout).await {
        Ok(r) if r.status == 200 => {
            jar.take(&r);
            r.body
        }
        Ok(personality::Reply { status, .. }) => {
            return InBrowser::Console(vec![format!(
                "GET https://{name}{SPOG_CONFIG_URL} {}",
                status_text(status, gadget_origin.http2())
            )]);
        }
        Err(e) => {
            return InBrowser::Console(vec![format!(
                "GET https://{name}{SPOG_CONFIG_URL} {}",
                net_error(&e)
            )])
        }
    };
    let (protocol, server) = match spog_settings(&js) {
        (Some(p), Some(s)) => (p, s),
        (None, _) => {
            return InBrowser::Console(vec![
                "Uncaught ReferenceError: web_server_protocol is not defined".into(),
            ])
        }
        (_, None) => {
            return InBrowser::Console(vec![
                "Uncaught ReferenceError: web_server_name is not defined".into(),
            ])
        }
    };
    let session_path = format!("{GADGET_SESSION_PATH}{query}");
    // URLs as Chrome writes them: the host in lower case
    let host = server.to_ascii_lowercase();
    let target = format!("{protocol}://{host}{session_path}");
    if !protocol.eq_ignore_ascii_case("https") {
        return InBrowser::Console(vec![format!(
                "Mixed Content: The page at '{page}' was loaded over HTTPS, but requested an insecure XMLHttpRequest endpoint '{target}'. This request has been blocked; the content must be served over HTTPS."
            )]);
    }
    let to = match network.endpoint(&server, 443) {
        Ok(to) => to,
        Err(Unreachable::Refused) => {
            return InBrowser::Console(vec![format!("GET {target} net::ERR_CONNECTION_REFUSED")])
        }
        Err(Unreachable::UnknownHost) => {
            return InBrowser::Console(vec![format!("GET {target} net::ERR_NAME_NOT_RESOLVED")])
        }
    };
    if !server.eq_ignore_ascii_case(name) {
        // the connection comes first: a certificate that does not carry the
        // name fails the request before CORS is looked at (an HA web server
        // called by its own name serves the VIP's certificate: F13 with HA)
        if let personality::Contact::Presented { chain, .. } =
            personality::fetch_chain(to, &server, sni, timeout).await
        {
            if chain.first().is_some_and(|leaf| !covers(leaf, &server)) {
                return InBrowser::Console(vec![format!(
                    "GET {target} net::ERR_CERT_COMMON_NAME_INVALID"
                )]);
            }
        }
        return InBrowser::Console(vec![
                format!("Access to XMLHttpRequest at '{target}' from origin 'https://{name}' has been blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested resource."),
                format!("GET {target} net::ERR_FAILED"),
            ]);
    }
    // the same origin (the name differs in case at most): the same connection
    let mut origin = if to == addr {
        gadget_origin
    } else {
        KeptAlive::new(to, &server, sni)
    };
    // longer than IIS waits for an application server, which waits for the DC
    let session = Duration::from_secs(25);
    let cookies = jar.header();
    let mut who = vec![];
    if !cookies.is_empty() {
        who.push(("Cookie", cookies.as_str()));
    }
    match origin.get(&session_path, &who, session).await {
        Ok(r) if r.status == 200 => jar.take(&r),
        // ECE could not sign the administrator in (its log says why)
        Ok(r) if r.status == 500 => {
            return InBrowser::SignInFailed(vec![format!(
                "GET {target} {}",
                status_text(500, origin.http2())
            )]);
        }
        Ok(r) => {
            return InBrowser::Console(vec![format!(
                "GET {target} {}",
                status_text(r.status, origin.http2())
            )]);
        }
        Err(e) => return InBrowser::Console(vec![format!("GET {target} {}", net_error(&e))]),
    }
    // the gadget's first view, with the session's cookie
    let inbox = format!("{protocol}://{host}{GADGET_INBOX_PATH}");
    let cookies = jar.header();
    let with: Vec<(&str, &str)> = if cookies.is_empty() {
        vec![]
    } else {
        vec![("Cookie", cookies.as_str())]
    };
    match origin.get(GADGET_INBOX_PATH, &with, session).await {
        Ok(r) if r.status == 200 => InBrowser::Console(vec![]),
        Ok(r)
            if r.status == 302
                && r.header("location")
                    .is_some_and(|l| l.ends_with(&login_page("default"))) =>
        {
            InBrowser::SessionLost
        }
        Ok(r) => InBrowser::Console(vec![format!(
            "GET {inbox} {}",
            status_text(r.status, origin.http2())
        )]),
        Err(e) => InBrowser::Console(vec![format!("GET {inbox} {}", net_error(&e))]),
    }
}

/// A request that got no answer, as Chrome's console names it (`net::ERR_*`:
/// Chrome's error names; which one Chrome picks for a closed or reset
/// connection is ccelab's reading of them, not measured — no scenario's
/// gadget meets them).
fn net_error(e: &Failed) -> &'static str {
    match e {
        Failed::StreamReset => "net::ERR_HTTP2_PROTOCOL_ERROR",
        Failed::Contact(personality::Contact::Refused) => "net::ERR_CONNECTION_REFUSED",
        Failed::Contact(personality::Contact::TimedOut) => "net::ERR_CONNECTION_TIMED_OUT",
        Failed::Contact(personality::Contact::Closed) => "net::ERR_CONNECTION_CLOSED",
        _ => "net::ERR_CONNECTION_RESET",
    }
}

/// A failed request's status as Chrome's console shows it: `500 (Internal
/// Server Error)` over HTTP/1.1, `500 ()` over HTTP/2, whose answers have
/// no reason phrase (real Chromium, harness/tests/browser.rs).
pub fn status_text(status: u16, http2: bool) -> String {
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .filter(|_| !http2)
        .unwrap_or("");
    format!("{status} ({reason})")
}

/// Whether `leaf` is valid for `name` (the browser's name check: rustls-webpki).
fn covers(leaf: &crate::pki::Certificate, name: &str) -> bool {
    let der = rustls::pki_types::CertificateDer::from(leaf.der());
    let Ok(ee) = webpki::EndEntityCert::try_from(&der) else {
        return false;
    };
    rustls::pki_types::ServerName::try_from(name)
        .is_ok_and(|n| ee.verify_is_valid_for_subject_name(&n).is_ok())
}

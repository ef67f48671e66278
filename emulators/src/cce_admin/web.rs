//! CCE Administration's web UI on each ADS (issue 18): the pages a real
//! browser loads at `https://<ADS FQDN>/cceadmin` — the sign-in page, the
//! Overview with its cards, and the Email and Chat page that embeds ECE's
//! gadget as SPOG does ([ECE] 3–4; F1, F2, F7–F10, F12, F13).
//!
//! What is sourced: the path `/cceadmin` (Packaged CCE Administration
//! Guide, "Sign In": M for 12.x), sign-in with the administrator's account
//! (UCCE Security Guide: AD credentials, H), the left navigation's
//! **Overview** with cards such as **Infrastructure Settings** and
//! **Features** (UCCE 12.5 Administration Guide, H), the gadget's
//! server-side fetch by the ADS's Tomcat with its `cacerts` (orourke.tv's
//! ECE notes, M) and the error text [`super::GADGET_ERROR`] ([ECE]
//! troubleshooting, H). Invented (L): the page layout and titles, the form
//! fields' names, the wrong-password text, where the Email and Chat card
//! sits, the session cookie, and the gadget page's path and script on the
//! ECE web server ([`crate::ece::SPOG_GADGET_PAGE`]).

use std::collections::HashMap;
use std::sync::{Mutex, Weak};

use crate::platform::http::{escape_markup, form_fields};
use crate::tls::{HttpRequest, HttpResponse};

use super::RunningCceAdmin;

/// The UI's root.
pub const ROOT: &str = "/cceadmin";
/// The sign-in form's target (Tomcat's form authentication).
pub const SIGN_IN: &str = "/cceadmin/j_security_check";
/// The Overview (the first page after sign-in).
pub const OVERVIEW: &str = "/cceadmin/overview";
/// The Email and Chat page (ECE's gadget).
pub const EMAIL_AND_CHAT: &str = "/cceadmin/email-and-chat";
/// The session cookie (Tomcat's).
const COOKIE: &str = "JSESSIONID";
/// Sessions kept at most (the oldest goes first).
const MAX_SESSIONS: usize = 256;
/// The text of a failed sign-in (L).
pub const BAD_SIGN_IN: &str = "Invalid username or password.";

/// The signed-in administrators, by session id.
#[derive(Default)]
pub(crate) struct Sessions {
    next: u64,
    by_id: HashMap<String, String>,
    order: Vec<String>,
}

impl Sessions {
    fn open(&mut self, user: &str) -> String {
        self.next += 1;
        // 128 random bits: the cookie is what stands for the password
        let id = format!("{:032X}", rand::random::<u128>());
        if self.order.len() >= MAX_SESSIONS {
            let old = self.order.remove(0);
            self.by_id.remove(&old);
        }
        self.order.push(id.clone());
        self.by_id.insert(id.clone(), user.to_string());
        id
    }
}

fn page(title: &str, body: &str) -> HttpResponse {
    HttpResponse {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "text/html; charset=utf-8".into()),
            ("Cache-Control".into(), "no-store".into()),
        ],
        body: format!(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>{title}</title>\n<style>body{{font-family:sans-serif;margin:0}}header{{background:#0d274d;color:#fff;padding:8px 16px}}nav{{float:left;width:160px;padding:16px}}a,a:visited{{color:#1a0dab}}main{{margin-left:200px;padding:16px}}.card{{display:inline-block;border:1px solid #ccc;border-radius:4px;padding:16px;margin:8px;width:180px}}.error{{color:#b00020}}iframe{{border:1px solid #ccc;width:100%;height:480px}}</style>\n</head><body><header>Unified Contact Center Enterprise Management</header>\n{body}\n</body></html>\n"
        )
        .into_bytes(),
    }
}

fn sign_in_page(error: Option<&str>) -> HttpResponse {
    let error = error
        .map(|e| format!("<p class=\"error\" id=\"error\">{}</p>", escape_markup(e)))
        .unwrap_or_default();
    page(
        "Sign In",
        &format!(
            "<main><h1>Sign In</h1>{error}<form method=\"post\" action=\"{SIGN_IN}\"><p><label>Username <input name=\"j_username\" id=\"username\" autocomplete=\"username\"></label></p><p><label>Password <input type=\"password\" name=\"j_password\" id=\"password\" autocomplete=\"current-password\"></label></p><p><button type=\"submit\" id=\"sign-in\">Sign In</button></p></form></main>"
        ),
    )
}

fn nav() -> String {
    format!("<nav><p><a href=\"{OVERVIEW}\">Overview</a></p><p><a href=\"{EMAIL_AND_CHAT}\">Email and Chat</a></p></nav>")
}

fn session_user(sessions: &Mutex<Sessions>, r: &HttpRequest) -> Option<String> {
    let cookies = r
        .headers
        .iter()
        .filter(|(k, _)| k == "cookie")
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|c| c.trim().split_once('='));
    let ids: Vec<String> = cookies
        .filter(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
        .collect();
    let s = sessions.lock().unwrap_or_else(|e| e.into_inner());
    ids.iter().find_map(|id| s.by_id.get(id).cloned())
}

/// One request under `/cceadmin`.
pub(crate) async fn serve(admin: Weak<RunningCceAdmin>, r: HttpRequest) -> HttpResponse {
    let Some(admin) = admin.upgrade() else {
        return HttpResponse::text(503, "Service Unavailable\n");
    };
    let sessions = &admin.web_sessions;
    let user = session_user(sessions, &r);
    match (r.method.as_str(), r.path.trim_end_matches('/')) {
        ("POST", SIGN_IN) => {
            let f = form_fields(&String::from_utf8_lossy(&r.body));
            let (u, p) = (
                f.get("j_username").cloned().unwrap_or_default(),
                f.get("j_password").cloned().unwrap_or_default(),
            );
            let (au, ap) = &admin.deployment.admin;
            if !u.eq_ignore_ascii_case(au) || p != *ap {
                return sign_in_page(Some(BAD_SIGN_IN));
            }
            let id = sessions
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .open(au);
            HttpResponse {
                status: 302,
                headers: vec![
                    ("Location".into(), OVERVIEW.into()),
                    (
                        "Set-Cookie".into(),
                        format!("{COOKIE}={id}; Path={ROOT}; Secure; HttpOnly; SameSite=Strict"),
                    ),
                ],
                body: Vec::new(),
            }
        }
        ("GET", ROOT) if user.is_some() => HttpResponse::redirect(OVERVIEW),
        ("GET", ROOT) => sign_in_page(None),
        (_, OVERVIEW | EMAIL_AND_CHAT) if user.is_none() => HttpResponse::redirect(ROOT),
        ("GET", OVERVIEW) => page(
            "Overview",
            &format!(
                "{}<main><h1>Overview</h1><div class=\"card\">Infrastructure Settings</div><div class=\"card\">Features</div><div class=\"card\" id=\"email-and-chat\"><a href=\"{EMAIL_AND_CHAT}\">Email and Chat</a></div></main>",
                nav()
            ),
        ),
        ("GET", EMAIL_AND_CHAT) => {
            let user = user.unwrap_or_default();
            let body = match admin.gadget_server_side().await {
                Ok(super::GadgetFrame::Frame(name)) => format!(
                    "<iframe id=\"ece-gadget\" title=\"Email and Chat\" src=\"https://{}{}?user={}\"></iframe>",
                    escape_markup(&name),
                    crate::ece::SPOG_GADGET_PAGE,
                    crate::platform::http::percent_encode(&user)
                ),
                Ok(super::GadgetFrame::Error) => format!(
                    "<p class=\"error\" id=\"gadget-error\">{}</p>",
                    super::GADGET_ERROR
                ),
                Ok(super::GadgetFrame::NoInventory) => {
                    "<p class=\"error\" id=\"gadget-error\">The Email and Chat card is not available: no ECE web server (ECE_WEB_SERVER) in the inventory.</p>".to_string()
                }
                Err(_) => format!("<p class=\"error\" id=\"gadget-error\">{}</p>", super::GADGET_ERROR),
            };
            page(
                "Email and Chat",
                &format!("{}<main><h1>Email and Chat</h1>{body}</main>", nav()),
            )
        }
        _ => HttpResponse::text(404, "Not Found\n"),
    }
}

//! Cisco Identity Service (IdS), publisher and subscriber ([SEC]; Cisco's
//! IdS client SDK overview: "a light-weight OAuth server built to support
//! Single Sign-On … SAML 2.0 … OAuth 2.0 … Authorization Code Grant flow"),
//! on the VOS platform: **Cisco Identity Service** serves HTTPS 8553.
//!
//! The pieces of the SSO flow a client tool drives (paths: docs/research/ids.md;
//! where it marks a path L, so is it here):
//!
//! 1. `GET /ids/v1/oauth/authorize?client_id=…&redirect_uri=…&response_type=code&state=…`
//!    → 302 to the identity provider with a SAML request;
//! 2. the IdP — here a minimal emulated one on the IdS host, `GET|POST
//!    /idp/sso` (ccelab's, standing in for AD FS) — shows a login form for
//!    the agents the deployment provisions and answers with a form that
//!    posts `SAMLResponse` and `RelayState` to
//! 3. `POST /ids/saml/response` (Cisco's ACS URL, H) → a page whose form
//!    posts a hidden `uniqueId` to `POST /ids/relay` (real client scripts, M),
//!    which redirects to the client's `redirect_uri` with `code` and `state`;
//! 4. `POST /ids/v1/oauth/token` (`grant_type=authorization_code` with the
//!    code and `redirect_uri`, or `refresh_token`) → JSON `access_token`,
//!    `refresh_token`, `expires_in`, `token_type`, `user_name` (no source
//!    shows IdS's token endpoint — real clients use Cisco's Java SDK —: the
//!    path and fields are RFC 6749's, L);
//! 5. `GET /ids/v1/oauth/check_token?access_token=…` → the token's user, or
//!    401: what Finesse calls to accept `Authorization: Bearer` (L, as 4).
//!
//! `/idsadmin` answers the IdS administration page's shell. The SAML
//! messages are not signed XML: in place of the signature, the IdS takes
//! only a response whose `ID` its own IdP issued, once; codes live 60 s, access tokens 60 minutes and refresh
//! tokens 10 hours of the deployment's clock (IdS's defaults, M). Codes and
//! tokens are shared by the publisher and the subscriber, as the IdS
//! cluster replicates them; at most [`MAX_GRANTS`] are kept.

use crate::platform::http::escape_markup as esc;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rand::RngCore;

use crate::clock::Clock;
use crate::platform::vos::appliance::{Appliance, HandlerFactory, WebService};
use crate::platform::vos::{TomcatLoad, VosConfig};
use crate::product::{HostCtx, ProductError};
use crate::tls::{HttpRequest, HttpResponse};

/// The IdS service.
pub const IDS_SERVICE: &str = "Cisco Identity Service";
/// Its HTTPS port.
pub const IDS_PORT: u16 = 8553;
/// How many codes, requests and tokens the cluster keeps.
pub const MAX_GRANTS: usize = 10_000;
/// The longest `state`, `redirect_uri` or user name kept (bytes).
pub const MAX_FIELD: usize = 1024;

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A user the emulated IdP knows (login name, password).
pub type Login = (String, String);

#[derive(Clone, Debug)]
struct Pending {
    redirect_uri: String,
    state: String,
}

#[derive(Clone, Debug)]
struct Code {
    user: String,
    redirect_uri: String,
    expires: time::OffsetDateTime,
}

#[derive(Clone, Debug)]
struct Token {
    user: String,
    expires: time::OffsetDateTime,
    refresh: bool,
}

/// The IdS cluster's state: the users its IdP authenticates, the OAuth
/// clients and what it granted.
pub struct IdsCluster {
    users: Vec<Login>,
    /// The registered OAuth clients: id → (secret, redirect URI prefixes).
    clients: Vec<(String, String, Vec<String>)>,
    clock: Clock,
    grants: Mutex<Grants>,
}

#[derive(Default)]
struct Grants {
    pending: HashMap<String, Pending>,
    /// The assertions the emulated IdP issued, not yet consumed.
    assertions: std::collections::HashSet<String>,
    relays: HashMap<String, (Pending, String)>,
    codes: HashMap<String, Code>,
    tokens: HashMap<String, Token>,
}

impl Grants {
    fn room(&mut self) {
        if self.pending.len()
            + self.assertions.len()
            + self.relays.len()
            + self.codes.len()
            + self.tokens.len()
            >= MAX_GRANTS
        {
            // the oldest are not known; a full table starts over (no grant
            // outlives a flood)
            self.pending.clear();
            self.assertions.clear();
            self.relays.clear();
            self.codes.clear();
            self.tokens.clear();
        }
    }
}

impl IdsCluster {
    /// A cluster whose IdP knows `users` and whose OAuth clients are
    /// `clients` (id, secret, allowed redirect URI prefixes).
    pub fn new(
        users: Vec<Login>,
        clients: Vec<(String, String, Vec<String>)>,
        clock: Clock,
    ) -> IdsCluster {
        IdsCluster {
            users,
            clients,
            clock,
            grants: Mutex::new(Grants::default()),
        }
    }

    fn client(&self, id: &str) -> Option<&(String, String, Vec<String>)> {
        self.clients.iter().find(|c| c.0 == id)
    }

    /// The user of a valid access token.
    pub fn check(&self, token: &str) -> Option<(String, i64)> {
        let now = self.clock.now();
        let g = self.grants.lock().unwrap_or_else(|e| e.into_inner());
        let t = g
            .tokens
            .get(token)
            .filter(|t| !t.refresh && t.expires > now)?;
        Some((t.user.clone(), (t.expires - now).whole_seconds()))
    }

    fn issue(&self, user: &str) -> serde_json::Value {
        let now = self.clock.now();
        let mut g = self.grants.lock().unwrap_or_else(|e| e.into_inner());
        g.room();
        let (access, refresh) = (random_hex(20), random_hex(20));
        g.tokens.insert(
            access.clone(),
            Token {
                user: user.to_string(),
                expires: now + time::Duration::minutes(60),
                refresh: false,
            },
        );
        g.tokens.insert(
            refresh.clone(),
            Token {
                user: user.to_string(),
                expires: now + time::Duration::hours(10),
                refresh: true,
            },
        );
        serde_json::json!({
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": 3600,
            "user_name": user,
        })
    }
}

/// JSON that is never cached (RFC 6749 §5.1).
fn json(status: u16, v: serde_json::Value) -> HttpResponse {
    let mut r = HttpResponse::json(status, v);
    r.headers.push(("Cache-Control".into(), "no-store".into()));
    r
}

fn oauth_error(status: u16, error: &str, description: &str) -> HttpResponse {
    json(
        status,
        serde_json::json!({"error": error, "error_description": description}),
    )
}

fn html(status: u16, title: &str, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "text/html;charset=UTF-8".into())],
        body: format!("<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n<body>\n{body}\n</body></html>\n").into_bytes(),
    }
}

use crate::platform::http::{form_fields as form, percent_encode as encode};

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn unb64(s: &str) -> Option<String> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

/// The text of the first `<name…>…</name>` element.
fn element(xml: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{name}"))?;
    let open_end = xml[start..].find('>')? + start + 1;
    let close = xml[open_end..].find(&format!("</{name}>"))? + open_end;
    Some(xml[open_end..close].to_string())
}

/// The handler of one IdS node (`fqdn` is where the IdP's answer posts).
fn handle(c: &IdsCluster, fqdn: &str, r: &HttpRequest) -> HttpResponse {
    let now = c.clock.now();
    let q = form(&r.query);
    match (r.method.as_str(), r.path.trim_end_matches('/')) {
        ("GET", "/idsadmin") => html(
            200,
            "Cisco Identity Service Management",
            &format!(
                "<h1>Cisco Identity Service Management</h1>\n<p>{}</p>",
                esc(fqdn)
            ),
        ),
        ("GET", "/ids/v1/oauth/authorize") => {
            let (Some(client_id), Some(redirect_uri)) = (q.get("client_id"), q.get("redirect_uri"))
            else {
                return oauth_error(
                    400,
                    "invalid_request",
                    "client_id and redirect_uri are required",
                );
            };
            let state = q.get("state").cloned().unwrap_or_default();
            if redirect_uri.len() > MAX_FIELD || state.len() > MAX_FIELD {
                return oauth_error(400, "invalid_request", "redirect_uri or state is too long");
            }
            if q.get("response_type").map(String::as_str) != Some("code") {
                return oauth_error(
                    400,
                    "unsupported_response_type",
                    "response_type must be code",
                );
            }
            let Some(client) = c.client(client_id) else {
                return oauth_error(400, "invalid_client", "unknown client_id");
            };
            if !client
                .2
                .iter()
                .any(|p| redirect_uri.starts_with(p.as_str()))
            {
                return oauth_error(
                    400,
                    "invalid_request",
                    "redirect_uri is not registered for this client",
                );
            }
            let id = format!("_{}", random_hex(16));
            {
                let mut g = c.grants.lock().unwrap_or_else(|e| e.into_inner());
                g.room();
                g.pending.insert(
                    id.clone(),
                    Pending {
                        redirect_uri: redirect_uri.clone(),
                        state,
                    },
                );
            }
            let request = format!("<samlp:AuthnRequest ID=\"{id}\" AssertionConsumerServiceURL=\"https://{fqdn}:{IDS_PORT}/ids/saml/response\"/>");
            HttpResponse::redirect(&format!(
                "https://{fqdn}:{IDS_PORT}/idp/sso?SAMLRequest={}&RelayState={}",
                encode(&b64(&request)),
                encode(&id)
            ))
        }
        ("GET", "/idp/sso") => {
            let (Some(req), Some(relay)) = (q.get("SAMLRequest"), q.get("RelayState")) else {
                return html(400, "Sign In", "<p class=\"error\">No SAML request.</p>");
            };
            idp_form(req, relay, None)
        }
        ("POST", "/idp/sso") => {
            let f = form(&String::from_utf8_lossy(&r.body));
            let (req, relay) = (
                f.get("SAMLRequest").cloned().unwrap_or_default(),
                f.get("RelayState").cloned().unwrap_or_default(),
            );
            let user = f.get("UserName").cloned().unwrap_or_default();
            if user.len() > MAX_FIELD {
                return idp_form(&req, &relay, Some("Incorrect user ID or password. Type the correct user ID and password, and try again."));
            }
            let ok = c
                .users
                .iter()
                .any(|(u, p)| u.eq_ignore_ascii_case(&user) && Some(p) == f.get("Password"));
            if !ok {
                return idp_form(&req, &relay, Some("Incorrect user ID or password. Type the correct user ID and password, and try again."));
            }
            let Some(id) = unb64(&req).and_then(|x| {
                let at = x.find("ID=\"")? + 4;
                Some(x[at..].split('"').next()?.to_string())
            }) else {
                return html(
                    400,
                    "Sign In",
                    "<p class=\"error\">The SAML request cannot be read.</p>",
                );
            };
            // NameID transient; `uid` and `user_principal` attributes (IdS's
            // requirements, H); the IdS accepts only an assertion its IdP issued
            // (the SAML is not signed: this stands in for the signature)
            let assertion_id = format!("_{}", random_hex(16));
            {
                let mut g = c.grants.lock().unwrap_or_else(|e| e.into_inner());
                g.room();
                g.assertions.insert(assertion_id.clone());
            }
            let assertion = format!(
                "<samlp:Response ID=\"{assertion_id}\" InResponseTo=\"{id}\"><saml:Issuer>https://{fqdn}:{IDS_PORT}/idp</saml:Issuer><saml:Assertion><saml:Subject><saml:NameID Format=\"urn:oasis:names:tc:SAML:2.0:nameid-format:transient\">{}</saml:NameID></saml:Subject><saml:Conditions NotOnOrAfter=\"{}\"/><saml:AttributeStatement><saml:Attribute Name=\"uid\"><saml:AttributeValue>{}</saml:AttributeValue></saml:Attribute><saml:Attribute Name=\"user_principal\"><saml:AttributeValue>{}@{}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion></samlp:Response>",
                random_hex(8),
                (now + time::Duration::minutes(5)).unix_timestamp(),
                esc(&user),
                esc(&user),
                esc(fqdn.split_once('.').map_or(fqdn, |(_, d)| d))
            );
            html(
                200,
                "Working...",
                &format!(
                    "<form method=\"post\" name=\"hiddenform\" action=\"https://{fqdn}:{IDS_PORT}/ids/saml/response\">\n<input type=\"hidden\" name=\"SAMLResponse\" value=\"{}\">\n<input type=\"hidden\" name=\"RelayState\" value=\"{}\">\n<noscript><input type=\"submit\" value=\"Submit\"></noscript>\n</form>\n<script>document.forms[0].submit();</script>",
                    esc(&b64(&assertion)),
                    esc(&relay)
                ),
            )
        }
        ("POST", "/ids/saml/response") => {
            let f = form(&String::from_utf8_lossy(&r.body));
            let Some(xml) = f.get("SAMLResponse").and_then(|s| unb64(s)) else {
                return html(
                    400,
                    "Error",
                    "<p class=\"error\">Invalid SAML response.</p>",
                );
            };
            let relay = f.get("RelayState").cloned().unwrap_or_default();
            let in_response_to = xml
                .find("InResponseTo=\"")
                .and_then(|i| xml[i + 14..].split('"').next().map(str::to_string));
            let user = xml
                .find("Name=\"uid\">")
                .and_then(|i| element(&xml[i..], "saml:AttributeValue"));
            let not_after = xml
                .find("NotOnOrAfter=\"")
                .and_then(|i| xml[i + 14..].split('"').next()?.parse::<i64>().ok());
            let issued = xml
                .find("<samlp:Response ID=\"")
                .and_then(|i| xml[i + 20..].split('"').next().map(str::to_string));
            let mut g = c.grants.lock().unwrap_or_else(|e| e.into_inner());
            if !issued.is_some_and(|a| g.assertions.remove(&a)) {
                return html(400, "Error", "<p class=\"error\">The SAML response was not issued by this IdS's identity provider.</p>");
            }
            let pending = in_response_to
                .filter(|id| *id == relay)
                .and_then(|id| g.pending.remove(&id));
            let (Some(p), Some(user), Some(t)) = (pending, user, not_after) else {
                return html(400, "Error", "<p class=\"error\">The SAML response does not answer a request of this IdS.</p>");
            };
            if t < now.unix_timestamp() {
                return html(
                    400,
                    "Error",
                    "<p class=\"error\">The SAML assertion has expired.</p>",
                );
            }
            let unique = random_hex(16);
            g.room();
            g.relays.insert(unique.clone(), (p, user));
            html(
                200,
                "Working...",
                &format!(
                    "<form method=\"post\" action=\"/ids/relay\">\n<input type=\"hidden\" name=\"uniqueId\" value=\"{unique}\">\n<noscript><input type=\"submit\" value=\"Continue\"></noscript>\n</form>\n<script>document.forms[0].submit();</script>"
                ),
            )
        }
        ("POST", "/ids/relay") => {
            let f = form(&String::from_utf8_lossy(&r.body));
            let mut g = c.grants.lock().unwrap_or_else(|e| e.into_inner());
            let Some((p, user)) = f.get("uniqueId").and_then(|u| g.relays.remove(u)) else {
                return html(
                    400,
                    "Error",
                    "<p class=\"error\">Unknown or used uniqueId.</p>",
                );
            };
            let code = random_hex(16);
            g.room();
            g.codes.insert(
                code.clone(),
                Code {
                    user,
                    redirect_uri: p.redirect_uri.clone(),
                    expires: now + time::Duration::seconds(60),
                },
            );
            let sep = if p.redirect_uri.contains('?') {
                '&'
            } else {
                '?'
            };
            HttpResponse::redirect(&format!(
                "{}{sep}code={code}&state={}",
                p.redirect_uri,
                encode(&p.state)
            ))
        }
        ("POST", "/ids/v1/oauth/token") => {
            let f = form(&String::from_utf8_lossy(&r.body));
            // client authentication: HTTP Basic, or client_id/client_secret fields
            let (id, secret) = crate::platform::http::basic_credentials(r).unwrap_or_else(|| {
                (
                    f.get("client_id").cloned().unwrap_or_default(),
                    f.get("client_secret").cloned().unwrap_or_default(),
                )
            });
            if c.client(&id).is_none_or(|cl| cl.1 != secret) {
                return oauth_error(401, "invalid_client", "client authentication failed");
            }
            match f.get("grant_type").map(String::as_str) {
                Some("authorization_code") => {
                    let code = f.get("code").cloned().unwrap_or_default();
                    let granted = c
                        .grants
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .codes
                        .remove(&code);
                    match granted {
                        Some(g)
                            if g.expires > now
                                && Some(&g.redirect_uri) == f.get("redirect_uri") =>
                        {
                            json(200, c.issue(&g.user))
                        }
                        _ => oauth_error(
                            400,
                            "invalid_grant",
                            "the authorization code is invalid or expired",
                        ),
                    }
                }
                Some("refresh_token") => {
                    let t = f.get("refresh_token").cloned().unwrap_or_default();
                    let user = c
                        .grants
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .tokens
                        .get(&t)
                        .filter(|x| x.refresh && x.expires > now)
                        .map(|x| x.user.clone());
                    match user {
                        Some(u) => json(200, c.issue(&u)),
                        None => oauth_error(
                            400,
                            "invalid_grant",
                            "the refresh token is invalid or expired",
                        ),
                    }
                }
                _ => oauth_error(
                    400,
                    "unsupported_grant_type",
                    "grant_type must be authorization_code or refresh_token",
                ),
            }
        }
        ("GET", "/ids/v1/oauth/check_token") => {
            match q.get("access_token").and_then(|t| c.check(t)) {
                Some((user, left)) => json(
                    200,
                    serde_json::json!({"user_name": user, "active": true, "expires_in": left}),
                ),
                None => oauth_error(
                    401,
                    "invalid_token",
                    "the access token is invalid or expired",
                ),
            }
        }
        _ => HttpResponse::text(404, "Not Found"),
    }
}

fn idp_form(req: &str, relay: &str, error: Option<&str>) -> HttpResponse {
    let e = error
        .map(|e| format!("<p class=\"error\">{}</p>\n", esc(e)))
        .unwrap_or_default();
    html(
        200,
        "Sign In",
        &format!(
            "{e}<form method=\"post\" action=\"/idp/sso\">\n<input type=\"hidden\" name=\"SAMLRequest\" value=\"{}\">\n<input type=\"hidden\" name=\"RelayState\" value=\"{}\">\n<label>User name <input type=\"text\" name=\"UserName\"></label>\n<label>Password <input type=\"password\" name=\"Password\"></label>\n<input type=\"submit\" value=\"Sign in\">\n</form>",
            esc(req),
            esc(relay)
        ),
    )
}

/// What an IdS node is, beyond its platform.
pub struct IdsNode {
    /// The cluster it belongs to.
    pub cluster: Arc<IdsCluster>,
    /// Publisher (true) or subscriber.
    pub publisher: bool,
}

/// The platform services of an IdS node (`utils service list`).
pub fn platform_services() -> Vec<(String, bool)> {
    [
        ("A Cisco DB", true),
        ("A Cisco DB Replicator", true),
        ("Cisco AMC Service", true),
        ("Cisco Audit Event Service", true),
        ("Cisco Certificate Expiry Monitor", true),
        ("Cisco DRF Local", true),
        ("Cisco DRF Master", true),
        (IDS_SERVICE, true),
        ("Cisco Tomcat", true),
        ("Host Resources Agent", true),
        ("System NTP", true),
    ]
    .into_iter()
    .map(|(n, on)| (n.to_string(), on))
    .collect()
}

/// Starts IdS on a host.
pub async fn start(
    cluster: Arc<IdsCluster>,
    publisher: bool,
    vos: VosConfig,
    ctx: HostCtx,
) -> Result<Arc<Appliance>, ProductError> {
    let (c, fqdn) = (cluster.clone(), ctx.fqdn.clone());
    let factory: HandlerFactory = Arc::new(move |_load: &TomcatLoad| {
        let (c, fqdn) = (c.clone(), fqdn.clone());
        crate::tls::handler(move |r| handle(&c, &fqdn, &r))
    });
    let webs = vec![WebService::new(
        IDS_SERVICE,
        vec![(IDS_PORT, factory)],
        &ctx.disk,
    )];
    let node = IdsNode { cluster, publisher };
    Appliance::start(ctx, vos, webs, Vec::new(), Box::new(node)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saml_elements() {
        assert_eq!(
            element(
                "<a><saml:AttributeValue x=\"1\">agent1</saml:AttributeValue></a>",
                "saml:AttributeValue"
            )
            .as_deref(),
            Some("agent1")
        );
    }
}

//! Finesse's side of single sign-on with Cisco Identity Service
//! ([`crate::ids`]; docs/research/ids.md): Finesse is an OAuth client of IdS.
//!
//! * `GET /desktop/sso/token[?return_refresh_token=true]` (Cisco's Finesse
//!   SSO token API, H) sends the client to IdS's `/ids/v1/oauth/authorize`
//!   with Finesse's registered redirect URI, `/desktop/sso/authcode` (H);
//! * `GET /desktop/sso/authcode?code=…&state=…`: Finesse exchanges the code
//!   at IdS (server-side, as Java, trusting the `tomcat-trust` Cisco Finesse
//!   Tomcat loaded) and answers Cisco's token JSON: `token`,
//!   `refresh_token` (when asked for), `expires_in`, `user_id`, `realm`,
//!   `user_principal` (the DevNet example's keys, H);
//! * `POST /desktop/sso/token` with `token=` and `refresh-token=` (H):
//!   a new token, the same JSON without `refresh_token`;
//! * `Authorization: Bearer <token>` on the REST API: Finesse asks IdS
//!   whether the token is valid and whose it is (the answer is kept for the
//!   token's life, at most [`MAX_CACHED`] tokens).
//!
//! A call to IdS that fails (IdS unreachable, its certificate not trusted)
//! refuses the request with Java's exception in the error's `ErrorData`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::clock::Clock;
use crate::network::{Network, Unreachable};
use crate::personality::{self, Personality, Request, Verdict};
use crate::pki::Certificate;
use crate::tls::{HttpRequest, HttpResponse};

use super::rest::Bearer;

/// The tokens a node remembers.
pub const MAX_CACHED: usize = 10_000;

/// Finesse as an OAuth client of IdS.
#[derive(Clone, Debug)]
pub struct SsoClient {
    /// The IdS node Finesse talks to (the publisher).
    pub ids: String,
    /// Finesse's client id at IdS.
    pub client_id: String,
    /// Its secret.
    pub secret: String,
    /// The redirect URI this node registered (`https://<FQDN>:8445/desktop/sso/authcode`).
    pub redirect_uri: String,
}

/// How a Finesse node reaches IdS: the network, its client registration,
/// the `tomcat-trust` Cisco Finesse Tomcat loaded, the clock.
#[derive(Clone)]
pub struct IdsLink {
    /// How the node reaches other hosts.
    pub network: Arc<dyn Network>,
    /// Finesse's registration at IdS.
    pub sso: SsoClient,
    /// What the node's Java trusts.
    pub trust: Arc<Vec<Certificate>>,
    /// The deployment's clock.
    pub clock: Clock,
    /// The node's Java.
    pub java: crate::personality::jre::Jre,
}

/// What a node knows of the tokens it was shown.
#[derive(Default)]
pub struct TokenCache {
    known: Mutex<HashMap<String, (String, time::OffsetDateTime)>>,
}

/// One call of Finesse's Java to IdS.
async fn call_ids(link: &IdsLink, request: &Request<'_>) -> Result<(u16, String), Verdict> {
    let (network, sso, trust, clock) = (&link.network, &link.sso, &link.trust, &link.clock);
    let addr = match network.endpoint(&sso.ids, crate::ids::IDS_PORT) {
        Err(Unreachable::UnknownHost) => {
            return Err(Verdict::refuse(format!(
                "java.net.UnknownHostException: {}",
                sso.ids
            )))
        }
        Err(Unreachable::Refused) => {
            return Err(Verdict::refuse(personality::java::connection_refused(
                link.java, false,
            )))
        }
        Ok(a) => a,
    };
    personality::https_request_as(
        Personality::Java(link.java),
        addr,
        &sso.ids,
        trust,
        clock.now(),
        request,
        Duration::from_secs(10),
    )
    .await
}

fn api_error(status: u16, kind: &str, message: &str, data: &str) -> HttpResponse {
    HttpResponse::json(
        status,
        serde_json::json!({"status": status, "apiErrors": {"errorType": kind, "errorMessage": message, "errorData": data}}),
    )
}

/// `GET /desktop/sso/token`: to IdS to sign in, back at `/desktop/sso/authcode`.
pub fn start(sso: &SsoClient, r: &HttpRequest) -> HttpResponse {
    use base64::Engine as _;
    let state = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r.query.as_bytes());
    HttpResponse {
        status: 302,
        headers: vec![(
            "Location".into(),
            format!(
                "https://{}:{}/ids/v1/oauth/authorize?client_id={}&redirect_uri={}&response_type=code&state={state}",
                sso.ids,
                crate::ids::IDS_PORT,
                crate::platform::http::percent_encode(&sso.client_id),
                crate::platform::http::percent_encode(&sso.redirect_uri)
            ),
        )],
        body: Vec::new(),
    }
}

/// A grant at IdS's token endpoint, as Finesse's JSON.
async fn grant(link: &IdsLink, body: String, with_refresh: bool) -> HttpResponse {
    let sso = &link.sso;
    use base64::Engine as _;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", sso.client_id, sso.secret))
    );
    let request = Request {
        method: "POST",
        path: "/ids/v1/oauth/token",
        headers: &[
            ("Authorization", basic.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body: body.as_bytes(),
    };
    match call_ids(link, &request).await {
        // ccelab's texts around Java's exception (L)
        Err(v) => api_error(
            500,
            "Generic Error",
            "Cannot reach the Identity Service",
            &v.text,
        ),
        Ok((200, text)) => {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let user = v["user_name"].as_str().unwrap_or_default();
            let realm = sso.ids.split_once('.').map_or("", |(_, d)| d);
            let mut out = serde_json::json!({
                "token": v["access_token"],
                "expires_in": v["expires_in"],
                "user_id": user,
                "realm": realm,
                "user_principal": format!("{user}@{realm}"),
            });
            if with_refresh {
                out["refresh_token"] = v["refresh_token"].clone();
            }
            HttpResponse::json(200, out)
        }
        Ok((status, text)) => {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            api_error(
                if status == 401 { 401 } else { 400 },
                "Invalid Input",
                v["error_description"]
                    .as_str()
                    .unwrap_or("refused by the Identity Service"),
                v["error"].as_str().unwrap_or_default(),
            )
        }
    }
}

/// `GET /desktop/sso/authcode`: the code exchanged at IdS.
pub async fn authcode(link: &IdsLink, r: &HttpRequest) -> HttpResponse {
    let sso = &link.sso;
    use base64::Engine as _;
    let q = crate::platform::http::form_fields(&r.query);
    let Some(code) = q.get("code") else {
        return api_error(400, "Parameter Missing", "code is required", "");
    };
    let asked = q
        .get("state")
        .and_then(|s| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .ok()
        })
        .map(|b| crate::platform::http::form_fields(&String::from_utf8_lossy(&b)))
        .unwrap_or_default();
    let body = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}",
        crate::platform::http::percent_encode(code),
        crate::platform::http::percent_encode(&sso.redirect_uri)
    );
    let with_refresh = asked.get("return_refresh_token").map(String::as_str) == Some("true");
    grant(link, body, with_refresh).await
}

/// `POST /desktop/sso/token` with `token` and `refresh-token`: a new token.
pub async fn refresh(link: &IdsLink, r: &HttpRequest) -> HttpResponse {
    let f = crate::platform::http::form_fields(&String::from_utf8_lossy(&r.body));
    let Some(rt) = f.get("refresh-token") else {
        return api_error(400, "Parameter Missing", "refresh-token is required", "");
    };
    let body = format!(
        "grant_type=refresh_token&refresh_token={}",
        crate::platform::http::percent_encode(rt)
    );
    grant(link, body, false).await
}

/// The bearer token of a request, if it has one.
pub fn bearer_of(r: &HttpRequest) -> Option<String> {
    let v = r
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.trim())?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Whose `token` is, as IdS says (cached for the token's life).
pub async fn check(link: &IdsLink, cache: &TokenCache, token: &str) -> Bearer {
    let now = link.clock.now();
    if let Some((user, until)) = cache
        .known
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(token)
        .cloned()
    {
        if until > now {
            return Bearer::Valid(user);
        }
    }
    let path = format!(
        "/ids/v1/oauth/check_token?access_token={}",
        crate::platform::http::percent_encode(token)
    );
    let request = Request {
        method: "GET",
        path: &path,
        headers: &[],
        body: b"",
    };
    match call_ids(link, &request).await {
        Err(v) => Bearer::Refused(v.text),
        Ok((200, text)) => {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let (Some(user), Some(left)) = (v["user_name"].as_str(), v["expires_in"].as_i64())
            else {
                return Bearer::Refused("the Identity Service's answer cannot be read".into());
            };
            let mut known = cache.known.lock().unwrap_or_else(|e| e.into_inner());
            if known.len() >= MAX_CACHED {
                known.clear();
            }
            // IdS's figure, within a day (a peer's number never overflows the clock)
            let until = now
                .checked_add(time::Duration::seconds(left.clamp(0, 86_400)))
                .unwrap_or(now);
            known.insert(token.to_string(), (user.to_string(), until));
            Bearer::Valid(user.to_string())
        }
        Ok(_) => Bearer::Refused("the token is invalid or expired".into()),
    }
}

//! Finesse's REST API (`/finesse/api/…`, XML) as Cisco's developer guide
//! documents it (docs/research/vos-web.md §3, DevNet "Finesse" pages):
//!
//! * `GET SystemInfo` without credentials: `status` `IN_SERVICE`, or
//!   `OUT_OF_SERVICE`, in which state every other request answers 503;
//! * `GET User/{id or loginName}` (an agent reads itself; a supervisor or the
//!   administrator anyone), `GET Users` (administrator), `GET Team/{id}`,
//!   `GET ReasonCodes?category=NOT_READY|LOGOUT`;
//! * `PUT User/{id}` with `<User><state>READY</state></User>` (and
//!   `reasonCodeId` for NOT_READY and LOGOUT): 202 with an empty body, the
//!   state applied (Finesse's XMPP notification is not emulated);
//! * errors as `<ApiErrors><ApiError><ErrorType/><ErrorMessage/>
//!   <ErrorData/></ApiError></ApiErrors>`: `Authentication Failure` /
//!   `UNAUTHORIZED` (401), `Invalid Authorization User Specified` (401),
//!   `Not Found` (404), `Invalid Input` (400), `Service Unavailable` (503).
//!   The error messages other than `UNAUTHORIZED` are ccelab's (L).
//!
//! HTTP Basic with an agent's login name (or id) and password, or the
//! application administrator.

use crate::platform::http::escape_markup as esc;
use std::sync::{Arc, Mutex};

use crate::platform::http::basic_credentials;
use crate::tls::{HttpRequest, HttpResponse};

use super::{Agent, FinesseDeployment, NodeInfo};

/// The states `PUT User` accepts.
const SETTABLE: [&str; 3] = ["READY", "NOT_READY", "LOGOUT"];

fn xml(status: u16, body: String) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "application/xml".into())],
        body: format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n{body}")
            .into_bytes(),
    }
}

/// An `<ApiErrors>` answer.
pub fn api_error(status: u16, kind: &str, message: &str, data: &str) -> HttpResponse {
    xml(
        status,
        format!(
            "<ApiErrors>\n  <ApiError>\n    <ErrorType>{}</ErrorType>\n    <ErrorMessage>{}</ErrorMessage>\n    <ErrorData>{}</ErrorData>\n  </ApiError>\n</ApiErrors>\n",
            esc(kind),
            esc(message),
            esc(data)
        ),
    )
}

/// What an `Authorization: Bearer` header came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Bearer {
    /// No bearer token: HTTP Basic applies.
    None,
    /// IdS vouched for the token: its user.
    Valid(String),
    /// IdS refused it, or could not be asked (why).
    Refused(String),
}

/// Who called.
enum Caller {
    Admin,
    Agent(Agent),
}

fn tag(name: &str, value: &str) -> String {
    format!("<{name}>{}</{name}>", esc(value))
}

/// One agent's current state.
#[derive(Clone, Debug)]
pub struct AgentState {
    /// `LOGOUT`, `NOT_READY`, `READY`, …
    pub state: String,
    /// When it changed (`YYYY-MM-DDThh:mm:ss.SSSZ`).
    pub changed: String,
    /// The reason code of NOT_READY / LOGOUT.
    pub reason: Option<u32>,
}

/// The reason codes of the preset (category, code, label, id).
pub const REASON_CODES: [(&str, u32, &str, u32); 4] = [
    ("NOT_READY", 10, "Team Meeting", 16),
    ("NOT_READY", 11, "Break", 17),
    ("NOT_READY", 12, "Lunch", 18),
    ("LOGOUT", 20, "End of Shift", 19),
];

fn reason_xml(id: u32) -> String {
    REASON_CODES
        .iter()
        .find(|r| r.3 == id)
        .map(|(cat, code, label, id)| {
            format!(
                "<ReasonCode><category>{cat}</category><uri>/finesse/api/ReasonCode/{id}</uri><code>{code}</code><label>{}</label><forAll>true</forAll><systemCode>false</systemCode><id>{id}</id></ReasonCode>",
                esc(label)
            )
        })
        .unwrap_or_default()
}

/// The Finesse REST handler of one node.
pub fn handle(
    d: &FinesseDeployment,
    node: &NodeInfo,
    states: &Arc<Mutex<std::collections::HashMap<String, AgentState>>>,
    now: time::OffsetDateTime,
    r: &HttpRequest,
    bearer: Bearer,
) -> HttpResponse {
    let path = r.path.trim_end_matches('/');
    let Some(api) = path.strip_prefix("/finesse/api/") else {
        return HttpResponse::text(404, "Not Found");
    };
    let in_service = d.in_service();
    if api == "SystemInfo" && r.method == "GET" {
        return system_info(node, now, in_service);
    }
    if !in_service {
        return api_error(503, "Service Unavailable", "OUT_OF_SERVICE", "");
    }
    let (user, caller) = match bearer {
        // an SSO token IdS vouched for (ccelab's error text otherwise, L)
        Bearer::Valid(user) => match d.agent(&user) {
            Some(a) => (user, Caller::Agent(a.clone())),
            None => return api_error(401, "Authentication Failure", "UNAUTHORIZED", &user),
        },
        Bearer::Refused(why) => {
            return api_error(401, "Authentication Failure", "UNAUTHORIZED", &why)
        }
        Bearer::None => {
            let Some((user, password)) = basic_credentials(r) else {
                return api_error(401, "Authentication Failure", "UNAUTHORIZED", "");
            };
            let caller = if d.admin.0 == user && d.admin.1 == password {
                Caller::Admin
            } else {
                match d.agent(&user) {
                    Some(a) if a.password == password => Caller::Agent(a.clone()),
                    _ => return api_error(401, "Authentication Failure", "UNAUTHORIZED", &user),
                }
            };
            (user, caller)
        }
    };
    let parts: Vec<&str> = api.split('/').collect();
    let state_of = |a: &Agent| -> AgentState {
        states
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&a.id)
            .cloned()
            .unwrap_or(AgentState {
                state: "LOGOUT".into(),
                changed: String::new(),
                reason: None,
            })
    };
    match (r.method.as_str(), parts.as_slice()) {
        ("GET", ["User", who]) => {
            let a = match user_for(d, &caller, who) {
                Ok(a) => a,
                Err(e) => return e,
            };
            xml(200, user_xml(a, &state_of(a)))
        }
        ("PUT", ["User", who]) => {
            let a = match user_for(d, &caller, who) {
                Ok(a) => a,
                Err(e) => return e,
            };
            let body = String::from_utf8_lossy(&r.body);
            let Some(state) = element(&body, "state") else {
                return api_error(400, "Parameter Missing", "state", "");
            };
            if !SETTABLE.contains(&state.as_str()) {
                return api_error(400, "Invalid Input", "Invalid State", &state);
            }
            let reason = match element(&body, "reasonCodeId") {
                None => None,
                Some(id) => match id
                    .parse::<u32>()
                    .ok()
                    .filter(|i| REASON_CODES.iter().any(|r| r.3 == *i && r.0 == state))
                {
                    Some(i) => Some(i),
                    None => return api_error(400, "Invalid Input", "Invalid Reason Code", &id),
                },
            };
            states.lock().unwrap_or_else(|e| e.into_inner()).insert(
                a.id.clone(),
                AgentState {
                    state,
                    changed: stamp(now),
                    reason,
                },
            );
            let mut resp = HttpResponse {
                status: 202,
                headers: Vec::new(),
                body: Vec::new(),
            };
            if let Some((_, id)) = r.headers.iter().find(|(k, _)| k == "requestid") {
                resp.headers.push(("requestId".into(), id.clone()));
            }
            resp
        }
        ("GET", ["Users"]) => {
            if !matches!(caller, Caller::Admin) {
                return api_error(
                    401,
                    "Invalid Authorization User Specified",
                    "Invalid Authorization User Specified",
                    &user,
                );
            }
            let users: String = d.agents.iter().map(|a| user_xml(a, &state_of(a))).collect();
            xml(200, format!("<Users>{users}</Users>\n"))
        }
        ("GET", ["Team", id]) => {
            let members: Vec<&Agent> = d.agents.iter().filter(|a| a.team_id == *id).collect();
            let Some(first) = members.first() else {
                return api_error(404, "Not Found", "Team Not Found", id);
            };
            // a team's own agents and its supervisor; the administrator any
            let allowed = match &caller {
                Caller::Admin => true,
                Caller::Agent(a) => a.team_id == *id,
            };
            if !allowed {
                return api_error(
                    401,
                    "Invalid Authorization User Specified",
                    "Invalid Authorization User Specified",
                    &user,
                );
            }
            let users: String = members
                .iter()
                .map(|a| {
                    let s = state_of(a);
                    format!(
                        "<User><uri>/finesse/api/User/{id}/</uri><loginId>{id}</loginId>{}{}<dialogs>/finesse/api/User/{id}/Dialogs</dialogs>{}<pendingState></pendingState>{}{}</User>",
                        tag("firstName", &a.first_name),
                        tag("lastName", &a.last_name),
                        tag("extension", &a.extension),
                        tag("state", &s.state),
                        tag("stateChangeTime", &s.changed),
                        id = esc(&a.id)
                    )
                })
                .collect();
            xml(
                200,
                format!(
                    "<Team><uri>/finesse/api/Team/{id}</uri><id>{id}</id>{}<users>{users}</users></Team>\n",
                    tag("name", &first.team_name),
                    id = esc(id)
                ),
            )
        }
        ("GET", ["ReasonCodes"]) => {
            let category = r
                .query
                .split('&')
                .find_map(|kv| kv.strip_prefix("category="))
                .unwrap_or("");
            if category != "NOT_READY" && category != "LOGOUT" {
                return api_error(400, "Invalid Input", "Invalid category", category);
            }
            let codes: String = REASON_CODES
                .iter()
                .filter(|r| r.0 == category)
                .map(|r| reason_xml(r.3))
                .collect();
            xml(200, format!("<ReasonCodes>{codes}</ReasonCodes>\n"))
        }
        _ => api_error(404, "Not Found", "Not Found", api),
    }
}

/// The user `who` (an id or a login name), if `caller` may act on it:
/// else Finesse's 404 or 401.
fn user_for<'a>(
    d: &'a FinesseDeployment,
    caller: &Caller,
    who: &str,
) -> Result<&'a Agent, HttpResponse> {
    let Some(a) = d.agent(who) else {
        return Err(api_error(404, "Not Found", "User Not Found", who));
    };
    if !may_read(caller, a) {
        return Err(api_error(
            401,
            "Invalid Authorization User Specified",
            "Invalid Authorization User Specified",
            who,
        ));
    }
    Ok(a)
}

fn may_read(caller: &Caller, a: &Agent) -> bool {
    match caller {
        Caller::Admin => true,
        Caller::Agent(me) => me.id == a.id || (me.supervisor && me.team_id == a.team_id),
    }
}

/// The text of the first `<name>` element of `body` (a flat XML body).
fn element(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&format!("</{name}>"))? + start;
    Some(body[start..end].trim().to_string())
}

/// Finesse's timestamps: `YYYY-MM-DDThh:mm:ss.SSSZ` (GMT).
pub(crate) fn stamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

fn user_xml(a: &Agent, s: &AgentState) -> String {
    let roles = if a.supervisor {
        "<role>Agent</role><role>Supervisor</role>"
    } else {
        "<role>Agent</role>"
    };
    let reason = s.reason.map(reason_xml).unwrap_or_default();
    let reason_id = s.reason.map(|r| r.to_string()).unwrap_or_default();
    format!(
        "<User><uri>/finesse/api/User/{id}</uri><roles>{roles}</roles><loginId>{id}</loginId>{}{}{}<mediaType>1</mediaType><pendingState></pendingState><reasonCodeId>{reason_id}</reasonCodeId>{reason}{}{}{}<teamId>{}</teamId>{}<dialogs>/finesse/api/User/{id}/Dialogs</dialogs></User>\n",
        tag("loginName", &a.login_name),
        tag("state", &s.state),
        tag("stateChangeTime", &s.changed),
        tag("extension", &a.extension),
        tag("firstName", &a.first_name),
        tag("lastName", &a.last_name),
        esc(&a.team_id),
        tag("teamName", &a.team_name),
        id = esc(&a.id)
    )
}

fn system_info(node: &NodeInfo, now: time::OffsetDateTime, in_service: bool) -> HttpResponse {
    let status = if in_service {
        "IN_SERVICE"
    } else {
        "OUT_OF_SERVICE"
    };
    let domain = node.primary.clone();
    let n = |tagname: &str, host: &str| {
        format!(
            "  <{tagname}>\n    <host>{}</host>\n    <httpsPort>8445</httpsPort>\n    <xmppPort>5222</xmppPort>\n    <xmppSecurePort>5223</xmppSecurePort>\n  </{tagname}>\n",
            esc(host)
        )
    };
    let secondary = node
        .secondary
        .as_deref()
        .map(|s| n("secondaryNode", s))
        .unwrap_or_default();
    // with IdS both Basic and Bearer are taken: HYBRID (SSO, NON_SSO and
    // HYBRID are Finesse's values, M)
    let auth_mode = if node.sso { "HYBRID" } else { "NON_SSO" };
    xml(
        200,
        format!(
            "<SystemInfo>\n  <currentTimestamp>{}</currentTimestamp>\n  <deploymentType>UCCE</deploymentType>\n  <license></license>\n{}{}  <status>{status}</status>\n  <systemAuthMode>{auth_mode}</systemAuthMode>\n  <timezoneOffset>0</timezoneOffset>\n  <uri>/finesse/api/SystemInfo</uri>\n  <xmppDomain>{}</xmppDomain>\n  <xmppPubSubDomain>pubsub.{}</xmppPubSubDomain>\n</SystemInfo>\n",
            stamp(now),
            n("primaryNode", &node.primary),
            secondary,
            esc(&domain),
            esc(&domain)
        ),
    )
}

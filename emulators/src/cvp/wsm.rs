//! The Web Services Manager on HTTPS 8111 (every CVP host; docs/research/cvp.md §1):
//!
//! * the **Diagnostic Portal**, `GET /cvp-dp/rest/DiagnosticPortal/<operation>`,
//!   HTTP Basic as `wsmadmin` (H: Analysis Manager's CVP node uses it). Cisco
//!   documents the shape for ICM's portal only; CVP's is taken to be the
//!   same (L): `<dp:<Operation>Reply ReturnCode="0">` with
//!   `<dp:Schema Version="1.0"/>` first. Operations: `GetProductVersion`
//!   (H: the URL [SEC] downloads the certificate from), `ListAppServers`,
//!   and `ListServices` (its element names are ccelab's, L). Others: 404.
//! * the **OPS REST** on OAMP only (H: "installed as part of OAMP Server"),
//!   HTTP Basic as the OAMP user: `GET /cvp-config/version` and
//!   `GET /cvp-config/server[?q=type:CALL|VXML|RPT]` in Cisco's XML (DevNet).
//! * the **ORM REST** on call and reporting servers (H: the endpoint list,
//!   [CVP1262-Int]): `GET /cvp-orm/rest/cvpconfig/properties`, HTTP Basic
//!   with AW credentials, which the server checks by calling the principal
//!   AW over HTTPS with the WSM's trust, `.keystore` (F19). The JSON
//!   `{"properties":[{"name","value"}]}` is a third-party client's reading
//!   (L); which AW call checks the credentials is not public — ccelab reads
//!   the AW's machine inventory with them (L).
//!
//! **F19** ([SEC]: the AW's certificate not imported as `AW_cert`; "CVP
//! cannot talk to the AW securely"). No Cisco text for it was found
//! publicly, so what is modelled is the mechanism the documents imply: the
//! WSM's JVM trusts `.keystore` only, its HTTPS call to the principal AW
//! fails Java's PKIX check, the CVP log gets Java's exception chain under
//! ccelab's message (`%CVP_12_5_ORM-3-AW_CONNECTION_FAILED`), and the
//! caller — CCE Administration configuring the server — gets HTTP 500,
//! which its Java reports as `Server returned HTTP response code: 500`.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::{CvpRole, RunningCvp, WSM_ADMIN, WSM_PORT, WSM_SERVICE};
use crate::network::Unreachable;
use crate::personality::{self, Personality, Request, Verdict};
use crate::platform::http::{basic_credentials, escape_markup as esc};
use crate::tls::{async_handler, Handler, HttpRequest, HttpResponse};

/// The Diagnostic Portal's namespace (ICM's, H).
pub const DP_NAMESPACE: &str = "http://www.cisco.com/vtg/diagnosticportal";
/// The Diagnostic Portal's path prefix.
pub const DP_PATH: &str = "/cvp-dp/rest/DiagnosticPortal/";
/// The ORM REST's path prefix.
pub const ORM_PATH: &str = "/cvp-orm/rest/";
/// Where CVP checks AW credentials on the principal AW (ccelab's choice, L).
pub const AW_CHECK_PATH: &str = "/unifiedconfig/config/machineinventory";

/// The WSM's handler (holding the host weakly: a stopped lab frees it).
pub fn handler(me: Weak<RunningCvp>) -> Handler {
    async_handler(move |r| {
        let me = me.clone();
        async move {
            match me.upgrade() {
                Some(cvp) => route(&cvp, r).await,
                None => HttpResponse::text(503, "Service Unavailable\n"),
            }
        }
    })
}

fn xml(status: u16, body: String) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "application/xml".into())],
        body: format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n{body}\n")
            .into_bytes(),
    }
}

fn unauthorized(realm: &str) -> HttpResponse {
    HttpResponse {
        status: 401,
        headers: vec![
            ("Content-Type".into(), "text/plain".into()),
            (
                "WWW-Authenticate".into(),
                format!("Basic realm=\"{realm}\""),
            ),
        ],
        body: b"Unauthorized\n".to_vec(),
    }
}

async fn route(cvp: &Arc<RunningCvp>, r: HttpRequest) -> HttpResponse {
    let path = r.path.clone();
    let wsm_user = || {
        basic_credentials(&r)
            .is_some_and(|(u, p)| u.eq_ignore_ascii_case(WSM_ADMIN) && p == cvp.config.wsm_password)
    };
    if let Some(op) = path.strip_prefix(DP_PATH) {
        if !wsm_user() {
            return unauthorized("WSM");
        }
        return diagnostic_portal(cvp, op);
    }
    if let Some(rest) = path.strip_prefix("/cvp-config/") {
        if cvp.role() != CvpRole::Oamp {
            return HttpResponse::text(404, "Not Found\n");
        }
        if !wsm_user() {
            return unauthorized("OAMP");
        }
        return ops(cvp, rest, &r.query);
    }
    if let Some(rest) = path.strip_prefix(ORM_PATH) {
        if cvp.role() == CvpRole::Oamp || rest != "cvpconfig/properties" || r.method != "GET" {
            return HttpResponse::text(404, "Not Found\n");
        }
        let Some((user, password)) = basic_credentials(&r) else {
            return unauthorized("ORM");
        };
        return orm_properties(cvp, &user, &password).await;
    }
    HttpResponse::text(404, "Not Found\n")
}

/// `dp:<op>Reply` around `inner`.
fn dp_reply(op: &str, inner: &str) -> String {
    format!(
        "<dp:{op}Reply ReturnCode=\"0\" xmlns:dp=\"{DP_NAMESPACE}\"><dp:Schema Version=\"1.0\"/>{inner}</dp:{op}Reply>"
    )
}

fn diagnostic_portal(cvp: &RunningCvp, op: &str) -> HttpResponse {
    let (major, minor, maint, version) = &cvp.config.version;
    match op {
        "GetProductVersion" => xml(
            200,
            dp_reply(
                op,
                &format!(
                    "<dp:ProductVersion Name=\"CVP\" Major=\"{major}\" Minor=\"{minor}\" Maintenance=\"{maint}\" VersionString=\"{}\"/>",
                    esc(version)
                ),
            ),
        ),
        "ListAppServers" => xml(
            200,
            dp_reply(
                op,
                &format!(
                    "<dp:AppServerList><dp:AppServer Name=\"{}\" ProductType=\"CVP\" ProductComponentType=\"{}\"/></dp:AppServerList>",
                    esc(&cvp.ctx.fqdn),
                    cvp.role().component()
                ),
            ),
        ),
        "ListServices" => {
            let list: String = cvp
                .service_states()
                .into_iter()
                .map(|(name, running)| {
                    format!(
                        "<dp:Service Name=\"{name}\" DisplayName=\"{}\" Status=\"{}\"/>",
                        CvpRole::display_name(name),
                        if running { "Running" } else { "Stopped" }
                    )
                })
                .collect();
            xml(
                200,
                dp_reply(op, &format!("<dp:ServiceList>{list}</dp:ServiceList>")),
            )
        }
        _ => HttpResponse::text(404, "Not Found\n"),
    }
}

/// OAMP's OPS REST (DevNet's shapes, H).
fn ops(cvp: &RunningCvp, rest: &str, query: &str) -> HttpResponse {
    let (major, minor, maint, _) = &cvp.config.version;
    match rest.trim_end_matches('/') {
        "version" => xml(
            200,
            format!(
                "<version><majorVersion>{major}</majorVersion><minorVersion>{minor}</minorVersion><maintenanceVersion>{maint}</maintenanceVersion><srVersion>0</srVersion><esVersion>0</esVersion><buildVersion>0</buildVersion></version>"
            ),
        ),
        "server" => {
            let wanted = crate::platform::http::percent_decode(query)
                .split('&')
                .find_map(|kv| kv.strip_prefix("q=type:").map(str::to_ascii_uppercase));
            let mut items = String::new();
            let mut n = 0;
            for (i, (fqdn, role)) in cvp.config.servers.iter().enumerate() {
                let types: &[&str] = match role {
                    CvpRole::CallServer => &["CALL", "VXML"],
                    CvpRole::Reporting => &["RPT"],
                    CvpRole::Oamp => &[],
                };
                for t in types {
                    if wanted.as_deref().is_some_and(|w| w != *t) {
                        continue;
                    }
                    n += 1;
                    items.push_str(&format!(
                        "<server><refurl>https://{}:{WSM_PORT}/cvp-config/server/{}</refurl><hostname>{}</hostname><ipaddr>{}</ipaddr><type>{t}</type></server>",
                        esc(&cvp.ctx.fqdn),
                        i + 1,
                        esc(fqdn),
                        cvp.ctx
                            .network
                            .address(fqdn)
                            .map(|a| a.to_string())
                            .unwrap_or_default()
                    ));
                }
            }
            xml(
                200,
                format!("<results><pageInfo><totalResults>{n}</totalResults></pageInfo><servers>{items}</servers></results>"),
            )
        }
        _ => HttpResponse::text(404, "Not Found\n"),
    }
}

/// How the principal AW answered a credentials check.
pub enum AwCheck {
    /// The AW took them.
    Valid,
    /// The AW refused them (its HTTP status).
    Refused(u16),
    /// The call failed (Java's verdict: F19 when the AW's certificate is not trusted).
    Failed(Verdict),
}

/// The trust graph's edge of a CVP call or reporting server: the WSM's
/// Java to the principal AW on 443 with the trust it loaded from
/// `.keystore` (F19); none while the WSM is stopped. The Operations Console
/// has none: the AW configures the call and reporting servers of its
/// inventory through their ORM, never OAMP, and [SEC] imports `AW_cert`
/// only on those.
pub async fn aw_edge(cvp: &RunningCvp) -> Option<crate::edges::TrustEdge> {
    use crate::edges::{self, EdgeSpec};
    if cvp.role() == super::CvpRole::Oamp {
        return None;
    }
    let trust = cvp.loaded(WSM_SERVICE)?.trust;
    let spec = EdgeSpec {
        purpose: "checks credentials with the principal AW".into(),
        personality: Personality::Java(cvp.ctx.java),
        client: "Web Services Manager (Java)".into(),
        store: r"%CVP_HOME%\conf\security\.keystore (JCEKS), as the WSM loaded it".into(),
        name: cvp.config.principal_aw.clone(),
        port: 443,
        codes: vec!["F19"],
        // Java on Windows names the call that was refused, as check_with_aw says
        windows: true,
    };
    let h = &cvp.ctx;
    Some(
        edges::probe(
            h.network.as_ref(),
            &h.name,
            spec,
            trust.as_deref().map_err(Clone::clone),
            h.clock.now(),
            &edges::as_is,
        )
        .await,
    )
}

/// The WSM checks `user`'s credentials with the principal AW: Java's
/// `HttpsURLConnection` to `https://<principal AW>/…` with the trust the WSM
/// loaded from `.keystore` (JCEKS): no `AW_cert` there → PKIX (F19).
pub async fn check_with_aw(cvp: &RunningCvp, user: &str, password: &str) -> AwCheck {
    let aw = cvp.config.principal_aw.clone();
    let anchors = match cvp.loaded(WSM_SERVICE).map(|l| l.trust) {
        Some(Ok(a)) => a,
        Some(Err(v)) => return AwCheck::Failed(v),
        None => return AwCheck::Failed(Verdict::refuse("WebServicesManager is not running")),
    };
    let addr = match cvp.ctx.network.endpoint(&aw, 443) {
        Ok(a) => a,
        Err(Unreachable::UnknownHost) => {
            return AwCheck::Failed(Verdict::refuse(format!(
                "java.net.UnknownHostException: {aw}"
            )))
        }
        Err(Unreachable::Refused) => {
            return AwCheck::Failed(Verdict::refuse(
                crate::personality::java::connection_refused(cvp.ctx.java, true),
            ))
        }
    };
    use base64::Engine as _;
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    );
    let headers = [("Authorization", basic.as_str())];
    match personality::https_request_as(
        Personality::Java(cvp.ctx.java),
        addr,
        &aw,
        &anchors,
        cvp.ctx.clock.now(),
        &Request {
            method: "GET",
            path: AW_CHECK_PATH,
            headers: &headers,
            body: b"",
        },
        Duration::from_secs(10),
    )
    .await
    {
        Ok((200, _)) => AwCheck::Valid,
        Ok((status, _)) => AwCheck::Refused(status),
        Err(v) => AwCheck::Failed(v),
    }
}

async fn orm_properties(cvp: &Arc<RunningCvp>, user: &str, password: &str) -> HttpResponse {
    match check_with_aw(cvp, user, password).await {
        AwCheck::Valid => {
            let props = [
                ("Host", cvp.ctx.fqdn.as_str()),
                ("ServerType", cvp.role().component()),
                ("Version", cvp.config.version.3.as_str()),
            ];
            HttpResponse::json(
                200,
                serde_json::json!({
                    "properties": props
                        .iter()
                        .map(|(n, v)| serde_json::json!({"name": n, "value": v}))
                        .collect::<Vec<_>>()
                }),
            )
        }
        AwCheck::Refused(status) => {
            cvp.log(
                "ORM",
                3,
                "AUTHENTICATION_FAILED",
                vec![format!(
                    "The Principal AW {} refused the credentials of {user} (HTTP {status})",
                    cvp.config.principal_aw
                )],
            )
            .await;
            unauthorized("ORM")
        }
        AwCheck::Failed(v) => {
            let url = format!("https://{}{AW_CHECK_PATH}", cvp.config.principal_aw);
            let mut lines = vec![format!(
                "Unable to validate the credentials of {user} with the Principal AW {url}"
            )];
            let chain = if v.detail.is_empty() {
                vec![v.text.clone()]
            } else {
                v.detail.clone()
            };
            lines.push(chain[0].clone());
            lines.extend(chain.iter().skip(1).map(|c| format!("Caused by: {c}")));
            cvp.log("ORM", 3, "AW_CONNECTION_FAILED", lines).await;
            HttpResponse::text(
                500,
                "Unable to validate the credentials with the Principal AW.\n",
            )
        }
    }
}

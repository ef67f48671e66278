//! Cisco Unified OS Administration (`https://FQDN:8443/cmplatform`) and the
//! platform's certificate-management REST API
//! (`/platformcom/api/v1/certmgr/config/…`), served by Cisco Tomcat
//! ([SEC]; docs/research/vos-web.md §1–§2).
//!
//! **cmplatform** (real HTML forms that a browser or curl drives): `GET
//! /cmplatform` shows the login form (`logonForm`, `j_username`,
//! `j_password`, `appNav=cmplatform`, posted to `j_security_check` — M, four
//! public scripts), a session cookie `JSESSIONID`; pages are Struts `*.do`
//! with a hidden `token` field that scripts scrape and send back (M).
//! Security > Certificate Management: `certificateFindList.do` (the columns
//! Certificate, Common Name, Type, Key Type, Distribution, Issued By,
//! Expiration as MM/DD/YYYY, Description — the order scripts parse is M, the
//! rest L), `certificateEdit.do?cert=<unit>/<file>` (the certificate's text,
//! Download .PEM File / Download .DER File, Regenerate or Delete),
//! `certificateDownload.do`, `certificateUpload.do` (multipart: Certificate
//! Purpose `NAME` = `tomcat-trust` or `tomcat`, `DESCRIPTION`, `FILE`: M
//! for the field ids), Generate Self-signed (`certificateRegenerate.do`),
//! Generate CSR (`certificateGenerateCsr.do`) and Download CSR
//! (`certificateDownloadCsr.do`). URLs not named by a source, and every
//! message text, are ccelab's (L).
//!
//! **certmgr API** (HTTP Basic with the platform administrator; JSON): `POST
//! csr` → `{"csr": PEM}`, `POST identity/certificates` (the leaf must match
//! the pending CSR, its issuer be in tomcat-trust: else 500), `POST
//! trust/certificates`, `GET trust/certificate?service=tomcat`, `GET
//! identity/certificate?service=tomcat`, `GET snapshot/server` (shapes
//! from client code, M; error bodies `{"message": …}`, L). A wrong
//! password is 401 with `WWW-Authenticate: Basic realm="CMPlatform Realm"` (M).
//!
//! Changes take effect in the services only when they restart (the units
//! are read at start).

use crate::platform::http::escape_markup as esc;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rand::RngCore;

use super::certs::{UnitError, TRUST_DESCRIPTION};
use super::Vos;
use crate::pki::Certificate;
use crate::platform::http::basic_credentials;
use crate::tls::{Handler, HttpRequest, HttpResponse};

/// The sessions a node keeps (the oldest is dropped past this).
pub const MAX_SESSIONS: usize = 256;

fn html(status: u16, title: &str, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("Content-Type".into(), "text/html;charset=UTF-8".into())],
        body: format!(
            "<!DOCTYPE html>\n<html><head><title>{}</title></head>\n<body>\n<h1>Cisco Unified Operating System Administration</h1>\n{body}\n</body></html>\n",
            esc(title)
        )
        .into_bytes(),
    }
}

/// One logged-in session: its Struts token.
struct Session {
    token: String,
    seq: u64,
}

/// The sessions of one node's cmplatform.
#[derive(Default)]
pub struct Sessions {
    all: Mutex<(HashMap<String, Session>, u64)>,
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    rand::thread_rng().fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02X}")).collect()
}

impl Sessions {
    fn open(&self) -> (String, String) {
        let mut g = self.all.lock().unwrap_or_else(|e| e.into_inner());
        g.1 += 1;
        let seq = g.1;
        if g.0.len() >= MAX_SESSIONS {
            if let Some(oldest) =
                g.0.iter()
                    .min_by_key(|(_, s)| s.seq)
                    .map(|(k, _)| k.clone())
            {
                g.0.remove(&oldest);
            }
        }
        let (id, token) = (random_hex(16), random_hex(16));
        g.0.insert(
            id.clone(),
            Session {
                token: token.clone(),
                seq,
            },
        );
        (id, token)
    }

    fn token(&self, id: &str) -> Option<String> {
        self.all
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .get(id)
            .map(|s| s.token.clone())
    }

    fn close(&self, id: &str) {
        self.all
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .0
            .remove(id);
    }
}

fn cookie(r: &HttpRequest, name: &str) -> Option<String> {
    r.headers
        .iter()
        .filter(|(k, _)| k == "cookie")
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn form(body: &[u8]) -> HashMap<String, String> {
    crate::platform::http::form_fields(&String::from_utf8_lossy(body))
}

fn query(r: &HttpRequest) -> HashMap<String, String> {
    form(r.query.as_bytes())
}

/// A form's parts: name → (file name, bytes).
type Parts = HashMap<String, (Option<String>, Vec<u8>)>;

/// The parts of a `multipart/form-data` body.
fn multipart(r: &HttpRequest) -> Option<Parts> {
    let ct = r
        .headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.clone())?;
    let boundary = ct
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))?
        .trim_matches('"')
        .to_string();
    // RFC 2046: 1 to 70 characters
    if boundary.is_empty() || boundary.len() > 70 {
        return None;
    }
    let delim = format!("--{boundary}");
    let body = &r.body;
    let mut parts = HashMap::new();
    let mut rest: &[u8] = body;
    while let Some(start) = find(rest, delim.as_bytes()) {
        rest = &rest[start + delim.len()..];
        if rest.starts_with(b"--") {
            break;
        }
        let rest_after_crlf = rest.strip_prefix(b"\r\n").unwrap_or(rest);
        let head_end = find(rest_after_crlf, b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&rest_after_crlf[..head_end]).into_owned();
        let content = &rest_after_crlf[head_end + 4..];
        let end = find(content, format!("\r\n{delim}").as_bytes())?;
        let disposition = head
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition"))?
            .to_string();
        let attr = |k: &str| {
            disposition
                .split(';')
                .map(str::trim)
                .find_map(|p| p.strip_prefix(&format!("{k}=")))
                .map(|v| v.trim_matches('"').to_string())
        };
        if let Some(name) = attr("name") {
            parts.insert(name, (attr("filename"), content[..end].to_vec()));
        }
        rest = &content[end + 2..];
    }
    Some(parts)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn mmddyyyy(t: time::OffsetDateTime) -> String {
    format!("{:02}/{:02}/{:04}", t.month() as u8, t.day(), t.year())
}

/// The certificates of the units: (unit/file, certificate, description).
fn all_certs(vos: &Vos) -> Vec<(String, Certificate, String)> {
    let units = vos.units();
    let listed: HashMap<String, String> = units
        .list(false)
        .unwrap_or_default()
        .into_iter()
        .chain(units.list(true).unwrap_or_default())
        .map(|l| (l.path, l.description))
        .collect();
    let mut out = Vec::new();
    if let Ok((c, _)) = units.own() {
        let d = listed.get("tomcat/tomcat.pem").cloned().unwrap_or_default();
        out.push(("tomcat/tomcat.pem".to_string(), c, d));
    }
    for (name, c) in units.trust().unwrap_or_default() {
        let path = format!("tomcat-trust/{name}");
        let d = listed.get(&path).cloned().unwrap_or_default();
        out.push((path, c, d));
    }
    out
}

fn cert_by_path(vos: &Vos, path: &str) -> Option<Certificate> {
    all_certs(vos)
        .into_iter()
        .find(|(p, _, _)| p == path)
        .map(|(_, c, _)| c)
}

/// The handler of Cisco Tomcat's 8443: cmplatform and the certmgr API.
///
/// Its pages read and write the certificate units: each request runs off
/// the async workers.
pub fn handler(vos: Arc<Vos>, sessions: Arc<Sessions>) -> Handler {
    crate::tls::async_handler(move |r| {
        let (vos, sessions) = (vos.clone(), sessions.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                if let Some(api) = r.path.strip_prefix("/platformcom/api/v1/certmgr/config/") {
                    return certmgr(&vos, api, &r);
                }
                if r.path == "/cmplatform" || r.path.starts_with("/cmplatform/") {
                    return cmplatform(&vos, &sessions, &r);
                }
                HttpResponse::text(404, "Not Found")
            })
            .await
            .unwrap_or_else(|_| HttpResponse::text(500, "Internal Server Error"))
        }
    })
}

fn login_page(error: Option<&str>) -> HttpResponse {
    let e = error
        .map(|e| format!("<p class=\"error\">{}</p>\n", esc(e)))
        .unwrap_or_default();
    html(
        200,
        "Cisco Unified Operating System Administration",
        &format!(
            "{e}<form name=\"logonForm\" method=\"post\" action=\"/cmplatform/j_security_check\">\n<input type=\"hidden\" name=\"appNav\" value=\"cmplatform\">\n<label>Username <input type=\"text\" name=\"j_username\"></label>\n<label>Password <input type=\"password\" name=\"j_password\"></label>\n<button type=\"submit\" class=\"cuesLoginButton\">Login</button>\n</form>"
        ),
    )
}

fn nav() -> &'static str {
    "<p><a href=\"/cmplatform/showHome.do\">Home</a> | Security &gt; <a href=\"/cmplatform/certificateFindList.do\">Certificate Management</a> | <a href=\"/cmplatform/logout.do\">Logout</a></p>"
}

fn cmplatform(vos: &Arc<Vos>, sessions: &Sessions, r: &HttpRequest) -> HttpResponse {
    let page = r
        .path
        .trim_start_matches("/cmplatform")
        .trim_start_matches('/');
    if page == "j_security_check" && r.method == "POST" {
        let f = form(&r.body);
        let (u, p) = &vos.config.admin;
        if f.get("j_username") == Some(u) && f.get("j_password") == Some(p) {
            let (id, _) = sessions.open();
            let mut resp = HttpResponse::redirect("/cmplatform/showHome.do");
            resp.headers.push((
                "Set-Cookie".into(),
                format!("JSESSIONID={id}; Path=/cmplatform; Secure; HttpOnly"),
            ));
            return resp;
        }
        return login_page(Some("Login failed: the username or password is not valid."));
    }
    let session = cookie(r, "JSESSIONID").filter(|id| sessions.token(id).is_some());
    let Some(id) = session else {
        return if page.is_empty() || page == "showHome.do" {
            login_page(None)
        } else {
            HttpResponse::redirect("/cmplatform")
        };
    };
    let token = sessions.token(&id).unwrap_or_default();
    let token_field = format!("<input type=\"hidden\" name=\"token\" value=\"{token}\">");
    let q = query(r);
    // a POST must carry the page's token (Struts' double-submit guard)
    let posted = |fields: &HashMap<String, String>| fields.get("token") == Some(&token);
    match (r.method.as_str(), page) {
        ("GET", "" | "showHome.do") => html(
            200,
            "Cisco Unified Operating System Administration",
            &format!("{}\n<p>Show &gt; System: {} {}</p>", nav(), esc(&vos.fqdn), esc(&vos.config.version)),
        ),
        ("GET", "logout.do") => {
            sessions.close(&id);
            HttpResponse::redirect("/cmplatform")
        }
        ("GET", "certificateFindList.do") => {
            let rows: String = all_certs(vos)
                .iter()
                .map(|(path, c, d)| {
                    let (unit, _) = path.split_once('/').unwrap_or((path, ""));
                    let kind = if c.is_self_issued() { "Self-signed" } else { "CA-signed" };
                    let cn = c.common_name().unwrap_or_default();
                    let issuer = crate::pki::dn::common_name(c.issuer()).unwrap_or_default();
                    let key = if c.key_type().and_then(|k| k.rsa_bits()).is_some() { "RSA" } else { "EC" };
                    let dist = if unit == "tomcat" { vos.fqdn.as_str() } else { "" };
                    format!(
                        "<tr><td><a href=\"/cmplatform/certificateEdit.do?cert={p}\">{unit}</a></td><td>{}</td><td>{kind}</td><td>{key}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                        esc(&cn),
                        esc(dist),
                        esc(&issuer),
                        mmddyyyy(c.not_after()),
                        esc(d),
                        p = esc(path),
                        unit = esc(unit)
                    )
                })
                .collect();
            html(
                200,
                "Certificate List",
                &format!(
                    "{}\n<h2>Certificate List</h2>\n<p><a href=\"/cmplatform/certificateRegenerate.do\">Generate Self-signed</a> | <a href=\"/cmplatform/certificateUpload.do\">Upload Certificate/Certificate chain</a> | <a href=\"/cmplatform/certificateGenerateCsr.do\">Generate CSR</a> | <a href=\"/cmplatform/certificateDownloadCsr.do?purpose=tomcat\">Download CSR</a></p>\n<table id=\"certificates\">\n<tr><th>Certificate</th><th>Common Name</th><th>Type</th><th>Key Type</th><th>Distribution</th><th>Issued By</th><th>Expiration</th><th>Description</th></tr>\n{rows}</table>",
                    nav()
                ),
            )
        }
        ("GET", "certificateEdit.do") => {
            let path = q.get("cert").cloned().unwrap_or_default();
            let Some(c) = cert_by_path(vos, &path) else {
                return html(404, "Certificate Details", &format!("{}\n<p class=\"error\">No such certificate: {}</p>", nav(), esc(&path)));
            };
            let text = super::dump::certificate_lines(&c).join("\n");
            let action = if path.starts_with("tomcat/") {
                format!("<form method=\"post\" action=\"/cmplatform/certificateRegenerate.do\">{token_field}<input type=\"hidden\" name=\"purpose\" value=\"tomcat\"><input type=\"submit\" value=\"Regenerate\"></form>")
            } else {
                format!("<form method=\"post\" action=\"/cmplatform/certificateDelete.do\">{token_field}<input type=\"hidden\" name=\"cert\" value=\"{}\"><input type=\"submit\" value=\"Delete\"></form>", esc(&path))
            };
            html(
                200,
                "Certificate Details",
                &format!(
                    "{}\n<h2>Certificate Details for {}</h2>\n<pre>{}</pre>\n<p><a href=\"/cmplatform/certificateDownload.do?cert={p}&amp;format=pem\">Download .PEM File</a> | <a href=\"/cmplatform/certificateDownload.do?cert={p}&amp;format=der\">Download .DER File</a></p>\n{action}",
                    nav(),
                    esc(&path),
                    esc(&text),
                    p = esc(&path)
                ),
            )
        }
        ("GET", "certificateDownload.do") => {
            let path = q.get("cert").cloned().unwrap_or_default();
            let Some(c) = cert_by_path(vos, &path) else {
                return HttpResponse::text(404, "No such certificate");
            };
            let base = path
                .rsplit('/')
                .next()
                .unwrap_or("certificate.pem")
                .trim_end_matches(".pem")
                .to_string();
            let (bytes, ext, ct) = if q.get("format").map(String::as_str) == Some("der") {
                (c.der().to_vec(), "der", "application/pkix-cert")
            } else {
                (c.to_pem().into_bytes(), "pem", "application/x-pem-file")
            };
            HttpResponse {
                status: 200,
                headers: vec![
                    ("Content-Type".into(), ct.into()),
                    (
                        "Content-Disposition".into(),
                        format!("attachment; filename=\"{base}.{ext}\""),
                    ),
                ],
                body: bytes,
            }
        }
        ("GET", "certificateUpload.do") => html(
            200,
            "Upload Certificate/Certificate chain",
            &format!(
                "{}\n<h2>Upload Certificate/Certificate chain</h2>\n<form method=\"post\" action=\"/cmplatform/certificateUpload.do\" enctype=\"multipart/form-data\">{token_field}\n<label>Certificate Purpose <select id=\"NAME\" name=\"NAME\"><option value=\"tomcat-trust\">tomcat-trust</option><option value=\"tomcat\">tomcat</option></select></label>\n<label>Description <input type=\"text\" id=\"DESCRIPTION\" name=\"DESCRIPTION\"></label>\n<label>Upload File <input type=\"file\" id=\"FILE\" name=\"FILE\"></label>\n<input type=\"submit\" class=\"cuesButton\" value=\"Upload\">\n</form>",
                nav()
            ),
        ),
        ("POST", "certificateUpload.do") => {
            let Some(parts) = multipart(r) else {
                return upload_result(400, "The upload is not a multipart/form-data form.");
            };
            let text = |k: &str| {
                parts
                    .get(k)
                    .map(|(_, v)| String::from_utf8_lossy(v).trim().to_string())
                    .unwrap_or_default()
            };
            let fields: HashMap<String, String> = [("token".to_string(), text("token"))].into();
            if !posted(&fields) {
                return upload_result(403, "The page has expired: open Upload Certificate/Certificate chain again.");
            }
            let purpose = text("NAME");
            let description = text("DESCRIPTION");
            let Some((_, file)) = parts.get("FILE") else {
                return upload_result(400, "Select a file to upload.");
            };
            let certs = Certificate::all_from_pem(&String::from_utf8_lossy(file))
                .ok()
                .filter(|v| !v.is_empty())
                .or_else(|| Certificate::from_der(file).ok().map(|c| vec![c]));
            let Some(certs) = certs else {
                return upload_result(400, "Upload failed: the file is not a valid certificate (PEM or DER).");
            };
            match purpose.as_str() {
                "tomcat-trust" => {
                    let d = if description.is_empty() { TRUST_DESCRIPTION } else { &description };
                    let mut names = Vec::new();
                    for c in &certs {
                        match vos.units().add_trust(c, d) {
                            Ok(n) => names.push(n),
                            Err(e) => return upload_result(500, &format!("Upload failed: {e}")),
                        }
                    }
                    upload_result(200, &format!("Success: Certificate Uploaded ({}). Restart the services that use tomcat-trust for it to take effect.", names.join(", ")))
                }
                "tomcat" => match vos.install_identity(&certs) {
                    Ok(_) => upload_result(200, "Success: Certificate Uploaded. Restart Cisco Tomcat (and the product's Tomcat) for it to take effect."),
                    Err(e) => upload_result(500, &format!("Upload failed: {e}")),
                },
                other => upload_result(400, &format!("Certificate Purpose {other:?} is not one of tomcat-trust, tomcat.")),
            }
        }
        ("GET", "certificateRegenerate.do") => html(
            200,
            "Generate New Self-signed Certificate",
            &format!("{}\n<form method=\"post\" action=\"/cmplatform/certificateRegenerate.do\">{token_field}<label>Certificate Purpose <select name=\"purpose\"><option value=\"tomcat\">tomcat</option></select></label><input type=\"submit\" value=\"Generate\"></form>", nav()),
        ),
        ("POST", "certificateRegenerate.do") => {
            if !posted(&form(&r.body)) {
                return upload_result(403, "The page has expired: open the page again.");
            }
            match vos.regenerate() {
                Ok(_) => upload_result(200, "Success: Certificate Generated. Restart the services that use tomcat for it to take effect."),
                Err(e) => upload_result(500, &format!("Generation failed: {e}")),
            }
        }
        ("POST", "certificateDelete.do") => {
            let f = form(&r.body);
            if !posted(&f) {
                return upload_result(403, "The page has expired: open the page again.");
            }
            let path = f.get("cert").cloned().unwrap_or_default();
            match path.strip_prefix("tomcat-trust/").map(|n| vos.units().delete_trust(n)) {
                Some(Ok(())) => upload_result(200, &format!("Success: {path} deleted.")),
                Some(Err(UnitError::NotFound(_))) | None => upload_result(404, &format!("No such trust certificate: {path}")),
                Some(Err(e)) => upload_result(500, &format!("Delete failed: {e}")),
            }
        }
        ("GET", "certificateGenerateCsr.do") => html(
            200,
            "Generate Certificate Signing Request",
            &format!("{}\n<form method=\"post\" action=\"/cmplatform/certificateGenerateCsr.do\">{token_field}<label>Certificate Purpose <select name=\"purpose\"><option value=\"tomcat\">tomcat</option></select></label><input type=\"submit\" value=\"Generate\"></form>", nav()),
        ),
        ("POST", "certificateGenerateCsr.do") => {
            if !posted(&form(&r.body)) {
                return upload_result(403, "The page has expired: open the page again.");
            }
            match vos.generate_csr() {
                Ok(_) => upload_result(200, "Success: CSR Generated."),
                Err(e) => upload_result(500, &format!("Generation failed: {e}")),
            }
        }
        ("GET", "certificateDownloadCsr.do") => match vos.units().csr_pem() {
            Ok(pem) => HttpResponse {
                status: 200,
                headers: vec![
                    ("Content-Type".into(), "application/pkcs10".into()),
                    ("Content-Disposition".into(), "attachment; filename=\"tomcat.csr\"".into()),
                ],
                body: pem.into_bytes(),
            },
            Err(_) => html(404, "Download CSR", &format!("{}\n<p class=\"error\">No CSR has been generated for tomcat.</p>", nav())),
        },
        _ => html(404, "Not Found", &format!("{}\n<p class=\"error\">Not found.</p>", nav())),
    }
}

fn upload_result(status: u16, message: &str) -> HttpResponse {
    html(
        status,
        "Status",
        &format!("{}\n<p class=\"status\">{}</p>", nav(), esc(message)),
    )
}

fn certmgr(vos: &Arc<Vos>, api: &str, r: &HttpRequest) -> HttpResponse {
    let (u, p) = &vos.config.admin;
    match basic_credentials(r) {
        Some((user, pass)) if &user == u && &pass == p => {}
        _ => {
            let mut resp = HttpResponse::json(401, serde_json::json!({"message": "Unauthorized"}));
            resp.headers.push((
                "WWW-Authenticate".into(),
                "Basic realm=\"CMPlatform Realm\"".into(),
            ));
            return resp;
        }
    }
    let body: serde_json::Value =
        serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null);
    let service_is_tomcat = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s == "tomcat",
        serde_json::Value::Array(a) => a.iter().all(|s| s == "tomcat") && !a.is_empty(),
        _ => false,
    };
    let pems = |v: &serde_json::Value| -> Option<Vec<Certificate>> {
        let list = v.get("certificates")?.as_array()?;
        let mut out = Vec::new();
        for p in list {
            out.extend(Certificate::all_from_pem(p.as_str()?).ok()?);
        }
        (!out.is_empty()).then_some(out)
    };
    let q = query(r);
    match (r.method.as_str(), api.trim_end_matches('/')) {
        ("POST", "csr") => {
            if !service_is_tomcat(&body["service"]) {
                return HttpResponse::json(
                    400,
                    serde_json::json!({"message": "service must be tomcat"}),
                );
            }
            match vos.generate_csr() {
                Ok(csr) => HttpResponse::json(200, serde_json::json!({"csr": csr})),
                Err(e) => HttpResponse::json(500, serde_json::json!({"message": e})),
            }
        }
        ("POST", "identity/certificates") => {
            if !service_is_tomcat(&body["service"]) {
                return HttpResponse::json(
                    400,
                    serde_json::json!({"message": "service must be tomcat"}),
                );
            }
            let Some(certs) = pems(&body) else {
                return HttpResponse::json(
                    400,
                    serde_json::json!({"message": "certificates: a list of PEM certificates is required"}),
                );
            };
            match vos.install_identity(&certs) {
                Ok(c) => HttpResponse::json(
                    200,
                    serde_json::json!({"service": "tomcat", "certificate": c.to_pem()}),
                ),
                Err(e) => HttpResponse::json(500, serde_json::json!({"message": e})),
            }
        }
        ("POST", "trust/certificates") => {
            if !service_is_tomcat(&body["service"]) {
                return HttpResponse::json(
                    400,
                    serde_json::json!({"message": "service must be [\"tomcat\"]"}),
                );
            }
            let Some(certs) = pems(&body) else {
                return HttpResponse::json(
                    400,
                    serde_json::json!({"message": "certificates: a list of PEM certificates is required"}),
                );
            };
            let d = body["description"]
                .as_str()
                .unwrap_or(TRUST_DESCRIPTION)
                .to_string();
            let mut names = Vec::new();
            for c in &certs {
                match vos.units().add_trust(c, &d) {
                    Ok(n) => names.push(n),
                    Err(e) => {
                        return HttpResponse::json(
                            500,
                            serde_json::json!({"message": e.to_string()}),
                        )
                    }
                }
            }
            HttpResponse::json(
                200,
                serde_json::json!({"service": "tomcat-trust", "filenames": names}),
            )
        }
        ("GET", "trust/certificate") => {
            if q.get("service").map(String::as_str) != Some("tomcat") {
                return HttpResponse::json(
                    400,
                    serde_json::json!({"message": "service=tomcat is required"}),
                );
            }
            let list: Vec<serde_json::Value> = vos
                .units()
                .trust()
                .unwrap_or_default()
                .into_iter()
                .map(|(f, c)| serde_json::json!({"filename": f, "certificate": c.to_pem()}))
                .collect();
            HttpResponse::json(200, serde_json::json!({"certificates": list}))
        }
        ("GET", "identity/certificate") => match vos.units().own() {
            Ok((c, _)) => HttpResponse::json(
                200,
                serde_json::json!({"certificates": [{"service": "tomcat", "certificate": c.to_pem()}]}),
            ),
            Err(e) => HttpResponse::json(404, serde_json::json!({"message": e.to_string()})),
        },
        ("GET", "snapshot/server") => {
            let units = vos.units();
            let identity = units.own().ok().map(|(c, _)| c.to_pem());
            let trust: Vec<serde_json::Value> = units
                .trust()
                .unwrap_or_default()
                .into_iter()
                .map(|(f, c)| serde_json::json!({"filename": f, "certificate": c.to_pem()}))
                .collect();
            HttpResponse::json(
                200,
                serde_json::json!({
                    "server": vos.fqdn,
                    "identities": [{"service": "tomcat", "certificate": identity, "csr": units.csr_pem().ok()}],
                    "trusts": [{"service": "tomcat-trust", "certificate_data": trust}],
                    "revokedCertificates": [],
                }),
            )
        }
        _ => HttpResponse::json(404, serde_json::json!({"message": "Not Found"})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipart_forms() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"NAME\"\r\n\r\ntomcat-trust\r\n--XX\r\nContent-Disposition: form-data; name=\"FILE\"; filename=\"a.pem\"\r\nContent-Type: application/octet-stream\r\n\r\nPEMDATA\r\n--XX--\r\n".to_vec();
        let r = HttpRequest {
            method: "POST".into(),
            path: "/cmplatform/certificateUpload.do".into(),
            query: String::new(),
            host: None,
            headers: vec![(
                "content-type".into(),
                "multipart/form-data; boundary=XX".into(),
            )],
            body,
            sni: None,
            binding: None,
            http2: false,
        };
        let parts = multipart(&r).unwrap();
        assert_eq!(parts["NAME"].1, b"tomcat-trust");
        assert_eq!(parts["FILE"], (Some("a.pem".into()), b"PEMDATA".to_vec()));
        // a boundary over RFC 2046's 70 characters is not taken
        let mut long = r.clone();
        long.headers = vec![(
            "content-type".into(),
            format!("multipart/form-data; boundary={}", "x".repeat(71)),
        )];
        assert!(multipart(&long).is_none());
        // a body that ends early is not a form
        let mut cut = r.clone();
        cut.body.truncate(60);
        assert!(multipart(&cut).is_none_or(|p| !p.contains_key("FILE")));
    }
}

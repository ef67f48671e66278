//! CCE Administration's REST API on each ADS (Tomcat's HTTPS connector with
//! `tomcatCert`): the machine inventory of [`inventory`](super::inventory).

use std::sync::Arc;

use crate::platform::http::basic_credentials;
use crate::tls::{handler, Handler, HttpRequest, HttpResponse};

use super::inventory::{
    bulk_xml, errors_xml, list_xml, machine_xml, ApiError, MachineXml, CSV_HEADER,
    MACHINE_INVENTORY,
};
use super::CceDeployment;

/// CCE Administration's REST API on an ADS: the machine inventory (see
/// [`inventory`](super::inventory)), HTTP Basic as an administrator of the topology.
pub(crate) fn cce_admin_handler(dep: Arc<CceDeployment>) -> Handler {
    handler(move |r: HttpRequest| {
        let xml = |status: u16, body: String| HttpResponse {
            status,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: body.into_bytes(),
        };
        let path = r
            .path
            .split('?')
            .next()
            .unwrap_or("")
            .trim_end_matches('/')
            .to_string();
        let Some(rest) = path.strip_prefix(MACHINE_INVENTORY) else {
            return HttpResponse::text(404, "Not Found\n");
        };
        let admin = &dep.admin;
        let authorized = basic_credentials(&r)
            .is_some_and(|(u, p)| u.eq_ignore_ascii_case(&admin.0) && p == admin.1);
        if !authorized {
            return HttpResponse {
                status: 401,
                headers: vec![(
                    "WWW-Authenticate".into(),
                    "Basic realm=\"CCE Administration\"".into(),
                )],
                body: Vec::new(),
            };
        }
        let mut inv = dep.inventory.lock().unwrap_or_else(|e| e.into_inner());
        match (r.method.as_str(), rest) {
            ("GET", "") => xml(200, list_xml(&inv.machines)),
            ("POST", "") => {
                let body = String::from_utf8_lossy(&r.body);
                let parsed: Result<MachineXml, _> = quick_xml::de::from_str(&body);
                match parsed {
                    Err(e) => xml(
                        400,
                        errors_xml(&[ApiError {
                            error_type: "invalidInput.fieldInvalid".into(),
                            error_data: "machine".into(),
                            error_message: format!("The request body is not a <machine>: {e}"),
                            range: None,
                        }]),
                    ),
                    Ok(m) => match inv.add(&dep.env, m.to_new()) {
                        Ok(added) => HttpResponse {
                            status: 201,
                            headers: vec![
                                ("Content-Type".into(), "application/xml".into()),
                                (
                                    "Location".into(),
                                    format!("{MACHINE_INVENTORY}/{}", added.id),
                                ),
                            ],
                            body: machine_xml(&added).into_bytes(),
                        },
                        Err(errors) => xml(400, errors_xml(&errors)),
                    },
                }
            }
            ("GET", "/bulkoperation/template") => HttpResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "text/csv".into())],
                body: format!("{}\r\n", CSV_HEADER).into_bytes(),
            },
            ("POST", "/bulkoperation") => {
                let body = String::from_utf8_lossy(&r.body).into_owned();
                let result = inv.upload_csv(&dep.env, &body);
                xml(if result.is_ok() { 200 } else { 400 }, bulk_xml(&result))
            }
            (method, id) => {
                let Some(id) = id.strip_prefix('/').and_then(|i| i.parse::<u64>().ok()) else {
                    return HttpResponse::text(404, "Not Found\n");
                };
                match method {
                    "GET" => match inv.machines.iter().find(|m| m.id == id) {
                        Some(m) => xml(200, machine_xml(m)),
                        None => HttpResponse::text(404, "Not Found\n"),
                    },
                    "DELETE" => {
                        if inv.delete(id) {
                            HttpResponse {
                                status: 200,
                                headers: vec![],
                                body: Vec::new(),
                            }
                        } else {
                            HttpResponse::text(404, "Not Found\n")
                        }
                    }
                    _ => HttpResponse::text(405, "Method Not Allowed\n"),
                }
            }
        }
    })
}

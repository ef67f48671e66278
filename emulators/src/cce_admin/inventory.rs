//! CCE Administration's machine inventory ([ECE] 4.2, 4.3; F10, F11, F12)
//! and its REST API on each ADS, following Cisco's public shapes:
//!
//! * `GET|POST /unifiedconfig/config/machineinventory`,
//!   `GET|DELETE /unifiedconfig/config/machineinventory/{id}` — Cisco Packaged
//!   CCE Developer Reference, "Machine Inventory API" (create is for external
//!   machine types only; the element is `<type>`; `name` at most 128
//!   characters of letters, digits, `.`, `-`, `_`, starting with a letter or
//!   digit; `address` "Must be valid hostname, IPV4, or IPV6 address."; a
//!   password is accepted on create and never returned; a given host name is
//!   looked up and `hostName` set to the FQDN).
//! * Errors: HTTP 400 with `<apiErrors><apiError><errorData/><errorDetail/>
//!   <errorMessage/><errorType/></apiError></apiErrors>` (Cisco "Working with
//!   Unified CCE APIs"; `invalidInput.fieldRequired` and
//!   `invalidInput.outOfRange` with `<min>`/`<max>` are Cisco's error types;
//!   `invalidInput.fieldInvalid`, `invalidInput.notSupported` and the
//!   message wordings are ccelab's).
//! * Authentication: an administrator's fully qualified user name and password
//!   (Cisco's guide), here HTTP Basic.
//! * Bulk CSV for 4000/12000 agents (PCCE 12.6(2) administration guide,
//!   "Add machines" template): `name,machineType,publicAddress,connectionInfo,
//!   privateAddress,peripheralSetName,side`, `connectionInfo` =
//!   `userName=<user>&password=<password>` with `&` and `=` inside values
//!   escaped as `%26` and `%3D`. ccelab applies an upload synchronously and
//!   all-or-nothing, and answers `<bulkOperationResults>` (an invented shape;
//!   Cisco's runs as a task with a results URL).
//!
//! Machine types: `ECE_WEB_SERVER` (any number) and the ECE data server as
//! `EXTERNAL_ECE` (0–1; the 12.x admin guide calls it `ECE`, also accepted).
//! Where each ECE_WEB_SERVER keeps the ECE credentials and the application
//! instance — a `MACHINE_INFO` service with `userName`, `password` and
//! `applicationInstance` — is ccelab's arrangement (Cisco names the service,
//! not its fields). SPOG calls the web server by the address as entered (so
//! an address or short name gives F10, [ECE] 4.3), logs in with the stored
//! credentials (F12).

use crate::platform::http::escape_markup as xml_escape;
use serde::{Deserialize, Serialize};

use std::sync::Arc;

use crate::network::Network;

/// What the inventory checks machines against: the deployment's application
/// instance (names are case-sensitive: F11), whether machines may come by
/// CSV (4000/12000 agents, not 2000), and the names the AW resolves.
#[derive(Clone)]
pub struct InventoryEnv {
    /// The application instance of the deployment.
    pub app_instance: String,
    /// Whether the deployment takes machines by CSV upload.
    pub csv_upload: bool,
    /// How the AW looks names up.
    pub network: Arc<dyn Network>,
}

/// The inventory's URL path.
pub const MACHINE_INVENTORY: &str = "/unifiedconfig/config/machineinventory";

/// The header of the bulk CSV (PCCE 12.6(2) admin guide).
pub const CSV_HEADER: &str =
    "name,machineType,publicAddress,connectionInfo,privateAddress,peripheralSetName,side";

/// One machine of the inventory.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    /// Its id (`/machineinventory/{id}`).
    pub id: u64,
    /// Incremented at each change (the API's `changeStamp`).
    pub change_stamp: u64,
    /// Its name.
    pub name: String,
    /// `ECE_WEB_SERVER` or `EXTERNAL_ECE`.
    #[serde(rename = "type")]
    pub machine_type: String,
    /// The address as entered (what SPOG calls for an ECE web server).
    pub address: String,
    /// The FQDN the lookup found.
    pub host_name: String,
    /// The ECE user SPOG logs in as (a web server's MACHINE_INFO).
    pub user: Option<String>,
    /// Its password (never returned).
    #[serde(skip)]
    pub password: Option<String>,
    /// The application instance of the integration (F11).
    pub application_instance: Option<String>,
}

/// An API error (one `<apiError>`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiError {
    /// `<errorType>` (`invalidInput.fieldRequired`, …).
    pub error_type: String,
    /// `<errorData>`: the field at fault.
    pub error_data: String,
    /// `<errorMessage>`.
    pub error_message: String,
    /// `<errorDetail><min/><max/>` of `invalidInput.outOfRange`.
    pub range: Option<(u32, u32)>,
}

impl ApiError {
    fn new(t: &str, data: &str, msg: impl Into<String>) -> Self {
        ApiError {
            error_type: t.into(),
            error_data: data.into(),
            error_message: msg.into(),
            range: None,
        }
    }
}

/// What a caller asks to add.
#[derive(Clone, Debug, Default)]
pub struct NewMachine {
    /// Its name (default: the address).
    pub name: Option<String>,
    /// `ECE_WEB_SERVER`, `EXTERNAL_ECE` (or `ECE`).
    pub machine_type: String,
    /// Its address: an FQDN, a host name or an IP address (F10 when not the FQDN).
    pub address: String,
    /// The ECE user (a web server: `pa`, F12).
    pub user: Option<String>,
    /// Its password.
    pub password: Option<String>,
    /// The application instance (a web server; case-sensitive, never `UQ…`: F11).
    pub application_instance: Option<String>,
}

/// The inventory of a deployment (shared by the ADSs: it lives in the AWDB).
#[derive(Debug, Default)]
pub struct Inventory {
    /// The machines, in the order they were added.
    pub machines: Vec<Machine>,
    next_id: u64,
}

/// A Finesse node of the inventory (the machine type's name is ccelab's
/// reading of Cisco's list, L): CCE Administration reaches it by the address
/// entered, over HTTPS with `cacerts` ([SEC]; F17).
pub const FINESSE: &str = "FINESSE";
/// A CVP call server (Cisco's machine type; its `CVP_WSM` service holds
/// the WSM credentials the AW uses: [PCCE150-Inv], H).
pub const CVP: &str = "CVP";
/// The CVP reporting server (Cisco's machine type; its
/// `DIAGNOSTIC_PORTAL` service is required: [PCCE150-Inv], H).
pub const CVP_REPORTING: &str = "CVP_REPORTING";
/// A Cisco Identity Service node of the inventory (ccelab's name for the
/// type, L): reached like a Finesse node ([SEC] "Finesse / IdS → AW").
pub const IDS: &str = "IDS";

fn is_ece_data(t: &str) -> bool {
    t == "EXTERNAL_ECE" || t == "ECE"
}

fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 128
        && n.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn valid_address(a: &str) -> bool {
    a.parse::<std::net::IpAddr>().is_ok()
        || (!a.is_empty()
            && a.len() <= 253
            && a.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }))
}

impl Inventory {
    /// The inventory as after [ECE] 4.2/4.3 done right: the ECE data server
    /// and the web server `fqdn` with `pa`'s credentials.
    pub fn documented(env: &InventoryEnv, fqdn: &str, pa_password: Option<String>) -> Self {
        let mut inv = Inventory {
            machines: vec![],
            next_id: 5000,
        };
        let fqdn = fqdn.to_string();
        let pa = pa_password;
        for m in [
            NewMachine {
                name: Some(fqdn.split('.').next().unwrap_or(&fqdn).to_string()),
                machine_type: "EXTERNAL_ECE".into(),
                address: fqdn.clone(),
                ..NewMachine::default()
            },
            NewMachine {
                name: Some(fqdn.clone()),
                machine_type: "ECE_WEB_SERVER".into(),
                address: fqdn.clone(),
                user: Some("pa".into()),
                password: pa,
                application_instance: Some(env.app_instance.clone()),
            },
        ] {
            // the preset's own entries are valid by construction; a topology
            // whose ECE FQDN is odd still starts, with what did validate
            let _ = inv.add(env, m);
        }
        inv
    }

    /// The Finesse, IdS and CVP machines of the inventory (what CCE
    /// Administration calls over HTTPS with `cacerts`: F17).
    pub fn finesse(&self) -> Vec<Machine> {
        self.machines
            .iter()
            .filter(|m| [FINESSE, IDS, CVP, CVP_REPORTING].contains(&m.machine_type.as_str()))
            .cloned()
            .collect()
    }

    /// The first ECE web server: what the "Email and Chat" card uses.
    pub fn web_server(&self) -> Option<&Machine> {
        self.machines
            .iter()
            .find(|m| m.machine_type == "ECE_WEB_SERVER")
    }

    /// The first ECE web server, to edit.
    pub fn web_server_mut(&mut self) -> Option<&mut Machine> {
        self.machines
            .iter_mut()
            .find(|m| m.machine_type == "ECE_WEB_SERVER")
    }

    /// Checks a new machine against the inventory (and `also`, machines of
    /// the same upload); returns the machine it would add.
    fn check(
        &self,
        env: &InventoryEnv,
        m: &NewMachine,
        also: &[Machine],
        scanned: bool,
    ) -> Result<Machine, Vec<ApiError>> {
        let mut errors = Vec::new();
        let t = m.machine_type.trim().to_ascii_uppercase();
        if t.is_empty() {
            errors.push(ApiError::new(
                "invalidInput.fieldRequired",
                "type",
                "The machine type is required.",
            ));
        } else if t != "ECE_WEB_SERVER"
            && t != FINESSE
            && t != IDS
            && !is_ece_data(&t)
            && !(scanned && (t == CVP || t == CVP_REPORTING))
        {
            errors.push(ApiError::new(
                "invalidInput.notSupported",
                "type",
                format!("Create is allowed for external machines types only; ccelab's inventory takes ECE_WEB_SERVER, EXTERNAL_ECE, FINESSE and IDS, not {t}."),
            ));
        }
        let address = m.address.trim().to_string();
        if address.is_empty() {
            errors.push(ApiError::new(
                "invalidInput.fieldRequired",
                "address",
                "The address is required.",
            ));
        } else if !valid_address(&address) {
            errors.push(ApiError::new(
                "invalidInput.fieldInvalid",
                "address",
                "Must be valid hostname, IPV4, or IPV6 address.",
            ));
        }
        let host_name = match env.network.canonical_name(&address) {
            Some(fqdn) => fqdn,
            None if address.is_empty() || !valid_address(&address) => String::new(),
            None => {
                errors.push(ApiError::new(
                    "invalidInput.fieldInvalid",
                    "address",
                    format!("The address {address} cannot be resolved."),
                ));
                String::new()
            }
        };
        let name = m.name.clone().unwrap_or_else(|| address.clone());
        if !name.is_empty() && !valid_name(&name) {
            errors.push(ApiError::new(
                "invalidInput.fieldInvalid",
                "name",
                "The name can be up to 128 characters: letters, digits, '.', '-' and '_', starting with a letter or a digit.",
            ));
        }
        if self
            .machines
            .iter()
            .chain(also)
            .any(|x| x.name.eq_ignore_ascii_case(&name))
        {
            errors.push(ApiError::new(
                "invalidInput.fieldInvalid",
                "name",
                format!("A machine named {name} is already in the inventory."),
            ));
        }
        if is_ece_data(&t)
            && self
                .machines
                .iter()
                .chain(also)
                .any(|x| is_ece_data(&x.machine_type))
        {
            let mut e = ApiError::new(
                "invalidInput.outOfRange",
                "type",
                "The inventory holds at most one ECE data server (EXTERNAL_ECE).",
            );
            e.range = Some((0, 1));
            errors.push(e);
        }
        if t == "ECE_WEB_SERVER" {
            for (field, v) in [("userName", &m.user), ("password", &m.password)] {
                if v.as_deref().is_none_or(str::is_empty) {
                    errors.push(ApiError::new(
                        "invalidInput.fieldRequired",
                        field,
                        format!("{field} is required for an ECE web server (the ECE partition administrator, pa)."),
                    ));
                }
            }
            if let Some(ai) = &m.application_instance {
                // F11: application instance names are case-sensitive
                if *ai != env.app_instance {
                    errors.push(ApiError::new(
                        "invalidInput.fieldInvalid",
                        "applicationInstance",
                        format!(
                            "Application instance {ai} does not exist (names are case-sensitive)."
                        ),
                    ));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let id = self.next_id.max(5000) + also.len() as u64;
        Ok(Machine {
            id,
            change_stamp: 0,
            name,
            machine_type: if is_ece_data(&t) {
                "EXTERNAL_ECE".into()
            } else {
                t
            },
            address,
            host_name,
            user: m.user.clone(),
            password: m.password.clone(),
            application_instance: m
                .application_instance
                .clone()
                .or_else(|| Some(env.app_instance.clone())),
        })
    }

    /// Adds one machine (POST).
    pub fn add(&mut self, env: &InventoryEnv, m: NewMachine) -> Result<Machine, Vec<ApiError>> {
        self.insert(env, m, false)
    }

    /// Adds a machine the deployment's scan found (CVP and CVP_REPORTING,
    /// which the API does not create: Cisco's "Machine Inventory API").
    pub fn add_scanned(
        &mut self,
        env: &InventoryEnv,
        m: NewMachine,
    ) -> Result<Machine, Vec<ApiError>> {
        self.insert(env, m, true)
    }

    fn insert(
        &mut self,
        env: &InventoryEnv,
        m: NewMachine,
        scanned: bool,
    ) -> Result<Machine, Vec<ApiError>> {
        let machine = self.check(env, &m, &[], scanned)?;
        self.next_id = machine.id + 1;
        self.machines.push(machine.clone());
        Ok(machine)
    }

    /// Deletes a machine by id.
    pub fn delete(&mut self, id: u64) -> bool {
        let before = self.machines.len();
        self.machines.retain(|m| m.id != id);
        self.machines.len() != before
    }

    /// A bulk CSV upload: every row checked first; nothing is added unless
    /// all rows are good. Returns the added machines, or `(line, errors)`
    /// for each bad row (lines counted from 1, the header is line 1).
    pub fn upload_csv(
        &mut self,
        env: &InventoryEnv,
        csv: &str,
    ) -> Result<Vec<Machine>, Vec<(usize, Vec<ApiError>)>> {
        if !env.csv_upload {
            return Err(vec![(
                0,
                vec![ApiError::new(
                    "invalidInput.notSupported",
                    "bulkoperation",
                    "In a 2000 agent deployment machines are added through the inventory's pop-up windows, not by CSV.",
                )],
            )]);
        }
        let mut lines = csv.lines().enumerate();
        let header = lines
            .next()
            .map(|(_, l)| l.trim().trim_start_matches('\u{feff}'))
            .unwrap_or("");
        if header != CSV_HEADER {
            return Err(vec![(
                1,
                vec![ApiError::new(
                    "invalidInput.fieldInvalid",
                    "header",
                    format!("The first line must be the template's header: {CSV_HEADER}"),
                )],
            )]);
        }
        let mut added: Vec<Machine> = Vec::new();
        let mut bad = Vec::new();
        for (i, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let n = i + 1;
            let cols: Vec<&str> = line.split(',').collect();
            if cols.len() != 7 {
                bad.push((
                    n,
                    vec![ApiError::new(
                        "invalidInput.fieldInvalid",
                        "row",
                        format!("{} columns instead of 7", cols.len()),
                    )],
                ));
                continue;
            }
            let mut m = NewMachine {
                name: Some(cols[0].trim().to_string()).filter(|s| !s.is_empty()),
                machine_type: cols[1].trim().to_string(),
                address: cols[2].trim().to_string(),
                ..NewMachine::default()
            };
            let mut errs = Vec::new();
            for service in cols[3].split(';').filter(|s| !s.trim().is_empty()) {
                for kv in service.split('&') {
                    let Some((k, v)) = kv.split_once('=') else {
                        errs.push(ApiError::new(
                            "invalidInput.fieldInvalid",
                            "connectionInfo",
                            format!("`{kv}` is not key=value"),
                        ));
                        continue;
                    };
                    let v = v
                        .trim()
                        .replace("%26", "&")
                        .replace("%3D", "=")
                        .replace("%3d", "=");
                    match k.trim() {
                        "userName" => m.user = Some(v),
                        "password" => m.password = Some(v),
                        "applicationInstance" => m.application_instance = Some(v),
                        other => errs.push(ApiError::new(
                            "invalidInput.fieldInvalid",
                            "connectionInfo",
                            format!(
                                "unknown key `{other}` (userName, password, applicationInstance)"
                            ),
                        )),
                    }
                }
            }
            match self.check(env, &m, &added, false) {
                Ok(machine) if errs.is_empty() => added.push(machine),
                Ok(_) => bad.push((n, errs)),
                Err(mut e) => {
                    errs.append(&mut e);
                    bad.push((n, errs));
                }
            }
        }
        if !bad.is_empty() {
            return Err(bad);
        }
        if let Some(last) = added.last() {
            self.next_id = last.id + 1;
        }
        self.machines.extend(added.iter().cloned());
        Ok(added)
    }
}

/// `<machine>` as posted or returned.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename = "machine", rename_all = "camelCase")]
pub struct MachineXml {
    /// `<changeStamp>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_stamp: Option<u64>,
    /// `<refURL>`: the machine's URL.
    #[serde(rename = "refURL", default, skip_serializing_if = "Option::is_none")]
    pub ref_url: Option<String>,
    /// `<name>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `<type>`.
    #[serde(rename = "type", default)]
    pub machine_type: String,
    /// `<hostName>`: the FQDN the lookup found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_name: Option<String>,
    /// `<networks>`.
    #[serde(default)]
    pub networks: NetworksXml,
}

/// `<networks>`.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct NetworksXml {
    /// Each `<network>`.
    #[serde(default)]
    pub network: Vec<NetworkXml>,
}

/// `<network>`: `PUBLIC` (or `PRIVATE`) with its address and services.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NetworkXml {
    /// `<type>`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// `<address>`.
    #[serde(default)]
    pub address: String,
    /// `<services>`.
    #[serde(default)]
    pub services: ServicesXml,
}

/// `<services>`.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ServicesXml {
    /// Each `<service>`.
    #[serde(default)]
    pub service: Vec<ServiceXml>,
}

/// `<service>`: `MACHINE_INFO` holds a web server's ECE credentials and
/// application instance (ccelab's arrangement).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceXml {
    /// `<port>` (a CVP server's WSM: 8111).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// `<type>`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// `<userName>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// `<password>` (accepted, never returned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// `<applicationInstance>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_instance: Option<String>,
}

impl MachineXml {
    /// What the caller asks for (the PUBLIC network's address and its MACHINE_INFO service).
    pub fn to_new(&self) -> NewMachine {
        let net = self
            .networks
            .network
            .iter()
            .find(|n| n.kind.eq_ignore_ascii_case("PUBLIC") || n.kind.is_empty())
            .or_else(|| self.networks.network.first());
        let svc = net.and_then(|n| {
            n.services
                .service
                .iter()
                .find(|s| s.kind.eq_ignore_ascii_case("MACHINE_INFO"))
        });
        NewMachine {
            name: self.name.clone(),
            machine_type: self.machine_type.clone(),
            address: net.map(|n| n.address.clone()).unwrap_or_default(),
            user: svc.and_then(|s| s.user_name.clone()),
            password: svc.and_then(|s| s.password.clone()),
            application_instance: svc.and_then(|s| s.application_instance.clone()),
        }
    }

    /// The representation of a machine (never its password).
    pub fn from_machine(m: &Machine) -> Self {
        let services = if m.machine_type == "ECE_WEB_SERVER" {
            vec![ServiceXml {
                kind: "MACHINE_INFO".into(),
                user_name: m.user.clone(),
                application_instance: m.application_instance.clone(),
                ..ServiceXml::default()
            }]
        } else if m.machine_type == CVP || m.machine_type == CVP_REPORTING {
            // the WSM credentials: CVP_WSM on a call server, DIAGNOSTIC_PORTAL
            // on the reporting server ([PCCE150-Inv]; Cisco's sample orders
            // port, status, type, userName)
            vec![ServiceXml {
                port: Some(8111),
                kind: if m.machine_type == CVP {
                    "CVP_WSM"
                } else {
                    "DIAGNOSTIC_PORTAL"
                }
                .into(),
                user_name: m.user.clone(),
                ..ServiceXml::default()
            }]
        } else {
            vec![]
        };
        MachineXml {
            change_stamp: Some(m.change_stamp),
            ref_url: Some(format!("{MACHINE_INVENTORY}/{}", m.id)),
            name: Some(m.name.clone()),
            machine_type: m.machine_type.clone(),
            host_name: Some(m.host_name.clone()),
            networks: NetworksXml {
                network: vec![NetworkXml {
                    kind: "PUBLIC".into(),
                    address: m.address.clone(),
                    services: ServicesXml { service: services },
                }],
            },
        }
    }
}

/// `<machine>…</machine>` of one machine.
pub fn machine_xml(m: &Machine) -> String {
    quick_xml::se::to_string(&MachineXml::from_machine(m)).unwrap_or_default()
}

/// The list answer: `<results><pageInfo>…</pageInfo><machines>…</machines></results>`.
pub fn list_xml(machines: &[Machine]) -> String {
    let n = machines.len();
    let items: String = machines.iter().map(machine_xml).collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><results><pageInfo><firstPage>{MACHINE_INVENTORY}?startIndex=0&amp;resultsPerPage=25</firstPage><lastPage>{MACHINE_INVENTORY}?startIndex=0&amp;resultsPerPage=25</lastPage><resultsPerPage>25</resultsPerPage><startIndex>0</startIndex><totalResults>{n}</totalResults></pageInfo><machines>{items}</machines></results>"
    )
}

/// `<apiErrors>` of a failed request.
pub fn errors_xml(errors: &[ApiError]) -> String {
    let items: String = errors
        .iter()
        .map(|e| {
            let detail = match e.range {
                Some((min, max)) => {
                    format!("<errorDetail><min>{min}</min><max>{max}</max></errorDetail>")
                }
                None => String::new(),
            };
            format!(
                "<apiError><errorData>{}</errorData>{detail}<errorMessage>{}</errorMessage><errorType>{}</errorType></apiError>",
                xml_escape(&e.error_data),
                xml_escape(&e.error_message),
                xml_escape(&e.error_type)
            )
        })
        .collect();
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><apiErrors>{items}</apiErrors>")
}

/// The bulk upload's answer (invented shape).
pub fn bulk_xml(result: &Result<Vec<Machine>, Vec<(usize, Vec<ApiError>)>>) -> String {
    let rows: String = match result {
        Ok(added) => added
            .iter()
            .map(|m| {
                format!(
                    "<row><name>{}</name><result>ADDED</result><refURL>{MACHINE_INVENTORY}/{}</refURL></row>",
                    xml_escape(&m.name),
                    m.id
                )
            })
            .collect(),
        Err(bad) => bad
            .iter()
            .map(|(line, errs)| {
                let msgs: String = errs
                    .iter()
                    .map(|e| {
                        format!(
                            "<error><errorType>{}</errorType><errorData>{}</errorData><errorMessage>{}</errorMessage></error>",
                            xml_escape(&e.error_type),
                            xml_escape(&e.error_data),
                            xml_escape(&e.error_message)
                        )
                    })
                    .collect();
                format!("<row><line>{line}</line><result>FAILED</result>{msgs}</row>")
            })
            .collect(),
    };
    format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><bulkOperationResults>{rows}</bulkOperationResults>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_xml_round_trips_without_the_password() {
        let body = "<machine><type>ECE_WEB_SERVER</type><networks><network><type>PUBLIC</type><address>ece.example.com</address><services><service><type>MACHINE_INFO</type><userName>pa</userName><password>p&amp;w</password></service></services></network></networks></machine>";
        let x: MachineXml = quick_xml::de::from_str(body).unwrap();
        let n = x.to_new();
        assert_eq!(n.machine_type, "ECE_WEB_SERVER");
        assert_eq!(n.address, "ece.example.com");
        assert_eq!(n.user.as_deref(), Some("pa"));
        assert_eq!(n.password.as_deref(), Some("p&w"));
        let m = Machine {
            id: 5001,
            change_stamp: 0,
            name: "ece.example.com".into(),
            machine_type: n.machine_type,
            address: n.address,
            host_name: "ece.example.com".into(),
            user: n.user,
            password: n.password,
            application_instance: Some("MultiChannel".into()),
        };
        let out = machine_xml(&m);
        assert!(out.starts_with("<machine><changeStamp>0</changeStamp><refURL>/unifiedconfig/config/machineinventory/5001</refURL><name>ece.example.com</name><type>ECE_WEB_SERVER</type>"), "{out}");
        assert!(
            !out.contains("p&amp;w") && !out.contains("<password>"),
            "{out}"
        );
        assert!(valid_address("10.0.0.1") && valid_address("ece") && !valid_address("a b"));
        assert!(valid_name("ece.example.com") && !valid_name("-x") && !valid_name("a/b"));
    }
}

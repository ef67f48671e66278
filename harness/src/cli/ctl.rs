//! `ccelab ctl`: the management interface of a running topology, through
//! its control API (the URL is in `DIR/topology.json`). Exit 1 when the
//! action fails for the user (e.g. the gadget does not open).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{read, Failure};
use crate::control::{encode as enc, request};

#[derive(Args, Debug)]
pub struct CtlArgs {
    /// The topology directory (`ccelab up --dir`).
    #[arg(long, default_value = "ccelab-lab")]
    dir: PathBuf,
    #[command(subcommand)]
    action: CtlAction,
}

#[derive(Subcommand, Debug)]
pub enum CtlAction {
    /// Hosts and services with their states and ports (JSON).
    Status,
    /// Every TLS connection the emulated servers saw so far (JSON array); with
    /// --follow, one JSON object per line as they happen, until Ctrl-C.
    Events {
        #[arg(long)]
        follow: bool,
    },
    /// Restart a host's services; they reload configuration and trust from the disk.
    Restart { host: String },
    /// Stop a Windows service ("Cisco Service" on ece-app, "Apache Tomcat" on an ADS).
    Stop { host: String, service: String },
    /// Start a Windows service.
    Start { host: String, service: String },
    /// The IIS https binding of the ECE web server.
    #[command(subcommand)]
    Binding(BindingAction),
    /// Certificates of a host.
    #[command(subcommand)]
    Cert(CertAction),
    /// SPOG user actions.
    #[command(subcommand)]
    Spog(SpogAction),
    /// Email and Chat > Integration (Unified CCE).
    #[command(subcommand)]
    Integration(IntegrationAction),
    /// Users > Agents: enable an agent for Email & Chat with a Screen Name ([ECE] 6).
    #[command(subcommand)]
    Agent(AgentAction),
    /// ECE's own view: the users provisioned from PCCE.
    EceUsers,
    /// ECE's own administration (users' passwords, departments, SSO, logging).
    #[command(subcommand)]
    Ece(EceAction),
    /// The AD domain controller / global catalog.
    #[command(subcommand)]
    Ad(AdAction),
    /// The topology clock (a fixed clock from a topology file).
    #[command(subcommand)]
    Clock(ClockAction),
    /// The inventory of CCE Administration.
    #[command(subcommand)]
    Inventory(InventoryAction),
}

#[derive(Subcommand, Debug)]
pub enum BindingAction {
    /// Set the binding's host name (empty: blank) and "Require Server Name Indication"
    /// ([ECE] 1.2 wants both unset; F6).
    Set {
        host: String,
        #[arg(long, default_value = "")]
        host_name: String,
        #[arg(long)]
        require_sni: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum CertAction {
    /// Replace the ECE web server's certificate in IIS (CA-issued, or --self-signed);
    /// the ADSs keep their cacerts (F7).
    Replace {
        host: String,
        #[arg(long)]
        self_signed: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum IntegrationAction {
    /// AWDB Details tab > Save (before the Configuration tab).
    Awdb {
        /// The AW database server (an ADS).
        #[arg(long)]
        server: String,
        #[arg(long, default_value_t = 1433)]
        port: u16,
        #[arg(long)]
        database: String,
        #[arg(long)]
        login: String,
        #[arg(long)]
        password: String,
    },
    /// Configuration tab > Save: the application instance and Agent PG(s). Permanent (F21).
    Save {
        #[arg(long)]
        app_instance: String,
        #[arg(long = "agent-pg", value_name = "PG", required = true)]
        agent_pgs: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum AgentAction {
    /// Tick "Support Email & Chat", fill the Screen Name, Save.
    Enable {
        agent: String,
        #[arg(long)]
        screen_name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum InventoryAction {
    /// Set the ECE web server ([ECE] 4.3): its name, which must be the certificate's
    /// FQDN (F10), and the ECE credentials, which must be pa's (F12).
    SetWebServer {
        name: String,
        /// ECE user name (default: unchanged, initially `pa`).
        #[arg(long)]
        user: Option<String>,
        /// ECE password (default: unchanged, initially pa's).
        #[arg(long)]
        password: Option<String>,
    },
    /// The inventory's ECE web server entry (JSON).
    Show,
    /// Every machine of the inventory (JSON).
    List,
    /// Add a machine, checked as CCE Administration's machineinventory API checks
    /// ([ECE] 4.2: the ECE data server, EXTERNAL_ECE; 4.3: the web server,
    /// ECE_WEB_SERVER, by FQDN with pa's credentials and the application instance).
    Add {
        #[arg(long = "type", value_name = "TYPE")]
        machine_type: String,
        #[arg(long)]
        address: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        password: Option<String>,
        #[arg(long)]
        app_instance: Option<String>,
    },
    /// Delete a machine by its id.
    Delete { id: u64 },
    /// Upload a machine CSV (4000/12000 agents; header
    /// name,machineType,publicAddress,connectionInfo,privateAddress,peripheralSetName,side).
    Upload { file: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum EceAction {
    /// Change an ECE user's password in ECE (`pa` or `sa`); the inventory keeps
    /// the old one until it is edited (F12).
    SetPassword {
        user: String,
        #[arg(long)]
        password: String,
    },
    /// Administration > Departments > New (`Service` is reserved).
    CreateDepartment { name: String },
    /// ECE's departments (JSON).
    Departments,
    /// Partition Administration Configuration ([ECE] 2.2): shown (JSON), or
    /// the given fields changed and saved.
    PartitionAdmin {
        #[arg(long)]
        ldap_url: Option<String>,
        #[arg(long)]
        dn_attribute: Option<String>,
        /// Base ("" with a global catalog).
        #[arg(long)]
        base: Option<String>,
        /// DN for LDAP search ("" for an anonymous bind).
        #[arg(long)]
        search_dn: Option<String>,
        #[arg(long)]
        password: Option<String>,
        /// Enable SSL on LDAP.
        #[arg(long)]
        enable_ssl: Option<bool>,
        /// A Windows path on the ECE application server's disk.
        #[arg(long)]
        keystore_location: Option<String>,
    },
    /// Logger > Processes > Maximum trace level (2 Error … 7 Debug, 8 Trace; 7 and 8 need --minutes).
    TraceLevel {
        level: u8,
        #[arg(long, default_value = "ApplicationServer")]
        process: String,
        #[arg(long)]
        minutes: Option<u32>,
        /// Only on this application server (default: every one).
        #[arg(long)]
        host: Option<String>,
    },
    /// Partition administrators ECE created through SSO (JSON).
    Admins,
}

#[derive(Subcommand, Debug)]
pub enum AdAction {
    /// LDAP signing requirement (KB4520412; F15) and anonymous access (F16).
    Policy {
        #[arg(long)]
        require_signing: Option<bool>,
        #[arg(long)]
        allow_anonymous: Option<bool>,
    },
    /// Make an account's binds fail with AD's `data` code (525, 52e, 530, 531,
    /// 532, 533, 701, 773, 775), or `none`.
    Fault { user: String, fault: String },
    /// What the DC saw: each LDAP operation with its client address, port,
    /// result code and message (JSON array).
    Events,
}

#[derive(Subcommand, Debug)]
pub enum ClockAction {
    /// Move the clock forward, e.g. `31m`, `2d`.
    Advance { by: String },
}

#[derive(Subcommand, Debug)]
pub enum SpogAction {
    /// Open the ECE gadget ("Email and Chat" card) in CCE Administration on an ADS;
    /// prints what the user sees.
    OpenGadget {
        #[arg(long, default_value = "ads-a")]
        ads: String,
        /// The SPOG administrator (default: the topology's, administrator@example.local).
        #[arg(long)]
        user: Option<String>,
    },
}

pub fn run(a: CtlArgs) -> Result<i32, Failure> {
    let tj = a.dir.join("topology.json");
    let doc: serde_json::Value =
        serde_json::from_slice(&read(&tj)?).map_err(|e| Failure::file(&tj, e))?;
    let control = doc["control"]
        .as_str()
        .ok_or_else(|| Failure::file(&tj, "no `control` URL"))?
        .to_string();
    let call = |method: &str, path: &str| {
        request(&control, method, path)
            .map_err(|e| Failure::new(&control, format!("{e} (is `ccelab up` running?)")))
    };
    let verb = if matches!(a.action, CtlAction::Stop { .. }) {
        "stop"
    } else {
        "start"
    };
    match a.action {
        CtlAction::Status => {
            let (_, body) = call("GET", "/status")?;
            out!("{body}");
            Ok(0)
        }
        CtlAction::Events { follow: false } => {
            let (_, body) = call("GET", "/events")?;
            out!("{body}");
            Ok(0)
        }
        CtlAction::Events { follow: true } => {
            let mut next = 0u64;
            loop {
                let (_, body) = call("GET", &format!("/events?since={next}"))?;
                let events: Vec<serde_json::Value> =
                    serde_json::from_str(&body).map_err(|e| Failure::new(&control, e))?;
                for e in events {
                    next = e["seq"].as_u64().map_or(next, |s| s + 1);
                    out!("{e}");
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
        CtlAction::Restart { host } => {
            let (status, body) = call("POST", &format!("/hosts/{}/restart", enc(&host)))?;
            if status != 200 {
                return Err(Failure::new(&host, body));
            }
            out!("restarted {host}");
            Ok(0)
        }
        CtlAction::Stop { host, service } | CtlAction::Start { host, service } => {
            let (status, body) = call(
                "POST",
                &format!("/hosts/{}/services/{}/{verb}", enc(&host), enc(&service)),
            )?;
            if status != 200 {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                return Err(Failure::new(&host, v["error"].as_str().unwrap_or(&body)));
            }
            out!("{verb} {service} on {host}: done");
            Ok(0)
        }
        CtlAction::Binding(BindingAction::Set {
            host,
            host_name,
            require_sni,
        }) => {
            let q = format!(
                "?host_name={}{}",
                enc(&host_name),
                if require_sni { "&require_sni=1" } else { "" }
            );
            let (status, body) = call("POST", &format!("/hosts/{}/binding{q}", enc(&host)))?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if status != 200 {
                return Err(Failure::new(&host, v["error"].as_str().unwrap_or(&body)));
            }
            out!(
                "https binding on {host}: host name `{host_name}`, Require SNI {}",
                if require_sni { "checked" } else { "unchecked" }
            );
            Ok(0)
        }
        CtlAction::Cert(CertAction::Replace { host, self_signed }) => {
            let q = if self_signed { "?self_signed=1" } else { "" };
            let (status, body) = call("POST", &format!("/hosts/{}/cert/replace{q}", enc(&host)))?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if status != 200 {
                return Err(Failure::new(&host, v["error"].as_str().unwrap_or(&body)));
            }
            out!(
                "new certificate on {host}: SHA-256 {}",
                v["sha256"].as_str().unwrap_or_default()
            );
            Ok(0)
        }
        CtlAction::Integration(IntegrationAction::Awdb {
            server,
            port,
            database,
            login,
            password,
        }) => {
            let (_, body) = call(
                "POST",
                &format!(
                    "/integration/awdb?server={}&port={port}&database={}&login={}&password={}",
                    enc(&server),
                    enc(&database),
                    enc(&login),
                    enc(&password)
                ),
            )?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            out!("{}", v["message"].as_str().unwrap_or(&body));
            Ok(if v["ok"].as_bool() == Some(true) {
                0
            } else {
                1
            })
        }
        CtlAction::Integration(IntegrationAction::Save {
            app_instance,
            agent_pgs,
        }) => {
            let (_, body) = call(
                "POST",
                &format!(
                    "/integration/save?app_instance={}&agent_pgs={}",
                    enc(&app_instance),
                    enc(&agent_pgs.join(","))
                ),
            )?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            out!("{}", v["message"].as_str().unwrap_or(&body));
            Ok(if v["ok"].as_bool() == Some(true) {
                0
            } else {
                1
            })
        }
        CtlAction::Agent(AgentAction::Enable { agent, screen_name }) => {
            let (_, body) = call(
                "POST",
                &format!(
                    "/agents/{}/enable?screen_name={}",
                    enc(&agent),
                    enc(&screen_name)
                ),
            )?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            out!("{}", v["message"].as_str().unwrap_or(&body));
            Ok(if v["ok"].as_bool() == Some(true) {
                0
            } else {
                1
            })
        }
        CtlAction::EceUsers => {
            let (_, body) = call("GET", "/ece/users")?;
            out!("{body}");
            Ok(0)
        }
        CtlAction::Inventory(InventoryAction::SetWebServer {
            name,
            user,
            password,
        }) => {
            let mut q = format!("?name={}", enc(&name));
            if let Some(u) = &user {
                q.push_str(&format!("&user={}", enc(u)));
            }
            if let Some(p) = &password {
                q.push_str(&format!("&password={}", enc(p)));
            }
            let (status, body) = call("POST", &format!("/inventory/web-server{q}"))?;
            if status != 200 {
                return Err(Failure::new(&name, body));
            }
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            out!(
                "web server in the inventory: {name} (ECE user {})",
                v["user"].as_str().unwrap_or("?")
            );
            Ok(0)
        }
        CtlAction::Inventory(InventoryAction::List) => {
            let (_, body) = call("GET", "/inventory/machines")?;
            out!("{body}");
            Ok(0)
        }
        CtlAction::Inventory(InventoryAction::Add {
            machine_type,
            address,
            name,
            user,
            password,
            app_instance,
        }) => {
            let mut q = format!("?type={}&address={}", enc(&machine_type), enc(&address));
            for (k, v) in [
                ("name", &name),
                ("user", &user),
                ("password", &password),
                ("app_instance", &app_instance),
            ] {
                if let Some(v) = v {
                    q.push_str(&format!("&{k}={}", enc(v)));
                }
            }
            let (_, body) = call("POST", &format!("/inventory/machines{q}"))?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if v["ok"].as_bool() == Some(true) {
                out!(
                    "added {} {} (id {})",
                    v["machine"]["type"].as_str().unwrap_or_default(),
                    v["machine"]["name"].as_str().unwrap_or_default(),
                    v["machine"]["id"]
                );
                return Ok(0);
            }
            for e in v["errors"].as_array().into_iter().flatten() {
                out!(
                    "{}: {} ({})",
                    e["error_data"].as_str().unwrap_or_default(),
                    e["error_message"].as_str().unwrap_or_default(),
                    e["error_type"].as_str().unwrap_or_default()
                );
            }
            Ok(1)
        }
        CtlAction::Inventory(InventoryAction::Delete { id }) => {
            let (status, body) = call("DELETE", &format!("/inventory/machines/{id}"))?;
            if status != 200 {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                return Err(Failure::new(
                    id.to_string(),
                    v["error"].as_str().unwrap_or(&body),
                ));
            }
            out!("deleted machine {id}");
            Ok(0)
        }
        CtlAction::Inventory(InventoryAction::Upload { file }) => {
            let csv = String::from_utf8(read(&file)?)
                .map_err(|_| Failure::file(&file, "not UTF-8 text"))?;
            let (_, body) =
                crate::control::request_with_body(&control, "POST", "/inventory/upload", &csv)
                    .map_err(|e| {
                        Failure::new(&control, format!("{e} (is `ccelab up` running?)"))
                    })?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if v["ok"].as_bool() == Some(true) {
                for m in v["added"].as_array().into_iter().flatten() {
                    out!(
                        "added {} {} (id {})",
                        m["type"].as_str().unwrap_or_default(),
                        m["name"].as_str().unwrap_or_default(),
                        m["id"]
                    );
                }
                return Ok(0);
            }
            for row in v["rows"].as_array().into_iter().flatten() {
                for e in row["errors"].as_array().into_iter().flatten() {
                    out!(
                        "{}:{}: {}: {} ({})",
                        file.display(),
                        row["line"],
                        e["error_data"].as_str().unwrap_or_default(),
                        e["error_message"].as_str().unwrap_or_default(),
                        e["error_type"].as_str().unwrap_or_default()
                    );
                }
            }
            out!("nothing was added");
            Ok(1)
        }
        CtlAction::Inventory(InventoryAction::Show) => {
            let (_, body) = call("GET", "/inventory")?;
            out!("{body}");
            Ok(0)
        }
        CtlAction::Ece(EceAction::SetPassword { user, password }) => {
            let (status, body) = call(
                "POST",
                &format!(
                    "/ece/users/{}/password?value={}",
                    enc(&user),
                    enc(&password)
                ),
            )?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if status != 200 {
                return Err(Failure::new(&user, v["error"].as_str().unwrap_or(&body)));
            }
            out!("password of ECE user {user} changed");
            Ok(0)
        }
        CtlAction::Ece(EceAction::CreateDepartment { name }) => {
            let (_, body) = call("POST", &format!("/ece/departments?name={}", enc(&name)))?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            out!("{}", v["message"].as_str().unwrap_or(&body));
            Ok(if v["ok"].as_bool() == Some(true) {
                0
            } else {
                1
            })
        }
        CtlAction::Ece(EceAction::PartitionAdmin {
            ldap_url,
            dn_attribute,
            base,
            search_dn,
            password,
            enable_ssl,
            keystore_location,
        }) => {
            let mut q = Vec::new();
            for (k, v) in [
                ("ldap_url", ldap_url),
                ("dn_attribute", dn_attribute),
                ("base", base),
                ("search_dn", search_dn),
                ("password", password),
                ("keystore_location", keystore_location),
                (
                    "enable_ssl",
                    enable_ssl.map(|b| if b { "1" } else { "0" }.to_string()),
                ),
            ] {
                if let Some(v) = v {
                    q.push(format!("{k}={}", enc(&v)));
                }
            }
            let (status, body) = if q.is_empty() {
                call("GET", "/ece/partition-admin")?
            } else {
                call("POST", &format!("/ece/partition-admin?{}", q.join("&")))?
            };
            if status != 200 {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                return Err(Failure::new("ece", v["error"].as_str().unwrap_or(&body)));
            }
            out!("{body}");
            Ok(0)
        }
        CtlAction::Ece(EceAction::TraceLevel {
            level,
            process,
            minutes,
            host,
        }) => {
            let mut q = format!("?process={}&level={level}", enc(&process));
            if let Some(m) = minutes {
                q.push_str(&format!("&minutes={m}"));
            }
            if let Some(h) = &host {
                q.push_str(&format!("&host={}", enc(h)));
            }
            let (status, body) = call("POST", &format!("/ece/trace-level{q}"))?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if status != 200 {
                return Err(Failure::new(&process, v["error"].as_str().unwrap_or(&body)));
            }
            match &host {
                Some(h) => out!("{process} on {h}: maximum trace level {level}"),
                None => out!("{process}: maximum trace level {level}"),
            }
            Ok(0)
        }
        CtlAction::Ece(EceAction::Admins) => {
            let (_, body) = call("GET", "/ece/admins")?;
            out!("{body}");
            Ok(0)
        }
        CtlAction::Ad(AdAction::Policy {
            require_signing,
            allow_anonymous,
        }) => {
            let mut q = Vec::new();
            if let Some(b) = require_signing {
                q.push(format!("require_signing={}", u8::from(b)));
            }
            if let Some(b) = allow_anonymous {
                q.push(format!("allow_anonymous={}", u8::from(b)));
            }
            let (status, body) = call("POST", &format!("/ad/policy?{}", q.join("&")))?;
            if status != 200 {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                return Err(Failure::new("dc", v["error"].as_str().unwrap_or(&body)));
            }
            out!("{body}");
            Ok(0)
        }
        CtlAction::Ad(AdAction::Fault { user, fault }) => {
            let (status, body) = call(
                "POST",
                &format!("/ad/users/{}/fault?fault={}", enc(&user), enc(&fault)),
            )?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if status != 200 {
                return Err(Failure::new(&user, v["error"].as_str().unwrap_or(&body)));
            }
            out!("{user}: binds now fail with data {fault}");
            Ok(0)
        }
        CtlAction::Ad(AdAction::Events) => {
            let (status, body) = call("GET", "/ad/events")?;
            if status != 200 {
                return Err(Failure::new("dc", body));
            }
            out!("{body}");
            Ok(0)
        }
        CtlAction::Clock(ClockAction::Advance { by }) => {
            let (status, body) = call("POST", &format!("/clock/advance?by={}", enc(&by)))?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if status != 200 {
                return Err(Failure::new("clock", v["error"].as_str().unwrap_or(&body)));
            }
            out!("topology clock: {}", v["now"].as_str().unwrap_or_default());
            Ok(0)
        }
        CtlAction::Ece(EceAction::Departments) => {
            let (_, body) = call("GET", "/ece/departments")?;
            out!("{body}");
            Ok(0)
        }
        CtlAction::Spog(SpogAction::OpenGadget { ads, user }) => {
            let mut q = format!("?ads={}", enc(&ads));
            if let Some(u) = &user {
                q.push_str(&format!("&user={}", enc(u)));
            }
            let (status, body) = call("POST", &format!("/spog/open-gadget{q}"))?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if status != 200 {
                return Err(Failure::new(&ads, v["error"].as_str().unwrap_or(&body)));
            }
            out!("{}", v["message"].as_str().unwrap_or_default());
            for line in v["console"].as_array().into_iter().flatten() {
                out!("browser console: {}", line.as_str().unwrap_or_default());
            }
            if let Some(f) = v["log_file"].as_str() {
                out!("see {f}");
            }
            Ok(if v["ok"].as_bool() == Some(true) {
                0
            } else {
                1
            })
        }
    }
}

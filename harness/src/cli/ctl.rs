//! `ccelab ctl`: the management interface of a running topology, through
//! its control API (the URL is in `DIR/topology.json`). Each subcommand that
//! changes something is an [`Action`] (the one a scenario step names the
//! same way) sent to `POST /actions`; it prints what the user sees, and the
//! log to look at. Exit 1 when the action fails for the user (e.g. the
//! gadget does not open), 2 when it cannot be done (no such host).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::{read, Failure};
use crate::actions::{Action, PartitionAdminFields};
use crate::control::request;

#[derive(Args, Debug)]
pub struct CtlArgs {
    /// The topology directory (`ccelab up --dir`).
    #[arg(long, default_value = "ccelab-lab")]
    dir: PathBuf,
    /// Print an action's whole outcome as the control API answers it (JSON:
    /// `ok`, `shows`, `logged`, `log_file`, `data`).
    #[arg(long)]
    json: bool,
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
        #[arg(long, default_value_t = ccelab_emulators::cce_admin::AWDB_PORT)]
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
    PartitionAdmin(PartitionAdminFields),
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
    let call = |method: &str, path: &str, body: &str| {
        request(&control, method, path, body)
            .map_err(|e| Failure::new(&control, format!("{e} (is `ccelab up` running?)")))
    };
    // the views: printed as the control API answers them (JSON)
    let view = |path: &str| -> Result<i32, Failure> {
        let (status, body) = call("GET", path, "")?;
        if status != 200 {
            return Err(Failure::new(path, error_of(&body)));
        }
        out!("{body}");
        Ok(0)
    };
    let action = match a.action {
        CtlAction::Status => return view("/status"),
        CtlAction::Events { follow: false } => return view("/events"),
        CtlAction::Events { follow: true } => {
            let mut next = 0u64;
            loop {
                let (_, body) = call("GET", &format!("/events?since={next}"), "")?;
                let events: Vec<serde_json::Value> =
                    serde_json::from_str(&body).map_err(|e| Failure::new(&control, e))?;
                for e in events {
                    next = e["seq"].as_u64().map_or(next, |s| s + 1);
                    out!("{e}");
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
        CtlAction::EceUsers => return view("/ece/users"),
        CtlAction::Inventory(InventoryAction::Show) => return view("/inventory"),
        CtlAction::Inventory(InventoryAction::List) => return view("/inventory/machines"),
        CtlAction::Ece(EceAction::Departments) => return view("/ece/departments"),
        CtlAction::Ece(EceAction::Admins) => return view("/ece/admins"),
        CtlAction::Ad(AdAction::Events) => return view("/ad/events"),
        CtlAction::Ece(EceAction::PartitionAdmin(f)) if f == PartitionAdminFields::default() => {
            return view("/ece/partition-admin")
        }
        // the actions
        CtlAction::Restart { host } => Action::Restart { host },
        CtlAction::Stop { host, service } => Action::Stop { host, service },
        CtlAction::Start { host, service } => Action::Start { host, service },
        CtlAction::Binding(BindingAction::Set {
            host,
            host_name,
            require_sni,
        }) => Action::Binding {
            host: Some(host),
            host_name: Some(host_name),
            require_sni: Some(require_sni),
        },
        CtlAction::Cert(CertAction::Replace { host, self_signed }) => Action::CertReplace {
            host: Some(host),
            self_signed: Some(self_signed),
        },
        CtlAction::Integration(IntegrationAction::Awdb {
            server,
            port,
            database,
            login,
            password,
        }) => Action::Awdb {
            server,
            port: Some(port),
            database,
            login,
            password,
        },
        CtlAction::Integration(IntegrationAction::Save {
            app_instance,
            agent_pgs,
        }) => Action::IntegrationSave {
            app_instance,
            agent_pgs,
        },
        CtlAction::Agent(AgentAction::Enable { agent, screen_name }) => {
            Action::AgentEnable { agent, screen_name }
        }
        CtlAction::Inventory(InventoryAction::SetWebServer {
            name,
            user,
            password,
        }) => Action::InventoryWebServer {
            name,
            user,
            password,
        },
        CtlAction::Inventory(InventoryAction::Add {
            machine_type,
            address,
            name,
            user,
            password,
            app_instance,
        }) => Action::InventoryAdd {
            machine_type,
            address,
            name,
            user,
            password,
            app_instance,
        },
        CtlAction::Inventory(InventoryAction::Delete { id }) => Action::InventoryDelete { id },
        CtlAction::Inventory(InventoryAction::Upload { file }) => Action::InventoryUpload {
            csv: String::from_utf8(read(&file)?)
                .map_err(|_| Failure::file(&file, "not UTF-8 text"))?,
            file: Some(file.display().to_string()),
        },
        CtlAction::Ece(EceAction::SetPassword { user, password }) => {
            Action::EcePassword { user, password }
        }
        CtlAction::Ece(EceAction::CreateDepartment { name }) => Action::CreateDepartment { name },
        CtlAction::Ece(EceAction::PartitionAdmin(f)) => Action::PartitionAdmin(f),
        CtlAction::Ece(EceAction::TraceLevel {
            level,
            process,
            minutes,
            host,
        }) => Action::TraceLevel {
            level,
            service: Some(process),
            minutes,
            host,
        },
        CtlAction::Ad(AdAction::Policy {
            require_signing,
            allow_anonymous,
        }) => Action::AdPolicy {
            require_signing,
            allow_anonymous,
        },
        CtlAction::Ad(AdAction::Fault { user, fault }) => Action::AdFault { user, fault },
        CtlAction::Clock(ClockAction::Advance { by }) => Action::ClockAdvance { by },
        CtlAction::Spog(SpogAction::OpenGadget { ads, user }) => Action::OpenGadget {
            ads: Some(ads),
            user,
        },
    };
    let body = serde_json::to_string(&action).map_err(|e| Failure::new(action.name(), e))?;
    let (status, answer) = call("POST", "/actions", &body)?;
    if status != 200 {
        return Err(Failure::new(action.name(), error_of(&answer)));
    }
    let o: serde_json::Value =
        serde_json::from_str(&answer).map_err(|e| Failure::new(&control, e))?;
    if a.json {
        out!("{answer}");
    } else {
        for line in o["shows"].as_str().unwrap_or_default().lines() {
            out!("{line}");
        }
        if let Some(f) = o["log_file"].as_str() {
            out!("see {f}");
        }
    }
    Ok(if o["ok"].as_bool() == Some(true) {
        0
    } else {
        1
    })
}

/// The `error` of a control-API answer (else the answer itself).
fn error_of(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| body.to_string())
}

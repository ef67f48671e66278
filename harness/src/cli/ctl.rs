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

/// The options of `ccelab ctl`: the topology, the output, the subcommand.
#[derive(Args, Debug)]
pub(crate) struct CtlArgs {
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

/// The subcommands of `ccelab ctl`.
#[derive(Subcommand, Debug)]
pub(crate) enum CtlAction {
    /// Hosts and services with their states and ports (JSON).
    Status,
    /// Every TLS connection the emulated servers saw so far (JSON array); with
    /// --follow, one JSON object per line as they happen, until Ctrl-C.
    Events {
        /// Keep printing new events, one JSON object per line, until Ctrl-C.
        #[arg(long)]
        follow: bool,
    },
    /// Restart a host's services; they reload configuration and trust from the disk.
    Restart {
        /// The host's name in the topology (e.g. ads-a, ece, ece-app).
        host: String,
    },
    /// Stop a Windows service ("Cisco Service" on ece-app, "Apache Tomcat" or
    /// "MSSQLSERVER" on an ADS, callserver, reportingserver or
    /// WebServicesManager on a CVP host).
    Stop {
        /// The host's name in the topology (e.g. ads-a, ece-app).
        host: String,
        /// The service's name (quote it: "Cisco Service", "Apache Tomcat"; or MSSQLSERVER).
        service: String,
    },
    /// Start a Windows service.
    Start {
        /// The host's name in the topology (e.g. ads-a, ece-app).
        host: String,
        /// The service's name (quote it: "Cisco Service", "Apache Tomcat"; or MSSQLSERVER).
        service: String,
    },
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
    /// Finesse as an agent uses it: the desktop with its Live Data gadget.
    #[command(subcommand)]
    Finesse(FinesseAction),
    /// CVP: CCE Administration configuring a server, and the tools on a CVP host.
    #[command(subcommand)]
    Cvp(CvpAction),
    /// The load balancer in front of the ECE web servers, and a user going through it.
    #[command(subcommand)]
    Lb(LbAction),
}

/// `ccelab ctl lb`: the load balancer ([ECE] HA; F22, F23).
#[derive(Subcommand, Debug)]
pub(crate) enum LbAction {
    /// An administrator logs in to ECE through ECE's name (the VIP) and
    /// loads a page that needs the session several times; prints which web
    /// server each request reached and whether the session held (F23).
    /// Exit 1 when it did not.
    Browse {
        /// tls13 (a current browser) or tls12 (resumes by session ID).
        #[arg(long, default_value = "tls13")]
        client: String,
        /// default (pa) or system (sa).
        #[arg(long, default_value = "default")]
        partition: String,
        /// Page loads after the login (1–50).
        #[arg(long, default_value_t = 4)]
        requests: u32,
        /// Keep one connection alive for everything (default: a new one per request).
        #[arg(long)]
        keep_alive: bool,
        /// Use this host's name instead of ECE's (a web server, to bypass the load balancer).
        #[arg(long)]
        via: Option<String>,
    },
    /// Write haproxy.cfg for another mode and reload HAProxy.
    Mode {
        /// passthrough, offload or none.
        mode: String,
        /// Offload without the SERVERID cookie insert (F23).
        #[arg(long)]
        no_cookie: bool,
        /// Passthrough without the session-ID stick table (F23).
        #[arg(long)]
        no_stick: bool,
    },
    /// The runtime API's `set server ece_web/NAME state maint|ready`.
    Server {
        /// The server (eceweb2) or its host (ece-web-2).
        server: String,
        /// maint or ready.
        state: String,
    },
    /// Export the certificate of one web server as a PFX and import and
    /// bind it on another; IIS restarts there ([ECE] 1; F22 with --without-key).
    PfxCopy {
        /// The web server exporting (ece-web-1).
        from: String,
        /// The web server importing (ece-web-2).
        to: String,
        /// Export without the private key (it was not marked exportable: F22).
        #[arg(long)]
        without_key: bool,
    },
}

/// `ccelab ctl cvp`: [SEC]'s CVP procedures and F19.
#[derive(Subcommand, Debug)]
pub(crate) enum CvpAction {
    /// CCE Administration configures a CVP server over its ORM REST
    /// (https://FQDN:8111/cvp-orm/rest/…) with the administrator's
    /// credentials; the server checks them with the principal AW over HTTPS
    /// with its .keystore (F19 without AW_cert). Exit 1 when it fails.
    Orm {
        /// The CVP server (cvp-a, cvp-rpt).
        #[arg(long, default_value = "cvp-a")]
        host: String,
        /// The ADS whose CCE Administration makes the call.
        #[arg(long, default_value = "ads-a")]
        ads: String,
    },
    /// Run %CVP_HOME%\bin\DecryptKeystoreUtil.bat on a CVP host: prints the
    /// .keystore password (12.6(2) profile; on 12.5 the tool does not exist).
    DecryptKeystore {
        /// The CVP host (cvp-a, cvp-rpt, cvp-oamp).
        host: String,
    },
    /// Run %CVP_HOME%\bin\ServiceController\service-controller.bat: it prompts
    /// for CALLSERVER-IP-ADDRESS, CALLSERVER-USERNAME, CALLSERVER-PASSWORD,
    /// SERVICE-NAME (callserver or reportingserver) and, for reportingserver,
    /// REPORTINGSERVER-IP-ADDRESS, one answer per line on stdin (a script can
    /// pipe them). A wrong or missing answer is an error, never a wait.
    ServiceController,
}

/// `ccelab ctl finesse`: an agent's desktop and browser ([SEC] Live Data; F18).
#[derive(Subcommand, Debug)]
pub(crate) enum FinesseAction {
    /// An agent signs in to a Finesse desktop; prints what the desktop and
    /// the browser console show (the Live Data gadget: Finesse fetches it
    /// from CUIC with its tomcat-trust, the browser calls Live Data).
    Desktop {
        /// The Finesse node.
        #[arg(long, default_value = "finesse-a")]
        host: String,
        /// The agent's login name.
        #[arg(long, default_value = "agent1")]
        agent: String,
        /// Its password (default: the topology's, see topology.json).
        #[arg(long)]
        password: Option<String>,
    },
    /// The agent opens https://HOST:PORT/ in the browser and accepts the
    /// certificate warning (self-signed Live Data: 12005 and 12008 on a CUIC node).
    AcceptCertificate {
        /// The host (e.g. cuic-a).
        host: String,
        /// The port (e.g. 12005).
        port: u16,
        /// The agent whose browser it is.
        #[arg(long, default_value = "agent1")]
        agent: String,
    },
}

/// `ccelab ctl binding`: the ECE web server's IIS https binding.
#[derive(Subcommand, Debug)]
pub(crate) enum BindingAction {
    /// Set the binding's host name (empty: blank) and "Require Server Name Indication"
    /// ([ECE] 1.2 wants both unset; F6).
    Set {
        /// The ECE web server's host name in the topology (e.g. ece).
        host: String,
        /// The binding's host name.
        #[arg(long, default_value = "")]
        host_name: String,
        /// Tick "Require Server Name Indication" (left out: unticked).
        #[arg(long)]
        require_sni: bool,
    },
}

/// `ccelab ctl cert`: certificates of a host.
#[derive(Subcommand, Debug)]
pub(crate) enum CertAction {
    /// Replace the ECE web server's certificate in IIS (CA-issued, or --self-signed);
    /// the ADSs keep their cacerts (F7).
    Replace {
        /// The ECE web server's host name in the topology (e.g. ece).
        host: String,
        /// A self-signed certificate instead of one issued by the issuing CA.
        #[arg(long)]
        self_signed: bool,
    },
}

/// `ccelab ctl integration`: Email and Chat > Integration (Unified CCE) in CCE Administration.
#[derive(Subcommand, Debug)]
pub(crate) enum IntegrationAction {
    /// AWDB Details tab > Save (before the Configuration tab).
    Awdb {
        /// The AW database server (an ADS).
        #[arg(long)]
        server: String,
        /// The AW database server's SQL Server port.
        #[arg(long, default_value_t = ccelab_emulators::cce_admin::AWDB_PORT)]
        port: u16,
        /// The AW database's name.
        #[arg(long)]
        database: String,
        /// The SQL Server login.
        #[arg(long)]
        login: String,
        /// The login's password.
        #[arg(long)]
        password: String,
    },
    /// Configuration tab > Save: the application instance and Agent PG(s). Permanent (F21).
    Save {
        /// The application instance (case-sensitive; never a UQ… instance: F11).
        #[arg(long)]
        app_instance: String,
        /// An Agent PG to integrate (repeatable; at least one).
        #[arg(long = "agent-pg", value_name = "PG", required = true)]
        agent_pgs: Vec<String>,
    },
}

/// `ccelab ctl agent`: Users > Agents in CCE Administration.
#[derive(Subcommand, Debug)]
pub(crate) enum AgentAction {
    /// Tick "Support Email & Chat", fill the Screen Name, Save.
    Enable {
        /// The agent (e.g. agent1).
        agent: String,
        /// The agent's Screen Name in Email & Chat.
        #[arg(long)]
        screen_name: String,
    },
}

/// `ccelab ctl inventory`: the inventory of CCE Administration.
#[derive(Subcommand, Debug)]
pub(crate) enum InventoryAction {
    /// Set the ECE web server ([ECE] 4.3): its name, which must be the certificate's
    /// FQDN (F10), and the ECE credentials, which must be pa's (F12).
    SetWebServer {
        /// The web server's name as entered (e.g. ece.example.com).
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
    /// CCE Administration checks the Finesse nodes of the inventory over HTTPS
    /// with its cacerts ([SEC]; F17): a line per machine.
    Status {
        /// The ADS whose CCE Administration checks.
        #[arg(long, default_value = "ads-a")]
        ads: String,
        /// Only the machine with this address (repeatable; default: every one).
        #[arg(long = "machine", value_name = "ADDRESS")]
        machines: Vec<String>,
    },
    /// Add a machine, checked as CCE Administration's machineinventory API checks
    /// ([ECE] 4.2: the ECE data server, EXTERNAL_ECE; 4.3: the web server,
    /// ECE_WEB_SERVER, by FQDN with pa's credentials and the application instance).
    Add {
        /// The machine type: EXTERNAL_ECE (the ECE data server) or ECE_WEB_SERVER.
        #[arg(long = "type", value_name = "TYPE")]
        machine_type: String,
        /// The machine's address (for the web server, the certificate's FQDN: F10).
        #[arg(long)]
        address: String,
        /// The machine's name (default: the address).
        #[arg(long)]
        name: Option<String>,
        /// The ECE user (a web server: pa; F12).
        #[arg(long)]
        user: Option<String>,
        /// The ECE user's password.
        #[arg(long)]
        password: Option<String>,
        /// The application instance (a web server; case-sensitive, never UQ…: F11).
        #[arg(long)]
        app_instance: Option<String>,
    },
    /// Delete a machine by its id.
    Delete {
        /// The machine's id (as `inventory list` shows it).
        id: u64,
    },
    /// Upload a machine CSV (4000/12000 agents; header
    /// name,machineType,publicAddress,connectionInfo,privateAddress,peripheralSetName,side).
    Upload {
        /// The CSV file (UTF-8).
        file: PathBuf,
    },
}

/// `ccelab ctl ece`: ECE's own administration.
#[derive(Subcommand, Debug)]
pub(crate) enum EceAction {
    /// Change an ECE user's password in ECE (`pa` or `sa`); the inventory keeps
    /// the old one until it is edited (F12).
    SetPassword {
        /// The ECE user: pa or sa.
        user: String,
        /// The new password.
        #[arg(long)]
        password: String,
    },
    /// Administration > Departments > New (`Service` is reserved).
    CreateDepartment {
        /// The department's name.
        name: String,
    },
    /// ECE's departments (JSON).
    Departments,
    /// Partition Administration Configuration ([ECE] 2.2): shown (JSON), or
    /// the given fields changed and saved.
    PartitionAdmin(PartitionAdminFields),
    /// Logger > Processes > Maximum trace level (2 Error … 7 Debug, 8 Trace; 7 and 8 need --minutes).
    TraceLevel {
        /// The level: 1 Fatal, 2 Error, 3 Warn, 4 Info, 5 Perf, 6 DB query, 7 Debug, 8 Trace.
        level: u8,
        /// The process (ccelab emulates ApplicationServer).
        #[arg(long, default_value = "ApplicationServer")]
        process: String,
        /// How many minutes level 7 or 8 lasts before the level from before it comes back.
        #[arg(long)]
        minutes: Option<u32>,
        /// Only on this application server (default: every one).
        #[arg(long)]
        host: Option<String>,
    },
    /// Partition administrators ECE created through SSO (JSON).
    Admins,
}

/// `ccelab ctl ad`: the AD domain controller / global catalog.
#[derive(Subcommand, Debug)]
pub(crate) enum AdAction {
    /// LDAP signing requirement (KB4520412; F15) and anonymous access (F16).
    Policy {
        /// Require LDAP signing: simple binds without TLS fail (default: unchanged).
        #[arg(long)]
        require_signing: Option<bool>,
        /// Allow anonymous searches (default: unchanged).
        #[arg(long)]
        allow_anonymous: Option<bool>,
    },
    /// Make an account's binds fail with AD's `data` code (525, 52e, 530, 531,
    /// 532, 533, 701, 773, 775), or `none`.
    Fault {
        /// The account, as a bind names it: a DN, a userPrincipalName or DOMAIN\sAMAccountName.
        user: String,
        /// The `data` code (525, 52e, 530, 531, 532, 533, 701, 773, 775), or none.
        fault: String,
    },
    /// What the DC saw: each LDAP operation with its client address, port,
    /// result code and message (JSON array).
    Events,
}

/// `ccelab ctl clock`: the topology clock.
#[derive(Subcommand, Debug)]
pub(crate) enum ClockAction {
    /// Move the clock forward, e.g. `31m`, `2d`.
    Advance {
        /// How far: a number and a unit (s, m, h, d, w, y = 365 days).
        by: String,
    },
}

/// `ccelab ctl spog`: SPOG (CCE Administration) user actions.
#[derive(Subcommand, Debug)]
pub(crate) enum SpogAction {
    /// Open the ECE gadget ("Email and Chat" card) in CCE Administration on an ADS;
    /// prints what the user sees.
    OpenGadget {
        /// The ADS whose CCE Administration opens the gadget.
        #[arg(long, default_value = "ads-a")]
        ads: String,
        /// The SPOG administrator (default: the topology's, administrator@example.local).
        #[arg(long)]
        user: Option<String>,
        /// Also open it in a real headless Chromium (Debian's `chromium`, with
        /// `certutil` from libnss3-tools), signed in as the topology's
        /// administrator with the lab's root CA trusted, and save what it shows
        /// as a PNG here; prints what Chromium showed and logged.
        #[arg(long, value_name = "FILE.png")]
        screenshot: Option<std::path::PathBuf>,
    },
}

/// Runs a `ccelab ctl` subcommand against the control API named in
/// `DIR/topology.json`; Ok(0), or Ok(1) when the action failed for the user.
pub(crate) fn run(a: CtlArgs) -> Result<i32, Failure> {
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
    // an event log, page by page, printed as one JSON array
    let events = |path: &str| -> Result<i32, Failure> {
        let mut next = 0u64;
        let mut first = true;
        let mut text = String::from("[");
        loop {
            let page = format!("{path}?since={next}");
            let (status, body) = call("GET", &page, "")?;
            if status != 200 {
                return Err(Failure::new(path, error_of(&body)));
            }
            let events: Vec<serde_json::Value> =
                serde_json::from_str(&body).map_err(|e| Failure::new(&control, e))?;
            for e in &events {
                next = e["seq"].as_u64().map_or(next, |s| s + 1);
                if !first {
                    text.push(',');
                }
                first = false;
                text.push_str(&e.to_string());
            }
            if events.len() < crate::control::DEFAULT_PAGE {
                break;
            }
            // print what is read so far: the whole log is never held at once
            {
                use std::io::Write as _;
                let _ = write!(std::io::stdout(), "{text}");
            }
            text.clear();
        }
        out!("{text}]");
        Ok(0)
    };
    // `spog open-gadget --screenshot`: the ADS and the file
    let mut shot: Option<(String, std::path::PathBuf)> = None;
    let action = match a.action {
        CtlAction::Status => return view("/status"),
        CtlAction::Events { follow: false } => return events("/events"),
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
        CtlAction::Ad(AdAction::Events) => return events("/ad/events"),
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
        CtlAction::Spog(SpogAction::OpenGadget {
            ads,
            user,
            screenshot,
        }) => {
            if let Some(file) = screenshot {
                if user.is_some() {
                    return Err(Failure::new(
                        "--screenshot",
                        "Chromium signs in as the topology's administrator: --user cannot be given with it",
                    ));
                }
                shot = Some((ads.clone(), file));
            }
            Action::OpenGadget {
                ads: Some(ads),
                user,
            }
        }
        CtlAction::Inventory(InventoryAction::Status { ads, machines }) => {
            Action::InventoryStatus {
                ads: Some(ads),
                machines,
            }
        }
        CtlAction::Finesse(FinesseAction::Desktop {
            host,
            agent,
            password,
        }) => Action::FinesseDesktop {
            host: Some(host),
            agent: Some(agent),
            password,
        },
        CtlAction::Finesse(FinesseAction::AcceptCertificate { host, port, agent }) => {
            Action::AcceptCertificate {
                agent: Some(agent),
                host,
                port,
            }
        }
        CtlAction::Cvp(CvpAction::Orm { host, ads }) => Action::CvpOrm {
            ads: Some(ads),
            host,
        },
        CtlAction::Cvp(CvpAction::DecryptKeystore { host }) => Action::DecryptKeystore { host },
        CtlAction::Lb(LbAction::Browse {
            client,
            partition,
            requests,
            keep_alive,
            via,
        }) => Action::EceBrowse {
            client: Some(client),
            partition: Some(partition),
            requests: Some(requests),
            keep_alive: Some(keep_alive),
            via,
        },
        CtlAction::Lb(LbAction::Mode {
            mode,
            no_cookie,
            no_stick,
        }) => Action::LbMode {
            mode,
            cookie: Some(!no_cookie),
            stick: Some(!no_stick),
        },
        CtlAction::Lb(LbAction::Server { server, state }) => Action::LbServer { server, state },
        CtlAction::Lb(LbAction::PfxCopy {
            from,
            to,
            without_key,
        }) => Action::PfxCopy {
            from,
            to,
            private_key: !without_key,
        },
        CtlAction::Cvp(CvpAction::ServiceController) => match service_controller_prompts(a.json)? {
            Ok(a) => a,
            Err(code) => return Ok(code),
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
    } else if o["stdout"].as_str().is_some_and(|t| !t.is_empty())
        || o["stderr"].as_str().is_some_and(|t| !t.is_empty())
    {
        // a program run on a host: its own output, as it prints it
        use std::io::Write as _;
        let _ = std::io::stdout().write_all(o["stdout"].as_str().unwrap_or_default().as_bytes());
        let _ = std::io::stderr().write_all(o["stderr"].as_str().unwrap_or_default().as_bytes());
    } else {
        for line in o["shows"].as_str().unwrap_or_default().lines() {
            out!("{line}");
        }
        if let Some(f) = o["log_file"].as_str() {
            out!("see {f}");
        }
    }
    if let Some((ads, file)) = shot {
        let seen = screenshot(&doc, &tj, &ads, &file)?;
        out!("Chromium shows: {}", seen.shows);
        for c in &seen.console {
            out!("Chromium console: {c}");
        }
        out!("screenshot: {}", file.display());
    }
    Ok(if o["ok"].as_bool() == Some(true) {
        0
    } else {
        1
    })
}

/// `service-controller.bat`'s dialogue on the terminal: each prompt, one
/// answer per line from stdin. Ok(Err(code)): the dialogue ended with an
/// error (printed), exit `code`.
fn service_controller_prompts(json: bool) -> Result<Result<Action, i32>, Failure> {
    use crate::actions::cvp::CONTROLLER_PROMPTS as P;
    use std::io::{BufRead as _, IsTerminal as _, Read as _, Write as _};
    /// The longest answer taken (bytes).
    const MAX_ANSWER: u64 = 4096;
    let stdin = std::io::stdin();
    let typed = stdin.is_terminal();
    let mut lock = stdin.lock();
    let mut first = true;
    let mut ask = |prompt: &str| -> Result<Option<String>, Failure> {
        // the prompts go where the program prints them (stdout), or to
        // stderr when stdout is for --json
        let mut o: Box<dyn std::io::Write> = if json {
            Box::new(std::io::stderr())
        } else {
            Box::new(std::io::stdout())
        };
        let _ = write!(o, "{prompt}");
        let _ = o.flush();
        let mut buf = Vec::new();
        (&mut lock)
            .take(MAX_ANSWER + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| Failure::new("stdin", e))?;
        if !typed {
            // a piped answer is not echoed: end the prompt's line
            let _ = writeln!(o);
        }
        if buf.is_empty() {
            eprintln!("service-controller: no answer to {prompt} (end of input)");
            return Ok(None);
        }
        if buf.len() as u64 > MAX_ANSWER && !buf.ends_with(b"\n") {
            eprintln!(
                "service-controller: the answer to {prompt} is longer than {MAX_ANSWER} bytes"
            );
            return Ok(None);
        }
        let mut text = String::from_utf8_lossy(&buf).into_owned();
        if first {
            // a BOM at the start of a piped file
            text = text.trim_start_matches('\u{feff}').to_string();
            first = false;
        }
        Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()))
    };
    let mut answers = Vec::new();
    for prompt in &P[..4] {
        match ask(prompt)? {
            Some(a) => answers.push(a),
            None => return Ok(Err(2)),
        }
        if *prompt == "SERVICE-NAME:" {
            let s = answers[3].trim();
            if s != "callserver" && s != "reportingserver" {
                eprintln!("Invalid SERVICE-NAME '{s}': choose the Service name which you need to shutdown gracefully(callserver/reportingserver)");
                return Ok(Err(1));
            }
        }
    }
    let reportingserver = if answers[3].trim() == "reportingserver" {
        match ask(P[4])? {
            Some(a) => Some(a),
            None => return Ok(Err(2)),
        }
    } else {
        None
    };
    Ok(Ok(Action::ServiceController {
        callserver: answers[0].clone(),
        username: answers[1].clone(),
        password: answers[2].clone(),
        service: answers[3].clone(),
        reportingserver,
    }))
}

/// The `error` of a control-API answer (else the answer itself).
fn error_of(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| body.to_string())
}

/// `spog open-gadget --screenshot FILE`: the Email and Chat page of `ads`
/// in a real headless Chromium, with the lab's names, ports, root CA and
/// CCE administrator from `topology.json` (`doc`, read from `tj`).
fn screenshot(
    doc: &serde_json::Value,
    tj: &std::path::Path,
    ads: &str,
    file: &std::path::Path,
) -> Result<crate::chromium::Seen, Failure> {
    use crate::chromium::{Chromium, Mapped};
    let hosts: Vec<Mapped> = doc["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| {
            let ports: Vec<(u16, u16)> = h["services"]
                .as_array()?
                .iter()
                .filter_map(|s| {
                    let port = u16::try_from(s["port"].as_u64()?).ok()?;
                    let bound = u16::try_from(s["bound_port"].as_u64()?).ok()?;
                    Some((port, bound))
                })
                .collect();
            Some(Mapped {
                fqdn: h["fqdn"].as_str()?.to_string(),
                address: h["address"].as_str()?.parse().ok()?,
                ports,
            })
        })
        .collect();
    let fqdn = doc["hosts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|h| h["name"].as_str() == Some(ads))
        .and_then(|h| h["fqdn"].as_str())
        .ok_or_else(|| Failure::file(tj, format!("no host `{ads}`")))?
        .to_string();
    let root_file = doc["ca_certs"][0]
        .as_str()
        .ok_or_else(|| Failure::file(tj, "no `ca_certs`"))?;
    let root = std::fs::read_to_string(root_file)
        .map_err(|e| Failure::file(std::path::Path::new(root_file), e))?;
    let admin = doc["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| {
            a["host"].as_str() == Some(ads)
                && a["purpose"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("CCE Administration administrator"))
        })
        .ok_or_else(|| {
            Failure::file(tj, format!("no CCE Administration administrator on {ads}"))
        })?;
    let (user, password) = (
        admin["user"].as_str().unwrap_or_default().to_string(),
        admin["password"].as_str().unwrap_or_default().to_string(),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::new("tokio", e))?;
    let seen = rt.block_on(async {
        let browser = Chromium::launch(&hosts, &root).await?;
        browser
            .open_email_and_chat(&fqdn, &user, &password, Some(file))
            .await
    });
    seen.map_err(|e| Failure::new("--screenshot", e))
}

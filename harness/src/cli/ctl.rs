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
    /// Every TLS connection the emulated servers saw so far (JSON).
    Events,
    /// Restart a host's services; they reload configuration and trust from the disk.
    Restart { host: String },
    /// Stop a Windows service ("Cisco Service" on ece, "Apache Tomcat" on an ADS).
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
    /// Set the ECE web server's name ([ECE] 4.3: it must be the certificate's FQDN; F10).
    SetWebServer { name: String },
}

#[derive(Subcommand, Debug)]
pub enum SpogAction {
    /// Open the ECE gadget ("Email and Chat" card) in CCE Administration on an ADS;
    /// prints what the user sees.
    OpenGadget {
        #[arg(long, default_value = "ads-a")]
        ads: String,
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
        CtlAction::Events => {
            let (_, body) = call("GET", "/events")?;
            out!("{body}");
            Ok(0)
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
        CtlAction::Inventory(InventoryAction::SetWebServer { name }) => {
            let (status, body) = call(
                "POST",
                &format!("/inventory/web-server?name={}", enc(&name)),
            )?;
            if status != 200 {
                return Err(Failure::new(&name, body));
            }
            out!("web server in the inventory: {name}");
            Ok(0)
        }
        CtlAction::Spog(SpogAction::OpenGadget { ads }) => {
            let (status, body) = call("POST", &format!("/spog/open-gadget?ads={}", enc(&ads)))?;
            let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            if status != 200 {
                return Err(Failure::new(&ads, v["error"].as_str().unwrap_or(&body)));
            }
            out!("{}", v["message"].as_str().unwrap_or_default());
            Ok(if v["ok"].as_bool() == Some(true) {
                0
            } else {
                1
            })
        }
    }
}

//! ECE's side of the Unified CCE integration ([ECE] 5–6), as an
//! application server does it: the AWDB Details tab (ECE logs in to the
//! AWDB on an ADS over TDS with Microsoft's JDBC driver, so failures read as
//! the driver and SQL Server word them), the Configuration tab (the
//! application instance checked against the AWDB's; F11, F21), the agents
//! CCE Administration enables for Email & Chat (over HTTPS through the web
//! server, [`AGENTS_PATH`]) and the departments.
//!
//! The tabs are ECE pages inside the ECE gadget; ccelab applies them on an
//! application server whose "Cisco Service" runs (the browser → IIS leg of
//! those pages is not replayed). The confirmations and refusals that are not
//! the JDBC driver's or SQL Server's are ccelab's wording, with [ECE]'s facts.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;
use tokio::net::{TcpSocket, TcpStream};

use crate::network::Unreachable;
use crate::platform::sql_server::{self, Session, SqlError, APP_INSTANCE_QUERY};
use crate::product::Shown;
use crate::tls::HttpResponse;

use super::app::RunningApp;
use super::db::{locked, AwdbDetails, Configuration, EceDb};

/// Where CCE Administration posts an agent enabled for Email & Chat, with
/// `pa`'s credentials from the inventory (ccelab's path: the sources do not
/// say how SPOG hands the agent to ECE). The body is JSON
/// (`{"agent": …, "screen_name": …}`).
pub const AGENTS_PATH: &str = "/default/spog/agents";

/// How long ECE waits for the AWDB (the JDBC driver's login timeout).
const AWDB_TIMEOUT: Duration = Duration::from_secs(15);

/// What the JDBC driver says when the TCP connection to SQL Server fails.
fn tcp_failed(server: &str, port: u16, cause: &str) -> String {
    format!("The TCP/IP connection to the host {server}, port {port} has failed. Error: \"{cause}. Verify the connection properties. Make sure that an instance of SQL Server is running on the host and accepting TCP/IP connections at the port. Make sure that TCP connections to the port are not blocked by a firewall.\".")
}

impl RunningApp {
    /// Logs in to the AWDB of `d` from this server's address.
    async fn awdb_session(&self, d: &AwdbDetails) -> Result<Session<TcpStream>, String> {
        let ctx = self.ctx();
        let failed = |cause: &str| tcp_failed(&d.server, d.port, cause);
        let addr = match ctx.network.endpoint(&d.server, d.port) {
            Ok(a) => a,
            // java.net.UnknownHostException's message is the name
            Err(Unreachable::UnknownHost) => return Err(failed(&d.server)),
            Err(Unreachable::Refused) => return Err(failed("Connection refused: connect")),
        };
        let tcp = connect_from(ctx.address, addr)
            .await
            .map_err(|e| failed(&e))?;
        let host = ctx.fqdn.split('.').next().unwrap_or(&ctx.fqdn).to_string();
        sql_server::login(
            tcp,
            &d.login,
            &d.password,
            &d.database,
            &host,
            "Microsoft JDBC Driver for SQL Server",
            AWDB_TIMEOUT,
        )
        .await
        .map_err(|e| jdbc_text(&e))
    }

    /// Email and Chat > Integration > Unified CCE > AWDB Details tab > Save
    /// ([ECE] 5): ECE logs in to the AWDB with these details; they are kept
    /// only when the login succeeds.
    pub async fn save_awdb(
        &self,
        server: &str,
        port: u16,
        database: &str,
        login: &str,
        password: &str,
    ) -> Shown {
        let d = AwdbDetails {
            server: server.to_string(),
            port,
            database: database.to_string(),
            login: login.to_string(),
            password: password.to_string(),
        };
        if let Err(e) = self.awdb_session(&d).await {
            return Shown::Refused(e);
        }
        *locked(&self.db().awdb) = Some(d);
        Shown::Done(format!("AWDB details saved: {database} on {server}."))
    }

    /// Email and Chat > Integration > Unified CCE > Configuration tab > Save
    /// ([ECE] 5). Saving is permanent (F21): a second Save is refused and says
    /// why. The application instance must be one the AWDB has, spelled
    /// exactly (names are case-sensitive), and never a `UQ…` instance (F11).
    pub async fn save_integration(&self, app_instance: &str, agent_pgs: &[String]) -> Shown {
        let db = self.db();
        let saved_refusal = |c: &Configuration| {
            Shown::Refused(format!(
                "The integration with application instance {} is already saved. Saving is permanent: to change it, uninstall ECE, delete all its databases and install ECE again.",
                c.app_instance
            ))
        };
        if let Some(c) = locked(&db.configuration).as_ref() {
            return saved_refusal(c);
        }
        let Some(awdb) = locked(&db.awdb).clone() else {
            return Shown::Refused("Fill in and save the AWDB Details tab first.".into());
        };
        if app_instance.to_ascii_uppercase().starts_with("UQ") {
            return Shown::Refused(format!("Application instance {app_instance} cannot be used for the ECE integration (UQ instances are not for ECE)."));
        }
        let instances = match self.awdb_session(&awdb).await {
            Ok(mut s) => s
                .query_column(APP_INSTANCE_QUERY)
                .await
                .map_err(|e| jdbc_text(&e)),
            Err(e) => Err(e),
        };
        let instances = match instances {
            Ok(i) => i,
            Err(e) => return Shown::Refused(e),
        };
        if !instances.iter().any(|i| i == app_instance) {
            return Shown::Refused(format!(
                "Application instance {app_instance} does not exist (names are case-sensitive; this deployment has {}).",
                instances.join(", ")
            ));
        }
        if agent_pgs.is_empty() {
            return Shown::Refused("Add at least one Agent PG.".into());
        }
        let mut saved = locked(&db.configuration);
        if let Some(c) = saved.as_ref() {
            return saved_refusal(c);
        }
        *saved = Some(Configuration {
            app_instance: app_instance.to_string(),
            agent_pgs: agent_pgs.to_vec(),
        });
        Shown::Done(format!(
            "Integration saved: application instance {app_instance}, Agent PG(s) {}.",
            agent_pgs.join(", ")
        ))
    }
}

/// A TCP connection to `to` from `from` (the host's own address), or from
/// the system's choice when that address cannot be bound; the error in the
/// words of Java on Windows.
async fn connect_from(from: std::net::Ipv4Addr, to: SocketAddr) -> Result<TcpStream, String> {
    let socket = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    let _ = socket.bind(SocketAddr::from((from, 0)));
    match tokio::time::timeout(AWDB_TIMEOUT, socket.connect(to)).await {
        Err(_) => Err("connect timed out".into()),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            Err("Connection refused: connect".into())
        }
        Ok(Err(e)) => Err(e.to_string()),
        Ok(Ok(s)) => Ok(s),
    }
}

/// How the JDBC driver reports a failed TDS exchange: SQL Server's message,
/// or the driver's own words for a broken connection or stream.
fn jdbc_text(e: &SqlError) -> String {
    match e {
        SqlError::Server { message, .. } => message.clone(),
        SqlError::Io(m) if m.contains("timed out") => "Read timed out".into(),
        SqlError::Io(_) => "Connection reset".into(),
        SqlError::Protocol(_) => "The TDS protocol stream is not valid.".into(),
    }
}

impl EceDb {
    /// ECE > Administration > Departments > New: `Service` is reserved
    /// ([ECE] 6: it holds everything of Packaged CCE's global department, so
    /// its name cannot be taken; ECE compares department names without case).
    pub fn create_department(&self, name: &str) -> Shown {
        let name = name.trim();
        if name.is_empty() {
            return Shown::Refused("Department name is required.".into());
        }
        let mut deps = locked(&self.departments);
        if deps.iter().any(|d| d.eq_ignore_ascii_case(name)) {
            return Shown::Refused(if name.eq_ignore_ascii_case("Service") {
                "Service is a reserved department name: the Service department holds everything of Packaged CCE's global department.".into()
            } else {
                format!("A department named {name} already exists.")
            });
        }
        deps.push(name.to_string());
        Shown::Done(format!("Department {name} created."))
    }
}

/// The body of a [`AGENTS_PATH`] request.
#[derive(Deserialize)]
struct NewAgent {
    agent: String,
    screen_name: String,
}

/// The number of agents ECE keeps (a bound on what callers can make the
/// emulator remember).
pub const MAX_USERS: usize = 12_000;

/// [`AGENTS_PATH`]: an agent CCE Administration enabled for Email & Chat
/// ([ECE] 6) becomes an ECE user of department `Service`. 409 while the
/// integration is not saved (the option does not exist yet), 400 without a
/// screen name.
pub(super) fn enable_agent(db: &EceDb, body: &[u8]) -> HttpResponse {
    let Ok(new) = serde_json::from_slice::<NewAgent>(body) else {
        return HttpResponse::text(400, "Expected {\"agent\": …, \"screen_name\": …}.\n");
    };
    if locked(&db.configuration).is_none() {
        return HttpResponse::text(409, "The Unified CCE integration is not saved.\n");
    }
    if new.screen_name.trim().is_empty() {
        return HttpResponse::text(400, "Screen Name is required.\n");
    }
    let mut users = locked(&db.users);
    users.retain(|(a, _)| *a != new.agent);
    if users.len() >= MAX_USERS {
        return HttpResponse::text(400, format!("ECE keeps at most {MAX_USERS} agents.\n"));
    }
    users.push((new.agent.clone(), new.screen_name));
    HttpResponse::text(200, format!("Agent {} saved successfully.\n", new.agent))
}

//! Everything a user or a scenario can do to a running topology, as one
//! [`Action`] value. The scenario runner (a step's `do = "…"`), the control
//! API (`POST /actions` with the action as JSON, [`crate::control`]) and
//! `ccelab ctl` all build an `Action` and call
//! [`Action::apply`], so each action's logic exists once; its transcript line
//! is [`Action::describe`].
//!
//! One file per action family, each with the variants' `apply`:
//!
//! | file | actions |
//! |---|---|
//! | [`hosts`] | `restart`, `stop`, `start` (Windows services), `clock-advance` |
//! | [`files`] | `keytool`, `run` (real tools), `store-delete`, `store-import`, `write-file`, `edit-file` (a host's disk) |
//! | [`iis`] | `binding`, `cert-replace` (the ECE web server's IIS: [ECE] 1.2, F6, F7) |
//! | [`spog`] | `open-gadget`, `inventory-web-server`, `inventory-add`, `inventory-delete`, `inventory-upload`, `awdb`, `integration-save`, `agent-enable` (CCE Administration: [ECE] 4–6) |
//! | [`ece`] | `ece-password`, `create-department`, `partition-admin`, `trace-level` (ECE's own administration: [ECE] 2.2, §6) |
//! | [`ad`] | `ad-policy`, `ad-fault` (the AD DC: F15, F16, the `data` codes of bind failures) |
//! | [`cvp`] | `cvp-orm`, `decrypt-keystore`, `service-controller` (CVP: F19, [SEC]'s graceful shutdown) |
//! | [`lb`] | `ece-browse`, `lb-server`, `pfx-copy` (the load balancer and the web servers behind it: F22, F23) |
//!
//! In a scenario file an action is a `[[step]]` table: `do` names it, the
//! other keys are its fields (`host = "ads-a"`), besides `note` and `expect`.

mod ad;
pub mod cvp;
mod ece;
mod files;
mod finesse;
mod hosts;
mod iis;
mod lb;
mod place;
mod spog;
mod stubs;

pub use place::Place;

use serde::{Deserialize, Serialize};

use ccelab_emulators::product::Shown;

use crate::lab::{Lab, LabError};

/// One thing done to a running topology. Field names are those of a
/// scenario step; optional fields are `None` when not given (the transcript
/// names only what was given).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Action {
    /// The "Email and Chat" card in CCE Administration on `ads` (default
    /// `ads-a`) as the SPOG administrator `user` (default the topology's).
    OpenGadget {
        /// The ADS whose CCE Administration opens the gadget (default `ads-a`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ads: Option<String>,
        /// The SPOG administrator signed in (default: the topology's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
    },
    /// An agent signs in to a Finesse desktop with its Live Data gadget
    /// ([SEC] Live Data; F18).
    FinesseDesktop {
        /// The Finesse node (default `finesse-a`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
        /// The agent's login name (default `agent1`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<String>,
        /// Its password (default: the topology's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
    },
    /// An agent's browser opens `https://<host>:<port>/` and the agent
    /// accepts the certificate warning (a self-signed Live Data certificate).
    AcceptCertificate {
        /// The agent (default `agent1`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<String>,
        /// The host (`cuic-a`).
        host: String,
        /// The port (`12005`).
        port: u16,
    },
    /// CCE Administration on `ads` (default `ads-a`) checks the Finesse
    /// nodes of its inventory over HTTPS with `cacerts` ([SEC]; F17).
    InventoryStatus {
        /// The ADS (default `ads-a`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ads: Option<String>,
        /// Only the machines with these addresses (default: every one).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        machines: Vec<String>,
    },
    /// Restarts a host's services; they reload from its disk (F9).
    Restart {
        /// The host.
        host: String,
    },
    /// Stops a Windows service ("Cisco Service" on ECE's servers: F3; "Apache Tomcat" or "MSSQLSERVER", the AWDB's SQL Server, on an ADS).
    Stop {
        /// The host.
        host: String,
        /// The service's name.
        service: String,
    },
    /// Starts a Windows service.
    Start {
        /// The host.
        host: String,
        /// The service's name.
        service: String,
    },
    /// Runs the real `keytool` with these arguments.
    Keytool {
        /// keytool's arguments.
        args: Vec<String>,
    },
    /// Runs a real command, as `ccelab exec` runs it.
    Run {
        /// The command and its arguments.
        command: Vec<String>,
    },
    /// Deletes an alias from a key/trust store on a host's disk.
    StoreDelete {
        /// The host.
        host: String,
        /// A Windows path on the host's disk.
        path: String,
        /// The alias.
        alias: String,
        /// The store's password (default `changeit`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
    },
    /// Imports one of the topology's certificates into a store on a host's disk.
    StoreImport {
        /// The host.
        host: String,
        /// A Windows path on the host's disk.
        path: String,
        /// The alias.
        alias: String,
        /// `root`, `issuing`, `ece-web` or `dc`.
        cert: String,
        /// The store's password (default `changeit`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
    },
    /// Writes a file on a host's disk.
    WriteFile {
        /// The host.
        host: String,
        /// A Windows path on the host's disk.
        path: String,
        /// The file's text.
        text: String,
    },
    /// Replaces text in a file on a host's disk.
    EditFile {
        /// The host.
        host: String,
        /// A Windows path on the host's disk.
        path: String,
        /// `["old", "new"]`.
        replace: [String; 2],
    },
    /// The ECE web server in the inventory: its name (F10) and ECE credentials (F12).
    InventoryWebServer {
        /// The name entered (the certificate's FQDN).
        name: String,
        /// The ECE user of the entry (default: unchanged, initially `pa`; F12).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
        /// That user's password (default: unchanged, initially `pa`'s).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
    },
    /// Adds a machine to the inventory, checked as the machineinventory API checks ([ECE] 4.2, 4.3).
    InventoryAdd {
        /// The machine type (`EXTERNAL_ECE`, `ECE_WEB_SERVER`, …).
        #[serde(rename = "type")]
        machine_type: String,
        /// Its address (FQDN).
        address: String,
        /// Its name (default: the address).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// The ECE user (a web server: `pa`; F12).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
        /// That user's password.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
        /// The application instance (a web server; case-sensitive, never `UQ…`: F11).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        app_instance: Option<String>,
    },
    /// Deletes a machine of the inventory.
    InventoryDelete {
        /// The machine's id.
        id: u64,
    },
    /// The 4000/12000-agent CSV upload.
    InventoryUpload {
        /// The CSV's text.
        csv: String,
        /// The file it came from, to name in errors.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<String>,
    },
    /// Changes an ECE user's password in ECE (`pa`, `sa`; F12).
    EcePassword {
        /// The ECE user.
        user: String,
        /// The new password.
        password: String,
    },
    /// The integration's AWDB Details tab > Save ([ECE] 5).
    Awdb {
        /// The AW database server.
        server: String,
        /// Its port (default: SQL Server's, 1433).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        /// The database.
        database: String,
        /// The SQL login.
        login: String,
        /// Its password.
        password: String,
    },
    /// The integration's Configuration tab > Save ([ECE] 5; F11, F21).
    IntegrationSave {
        /// The application instance.
        app_instance: String,
        /// The Agent PG(s).
        agent_pgs: Vec<String>,
    },
    /// Users > Agents: enable Email & Chat with a Screen Name ([ECE] 6).
    AgentEnable {
        /// The agent.
        agent: String,
        /// The Screen Name.
        screen_name: String,
    },
    /// Administration > Departments > New in ECE (`Service` is reserved).
    CreateDepartment {
        /// The department.
        name: String,
    },
    /// The ECE web server's IIS https binding ([ECE] 1.2; F6).
    Binding {
        /// The web server (default: the topology's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
        /// The binding's host name (default blank).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host_name: Option<String>,
        /// "Require Server Name Indication" (default unchecked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        require_sni: Option<bool>,
    },
    /// Replaces the ECE web server's certificate in IIS (F7).
    CertReplace {
        /// The web server (default: the topology's).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
        /// Self-signed instead of issued by the issuing CA.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        self_signed: Option<bool>,
    },
    /// Partition Administration Configuration ([ECE] 2.2): the given fields changed and saved.
    PartitionAdmin(PartitionAdminFields),
    /// A stub on a host's listener, answering before the product what it
    /// matches ([`ccelab_emulators::stubs`], WireMock's matching).
    Stub(ccelab_emulators::stubs::StubSpec),
    /// The requests the stubs on a host's listener answered, as WireMock's
    /// `verify` checks them: those matching the given method, path, headers
    /// and body text; with `count`, it works only when exactly that many did.
    StubRequests(StubQuery),
    /// Logger > Processes > Maximum trace level (docs/requirements.md §6; F4).
    TraceLevel {
        /// 2 Error … 7 Debug, 8 Trace (7 and 8 need `minutes`).
        level: u8,
        /// The process (default `ApplicationServer`).
        #[serde(default, alias = "process", skip_serializing_if = "Option::is_none")]
        service: Option<String>,
        /// How many minutes level 7 or 8 lasts before the level from before
        /// it comes back (required for them).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        minutes: Option<u32>,
        /// One application server (default: every one).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        host: Option<String>,
    },
    /// The DC's LDAP signing requirement (KB4520412; F15) and anonymous access (F16).
    AdPolicy {
        /// "LDAP server signing requirements" = Require signing: simple binds
        /// without TLS get strongerAuthRequired (default: unchanged).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        require_signing: Option<bool>,
        /// Anonymous LDAP searches allowed (dSHeuristics; default: unchanged).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        allow_anonymous: Option<bool>,
    },
    /// Makes an account's binds fail with AD's `data` code, or `none`.
    AdFault {
        /// The account.
        user: String,
        /// `525`, `52e`, `530`, `531`, `532`, `533`, `701`, `773`, `775` or `none`.
        fault: String,
    },
    /// Moves a fixed topology clock forward (`30m`, `2d`, …).
    ClockAdvance {
        /// How far.
        by: String,
    },
    /// CCE Administration on `ads` (default `ads-a`) configures the CVP
    /// server `host` over its ORM REST; the server checks the
    /// administrator's credentials with the principal AW (F19).
    CvpOrm {
        /// The ADS (default `ads-a`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ads: Option<String>,
        /// The CVP server (`cvp-a`, `cvp-rpt`).
        host: String,
    },
    /// An administrator logs in to ECE through ECE's name (the VIP) and
    /// loads a page that needs the session `requests` times: which web
    /// server each request reached, and whether the session was known
    /// there (F23).
    EceBrowse {
        /// `tls13` (a current browser, default) or `tls12` (resumes by session ID).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client: Option<String>,
        /// `default` (pa, default) or `system` (sa).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        partition: Option<String>,
        /// Page loads after the login (default 4, at most 50).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        requests: Option<u32>,
        /// One kept-alive connection (default: a new one per request).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keep_alive: Option<bool>,
        /// The host whose name the browser uses (default: ECE's name).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        via: Option<String>,
    },
    /// The load balancer's mode changed: `haproxy.cfg` written again for it
    /// (and, for offload, the VIP's certificate file), then HAProxy reloads.
    LbMode {
        /// `passthrough`, `offload` or `none`.
        mode: String,
        /// Offload: insert the persistence cookie (default true; F23 when false).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cookie: Option<bool>,
        /// Passthrough: the session-ID stick table (default true; F23 when false).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stick: Option<bool>,
    },
    /// The load balancer's runtime API: `set server ece_web/NAME state maint|ready`.
    LbServer {
        /// The server (`eceweb2`, or its host `ece-web-2`).
        server: String,
        /// `maint` or `ready`.
        state: String,
    },
    /// The certificate of one web server exported as a PFX (with or
    /// without its private key) and imported and bound on another; IIS
    /// restarts there ([ECE] 1; F22).
    PfxCopy {
        /// The web server exporting (`ece-web-1`).
        from: String,
        /// The web server importing (`ece-web-2`).
        to: String,
        /// "Yes, export the private key" (false: the key was not exportable, F22).
        private_key: bool,
    },
    /// `%CVP_HOME%\bin\DecryptKeystoreUtil.bat` on a CVP host (12.6(2)).
    DecryptKeystore {
        /// The CVP host.
        host: String,
    },
    /// `service-controller.bat`'s graceful shutdown ([SEC]), with the
    /// answers to its prompts.
    ServiceController {
        /// `CALLSERVER-IP-ADDRESS:` (an address or FQDN).
        callserver: String,
        /// `CALLSERVER-USERNAME:`
        username: String,
        /// `CALLSERVER-PASSWORD:`
        password: String,
        /// `SERVICE-NAME:` (`callserver` or `reportingserver`).
        service: String,
        /// `REPORTINGSERVER-IP-ADDRESS:` (with `reportingserver`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reportingserver: Option<String>,
    },
}

/// The fields of ECE's Partition Administration Configuration ([ECE] 2.2)
/// to change; `None` leaves a field as it is. The same struct is a scenario
/// step's fields and `ccelab ctl ece partition-admin`'s options.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct PartitionAdminFields {
    /// LDAP URL (a global catalog: 3268, or 3269 with SSL; F5).
    #[arg(long)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ldap_url: Option<String>,
    /// DN attribute (`userPrincipalName`).
    #[arg(long)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dn_attribute: Option<String>,
    /// Base ("" with a global catalog).
    #[arg(long)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// DN for LDAP search ("" for an anonymous bind; F16).
    #[arg(long)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search_dn: Option<String>,
    /// Its password.
    #[arg(long)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Enable SSL on LDAP (F15).
    #[arg(long)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_ssl: Option<bool>,
    /// Keystore location: a Windows path on the application server's disk (F14).
    #[arg(long)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keystore_location: Option<String>,
}

/// Which of a listener's stubbed requests [`Action::StubRequests`] counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StubQuery {
    /// The host (name or FQDN).
    pub host: String,
    /// Its product port.
    pub port: u16,
    /// Only the requests this stub answered (its number, from 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stub: Option<usize>,
    /// Only this method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Only this path (the query string left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Only requests with these headers and values (as a stub matches them).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub headers: std::collections::BTreeMap<String, String>,
    /// Only requests whose body contains this text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_contains: Option<String>,
    /// How many there must be (WireMock's `verify(exactly(n), …)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<usize>,
}

/// Why an action could not be done at all (as opposed to an action that was
/// done and failed for the user: [`Outcome::ok`] false).
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// No such host in the topology.
    #[error("no host `{name}`; the hosts are {known}")]
    NoHost {
        /// The name asked for.
        name: String,
        /// The topology's hosts, as [`crate::topology::Topology::known_hosts`] lists them.
        known: String,
    },
    /// A value the action cannot take, or an action this topology cannot do.
    #[error("{0}")]
    Invalid(String),
}

impl ActionError {
    /// The error for a host `lab` does not have, listing the ones it has.
    pub(crate) fn no_host(lab: &Lab, name: &str) -> ActionError {
        ActionError::NoHost {
            name: name.into(),
            known: lab.topo.known_hosts(),
        }
    }
}

impl From<String> for ActionError {
    fn from(s: String) -> Self {
        ActionError::Invalid(s)
    }
}

impl From<&str> for ActionError {
    fn from(s: &str) -> Self {
        ActionError::Invalid(s.to_string())
    }
}

/// What an action did: what the user sees, and what it left behind.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Outcome {
    /// It worked for the user (a command: exit code 0).
    pub ok: bool,
    /// What the user sees (lines).
    pub shows: String,
    /// A command's exit code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit: Option<i32>,
    /// A command's standard output.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    /// A command's standard error.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
    /// Log lines the action wrote (catalina, ECE's application server log).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logged: Vec<String>,
    /// The log file that tells why, where one does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_file: Option<String>,
    /// Structured data of the answer (a saved configuration, added machines).
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
    /// The TLS and LDAP events the products recorded meanwhile (scenario steps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
}

impl Outcome {
    /// Done, as the user sees it.
    pub fn ok(shows: impl Into<String>) -> Outcome {
        Outcome {
            ok: true,
            shows: shows.into(),
            ..Outcome::default()
        }
    }

    /// Failed for the user, who sees `shows`.
    pub fn failed(shows: impl Into<String>) -> Outcome {
        Outcome {
            ok: false,
            shows: shows.into(),
            ..Outcome::default()
        }
    }

    /// From what a product showed the user.
    pub fn shown(s: Shown) -> Outcome {
        match s {
            Shown::Done(m) => Outcome::ok(m),
            Shown::Refused(m) => Outcome::failed(m),
        }
    }

    /// From `Ok(what the user sees)` or `Err(what the user sees)`.
    pub fn from_result(r: Result<String, String>) -> Outcome {
        Outcome::shown(r.into())
    }

    /// With structured data.
    pub fn with_data(mut self, data: serde_json::Value) -> Outcome {
        self.data = data;
        self
    }
}

/// A lab's answer as an action's: an unknown host, or a service that
/// cannot do it (IIS cannot start the site, no such Windows service), means
/// the action could not be done (`ccelab ctl` exits 2; a scenario step shows
/// the error and fails).
fn lab_outcome(r: Result<String, LabError>) -> Result<Outcome, ActionError> {
    match r {
        Ok(m) => Ok(Outcome::ok(m)),
        Err(LabError::NoHost { name, known }) => Err(ActionError::NoHost { name, known }),
        Err(e @ LabError::Service { .. }) => Err(ActionError::Invalid(e.to_string())),
    }
}

/// The sizes of the files (0 for one that is not there yet).
pub(crate) fn log_sizes(files: &[std::path::PathBuf]) -> Vec<(std::path::PathBuf, u64)> {
    files
        .iter()
        .map(|f| {
            (
                f.clone(),
                std::fs::metadata(f).map(|m| m.len()).unwrap_or(0),
            )
        })
        .collect()
}

/// How much of a log an action's outcome quotes at the most.
const MAX_LOGGED: u64 = 64 * 1024;

/// The lines added to `files` since `marks` (a file that shrank was rotated:
/// all of it is new), at most [`MAX_LOGGED`] bytes of each, and the first
/// file that grew.
pub(crate) fn appended(
    files: &[std::path::PathBuf],
    marks: &[(std::path::PathBuf, u64)],
) -> Option<(String, Vec<String>)> {
    use std::io::{Read as _, Seek as _};
    let mut first = None;
    let mut lines = Vec::new();
    for f in files {
        // a log replaced by a FIFO or a device is skipped, never waited on
        let Ok(mut file) = ccelab_emulators::host::open_file(f) else {
            continue;
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let before = marks.iter().find(|(m, _)| m == f).map_or(0, |(_, n)| *n);
        let from = if len >= before { before } else { 0 };
        let mut new = Vec::new();
        if file.seek(std::io::SeekFrom::Start(from)).is_err()
            || file.take(MAX_LOGGED).read_to_end(&mut new).is_err()
            || new.is_empty()
        {
            continue;
        }
        first.get_or_insert_with(|| f.display().to_string());
        lines.extend(String::from_utf8_lossy(&new).lines().map(str::to_string));
    }
    first.map(|f| (f, lines))
}

/// The keys a transcript names, in its order (values of the step as written).
const DESCRIBED: &[&str] = &[
    "host",
    "ads",
    "user",
    "service",
    "name",
    "path",
    "alias",
    "cert",
    "host_name",
    "app_instance",
    "agent",
    "ldap_url",
    "base",
    "search_dn",
    "keystore_location",
    "fault",
    "by",
    "callserver",
    "username",
    "reportingserver",
    "client",
    "partition",
    "via",
    "server",
    "state",
    "from",
    "to",
    "mode",
];

/// Flags a transcript names after the values.
const DESCRIBED_FLAGS: &[&str] = &[
    "require_sni",
    "self_signed",
    "enable_ssl",
    "require_signing",
    "allow_anonymous",
    "keep_alive",
    "private_key",
    "cookie",
    "stick",
];

impl Action {
    /// Opens the ECE gadget in CCE Administration on `ads`, as the topology's administrator.
    pub fn open_gadget(ads: &str) -> Action {
        Action::OpenGadget {
            ads: Some(ads.to_string()),
            user: None,
        }
    }

    /// Restarts `host`'s services (they reload from its disk).
    pub fn restart(host: &str) -> Action {
        Action::Restart {
            host: host.to_string(),
        }
    }

    /// The action's name (`do = "…"`).
    pub fn name(&self) -> String {
        self.fields()
            .get("do")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    }

    fn fields(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::Object(m)) => m,
            _ => serde_json::Map::new(),
        }
    }

    /// The transcript's line for this action: its name, the given values
    /// that identify what it acts on (`host=ads-a`), a command's arguments,
    /// the level and the flags; never passwords or file contents.
    pub fn describe(&self) -> String {
        let f = self.fields();
        let mut parts = vec![self.name()];
        for k in DESCRIBED {
            if let Some(v) = f.get(*k).and_then(|v| v.as_str()) {
                parts.push(format!("{k}={v}"));
            }
        }
        if let Some(a) = f
            .get("args")
            .or_else(|| f.get("command"))
            .and_then(|v| v.as_array())
        {
            let words: Vec<&str> = a.iter().filter_map(|w| w.as_str()).collect();
            parts.push(words.join(" "));
        }
        for k in ["level", "requests"] {
            if let Some(l) = f.get(k) {
                parts.push(format!("{k}={l}"));
            }
        }
        if let (Some(p), "accept-certificate") = (f.get("port"), self.name().as_str()) {
            parts.push(format!("port={p}"));
        }
        for k in DESCRIBED_FLAGS {
            if let Some(b) = f.get(*k).and_then(|v| v.as_bool()) {
                parts.push(format!("{k}={b}"));
            }
        }
        parts.join(" ")
    }

    /// The same action with `f` applied to every text value (a scenario's
    /// `{…}` substitutions).
    pub fn map_text(
        &self,
        f: &mut dyn FnMut(&str) -> Result<String, String>,
    ) -> Result<Action, String> {
        fn walk(
            v: &mut serde_json::Value,
            f: &mut dyn FnMut(&str) -> Result<String, String>,
        ) -> Result<(), String> {
            match v {
                serde_json::Value::String(s) => *s = f(s)?,
                serde_json::Value::Array(a) => {
                    for x in a {
                        walk(x, f)?;
                    }
                }
                serde_json::Value::Object(m) => {
                    for (k, x) in m.iter_mut() {
                        if k != "do" {
                            walk(x, f)?;
                        }
                    }
                }
                _ => {}
            }
            Ok(())
        }
        let mut v = serde_json::Value::Object(self.fields());
        walk(&mut v, f)?;
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    /// Whether the control API may do it. Commands and changes of files on
    /// a host's disk are for scenarios: a user of the control API has a
    /// shell of their own, and a loopback API that ran commands or wrote
    /// files would let any local user — or a web page, through the browser —
    /// do so. Every action is listed, so a new one needs a decision here.
    pub fn remote_allowed(&self) -> bool {
        match self {
            Action::Keytool { .. }
            | Action::Run { .. }
            | Action::WriteFile { .. }
            | Action::EditFile { .. }
            | Action::StoreDelete { .. }
            | Action::StoreImport { .. } => false,
            Action::OpenGadget { .. }
            | Action::InventoryStatus { .. }
            | Action::FinesseDesktop { .. }
            | Action::AcceptCertificate { .. }
            | Action::Restart { .. }
            | Action::Stop { .. }
            | Action::Start { .. }
            | Action::InventoryWebServer { .. }
            | Action::InventoryAdd { .. }
            | Action::InventoryDelete { .. }
            | Action::InventoryUpload { .. }
            | Action::EcePassword { .. }
            | Action::Awdb { .. }
            | Action::IntegrationSave { .. }
            | Action::AgentEnable { .. }
            | Action::CreateDepartment { .. }
            | Action::Binding { .. }
            | Action::CertReplace { .. }
            | Action::PartitionAdmin(_)
            | Action::Stub(_)
            | Action::StubRequests(_)
            | Action::TraceLevel { .. }
            | Action::AdPolicy { .. }
            | Action::AdFault { .. }
            | Action::ClockAdvance { .. }
            | Action::CvpOrm { .. }
            | Action::EceBrowse { .. }
            | Action::LbServer { .. }
            | Action::LbMode { .. }
            | Action::PfxCopy { .. }
            // prints a password topology.json already lists; it reads one fixed file
            | Action::DecryptKeystore { .. }
            | Action::ServiceController { .. } => true,
        }
    }

    /// Does it on the running topology. When it fails for the user, the
    /// lines it left in the logs that tell why ([`Lab::telling_logs`]: the
    /// ADS's catalina log, ECE's application server log) come with the
    /// outcome, read from the hosts' disks as a user would read them.
    pub async fn apply(&self, lab: &Lab) -> Result<Outcome, ActionError> {
        let logs = lab.telling_logs();
        let marks = {
            let logs = logs.clone();
            tokio::task::spawn_blocking(move || log_sizes(&logs))
                .await
                .unwrap_or_default()
        };
        let mut o = self.apply_here(lab).await?;
        if !o.ok {
            let mut logs = logs;
            // the day may have turned meanwhile (a catalina log of its own)
            logs.extend(
                lab.telling_logs()
                    .into_iter()
                    .filter(|p| !marks.iter().any(|(m, _)| m == p)),
            );
            if let Ok(Some((file, lines))) =
                tokio::task::spawn_blocking(move || appended(&logs, &marks)).await
            {
                o.log_file = Some(file);
                o.logged = lines;
            }
        }
        Ok(o)
    }

    async fn apply_here(&self, lab: &Lab) -> Result<Outcome, ActionError> {
        match self {
            Action::OpenGadget { ads, user } => {
                spog::open_gadget(lab, ads.as_deref(), user.as_deref()).await
            }
            Action::FinesseDesktop {
                host,
                agent,
                password,
            } => {
                finesse::desktop(lab, host.as_deref(), agent.as_deref(), password.as_deref()).await
            }
            Action::AcceptCertificate { agent, host, port } => {
                finesse::accept_certificate(lab, agent.as_deref(), host, *port).await
            }
            Action::InventoryStatus { ads, machines } => {
                spog::inventory_status(lab, ads.as_deref(), machines).await
            }
            Action::Restart { host } => hosts::restart(lab, host).await,
            Action::Stop { host, service } => hosts::set_service(lab, host, service, false).await,
            Action::Start { host, service } => hosts::set_service(lab, host, service, true).await,
            Action::ClockAdvance { by } => hosts::clock_advance(lab, by),
            Action::CvpOrm { ads, host } => cvp::orm(lab, ads.as_deref(), host).await,
            Action::DecryptKeystore { host } => cvp::decrypt_keystore(lab, host).await,
            Action::EceBrowse {
                client,
                partition,
                requests,
                keep_alive,
                via,
            } => {
                lb::browse(
                    lab,
                    &lb::BrowseArgs {
                        client: client.as_deref(),
                        partition: partition.as_deref(),
                        requests: *requests,
                        keep_alive: *keep_alive,
                        via: via.as_deref(),
                    },
                )
                .await
            }
            Action::LbServer { server, state } => lb::server_state(lab, server, state),
            Action::LbMode {
                mode,
                cookie,
                stick,
            } => lb::set_mode(lab, mode, *cookie, *stick).await,
            Action::PfxCopy {
                from,
                to,
                private_key,
            } => lb::pfx_copy(lab, from, to, *private_key).await,
            Action::ServiceController {
                callserver,
                username,
                password,
                service,
                reportingserver,
            } => {
                cvp::service_controller(
                    lab,
                    &cvp::ControllerAnswers {
                        callserver,
                        username,
                        password,
                        service,
                        reportingserver: reportingserver.as_deref(),
                    },
                )
                .await
            }
            Action::Keytool { args } => {
                let mut argv = vec!["keytool".to_string()];
                argv.extend(args.iter().cloned());
                files::run_command(lab, argv).await
            }
            Action::Run { command } => files::run_command(lab, command.clone()).await,
            Action::StoreDelete {
                host,
                path,
                alias,
                password,
            } => files::store_delete(lab, host, path, alias, password.as_deref()).await,
            Action::StoreImport {
                host,
                path,
                alias,
                cert,
                password,
            } => files::store_import(lab, host, path, alias, cert, password.as_deref()).await,
            Action::WriteFile { host, path, text } => {
                files::write_file(lab, host, path, text).await
            }
            Action::EditFile {
                host,
                path,
                replace,
            } => files::edit_file(lab, host, path, replace).await,
            Action::Binding {
                host,
                host_name,
                require_sni,
            } => {
                iis::binding(
                    lab,
                    host.as_deref(),
                    host_name.as_deref().unwrap_or(""),
                    require_sni.unwrap_or(false),
                )
                .await
            }
            Action::CertReplace { host, self_signed } => {
                iis::cert_replace(lab, host.as_deref(), self_signed.unwrap_or(false)).await
            }
            Action::InventoryWebServer {
                name,
                user,
                password,
            } => spog::inventory_web_server(lab, name, user.as_deref(), password.as_deref()),
            Action::InventoryAdd {
                machine_type,
                address,
                name,
                user,
                password,
                app_instance,
            } => spog::inventory_add(
                lab,
                ccelab_emulators::cce_admin::inventory::NewMachine {
                    name: name.clone(),
                    machine_type: machine_type.clone(),
                    address: address.clone(),
                    user: user.clone(),
                    password: password.clone(),
                    application_instance: app_instance.clone(),
                },
            ),
            Action::InventoryDelete { id } => spog::inventory_delete(lab, *id),
            Action::InventoryUpload { csv, file } => {
                spog::inventory_upload(lab, csv, file.as_deref())
            }
            Action::Awdb {
                server,
                port,
                database,
                login,
                password,
            } => Ok(Outcome::shown(
                lab.ece_console()?
                    .save_awdb(
                        server,
                        port.unwrap_or(ccelab_emulators::cce_admin::AWDB_PORT),
                        database,
                        login,
                        password,
                    )
                    .await,
            )),
            Action::IntegrationSave {
                app_instance,
                agent_pgs,
            } => Ok(Outcome::shown(
                lab.ece_console()?
                    .save_integration(app_instance, agent_pgs)
                    .await,
            )),
            Action::AgentEnable { agent, screen_name } => Ok(Outcome::shown(
                lab.cce_admin()?
                    .enable_agent(agent, screen_name)
                    .await
                    .map_err(|e| e.to_string())?,
            )),
            Action::EcePassword { user, password } => ece::set_password(lab, user, password),
            Action::CreateDepartment { name } => Ok(Outcome::shown(
                lab.ece_console()?.db().create_department(name),
            )),
            Action::PartitionAdmin(fields) => ece::partition_admin(lab, fields.clone()),
            Action::Stub(spec) => stubs::add(lab, spec.clone()),
            Action::StubRequests(q) => stubs::requests(lab, q),
            Action::TraceLevel {
                level,
                service,
                minutes,
                host,
            } => ece::trace_level(
                lab,
                service.as_deref().unwrap_or("ApplicationServer"),
                host.as_deref(),
                *level,
                *minutes,
            ),
            Action::AdPolicy {
                require_signing,
                allow_anonymous,
            } => ad::policy(lab, *require_signing, *allow_anonymous),
            Action::AdFault { user, fault } => ad::fault(lab, user, fault),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_table_is_an_action_and_describes_what_was_given() {
        let a: Action = toml::from_str("do = \"store-delete\"\nhost = \"ads-a\"\npath = 'C:\\x'\nalias = \"root\"\npassword = \"secret\"").unwrap();
        assert_eq!(a.name(), "store-delete");
        assert_eq!(
            a.describe(),
            "store-delete host=ads-a path=C:\\x alias=root"
        );
        let a: Action = toml::from_str("do = \"binding\"\nrequire_sni = true").unwrap();
        assert_eq!(a.describe(), "binding require_sni=true");
        let a: Action = toml::from_str("do = \"trace-level\"\nlevel = 7\nminutes = 30").unwrap();
        assert_eq!(a.describe(), "trace-level level=7");
        let e = toml::from_str::<Action>("do = \"restart\"\nhots = \"x\"").unwrap_err();
        assert!(e.to_string().contains("unknown field `hots`"), "{e}");
    }

    #[test]
    fn map_text_reaches_every_text_but_the_name() {
        let a = Action::Run {
            command: vec!["echo".into(), "{dir}".into()],
        };
        let b = a.map_text(&mut |s| Ok(s.replace("{dir}", "/lab"))).unwrap();
        assert_eq!(
            b,
            Action::Run {
                command: vec!["echo".into(), "/lab".into()]
            }
        );
        assert!(a.map_text(&mut |_| Err("no".into())).is_err());
    }
}

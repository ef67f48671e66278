//! ECE's database as its application servers share it: the Partition
//! Administration Configuration of SSO ([ECE] 2.2), the partition
//! administrators SSO created, ECE's own users and their passwords (`pa`,
//! `sa`), the Unified CCE integration's tabs ([ECE] 5), the agents enabled
//! for Email & Chat and the departments ([ECE] 6).
//!
//! ECE keeps all this in SQL Server on its data server, which ccelab does
//! not emulate: one [`EceDb`] in memory is shared by the deployment's
//! application servers (the parts of one product, as they share the real
//! database). No other product reaches it: CCE Administration reaches ECE
//! over HTTPS through the web server, ECE reaches the AWDB over TDS.

use std::collections::HashMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Administration > Partition: default > Security > SSO and Provisioning >
/// Partition Administration Configuration ([ECE] 2.2).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PartitionAdminConfig {
    /// LDAP URL (a global catalog: 3268, or 3269 with SSL; F5).
    pub ldap_url: String,
    /// DN attribute (`userPrincipalName`).
    pub dn_attribute: String,
    /// Base ("" with a global catalog).
    pub base: String,
    /// DN for LDAP search ("" for an anonymous bind; F16).
    pub search_dn: String,
    /// Its password (never shown).
    #[serde(skip_serializing)]
    pub password: String,
    /// Enable SSL on LDAP (F15).
    pub enable_ssl: bool,
    /// A Windows path on the application server's disk.
    pub keystore_location: String,
}

impl PartitionAdminConfig {
    /// As after [ECE] 2.2 done right: the GC over TLS, no Base, pcceadmin.
    pub fn documented(dc_fqdn: &str) -> Self {
        PartitionAdminConfig {
            ldap_url: format!("ldaps://{dc_fqdn}:3269"),
            dn_attribute: "userPrincipalName".into(),
            base: String::new(),
            search_dn: format!(
                "CN=pcceadmin, CN=Users, {}",
                dc_fqdn
                    .split('.')
                    .skip(1)
                    .map(|l| format!("DC={l}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            password: crate::ad_dc::EXAMPLE_PASSWORD.into(),
            enable_ssl: true,
            keystore_location: super::ECE_LDAP_KEYSTORE.into(),
        }
    }
}

/// The default password of ECE's `pa` and `sa` in ccelab's presets.
pub const DEFAULT_PASSWORD: &str = "Password1";

/// ECE's own users in a topology: `pa` (business partition administrator,
/// the inventory credentials of [ECE] 4.3) and `sa` (system partition).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EceAccounts {
    /// `pa`'s password.
    pub pa: String,
    /// `sa`'s password.
    pub sa: String,
}

impl Default for EceAccounts {
    fn default() -> Self {
        EceAccounts {
            pa: DEFAULT_PASSWORD.into(),
            sa: DEFAULT_PASSWORD.into(),
        }
    }
}

impl EceAccounts {
    /// (user, password), `pa` first.
    pub fn list(&self) -> Vec<(String, String)> {
        vec![
            ("pa".into(), self.pa.clone()),
            ("sa".into(), self.sa.clone()),
        ]
    }
}

/// The AWDB Details tab as saved ([ECE] 5): where ECE reads the AWDB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwdbDetails {
    /// The AWDB server as entered (an ADS).
    pub server: String,
    /// Its SQL Server port.
    pub port: u16,
    /// The database (`{instance}_awdb`).
    pub database: String,
    /// The SQL Server login.
    pub login: String,
    /// Its password.
    pub password: String,
}

/// The Unified CCE integration's Configuration tab as saved ([ECE] 5;
/// saving is permanent: F21).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Configuration {
    /// The application instance (F11).
    pub app_instance: String,
    /// The Agent PGs.
    pub agent_pgs: Vec<String>,
}

/// ECE's database as its application servers share it.
pub struct EceDb {
    /// The Partition Administration Configuration.
    pub config: Mutex<PartitionAdminConfig>,
    /// Partition administrators ECE created through SSO.
    pub admins: Mutex<Vec<String>>,
    /// ECE's users and their passwords (lower-case names).
    pub accounts: Mutex<HashMap<String, String>>,
    /// The AWDB Details tab, once saved.
    pub awdb: Mutex<Option<AwdbDetails>>,
    /// The Configuration tab, once saved.
    pub configuration: Mutex<Option<Configuration>>,
    /// Agents enabled for Email & Chat: (agent, screen name), as ECE's user list shows them.
    pub users: Mutex<Vec<(String, String)>>,
    /// The departments (`Service` from the integration, reserved).
    pub departments: Mutex<Vec<String>>,
}

/// `m`'s value, whatever a panicking holder left (the data stays usable).
pub(crate) fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl EceDb {
    /// A database as after the integration of [ECE] 1–4 done right, with
    /// these users; the integration of [ECE] 5 not saved yet.
    pub fn new(dc_fqdn: &str, accounts: impl IntoIterator<Item = (String, String)>) -> EceDb {
        EceDb {
            config: Mutex::new(PartitionAdminConfig::documented(dc_fqdn)),
            admins: Mutex::new(Vec::new()),
            accounts: Mutex::new(accounts.into_iter().collect()),
            awdb: Mutex::new(None),
            configuration: Mutex::new(None),
            users: Mutex::new(Vec::new()),
            departments: Mutex::new(vec!["Service".into()]),
        }
    }

    /// Changes an ECE user's password (`pa`, `sa`; F12 when the inventory keeps the old one).
    pub fn set_password(&self, user: &str, password: &str) -> Result<(), String> {
        let mut accounts = locked(&self.accounts);
        match accounts.get_mut(&user.to_ascii_lowercase()) {
            Some(p) => {
                *p = password.to_string();
                Ok(())
            }
            None => Err(format!("ECE has no user `{user}` (users: pa, sa)")),
        }
    }

    /// Whether `user`'s password is `password` (user names compare without case).
    pub fn check_password(&self, user: &str, password: &str) -> bool {
        locked(&self.accounts)
            .get(&user.to_ascii_lowercase())
            .is_some_and(|want| want == password)
    }

    /// ECE > department `Service` > User Management > Users: the agents enabled for Email & Chat.
    pub fn users(&self) -> Vec<(String, String)> {
        locked(&self.users).clone()
    }

    /// ECE's departments.
    pub fn departments(&self) -> Vec<String> {
        locked(&self.departments).clone()
    }
}

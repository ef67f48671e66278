//! Cisco Unified CVP 12.5/12.6 in Packaged CCE 12.x: the call server, the
//! reporting server and the Operations Console (OAMP), Windows hosts with
//! `%CVP_HOME%` = `C:\Cisco\CVP` (docs/requirements.md §1; [SEC]; facts and
//! sources in docs/research/cvp.md, whose H/M/L marks are repeated here).
//!
//! On each host's disk:
//!
//! * `%CVP_HOME%\conf\security\.keystore`, a **JCEKS** store (every Cisco
//!   keytool command passes `-storetype JCEKS`, H) with the aliases CVP
//!   uses: `callserver_certificate`, `vxml_certificate` (not on a
//!   reporting server, H), `wsm_certificate` on call and reporting servers,
//!   `oamp_certificate` and `wsm_certificate` on OAMP (H, [TN200774]); a
//!   CA-signed deployment adds `root` (H); the principal AW's certificate
//!   is `AW_cert` ([SEC], H); OAMP's certificate is imported on the CVP
//!   servers as `oamp_certificate` ([CVP150-Sec], H). Key passwords equal
//!   the store password (M: Cisco's keytool prompt says so by default).
//! * `%CVP_HOME%\conf\security.properties` with `Security.keystorePW = <pw>`
//!   (12.5: the password itself, a random string with punctuation, H). In
//!   the 12.6(2) profile the value is encrypted and only
//!   `%CVP_HOME%\bin\DecryptKeystoreUtil.bat` gives the password (H: the
//!   12.6(2) release notes); the encryption and the tool's output are
//!   ccelab's ([`decrypt_keystore_util`], L).
//! * `%CVP_HOME%\logs\CVP.<yyyy-mm-dd>.log` (the folder is Cisco's, H; the
//!   file name and the lines' layout follow CVP's own logs as seen in the
//!   field, M; the messages are ccelab's, L).
//!
//! Each Windows service ([`CvpRole::services`]) reads `security.properties`
//! and `.keystore` when it starts and keeps what it read until restarted;
//! a store it cannot read stops it from starting, with Java's text in the
//! log ([`load_keystore`]). The Web Services Manager ([`wsm`]) serves HTTPS
//! 8111 on every host with the `wsm_certificate` it loaded and trusts the
//! same `.keystore` (the WSM's JVM runs with
//! `-Djavax.net.ssl.trustStore=…\.keystore -Djavax.net.ssl.trustStoreType=JCEKS`,
//! H, [CVP150-Sec]): so the principal AW's certificate missing there makes
//! its calls to the AW fail (F19).

pub mod wsm;

use std::any::Any;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use time::OffsetDateTime;

use crate::host::VirtualDisk;
use crate::personality::Verdict;
use crate::pki::{Certificate, Issued, KeyPair};
use crate::product::{HostCtx, ProductError, ProductFuture, Running, ServiceInfo};
use crate::stores::{Keystore, StoreError, StoreType};
use crate::tls::TlsServer;

/// `%CVP_HOME%` on every CVP host (Cisco's examples, H).
pub const CVP_HOME: &str = crate::host::CVP_HOME;
/// The key store every CVP service reads.
pub const KEYSTORE: &str = r"C:\Cisco\CVP\conf\security\.keystore";
/// Where the key store's password is kept.
pub const SECURITY_PROPERTIES: &str = r"C:\Cisco\CVP\conf\security.properties";
/// The logs' folder.
pub const LOGS: &str = r"C:\Cisco\CVP\logs";
/// The Web Services Manager's HTTPS port (H).
pub const WSM_PORT: u16 = 8111;
/// The default WSM user, made at install "with the same password as the
/// Operations Console user" (H, [CVP1261-Ops]).
pub const WSM_ADMIN: &str = "wsmadmin";
/// The 12.6(2) tool that prints the key store's password.
pub const DECRYPT_KEYSTORE_UTIL: &str = r"C:\Cisco\CVP\bin\DecryptKeystoreUtil.bat";
/// The graceful-shutdown program ([PCCE1261-GS], H).
pub const SERVICE_CONTROLLER: &str = r"C:\Cisco\CVP\bin\ServiceController\service-controller.bat";
/// The Web Services Manager's Windows service (short name, H).
pub const WSM_SERVICE: &str = "WebServicesManager";

/// What a CVP host is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CvpRole {
    /// A call server (with its VXML server).
    CallServer,
    /// The reporting server.
    Reporting,
    /// The Operations Console server.
    Oamp,
}

impl CvpRole {
    /// Its Windows services, by short name (`sc` names, H; the reporting
    /// server's `reportingserver` is [SEC]'s name for it).
    pub fn services(self) -> &'static [&'static str] {
        match self {
            CvpRole::CallServer => &["callserver", "vxmlserver", WSM_SERVICE],
            CvpRole::Reporting => &["reportingserver", WSM_SERVICE],
            CvpRole::Oamp => &["OPSConsoleServer", WSM_SERVICE],
        }
    }

    /// The key entries its `.keystore` has from install (H: [TN200774],
    /// [CVP150-Sec]).
    pub fn key_aliases(self) -> &'static [&'static str] {
        match self {
            CvpRole::CallServer => &[
                "callserver_certificate",
                "vxml_certificate",
                "wsm_certificate",
            ],
            CvpRole::Reporting => &["callserver_certificate", "wsm_certificate"],
            CvpRole::Oamp => &["oamp_certificate", "wsm_certificate"],
        }
    }

    /// What the Diagnostic Portal calls it (`ProductComponentType`, L).
    pub fn component(self) -> &'static str {
        match self {
            CvpRole::CallServer => "Call Server",
            CvpRole::Reporting => "Reporting Server",
            CvpRole::Oamp => "Operations Console",
        }
    }

    /// Its display name in `services.msc` (H, docs/research/cvp.md §4;
    /// the reporting server's is ccelab's reading, L).
    pub fn display_name(service: &str) -> &'static str {
        match service {
            "callserver" => "Cisco CVP CallServer",
            "vxmlserver" => "Cisco CVP VXML Server",
            "reportingserver" => "Cisco CVP Reporting Server",
            "OPSConsoleServer" => "Cisco CVP OPSConsoleServer",
            _ => "Cisco CVP WebServicesManager",
        }
    }
}

/// Where the key store's password is kept.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum KeystoreProfile {
    /// 12.5 / 12.6(1): `security.properties` has it in clear.
    #[default]
    #[serde(rename = "12.5")]
    V125,
    /// 12.6(2): encrypted there; `DecryptKeystoreUtil.bat` prints it.
    #[serde(rename = "12.6.2")]
    V1262,
}

/// How the CVP hosts' own certificates are made.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CvpCert {
    /// Self-signed at install (keytool-made: CN only, no SAN).
    #[default]
    SelfSigned,
    /// Signed by the topology's issuing CA (CN and SAN the FQDN), `root` imported.
    CaSigned,
}

/// The CVP hosts' knobs in a topology.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CvpKnobs {
    /// Self-signed or CA-signed certificates.
    pub certificate: CvpCert,
    /// The RSA key size of the install's certificates (1024 as [SEC]'s
    /// keytool examples, 2048 as Cisco's 12.5 guide: F24).
    pub key_size: u16,
    /// Where the key store's password is.
    pub profile: KeystoreProfile,
    /// The principal AW's certificate is in every call and reporting
    /// server's `.keystore` as `AW_cert` ([SEC]; false: F19).
    pub aw_cert: bool,
    /// The reporting server's `wsm_certificate` was made for its host name,
    /// not the FQDN the inventory has (F17).
    pub wsm_cn_host_name: bool,
}

impl Default for CvpKnobs {
    fn default() -> Self {
        CvpKnobs {
            certificate: CvpCert::SelfSigned,
            key_size: 2048,
            profile: KeystoreProfile::V125,
            aw_cert: true,
            wsm_cn_host_name: false,
        }
    }
}

/// The `[cvp]` section of a topology file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CvpSection {
    /// `self-signed` (default) or `ca-signed`.
    pub certificate: Option<CvpCert>,
    /// 1024 or 2048 (default): the install certificates' RSA key size.
    pub key_size: Option<u16>,
    /// `"12.5"` (default: `security.properties` in clear) or `"12.6.2"`
    /// (`DecryptKeystoreUtil.bat`).
    pub keystore_profile: Option<KeystoreProfile>,
    /// Whether `AW_cert` is in the CVP servers' `.keystore` (default true; false: F19).
    pub aw_cert: Option<bool>,
    /// `fqdn` (default) or `host-name`: the reporting server's
    /// `wsm_certificate` CN (`host-name`: F17).
    pub wsm_certificate_cn: Option<crate::finesse::CertificateCn>,
}

impl CvpSection {
    /// The knobs this section makes from `base`.
    pub fn knobs(&self, mut base: CvpKnobs) -> Result<CvpKnobs, String> {
        if let Some(c) = self.certificate {
            base.certificate = c;
        }
        if let Some(k) = self.key_size {
            if k != 1024 && k != 2048 {
                return Err(format!("key_size = {k}: 1024 or 2048"));
            }
            base.key_size = k;
        }
        if let Some(p) = self.keystore_profile {
            base.profile = p;
        }
        if let Some(a) = self.aw_cert {
            base.aw_cert = a;
        }
        if let Some(c) = self.wsm_certificate_cn {
            base.wsm_cn_host_name = c == crate::finesse::CertificateCn::HostName;
        }
        Ok(base)
    }
}

/// The key store's password of the host `fqdn`: 23 characters with
/// punctuation, as the installer's (Cisco's example:
/// `fc]@2zfe*Ufe2J,.0uM$fF`), derived from the name so that a lab is the
/// same on every run.
pub fn keystore_password(fqdn: &str) -> String {
    use sha2::Digest as _;
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ0123456789]@*,.$#!";
    let d = sha2::Sha256::digest(format!("ccelab cvp keystore {fqdn}").as_bytes());
    d.iter()
        .take(23)
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// The 12.6(2) profile's stand-in for CVP's encryption of the password in
/// `security.properties` (ccelab's, L: CVP's scheme is not public): the
/// password's bytes XOR a fixed key, base64.
const OBFUSCATION: &[u8] = b"ccelab-cvp-1262";

fn obfuscate(pw: &[u8]) -> Vec<u8> {
    pw.iter()
        .zip(OBFUSCATION.iter().cycle())
        .map(|(a, b)| a ^ b)
        .collect()
}

/// `security.properties` as written at install.
pub fn security_properties(profile: KeystoreProfile, password: &str) -> String {
    use base64::Engine as _;
    let value = match profile {
        KeystoreProfile::V125 => password.to_string(),
        KeystoreProfile::V1262 => {
            base64::engine::general_purpose::STANDARD.encode(obfuscate(password.as_bytes()))
        }
    };
    format!("Security.keystorePW = {value}\r\n")
}

/// The value of `Security.keystorePW` in a `security.properties` text
/// (Java `Properties`: `key = value`, `key=value` or `key: value`; `#`
/// and `!` comments).
fn property(text: &str) -> Option<String> {
    // as in Java, a key given twice keeps its last value: read from the end
    text.lines()
        .rev()
        .map(str::trim_start)
        .filter(|l| !l.starts_with('#') && !l.starts_with('!'))
        .find_map(|l| {
            // the key ends at the first '=', ':' or white space
            let end = l
                .find(|c: char| c == '=' || c == ':' || c.is_whitespace())
                .unwrap_or(l.len());
            if &l[..end] != "Security.keystorePW" {
                return None;
            }
            let rest = l[end..].trim_start();
            let rest = rest
                .strip_prefix('=')
                .or_else(|| rest.strip_prefix(':'))
                .unwrap_or(rest);
            Some(rest.trim().to_string())
        })
}

/// The password the services use, read from `security.properties` as
/// `profile` keeps it; Err says why, naming the file.
pub fn password_from(profile: KeystoreProfile, text: &str) -> Result<String, String> {
    use base64::Engine as _;
    let value = property(text)
        .ok_or_else(|| format!("{SECURITY_PROPERTIES}: no Security.keystorePW property"))?;
    match profile {
        KeystoreProfile::V125 => Ok(value),
        KeystoreProfile::V1262 => base64::engine::general_purpose::STANDARD
            .decode(value.as_bytes())
            .ok()
            .and_then(|b| String::from_utf8(obfuscate(&b)).ok())
            .ok_or_else(|| {
                format!("{SECURITY_PROPERTIES}: Security.keystorePW cannot be decrypted")
            }),
    }
}

/// What `DecryptKeystoreUtil.bat` prints on a host whose
/// `security.properties` is `text`: in the 12.6(2) profile, the password
/// on one line (the tool's exact output is not public: L); on 12.5 the
/// tool is not there and `cmd.exe` says so (its real text). Err: the
/// tool's failure (ccelab's words).
pub fn decrypt_keystore_util(profile: KeystoreProfile, text: &str) -> Result<String, String> {
    match profile {
        KeystoreProfile::V125 => Err("'DecryptKeystoreUtil.bat' is not recognized as an internal or external command,\r\noperable program or batch file.".into()),
        KeystoreProfile::V1262 => password_from(profile, text),
    }
}

/// The PBE iteration count of the install's key entries. JDK 17's keytool
/// writes 200 000 (about 50 ms of MD5 per key); keytool and Java read the
/// count from each entry, so a smaller one changes nothing a user sees
/// except time: 7 keys at 200 000 made `ccelab up` last 1.4 s instead of
/// 50 ms. Keys keytool adds later carry its own count.
pub const INSTALL_ITERATIONS: u32 = 1000;

/// What a CVP host's disk has at install.
pub struct CvpDisk<'a> {
    /// Its role.
    pub role: CvpRole,
    /// The key entries (alias, certificate and key).
    pub keys: Vec<(&'a str, Issued)>,
    /// The trusted entries (alias, certificate).
    pub trusted: Vec<(String, Certificate)>,
    /// Where the password is kept.
    pub profile: KeystoreProfile,
    /// The store's password.
    pub password: String,
}

/// Writes a CVP host's disk: `.keystore` (JCEKS, key passwords = store
/// password), `security.properties`, the logs' folder.
pub fn write_disk(
    host: &str,
    disk: &VirtualDisk,
    d: &CvpDisk<'_>,
    now: OffsetDateTime,
) -> Result<(), ProductError> {
    let err = |e: &dyn std::fmt::Display| ProductError::new(host, e);
    let mut ks = Keystore::new(StoreType::Jceks);
    for (alias, issued) in &d.keys {
        // the salt from the host and alias: a lab is the same on every run
        let salt = {
            use sha2::Digest as _;
            let h = sha2::Sha256::digest(format!("{host}/{alias}").as_bytes());
            let mut s = [0u8; 8];
            s.copy_from_slice(&h[..8]);
            s
        };
        let protected = crate::stores::jks::try_protect_jceks(
            issued.key.pkcs8_der(),
            &d.password,
            salt,
            INSTALL_ITERATIONS,
        )
        .map_err(|e| err(&e))?;
        ks.set_protected_key_entry(alias, protected, issued.chain(), now)
            .map_err(|e| err(&e))?;
    }
    for (alias, cert) in &d.trusted {
        ks.import_cert(alias, cert.clone(), now)
            .map_err(|e| err(&e))?;
    }
    let store = disk.path(KEYSTORE).map_err(|e| err(&e))?;
    let bytes = ks
        .to_bytes(&d.password, Some(&d.password))
        .map_err(|e| err(&e))?;
    crate::product::write_file(host, &store, &bytes)?;
    let props = disk.path(SECURITY_PROPERTIES).map_err(|e| err(&e))?;
    crate::product::write_file(
        host,
        &props,
        security_properties(d.profile, &d.password).as_bytes(),
    )?;
    crate::product::make_dir(host, &disk.path(LOGS).map_err(|e| err(&e))?)
}

/// What a service read from its host's disk when it started.
#[derive(Clone)]
pub struct Loaded {
    /// The `wsm_certificate` chain and key (the WSM serves them), or why not.
    pub wsm: Result<(Vec<Certificate>, Arc<KeyPair>), String>,
    /// Java's trust anchors from `.keystore` (type JCEKS), or the verdict of any call.
    pub trust: Result<Vec<Certificate>, Verdict>,
}

/// Java's text for a key store it cannot load (`KeyStore.load`), as the
/// service's log shows it; the JCEKS loader's messages (measured on Java
/// 17; the same loader on 8 and 11: `Invalid keystore format` for a file
/// that is not JCEKS, as JDK 11.0.13 says too).
fn java_load_error(e: &StoreError) -> String {
    match e {
        StoreError::TamperedOrBadPassword => {
            "java.io.IOException: Keystore was tampered with, or password was incorrect".into()
        }
        StoreError::Truncated => "java.io.EOFException".into(),
        StoreError::UnrecognizedFormat | StoreError::Malformed(_) => {
            "java.io.IOException: Invalid keystore format".into()
        }
        other => format!("java.io.IOException: {other}"),
    }
}

/// A service's start: reads `security.properties` and `.keystore` as the
/// CVP services do (blocking I/O: call off the async workers); `wsm`: the
/// Web Services Manager, which also recovers `wsm_certificate`'s key (the
/// other services' keys are not served here). Err: why the service does
/// not start, naming the file (the text after the colon is what Java
/// throws; for `security.properties`, ccelab's words).
pub fn load_keystore(
    disk: &VirtualDisk,
    profile: KeystoreProfile,
    wsm: bool,
) -> Result<Loaded, String> {
    let props = disk.path(SECURITY_PROPERTIES).map_err(|e| e.to_string())?;
    let text = match disk.read_string(&props) {
        Ok(t) => t,
        Err(_) => {
            return Err(format!(
                "{SECURITY_PROPERTIES}: java.io.FileNotFoundException: {SECURITY_PROPERTIES} (The system cannot find the file specified)"
            ))
        }
    };
    let password = password_from(profile, &text)?;
    let store = disk.path(KEYSTORE).map_err(|e| e.to_string())?;
    let bytes = disk.read(&store).map_err(|_| {
        format!("{KEYSTORE}: java.io.FileNotFoundException: {KEYSTORE} (The system cannot find the file specified)")
    })?;
    // Java's JCEKS loader reads the magic number first (fewer than four
    // bytes: EOFException) and takes JKS files too
    if bytes.len() < 4 {
        return Err(format!("{KEYSTORE}: java.io.EOFException"));
    }
    let t = match crate::stores::detect(&bytes) {
        Some(t @ (StoreType::Jceks | StoreType::Jks)) => t,
        _ => {
            return Err(format!(
                "{KEYSTORE}: java.io.IOException: Invalid keystore format"
            ))
        }
    };
    let mut ks = Keystore::load_as(t, &bytes, Some(&password))
        .map_err(|e| format!("{KEYSTORE}: {}", java_load_error(&e)))?;
    let trust = Ok(ks.java_trust_anchors());
    // the key password is the store password (Cisco's keytool prompt default)
    if !wsm {
        return Ok(Loaded {
            wsm: Err("not the Web Services Manager".into()),
            trust,
        });
    }
    let wsm = ks
        .unlock_key("wsm_certificate", &password)
        .map_err(|e| match e {
            StoreError::AliasMissing(_) => format!("{KEYSTORE}: no key entry wsm_certificate"),
            e => {
                format!("{KEYSTORE}: wsm_certificate: java.security.UnrecoverableKeyException: {e}")
            }
        })
        .and_then(|()| {
            ks.plain_key("wsm_certificate")
                .ok_or_else(|| format!("{KEYSTORE}: no key entry wsm_certificate"))
        })
        .and_then(|(k, chain)| {
            KeyPair::from_pkcs8_der(&k)
                .map(|k| (chain, k))
                .map_err(|e| format!("{KEYSTORE}: wsm_certificate: {e}"))
        });
    Ok(Loaded { wsm, trust })
}

/// One Windows service and what it loaded at its last start.
struct Service {
    name: &'static str,
    running: bool,
    loaded: Option<Loaded>,
}

/// What a CVP host is told at start.
#[derive(Clone)]
pub struct CvpConfig {
    /// Its role.
    pub role: CvpRole,
    /// Where the key store's password is.
    pub profile: KeystoreProfile,
    /// The WSM user's password (`wsmadmin`: the OAMP user's, H).
    pub wsm_password: String,
    /// The principal AW's FQDN (its PRINCIPAL_AW in the inventory): where
    /// the call and reporting servers check AW credentials.
    pub principal_aw: String,
    /// The version it reports (`12.5(1)`, with a build number: ccelab's).
    pub version: (u8, u8, u8, String),
    /// The deployment's CVP servers (FQDN, role), for OAMP's OPS REST.
    pub servers: Vec<(String, CvpRole)>,
}

/// A running CVP host.
pub struct RunningCvp {
    ctx: HostCtx,
    config: CvpConfig,
    services: Mutex<Vec<Service>>,
    wsm: tokio::sync::Mutex<Option<TlsServer>>,
    /// The log's sequence number (CVP numbers its lines).
    seq: std::sync::atomic::AtomicU64,
    /// Itself, for the WSM's handler (which must not keep it alive).
    me: std::sync::Weak<RunningCvp>,
    /// Held across each start, stop and restart of a service, so that a
    /// service's state and the WSM's listener change together.
    ops: tokio::sync::Mutex<()>,
}

/// Starts a CVP host: every service reads the disk; the WSM serves 8111
/// when it started.
pub async fn start(config: CvpConfig, ctx: HostCtx) -> Result<Arc<RunningCvp>, ProductError> {
    let services = config
        .role
        .services()
        .iter()
        .map(|name| Service {
            name,
            running: false,
            loaded: None,
        })
        .collect();
    let cvp = Arc::new_cyclic(|me| RunningCvp {
        ctx,
        config,
        services: Mutex::new(services),
        wsm: tokio::sync::Mutex::new(None),
        seq: std::sync::atomic::AtomicU64::new(1),
        me: me.clone(),
        ops: tokio::sync::Mutex::new(()),
    });
    // the host boots: every service reads the same files at once (one read
    // here); a service that cannot read its store stays stopped and the
    // host still comes up
    let (disk, profile) = (cvp.ctx.disk.clone(), cvp.config.profile);
    let loaded = tokio::task::spawn_blocking(move || load_keystore(&disk, profile, true))
        .await
        .map_err(|e| ProductError::new(&cvp.ctx.name, e))?;
    let mut lines = Vec::new();
    for name in cvp.config.role.services() {
        let outcome = match &loaded {
            Err(why) => Err(why.clone()),
            Ok(l) if *name == WSM_SERVICE => l.wsm.clone().map(|_| l.clone()),
            Ok(l) => Ok(Loaded {
                wsm: Err("not the Web Services Manager".into()),
                trust: l.trust.clone(),
            }),
        };
        match outcome {
            Ok(l) => {
                if *name == WSM_SERVICE {
                    if let Err(e) = cvp.open_wsm(&l).await {
                        lines.push((
                            "WSM",
                            1,
                            "SERVICE_START_FAILED",
                            format!("{name} could not start: {}", e.problem),
                        ));
                        continue;
                    }
                }
                cvp.set_state(name, true, Some(l));
                lines.push((
                    "INFRA",
                    6,
                    "SERVICE_STARTED",
                    format!("{} started", CvpRole::display_name(name)),
                ));
            }
            Err(why) => lines.push((
                // the store was read, the WSM's key was not there: as start_inner says it
                if loaded.is_ok() { "WSM" } else { "INFRA" },
                1,
                "SERVICE_START_FAILED",
                format!("{name} could not start: {why}"),
            )),
        }
    }
    cvp.log_many(lines).await;
    Ok(cvp)
}

impl RunningCvp {
    /// Its role.
    pub fn role(&self) -> CvpRole {
        self.config.role
    }

    /// The host it runs on.
    pub fn ctx(&self) -> &HostCtx {
        &self.ctx
    }

    /// The service of that name (case-insensitive), as the product names it.
    fn service_name(&self, name: &str) -> Option<&'static str> {
        self.config
            .role
            .services()
            .iter()
            .find(|s| {
                s.eq_ignore_ascii_case(name) || CvpRole::display_name(s).eq_ignore_ascii_case(name)
            })
            .copied()
    }

    /// Whether `service` runs.
    pub fn is_running(&self, service: &str) -> bool {
        self.services
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|s| s.name.eq_ignore_ascii_case(service) && s.running)
    }

    /// What `service` loaded when it last started (None: stopped).
    pub fn loaded(&self, service: &str) -> Option<Loaded> {
        self.services
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(service) && s.running)
            .and_then(|s| s.loaded.clone())
    }

    /// The log of the day `now`.
    pub fn log_path(&self, now: OffsetDateTime) -> Option<PathBuf> {
        let dir = self.ctx.disk.path(LOGS).ok()?;
        Some(dir.join(format!(
            "CVP.{:04}-{:02}-{:02}.log",
            now.year(),
            now.month() as u8,
            now.day()
        )))
    }

    /// [`Self::log`] for lines of several subsystems, severities and mnemonics, in one write.
    async fn log_many(&self, lines: Vec<(&str, u8, &str, String)>) {
        let now = self.ctx.clock.now().to_offset(time::UtcOffset::UTC);
        let Some(path) = self.log_path(now) else {
            return;
        };
        let text: String = lines
            .into_iter()
            .map(|(sub, sev, mnemonic, l)| self.line(now, sub, sev, mnemonic, &l))
            .collect();
        let disk = self.ctx.disk.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if std::fs::symlink_metadata(&path)
                .is_ok_and(|m| m.is_file() && m.len() > Self::MAX_LOG)
                && disk.check(&path).is_ok()
            {
                let mut old = path.clone().into_os_string();
                old.push(".1");
                let _ = std::fs::rename(&path, old);
            }
            // a log that cannot be written loses its lines, as a full disk would
            let _ = disk.append(&path, text.as_bytes());
        })
        .await;
    }

    /// The longest message kept in a log line (bytes); longer ones are cut.
    pub const MAX_MESSAGE: usize = 1024;
    /// A day's log rolls over to `….log.1` (replacing it) past this size:
    /// what peers make the emulator log stays bounded on the disk (CVP's own
    /// logs roll at 100 MB with a numeric suffix, H-old).
    pub const MAX_LOG: u64 = 8 << 20;

    /// One log line (with its CRLF), numbered; control characters in the
    /// message (a peer's user name) are written as `\uXXXX`, so a peer
    /// cannot forge lines.
    fn line(
        &self,
        now: OffsetDateTime,
        subsystem: &str,
        severity: u8,
        mnemonic: &str,
        l: &str,
    ) -> String {
        let stamp = format!(
            "{} {:02} {:04} {:02}:{:02}:{:02}.{:03} +0000",
            crate::clock::MONTH_ABBR[now.month() as usize - 1],
            now.day(),
            now.year(),
            now.hour(),
            now.minute(),
            now.second(),
            now.millisecond()
        );
        let mut msg = String::with_capacity(l.len().min(Self::MAX_MESSAGE));
        for c in l.chars() {
            if msg.len() >= Self::MAX_MESSAGE {
                msg.push('…');
                break;
            }
            if c.is_control() {
                msg.push_str(&format!("\\u{:04X}", c as u32));
            } else {
                msg.push(c);
            }
        }
        let seq = self.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        format!(
            "{seq}: {}: {stamp}: %CVP_12_5_{subsystem}-{severity}-{mnemonic}: {msg}\r\n",
            self.ctx.address
        )
    }

    /// Appends lines to the day's log (off the async workers), each in
    /// CVP's layout: `<seq>: <address>: <Mon DD YYYY HH:MM:SS.mmm +0000>:
    /// %CVP_12_5_<SUBSYSTEM>-<severity>-<MNEMONIC>: <message>` (M; the
    /// mnemonics and messages are ccelab's, L).
    pub async fn log(&self, subsystem: &str, severity: u8, mnemonic: &str, lines: Vec<String>) {
        self.log_many(
            lines
                .into_iter()
                .map(|l| (subsystem, severity, mnemonic, l))
                .collect(),
        )
        .await;
    }

    /// Starts `service` (the caller holds `ops`): it reads the disk; Err
    /// names the file and why it did not start (also in the log).
    async fn start_inner(&self, service: &'static str) -> Result<(), ProductError> {
        let (disk, profile) = (self.ctx.disk.clone(), self.config.profile);
        let wsm = service == WSM_SERVICE;
        let loaded = tokio::task::spawn_blocking(move || load_keystore(&disk, profile, wsm))
            .await
            .map_err(|e| ProductError::new(&self.ctx.name, e))?;
        let loaded = match loaded {
            Ok(l) => l,
            Err(why) => return Err(self.failed_start(service, "INFRA", why).await),
        };
        if wsm {
            if let Err(why) = &loaded.wsm {
                return Err(self.failed_start(service, "WSM", why.clone()).await);
            }
            // the listener first: a port that cannot be bound is a failed start
            if let Err(e) = self.open_wsm(&loaded).await {
                return Err(self.failed_start(service, "WSM", e.problem).await);
            }
        }
        self.set_state(service, true, Some(loaded));
        self.log(
            "INFRA",
            6,
            "SERVICE_STARTED",
            vec![format!("{} started", CvpRole::display_name(service))],
        )
        .await;
        Ok(())
    }

    /// `service` did not start: stopped (the WSM's listener closed), the
    /// log says why; the error names the service and the reason.
    async fn failed_start(
        &self,
        service: &'static str,
        subsystem: &str,
        why: String,
    ) -> ProductError {
        self.set_state(service, false, None);
        if service == WSM_SERVICE {
            self.close_wsm().await;
        }
        self.log(
            subsystem,
            1,
            "SERVICE_START_FAILED",
            vec![format!("{service} could not start: {why}")],
        )
        .await;
        ProductError::new(&self.ctx.name, format!("{service} did not start: {why}"))
    }

    fn set_state(&self, service: &str, running: bool, loaded: Option<Loaded>) {
        let mut s = self.services.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = s.iter_mut().find(|s| s.name == service) {
            s.running = running;
            s.loaded = loaded;
        }
    }

    async fn close_wsm(&self) {
        if let Some(old) = self.wsm.lock().await.take() {
            old.stop().await;
        }
    }

    async fn open_wsm(&self, loaded: &Loaded) -> Result<(), ProductError> {
        let Ok((chain, key)) = loaded.wsm.clone() else {
            return Ok(());
        };
        let c = &self.ctx;
        let site = crate::tls::SiteConfig {
            bindings: vec![crate::tls::Binding::new(
                format!("{} WebServicesManager https", c.name),
                chain,
                key,
            )],
            limits: crate::tls::Limits::TOMCAT,
            ..crate::tls::SiteConfig::default()
        };
        let handler = wsm::handler(self.me.clone());
        let mut slot = self.wsm.lock().await;
        c.listeners
            .serve_in(&mut slot, &c.name, c.address, WSM_PORT, site, handler)
            .await
    }

    /// Stops `service` (a graceful shutdown: calls complete first — the
    /// emulator carries none, so it stops at once).
    pub async fn stop_service(&self, service: &'static str) {
        let _one_at_a_time = self.ops.lock().await;
        self.stop_inner(service).await
    }

    /// [`Self::stop_service`] with the lock held by the caller.
    async fn stop_inner(&self, service: &'static str) {
        self.set_state(service, false, None);
        if service == WSM_SERVICE {
            self.close_wsm().await;
        }
        self.log(
            "INFRA",
            6,
            "SERVICE_STOPPED",
            vec![format!("{} stopped", CvpRole::display_name(service))],
        )
        .await;
    }

    /// Each service with its state.
    pub fn service_states(&self) -> Vec<(&'static str, bool)> {
        self.services
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|s| (s.name, s.running))
            .collect()
    }
}

/// A running CVP host as the deployment sees it.
pub struct CvpProduct(pub Arc<RunningCvp>);

impl Running for CvpProduct {
    fn services(&self) -> Vec<ServiceInfo> {
        let c = &self.0.ctx;
        let mut out: Vec<ServiceInfo> = self
            .0
            .service_states()
            .into_iter()
            .map(|(name, running)| ServiceInfo {
                name: name.to_string(),
                port: None,
                bound_port: None,
                state: Some(if running { "Running" } else { "Stopped" }.into()),
            })
            .collect();
        out.push(ServiceInfo {
            name: "WSM https".into(),
            port: Some(WSM_PORT),
            bound_port: c.listeners.bound(&c.name, WSM_PORT),
            state: None,
        });
        out
    }

    fn trust_edges(&self) -> ProductFuture<'_, Vec<crate::edges::TrustEdge>> {
        Box::pin(async move { wsm::aw_edge(&self.0).await.into_iter().collect() })
    }

    /// Restarts every service: each reads `security.properties` and
    /// `.keystore` again. Err names the services that did not start and why.
    fn restart(&self) -> ProductFuture<'_, Result<(), ProductError>> {
        Box::pin(async move {
            let mut failed = Vec::new();
            let _one_at_a_time = self.0.ops.lock().await;
            for name in self.0.config.role.services() {
                self.0.stop_inner(name).await;
                if let Err(e) = self.0.start_inner(name).await {
                    failed.push(e.problem);
                }
            }
            if failed.is_empty() {
                Ok(())
            } else {
                Err(ProductError::new(&self.0.ctx.name, failed.join("; ")))
            }
        })
    }

    fn set_service<'a>(
        &'a self,
        service: &'a str,
        running: bool,
    ) -> ProductFuture<'a, Result<bool, ProductError>> {
        Box::pin(async move {
            let Some(name) = self.0.service_name(service) else {
                return Ok(false);
            };
            let _one_at_a_time = self.0.ops.lock().await;
            if running {
                if !self.0.is_running(name) {
                    self.0.start_inner(name).await?;
                }
            } else {
                self.0.stop_inner(name).await;
            }
            Ok(true)
        })
    }

    fn telling_logs(&self) -> Vec<PathBuf> {
        self.0
            .log_path(self.0.ctx.clock.now().to_offset(time::UtcOffset::UTC))
            .into_iter()
            .collect()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A disk with `security.properties` (password `changeit`) and `.keystore` bytes.
    fn disk_with(store: &[u8]) -> (tempfile::TempDir, VirtualDisk) {
        let d = tempfile::tempdir().unwrap();
        let disk = VirtualDisk::new(d.path());
        let props = disk.path(SECURITY_PROPERTIES).unwrap();
        std::fs::create_dir_all(props.parent().unwrap()).unwrap();
        std::fs::write(
            &props,
            security_properties(KeystoreProfile::V125, "changeit"),
        )
        .unwrap();
        let ks = disk.path(KEYSTORE).unwrap();
        std::fs::create_dir_all(ks.parent().unwrap()).unwrap();
        std::fs::write(&ks, store).unwrap();
        (d, disk)
    }

    #[test]
    fn java_load_errors_as_the_jceks_loader_gives_them() {
        let err = |bytes: &[u8]| {
            let (_d, disk) = disk_with(bytes);
            load_keystore(&disk, KeystoreProfile::V125, false)
                .err()
                .unwrap()
        };
        assert!(err(b"").ends_with(": java.io.EOFException"));
        assert!(err(b"abc").ends_with(": java.io.EOFException"));
        assert!(err(b"not a key store at all")
            .ends_with(": java.io.IOException: Invalid keystore format"));
        // a JKS store is read by Java's JCEKS loader too
        let key = crate::pki::keypool::key(crate::pki::KeyType::EcP256, 0).unwrap();
        let p = crate::pki::CertParams::leaf(
            "CN=adsa.example.com",
            OffsetDateTime::UNIX_EPOCH,
            OffsetDateTime::UNIX_EPOCH + time::Duration::days(1),
        )
        .unwrap();
        let cert = Issued::self_signed(&p, key).unwrap().cert;
        let mut jks = Keystore::new(StoreType::Jks);
        jks.import_cert("aw_cert", cert, OffsetDateTime::UNIX_EPOCH)
            .unwrap();
        let (_d, disk) = disk_with(&jks.to_bytes("changeit", None).unwrap());
        let l = load_keystore(&disk, KeystoreProfile::V125, false).unwrap();
        assert_eq!(l.trust.unwrap().len(), 1);
        // the wrong password
        let (_d, disk) = disk_with(&jks.to_bytes("another", None).unwrap());
        assert!(load_keystore(&disk, KeystoreProfile::V125, false)
            .err()
            .unwrap()
            .ends_with("Keystore was tampered with, or password was incorrect"));
    }

    #[test]
    fn passwords_are_stable_and_look_like_the_installers() {
        let a = keystore_password("cvpa.example.com");
        assert_eq!(a.len(), 23);
        assert_eq!(a, keystore_password("cvpa.example.com"));
        assert_ne!(a, keystore_password("cvprpt.example.com"));
    }

    #[test]
    fn security_properties_round_trip_in_both_profiles() {
        let pw = "fc]@2zfe*Ufe2J,.0uM$fF";
        let v125 = security_properties(KeystoreProfile::V125, pw);
        assert_eq!(v125, format!("Security.keystorePW = {pw}\r\n"));
        assert_eq!(password_from(KeystoreProfile::V125, &v125).unwrap(), pw);
        let v1262 = security_properties(KeystoreProfile::V1262, pw);
        assert!(!v1262.contains(pw));
        assert_eq!(password_from(KeystoreProfile::V1262, &v1262).unwrap(), pw);
        assert_eq!(
            decrypt_keystore_util(KeystoreProfile::V1262, &v1262).unwrap(),
            pw
        );
        assert!(decrypt_keystore_util(KeystoreProfile::V125, &v125)
            .unwrap_err()
            .contains("is not recognized"));
        // Java Properties separators and comments
        assert_eq!(
            password_from(KeystoreProfile::V125, "# x\nSecurity.keystorePW:abc\n").unwrap(),
            "abc"
        );
        assert!(password_from(KeystoreProfile::V125, "nothing=here\n")
            .unwrap_err()
            .contains("no Security.keystorePW"));
        // a longer key is another key; the last value wins, as in Java
        assert_eq!(
            password_from(
                KeystoreProfile::V125,
                "Security.keystorePWX = no\nSecurity.keystorePW = first\nSecurity.keystorePW=last\n"
            )
            .unwrap(),
            "last"
        );
        assert!(
            password_from(KeystoreProfile::V1262, "Security.keystorePW = %%%\n")
                .unwrap_err()
                .contains("cannot be decrypted")
        );
    }
}

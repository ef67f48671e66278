//! CCE Administration's Tomcat on an ADS (docs/requirements.md §1, §6):
//! what it loads from `cacerts` when it starts (Java's trust: F1, F8, F9;
//! its own `tomcatCert` key), its startup logs, and the catalina log where
//! certificate errors appear.

use std::sync::Arc;

use crate::clock::Clock;
use crate::host::VirtualDisk;
use crate::personality::{java, Verdict};
use crate::pki::{Certificate, KeyPair};
use crate::stores::Keystore;

/// What a service of an ADS loaded: Java's trust anchors, or the verdict Java gives on any call.
pub type Trust = Result<Vec<Certificate>, Verdict>;

/// What CCE Administration's Tomcat holds from its last start.
#[derive(Clone)]
pub struct TomcatState {
    /// What `cacerts` gave Java: the trust anchors, or the verdict of any call.
    pub trust: Trust,
    /// Tomcat's HTTPS key and chain: the `tomcatCert` key entry of `cacerts`
    /// (docs/requirements.md §1), or why there is none.
    pub tls: Result<(Vec<Certificate>, Arc<KeyPair>), String>,
    /// `error.{…}.startup.log` of this start ("errors shown by CCE Administration", docs/requirements.md §6).
    pub error_log: std::path::PathBuf,
}

/// `{YYYY}-{MM}-{DD}T{hh}-{mm}-{ss}.{msec}`: the startup-log stamp of docs/requirements.md §6.
pub(crate) fn startup_stamp(t: time::OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}-{:02}-{:02}.{:03}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Tomcat's start on an ADS: load `cacerts` as Java does and open this
/// start's CCBU and error startup logs and the day's stdout/stderr logs in
/// `C:\icm\tomcat\logs` (names of docs/requirements.md §6; local server time, here
/// UTC; never rolled over). The lines written are ccelab's own.
pub fn start_tomcat(
    disk: &VirtualDisk,
    cacerts: &std::path::Path,
    logs: &std::path::Path,
    clock: &Clock,
    seq: usize,
    jre: crate::personality::jre::Jre,
) -> TomcatState {
    // a cacerts that is a link out of the disk, a FIFO or huge is not read
    let bytes = disk.read(cacerts);
    let trust = java::trust_anchors_from(jre, bytes.as_ref().ok().cloned(), None, None, None);
    let tls = bytes
        .map_err(|e| format!("{}: {e}", cacerts.display()))
        .and_then(|b| tomcat_key(cacerts, &b));
    // two starts within one second get distinct names through the milliseconds field
    let now = clock.now() + time::Duration::milliseconds(seq as i64 % 1000);
    let stamp = startup_stamp(now);
    let day = format!(
        "{:04}-{:02}-{:02}",
        now.year(),
        now.month() as u8,
        now.day()
    );
    if disk.check(logs).is_ok() {
        let _ = std::fs::create_dir_all(logs);
    }
    let anchors = match &trust {
        Ok(a) => format!("{} trusted certificates loaded from cacerts", a.len()),
        Err(v) => format!("cacerts unusable: {}", v.text),
    };
    // a log that cannot be written (a link out of the disk, a FIFO) loses its lines
    let _ = disk.append(
        &logs.join(format!("CCBU.{stamp}.startup.log")),
        format!("{stamp} CCE Administration starting; {anchors}\n").as_bytes(),
    );
    let error_log = logs.join(format!("error.{stamp}.startup.log"));
    let _ = disk.append(
        &error_log,
        match &tls {
            Ok(_) => String::new(),
            Err(e) => format!("{stamp} HTTPS connector not started: {e}\n"),
        }
        .as_bytes(),
    );
    for f in [
        format!("tomcat9-stdout.{day}.log"),
        format!("tomcat9-stderr.{day}.log"),
    ] {
        let _ = disk.append(&logs.join(f), b"");
    }
    TomcatState {
        trust,
        tls,
        error_log,
    }
}

/// The `tomcatCert` key entry of `cacerts` (password `changeit`).
fn tomcat_key(
    cacerts: &std::path::Path,
    bytes: &[u8],
) -> Result<(Vec<Certificate>, Arc<KeyPair>), String> {
    let mut ks = Keystore::load(bytes, Some(super::CACERTS_PASS))
        .map_err(|e| format!("{}: {e}", cacerts.display()))?;
    // Tomcat's connector: keystore and key password both `changeit`
    ks.unlock_keys(super::CACERTS_PASS)
        .map_err(|e| format!("{}: tomcatCert: {e}", cacerts.display()))?;
    let (key, chain) = ks
        .plain_key("tomcatcert")
        .ok_or_else(|| "no key entry tomcatCert in cacerts".to_string())?;
    let key = KeyPair::from_pkcs8_der(&key).map_err(|e| e.to_string())?;
    Ok((chain, key))
}

/// Appends Java's exception chain to the day's `catalina.YYYY-MM-DD.log`
/// in Tomcat 9's OneLineFormatter layout (the logger name
/// `com.cisco.ccbu.cce.spog.EceGadgetProxy` is invented; local server time
/// is UTC here). Returns the file and the lines.
pub fn log_catalina(
    disk: &VirtualDisk,
    now: time::OffsetDateTime,
    v: &Verdict,
) -> Result<(String, Vec<String>), String> {
    log_catalina_as(disk, now, "com.cisco.ccbu.cce.spog.EceGadgetProxy.open", v)
}

/// [`log_catalina`] for another logger and method (`class.method`; the
/// names are ccelab's).
pub fn log_catalina_as(
    disk: &VirtualDisk,
    now: time::OffsetDateTime,
    logger: &str,
    v: &Verdict,
) -> Result<(String, Vec<String>), String> {
    use crate::clock::MONTH_ABBR as M;
    let stamp = format!(
        "{:02}-{}-{} {:02}:{:02}:{:02}.{:03}",
        now.day(),
        M[now.month() as usize - 1],
        now.year(),
        now.hour(),
        now.minute(),
        now.second(),
        now.millisecond()
    );
    let chain = if v.detail.is_empty() {
        vec![v.text.clone()]
    } else {
        v.detail.clone()
    };
    let mut lines = vec![format!(
        "{stamp} SEVERE [https-jsse-nio-443-exec-1] {logger} {}",
        chain[0]
    )];
    lines.extend(chain.iter().skip(1).map(|c| format!("Caused by: {c}")));
    let dir = disk.path(super::TOMCAT_LOGS).map_err(|e| e.to_string())?;
    let file = dir.join(format!(
        "catalina.{:04}-{:02}-{:02}.log",
        now.year(),
        now.month() as u8,
        now.day()
    ));
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    disk.append(&file, text.as_bytes())
        .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok((file.display().to_string(), lines))
}

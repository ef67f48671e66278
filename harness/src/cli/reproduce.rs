//! `ccelab reproduce DIR`: a field failure rebuilt from the customer's files.

use std::path::PathBuf;

use clap::Args;

use super::Failure;
use crate::reproduce::{Options, Passwords};

/// Rebuild a customer's deployment from the files they can send without
/// secrets, with twin certificates, and run it.
#[derive(Args, Debug)]
#[command(
    long_about = "Rebuild a customer's deployment from the files they can send without \
secrets, and run it.

DIR holds what the customer sent, recognised by content (not by name): certificates \
(PEM, DER/.cer, PKCS#7 .p7b, chain files), a VOS appliance's CLI session (Finesse, CUIC, \
IdS: `show cert own tomcat` as its detail dump or PEM, `show cert list trust`), an AW's cacerts \
(JKS, JCEKS or PKCS#12, with --storepass), IIS's applicationHost.config, ECE's \
spog_config.js, CCE Administration's machine inventory (the REST API's XML or the bulk CSV: \
the name SPOG's Java calls the web server by), ECE's Partition Administration Configuration \
(partition-administrator SSO's LDAP settings, copied from the screen as `Label: value` lines \
with [ECE] 2.2's labels — LDAP URL, DN Attribute, Base, DN for LDAP Search, Password, Enable \
SSL on LDAP, Keystore Location — or as the JSON `ccelab ctl` gives; the password is never \
used) with ECE's LDAPS keystore, and a CVP server's .keystore (JCEKS) with its \
security.properties (whose Security.keystorePW opens it). Every certificate in play gets a twin: the same subject, issuer, serial, \
validity, key type and size, signature algorithm and extensions, signed by a twin CA \
hierarchy of the same shape with keys ccelab holds, so every chain, name and date check \
behaves as the original's.

OUT gets topology.toml (start it with `ccelab up --topology`), scenario.toml (run it with \
`ccelab scenario run`), twins/ (the twin certificates, the web server's key, the twinned \
stores), report.md: the files used and ignored, what the twins do not reproduce, and \
for each flow (the ECE gadget opened from each ADS; partition-administrator SSO with the \
customer's LDAP settings against a twin DC of their domain; the CVP call server reaching the \
principal AW with the customer's .keystore; CCE Administration checking the captured Finesse \
and IdS nodes with the customer's cacerts; an agent's desktop loading the Live Data gadget \
from CUIC through Finesse's tomcat-trust as listed) whether it works, the F-code of the \
failure, the texts the customer would see and the documented fix; and graph.svg, those \
flows as a picture, red where the client refuses (`ccelab graph OUT` draws the whole \
deployment).

Exit 0: the reproduction was made (whatever it found); 2: bad input (nothing usable, a \
corrupt store, a wrong password, certificates that issue each other in a loop, a file \
over 16 MiB), and nothing is written."
)]
pub(super) struct ReproduceArgs {
    /// The customer's folder.
    pub(super) dir: PathBuf,
    /// Where the reproduction goes (default: DIR's name with `-reproduction`, next to it).
    #[arg(long)]
    pub(super) out: Option<PathBuf>,
    /// When the failure happened (RFC 3339 or YYYY-MM-DD): the scenario's fixed clock, which
    /// date checks use (default: now).
    #[arg(long)]
    pub(super) at: Option<String>,
    /// A key store's password: PASS for every store, or FILE=PASS for one (repeatable; default changeit).
    #[arg(long = "storepass", value_name = "[FILE=]PASS")]
    pub(super) storepass: Vec<String>,
    /// The scenario's id (default repro-<DIR's name>).
    #[arg(long)]
    pub(super) id: Option<String>,
    /// Replace OUT if it exists (only once the new reproduction is whole).
    #[arg(long)]
    pub(super) force: bool,
    /// Replace the customer's domains, organisation, locality and state with example.* values,
    /// consistently in the twins, the stores' aliases, the files and the report, so the
    /// reproduction can be shared; the originals' thumbprints are left out.
    #[arg(long)]
    pub(super) redact: bool,
    /// The customer's AD requires LDAP signing (KB4520412), which no file they can send
    /// says: the twin DC refuses simple binds in clear text, as theirs does (F15).
    #[arg(long)]
    pub(super) ad_requires_signing: bool,
    /// The customer's CCE release (12.0, 12.5 = 12.5(1), 12.5(1a), 12.5(2), 12.6; default
    /// 12.6): the Java the twins run, so the texts of their logs (a 12.5(1) AW logs
    /// `SSLHandshakeException: sun.security.validator.ValidatorException: PKIX path building failed`).
    #[arg(long)]
    pub(super) release: Option<ccelab_emulators::personality::jre::Release>,
}

/// Runs `ccelab reproduce`.
pub(super) fn run(a: ReproduceArgs) -> Result<i32, Failure> {
    let mut passwords = Passwords::default();
    for s in &a.storepass {
        match s.split_once('=') {
            Some((f, p)) if !f.is_empty() => {
                passwords.by_file.insert(f.to_string(), p.to_string());
            }
            _ => passwords.default = s.clone(),
        }
    }
    let out = match a.out {
        Some(o) => o,
        None => {
            let abs = std::path::absolute(&a.dir).map_err(|e| Failure::file(&a.dir, e))?;
            let name = abs
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "input".into());
            abs.with_file_name(format!("{name}-reproduction"))
        }
    };
    let opts = Options {
        dir: a.dir,
        out: out.clone(),
        at: a.at,
        passwords,
        id: a.id,
        force: a.force,
        redact: a.redact,
        ad_requires_signing: a.ad_requires_signing,
        release: a.release,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new("tokio", e))?;
    let (_, findings, report) = rt
        .block_on(crate::reproduce::reproduce(&opts))
        .map_err(|e| Failure::new(e.subject, e.problem))?;
    out!("{report}");
    let failing = findings.iter().filter(|f| !f.ok).count();
    out!(
        "reproduction written to {} ({} flows, {failing} failing)",
        out.display(),
        findings.len()
    );
    Ok(0)
}

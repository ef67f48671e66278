//! `ccelab reproduce DIR`: a field failure rebuilt from the customer's own
//! files (issue 17). The files are recognised by content
//! ([`inputs`]); every certificate in play gets a twin
//! ([`ccelab_emulators::pki::twin`]) so that the customer's private keys
//! are never needed; a topology file and a scenario are written that
//! rebuild the deployment with the twins, the scenario runs the flows the
//! files describe — the ECE gadget opened from each ADS ([ECE] 4: F1, F2,
//! F7, F8, F10, F13, F24, F25 of docs/requirements.md §5), partition-
//! administrator SSO with the customer's LDAP settings against a DC of
//! their domain ([ECE] 2.1–2.2: F4, F5, F14, F15, F16), a CVP call server
//! reaching the principal AW with the customer's `.keystore` ([SEC]: F19) —
//! and a report says which F-codes fire, with the texts the customer would
//! see and the documented fix.
//!
//! Nothing is written unless everything worked: the output is made in a
//! sibling folder and renamed into place at the end.

pub mod inputs;
pub mod redact;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use ccelab_emulators::pki::twin::{Twinner, Twins};
use ccelab_emulators::pki::{Certificate, San};
use ccelab_emulators::stores::{Entry, Keystore};

pub use inputs::{Inputs, Kind, LdapSettings, Passwords};

/// A reproduction that could not be made: what it concerns (a file, an
/// option) and why.
#[derive(Debug, thiserror::Error)]
#[error("{subject}: {problem}")]
pub struct ReproduceError {
    /// The file or option.
    pub subject: String,
    /// What is wrong.
    pub problem: String,
}

impl ReproduceError {
    /// An error about the file at `path`.
    pub fn file(path: &Path, problem: impl std::fmt::Display) -> Self {
        ReproduceError {
            subject: path.display().to_string(),
            problem: problem.to_string(),
        }
    }
}

/// What `ccelab reproduce` is asked.
#[derive(Clone, Debug)]
pub struct Options {
    /// The customer's folder.
    pub dir: PathBuf,
    /// Where the reproduction goes (must not exist unless `force`).
    pub out: PathBuf,
    /// The instant the failure is reproduced at (RFC 3339 or a date); the
    /// scenario's fixed clock. Default: now.
    pub at: Option<String>,
    /// The key stores' passwords.
    pub passwords: Passwords,
    /// The scenario's id (default `repro-<folder name>`).
    pub id: Option<String>,
    /// Replace `out` if it exists.
    pub force: bool,
    /// Replace the customer's names and organisation with `example.*`
    /// values, consistently ([`redact`]).
    pub redact: bool,
    /// The customer's AD requires LDAP signing (KB4520412; no file says
    /// it): the twin DC refuses simple binds in clear text (F15).
    pub ad_requires_signing: bool,
    /// The customer's CCE release (the twins' Java, so their logs' texts;
    /// default: the topology's default, 12.6).
    pub release: Option<ccelab_emulators::personality::jre::Release>,
}

/// A flow's outcome and what it means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The flow (`open the ECE gadget from ads-a`).
    pub flow: String,
    /// Whether it worked.
    pub ok: bool,
    /// The failure mode (`F1`), when one is recognised.
    pub code: Option<&'static str>,
    /// What the user sees.
    pub shows: Vec<String>,
    /// What the products logged.
    pub logged: Vec<String>,
    /// Why, from the files.
    pub why: Option<String>,
}

/// The failure modes a reproduction can report: what the user sees and
/// the documented fix (docs/requirements.md §5).
const FAILURES: &[(&str, &str, &str)] = &[
    ("F1", "ECE web certificate (or its CA chain) not in the ADS keystore", "import the web certificate or the right CA certificates into every ADS keystore, restart ([ECE] troubleshooting, 4.1)"),
    ("F4", "LDAP settings wrong (partition-administrator SSO)", "correct the Partition Administration Configuration; raise the application server to trace level 7 and search its log for LDAP ([ECE] 2.2, troubleshooting)"),
    ("F5", "LDAP URL is not a global catalog", "an LDAP URL of a global catalog: port 3268, or 3269 with SSL, no Base ([ECE] 2.2)"),
    ("F14", "the LDAPS keystore lacks the AD certificate, or is not at the Keystore Location on every application server", "import the DC's certificate (openssl s_client, keytool -import) into the keystore at the configured location, on every application server ([ECE] 2.1)"),
    ("F15", "AD requires LDAP signing (KB4520412) and ECE binds in clear text", "Enable SSL on LDAP, the global catalog over TLS (3269), with the AD certificate in the keystore ([ECE] 2.1)"),
    ("F16", "anonymous binds not allowed and no DN for LDAP Search", "set DN for LDAP Search and its Password ([ECE] 2.2)"),
    ("F17", "a Finesse / IdS certificate not trusted by the AW, or its CN / SAN not the FQDN in the inventory", "regenerate the certificate so that its CN is the FQDN (set cert regen tomcat), import it into every ADS's cacerts (keytool -import), restart the ADS ([SEC] Finesse / IdS → AW)"),
    ("F18", "the Live Data gadget cannot load: CUIC's certificate not in Finesse's tomcat-trust (publisher → primary, subscriber → secondary), Finesse Tomcat not restarted, or the agent has not accepted the self-signed Live Data certificate", "set cert import trust tomcat on each Finesse node with its CUIC node's certificate, utils service restart Cisco Finesse Tomcat; agents accept the Live Data certificate ([SEC] Live Data)"),
    ("F19", "the principal AW's certificate not in a CVP server's .keystore", "download the AW's webadmin certificate, keytool -import -trustcacerts -keystore %CVP_HOME%\\conf\\security\\.keystore -storetype JCEKS -alias AW_cert (password from security.properties), restart the CVP services ([SEC])"),
    ("F2", "certificate name mismatch: the certificate's CN / SAN does not hold the name SPOG reaches ECE by", "CN or a SAN DNS entry must hold the FQDN entered in SPOG: re-issue the certificate ([ECE] 1.1)"),
    ("F7", "self-signed web certificate not (re-)imported on every ADS", "import the web server's current certificate on every ADS, restart ([ECE] 1, 4.1)"),
    ("F8", "CA-signed certificate, intermediate not imported (and not sent by the server)", "import the root and the intermediate CA certificates ([ECE] 4.1)"),
    ("F10", "web server added to the inventory by host name or IP address instead of its FQDN", "add the web server to the inventory by the FQDN its certificate's CN / SAN holds ([ECE] 4.3)"),
    ("F13", "spog_config.js protocol not https, or web_server_name not the FQDN used", "fix both lines of spog_config.js on every web server ([ECE] 3)"),
    ("F24", "key size too small for the client", "2048-bit keys ([ECE] 1.1)"),
    ("F25", "certificate outside its validity period", "renew the certificate ([ECE] 2.1)"),
];

/// What a failure mode is and its documented fix.
pub fn failure(code: &str) -> Option<(&'static str, &'static str)> {
    FAILURES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, what, fix)| (*what, *fix))
}

/// An ADS and the customer's store it trusts (None: the preset's `cacerts`).
#[derive(Clone, Debug)]
pub struct AdsTrust {
    /// The ADS (`ads-a`).
    pub host: String,
    /// The twinned store's file in the reproduction (`twins/cacerts`) and
    /// the customer's certificates in it.
    pub store: Option<(String, Vec<Certificate>)>,
}

/// Partition-administrator SSO as the customer set it up ([ECE] 2.1–2.2).
#[derive(Clone, Debug)]
pub struct LdapPlan {
    /// The file the settings came from.
    pub file: String,
    /// The settings as the customer has them.
    pub settings: LdapSettings,
    /// What the scenario saves (the DC's name, ccelab's keystore path and
    /// account password where the customer's cannot be used).
    pub fields: crate::actions::PartitionAdminFields,
    /// The twin DC's FQDN (its domain is the customer's).
    pub dc_fqdn: String,
    /// The LDAPS keystore among the files, and whether it holds the DC's
    /// certificate or a CA of it.
    pub keystore: Option<(String, bool)>,
}

/// A CVP server's `.keystore` as the customer's is ([SEC]).
#[derive(Clone, Debug)]
pub struct CvpPlan {
    /// The store's file.
    pub store: String,
    /// The `security.properties` whose password opened it.
    pub password_from: Option<String>,
    /// Whether it trusts the principal AW (an `AW_cert` entry).
    pub aw_cert: bool,
    /// Its aliases, for the report.
    pub aliases: Vec<String>,
}

/// The product of a VOS appliance among the files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VosRole {
    /// Cisco Finesse.
    Finesse,
    /// CUIC with Live Data.
    Cuic,
    /// Cisco Identity Service.
    Ids,
}

impl VosRole {
    /// The lab's hosts of this product, primary (publisher) first.
    fn hosts(self) -> [&'static str; 2] {
        match self {
            VosRole::Finesse => ["finesse-a", "finesse-b"],
            VosRole::Cuic => ["cuic-a", "cuic-b"],
            VosRole::Ids => ["ids-a", "ids-b"],
        }
    }

    /// Its name in the report.
    pub fn name(self) -> &'static str {
        match self {
            VosRole::Finesse => "Finesse",
            VosRole::Cuic => "CUIC",
            VosRole::Ids => "IdS",
        }
    }
}

/// A VOS appliance among the files (a capture with its `show cert own
/// tomcat`), as the reproduction has it ([SEC]; F17, F18).
#[derive(Clone, Debug)]
pub struct VosNode {
    /// The capture.
    pub file: String,
    /// Its product.
    pub role: VosRole,
    /// Its host in the lab (`finesse-a`).
    pub host: String,
    /// Its FQDN (the inventory's, else its certificate's).
    pub fqdn: String,
    /// Its tomcat certificate (the customer's).
    pub own: Certificate,
    /// How the product and name were decided.
    pub how: String,
    /// Its tomcat-trust as the capture shows it: the certificates found
    /// among the files (None: no `show cert list trust` nor `show cert
    /// trust` in the capture, the lab's own then).
    pub trust: Option<Vec<Certificate>>,
    /// `show cert list trust` entries whose certificate is none of the files.
    pub unresolved: Vec<String>,
}

/// A scenario step that is one of the flows (its outcome is a finding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// SPOG on the `n`-th ADS opens the ECE gadget.
    Gadget(usize),
    /// Partition-administrator SSO with the customer's LDAP settings.
    Sso,
    /// The CVP call server reaches the principal AW.
    CvpAw,
    /// CCE Administration checks the inventory's Finesse and IdS nodes
    /// with `cacerts` (F17).
    VosAw,
    /// The agent's desktop on the `n`-th VOS node (a Finesse one) with the
    /// Live Data gadget (F18).
    LiveData(usize),
}

/// Everything decided from the inputs, before anything is written.
#[derive(Debug)]
pub struct Prepared {
    /// The inputs.
    pub inputs: Inputs,
    /// The twins of the certificates in play.
    pub twins: Twins,
    /// The web server's certificate (the customer's), and how it was
    /// chosen; None when no file has it (ccelab's own then).
    pub web: Option<(Certificate, String)>,
    /// The name SPOG reaches ECE by, and where it comes from.
    pub ece_fqdn: (String, String),
    /// The topology clock.
    pub at: String,
    /// The files of the reproduction (relative path, bytes), topology and
    /// twins; the scenario is added after the run.
    pub files: Vec<(String, Vec<u8>)>,
    /// The topology file's tables.
    pub topology: toml::Table,
    /// The ADSs and what each trusts.
    pub ads_stores: Vec<AdsTrust>,
    /// The scenario's id.
    pub id: String,
    /// Notes for the report (assumptions made).
    pub notes: Vec<String>,
    /// The ECE web server's address in the customer's machine inventory
    /// (as entered: what SPOG's Java calls, F10) and the file it is from.
    pub inventory_web: Option<(String, String)>,
    /// With `--redact`: the rewrite of the customer's names.
    pub redactor: Option<redact::Redactor>,
    /// Partition-administrator SSO, when the LDAP settings are among the files.
    pub ldap: Option<LdapPlan>,
    /// The CVP call server's `.keystore`, when among the files.
    pub cvp: Option<CvpPlan>,
    /// The VOS appliances among the files.
    pub vos: Vec<VosNode>,
}

impl Prepared {
    /// `text` as the reproduction shows it (redacted with `--redact`).
    pub fn shown(&self, text: &str) -> String {
        match &self.redactor {
            Some(r) => r.apply(text),
            None => text.to_string(),
        }
    }
}

/// Twin `i` as a server installs it: its certificate, its key, the CA
/// certificates above it (the self-signed top last).
fn identity_pem(twins: &Twins, i: usize) -> String {
    let t = &twins.twins[i];
    let mut pem = t.cert.to_pem();
    pem.push_str(&t.key.to_pkcs8_pem());
    pem.push_str(&pem_of(&twins.intermediates(i)));
    if let Some(root) = twins.root(i).filter(|r| r.cert.der() != t.cert.der()) {
        pem.push_str(&root.cert.to_pem());
    }
    pem
}

fn pem_of(certs: &[Certificate]) -> String {
    certs.iter().map(Certificate::to_pem).collect()
}

fn describe(c: &Certificate) -> String {
    let sans: Vec<String> = c.sans().iter().map(San::to_string).collect();
    format!(
        "{} (issuer {}; {}; {} … {}{})",
        c.subject_string(),
        c.issuer_string(),
        c.key_type()
            .map(|k| k.name().to_string())
            .unwrap_or_else(|| format!("{} bits", c.key_bits().unwrap_or(0))),
        rfc3339(c.not_before()),
        rfc3339(c.not_after()),
        if sans.is_empty() {
            "; no SAN".to_string()
        } else {
            format!("; SAN {}", sans.join(", "))
        }
    )
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Reads the inputs and decides the reproduction (no file is written).
pub fn prepare(opts: &Options) -> Result<Prepared, ReproduceError> {
    let dir = &opts.dir;
    let inputs = Inputs::read(dir, &opts.passwords)?;
    // a folder called `input` is named by its parent (`northwind/input`)
    let folder = std::path::absolute(dir)
        .ok()
        .and_then(|p| {
            let n = p.file_name()?.to_string_lossy().into_owned();
            if n == "input" {
                p.parent()?
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
            } else {
                Some(n)
            }
        })
        .unwrap_or_else(|| "input".into());
    let id = opts.id.clone().unwrap_or_else(|| format!("repro-{folder}"));
    let nothing = || {
        let ignored: Vec<String> = inputs
            .ignored
            .iter()
            .map(|(n, why)| format!("{n} ({why})"))
            .collect();
        ReproduceError::file(
            dir,
            format!(
                "nothing to reproduce: no web server certificate, ECE LDAP settings, CVP .keystore or VOS `show cert own tomcat` among the files{}",
                if ignored.is_empty() {
                    String::new()
                } else {
                    format!("; ignored: {}", ignored.join("; "))
                }
            ),
        )
    };
    let at = match &opts.at {
        Some(a) => {
            ccelab_emulators::clock::parse_time(a, time::OffsetDateTime::now_utc()).map_err(
                |e| ReproduceError {
                    subject: "--at".into(),
                    problem: e,
                },
            )?;
            a.clone()
        }
        None => rfc3339(
            time::OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or_else(|_| time::OffsetDateTime::now_utc()),
        ),
    };
    ccelab_emulators::pki::twin::check_loops(&inputs.all_certificates())
        .map_err(|e| ReproduceError::file(dir, e))?;
    let mut notes = Vec::new();
    let iis = inputs.used.iter().find_map(|i| match &i.kind {
        Kind::Iis(b) => Some((i.name.clone(), b.clone())),
        _ => None,
    });
    let spog = inputs.used.iter().find_map(|i| match &i.kind {
        Kind::SpogConfig { protocol, name } => {
            Some((i.name.clone(), protocol.clone(), name.clone()))
        }
        _ => None,
    });
    // the ECE web server as the customer's inventory has it ([ECE] 4.3)
    let inventory_web = inputs.used.iter().find_map(|i| match &i.kind {
        Kind::Inventory { machines, .. } => machines
            .iter()
            .find(|m| m.machine_type.eq_ignore_ascii_case("ECE_WEB_SERVER"))
            .map(|m| (m.address.clone(), i.name.clone())),
        _ => None,
    });
    // partition-administrator SSO's settings ([ECE] 2.2)
    let ldap_in: Option<(String, LdapSettings)> = inputs.used.iter().find_map(|i| match &i.kind {
        Kind::LdapSettings(l) => Some((i.name.clone(), l.clone())),
        _ => None,
    });
    // what each store is: a CVP server's .keystore (JCEKS, or opened with
    // security.properties' password), ECE's LDAPS keystore (named by the
    // settings' Keystore Location, or holding a certificate of the LDAP
    // server), else an ADS's cacerts
    let store_role = |name: &str, store: &Keystore, from: &Option<String>| -> StoreRole {
        // a JCEKS `cacerts` holds trusted entries only; CVP's `.keystore`
        // holds the servers' own key pairs (or `AW_cert`)
        let cvp_like = store.store_type == ccelab_emulators::stores::StoreType::Jceks
            && store.entries().iter().any(|e| {
                !matches!(e.entry, Entry::Trusted(_)) || e.alias.eq_ignore_ascii_case("aw_cert")
            });
        if cvp_like || from.is_some() {
            return StoreRole::Cvp;
        }
        if let Some((_, l)) = &ldap_in {
            let last = name.rsplit('/').next().unwrap_or(name);
            let named = l.keystore_location.as_deref().is_some_and(|k| {
                k.rsplit(['\\', '/'])
                    .next()
                    .is_some_and(|f| f.eq_ignore_ascii_case(last))
            });
            let host = l.server().map(|(_, h, _)| h).unwrap_or_default();
            let holds = store
                .entries()
                .iter()
                .any(|e| e.entry.certificate().is_some_and(|c| names_host(c, &host)));
            if named || holds {
                return StoreRole::Ldaps;
            }
        }
        StoreRole::Cacerts
    };
    let vos_in = inputs
        .used
        .iter()
        .any(|i| matches!(&i.kind, Kind::Vos(v) if !v.own.is_empty()));
    let other_flows = ldap_in.is_some()
        || vos_in
        || inputs.used.iter().any(|i| match &i.kind {
            Kind::Store {
                store,
                password_from,
                ..
            } => store_role(&i.name, store, password_from) == StoreRole::Cvp,
            _ => false,
        });
    // the certificates of files (not of stores): candidates for the web server's
    let file_certs: Vec<Certificate> = inputs
        .used
        .iter()
        .filter_map(|i| match &i.kind {
            Kind::Certificates { certs, .. } => Some(certs.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    let leaves: Vec<&Certificate> = file_certs
        .iter()
        .filter(|c| c.basic_constraints_ca().is_none())
        .collect();
    let by_hash = iis.as_ref().and_then(|(n, b)| {
        let h = b.certificate_hash.as_ref()?;
        let all = inputs.all_certificates();
        let found = all.into_iter().find(|c| c.thumbprint() == *h);
        if found.is_none() {
            notes.push(format!(
                "{n} binds the certificate with thumbprint {h}, which is none of the files: the web server's certificate was chosen by name"
            ));
        }
        found.map(|c| (c, format!("the certificate {n} binds (thumbprint {h})")))
    });
    // the LDAP server's certificate is not the web server's
    let ldap_host = ldap_in
        .as_ref()
        .and_then(|(_, l)| l.server())
        .map(|(_, h, _)| h)
        .unwrap_or_default();
    // nor is a certificate a VOS appliance's tomcat-trust lists (Finesse, CUIC, IdS)
    let vos_listed: Vec<String> = inputs
        .used
        .iter()
        .flat_map(|i| match &i.kind {
            Kind::Vos(v) => v.listed_trust.clone(),
            _ => Vec::new(),
        })
        .collect();
    let leaves: Vec<&Certificate> = leaves
        .into_iter()
        .filter(|c| ldap_host.is_empty() || !names_host(c, &ldap_host))
        .filter(|c| !vos_listed.iter().any(|f| names_trust_file(c, f)))
        .collect();
    let spog_name = spog.as_ref().and_then(|(_, _, n)| n.clone());
    let web = match by_hash {
        Some(w) => Some(w),
        None => {
            let named = spog_name.as_ref().and_then(|n| {
                leaves.iter().find(|c| {
                    c.sans().contains(&San::Dns(n.clone()))
                        || c.common_name().as_deref() == Some(n.as_str())
                })
            });
            match (named, leaves.as_slice()) {
                (Some(c), _) => Some((
                    (*c).clone(),
                    "the certificate naming spog_config.js's web_server_name".to_string(),
                )),
                (None, [one]) => Some((
                    (*one).clone(),
                    "the only server certificate among the files".to_string(),
                )),
                (None, []) if other_flows => None,
                (None, []) => return Err(nothing()),
                (None, many) => {
                    let names: Vec<String> = many.iter().map(|c| c.subject_string()).collect();
                    return Err(ReproduceError::file(
                        dir,
                        format!(
                            "{} server certificates ({}) and nothing says which one IIS binds: add applicationHost.config (its binding's certificateHash) or spog_config.js",
                            many.len(),
                            names.join("; ")
                        ),
                    ));
                }
            }
        }
    };
    let web_cert: Option<Certificate> = web.as_ref().map(|w| w.0.clone());
    let is_fqdn = crate::topology::is_fqdn;
    let ece_fqdn = match &spog_name {
        Some(n) if is_fqdn(n) => (
            n.clone(),
            format!(
                "{}'s web_server_name",
                spog.as_ref().map_or("", |s| s.0.as_str())
            ),
        ),
        other => {
            let from_cert = web_cert.as_ref().and_then(|w| {
                w.sans()
                    .into_iter()
                    .find_map(|s| match s {
                        San::Dns(d) if is_fqdn(&d) => Some(d),
                        _ => None,
                    })
                    .or_else(|| w.common_name().filter(|c| is_fqdn(c)))
            });
            if let Some(n) = other {
                notes.push(format!("spog_config.js's web_server_name `{n}` is not a fully qualified name (F13 if SPOG's users reach ECE by another)"));
            }
            match from_cert {
                Some(f) => (f, "the web server certificate's name".to_string()),
                None => {
                    notes.push(if web_cert.is_some() {
                        "no fully qualified name for ECE in the files: ece.example.com is used"
                            .into()
                    } else {
                        "no web server certificate among the files: the ECE web server is ccelab's own (ece.example.com, its CA in every ADS's cacerts)".to_string()
                    });
                    (
                        "ece.example.com".to_string(),
                        "ccelab's default".to_string(),
                    )
                }
            }
        }
    };
    let all = inputs.all_certificates();
    let mut vos = vos_nodes(&inputs, &all, &mut notes);
    // the LDAP server's certificate, when a file or store has it: its twin
    // is what the twin DC presents
    let dc_cert = dc_certificate(&all, &ldap_host);
    // the certificates in play: the web certificate, the VOS appliances'
    // and their tomcat-trust's, their issuers (by name and signature),
    // and anything with the same key as one of them
    let rebuilt = inputs.rebuilt();
    let mut play: Vec<Certificate> = web_cert.iter().chain(&dc_cert).cloned().collect();
    for n in &vos {
        for c in std::iter::once(&n.own).chain(n.trust.iter().flatten()) {
            if !play.iter().any(|p| p.der() == c.der()) {
                play.push(c.clone());
            }
        }
    }
    loop {
        let before = play.len();
        let snapshot = play.clone();
        for c in &snapshot {
            for cand in &all {
                // (names as text: a dump does not keep their string types)
                let issues = cand
                    .subject_string()
                    .eq_ignore_ascii_case(&c.issuer_string())
                    && (c.is_signed_by(cand) || rebuilt.contains(c.der()));
                let same_key = cand.spki_der() == c.spki_der();
                if (issues || same_key) && !play.iter().any(|p| p.der() == cand.der()) {
                    play.push(cand.clone());
                }
            }
        }
        if play.len() == before {
            break;
        }
    }
    // the chain files' certificates that are in play, in input order, first
    let mut ordered: Vec<Certificate> = all
        .iter()
        .filter(|c| play.iter().any(|p| p.der() == c.der()))
        .cloned()
        .collect();
    if let Some(w) = &web_cert {
        ordered.retain(|c| c.der() != w.der());
        ordered.insert(0, w.clone());
    }
    let redactor = opts.redact.then(|| {
        let mut names: Vec<String> = spog_name.iter().cloned().collect();
        names.extend(vos.iter().map(|n| n.fqdn.clone()));
        names.extend(iis.as_ref().map(|(_, b)| b.host_name().to_string()));
        names.push(ece_fqdn.0.clone());
        if !ldap_host.is_empty() {
            names.push(ldap_host.clone());
        }
        // the customer's certificates only: public CAs in a store keep their names
        redact::Redactor::new(&ordered, &names)
    });
    let red = |t: &str| {
        redactor
            .as_ref()
            .map_or_else(|| t.to_string(), |r| r.apply(t))
    };
    let mut twinner = match &redactor {
        Some(r) => {
            let r = r.clone();
            Twinner::with_rename(std::sync::Arc::new(move |t: &str| r.apply(t)))
        }
        None => Twinner::new(),
    };
    // certificates rebuilt from a VOS detail dump: their issuers by name
    twinner.by_name(rebuilt.iter().cloned());
    let twins = twinner
        .twin(&ordered)
        .map_err(|e| ReproduceError::file(dir, e))?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    if let Some(web_cert) = &web_cert {
        let web_i = twins
            .twins
            .iter()
            .position(|t| {
                t.original
                    .as_ref()
                    .is_some_and(|o| o.der() == web_cert.der())
            })
            .ok_or_else(|| ReproduceError::file(dir, "the web certificate has no twin"))?;
        let web_twin = &twins.twins[web_i];
        // what IIS sends: its intermediates, when they are among the files
        let sent = twins.intermediates(web_i);
        let sent_originals: Vec<&Certificate> = twins
            .twins
            .iter()
            .filter(|t| sent.contains(&t.cert))
            .filter_map(|t| t.original.as_ref())
            .collect();
        if !web_cert.is_self_issued() {
            notes.push(if sent_originals.is_empty() {
                "the web server sends its certificate alone (no CA certificate of it among the files)".to_string()
            } else {
                format!(
                    "the web server is assumed to have {} in its Intermediate Certification Authorities store and to send it after its certificate (as importing the PFX with its chain does; F8 when it does not)",
                    sent_originals
                        .iter()
                        .map(|c| c.subject_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            });
        }
        let mut web_pem = web_twin.cert.to_pem();
        web_pem.push_str(&web_twin.key.to_pkcs8_pem());
        web_pem.push_str(&pem_of(&sent));
        files.push(("twins/ece-web.pem".into(), web_pem.into_bytes()));
    }
    if !twins.twins.is_empty() {
        let every: Vec<Certificate> = twins.twins.iter().map(|t| t.cert.clone()).collect();
        files.push(("twins/all-twins.pem".into(), pem_of(&every).into_bytes()));
    }
    // the stores, their certificates in play replaced by twins
    // (twin file, password, the customer's certificates)
    let mut stores: Vec<(String, String, Vec<Certificate>)> = Vec::new();
    let mut ldaps_store: Option<(String, Keystore)> = None;
    let mut cvp_store: Option<(String, Keystore, Option<String>)> = None;
    for i in &inputs.used {
        let Kind::Store {
            store,
            password,
            password_from,
        } = &i.kind
        else {
            continue;
        };
        match store_role(&i.name, store, password_from) {
            StoreRole::Ldaps if ldaps_store.is_none() => {
                ldaps_store = Some((i.name.clone(), store.clone()));
                continue;
            }
            StoreRole::Cvp if cvp_store.is_none() => {
                cvp_store = Some((i.name.clone(), store.clone(), password_from.clone()));
                continue;
            }
            StoreRole::Ldaps | StoreRole::Cvp => {
                notes.push(format!(
                    "{}: a second LDAPS or CVP key store, not used",
                    i.name
                ));
                continue;
            }
            StoreRole::Cacerts => {}
        }
        let mut twin_store = Keystore::new(store.store_type);
        for e in store.entries() {
            // the entry's own date (keytool -list shows it), or a fixed one
            let now = e.created.unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            match &e.entry {
                Entry::Trusted(c) => {
                    let c = twins
                        .of(c)
                        .map(|t| t.cert.clone())
                        .unwrap_or_else(|| c.clone());
                    twin_store
                        .import_cert(&red(&e.alias), c, now)
                        .map_err(|err| ReproduceError::file(&opts.dir.join(&i.name), err))?;
                }
                _ => notes.push(format!(
                    "{}: the key entry `{}` is left out (its private key is the customer's)",
                    i.name, e.alias
                )),
            }
        }
        let bytes = twin_store
            .to_bytes(password, None)
            .map_err(|err| ReproduceError::file(&opts.dir.join(&i.name), err))?;
        let name = red(&format!("twins/{}", i.name.replace('/', "_")));
        files.push((name.clone(), bytes));
        let originals = store
            .entries()
            .iter()
            .filter_map(|e| e.entry.certificate().cloned())
            .collect();
        stores.push((name, password.clone(), originals));
    }
    // the topology file
    let mut topo = toml::Table::new();
    topo.insert("preset".into(), "pcce-2000".into());
    topo.insert("clock".into(), at.clone().into());
    if let Some(r) = opts.release {
        topo.insert("release".into(), r.to_string().into());
    }
    let mut ece_web = toml::Table::new();
    if web_cert.is_some() || spog_name.as_deref().is_some_and(is_fqdn) {
        ece_web.insert("fqdn".into(), ece_fqdn.0.clone().into());
    }
    if web_cert.is_some() {
        let mut cert = toml::Table::new();
        cert.insert("file".into(), "twins/ece-web.pem".into());
        ece_web.insert("certificate".into(), cert.into());
    }
    if let Some((_, b)) = &iis {
        let mut binding = toml::Table::new();
        binding.insert("host_name".into(), b.host_name().to_string().into());
        binding.insert("require_sni".into(), (b.ssl_flags & 1 == 1).into());
        ece_web.insert("binding".into(), binding.into());
        ece_web.insert("require_ssl".into(), b.require_ssl.into());
    }
    if let Some((_, protocol, name)) = &spog {
        let mut js = toml::Table::new();
        if let Some(p) = protocol {
            js.insert("web_server_protocol".into(), p.clone().into());
        }
        if let Some(n) = name {
            js.insert("web_server_name".into(), n.clone().into());
        }
        ece_web.insert("spog_config".into(), js.into());
    }
    if !ece_web.is_empty() {
        topo.insert("ece_web".into(), ece_web.into());
    }
    // the preset's ADSs (`Topology::preset`)
    let ads_names = ["ads-a", "ads-b"];
    let mut ads_stores: Vec<AdsTrust> = ads_names
        .iter()
        .map(|a| AdsTrust {
            host: a.to_string(),
            store: None,
        })
        .collect();
    match stores.as_slice() {
        [] if web_cert.is_some() => notes.push("no cacerts among the files: every ADS trusts what ccelab's preset imports ([ECE] 4.1 done right)".into()),
        [] => {}
        [(one, pass, certs)] => {
            let mut ads = toml::Table::new();
            ads.insert("cacerts_file".into(), one.clone().into());
            ads.insert("cacerts_password".into(), pass.clone().into());
            topo.insert("ads".into(), ads.into());
            for a in &mut ads_stores {
                a.store = Some((one.clone(), certs.clone()));
            }
            notes.push(format!("{one} is every ADS's cacerts"));
        }
        many => {
            let pass = &many[0].1;
            if many.iter().any(|(_, p, _)| p != pass) {
                return Err(ReproduceError {
                    subject: "--storepass".into(),
                    problem: "the key stores have different passwords; ccelab's ADSs read every cacerts with one".into(),
                });
            }
            let mut per = toml::Table::new();
            for (a, (s, _, certs)) in ads_stores.iter_mut().zip(many.iter()) {
                per.insert(a.host.clone(), s.clone().into());
                a.store = Some((s.clone(), certs.clone()));
                notes.push(format!("{s} is {}'s cacerts (stores go to ads-a, ads-b in file-name order)", a.host));
            }
            if many.len() > ads_names.len() {
                notes.push(format!(
                    "{} stores but {} ADSs: the others are not used",
                    many.len(),
                    ads_names.len()
                ));
            }
            let mut ads = toml::Table::new();
            ads.insert("cacerts_password".into(), pass.clone().into());
            ads.insert("cacerts_files".into(), per.into());
            topo.insert("ads".into(), ads.into());
        }
    }
    let all_certs = inputs.all_certificates();
    let ldap = match ldap_in {
        Some((file, settings)) => Some(ldap_plan(
            LdapInput {
                file,
                settings,
                keystore: ldaps_store,
                all: &all_certs,
                twins: &twins,
                signing: opts.ad_requires_signing,
                red: &red,
                redacting: opts.redact,
            },
            &mut topo,
            &mut files,
            &mut notes,
        )?),
        None => None,
    };
    let cvp = cvp_store.map(|(store, ks, password_from)| {
        let aliases: Vec<String> = ks.entries().iter().map(|e| e.alias.clone()).collect();
        let aw_cert = aliases.iter().any(|a| a.eq_ignore_ascii_case("aw_cert"));
        let mut t = toml::Table::new();
        t.insert("aw_cert".into(), aw_cert.into());
        topo.insert("cvp".into(), t.into());
        notes.push(format!(
            "{store} is the CVP call server's .keystore{}: it {} the principal AW (an `AW_cert` entry, [SEC]'s alias); ccelab's CVP servers keep their own keys and trust ccelab's AW certificate or not as it does",
            password_from
                .as_ref()
                .map(|f| format!(" (opened with {f}'s Security.keystorePW)"))
                .unwrap_or_default(),
            if aw_cert { "trusts" } else { "does not trust" }
        ));
        CvpPlan {
            store,
            password_from,
            aw_cert,
            aliases,
        }
    });
    if cvp.is_none() {
        if let Some(i) = inputs
            .used
            .iter()
            .find(|i| matches!(i.kind, Kind::CvpSecurity { .. }))
        {
            notes.push(format!(
                "{}: CVP's security.properties without the .keystore it opens: nothing to check",
                i.name
            ));
        }
    }
    vos_files(&mut vos, &twins, &red, &mut topo, &mut files, &mut notes)?;
    if vos.iter().any(|n| n.role != VosRole::Cuic) && !ads_stores.iter().any(|a| a.store.is_some())
    {
        notes.push("no cacerts among the files: CCE Administration's calls to Finesse and IdS (F17) are not checked".into());
    }
    let text = toml::to_string(&topo).map_err(|e| ReproduceError::file(dir, e))?;
    files.push((
        "topology.toml".into(),
        red(&format!(
            "# The deployment of {folder}, rebuilt by `ccelab reproduce` with twin certificates.\n# Start it: ccelab up --topology topology.toml\n{text}"
        ))
        .into_bytes(),
    ));
    let p = Prepared {
        inputs,
        twins,
        web,
        ece_fqdn,
        at,
        files,
        topology: topo,
        ads_stores,
        id,
        notes,
        redactor,
        inventory_web,
        ldap,
        cvp,
        vos,
    };
    if !plan(&p).iter().any(|s| s.flow.is_some()) {
        return Err(ReproduceError::file(
            dir,
            format!(
                "nothing to reproduce: no flow can be run from these files ({})",
                p.notes.join("; ")
            ),
        ));
    }
    Ok(p)
}

/// `name` as VOS names a tomcat-trust file: spaces and characters other
/// than letters, digits, `.`, `-` and `_` as `_` (docs/research/vos-cli.md §6).
fn vos_file_stem(cn: &str) -> String {
    cn.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Whether `c` is the certificate of the tomcat-trust file `file`:
/// `<CN>.pem` (12.x) or `<CN>_<serial>.pem` (14SU1 on).
fn names_trust_file(c: &Certificate, file: &str) -> bool {
    let stem = file.strip_suffix(".pem").unwrap_or(file);
    let Some(cn) = c.common_name() else {
        return false;
    };
    let cn = vos_file_stem(&cn);
    let serial = c.serial_hex().replace(':', "").to_ascii_lowercase();
    stem.eq_ignore_ascii_case(&cn) || stem.eq_ignore_ascii_case(&format!("{cn}_{serial}"))
}

/// The VOS appliances of the captures: each one's product (the machine
/// inventory's type for the name its certificate holds, else the name),
/// its host in the lab and FQDN, and its tomcat-trust as far as the files
/// have the certificates listed.
fn vos_nodes(inputs: &Inputs, all: &[Certificate], notes: &mut Vec<String>) -> Vec<VosNode> {
    use ccelab_emulators::cce_admin::inventory::{FINESSE, IDS};
    let machines: Vec<&ccelab_emulators::cce_admin::inventory::NewMachine> = inputs
        .used
        .iter()
        .flat_map(|i| match &i.kind {
            Kind::Inventory { machines, .. } => machines.iter().collect(),
            _ => Vec::new(),
        })
        .collect();
    let label = |n: &str| n.split('.').next().unwrap_or(n).to_ascii_lowercase();
    let mut out: Vec<VosNode> = Vec::new();
    for i in &inputs.used {
        let Kind::Vos(v) = &i.kind else { continue };
        let Some(own) = v.own.first() else {
            if v.has_trust_list || !v.trust.is_empty() {
                notes.push(format!(
                    "{}: a tomcat-trust without `show cert own tomcat` in the same capture: whose it is cannot be told (add the appliance's own certificate to the capture)",
                    i.name
                ));
            }
            continue;
        };
        let mut names: Vec<String> = own
            .sans()
            .into_iter()
            .filter_map(|s| match s {
                San::Dns(d) => Some(d.to_ascii_lowercase()),
                San::Ip(_) => None,
            })
            .collect();
        names.extend(own.common_name().map(|c| c.to_ascii_lowercase()));
        let in_inventory = machines.iter().find(|m| {
            let t = m.machine_type.to_ascii_uppercase();
            (t == FINESSE || t == IDS)
                && names
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(&m.address) || label(n) == label(&m.address))
        });
        let first = names.last().cloned().unwrap_or_default();
        let (role, how) = match in_inventory {
            Some(m) => (
                if m.machine_type.eq_ignore_ascii_case(FINESSE) {
                    VosRole::Finesse
                } else {
                    VosRole::Ids
                },
                format!("the inventory's {} machine `{}`", m.machine_type, m.address),
            ),
            None => {
                let l = label(&first);
                let guess = if l.contains("finesse") || l.starts_with("fin") {
                    Some(VosRole::Finesse)
                } else if l.contains("cuic") || l.contains("livedata") {
                    Some(VosRole::Cuic)
                } else if l.contains("ids") {
                    Some(VosRole::Ids)
                } else {
                    None
                };
                let Some(r) = guess else {
                    notes.push(format!(
                        "{}: the appliance `{first}` is in no machine inventory among the files and its name does not say Finesse, CUIC or IdS: not used",
                        i.name
                    ));
                    continue;
                };
                (
                    r,
                    format!("its name `{first}` (in no machine inventory among the files)"),
                )
            }
        };
        let fqdn = match in_inventory {
            Some(m) if crate::topology::is_fqdn(&m.address) => m.address.to_ascii_lowercase(),
            _ => match names.iter().find(|n| crate::topology::is_fqdn(n)) {
                Some(f) => f.clone(),
                None => {
                    notes.push(format!(
                        "{}: no fully qualified name for `{first}` (neither in the inventory nor in its certificate): not used",
                        i.name
                    ));
                    continue;
                }
            },
        };
        if let Some(same) = out
            .iter()
            .find(|n| n.fqdn == fqdn || n.own.der() == own.der())
        {
            notes.push(format!(
                "{}: the same appliance as {} ({}): not used again",
                i.name, same.file, same.fqdn
            ));
            continue;
        }
        let Some(host) = role
            .hosts()
            .into_iter()
            .find(|h| !out.iter().any(|n| n.host == *h))
        else {
            notes.push(format!(
                "{}: a third {} node: the lab has two, not used",
                i.name,
                role.name()
            ));
            continue;
        };
        // the tomcat-trust: what `show cert trust` printed, and the
        // certificates among the files that `show cert list trust` names
        let mut unresolved = Vec::new();
        let trust = (v.has_trust_list || !v.trust.is_empty()).then(|| {
            let mut t: Vec<Certificate> = v.trust.clone();
            for f in &v.listed_trust {
                let found: Vec<&Certificate> =
                    all.iter().filter(|c| names_trust_file(c, f)).collect();
                if found.is_empty() && !t.iter().any(|c| names_trust_file(c, f)) {
                    unresolved.push(f.clone());
                }
                for c in found {
                    if !t.iter().any(|x| x.der() == c.der()) {
                        t.push(c.clone());
                    }
                }
            }
            t
        });
        out.push(VosNode {
            file: i.name.clone(),
            role,
            host: host.to_string(),
            fqdn,
            own: own.clone(),
            how,
            trust,
            unresolved,
        });
    }
    out
}

/// The VOS appliances' twins in the reproduction: `twins/<host>.pem`
/// (the tomcat certificate, its key and CA certificates) and
/// `twins/<host>-trust.pem` (its tomcat-trust), in `[hosts.<host>]`.
fn vos_files(
    vos: &mut [VosNode],
    twins: &Twins,
    red: &dyn Fn(&str) -> String,
    topo: &mut toml::Table,
    files: &mut Vec<(String, Vec<u8>)>,
    notes: &mut Vec<String>,
) -> Result<(), ReproduceError> {
    for n in vos.iter() {
        let Some(i) = twins
            .twins
            .iter()
            .position(|t| t.original.as_ref().is_some_and(|o| o.der() == n.own.der()))
        else {
            continue;
        };
        let own_file = format!("twins/{}.pem", n.host);
        files.push((own_file.clone(), identity_pem(twins, i).into_bytes()));
        let mut h = toml::Table::new();
        h.insert("fqdn".into(), red(&n.fqdn).into());
        h.insert("tomcat".into(), own_file.into());
        if let Some(trust) = &n.trust {
            let twinned: Vec<Certificate> = trust
                .iter()
                .filter_map(|c| twins.of(c).map(|t| t.cert.clone()))
                .collect();
            let mut list = toml::value::Array::new();
            if !twinned.is_empty() {
                let f = format!("twins/{}-trust.pem", n.host);
                files.push((f.clone(), pem_of(&twinned).into_bytes()));
                list.push(f.into());
            }
            h.insert("tomcat_trust".into(), list.into());
            if !n.unresolved.is_empty() {
                notes.push(format!(
                    "{} ({}): {} of its tomcat-trust ({}) are none of the files: the twin's tomcat-trust leaves them out",
                    n.host,
                    red(&n.fqdn),
                    n.unresolved.len(),
                    n.unresolved.iter().map(|u| red(u)).collect::<Vec<_>>().join(", ")
                ));
            }
        } else {
            notes.push(format!(
                "{} ({}): no `show cert list trust` in {}: its tomcat-trust is what ccelab's preset puts there",
                n.host,
                red(&n.fqdn),
                n.file
            ));
        }
        notes.push(format!(
            "{} is the {} node `{}` ({}; from {})",
            n.host,
            n.role.name(),
            red(&n.fqdn),
            red(&n.how),
            n.file
        ));
        let pair = if n.host == "finesse-a" {
            "cuic-a"
        } else {
            "cuic-b"
        };
        if n.role == VosRole::Finesse && !vos.iter().any(|c| c.host == pair) {
            notes.push(format!(
                "{}: no {} CUIC node among the files (its Live Data comes from {pair}): its Live Data gadget is not checked",
                n.host,
                if pair == "cuic-a" { "first (publisher)" } else { "second (subscriber)" }
            ));
        }
        let hosts = topo
            .entry("hosts")
            .or_insert_with(|| toml::Table::new().into());
        if let Some(t) = hosts.as_table_mut() {
            t.insert(n.host.clone(), h.into());
        }
    }
    Ok(())
}

/// What a key store among the files is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StoreRole {
    /// An ADS's `cacerts`.
    Cacerts,
    /// ECE's LDAPS keystore ([ECE] 2.1).
    Ldaps,
    /// A CVP server's `.keystore` ([SEC]).
    Cvp,
}

/// Whether `c` names `host` (its CN or a SAN DNS name, case-insensitively).
fn names_host(c: &Certificate, host: &str) -> bool {
    !host.is_empty()
        && (c
            .common_name()
            .is_some_and(|n| n.eq_ignore_ascii_case(host))
            || c.sans()
                .iter()
                .any(|s| matches!(s, San::Dns(d) if d.eq_ignore_ascii_case(host))))
}

/// What [`ldap_plan`] reads.
struct LdapInput<'a> {
    file: String,
    settings: LdapSettings,
    keystore: Option<(String, Keystore)>,
    all: &'a [Certificate],
    /// The twins (the DC's certificate's among them when a file has it).
    twins: &'a Twins,
    signing: bool,
    /// `--redact`'s rewrite (the identity without it).
    red: &'a dyn Fn(&str) -> String,
    /// `--redact` given.
    redacting: bool,
}

/// The certificate of the LDAP server `host` among `all`: a server
/// certificate naming it first (a self-signed one made by `openssl req
/// -x509` says CA:TRUE), else any naming it.
fn dc_certificate(all: &[Certificate], host: &str) -> Option<Certificate> {
    if host.is_empty() {
        return None;
    }
    all.iter()
        .find(|c| c.basic_constraints_ca().is_none() && names_host(c, host))
        .or_else(|| all.iter().find(|c| names_host(c, host)))
        .cloned()
}

/// The DC ccelab's preset has.
const PRESET_DC: &str = "gcdcsrv01.example.local";

/// The `DC=` components of a DN, as a DNS domain (`DC=a, DC=b` → `a.b`).
fn dn_domain(dn: &str) -> Option<String> {
    let dcs: Vec<String> = dn
        .split(',')
        .filter_map(|r| {
            let (k, v) = r.trim().split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("DC")
                .then(|| v.trim().to_ascii_lowercase())
        })
        .collect();
    (dcs.len() >= 2).then(|| dcs.join("."))
}

/// The SSO flow's plan: the twin DC named as the LDAP URL names it (its
/// domain the customer's), the DN for LDAP Search made in its directory
/// when the example forest lacks it (the password is never among the
/// files: ccelab's is used, assumed right), the LDAPS keystore's verdict.
fn ldap_plan(
    input: LdapInput<'_>,
    topo: &mut toml::Table,
    files: &mut Vec<(String, Vec<u8>)>,
    notes: &mut Vec<String>,
) -> Result<LdapPlan, ReproduceError> {
    use ccelab_emulators::ad_dc::{Directory, EXAMPLE_PASSWORD};
    let LdapInput {
        file,
        settings,
        keystore,
        all,
        twins,
        signing,
        red,
        redacting,
    } = input;
    let (scheme, host, _port) = settings.server().ok_or_else(|| ReproduceError {
        subject: file.clone(),
        problem: format!("LDAP URL `{}` cannot be read", settings.ldap_url),
    })?;
    let is_ip = host
        .trim_matches(['[', ']'])
        .parse::<std::net::IpAddr>()
        .is_ok();
    let labels = host.split('.').count();
    let search = settings.search_dn.clone().unwrap_or_default();
    let upn_domain = search
        .split_once('@')
        .filter(|_| !search.contains('='))
        .map(|(_, d)| d.to_ascii_lowercase());
    let dc_fqdn = if !is_ip && labels >= 3 && crate::topology::is_fqdn(&host) {
        host.to_ascii_lowercase()
    } else {
        let domain = settings
            .base
            .as_deref()
            .and_then(dn_domain)
            .or_else(|| dn_domain(&search))
            .or(upn_domain.clone())
            .or_else(|| (!is_ip && labels == 2).then(|| host.to_ascii_lowercase()));
        let dc = domain.map_or_else(|| PRESET_DC.to_string(), |d| format!("dc01.{d}"));
        notes.push(format!(
            "the LDAP URL names `{host}`, not a DC's fully qualified name: the twin DC is `{dc}` and the URL is saved with that name"
        ));
        dc
    };
    let ldap_url = if dc_fqdn.eq_ignore_ascii_case(&host) {
        settings.ldap_url.clone()
    } else {
        settings.ldap_url.replacen(&host, &dc_fqdn, 1)
    };
    let domain = dc_fqdn.split_once('.').map_or("", |(_, d)| d);
    if dc_fqdn != PRESET_DC {
        let hosts = topo
            .entry("hosts")
            .or_insert_with(|| toml::Table::new().into());
        if let Some(h) = hosts.as_table_mut() {
            let mut dc = toml::Table::new();
            dc.insert("fqdn".into(), dc_fqdn.clone().into());
            h.insert("dc".into(), dc.into());
        }
    }
    let dir = Directory::example_for(&dc_fqdn).map_err(|e| ReproduceError {
        subject: file.clone(),
        problem: format!("the LDAP server `{dc_fqdn}`: {e}"),
    })?;
    // the account of DN for LDAP Search, in the twin directory
    let mut ldif = String::new();
    if !search.trim().is_empty() {
        let domain_dn = dir.domain_dn().to_string();
        if let Some(d) = &upn_domain {
            let exists = dir.entries().iter().any(|e| {
                e.text("userPrincipalName")
                    .is_some_and(|u| u.eq_ignore_ascii_case(&search))
            });
            if !exists && d == domain {
                let local = search.split('@').next().unwrap_or_default();
                let _ = write!(
                    ldif,
                    "dn: CN={local},CN=Users,{domain_dn}\nobjectClass: user\ncn: {local}\nsAMAccountName: {local}\nuserPrincipalName: {search}\nuserAccountControl: 512\nuserPassword: {EXAMPLE_PASSWORD}\n\n"
                );
            }
        } else if dir.entry(&search).is_none() {
            let rdns: Vec<String> = search.split(',').map(|r| r.trim().to_string()).collect();
            let in_domain = dn_domain(&search).as_deref() == Some(domain)
                && !search.contains('\\')
                && rdns.iter().all(|r| r.contains('='));
            if in_domain {
                // the containers from the domain down, then the account
                let dcs = rdns
                    .iter()
                    .rev()
                    .take_while(|r| r.to_ascii_uppercase().starts_with("DC="))
                    .count();
                let above = rdns.len() - dcs;
                for k in (1..above).rev() {
                    let dn = rdns[k..].join(",");
                    if dir.entry(&dn).is_some() {
                        continue;
                    }
                    let (attr, value) = rdns[k].split_once('=').unwrap_or_default();
                    let _ = if attr.trim().eq_ignore_ascii_case("OU") {
                        write!(
                            ldif,
                            "dn: {dn}\nobjectClass: organizationalUnit\nou: {}\n\n",
                            value.trim()
                        )
                    } else {
                        write!(
                            ldif,
                            "dn: {dn}\nobjectClass: container\ncn: {}\n\n",
                            value.trim()
                        )
                    };
                }
                let cn = rdns[0].split_once('=').map_or("", |(_, v)| v.trim());
                let sam: String = cn.chars().filter(|c| !c.is_whitespace()).take(20).collect();
                let _ = write!(
                    ldif,
                    "dn: {}\nobjectClass: user\ncn: {cn}\nsAMAccountName: {sam}\nuserPrincipalName: {sam}@{domain}\nuserAccountControl: 512\nuserPassword: {EXAMPLE_PASSWORD}\n\n",
                    rdns.join(",")
                );
            } else {
                notes.push(format!(
                    "DN for LDAP Search `{search}` is not in the DC's domain {domain}: the twin directory has no such account (the bind fails as AD's would: data 52e)"
                ));
            }
        }
    }
    let mut ad = toml::Table::new();
    if !ldif.is_empty() {
        let mut check = dir.clone();
        check.add_ldif(&ldif).map_err(|e| ReproduceError {
            subject: file.clone(),
            problem: format!("DN for LDAP Search `{search}`: {e}"),
        })?;
        files.push(("ad.ldif".into(), red(&ldif).into_bytes()));
        ad.insert("ldif".into(), "ad.ldif".into());
        notes.push(format!(
            "the twin directory gets the account of DN for LDAP Search `{search}` (ad.ldif)"
        ));
    }
    if signing {
        ad.insert("require_signing".into(), true.into());
        notes.push(
            "the customer's AD requires LDAP signing (--ad-requires-signing; KB4520412)".into(),
        );
    } else if settings.enable_ssl != Some(true) && scheme == "ldap" {
        notes.push("ECE binds in clear text: if the customer's AD requires LDAP signing (KB4520412), it fails as F15 (--ad-requires-signing reproduces that)".into());
    }
    // the DC presents the twin of the customer's DC certificate
    let dc_twin = dc_certificate(all, &host).and_then(|c| {
        twins
            .twins
            .iter()
            .position(|t| t.original.as_ref().is_some_and(|o| o.der() == c.der()))
    });
    if let Some(i) = dc_twin {
        let t = &twins.twins[i];
        files.push(("twins/dc.pem".into(), identity_pem(twins, i).into_bytes()));
        ad.insert("certificate".into(), "twins/dc.pem".into());
        notes.push(format!(
            "the twin DC presents the twin of {} (from the files)",
            red(&t
                .original
                .as_ref()
                .map(|o| o.subject_string())
                .unwrap_or_default())
        ));
    }
    if !ad.is_empty() {
        topo.insert("ad_dc".into(), ad.into());
    }
    if !search.trim().is_empty() {
        notes.push(format!(
            "the password of `{search}` is {}: ccelab's is used, assumed right",
            if settings.password_given {
                "in the settings but not used"
            } else {
                "not among the files"
            }
        ));
    }
    // the LDAPS keystore ([ECE] 2.1)
    let ssl = settings.enable_ssl.unwrap_or(scheme == "ldaps");
    let location = settings.keystore_location.clone().unwrap_or_default();
    let mut keystore_verdict = None;
    let mut keystore_location = None;
    if ssl {
        if location.trim().is_empty() {
            keystore_location = Some(String::new());
        } else {
            keystore_location = Some(ccelab_emulators::ece::ECE_LDAP_KEYSTORE.to_string());
            if !location.eq_ignore_ascii_case(ccelab_emulators::ece::ECE_LDAP_KEYSTORE) {
                notes.push(format!(
                    "Keystore Location `{location}` is taken to be where the keystore is on every application server (ccelab's is {})",
                    ccelab_emulators::ece::ECE_LDAP_KEYSTORE
                ));
            }
        }
        let with = match &keystore {
            Some((name, ks)) => {
                let trusted: Vec<&Certificate> = ks
                    .entries()
                    .iter()
                    .filter_map(|e| e.entry.certificate())
                    .collect();
                let dc_cert = dc_certificate(all, &host);
                let with = match &dc_cert {
                    Some(dc) => {
                        // the DC's certificate or any CA above it
                        let mut chain = vec![dc.clone()];
                        while let Some(up) = chain.last().and_then(|c| {
                            all.iter().find(|a| {
                                ccelab_emulators::pki::dn::to_der(a.subject())
                                    == ccelab_emulators::pki::dn::to_der(c.issuer())
                                    && c.is_signed_by(a)
                                    && !chain.iter().any(|x| x.der() == a.der())
                            })
                        }) {
                            chain.push(up.clone());
                        }
                        chain
                            .iter()
                            .any(|c| trusted.iter().any(|t| t.der() == c.der()))
                    }
                    None => {
                        notes.push(format!(
                            "{name}: no certificate of `{host}` among the files, so its {} trusted certificate(s) are taken to include the DC's",
                            trusted.len()
                        ));
                        !trusted.is_empty()
                    }
                };
                notes.push(format!(
                    "{name} is ECE's LDAPS keystore: it {} the DC's certificate{}",
                    if with { "holds" } else { "does not hold" },
                    if dc_cert.is_some() {
                        " (or a CA of it)"
                    } else {
                        ""
                    }
                ));
                keystore_verdict = Some((name.clone(), with));
                with
            }
            None => {
                notes.push("ECE's LDAPS keystore is not among the files: it is taken to hold the DC's certificate ([ECE] 2.1 done)".into());
                true
            }
        };
        let mut app = toml::Table::new();
        app.insert(
            "keystore".into(),
            // with-dc holds the DC's certificate ccelab serves (the twin, when there is one)
            if with && (dc_twin.is_none() || keystore.is_none()) {
                "with-dc"
            } else {
                "without-dc"
            }
            .into(),
        );
        if let (Some((_, ks)), Some(_)) = (&keystore, dc_twin) {
            // the customer's keystore, its certificates in play as twins:
            // Java's verdict on the twin DC's certificate is the original's
            let mut left_out = 0;
            let certs: Vec<Certificate> = ks
                .entries()
                .iter()
                .filter_map(|e| e.entry.certificate())
                .filter_map(|c| match twins.of(c) {
                    Some(t) => Some(t.cert.clone()),
                    None if redacting => {
                        left_out += 1;
                        None
                    }
                    None => Some(c.clone()),
                })
                .collect();
            if left_out > 0 {
                notes.push(format!(
                    "with --redact the LDAPS keystore's {left_out} certificate(s) not of the DC's chain are left out (they name the customer)"
                ));
            }
            if !certs.is_empty() {
                files.push(("ldaps-keystore.pem".into(), pem_of(&certs).into_bytes()));
                app.insert("keystore_also".into(), "ldaps-keystore.pem".into());
            }
        } else if let (Some((_, ks)), false) = (&keystore, with) {
            // the store's other certificates (not the DC's: ccelab's DC has its own)
            let others: Vec<Certificate> = ks
                .entries()
                .iter()
                .filter_map(|e| e.entry.certificate().cloned())
                .collect();
            // with --redact the customer's certificates are not written
            if !others.is_empty() && redacting {
                notes.push(format!(
                    "with --redact the LDAPS keystore's {} certificate(s) are left out (they name the customer): Java finds it empty",
                    others.len()
                ));
            } else if !others.is_empty() {
                files.push(("ldaps-keystore.pem".into(), pem_of(&others).into_bytes()));
                app.insert("keystore_also".into(), "ldaps-keystore.pem".into());
            }
        }
        topo.insert("ece_app".into(), app.into());
    }
    let fields = crate::actions::PartitionAdminFields {
        ldap_url: Some(ldap_url),
        dn_attribute: settings.dn_attribute.clone(),
        base: Some(settings.base.clone().unwrap_or_default()),
        search_dn: Some(search.clone()),
        password: (!search.trim().is_empty()).then(|| EXAMPLE_PASSWORD.to_string()),
        enable_ssl: Some(ssl),
        keystore_location,
    };
    Ok(LdapPlan {
        file,
        settings,
        fields,
        dc_fqdn,
        keystore: keystore_verdict,
    })
}

fn quote(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// One step of the reproduction's scenario: its TOML (without an
/// expectation) and the flow it is, when it is one.
#[derive(Clone, Debug)]
pub struct Planned {
    /// `[[step]]` … lines.
    pub toml: String,
    /// The flow whose outcome this step's is.
    pub flow: Option<Flow>,
}

/// The scenario's steps: the inventory's name for the web server, the
/// gadget opened from each ADS (when the files concern the web server),
/// partition-administrator SSO at trace level 7 with the customer's LDAP
/// settings, the CVP call server reaching the AW.
pub fn plan(p: &Prepared) -> Vec<Planned> {
    let mut out = Vec::new();
    let mut step = |toml: String, flow: Option<Flow>| out.push(Planned { toml, flow });
    if let Some((address, file)) = &p.inventory_web {
        step(
            format!(
                "[[step]]\ndo = \"inventory-web-server\"\nname = {}\nnote = {}\n",
                quote(address),
                quote(&format!(
                    "the ECE web server as the customer's inventory ({file}) has it: the name SPOG's Java calls"
                ))
            ),
            None,
        );
    }
    let other = p.ldap.is_some() || p.cvp.is_some() || !p.vos.is_empty();
    let gadget = p.web.is_some() || !other;
    if gadget {
        for (i, AdsTrust { host: ads, store }) in p.ads_stores.iter().enumerate() {
            step(
                format!(
                    "[[step]]\ndo = \"open-gadget\"\nads = {}\nnote = {}\n",
                    quote(ads),
                    quote(&format!(
                        "SPOG on {ads} opens the Email and Chat gadget: Java with {} as trust reaches ECE at {}",
                        store.as_ref().map_or("the preset's cacerts", |(f, _)| f.as_str()),
                        p.inventory_web.as_ref().map_or(&p.ece_fqdn.0, |(a, _)| a)
                    ))
                ),
                Some(Flow::Gadget(i)),
            );
        }
    }
    if let Some(l) = &p.ldap {
        step(
            "[[step]]\ndo = \"trace-level\"\nlevel = 7\nminutes = 60\nnote = \"[ECE] troubleshooting: the application server at trace level 7 (Debug) logs LDAP's exception\"\n".into(),
            None,
        );
        let mut fields = toml::Table::new();
        fields.insert("do".into(), "partition-admin".into());
        let f = &l.fields;
        for (k, v) in [
            ("ldap_url", &f.ldap_url),
            ("dn_attribute", &f.dn_attribute),
            ("base", &f.base),
            ("search_dn", &f.search_dn),
            ("password", &f.password),
            ("keystore_location", &f.keystore_location),
        ] {
            if let Some(v) = v {
                fields.insert(k.into(), v.clone().into());
            }
        }
        if let Some(b) = f.enable_ssl {
            fields.insert("enable_ssl".into(), b.into());
        }
        fields.insert(
            "note".into(),
            format!(
                "the customer's Partition Administration Configuration ({})",
                l.file
            )
            .into(),
        );
        let body = toml::to_string(&fields).unwrap_or_default();
        step(format!("[[step]]\n{body}"), None);
        step(
            format!(
                "[[step]]\ndo = \"open-gadget\"\nads = \"ads-a\"\nnote = {}\n",
                quote(&format!(
                    "partition-administrator SSO: ECE's application server binds to {} and finds the SPOG administrator",
                    l.dc_fqdn
                ))
            ),
            Some(Flow::Sso),
        );
    }
    if let Some(c) = &p.cvp {
        step(
            format!(
                "[[step]]\ndo = \"cvp-orm\"\nhost = \"cvp-a\"\nnote = {}\n",
                quote(&format!(
                    "the call server checks the administrator's credentials with the principal AW over HTTPS, trusting its .keystore ({})",
                    c.store
                ))
            ),
            Some(Flow::CvpAw),
        );
    }
    let checked: Vec<&VosNode> = p.vos.iter().filter(|n| n.role != VosRole::Cuic).collect();
    if !checked.is_empty() && p.ads_stores.first().is_some_and(|a| a.store.is_some()) {
        step(
            format!(
                "[[step]]\ndo = \"inventory-status\"\nads = \"ads-a\"\nmachines = [{}]\nnote = {}\n",
                checked
                    .iter()
                    .map(|n| quote(&n.fqdn))
                    .collect::<Vec<_>>()
                    .join(", "),
                quote(&format!(
                    "CCE Administration on ads-a checks the inventory's Finesse and IdS nodes ({}) over HTTPS with its cacerts",
                    checked.iter().map(|n| p.shown(&n.fqdn)).collect::<Vec<_>>().join(", ")
                ))
            ),
            Some(Flow::VosAw),
        );
    }
    let ports = {
        let (web, socket) = ccelab_emulators::cuic::LiveDataProfile::V125.ports();
        [web, socket]
    };
    for (i, n) in p.vos.iter().enumerate() {
        if n.role != VosRole::Finesse {
            continue;
        }
        // the primary shows the publisher's Live Data, the secondary the subscriber's
        let pair = if n.host == "finesse-a" {
            "cuic-a"
        } else {
            "cuic-b"
        };
        let Some(cuic) = p.vos.iter().find(|c| c.host == pair) else {
            // (the report's notes say which nodes the files give)
            continue;
        };
        // the desktop's own certificate first (Finesse, 8445), then Live Data's
        let warnings =
            std::iter::once((n.host.as_str(), 8445)).chain(ports.iter().map(|&p| (pair, p)));
        for (k, (host, port)) in warnings.enumerate() {
            step(
                format!(
                    "[[step]]\ndo = \"accept-certificate\"\nhost = \"{host}\"\nport = {port}\n{}",
                    if k == 0 {
                        format!(
                            "note = {}\n",
                            quote("assumed: the agent accepted the desktop's and the Live Data certificates at the browser's warnings (a browser's state is in no file)")
                        )
                    } else {
                        String::new()
                    }
                ),
                None,
            );
        }
        step(
            format!(
                "[[step]]\ndo = \"finesse-desktop\"\nhost = \"{}\"\nnote = {}\n",
                n.host,
                quote(&format!(
                    "an agent signs in on {}: Finesse fetches the Live Data gadget from {} with its tomcat-trust",
                    p.shown(&n.fqdn),
                    p.shown(&cuic.fqdn)
                ))
            ),
            Some(Flow::LiveData(i)),
        );
    }
    out
}

/// The scenario's text: the flows, with what they gave as expectations
/// (None: not run yet).
pub fn scenario_text(p: &Prepared, findings: Option<&[Finding]>) -> Result<String, ReproduceError> {
    let mut s = String::new();
    let used: Vec<&str> = p.inputs.used.iter().map(|i| i.name.as_str()).collect();
    let codes: Vec<&str> = findings
        .unwrap_or_default()
        .iter()
        .filter_map(|f| f.code)
        .fold(Vec::new(), |mut v, c| {
            if !v.contains(&c) {
                v.push(c);
            }
            v
        });
    let steps = plan(p);
    let mut what: Vec<&str> = Vec::new();
    for st in &steps {
        let w = match st.flow {
            Some(Flow::Gadget(_)) => "the ECE gadget opened from each ADS",
            Some(Flow::Sso) => "partition-administrator SSO",
            Some(Flow::CvpAw) => "the CVP call server to the AW",
            Some(Flow::VosAw) => "CCE Administration to Finesse and IdS",
            Some(Flow::LiveData(_)) => "the Live Data gadget on the Finesse desktop",
            None => continue,
        };
        if !what.contains(&w) {
            what.push(w);
        }
    }
    let _ = writeln!(s, "# Made by `ccelab reproduce` (issue 17) from the customer's files; twin certificates in twins/.");
    let _ = writeln!(s, "id = {}", quote(&p.id));
    let _ = writeln!(
        s,
        "title = {}",
        quote(&format!(
            "Reproduction: {}{}",
            what.join(", "),
            match findings {
                None => String::new(),
                Some(_) if codes.is_empty() => " (works)".to_string(),
                Some(_) => format!(" ({})", codes.join(", ")),
            }
        ))
    );
    let _ = writeln!(
        s,
        "source = {}",
        quote(&format!("customer files: {}", used.join(", ")))
    );
    if let Some(code) = codes.first() {
        let first = findings
            .unwrap_or_default()
            .iter()
            .find(|f| f.code == Some(code))
            .cloned();
        let _ = writeln!(s, "failure = {}", quote(code));
        if let Some(f) = first {
            if let Some(sh) = f.shows.first() {
                let _ = writeln!(s, "symptom = {}", quote(sh));
            }
            let l = f
                .logged
                .iter()
                .find(|l| l.contains("LDAP authentication exception"))
                .or_else(|| {
                    f.logged
                        .iter()
                        .find(|l| l.contains("%CVP") && l.contains("Exception"))
                })
                .or_else(|| f.logged.iter().find(|l| l.contains("Exception")));
            if let Some(l) = l {
                let (log, text) = if l.contains(" <@> ") {
                    (
                        "ECE application server log at trace level 7",
                        l.rsplit(" <@> ")
                            .find(|t| t.contains("Exception"))
                            .unwrap_or(l.as_str()),
                    )
                } else if let Some((_, m)) = l.split_once(" ERROR [shindig] ") {
                    ("Finesse's desktop log", m)
                } else if let Some((_, m)) = l.split_once(": %CVP") {
                    // `%CVP_12_5_ORM-3-AW_CONNECTION_FAILED: text`
                    ("CVP log", m.split_once(": ").map_or(m, |(_, t)| t))
                } else {
                    (
                        "ADS catalina log",
                        l.split_once(" SEVERE ").map_or(l.as_str(), |(_, r)| r),
                    )
                };
                let _ = writeln!(s, "logged = {}", quote(&format!("{log}: {}", text.trim())));
            }
        }
        if let Some((_, fix)) = failure(code) {
            let _ = writeln!(s, "fix = {}", quote(fix));
        }
    }
    let _ = writeln!(s, "tags = [\"field\", \"reproduce\"]\n");
    let mut given = toml::Table::new();
    given.insert("given".into(), p.topology.clone().into());
    s.push_str(
        &toml::to_string(&given)
            .map_err(|e| ReproduceError::file(Path::new("scenario.toml"), e))?,
    );
    let mut n = 0;
    for st in &steps {
        s.push('\n');
        s.push_str(&st.toml);
        if st.flow.is_some() {
            if let Some(f) = findings.and_then(|f| f.get(n)) {
                let mut e = format!("expect = {{ ok = {}", f.ok);
                if let Some(sh) = f.shows.first() {
                    let _ = write!(e, ", shows = {}", quote(sh));
                }
                e.push_str(" }");
                let _ = writeln!(s, "{e}");
            }
            n += 1;
        }
    }
    Ok(p.shown(&s))
}

/// The findings of a run: one per flow step of [`plan`], from its
/// outcome (`outcomes`, in step order), classified with what the files say.
pub fn findings(p: &Prepared, outcomes: &[crate::actions::Outcome]) -> Vec<Finding> {
    plan(p)
        .iter()
        .zip(outcomes)
        .filter_map(|(st, o)| match st.flow? {
            Flow::Gadget(i) => p.ads_stores.get(i).map(|a| gadget_finding(p, a, o)),
            Flow::Sso => Some(sso_finding(p, o)),
            Flow::CvpAw => Some(cvp_finding(p, o)),
            Flow::VosAw => Some(vos_aw_finding(p, o)),
            Flow::LiveData(i) => p.vos.get(i).map(|n| live_data_finding(p, n, o)),
        })
        .collect()
}

fn lines_of(o: &crate::actions::Outcome) -> Vec<String> {
    o.shows
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Partition-administrator SSO's outcome: the application server's LDAP
/// exception names the failure mode ([ECE] 2.1–2.2, troubleshooting).
fn sso_finding(p: &Prepared, o: &crate::actions::Outcome) -> Finding {
    let all = o.logged.join("\n");
    let l = p.ldap.as_ref();
    let url = l.map(|l| l.settings.ldap_url.clone()).unwrap_or_default();
    let (code, why): (Option<&'static str>, Option<String>) = if o.ok {
        (None, None)
    } else if all.contains("PartialResultException") {
        (
            Some("F5"),
            Some(format!(
                "the LDAP URL `{url}` is the domain's LDAP port, not a global catalog (3268/3269){}",
                l.and_then(|l| l.settings.base.as_ref())
                    .filter(|b| !b.is_empty())
                    .map(|b| format!(", searched from Base `{b}`"))
                    .unwrap_or_default()
            )),
        )
    } else if all.contains("AuthenticationNotSupportedException") {
        (
            Some("F15"),
            Some(format!(
                "ECE binds in clear text (`{url}`, Enable SSL on LDAP off) and the AD requires LDAP signing"
            )),
        )
    } else if all.contains("CommunicationException")
        && (all.contains("PKIX") || all.contains("SSL") || all.contains("keystore"))
    {
        (
            Some("F14"),
            Some(match l.and_then(|l| l.keystore.as_ref()) {
                Some((k, false)) => {
                    format!("{k} does not hold the DC's certificate nor a CA of it")
                }
                Some((k, true)) => format!(
                    "{k} holds the DC's certificate, but the connection to it is refused: {url}"
                ),
                None => format!(
                    "the keystore at `{}` cannot verify the DC's certificate",
                    l.and_then(|l| l.settings.keystore_location.clone())
                        .unwrap_or_default()
                ),
            }),
        )
    } else if all.contains("a successful bind must be completed") {
        (
            Some("F16"),
            Some("DN for LDAP Search is empty, and the AD refuses anonymous searches".into()),
        )
    } else if all.contains("Partition administrator SSO failed") {
        (Some("F4"), None)
    } else {
        (
            None,
            Some("partition-administrator SSO was not reached: the gadget failed before it (see the gadget's flows)".into()),
        )
    };
    Finding {
        flow: format!(
            "partition-administrator SSO against {}",
            l.map_or(String::new(), |l| l.dc_fqdn.clone())
        ),
        ok: o.ok,
        code,
        shows: lines_of(o),
        logged: o.logged.clone(),
        why,
    }
}

/// The CVP call server's call to the AW: PKIX means the `.keystore`
/// lacks `AW_cert` ([SEC]; F19).
fn cvp_finding(p: &Prepared, o: &crate::actions::Outcome) -> Finding {
    let all = o.logged.join("\n");
    let (code, why) = if o.ok {
        (None, None)
    } else if all.contains("PKIX path building failed") {
        (
            Some("F19"),
            p.cvp.as_ref().map(|c| {
                format!(
                    "{} has no AW_cert entry (its aliases: {})",
                    c.store,
                    c.aliases.join(", ")
                )
            }),
        )
    } else {
        (None, None)
    };
    Finding {
        flow: "the CVP call server (cvp-a) to the principal AW".into(),
        ok: o.ok,
        code,
        shows: lines_of(o),
        logged: o.logged.clone(),
        why,
    }
}

/// CCE Administration's check of the captured Finesse and IdS nodes
/// ([SEC] "Finesse / IdS → AW"): a line per machine, F17 for a failed one.
fn vos_aw_finding(p: &Prepared, o: &crate::actions::Outcome) -> Finding {
    let nodes: Vec<&VosNode> = p.vos.iter().filter(|n| n.role != VosRole::Cuic).collect();
    let mut shows: Vec<String> = lines_of(o)
        .into_iter()
        .filter(|l| {
            nodes
                .iter()
                .any(|n| l.contains(&format!("({})", p.shown(&n.fqdn))))
        })
        .collect();
    // the failing machines first: what the scenario's symptom quotes
    shows.sort_by_key(|l| l.ends_with(": OK"));
    let ok = !shows.is_empty() && shows.iter().all(|l| l.ends_with(": OK"));
    let store = p
        .ads_stores
        .first()
        .and_then(|a| a.store.as_ref())
        .map_or("cacerts", |(f, _)| f.as_str());
    let mut why = Vec::new();
    for n in &nodes {
        let Some(l) = shows
            .iter()
            .find(|l| l.contains(&format!("({})", p.shown(&n.fqdn))))
        else {
            continue;
        };
        if l.contains("No subject alternative") || l.contains("No name matching") {
            let names: Vec<String> = n
                .own
                .sans()
                .into_iter()
                .map(|s| match s {
                    San::Dns(d) => d,
                    San::Ip(a) => a.to_string(),
                })
                .collect();
            why.push(format!(
                "{}'s tomcat certificate ({}) names {}, not the inventory's {}",
                n.host,
                n.own.subject_string(),
                if names.is_empty() {
                    format!("only its CN `{}`", n.own.common_name().unwrap_or_default())
                } else {
                    names.join(", ")
                },
                n.fqdn
            ));
        } else if l.contains("PKIX path building failed") {
            why.push(format!(
                "{store} holds neither {}'s tomcat certificate ({}) nor a CA of it",
                n.host,
                n.own.subject_string()
            ));
        } else if l.contains("CertificateExpired")
            || l.contains("NotAfter")
            || l.contains("validity")
        {
            why.push(format!(
                "{}'s tomcat certificate is outside its validity ({} to {})",
                n.host,
                rfc3339(n.own.not_before()),
                rfc3339(n.own.not_after())
            ));
        }
    }
    Finding {
        flow: "CCE Administration (ads-a) checks the inventory's Finesse and IdS nodes".into(),
        ok,
        code: (!ok && !shows.is_empty()).then_some("F17"),
        shows,
        logged: o.logged.clone(),
        why: (!why.is_empty()).then(|| p.shown(&why.join("; "))),
    }
}

/// The agent's desktop with the Live Data gadget ([SEC] Live Data): F18
/// when Finesse (its tomcat-trust) or the agent's browser refuses CUIC.
fn live_data_finding(p: &Prepared, n: &VosNode, o: &crate::actions::Outcome) -> Finding {
    let pair = if n.host == "finesse-a" {
        "cuic-a"
    } else {
        "cuic-b"
    };
    let cuic = p.vos.iter().find(|c| c.host == pair);
    let why = (!o.ok).then(|| {
        let (Some(c), Some(trust)) = (cuic, &n.trust) else {
            return None;
        };
        // the certificate itself (its key), or a CA of it (its name and key)
        let trusted = trust.iter().any(|t| {
            t.spki_der() == c.own.spki_der()
                || (!c.own.is_self_issued()
                    && t.subject_string().eq_ignore_ascii_case(&c.own.issuer_string())
                    && c.own.is_signed_by(t))
        });
        Some(p.shown(&if trusted {
            format!(
                "{}'s tomcat-trust ({}) holds {}'s certificate or its issuer, yet Finesse refused it: see the log",
                n.host, n.file, c.fqdn
            )
        } else {
            format!(
                "{}'s tomcat-trust ({}: {}) holds neither {}'s tomcat certificate ({}) nor its issuer",
                n.host,
                n.file,
                if trust.is_empty() {
                    "empty".to_string()
                } else {
                    trust.iter().map(|t| t.subject_string()).collect::<Vec<_>>().join("; ")
                },
                c.fqdn,
                c.own.subject_string()
            )
        }))
    });
    let mut shows = lines_of(o);
    // the gadget's line first: what the scenario's symptom quotes
    shows.sort_by_key(|l| !l.starts_with("Live Data gadget"));
    Finding {
        flow: format!(
            "an agent's desktop on {} loads the Live Data gadget",
            n.host
        ),
        ok: o.ok,
        code: (!o.ok).then_some("F18"),
        shows,
        logged: o.logged.clone(),
        why: why.flatten(),
    }
}

/// The gadget opened from one ADS, classified with the web certificate's
/// chain and the ADS's store.
fn gadget_finding(p: &Prepared, a: &AdsTrust, o: &crate::actions::Outcome) -> Finding {
    let web = p.web.as_ref().map(|w| &w.0);
    let chain: Vec<Certificate> = web
        .and_then(|web| {
            p.twins
                .twins
                .iter()
                .position(|t| t.original.as_ref().is_some_and(|o| o.der() == web.der()))
        })
        .map(|i| p.twins.original_chain(i))
        .unwrap_or_default();
    // `at` was checked when the reproduction was prepared
    let clock = ccelab_emulators::clock::parse_time(&p.at, time::OffsetDateTime::now_utc())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    // the web server by host name or IP address in the inventory (F10)
    let short_name = p
        .inventory_web
        .as_ref()
        .filter(|(a, _)| !crate::topology::is_fqdn(a) || a.parse::<std::net::IpAddr>().is_ok());
    let AdsTrust { host: ads, store } = a;
    let ok = o.ok;
    let shows = lines_of(o);
    let logged = o.logged.clone();
    let all = logged.join("\n");
    let trusted = store.as_ref().map(|(_, certs)| certs);
    let names = |cs: &[Certificate]| {
        cs.iter()
            .map(|c| c.subject_string())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (code, why): (Option<&'static str>, Option<String>) = if ok {
        (None, None)
    } else if all.contains("PKIX path building failed") {
        let held = |c: &Certificate| {
            trusted
                .as_ref()
                .is_some_and(|t| t.iter().any(|x| x.der() == c.der()))
        };
        match web {
            Some(web) if web.is_self_issued() => (
                Some("F7"),
                Some(format!(
                    "the web server's certificate is self-signed ({}) and {ads}'s cacerts does not hold it",
                    web.subject_string()
                )),
            ),
            _ if chain.len() > 1 && chain[1..].iter().any(held) => (
                Some("F8"),
                Some(format!(
                    "{ads}'s cacerts holds part of the chain ({}) but the certificate that links it to the web certificate is neither there nor sent by the server",
                    names(&chain[1..].iter().filter(|c| held(c)).cloned().collect::<Vec<_>>())
                )),
            ),
            _ => (
                Some("F1"),
                Some(format!(
                    "{ads}'s cacerts holds none of the web certificate's chain{}",
                    if chain.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", names(&chain))
                    }
                )),
            ),
        }
    } else if let Some((address, file)) = short_name.filter(|_| {
        all.contains("No subject alternative")
            || all.contains("No name matching")
            || all.contains("UnknownHostException")
    }) {
        (
            Some("F10"),
            Some(format!(
                "the inventory ({file}) has the web server as `{address}`, not the fully qualified name its certificate holds ({})",
                p.ece_fqdn.0
            )),
        )
    } else if all.contains("No subject alternative DNS name matching")
        || all.contains("No name matching")
        || all.contains("No subject alternative names")
    {
        (
            Some("F2"),
            web.map(|web| {
                let sans: Vec<String> = web.sans().iter().map(San::to_string).collect();
                format!(
                    "SPOG reaches ECE as {} ({}), but the certificate names {}{}",
                    p.ece_fqdn.0,
                    p.ece_fqdn.1,
                    web.common_name()
                        .map(|c| format!("CN={c}"))
                        .unwrap_or_else(|| "no CN".into()),
                    if sans.is_empty() {
                        ", no SAN".to_string()
                    } else {
                        format!(", SAN {}", sans.join(", "))
                    }
                )
            }),
        )
    } else if all.contains("CertificateExpiredException")
        || all.contains("CertificateNotYetValidException")
        || all.contains("validity check failed")
    {
        let late = chain
            .iter()
            .find(|c| c.not_after() < clock || c.not_before() > clock);
        (
            Some("F25"),
            late.map(|c| {
                format!(
                    "{} is valid {} … {}, and the failure is reproduced at {}",
                    c.subject_string(),
                    rfc3339(c.not_before()),
                    rfc3339(c.not_after()),
                    p.at
                )
            }),
        )
    } else if all.contains("Algorithm constraints check failed") || all.contains("keysize") {
        (Some("F24"), None)
    } else if shows
        .iter()
        .any(|s| s == ccelab_emulators::cce_admin::GADGET_BLANK)
    {
        (Some("F13"), None)
    } else {
        (None, None)
    };
    Finding {
        flow: format!("open the ECE gadget from {ads}"),
        ok,
        code,
        shows,
        logged,
        why,
    }
}

/// The report (Markdown): what was used and ignored, the twins and what
/// they do not reproduce, and each flow's outcome with its F-code and fix.
pub fn report(p: &Prepared, findings: &[Finding], transcript: &str) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "# Reproduction `{}`\n", p.id);
    let _ = writeln!(s, "Reproduced at {} (the scenario's fixed clock).\n", p.at);
    let _ = writeln!(s, "## Files used\n");
    for i in &p.inputs.used {
        let what = match &i.kind {
            Kind::Certificates { form, certs } => format!(
                "{} certificate(s), {form}: {}",
                certs.len(),
                certs
                    .iter()
                    .map(|c| c.subject_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Kind::Store {
                store,
                password_from,
                ..
            } => format!(
                "{} key store, {} entries ({} trusted certificates){}",
                store.store_type.keytool_name(),
                store.entries().len(),
                store
                    .entries()
                    .iter()
                    .filter(|e| matches!(e.entry, Entry::Trusted(_)))
                    .count(),
                password_from
                    .as_ref()
                    .map(|f| format!(", opened with {f}'s Security.keystorePW"))
                    .unwrap_or_default()
            ),
            Kind::LdapSettings(l) => format!(
                "ECE's Partition Administration Configuration ({}): LDAP URL `{}`, DN Attribute `{}`, Base `{}`, DN for LDAP Search `{}`, Password {}, Enable SSL on LDAP {}, Keystore Location `{}`",
                l.form,
                l.ldap_url,
                l.dn_attribute.as_deref().unwrap_or(""),
                l.base.as_deref().unwrap_or(""),
                l.search_dn.as_deref().unwrap_or(""),
                if l.password_given { "given (not used)" } else { "not given" },
                match l.enable_ssl {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "(unset)",
                },
                l.keystore_location.as_deref().unwrap_or("")
            ),
            Kind::Vos(v) => {
                let mut parts = Vec::new();
                if let Some(c) = v.own.first() {
                    parts.push(format!("`show cert own tomcat`: {}", c.subject_string()));
                }
                if !v.trust.is_empty() {
                    parts.push(format!(
                        "`show cert trust`: {}",
                        v.trust.iter().map(|c| c.subject_string()).collect::<Vec<_>>().join("; ")
                    ));
                }
                if v.has_trust_list {
                    parts.push(format!(
                        "`show cert list trust`: {} tomcat-trust certificate(s)",
                        v.listed_trust.len()
                    ));
                }
                if !v.other.is_empty() {
                    parts.push(format!("{} other certificate(s)", v.other.len()));
                }
                if !v.rebuilt.is_empty() {
                    parts.push(format!(
                        "{} rebuilt from the detail dump",
                        v.rebuilt.len()
                    ));
                }
                format!("VOS CLI capture: {}", parts.join(", "))
            }
            Kind::CvpSecurity { .. } => {
                "CVP's security.properties: Security.keystorePW (the .keystore's password)".into()
            }
            Kind::Iis(b) => format!(
                "IIS applicationHost.config: site `{}`, https binding `{}` sslFlags {}{}{}",
                b.site,
                b.information,
                b.ssl_flags,
                b.certificate_hash
                    .as_ref()
                    .map(|h| format!(", certificate {h}"))
                    .unwrap_or_else(|| ", no certificateHash (http.sys keeps it)".into()),
                if b.require_ssl { ", Require SSL" } else { "" }
            ),
            Kind::Inventory { form, machines } => format!(
                "{form}: {} machine(s){}",
                machines.len(),
                machines
                    .iter()
                    .filter(|m| m.machine_type.eq_ignore_ascii_case("ECE_WEB_SERVER"))
                    .map(|m| format!(", the ECE web server as `{}`", m.address))
                    .collect::<String>()
            ),
            Kind::SpogConfig { protocol, name } => format!(
                "ECE spog_config.js: web_server_protocol {}, web_server_name {}",
                protocol.as_deref().unwrap_or("(unset)"),
                name.as_deref().unwrap_or("(unset)")
            ),
        };
        let _ = writeln!(s, "- `{}`: {what}", i.name);
    }
    if !p.inputs.ignored.is_empty() {
        let _ = writeln!(s, "\n## Files ignored\n");
        for (n, why) in &p.inputs.ignored {
            let _ = writeln!(s, "- `{n}`: {why}");
        }
    }
    let _ = writeln!(s, "\n## The deployment\n");
    if let Some((cert, how)) = &p.web {
        let _ = writeln!(
            s,
            "- the web server's certificate: {} — {how}",
            describe(cert)
        );
    }
    let _ = writeln!(
        s,
        "- SPOG reaches ECE as `{}` ({})",
        p.ece_fqdn.0, p.ece_fqdn.1
    );
    for n in &p.notes {
        let _ = writeln!(s, "- {n}");
    }
    let _ = writeln!(s, "\n## Twin certificates\n");
    let _ = writeln!(
        s,
        "Each twin has its original's subject, issuer, serial, validity, signature algorithm, key type and size, and every extension byte for byte; only the key differs, so fingerprints and thumbprints differ too.\n"
    );
    if p.twins.twins.is_empty() {
        let _ = writeln!(s, "None: no certificate among the files is in play.");
    }
    for t in &p.twins.twins {
        match &t.original {
            Some(o) => {
                // redacted: the original's thumbprint would name it
                let original = if p.redactor.is_some() {
                    String::new()
                } else {
                    format!(", original SHA-1 {}", o.thumbprint())
                };
                let _ = writeln!(
                    s,
                    "- {} — serial {}{original}, twin SHA-1 {}",
                    o.subject_string(),
                    o.serial_hex(),
                    t.cert.thumbprint()
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "- {} — a stand-in (not among the files)",
                    t.cert.subject_string()
                );
            }
        }
    }
    if !p.twins.caveats.is_empty() {
        let _ = writeln!(s, "\nNot twinned:\n");
        for c in &p.twins.caveats {
            let _ = writeln!(s, "- {}: {}", c.subject, c.text);
        }
    }
    let _ = writeln!(
        s,
        "\n## What happens\n\n`graph.svg` draws these flows (each ADS's Java to the web server; ECE's application server to the DC; the CVP call server to the AW; CCE Administration to Finesse and IdS; Finesse to CUIC, and the agents' browsers to Live Data — those the files concern), red where the client refuses (its text on hover); `ccelab graph` on this folder draws the whole deployment.\n"
    );
    for f in findings {
        let verdict = match (f.ok, f.code) {
            (true, _) => "works".to_string(),
            (false, Some(c)) => format!("FAILS: {c}"),
            (false, None) => "FAILS (no documented failure mode matches)".to_string(),
        };
        let _ = writeln!(s, "### {}: {verdict}\n", f.flow);
        for l in &f.shows {
            let _ = writeln!(s, "- the user sees: {l}");
        }
        for l in &f.logged {
            let _ = writeln!(s, "- logged: `{l}`");
        }
        if let Some(w) = &f.why {
            let _ = writeln!(s, "- why: {w}");
        }
        if let Some((what, fix)) = f.code.and_then(failure) {
            let _ = writeln!(s, "- {}: {what}", f.code.unwrap_or_default());
            let _ = writeln!(s, "- the documented fix: {fix}");
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "## The run\n\n```\n{}```", transcript);
    p.shown(&s)
}

/// The trust graph of the flows the files describe (`pairs`: SPOG's Java
/// on each ADS to the ECE web server, ECE's application server to the
/// DC, the CVP call server to the AW) as SVG: the reproduction's topology in
/// `staged` started again under `scratch`, the scenario's `setup` steps
/// done (the inventory's name for the web server), its edges to the web
/// server probed. The other edges of the deployment are left out: the customer's
/// files say nothing of them (`ccelab graph OUT` draws them all).
async fn flows_graph(
    staged: &Path,
    scratch: &Path,
    setup: Vec<crate::actions::Action>,
    mut pairs: Vec<(Vec<String>, Vec<String>)>,
) -> Result<String, ReproduceError> {
    let (file, dir) = (staged.join("topology.toml"), scratch.to_path_buf());
    let topo = blocking(move || {
        crate::topology_file::load(&file, &dir)
            .map_err(|e| ReproduceError::file(&file, format!("{}: {}", e.location, e.message)))
    })
    .await?;
    let web: Vec<String> = topo
        .hosts
        .iter()
        .filter(|h| h.role == crate::topology::Role::EceWeb)
        .map(|h| h.name.clone())
        .collect();
    let deployed = crate::deploy::deploy(topo, scratch, false)
        .await
        .map_err(|e| ReproduceError::file(scratch, e))?;
    for a in setup {
        a.apply(&deployed.lab)
            .await
            .map_err(|e| ReproduceError::file(&staged.join("scenario.toml"), e))?;
    }
    // `@ece-web`: the ECE web servers, whatever their names
    for (_, to) in &mut pairs {
        if to.iter().any(|t| t == "@ece-web") {
            *to = web.clone();
        }
    }
    let g = crate::graph::build(&deployed.lab).await.only_any(&pairs);
    Ok(crate::graph::render::svg(&g))
}

/// Runs `f` (disk work) off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ReproduceError> + Send + 'static,
) -> Result<T, ReproduceError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ReproduceError {
            subject: "ccelab reproduce".into(),
            problem: e.to_string(),
        })?
}

/// Writes `bytes` to `dir/name`, making its folders.
fn write_in(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), ReproduceError> {
    let path = dir.join(name);
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| ReproduceError::file(d, e))?;
    }
    std::fs::write(&path, bytes).map_err(|e| ReproduceError::file(&path, e))
}

/// Makes the reproduction: reads, twins, writes the files into a sibling
/// folder, runs the scenario there, adds the scenario and the report, and
/// moves the folder to `opts.out`. Returns the report. Every disk access is
/// off the async workers.
pub async fn reproduce(opts: &Options) -> Result<(Prepared, Vec<Finding>, String), ReproduceError> {
    let o = opts.clone();
    let (p, work, scenario) = blocking(move || {
        let out = &o.out;
        if out.exists() && !o.force {
            return Err(ReproduceError::file(
                out,
                "already exists (--force replaces it)",
            ));
        }
        let p = prepare(&o)?;
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        std::fs::create_dir_all(&parent).map_err(|e| ReproduceError::file(&parent, e))?;
        let work = tempfile::Builder::new()
            .prefix(".ccelab-reproduce-")
            .tempdir_in(&parent)
            .map_err(|e| ReproduceError::file(&parent, e))?;
        let staged = work.path().join("out");
        for (n, b) in &p.files {
            write_in(&staged, n, b)?;
        }
        write_in(
            &staged,
            "scenario.toml",
            scenario_text(&p, None)?.as_bytes(),
        )?;
        let scenario = crate::scenario::Scenario::load(&staged.join("scenario.toml"))
            .map_err(|e| ReproduceError::file(&staged.join("scenario.toml"), e))?;
        Ok((p, work, scenario))
    })
    .await?;
    let r = crate::scenario::run(&scenario, &work.path().join("run")).await;
    let found = findings(&p, &r.outcomes);
    // the scenario's setting-up steps, then the graph
    let mut setup: Vec<crate::actions::Action> = p
        .inventory_web
        .iter()
        .map(|(name, _)| crate::actions::Action::InventoryWebServer {
            name: name.clone(),
            user: None,
            password: None,
        })
        .collect();
    let steps = plan(&p);
    let mut pairs: Vec<(Vec<String>, Vec<String>)> = Vec::new();
    if steps
        .iter()
        .any(|s| matches!(s.flow, Some(Flow::Gadget(_))))
    {
        pairs.push((Vec::new(), vec!["@ece-web".into()]));
    }
    if let Some(l) = &p.ldap {
        // as the (redacted) scenario saves them
        let shown = |v: &Option<String>| v.as_deref().map(|t| p.shown(t));
        let f = &l.fields;
        setup.push(crate::actions::Action::PartitionAdmin(
            crate::actions::PartitionAdminFields {
                ldap_url: shown(&f.ldap_url),
                dn_attribute: shown(&f.dn_attribute),
                base: shown(&f.base),
                search_dn: shown(&f.search_dn),
                password: f.password.clone(),
                enable_ssl: f.enable_ssl,
                keystore_location: shown(&f.keystore_location),
            },
        ));
        pairs.push((vec!["ece-app".into()], vec![p.shown(&l.dc_fqdn)]));
    }
    if p.cvp.is_some() {
        pairs.push((vec!["cvp-a".into()], vec!["ads-a".into()]));
    }
    for s in &steps {
        match s.flow {
            Some(Flow::VosAw) => pairs.push((
                vec!["ads-a".into()],
                p.vos
                    .iter()
                    .filter(|n| n.role != VosRole::Cuic)
                    .map(|n| n.host.clone())
                    .collect(),
            )),
            Some(Flow::LiveData(i)) => {
                if let Some(n) = p.vos.get(i) {
                    let pair = if n.host == "finesse-a" {
                        "cuic-a"
                    } else {
                        "cuic-b"
                    };
                    pairs.push((vec![n.host.clone()], vec![pair.into()]));
                }
            }
            _ => {}
        }
    }
    let graph = flows_graph(
        &work.path().join("out"),
        &work.path().join("graph"),
        setup,
        pairs,
    )
    .await?;
    let flows = steps.iter().filter(|s| s.flow.is_some()).count();
    let made = (|| {
        if found.len() != flows {
            return Err(ReproduceError::file(
                &opts.dir,
                format!(
                    "the reproduction did not run every flow: {}",
                    r.mismatches
                        .iter()
                        .map(|m| format!("{}: {}", m.at, m.actual))
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
            ));
        }
        Ok((
            scenario_text(&p, Some(&found))?,
            report(&p, &found, &r.transcript),
        ))
    })();
    let out = opts.out.clone();
    let rep = blocking(move || {
        // the work folder goes when this closure ends, whatever happens
        let (text, rep) = made?;
        let staged = work.path().join("out");
        write_in(&staged, "scenario.toml", text.as_bytes())?;
        write_in(&staged, "report.md", rep.as_bytes())?;
        write_in(&staged, "graph.svg", graph.as_bytes())?;
        // into place: the old output (with --force) only goes once the new one is whole
        let old = work.path().join("old");
        if out.exists() {
            std::fs::rename(&out, &old).map_err(|e| ReproduceError::file(&out, e))?;
        }
        if let Err(e) = std::fs::rename(&staged, &out) {
            if old.exists() {
                let _ = std::fs::rename(&old, &out);
            }
            return Err(ReproduceError::file(&out, e));
        }
        Ok(rep)
    })
    .await?;
    Ok((p, found, rep))
}

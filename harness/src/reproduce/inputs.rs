//! What a customer sent, recognised by content (never by file name): public
//! certificates (PEM, DER, PKCS#7 `.p7b` in DER or PEM, chain files), a
//! VOS appliance's `show cert own tomcat` / `show cert trust …` (the
//! detail dump or PEM) and `show cert list own|trust`, Java key stores (JKS, JCEKS,
//! PKCS#12) with their passwords, IIS `applicationHost.config`, CCE
//! Administration's machine inventory (the REST API's XML or the bulk CSV),
//! ECE's `spog_config.js`, ECE's Partition Administration Configuration
//! (the LDAP settings of partition-administrator SSO, [ECE] 2.2, as the
//! customer copies them from the screen) and CVP's `security.properties`
//! (the `.keystore`'s password, [SEC]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ccelab_emulators::cce_admin::inventory::NewMachine;
use ccelab_emulators::pki::{pem, Certificate};
use ccelab_emulators::stores::{detect, Keystore, StoreType};

use super::ReproduceError;

/// The largest input file read: what a product reads from its disk (a
/// certificate, store or configuration file is far smaller).
pub const MAX_INPUT: u64 = ccelab_emulators::host::MAX_READ;
/// The most bytes read from one folder (its files are kept in memory).
const MAX_TOTAL: u64 = 256 << 20;
/// How deep sub-folders of the input folder are searched.
const MAX_DEPTH: usize = 4;
/// The most files looked at.
const MAX_FILES: usize = 2000;

/// The https binding of IIS's `Default Web Site` ([ECE] 1.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IisBinding {
    /// The site the binding belongs to.
    pub site: String,
    /// `bindingInformation` (`*:443:HOST`).
    pub information: String,
    /// `sslFlags` (bit 1: Require SNI).
    pub ssl_flags: u32,
    /// `certificateHash` (the bound certificate's SHA-1 thumbprint), when
    /// the file has it (IIS may keep it in http.sys only).
    pub certificate_hash: Option<String>,
    /// "Require SSL" on the site (`<access sslFlags="Ssl">`; F20).
    pub require_ssl: bool,
}

impl IisBinding {
    /// The binding's host name (F6 when not blank).
    pub fn host_name(&self) -> &str {
        self.information.splitn(3, ':').nth(2).unwrap_or("")
    }

    /// The binding's port.
    pub fn port(&self) -> &str {
        self.information.split(':').nth(1).unwrap_or("")
    }
}

/// What one file is.
#[derive(Clone, Debug)]
pub enum Kind {
    /// Certificates (`form`: how they came).
    Certificates {
        /// `DER`, `PEM`, `PKCS#7 (DER)`…
        form: &'static str,
        /// In file order.
        certs: Vec<Certificate>,
    },
    /// A Java key store (an AW's `cacerts`, ECE's LDAPS keystore, a CVP
    /// `.keystore`).
    Store {
        /// The store as read.
        store: Keystore,
        /// The password it opened with.
        password: String,
        /// The `security.properties` whose `Security.keystorePW` opened
        /// it (a CVP server's `.keystore`), when that one did.
        password_from: Option<String>,
    },
    /// ECE's Partition Administration Configuration ([ECE] 2.2).
    LdapSettings(LdapSettings),
    /// CVP's `%CVP_HOME%\conf\security.properties` ([SEC]): the
    /// `.keystore`'s password.
    CvpSecurity {
        /// `Security.keystorePW`.
        keystore_pw: String,
    },
    /// IIS's `applicationHost.config`.
    Iis(IisBinding),
    /// CCE Administration's machine inventory: the REST API's XML
    /// (`GET /unifiedconfig/config/machineinventory`, or one `<machine>`)
    /// or the bulk CSV; each machine's name, type and address as entered.
    Inventory {
        /// `machineinventory XML` or `machine inventory CSV`.
        form: &'static str,
        /// The machines (no passwords: the API never returns them).
        machines: Vec<NewMachine>,
    },
    /// A VOS appliance's certificates as its admin CLI shows them ([SEC]:
    /// Finesse, CUIC, IdS): `show cert own tomcat`, `show cert trust
    /// tomcat-trust/…` (the detail dump, or PEM), `show cert list own|trust`.
    Vos(VosCapture),
    /// ECE's `spog_config.js` ([ECE] 3).
    SpogConfig {
        /// `web_server_protocol`.
        protocol: Option<String>,
        /// `web_server_name`.
        name: Option<String>,
    },
}

/// What a VOS CLI capture holds (one appliance's session: the commands
/// and what they printed, prompts and pager lines included).
#[derive(Clone, Debug, Default)]
pub struct VosCapture {
    /// `show cert own tomcat`: the appliance's own tomcat certificate.
    pub own: Vec<Certificate>,
    /// `show cert trust tomcat-trust/…`: certificates of its tomcat-trust.
    pub trust: Vec<Certificate>,
    /// `show cert list trust`: the tomcat-trust's file names
    /// (`cuica.example.com.pem`), in order.
    pub listed_trust: Vec<String>,
    /// Whether `show cert list trust` (or its lines) is in the capture:
    /// then `listed_trust` is the whole tomcat-trust.
    pub has_trust_list: bool,
    /// Certificates printed by no `show cert` command of the capture.
    pub other: Vec<Certificate>,
    /// Which certificates were rebuilt from a detail dump (their bytes,
    /// and so their signature, are not the original's).
    pub rebuilt: Vec<Certificate>,
}

impl VosCapture {
    /// Every certificate of the capture.
    pub fn certificates(&self) -> Vec<Certificate> {
        self.own
            .iter()
            .chain(&self.trust)
            .chain(&self.other)
            .cloned()
            .collect()
    }
}

/// Which `show cert` command printed a part of a capture.
#[derive(Clone, Copy, PartialEq, Eq)]
enum VosPart {
    None,
    Own,
    OwnOther,
    Trust,
    TrustOther,
    List,
}

/// A VOS CLI capture, if `text` is one: `None` when nothing in it is
/// VOS's (a plain PEM file is read as certificates).
fn vos_capture(text: &str) -> Result<Option<VosCapture>, String> {
    use ccelab_emulators::platform::vos::dump;
    // the parts, split at the `show cert …` command lines
    let mut parts: Vec<(VosPart, usize, String)> = vec![(VosPart::None, 1, String::new())];
    let mut commands = 0;
    let mut trust_listed = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_end_matches('\r').trim();
        let cmd = t.strip_prefix("admin:").unwrap_or(t).trim();
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let part = match words.as_slice() {
            ["show", "cert", "own", unit, ..] => Some(if unit.eq_ignore_ascii_case("tomcat") {
                VosPart::Own
            } else {
                VosPart::OwnOther
            }),
            ["show", "cert", "trust", path, ..] => Some(if path.starts_with("tomcat-trust/") {
                VosPart::Trust
            } else {
                VosPart::TrustOther
            }),
            ["show", "cert", "list", rest @ ..] => {
                trust_listed |= rest
                    .first()
                    .is_some_and(|w| w.eq_ignore_ascii_case("trust"));
                Some(VosPart::List)
            }
            _ => None,
        };
        match part {
            Some(p) => {
                commands += 1;
                // the part starts on the line after the command
                parts.push((p, i + 2, String::new()));
            }
            None => {
                if let Some(last) = parts.last_mut() {
                    last.2.push_str(line);
                    last.2.push('\n');
                }
            }
        }
    }
    let listed = dump::parse_list(text);
    let tomcat_lines: Vec<&str> = listed
        .iter()
        .filter(|l| l.path.starts_with("tomcat/") || l.path.starts_with("tomcat-trust/"))
        .map(|l| l.path.as_str())
        .collect();
    let mut cap = VosCapture {
        listed_trust: tomcat_lines
            .iter()
            .filter_map(|p| p.strip_prefix("tomcat-trust/"))
            .map(str::to_string)
            .collect(),
        has_trust_list: trust_listed || tomcat_lines.iter().any(|p| p.starts_with("tomcat-trust/")),
        ..VosCapture::default()
    };
    let mut dumps = 0;
    for (part, first, body) in &parts {
        let mut certs = Vec::new();
        // another unit's certificates (ipsec…) are not used: not an error
        let kept = !matches!(part, VosPart::OwnOther | VosPart::TrustOther);
        for (line, r) in dump::parse_dumps_from(body, *first) {
            dumps += 1;
            match r {
                Ok(c) if kept => {
                    cap.rebuilt.push(c.clone());
                    certs.push(c);
                }
                Err(e) if kept => return Err(format!("the certificate dump at line {line}: {e}")),
                _ => {}
            }
        }
        if body.contains("-----BEGIN ") {
            for b in pem::parse(body).map_err(|e| e.to_string())? {
                if matches!(
                    b.label.as_str(),
                    "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE"
                ) {
                    let c = Certificate::from_der(&b.der)
                        .map_err(|e| format!("line {}: {e}", first + b.line - 1))?;
                    // a PEM after the dump of the same certificate: the PEM's bytes win
                    cap.rebuilt.retain(|r| {
                        !(r.serial_hex() == c.serial_hex()
                            && r.issuer_string() == c.issuer_string())
                    });
                    certs.retain(|r: &Certificate| {
                        !(r.serial_hex() == c.serial_hex()
                            && r.issuer_string() == c.issuer_string())
                    });
                    certs.push(c);
                }
            }
        }
        match part {
            VosPart::Own => cap.own.extend(certs),
            VosPart::Trust => cap.trust.extend(certs),
            VosPart::None | VosPart::List => cap.other.extend(certs),
            VosPart::OwnOther | VosPart::TrustOther => {}
        }
    }
    if commands == 0 && dumps == 0 && tomcat_lines.is_empty() {
        return Ok(None);
    }
    // a session without the commands' echo (ssh without a terminal, a
    // script): a lone certificate is the appliance's own `show cert own tomcat`
    if commands == 0 && cap.other.len() == 1 {
        cap.own = std::mem::take(&mut cap.other);
    }
    Ok(Some(cap))
}

/// ECE's Partition Administration Configuration, the LDAP settings of
/// partition-administrator SSO ([ECE] 2.2: Administration > Partition:
/// default > Security > SSO and Provisioning). ECE exports nothing: the
/// customer copies the screen's fields, one `Label: value` per line with
/// [ECE] 2.2's labels (English, or the Japanese translation's), or sends
/// the JSON `ccelab ctl ece partition-admin` / the control API give. The
/// password is never kept.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LdapSettings {
    /// How it came (`screen fields` or `JSON`).
    pub form: &'static str,
    /// LDAP URL (F5: not a global catalog).
    pub ldap_url: String,
    /// DN Attribute.
    pub dn_attribute: Option<String>,
    /// Base.
    pub base: Option<String>,
    /// DN for LDAP Search (F16 when empty and anonymous binds are refused).
    pub search_dn: Option<String>,
    /// Whether a password was in the file (it is not used: the twin
    /// directory's account has ccelab's).
    pub password_given: bool,
    /// Enable SSL on LDAP (F15 when off and AD requires signing).
    pub enable_ssl: Option<bool>,
    /// Keystore Location (F14).
    pub keystore_location: Option<String>,
}

impl LdapSettings {
    /// The LDAP URL's scheme, host and port (`ldap`, `dc01.example.com`, 3268).
    pub fn server(&self) -> Option<(String, String, u16)> {
        let (scheme, rest) = self.ldap_url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        let hostport = rest.split('/').next().unwrap_or("");
        let default = if scheme == "ldaps" { 636 } else { 389 };
        // `[v6]`, `[v6]:port`, `host`, `host:port`
        let (host, port) = match hostport.strip_prefix('[') {
            Some(v6) => {
                let (h, rest) = v6.split_once(']')?;
                let port = match rest.strip_prefix(':') {
                    Some(p) => p.parse().ok()?,
                    None if rest.is_empty() => default,
                    None => return None,
                };
                (format!("[{h}]"), port)
            }
            None => match hostport.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().ok()?),
                None => (hostport.to_string(), default),
            },
        };
        Some((scheme, host, port))
    }
}

/// A file that was used.
#[derive(Clone, Debug)]
pub struct Input {
    /// Its path below the input folder (`/`-separated).
    pub name: String,
    /// What it is.
    pub kind: Kind,
}

/// Everything found in an input folder.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// The files used, in name order.
    pub used: Vec<Input>,
    /// The files not used, each with why.
    pub ignored: Vec<(String, String)>,
}

/// Store passwords: one for all stores, and per file name.
#[derive(Clone, Debug)]
pub struct Passwords {
    /// For every store not named in `by_file` (default `changeit`).
    pub default: String,
    /// By file name (the path below the input folder, or its last part).
    pub by_file: BTreeMap<String, String>,
}

impl Default for Passwords {
    fn default() -> Self {
        Passwords {
            default: "changeit".into(),
            by_file: BTreeMap::new(),
        }
    }
}

impl Passwords {
    fn of(&self, name: &str) -> &str {
        let last = name.rsplit('/').next().unwrap_or(name);
        self.by_file
            .get(name)
            .or_else(|| self.by_file.get(last))
            .unwrap_or(&self.default)
    }
}

fn files_below(dir: &Path) -> Result<Vec<(String, PathBuf)>, ReproduceError> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new(), 0usize)];
    while let Some((d, prefix, depth)) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| ReproduceError::file(&d, e))?;
        let mut entries: Vec<_> = rd.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = format!("{prefix}{}", e.file_name().to_string_lossy());
            let ft = e
                .file_type()
                .map_err(|err| ReproduceError::file(&e.path(), err))?;
            if ft.is_dir() && depth < MAX_DEPTH {
                stack.push((e.path(), format!("{name}/"), depth + 1));
            } else if !ft.is_dir() {
                out.push((name, e.path()));
            }
            if out.len() > MAX_FILES {
                return Err(ReproduceError::file(
                    dir,
                    format!("more than {MAX_FILES} files: not a customer's folder of certificates and settings"),
                ));
            }
        }
    }
    out.sort();
    Ok(out)
}

impl Inputs {
    /// Reads every file of `dir` (and its sub-folders). A file that is
    /// recognised but broken (a corrupt store, a wrong password, a
    /// truncated certificate) or too big is an error naming it; a file that
    /// is nothing ccelab reads is ignored, with the reason.
    pub fn read(dir: &Path, passwords: &Passwords) -> Result<Inputs, ReproduceError> {
        if !dir.is_dir() {
            return Err(ReproduceError::file(dir, "not a folder"));
        }
        let base = std::path::absolute(dir).map_err(|e| ReproduceError::file(dir, e))?;
        let mut inputs = Inputs::default();
        let mut total = 0u64;
        let mut read: Vec<(String, PathBuf, Vec<u8>)> = Vec::new();
        for (name, path) in files_below(dir)? {
            let meta =
                std::fs::symlink_metadata(&path).map_err(|e| ReproduceError::file(&path, e))?;
            if meta.len() > MAX_INPUT {
                return Err(ReproduceError::file(
                    &path,
                    format!(
                        "{} bytes: larger than the {} MiB any certificate, key store or configuration file ccelab reads (is it the right file?)",
                        meta.len(),
                        MAX_INPUT >> 20
                    ),
                ));
            }
            total += meta.len();
            if total > MAX_TOTAL {
                return Err(ReproduceError::file(
                    dir,
                    format!("more than {} MiB of files: not a customer's folder of certificates and settings", MAX_TOTAL >> 20),
                ));
            }
            let full = base.join(&name);
            match ccelab_emulators::host::read_within(&base, &full, MAX_INPUT) {
                Ok(b) => read.push((name, path, b)),
                // a link, inside the folder, to a file too big
                Err(e @ ccelab_emulators::host::DiskError::TooLarge(..)) => {
                    return Err(ReproduceError::file(&path, e))
                }
                Err(e) => inputs.ignored.push((name, format!("not read: {e}"))),
            }
        }
        // CVP's security.properties first: its password opens the .keystore
        let cvp_passwords: Vec<(String, String)> = read
            .iter()
            .filter_map(|(name, _, b)| Some((name.clone(), security_properties(b)?)))
            .collect();
        for (name, path, bytes) in read {
            match recognise(&name, &path, &bytes, passwords, &cvp_passwords)? {
                Ok(kind) => inputs.used.push(Input { name, kind }),
                Err(why) => inputs.ignored.push((name, why)),
            }
        }
        inputs.ignored.sort();
        inputs.prefer_real_bytes();
        Ok(inputs)
    }

    /// The DER of every certificate rebuilt from a VOS detail dump.
    pub fn rebuilt(&self) -> std::collections::BTreeSet<Vec<u8>> {
        self.used
            .iter()
            .flat_map(|i| match &i.kind {
                Kind::Vos(v) => v.rebuilt.iter().map(|c| c.der().to_vec()).collect(),
                _ => Vec::new(),
            })
            .collect()
    }

    /// A certificate rebuilt from a VOS detail dump that another file has
    /// whole (same issuer and serial number) is that file's: its bytes are
    /// the original's, so stores and chains see the same certificate.
    fn prefer_real_bytes(&mut self) {
        let rebuilt = self.rebuilt();
        let real: Vec<Certificate> = self
            .all_certificates()
            .into_iter()
            .filter(|c| !rebuilt.iter().any(|r| r.as_slice() == c.der()))
            .collect();
        // by text: a dump does not keep the names' string types
        let same = |a: &Certificate, b: &Certificate| {
            a.serial_hex() == b.serial_hex()
                && a.issuer_string().eq_ignore_ascii_case(&b.issuer_string())
        };
        for i in &mut self.used {
            let Kind::Vos(v) = &mut i.kind else { continue };
            // every copy of a rebuilt certificate that has a real one
            let swaps: Vec<(Vec<u8>, Certificate)> = v
                .rebuilt
                .iter()
                .filter_map(|c| Some((c.der().to_vec(), real.iter().find(|r| same(r, c))?.clone())))
                .collect();
            for list in [&mut v.own, &mut v.trust, &mut v.other] {
                for c in list.iter_mut() {
                    if let Some((_, r)) = swaps.iter().find(|(d, _)| d.as_slice() == c.der()) {
                        *c = r.clone();
                    }
                }
            }
            v.rebuilt
                .retain(|c| !swaps.iter().any(|(d, _)| d.as_slice() == c.der()));
            v.rebuilt.dedup_by(|a, b| a.der() == b.der());
        }
    }

    /// Every certificate of the inputs (files and stores' trusted entries), each once.
    pub fn all_certificates(&self) -> Vec<Certificate> {
        let mut out: Vec<Certificate> = Vec::new();
        for i in &self.used {
            let certs: Vec<Certificate> = match &i.kind {
                Kind::Certificates { certs, .. } => certs.clone(),
                Kind::Vos(v) => v.certificates(),
                Kind::Store { store, .. } => store
                    .entries()
                    .iter()
                    .filter_map(|e| e.entry.certificate().cloned())
                    .collect(),
                _ => Vec::new(),
            };
            for c in certs {
                if !out.iter().any(|o| o.der() == c.der()) {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// Recognises one file: `Ok(Ok(kind))` used, `Ok(Err(why))` ignored,
/// `Err` a broken file of a kind ccelab reads.
fn recognise(
    name: &str,
    path: &Path,
    bytes: &[u8],
    passwords: &Passwords,
    cvp_passwords: &[(String, String)],
) -> Result<Result<Kind, String>, ReproduceError> {
    if bytes.is_empty() {
        return Ok(Err("empty".into()));
    }
    // a DER certificate or PKCS#7 bundle first: PKCS#12 is a DER SEQUENCE too
    if bytes.first() == Some(&0x30) {
        if let Ok(c) = Certificate::from_der(bytes) {
            return Ok(Ok(Kind::Certificates {
                form: "DER",
                certs: vec![c],
            }));
        }
        if let Some(certs) = ccelab_emulators::pki::pkcs7::certificates(bytes) {
            let certs = certs.map_err(|e| ReproduceError::file(path, e))?;
            return Ok(Ok(Kind::Certificates {
                form: "PKCS#7 (DER)",
                certs,
            }));
        }
    }
    // key stores: JKS and JCEKS by their magic, PKCS#12 by its structure
    if let Some(t) =
        detect(bytes).filter(|t| matches!(t, StoreType::Jks | StoreType::Jceks | StoreType::Pkcs12))
    {
        // the password given for this file, else the default, then the
        // Security.keystorePW of a security.properties among the files
        let mut tries: Vec<(String, Option<String>)> = vec![(passwords.of(name).to_string(), None)];
        if !passwords.by_file.contains_key(name)
            && !passwords
                .by_file
                .contains_key(name.rsplit('/').next().unwrap_or(name))
        {
            for (file, pw) in cvp_passwords {
                if !tries.iter().any(|(p, _)| p == pw) {
                    tries.push((pw.clone(), Some(file.clone())));
                }
            }
        }
        let mut first_error = None;
        for (pass, from) in &tries {
            match Keystore::load_as(t, bytes, Some(pass)) {
                Ok(store) => {
                    return Ok(Ok(Kind::Store {
                        store,
                        password: pass.clone(),
                        password_from: from.clone(),
                    }))
                }
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        let tried = if passwords.by_file.contains_key(name) {
            "--storepass for this file".to_string()
        } else if tries.len() > 1 {
            format!(
                "--storepass (default changeit), then Security.keystorePW of {}; a 12.6(2) security.properties keeps it encrypted: give DecryptKeystoreUtil.bat's output as --storepass {name}=PASS",
                cvp_passwords
                    .iter()
                    .map(|(f, _)| f.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else {
            "--storepass, default changeit".to_string()
        };
        return Err(ReproduceError::file(
            path,
            format!(
                "a {} key store that cannot be read with the password given ({tried}): {}",
                t.keytool_name(),
                first_error.map(|e| e.to_string()).unwrap_or_default()
            ),
        ));
    }
    if bytes.first() == Some(&0x30) {
        return Ok(Err(
            "binary data that is not a certificate, a PKCS#7 bundle or a key store".into(),
        ));
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Ok(Err("not text, and not a certificate or key store".into()));
    };
    let text = text.trim_start_matches('\u{feff}');
    match vos_capture(text) {
        Ok(Some(cap)) => {
            if cap.own.is_empty()
                && cap.trust.is_empty()
                && cap.other.is_empty()
                && !cap.has_trust_list
            {
                return Ok(Err(
                    "a VOS CLI capture without the tomcat certificate or the tomcat-trust list"
                        .into(),
                ));
            }
            return Ok(Ok(Kind::Vos(cap)));
        }
        Ok(None) => {}
        Err(e) => return Err(ReproduceError::file(path, format!("VOS CLI capture: {e}"))),
    }
    if text.contains("-----BEGIN ") {
        let blocks = pem::parse(text).map_err(|e| ReproduceError::file(path, e))?;
        let mut certs = Vec::new();
        let mut p7 = false;
        for b in &blocks {
            match b.label.as_str() {
                "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => certs
                    .push(Certificate::from_der(&b.der).map_err(|e| {
                        ReproduceError::file(path, format!("line {}: {e}", b.line))
                    })?),
                "PKCS7" | "CERTIFICATE CHAIN" => {
                    p7 = true;
                    match ccelab_emulators::pki::pkcs7::certificates(&b.der) {
                        Some(Ok(cs)) => certs.extend(cs),
                        Some(Err(e)) => {
                            return Err(ReproduceError::file(path, format!("line {}: {e}", b.line)))
                        }
                        None => {
                            return Err(ReproduceError::file(
                                path,
                                format!("line {}: not a PKCS#7 SignedData", b.line),
                            ))
                        }
                    }
                }
                _ => {}
            }
        }
        if certs.is_empty() {
            let labels: Vec<&str> = blocks.iter().map(|b| b.label.as_str()).collect();
            return Ok(Err(format!(
                "PEM without a certificate ({}): a customer's private keys are not needed, nor used",
                labels.join(", ")
            )));
        }
        return Ok(Ok(Kind::Certificates {
            form: if p7 { "PKCS#7 (PEM)" } else { "PEM" },
            certs,
        }));
    }
    if text.contains("<system.applicationHost")
        || text.contains("<sites>") && text.contains("<binding ")
    {
        return match iis_binding(text) {
            Ok(Some(b)) => Ok(Ok(Kind::Iis(b))),
            Ok(None) => Ok(Err("IIS configuration without an https binding".into())),
            Err(e) => Err(ReproduceError::file(
                path,
                format!("IIS configuration: {e}"),
            )),
        };
    }
    if let Some(inv) = inventory(text).map_err(|e| ReproduceError::file(path, e))? {
        return Ok(Ok(inv));
    }
    if let Some(settings) = ldap_settings(text).map_err(|e| ReproduceError::file(path, e))? {
        return Ok(Ok(Kind::LdapSettings(settings)));
    }
    if let Some(keystore_pw) = security_properties(bytes) {
        return Ok(Ok(Kind::CvpSecurity { keystore_pw }));
    }
    let protocol = js_var(text, "web_server_protocol");
    let name_ = js_var(text, "web_server_name");
    if protocol.is_some() || name_.is_some() {
        return Ok(Ok(Kind::SpogConfig {
            protocol,
            name: name_,
        }));
    }
    Ok(Err(
        "text that is not a certificate, IIS's applicationHost.config, a machine inventory, ECE's spog_config.js or LDAP settings, or CVP's security.properties"
            .into(),
    ))
}

/// The machine inventory in `text`, when it is one: the REST API's XML
/// (a `<results>` list or one `<machine>`) or the bulk CSV (its template's
/// header first). Err: it says it is one but cannot be read.
fn inventory(text: &str) -> Result<Option<Kind>, String> {
    use ccelab_emulators::cce_admin::inventory::{MachineXml, CSV_HEADER};
    #[derive(serde::Deserialize)]
    struct Results {
        #[serde(default)]
        machines: Machines,
    }
    #[derive(serde::Deserialize, Default)]
    struct Machines {
        #[serde(default)]
        machine: Vec<MachineXml>,
    }
    let body = text.trim_start();
    let body = match body.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, r)| r).trim_start(),
        None => body,
    };
    let xml = if body.starts_with("<results") && body.contains("<machines") {
        let r: Results =
            quick_xml::de::from_str(body).map_err(|e| format!("machine inventory XML: {e}"))?;
        Some(r.machines.machine)
    } else if body.starts_with("<machine>") || body.starts_with("<machine ") {
        let m: MachineXml =
            quick_xml::de::from_str(body).map_err(|e| format!("machine inventory XML: {e}"))?;
        Some(vec![m])
    } else {
        None
    };
    if let Some(list) = xml {
        return Ok(Some(Kind::Inventory {
            form: "machineinventory XML",
            machines: list.iter().map(MachineXml::to_new).collect(),
        }));
    }
    let mut lines = text.lines();
    if lines.next().map(str::trim) != Some(CSV_HEADER) {
        return Ok(None);
    }
    let mut machines = Vec::new();
    for (i, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(',').collect();
        if cols.len() != 7 {
            return Err(format!(
                "machine inventory CSV, line {}: {} columns instead of 7",
                i + 2,
                cols.len()
            ));
        }
        machines.push(NewMachine {
            name: Some(cols[0].trim().to_string()).filter(|s| !s.is_empty()),
            machine_type: cols[1].trim().to_string(),
            address: cols[2].trim().to_string(),
            ..NewMachine::default()
        });
    }
    Ok(Some(Kind::Inventory {
        form: "machine inventory CSV",
        machines,
    }))
}

/// `Security.keystorePW` of a CVP `security.properties` ([SEC]), when
/// `bytes` is one. In 12.6(2) the value is encrypted: it opens no store,
/// and `--storepass .keystore=…` (from `DecryptKeystoreUtil.bat`) does.
fn security_properties(bytes: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(bytes).ok()?;
    if !text.contains("Security.keystorePW") {
        return None;
    }
    ccelab_emulators::cvp::password_from(ccelab_emulators::cvp::KeystoreProfile::V125, text).ok()
}

/// The labels of ECE's Partition Administration Configuration ([ECE] 2.2),
/// in English and in the Japanese translation of the document, and the
/// field each fills.
const LDAP_LABELS: &[(&str, &str)] = &[
    ("ldap url", "ldap_url"),
    ("dn attribute", "dn_attribute"),
    ("dn属性", "dn_attribute"),
    ("base", "base"),
    ("dn for ldap search", "search_dn"),
    ("ldap検索のdn", "search_dn"),
    ("password", "password"),
    ("パスワード", "password"),
    ("enable ssl on ldap", "enable_ssl"),
    ("ldapでのsslの有効化", "enable_ssl"),
    ("keystore location", "keystore_location"),
    ("キーストアの場所", "keystore_location"),
];

/// ECE's LDAP settings in `text`, when it is them: the screen's fields
/// (`LDAP URL: ldaps://…` and the others, `:`, `=` or a tab after the
/// label) or the JSON of ccelab's control API. Err: a field that cannot be
/// read, with its line.
fn ldap_settings(text: &str) -> Result<Option<LdapSettings>, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') && trimmed.contains("\"ldap_url\"") {
        #[derive(serde::Deserialize)]
        struct Json {
            ldap_url: String,
            dn_attribute: Option<String>,
            base: Option<String>,
            search_dn: Option<String>,
            password: Option<String>,
            enable_ssl: Option<bool>,
            keystore_location: Option<String>,
        }
        let j: Json =
            serde_json::from_str(trimmed).map_err(|e| format!("LDAP settings (JSON): {e}"))?;
        let s = LdapSettings {
            form: "JSON",
            ldap_url: j.ldap_url,
            dn_attribute: j.dn_attribute,
            base: j.base,
            search_dn: j.search_dn,
            password_given: j.password.is_some_and(|p| !p.is_empty()),
            enable_ssl: j.enable_ssl,
            keystore_location: j.keystore_location,
        };
        return check_url(s, 1).map(Some);
    }
    let mut s = LdapSettings {
        form: "screen fields",
        ..LdapSettings::default()
    };
    let mut url_line = None;
    // the other fields' labels seen: with the URL not an ldap one, a text
    // is only taken for the settings when it has several of the screen's
    // labels (a customer's note mentioning an "LDAP URL" is not them)
    let mut labels: Vec<&str> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let Some(at) = line.find([':', '=', '\t', '：']) else {
            continue;
        };
        let label = line[..at]
            .trim()
            .trim_end_matches('*')
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let sep = line[at..].chars().next().map_or(1, char::len_utf8);
        let value = line[at + sep..].trim().to_string();
        let Some((_, field)) = LDAP_LABELS.iter().find(|(l, _)| *l == label) else {
            continue;
        };
        let opt = || Some(value.clone()).filter(|v| !v.is_empty());
        if *field != "ldap_url" && !labels.contains(field) {
            labels.push(field);
        }
        match *field {
            "ldap_url" => {
                s.ldap_url = value.clone();
                url_line = Some(i + 1);
            }
            "dn_attribute" => s.dn_attribute = opt(),
            "base" => s.base = Some(value.clone()),
            "search_dn" => s.search_dn = Some(value.clone()),
            "password" => s.password_given = !value.is_empty(),
            "keystore_location" => s.keystore_location = opt(),
            _ => {
                s.enable_ssl = Some(match value.to_lowercase().as_str() {
                    "yes" | "true" | "on" | "checked" | "enabled" | "1" | "はい" | "x" | "[x]" => {
                        true
                    }
                    "no" | "false" | "off" | "unchecked" | "disabled" | "0" | "いいえ" | ""
                    | "[ ]" => false,
                    other => {
                        return Err(format!(
                        "LDAP settings, line {}: Enable SSL on LDAP is `{other}`, not yes or no",
                        i + 1
                    ))
                    }
                })
            }
        }
    }
    match url_line {
        Some(line) if s.ldap_url.to_ascii_lowercase().starts_with("ldap") || labels.len() >= 2 => {
            check_url(s, line).map(Some)
        }
        _ => Ok(None),
    }
}

/// `s` when its LDAP URL is one (`ldap://` or `ldaps://`, a host).
fn check_url(s: LdapSettings, line: usize) -> Result<LdapSettings, String> {
    match s.server() {
        Some((scheme, host, _)) if (scheme == "ldap" || scheme == "ldaps") && !host.is_empty() => {
            Ok(s)
        }
        _ => Err(format!(
            "LDAP settings, line {line}: LDAP URL `{}` is not ldap://HOST[:PORT] or ldaps://HOST[:PORT]",
            s.ldap_url
        )),
    }
}

/// `var NAME = "VALUE";` in a JavaScript file.
fn js_var(text: &str, var: &str) -> Option<String> {
    let re = regex::Regex::new(&format!(r#"\b{var}\s*=\s*["']([^"'\r\n]*)["']"#)).ok()?;
    re.captures(text).map(|c| c[1].to_string())
}

/// The https binding of the Default Web Site (or of the first site with
/// one), and the site's "Require SSL".
fn iis_binding(text: &str) -> Result<Option<IisBinding>, String> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(text);
    let mut site = String::new();
    let mut location = None::<String>;
    let mut found: Vec<IisBinding> = Vec::new();
    let mut ssl_sites: Vec<String> = Vec::new();
    loop {
        let ev = r
            .read_event()
            .map_err(|e| format!("not XML at byte {}: {e}", r.buffer_position()))?;
        match ev {
            Event::Eof => break,
            Event::Start(e) | Event::Empty(e) => {
                let attr = |k: &str| -> Option<String> {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == k.as_bytes())
                        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
                };
                match e.name().as_ref() {
                    b"site" => site = attr("name").unwrap_or_default(),
                    b"location" => location = attr("path"),
                    b"binding" if attr("protocol").as_deref() == Some("https") => {
                        found.push(IisBinding {
                            site: site.clone(),
                            information: attr("bindingInformation").unwrap_or_default(),
                            ssl_flags: attr("sslFlags")
                                .and_then(|f| f.trim().parse().ok())
                                .unwrap_or(0),
                            certificate_hash: attr("certificateHash")
                                .filter(|h| !h.is_empty())
                                .map(|h| h.to_ascii_uppercase()),
                            require_ssl: false,
                        })
                    }
                    b"access" => {
                        if let (Some(loc), Some(flags)) = (&location, attr("sslFlags")) {
                            if flags.split(',').any(|f| f.trim() == "Ssl") {
                                ssl_sites.push(loc.clone());
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) if e.name().as_ref() == b"location" => location = None,
            _ => {}
        }
    }
    let pick = found
        .iter()
        .position(|b| b.site == "Default Web Site")
        .or(if found.is_empty() { None } else { Some(0) });
    Ok(pick.map(|i| {
        let mut b = found.swap_remove(i);
        b.require_ssl = ssl_sites.contains(&b.site);
        b
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machines(k: Kind) -> Vec<(String, String)> {
        match k {
            Kind::Inventory { machines, .. } => machines
                .into_iter()
                .map(|m| (m.machine_type, m.address))
                .collect(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_inventory_is_read_from_the_apis_xml_and_the_bulk_csv() {
        let list = "<?xml version=\"1.0\"?><results><pageInfo><totalResults>1</totalResults></pageInfo><machines><machine><name>ece</name><type>ECE_WEB_SERVER</type><networks><network><type>PUBLIC</type><address>10.0.0.5</address></network></networks></machine></machines></results>";
        assert_eq!(
            machines(inventory(list).unwrap().unwrap()),
            [("ECE_WEB_SERVER".to_string(), "10.0.0.5".to_string())]
        );
        let one = "<machine><type>ECE_WEB_SERVER</type><networks><network><address>ece</address></network></networks></machine>";
        assert_eq!(machines(inventory(one).unwrap().unwrap())[0].1, "ece");
        let csv = format!(
            "{}\r\nece,ECE_WEB_SERVER,ece.example.com,,,,\r\n",
            ccelab_emulators::cce_admin::inventory::CSV_HEADER
        );
        assert_eq!(
            machines(inventory(&csv).unwrap().unwrap())[0].1,
            "ece.example.com"
        );
        // a row that is not one: the line named
        let bad = format!(
            "{}\nece,ECE_WEB_SERVER\n",
            ccelab_emulators::cce_admin::inventory::CSV_HEADER
        );
        assert_eq!(
            inventory(&bad).unwrap_err(),
            "machine inventory CSV, line 2: 2 columns instead of 7"
        );
        assert!(inventory("<results><machines><machine><type>").is_err());
        // other text is not an inventory
        assert!(inventory("var web_server_name = \"x\";").unwrap().is_none());
    }

    #[test]
    fn ece_ldap_settings_are_read_from_the_screens_labels_or_json() {
        let text = "Partition Administration Configuration\r\nLDAP URL*: ldaps://gc.corp.example:3269\r\nDN Attribute*\tuserPrincipalName\r\nBase =\r\nDN for LDAP Search: CN=svc, OU=Svc, DC=corp, DC=example\r\nPassword: ●●●●\r\nEnable SSL on LDAP: Yes\r\nKeystore Location: c:\\ece\\pcce\\mydomain.jks\r\n";
        let s = ldap_settings(text).unwrap().unwrap();
        assert_eq!(s.ldap_url, "ldaps://gc.corp.example:3269");
        assert_eq!(s.dn_attribute.as_deref(), Some("userPrincipalName"));
        assert_eq!(s.base.as_deref(), Some(""));
        assert_eq!(
            s.search_dn.as_deref(),
            Some("CN=svc, OU=Svc, DC=corp, DC=example")
        );
        assert!(s.password_given);
        assert_eq!(s.enable_ssl, Some(true));
        assert_eq!(
            s.keystore_location.as_deref(),
            Some("c:\\ece\\pcce\\mydomain.jks")
        );
        assert_eq!(
            s.server(),
            Some(("ldaps".into(), "gc.corp.example".into(), 3269))
        );
        // the Japanese translation's labels, full-width colons
        let ja = "LDAP URL：ldap://dc.example.local\nLDAP検索のDN：CN=pcceadmin, CN=Users, DC=example, DC=local\nLDAPでのSSLの有効化：いいえ\n";
        let s = ldap_settings(ja).unwrap().unwrap();
        assert_eq!(s.enable_ssl, Some(false));
        assert_eq!(
            s.server(),
            Some(("ldap".into(), "dc.example.local".into(), 389))
        );
        assert!(s.search_dn.unwrap().starts_with("CN=pcceadmin"));
        // ccelab's JSON
        let json = r#"{"ldap_url":"ldap://dc.example.local:3268","dn_attribute":"userPrincipalName","base":"","search_dn":"","enable_ssl":false,"keystore_location":""}"#;
        assert_eq!(ldap_settings(json).unwrap().unwrap().form, "JSON");
        // broken: the line named
        assert_eq!(
            ldap_settings("LDAP URL: ldap://dc\nEnable SSL on LDAP: maybe\n").unwrap_err(),
            "LDAP settings, line 2: Enable SSL on LDAP is `maybe`, not yes or no"
        );
        assert_eq!(
            ldap_settings("x\nLDAP URL: dc.example.local:389\nDN Attribute: upn\nBase:\n")
                .unwrap_err(),
            "LDAP settings, line 2: LDAP URL `dc.example.local:389` is not ldap://HOST[:PORT] or ldaps://HOST[:PORT]"
        );
        // not LDAP settings: other text, and a note that mentions an LDAP URL
        assert!(ldap_settings("var web_server_name = \"x\";")
            .unwrap()
            .is_none());
        assert!(ldap_settings("Hi,\nLDAP URL: ask Bob\nThanks\n")
            .unwrap()
            .is_none());
        // IPv6 literals, with and without a port
        let v6 = |u: &str| LdapSettings {
            ldap_url: u.into(),
            ..LdapSettings::default()
        };
        assert_eq!(
            v6("ldaps://[fd00::5]:3269").server(),
            Some(("ldaps".into(), "[fd00::5]".into(), 3269))
        );
        assert_eq!(
            v6("ldap://[fd00::5]").server(),
            Some(("ldap".into(), "[fd00::5]".into(), 389))
        );
        assert_eq!(v6("ldap://[fd00::5]x").server(), None);
        assert_eq!(
            security_properties(b"#x\r\nSecurity.keystorePW = abc\r\n").as_deref(),
            Some("abc")
        );
        assert_eq!(security_properties(b"a = b\n"), None);
    }
}

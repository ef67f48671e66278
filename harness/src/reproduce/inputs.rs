//! What a customer sent, recognised by content (never by file name): public
//! certificates (PEM, DER, PKCS#7 `.p7b` in DER or PEM, chain files, a VOS
//! `show cert` output that embeds PEM), Java key stores (JKS, JCEKS,
//! PKCS#12) with their passwords, IIS `applicationHost.config`, CCE
//! Administration's machine inventory (the REST API's XML or the bulk CSV)
//! and ECE's `spog_config.js`.

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
    /// A Java key store (an AW's `cacerts`, a CVP `.keystore`).
    Store {
        /// The store as read.
        store: Keystore,
        /// The password it opened with.
        password: String,
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
    /// ECE's `spog_config.js` ([ECE] 3).
    SpogConfig {
        /// `web_server_protocol`.
        protocol: Option<String>,
        /// `web_server_name`.
        name: Option<String>,
    },
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
            let bytes = match ccelab_emulators::host::read_within(&base, &full, MAX_INPUT) {
                Ok(b) => b,
                // a link, inside the folder, to a file too big
                Err(e @ ccelab_emulators::host::DiskError::TooLarge(..)) => {
                    return Err(ReproduceError::file(&path, e))
                }
                Err(e) => {
                    inputs.ignored.push((name, format!("not read: {e}")));
                    continue;
                }
            };
            match recognise(&name, &path, &bytes, passwords)? {
                Ok(kind) => inputs.used.push(Input { name, kind }),
                Err(why) => inputs.ignored.push((name, why)),
            }
        }
        Ok(inputs)
    }

    /// Every certificate of the inputs (files and stores' trusted entries), each once.
    pub fn all_certificates(&self) -> Vec<Certificate> {
        let mut out: Vec<Certificate> = Vec::new();
        for i in &self.used {
            let certs: Vec<Certificate> = match &i.kind {
                Kind::Certificates { certs, .. } => certs.clone(),
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
        let pass = passwords.of(name);
        let store = Keystore::load_as(t, bytes, Some(pass)).map_err(|e| {
            ReproduceError::file(
                path,
                format!(
                    "a {} key store that cannot be read with the password given ({}): {e}",
                    t.keytool_name(),
                    if passwords.by_file.contains_key(name) {
                        "--storepass for this file"
                    } else {
                        "--storepass, default changeit"
                    }
                ),
            )
        })?;
        return Ok(Ok(Kind::Store {
            store,
            password: pass.to_string(),
        }));
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
        let vos =
            text.contains("tomcat") && (text.contains("show cert") || text.contains("admin:"));
        return Ok(Ok(Kind::Certificates {
            form: if p7 {
                "PKCS#7 (PEM)"
            } else if vos {
                "VOS `show cert` output"
            } else {
                "PEM"
            },
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
    let protocol = js_var(text, "web_server_protocol");
    let name_ = js_var(text, "web_server_name");
    if protocol.is_some() || name_.is_some() {
        return Ok(Ok(Kind::SpogConfig {
            protocol,
            name: name_,
        }));
    }
    Ok(Err(
        "text that is not a certificate, IIS's applicationHost.config, a machine inventory or ECE's spog_config.js"
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
}

//! Windows IIS as ECE's web tier runs on it ([ECE] 1.1, 1.2; F6, F8, F20,
//! F22): the site's bindings and "Require SSL" read from
//! `applicationHost.config`, the certificate-store stand-ins the bindings'
//! certificates come from, HTTP.sys's own answers, and what IIS Manager
//! writes when an administrator edits a binding or binds a new certificate.

use std::path::Path;

use crate::host::VirtualDisk;
use crate::pki::{Certificate, Issued};
use crate::stores::{write_atomic, Keystore, StoreType};

/// IIS's configuration.
pub const APPLICATION_HOST: &str = r"C:\Windows\System32\inetsrv\config\applicationHost.config";
/// ccelab's stand-in for the Windows certificate store "Personal" (My): one
/// PFX per certificate, named by its thumbprint.
pub const CERT_STORE_MY: &str = r"C:\ccelab\certstore\My";
/// ccelab's stand-in for the store "Intermediate Certification Authorities" (CA):
/// the certificates (PEM or DER `.cer`) HTTP.sys sends after the leaf.
pub const CERT_STORE_CA: &str = r"C:\ccelab\certstore\CA";
/// The password ccelab gives the PFX files of its certificate-store stand-in.
pub const PFX_PASS: &str = "changeit";

/// HTTP.sys's answer when no binding's host name matches the `Host` header:
/// "Bad Request - Invalid Hostname" / "HTTP Error 400. The request hostname is
/// invalid." (Microsoft IIS support blog, "HTTP 400 Bad Request when client
/// sends invalid HTTP:Host header value": such 400s come from HTTP.sys). The
/// surrounding HTML is HTTP.sys's stock error page as commonly captured.
pub const INVALID_HOSTNAME: &str = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n<HTML><HEAD><TITLE>Bad Request</TITLE>\r\n<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n<BODY><h2>Bad Request - Invalid Hostname</h2>\r\n<hr><p>HTTP Error 400. The request hostname is invalid.</p>\r\n</BODY></HTML>\r\n";

/// IIS's answer to plain HTTP when the site has "Require SSL" (F20; [ECE]:
/// non-SSL access to ECE is not supported): status 403, substatus 4 ("SSL
/// required", seen only in IIS's own log as `sc-substatus` 4), with the stock
/// custom-error page IIS 7+ sends remote clients for any 403 (its CSS block
/// left out). Sources: Microsoft "HTTP status code overview" for IIS (403.4 =
/// SSL required); the page's title and headings as IIS serves them.
pub const SSL_REQUIRED_PAGE: &str = "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n<html xmlns=\"http://www.w3.org/1999/xhtml\">\r\n<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"/>\r\n<title>403 - Forbidden: Access is denied.</title>\r\n</head>\r\n<body>\r\n<div id=\"header\"><h1>Server Error</h1></div>\r\n<div id=\"content\">\r\n <div class=\"content-container\"><fieldset>\r\n  <h2>403 - Forbidden: Access is denied.</h2>\r\n  <h3>You do not have permission to view this directory or page using the credentials that you supplied.</h3>\r\n </fieldset></div>\r\n</div>\r\n</body>\r\n</html>\r\n";

/// An https binding read from `applicationHost.config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IisBinding {
    /// The IP address (`*`: All Unassigned).
    pub ip: String,
    /// The port.
    pub port: u16,
    /// The host name (empty: any; [ECE] 1.2 wants it blank).
    pub host_name: String,
    /// "Require Server Name Indication" (sslFlags bit 1; [ECE] 1.2 wants it unchecked).
    pub require_sni: bool,
    /// The bound certificate's thumbprint (upper case).
    pub certificate_hash: String,
}

fn attr(element: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = element.find(&key)? + key.len();
    let end = element[start..].find('"')? + start;
    Some(element[start..end].to_string())
}

/// The attributes of every `<name …>` element of an XML text, as an XML
/// reader sees them (comments skipped, either quote, entities decoded).
/// A malformed file yields the elements before the error.
fn xml_elements(config: &str, name: &str) -> Vec<std::collections::HashMap<String, String>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(config);
    let mut out = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e))
                if e.local_name().as_ref() == name.as_bytes() =>
            {
                out.push(
                    e.attributes()
                        .flatten()
                        .filter_map(|a| {
                            let k = String::from_utf8(a.key.as_ref().to_vec()).ok()?;
                            let v = a.unescape_value().ok()?.into_owned();
                            Some((k, v))
                        })
                        .collect(),
                );
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    out
}

fn split_binding_information(info: &str) -> Option<(String, u16, String)> {
    let mut parts = info.splitn(3, ':');
    let (ip, port, host) = (parts.next()?, parts.next()?, parts.next().unwrap_or(""));
    Some((ip.to_string(), port.parse().ok()?, host.to_string()))
}

/// IIS's configuration error for an `applicationHost.config` that is not
/// well-formed XML (an empty file, not XML, an unclosed element).
pub const NOT_WELL_FORMED: &str = "Configuration file is not well-formed XML";

/// Whether `config` is well-formed XML with one root element, as IIS's
/// configuration system requires; Err: IIS's words and where.
pub fn check_well_formed(config: &str) -> Result<(), String> {
    let mut r = quick_xml::Reader::from_str(config);
    r.config_mut().check_end_names = true;
    let (mut depth, mut roots) = (0usize, 0usize);
    loop {
        let at = r.buffer_position();
        let line = || {
            config[..(at as usize).min(config.len())]
                .matches('\n')
                .count()
                + 1
        };
        match r.read_event() {
            Err(_) => return Err(format!("{NOT_WELL_FORMED} (line {})", line())),
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(quick_xml::events::Event::Start(_)) => {
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
            }
            Ok(quick_xml::events::Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(quick_xml::events::Event::Empty(_)) if depth == 0 => roots += 1,
            Ok(quick_xml::events::Event::Text(t)) if depth == 0 => {
                if !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(format!("{NOT_WELL_FORMED} (line {})", line()));
                }
            }
            Ok(_) => {}
        }
    }
    if roots != 1 || depth != 0 {
        return Err(format!("{NOT_WELL_FORMED} (no single root element)"));
    }
    Ok(())
}

/// The detailed error page IIS shows a local client when the configuration
/// cannot be read (HTTP 500.19; error code 0x8007000d for XML that is not
/// well-formed). The texts are IIS's; the markup is ccelab's, shorter than IIS's.
pub fn error_500_19(config_file: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><title>IIS 10.0 Detailed Error - 500.19 - Internal Server Error</title></head>\n<body><h3>HTTP Error 500.19 - Internal Server Error</h3>\n<h4>The requested page cannot be accessed because the related configuration data for the page is invalid.</h4>\n<table><tr><th>Error Code</th><td>0x8007000d</td></tr>\n<tr><th>Config Error</th><td>{NOT_WELL_FORMED}</td></tr>\n<tr><th>Config File</th><td>\\\\?\\{config_file}</td></tr></table>\n</body></html>\n"
    )
}

/// The `https` bindings of `applicationHost.config` (IIS: sslFlags bit 1 = Require SNI).
pub fn iis_https_bindings(config: &str) -> Vec<IisBinding> {
    xml_elements(config, "binding")
        .into_iter()
        .filter(|a| {
            a.get("protocol")
                .is_some_and(|p| p.eq_ignore_ascii_case("https"))
        })
        .filter_map(|a| {
            let (ip, port, host_name) = split_binding_information(a.get("bindingInformation")?)?;
            let flags: u32 = a
                .get("sslFlags")
                .and_then(|f| f.trim().parse().ok())
                .unwrap_or(0);
            Some(IisBinding {
                ip,
                port,
                host_name,
                require_sni: flags & 1 == 1,
                certificate_hash: a
                    .get("certificateHash")
                    .cloned()
                    .unwrap_or_default()
                    .to_ascii_uppercase(),
            })
        })
        .collect()
}

/// The `http` bindings (`ip`, `port`, host name) of `applicationHost.config`.
pub fn iis_http_bindings(config: &str) -> Vec<(String, u16, String)> {
    xml_elements(config, "binding")
        .into_iter()
        .filter(|a| {
            a.get("protocol")
                .is_some_and(|p| p.eq_ignore_ascii_case("http"))
        })
        .filter_map(|a| split_binding_information(a.get("bindingInformation")?))
        .collect()
}

/// "Require SSL" on the Default Web Site: an `<access sslFlags="Ssl…">`
/// element in the site's `<location>` (what IIS Manager's SSL Settings write).
pub fn iis_requires_ssl(config: &str) -> bool {
    xml_elements(config, "access").iter().any(|a| {
        a.get("sslFlags")
            .is_some_and(|f| f.split(',').any(|v| v.trim() == "Ssl"))
    })
}

/// The leaf, then the certificates of `dir` (PEM or DER `.cer` files) that
/// certify it, issuer by issuer, stopping before a self-signed root.
pub fn chain_from_ca_store(leaf: &Certificate, disk: &VirtualDisk, dir: &Path) -> Vec<Certificate> {
    // a link out of the disk, a FIFO or a huge file in the store is skipped
    let listed = disk.check(dir).and_then(|()| {
        std::fs::read_dir(dir).map_err(|e| crate::host::DiskError::Io(String::new(), e.to_string()))
    });
    let store: Vec<Certificate> = listed
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .take(1000)
                .filter_map(|e| disk.read(&e.path()).ok())
                .filter_map(|b| {
                    Certificate::all_from_pem(&String::from_utf8_lossy(&b))
                        .ok()
                        .and_then(|v| v.into_iter().next())
                        .or_else(|| Certificate::from_der(&b).ok())
                })
                .collect()
        })
        .unwrap_or_default();
    let mut chain = vec![leaf.clone()];
    while chain.len() < 8 {
        let cur = chain.last().cloned().unwrap_or_else(|| leaf.clone());
        match store.iter().find(|c| {
            cur.issuer() == c.subject()
                && cur.is_signed_by(c)
                && !c.is_self_issued()
                && !chain.contains(c)
        }) {
            Some(c) => chain.push(c.clone()),
            None => break,
        }
    }
    chain
}

/// What IIS Manager takes as a binding's host name: blank, or a DNS name
/// (letters, digits, `-`, `.`, a leading `*.` wildcard). Anything else is
/// refused, as the dialog refuses it — and never reaches the XML file.
pub fn check_host_name(host_name: &str) -> Result<(), String> {
    let name = host_name.strip_prefix("*.").unwrap_or(host_name);
    let ok = host_name.is_empty()
        || (name.len() <= 253
            && name.split('.').all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            }));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "host name `{host_name}`: a binding's host name is blank or a DNS name"
        ))
    }
}

/// Whether `hash` is a certificate thumbprint (40 hexadecimal digits): what
/// a binding's `certificateHash` must be to name a certificate of the store.
pub fn is_thumbprint(hash: &str) -> bool {
    hash.len() == 40 && hash.chars().all(|c| c.is_ascii_hexdigit())
}

/// IIS Manager > Server Certificates (import) and Default Web Site >
/// Bindings > the https binding's certificate: `issued` (with its key) goes
/// into the Personal store as a PFX named by its thumbprint, and every https
/// binding of `applicationHost.config` points at it. Takes effect when IIS
/// restarts.
pub fn bind_certificate(
    disk: &VirtualDisk,
    name: &str,
    issued: &Issued,
    now: time::OffsetDateTime,
) -> Result<(), String> {
    let thumb = issued.cert.thumbprint();
    let mut pfx = Keystore::new(StoreType::Pkcs12);
    pfx.set_key_entry(name, issued.key.pkcs8_der().to_vec(), issued.chain(), now)
        .map_err(|e| e.to_string())?;
    let my = disk.path(CERT_STORE_MY).map_err(|e| e.to_string())?;
    disk.check(&my).map_err(|e| e.to_string())?;
    pfx.save(&my.join(format!("{thumb}.pfx")), PFX_PASS, None)
        .map_err(|e| e.to_string())?;
    set_certificate_hash(disk, &thumb)
}

/// Every https binding of `applicationHost.config` points at certificate `thumb`.
fn set_certificate_hash(disk: &VirtualDisk, thumb: &str) -> Result<(), String> {
    let config_path = disk.path(APPLICATION_HOST).map_err(|e| e.to_string())?;
    let config = disk
        .read_string(&config_path)
        .map_err(|e| format!("{}: {e}", config_path.display()))?;
    // IIS writes the hash in either case
    let re = regex::Regex::new(r#"(?i)certificateHash\s*=\s*("[0-9a-f]*"|'[0-9a-f]*')"#)
        .map_err(|e| e.to_string())?;
    let updated = re
        .replace_all(&config, format!("certificateHash=\"{thumb}\""))
        .into_owned();
    disk.check(&config_path).map_err(|e| e.to_string())?;
    write_atomic(&config_path, updated.as_bytes()).map_err(|e| e.to_string())
}

/// The certificate IIS serves on `from` (its first https binding's),
/// exported as a PFX with its private key and chain, or without the key
/// (only the certificate: what the export wizard gives when the key was
/// not marked exportable, F22), imported into IIS on `to` — the chain's CA
/// certificates into its Intermediate store — and bound to every https
/// binding there ([ECE] 1). Returns the thumbprint. Takes effect when IIS
/// on `to` restarts.
pub fn copy_pfx(
    from: &VirtualDisk,
    to: &VirtualDisk,
    private_key: bool,
    now: time::OffsetDateTime,
) -> Result<String, String> {
    let config_path = from.path(APPLICATION_HOST).map_err(|e| e.to_string())?;
    let config = from
        .read_string(&config_path)
        .map_err(|e| format!("{APPLICATION_HOST}: {e}"))?;
    let thumb = iis_https_bindings(&config)
        .into_iter()
        .map(|b| b.certificate_hash)
        .find(|h| is_thumbprint(h))
        .ok_or_else(|| {
            "the source web server has no https binding with a certificate".to_string()
        })?;
    let my = from.path(CERT_STORE_MY).map_err(|e| e.to_string())?;
    let bytes = from
        .read(&my.join(format!("{thumb}.pfx")))
        .map_err(|e| format!("certificate {thumb}: {e}"))?;
    let ks = Keystore::load(&bytes, Some(PFX_PASS)).map_err(|e| e.to_string())?;
    let (key, chain) = ks
        .entries()
        .iter()
        .find_map(|e| match &e.entry {
            crate::stores::Entry::PrivateKey {
                key: crate::stores::KeyMaterial::Plain(k),
                chain,
            } => Some((Some(k.clone()), chain.clone())),
            crate::stores::Entry::Trusted(c) => Some((None, vec![c.clone()])),
            _ => None,
        })
        .ok_or_else(|| format!("certificate {thumb}: the PFX holds no certificate"))?;
    let leaf = chain
        .first()
        .cloned()
        .ok_or_else(|| format!("certificate {thumb}: the PFX holds no certificate"))?;
    let name = leaf.common_name().unwrap_or_else(|| thumb.clone());
    let mut pfx = Keystore::new(StoreType::Pkcs12);
    match (private_key, key) {
        (true, Some(k)) => {
            pfx.set_key_entry(&name, k, chain.clone(), now)
                .map_err(|e| e.to_string())?;
            let ca = to.path(CERT_STORE_CA).map_err(|e| e.to_string())?;
            to.check(&ca).map_err(|e| e.to_string())?;
            std::fs::create_dir_all(&ca).map_err(|e| e.to_string())?;
            for c in &chain[1..] {
                let n = c.common_name().unwrap_or_else(|| c.thumbprint());
                let p = ca.join(format!("{n}.cer"));
                to.check(&p).map_err(|e| e.to_string())?;
                write_atomic(&p, c.to_pem().as_bytes()).map_err(|e| e.to_string())?;
            }
        }
        (true, None) => {
            return Err(format!(
            "certificate {thumb}: its private key is not on this server, so it cannot be exported"
        ))
        }
        (false, _) => {
            pfx.import_cert(&name, leaf, now)
                .map_err(|e| e.to_string())?;
        }
    }
    let dest = to.path(CERT_STORE_MY).map_err(|e| e.to_string())?;
    to.check(&dest).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(&dest).map_err(|e| e.to_string())?;
    pfx.save(&dest.join(format!("{thumb}.pfx")), PFX_PASS, None)
        .map_err(|e| e.to_string())?;
    set_certificate_hash(to, &thumb)?;
    Ok(thumb)
}

/// IIS Manager > Default Web Site > Bindings > Edit the https binding: its
/// host name and "Require Server Name Indication" ([ECE] 1.2, F6), written
/// to `applicationHost.config`. Takes effect when IIS restarts.
pub fn set_https_binding(
    disk: &VirtualDisk,
    host_name: &str,
    require_sni: bool,
) -> Result<(), String> {
    check_host_name(host_name)?;
    let config_path = disk.path(APPLICATION_HOST).map_err(|e| e.to_string())?;
    let config = disk
        .read_string(&config_path)
        .map_err(|e| format!("{}: {e}", config_path.display()))?;
    let mut out = String::with_capacity(config.len());
    let mut rest = config.as_str();
    while let Some(i) = rest.find("<binding ") {
        let end = rest[i..].find('>').map(|e| i + e + 1).unwrap_or(rest.len());
        let el = &rest[i..end];
        out.push_str(&rest[..i]);
        if attr(el, "protocol").is_some_and(|p| p.eq_ignore_ascii_case("https")) {
            let info = attr(el, "bindingInformation").unwrap_or_default();
            let mut parts = info.splitn(3, ':');
            let (ip, port) = (parts.next().unwrap_or("*"), parts.next().unwrap_or("443"));
            let hash = attr(el, "certificateHash").unwrap_or_default();
            out.push_str(&format!(
                "<binding protocol=\"https\" bindingInformation=\"{ip}:{port}:{host_name}\" sslFlags=\"{}\" certificateHash=\"{hash}\" certificateStoreName=\"My\" />",
                u8::from(require_sni)
            ));
        } else {
            out.push_str(el);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    disk.check(&config_path).map_err(|e| e.to_string())?;
    write_atomic(&config_path, out.as_bytes()).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {

    #[test]
    fn only_well_formed_xml_with_one_root_is_a_configuration() {
        assert!(check_well_formed(
            "<?xml version=\"1.0\"?>\n<configuration><a x=\"1\"/></configuration>\n"
        )
        .is_ok());
        for bad in [
            "",
            "   ",
            "not xml",
            "<configuration>",
            "<a></b>",
            "<a/><b/>",
            "<a/>text",
        ] {
            let e = check_well_formed(bad).unwrap_err();
            assert!(e.starts_with(NOT_WELL_FORMED), "{bad:?}: {e}");
        }
        assert!(check_well_formed("<a>\n<b>\n</a>")
            .unwrap_err()
            .contains("line 3"));
    }

    use super::*;

    #[test]
    fn bindings_in_comments_single_quotes_and_entities() {
        let c = "<configuration><!-- <binding protocol=\"https\" bindingInformation=\"*:443:old.example.com\" sslFlags=\"1\" /> -->\n<bindings><binding protocol='https' bindingInformation='*:443:' certificateHash='ab12' />\n<binding protocol=\"http\" bindingInformation=\"*:80:\" /></bindings>\n<!-- <access sslFlags=\"Ssl\" /> --></configuration>";
        let b = iis_https_bindings(c);
        assert_eq!(b.len(), 1, "{b:?}");
        assert_eq!(b[0].host_name, "");
        assert_eq!(b[0].certificate_hash, "AB12");
        assert_eq!(
            iis_http_bindings(c),
            vec![("*".to_string(), 80, String::new())]
        );
        assert!(
            !iis_requires_ssl(c),
            "the commented-out Require SSL does not count"
        );
    }

    #[test]
    fn host_names_and_thumbprints() {
        assert!(check_host_name("").is_ok());
        assert!(check_host_name("ece.example.com").is_ok());
        assert!(check_host_name("*.example.com").is_ok());
        assert!(check_host_name("x\" certificateHash=\"../../evil").is_err());
        assert!(is_thumbprint(&"AB".repeat(20)));
        assert!(!is_thumbprint("../../../../tmp/evil"));
    }

    #[test]
    fn reads_iis_bindings() {
        let c = r#"<bindings><binding protocol="http" bindingInformation="*:80:" />
            <binding protocol="https" bindingInformation="*:443:" sslFlags="0" certificateHash="ab12" certificateStoreName="My" />
            <binding protocol="https" bindingInformation="*:443:ece.example.com" sslFlags="1" certificateHash="CD34" /></bindings>"#;
        let b = iis_https_bindings(c);
        assert_eq!(b.len(), 2);
        assert_eq!(
            b[0],
            IisBinding {
                ip: "*".into(),
                port: 443,
                host_name: "".into(),
                require_sni: false,
                certificate_hash: "AB12".into()
            }
        );
        assert!(b[1].require_sni);
        assert_eq!(b[1].host_name, "ece.example.com");
    }
}

//! The ECE web server (IIS) of a running topology: its https bindings and
//! certificate read from `applicationHost.config` and the certificate-store
//! stand-ins when it starts ([ECE] 1.2, F6, F7, F8), HTTP.sys's host routing,
//! the http binding with "Require SSL" (F20) and `spog_config.js` (F13).
//! Everything else — the partitions and their logins, the SPOG gadget
//! endpoint (`/default/spog/gadget`, a path ccelab invents), the gadget's
//! session — IIS forwards over the network to ECE's application servers
//! (`ece_app`); with "Cisco Service" stopped on every one it answers 503 (F3).
//!
//! F6 as a real system shows it (docs/research/cisco-inventory-and-sni.md):
//! the AW/ADS JREs of 12.x (8u181 and later) send SNI for any dotted host
//! name, so a Require SNI binding whose host name is the FQDN SPOG uses
//! works; SPOG fails when it calls the server by another name (HTTP.sys
//! answers `400 Invalid Hostname`) or by IP address or short name (Java
//! sends no SNI, HTTP.sys finds no binding and resets).

use super::*;

/// HTTP.sys's answer when no binding's host name matches the `Host` header:
/// "Bad Request - Invalid Hostname" / "HTTP Error 400. The request hostname is
/// invalid." (Microsoft IIS support blog, "HTTP 400 Bad Request when client
/// sends invalid HTTP:Host header value": such 400s come from HTTP.sys). The
/// surrounding HTML is HTTP.sys's stock error page as commonly captured.
pub const INVALID_HOSTNAME: &str = "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01//EN\"\"http://www.w3.org/TR/html4/strict.dtd\">\r\n<HTML><HEAD><TITLE>Bad Request</TITLE>\r\n<META HTTP-EQUIV=\"Content-Type\" Content=\"text/html; charset=us-ascii\"></HEAD>\r\n<BODY><h2>Bad Request - Invalid Hostname</h2>\r\n<hr><p>HTTP Error 400. The request hostname is invalid.</p>\r\n</BODY></HTML>\r\n";

/// An https binding read from `applicationHost.config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IisBinding {
    pub ip: String,
    pub port: u16,
    pub host_name: String,
    pub require_sni: bool,
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

/// The leaf, then the certificates of `dir` (PEM or DER `.cer` files) that
/// certify it, issuer by issuer, stopping before a self-signed root.
pub fn chain_from_ca_store(leaf: &Certificate, dir: &std::path::Path) -> Vec<Certificate> {
    let store: Vec<Certificate> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read(e.path()).ok())
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

/// IIS's answer to plain HTTP when the site has "Require SSL" (F20; [ECE]:
/// non-SSL access to ECE is not supported): status 403, substatus 4 ("SSL
/// required", seen only in IIS's own log as `sc-substatus` 4), with the stock
/// custom-error page IIS 7+ sends remote clients for any 403 (its CSS block
/// left out). Sources: Microsoft "HTTP status code overview" for IIS (403.4 =
/// SSL required); the page's title and headings as IIS serves them.
pub const SSL_REQUIRED_PAGE: &str = "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\r\n<html xmlns=\"http://www.w3.org/1999/xhtml\">\r\n<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\"/>\r\n<title>403 - Forbidden: Access is denied.</title>\r\n</head>\r\n<body>\r\n<div id=\"header\"><h1>Server Error</h1></div>\r\n<div id=\"content\">\r\n <div class=\"content-container\"><fieldset>\r\n  <h2>403 - Forbidden: Access is denied.</h2>\r\n  <h3>You do not have permission to view this directory or page using the credentials that you supplied.</h3>\r\n </fieldset></div>\r\n</div>\r\n</body>\r\n</html>\r\n";

/// The URL path under which IIS serves `{ECE_HOME}\eService\templates`
/// (ccelab's choice; the file itself is [ECE] 3's).
pub const SPOG_CONFIG_URL: &str = "/default/templates/finesse/gadget/spog/spog_config.js";

/// The request the gadget's script makes from the browser to
/// `{web_server_protocol}://{web_server_name}` (an invented path).
pub const GADGET_SESSION_PATH: &str = "/default/spog/session";

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

/// The two settings of `spog_config.js` ([ECE] 3): `var web_server_protocol
/// = "…";` and `var web_server_name = "…";` (None where a line is missing,
/// as the gadget's script then has no such variable).
pub fn spog_settings(js: &str) -> (Option<String>, Option<String>) {
    let var = |name: &str| {
        js.lines().find_map(|l| {
            let l = l.trim().strip_prefix("var ")?.trim_start();
            let rest = l.strip_prefix(name)?.trim_start().strip_prefix('=')?.trim();
            let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
            let v = &rest[1..];
            Some(v[..v.find(q)?].to_string())
        })
    };
    (var("web_server_protocol"), var("web_server_name"))
}

/// The `user:password` of an HTTP Basic `Authorization` header.
pub(super) fn basic_credentials(
    r: &ccelab_emulators::tls::HttpRequest,
) -> Option<(String, String)> {
    use base64::Engine as _;
    let v = r
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))?
        .1
        .clone();
    let b64 = v.strip_prefix("Basic ")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// What the ECE web server's request handler reads (shared by its https and http listeners).
struct EceSite {
    /// Host names of the listener's bindings (lower case; empty = any).
    host_names: Vec<String>,
    require_ssl: bool,
    /// The application servers IIS forwards to (their FQDNs), and how it reaches them.
    app_servers: Vec<String>,
    network: Arc<network::LabNetwork>,
    /// How many ECE sessions IIS has spread so far (see [`forward`]).
    sessions: Arc<std::sync::atomic::AtomicUsize>,
    spog_config: std::path::PathBuf,
    /// The web server's clock (the topology's).
    clock: ccelab_emulators::clock::Clock,
}

/// An RFC 9110 HTTP-date (`Mon, 23 Nov 2026 00:40:43 GMT`).
pub fn http_date(t: time::OffsetDateTime) -> String {
    use ccelab_emulators::clock::MONTH_ABBR;
    let t = t.to_offset(time::UtcOffset::UTC);
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[t.weekday().number_days_from_monday() as usize],
        t.day(),
        MONTH_ABBR[t.month() as usize - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// IIS's answers carry the server's clock — the topology's — in `Date`.
fn ece_handler(site: Arc<EceSite>, tls: bool) -> ccelab_emulators::tls::Handler {
    ccelab_emulators::tls::async_handler(move |r: ccelab_emulators::tls::HttpRequest| {
        let site = site.clone();
        async move {
            let mut resp = ece_routes(&site, tls, r).await;
            // IIS dates its answers itself (a forwarded answer's Date goes)
            resp.headers
                .retain(|(k, _)| !k.eq_ignore_ascii_case("date"));
            resp.headers
                .push(("Date".into(), http_date(site.clock.now())));
            resp
        }
    })
}

/// How long IIS waits for an application server (ccelab's bound; ARR's
/// default proxy time-out is longer).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);

/// IIS hands a request to ECE's application servers over the network (the
/// web tier forwards to WildFly; how the real deployment wires it is not in
/// the sources, so the forwarding is ccelab's model): a new ECE session —
/// the gadget's session call, where ECE signs the SPOG administrator in —
/// goes to the application servers in turn, any other request to the first
/// that answers. An application server whose "Cisco Service" is stopped
/// refuses the connection; when none answers IIS answers 503 (F3).
async fn forward(site: &EceSite, r: &ccelab_emulators::tls::HttpRequest) -> HttpResponse {
    let n = site.app_servers.len();
    let start = if r.path == GADGET_SESSION_PATH && n > 0 {
        site.sessions
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            % n
    } else {
        0
    };
    let target = if r.query.is_empty() {
        r.path.clone()
    } else {
        format!("{}?{}", r.path, r.query)
    };
    for i in 0..n {
        let name = &site.app_servers[(start + i) % n];
        let Ok(addr) = site.network.endpoint(name, super::APP_SERVER_PORT) else {
            continue;
        };
        let host = r.host.clone().unwrap_or_else(|| name.clone());
        if let Ok(resp) = ccelab_emulators::network::http_request(
            addr,
            &r.method,
            &target,
            &host,
            &r.headers,
            &r.body,
            FORWARD_TIMEOUT,
        )
        .await
        {
            return resp;
        }
    }
    HttpResponse::text(503, "Service Unavailable\n")
}

/// IIS in front of ECE: HTTP.sys's host routing (400 Invalid Hostname), the
/// site's "Require SSL" on plain HTTP (F20), [`SPOG_CONFIG_URL`] served from
/// the disk at the moment of the request (a static file: IIS serves edits
/// without a restart, F13); everything else is ECE's, answered by an
/// application server ([`forward`]).
async fn ece_routes(
    site: &EceSite,
    tls: bool,
    r: ccelab_emulators::tls::HttpRequest,
) -> HttpResponse {
    let host = r.host.as_deref().unwrap_or("").to_ascii_lowercase();
    let host = host
        .rsplit_once(':')
        .map(|(h, _)| h.to_string())
        .unwrap_or(host);
    // HTTP.sys routes a request to the site whose binding's host name equals
    // the Host header (an empty host name takes any); none → 400 Invalid Hostname.
    if !site.host_names.iter().any(|n| n.is_empty() || *n == host) {
        return HttpResponse {
            status: 400,
            headers: vec![("Content-Type".into(), "text/html; charset=us-ascii".into())],
            body: INVALID_HOSTNAME.as_bytes().to_vec(),
        };
    }
    if !tls && site.require_ssl {
        return HttpResponse {
            status: 403,
            headers: vec![
                ("Content-Type".into(), "text/html".into()),
                ("Server".into(), "Microsoft-IIS/10.0".into()),
            ],
            body: SSL_REQUIRED_PAGE.as_bytes().to_vec(),
        };
    }
    if r.path.eq_ignore_ascii_case(SPOG_CONFIG_URL) {
        let path = site.spog_config.clone();
        return match tokio::task::spawn_blocking(move || std::fs::read(path)).await {
            Ok(Ok(b)) => HttpResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "application/javascript".into())],
                body: b,
            },
            _ => HttpResponse::text(404, "Not Found\n"),
        };
    }
    forward(site, &r).await
}

impl Lab {
    /// (Re)starts IIS on the ECE web server from its disk: the https
    /// bindings and their certificates, the http binding (F20) and "Require SSL".
    pub(super) async fn start_ece_web(&self) -> Result<(), LabError> {
        let Some(h) = self.ece_host() else {
            return Ok(());
        };
        let config_path = h
            .disk
            .path(APPLICATION_HOST)
            .map_err(|e| svc_err(&h.name, e))?;
        let config = std::fs::read_to_string(&config_path)
            .map_err(|e| svc_err(&h.name, format!("{}: {e}", config_path.display())))?;
        let bindings = iis_https_bindings(&config);
        let store = h
            .disk
            .path(CERT_STORE_MY)
            .map_err(|e| svc_err(&h.name, e))?;
        let ca_store = h
            .disk
            .path(CERT_STORE_CA)
            .map_err(|e| svc_err(&h.name, e))?;
        let mut site = SiteConfig::default();
        let mut product_port = 443;
        for b in &bindings {
            let pfx = store.join(format!("{}.pfx", b.certificate_hash));
            let bytes = std::fs::read(&pfx).map_err(|e| {
                svc_err(&h.name, format!("certificate {}: {e}", b.certificate_hash))
            })?;
            let ks = Keystore::load(&bytes, Some(PFX_PASS))
                .map_err(|e| svc_err(&h.name, format!("{}: {e}", pfx.display())))?;
            // F22: a PFX without its private key cannot serve HTTPS
            let Some((key, chain)) = ks.entries().iter().find_map(|e| match &e.entry {
                Entry::PrivateKey {
                    key: KeyMaterial::Plain(k),
                    chain,
                } => Some((k.clone(), chain.clone())),
                _ => None,
            }) else {
                return Err(svc_err(
                    &h.name,
                    format!("{}: the certificate has no private key", pfx.display()),
                ));
            };
            let key = ccelab_emulators::pki::KeyPair::from_pkcs8_der(&key)
                .map_err(|e| svc_err(&h.name, e))?;
            // HTTP.sys sends the leaf and the path it builds from the machine's CA store
            let chain = match chain.first() {
                Some(leaf) => chain_from_ca_store(leaf, &ca_store),
                None => chain,
            };
            let mut binding = Binding::new(
                format!("Default Web Site https {}:{}:{}", b.ip, b.port, b.host_name),
                chain,
                key,
            );
            binding.host_name = (!b.host_name.is_empty()).then(|| b.host_name.clone());
            binding.require_sni = b.require_sni;
            site.bindings.push(binding);
            product_port = b.port;
        }
        let spog_config = h.disk.path(SPOG_CONFIG).map_err(|e| svc_err(&h.name, e))?;
        let require_ssl = iis_requires_ssl(&config);
        let ece_site = |host_names: Vec<String>| {
            Arc::new(EceSite {
                host_names,
                require_ssl,
                app_servers: self.app_server_names(),
                network: self.network.clone(),
                sessions: self.ece_sessions.clone(),
                spog_config: spog_config.clone(),
                clock: self.topo.clock.clone(),
            })
        };
        let https = ece_site(
            bindings
                .iter()
                .map(|b| b.host_name.to_ascii_lowercase())
                .collect(),
        );
        {
            let mut slot = self.ece_web.lock().await;
            self.serve_in(&mut slot, h, product_port, site, ece_handler(https, true))
                .await?;
        }
        // the http binding (IIS's default `*:80:`), if the site still has one
        let http = iis_http_bindings(&config);
        let mut slot = self.ece_http.lock().await;
        match http.first() {
            Some((_, port, _)) => {
                let plain = SiteConfig {
                    plain_http: true,
                    ..SiteConfig::default()
                };
                let names = http.iter().map(|b| b.2.to_ascii_lowercase()).collect();
                self.serve_in(
                    &mut slot,
                    h,
                    *port,
                    plain,
                    ece_handler(ece_site(names), false),
                )
                .await?;
            }
            None => {
                if let Some(old) = slot.take() {
                    old.stop().await;
                }
            }
        }
        Ok(())
    }

    /// Serves `product_port` of `h` from `slot` (see [`Listeners::serve_in`]).
    pub(super) async fn serve_in(
        &self,
        slot: &mut Option<TlsServer>,
        h: &crate::topology::Host,
        product_port: u16,
        site: SiteConfig,
        handler: ccelab_emulators::tls::Handler,
    ) -> Result<(), LabError> {
        self.listeners
            .serve_in(slot, &h.name, h.address, product_port, site, handler)
            .await
            .map_err(LabError::from)
    }

    /// Replaces the ECE web server's certificate as an administrator does in
    /// IIS Manager: a new certificate (self-signed, or issued by the topology's
    /// issuing CA) into the Personal store, the https binding pointed at it,
    /// IIS restarted. Nothing changes on the ADSs — re-importing there is the
    /// administrator's job (F7). Returns the new certificate's SHA-256 fingerprint.
    pub async fn replace_web_cert(&self, self_signed: bool) -> Result<String, LabError> {
        let h = self
            .ece_host()
            .ok_or_else(|| LabError::NoHost("ece-web".into()))?;
        let now = self.topo.clock.now();
        let n = self
            .cert_serial
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let key = ccelab_emulators::pki::keypool::key(
            ccelab_emulators::pki::KeyType::Rsa2048,
            20 + n % 10,
        )
        .map_err(|e| svc_err(&h.name, e))?;
        let params = ccelab_emulators::pki::CertParams::leaf(
            &format!("CN={}", h.fqdn),
            now - time::Duration::minutes(n as i64 + 1),
            now + time::Duration::days(365),
        )
        .map_err(|e| svc_err(&h.name, e))?
        .with_sans([ccelab_emulators::pki::San::Dns(h.fqdn.clone())]);
        let issued = if self_signed {
            ccelab_emulators::pki::Issued::self_signed(&params, key)
        } else {
            self.topo.issuing.issue(&params, key)
        }
        .map_err(|e| svc_err(&h.name, e))?;
        let thumb = issued.cert.sha1_fingerprint().replace(':', "");
        let mut pfx = Keystore::new(ccelab_emulators::stores::StoreType::Pkcs12);
        pfx.set_key_entry(
            &h.fqdn,
            issued.key.pkcs8_der().to_vec(),
            issued.chain(),
            now,
        )
        .map_err(|e| svc_err(&h.name, e))?;
        let my = h
            .disk
            .path(CERT_STORE_MY)
            .map_err(|e| svc_err(&h.name, e))?;
        pfx.save(&my.join(format!("{thumb}.pfx")), PFX_PASS, None)
            .map_err(|e| svc_err(&h.name, e))?;
        let config_path = h
            .disk
            .path(APPLICATION_HOST)
            .map_err(|e| svc_err(&h.name, e))?;
        let config = std::fs::read_to_string(&config_path).map_err(|e| svc_err(&h.name, e))?;
        // every https binding now points at the new thumbprint (IIS writes
        // the hash in either case)
        let re = regex::Regex::new(r#"(?i)certificateHash\s*=\s*("[0-9a-f]*"|'[0-9a-f]*')"#)
            .map_err(|e| svc_err(&h.name, e))?;
        let updated = re
            .replace_all(&config, format!("certificateHash=\"{thumb}\""))
            .into_owned();
        ccelab_emulators::stores::write_atomic(&config_path, updated.as_bytes())
            .map_err(|e| svc_err(&h.name, e))?;
        self.restart(&h.name.clone()).await?;
        Ok(issued.cert.sha256_fingerprint())
    }

    /// IIS Manager > Default Web Site > Bindings > Edit the https binding: its
    /// host name and "Require Server Name Indication" ([ECE] 1.2, F6), then
    /// IIS applies it (restart).
    pub async fn set_binding(&self, host_name: &str, require_sni: bool) -> Result<(), LabError> {
        let h = self
            .ece_host()
            .ok_or_else(|| LabError::NoHost("ece-web".into()))?;
        let config_path = h
            .disk
            .path(APPLICATION_HOST)
            .map_err(|e| svc_err(&h.name, e))?;
        let config = std::fs::read_to_string(&config_path).map_err(|e| svc_err(&h.name, e))?;
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
        ccelab_emulators::stores::write_atomic(&config_path, out.as_bytes())
            .map_err(|e| svc_err(&h.name, e))?;
        self.restart(&h.name.clone()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date(time::macros::datetime!(2026-11-23 00:40:43 UTC)),
            "Mon, 23 Nov 2026 00:40:43 GMT"
        );
    }

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

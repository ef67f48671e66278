//! The ECE web server (IIS) of a running topology: its https bindings and
//! certificate read from `applicationHost.config` and the certificate-store
//! stand-ins when it starts ([ECE] 1.2, F6, F7, F8), HTTP.sys's host routing,
//! the partitions and the SPOG gadget endpoint (`/default/spog/gadget`, a
//! path ccelab invents), and "Cisco Service" (F3).

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

/// The `https` bindings of `applicationHost.config` (IIS: sslFlags bit 1 = Require SNI).
pub fn iis_https_bindings(config: &str) -> Vec<IisBinding> {
    config
        .match_indices("<binding ")
        .filter_map(|(i, _)| {
            let el = &config[i..i + config[i..].find('>')?];
            if !attr(el, "protocol")?.eq_ignore_ascii_case("https") {
                return None;
            }
            let info = attr(el, "bindingInformation")?;
            let mut parts = info.splitn(3, ':');
            let (ip, port, host) = (parts.next()?, parts.next()?, parts.next().unwrap_or(""));
            let flags: u32 = attr(el, "sslFlags")
                .and_then(|f| f.parse().ok())
                .unwrap_or(0);
            Some(IisBinding {
                ip: ip.into(),
                port: port.parse().ok()?,
                host_name: host.into(),
                require_sni: flags & 1 == 1,
                certificate_hash: attr(el, "certificateHash")
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

impl Lab {
    /// (Re)starts IIS on the ECE web server from its disk.
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
        let known = self.bound_port(&h.name, product_port);
        let port = match (known, self.real_ports) {
            (Some(p), _) => p,
            (None, true) => product_port,
            (None, false) => 0,
        };
        let app_up = self.cisco_service.clone();
        // HTTP.sys routes a request to the site whose binding's host name equals
        // the Host header (an empty host name takes any); none → 400 Invalid Hostname.
        let host_names: Vec<String> = bindings
            .iter()
            .map(|b| b.host_name.to_ascii_lowercase())
            .collect();
        let handler = Arc::new(move |r: ccelab_emulators::tls::HttpRequest| {
            let host = r.host.as_deref().unwrap_or("").to_ascii_lowercase();
            let host = host
                .rsplit_once(':')
                .map(|(h, _)| h.to_string())
                .unwrap_or(host);
            if !host_names.iter().any(|n| n.is_empty() || *n == host) {
                return HttpResponse {
                    status: 400,
                    headers: vec![("Content-Type".into(), "text/html; charset=us-ascii".into())],
                    body: INVALID_HOSTNAME.as_bytes().to_vec(),
                };
            }
            // IIS forwards to the ECE application server; with "Cisco Service" stopped it answers 503
            if !app_up.load(std::sync::atomic::Ordering::SeqCst) {
                return HttpResponse::text(503, "Service Unavailable\n");
            }
            match r.path.as_str() {
                "/default" | "/default/" => HttpResponse::text(
                    200,
                    "Enterprise Chat and Email: business partition (default). Log in as pa.\n",
                ),
                "/system" | "/system/" => HttpResponse::text(
                    200,
                    "Enterprise Chat and Email: system partition. Log in as sa.\n",
                ),
                "/default/spog/gadget" => HttpResponse::text(200, "ECE gadget\n"),
                _ => HttpResponse::text(404, "Not Found\n"),
            }
        });
        let mut addr = SocketAddr::from((h.address, port));
        let server = match TlsServer::start(
            addr,
            site.clone(),
            handler.clone(),
            self.events.clone(),
        )
        .await
        {
            Ok(s) => s,
            Err(_) if known.is_none() && self.real_ports => {
                addr.set_port(0);
                TlsServer::start(addr, site, handler, self.events.clone())
                    .await
                    .map_err(|e| svc_err(&h.name, e))?
            }
            Err(e) => return Err(svc_err(&h.name, e)),
        };
        self.ports
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert((h.name.clone(), product_port), server.local_addr().port());
        if let Some(old) = self.ece_web.lock().await.replace(server) {
            old.stop().await;
        }
        Ok(())
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
        let mut updated = config.clone();
        for b in iis_https_bindings(&config) {
            updated = updated.replace(
                &format!("certificateHash=\"{}\"", b.certificate_hash),
                &format!("certificateHash=\"{thumb}\""),
            );
            updated = updated.replace(
                &format!(
                    "certificateHash=\"{}\"",
                    b.certificate_hash.to_ascii_lowercase()
                ),
                &format!("certificateHash=\"{thumb}\""),
            );
        }
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

//! The ECE web server: IIS on Windows serving ECE ([ECE] 1, 3; F3, F6, F7,
//! F8, F13, F20, F22). At start (and at each restart) IIS reads its https
//! bindings and their certificates from `applicationHost.config` and the
//! certificate-store stand-ins on its disk; HTTP.sys routes by host name and
//! SNI; the http binding answers "Require SSL"; `spog_config.js` is a
//! static file served as it is on the disk at the moment of the request.
//! Everything else is ECE's, answered by an application server to which IIS
//! forwards over the network ([`forward`]); with "Cisco Service" stopped on
//! every one it answers 503 (F3).
//!
//! F6 as a real system shows it (docs/research/cisco-inventory-and-sni.md):
//! the AW/ADS JREs of 12.x (8u181 and later) send SNI for any dotted host
//! name, so a Require SNI binding whose host name is the FQDN SPOG uses
//! works; SPOG fails when it calls the server by another name (HTTP.sys
//! answers `400 Invalid Hostname`) or by IP address or short name (Java
//! sends no SNI, HTTP.sys finds no binding and resets).

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::Clock;
use crate::host::VirtualDisk;
use crate::network::{http_request, Network};
use crate::pki::{Issued, KeyPair};
use crate::platform::http::http_date;
use crate::platform::iis::{
    self, chain_from_ca_store, iis_http_bindings, iis_https_bindings, iis_requires_ssl,
    APPLICATION_HOST, CERT_STORE_CA, CERT_STORE_MY, INVALID_HOSTNAME, PFX_PASS, SSL_REQUIRED_PAGE,
};
use crate::product::{HostCtx, ProductError, ProductFuture, Running, ServiceInfo};
use crate::stores::{Entry, KeyMaterial, Keystore};
use crate::tls::{
    async_handler, Binding, Handler, HttpRequest, HttpResponse, SiteConfig, TlsServer,
};

use super::{
    login_page, session_partition, APP_SERVER_PORT, GADGET_SESSION_PATH, SESSION_COOKIE,
    SESSION_USER_HEADER, SPOG_CONFIG, SPOG_CONFIG_URL, SPOG_USER_HEADER,
};

/// The most ECE sessions one web server keeps (the oldest go first).
pub const MAX_SESSIONS: usize = 10_000;

/// The ECE sessions one web server issued: ID → (user, partition). No
/// other web server knows them (F23). Where ECE really keeps its console
/// sessions is not in the sources; ccelab keeps them in the web tier.
#[derive(Default)]
pub struct Sessions {
    by_id: std::collections::HashMap<String, (String, String)>,
    order: std::collections::VecDeque<String>,
    issued: u64,
}

impl Sessions {
    /// A new session for `user` in `partition`, on the web server `fqdn`:
    /// its ID is derived from the server and a counter (deterministic, so
    /// transcripts are stable; not a secret, as in any test double).
    pub fn open(&mut self, fqdn: &str, user: &str, partition: &str) -> String {
        use sha2::Digest as _;
        self.issued += 1;
        let digest = sha2::Sha256::digest(format!("{fqdn}\n{}", self.issued).as_bytes());
        let id: String = digest[..16].iter().map(|b| format!("{b:02X}")).collect();
        self.by_id
            .insert(id.clone(), (user.to_string(), partition.to_string()));
        self.order.push_back(id.clone());
        while self.by_id.len() > MAX_SESSIONS {
            match self.order.pop_front() {
                Some(old) => {
                    self.by_id.remove(&old);
                }
                None => break,
            }
        }
        id
    }

    /// The user of session `id` in `partition`, if this server issued it.
    pub fn user(&self, id: &str, partition: &str) -> Option<String> {
        self.by_id
            .get(id)
            .filter(|(_, p)| p == partition)
            .map(|(u, _)| u.clone())
    }

    /// How many it holds.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

/// The value of the session cookie in a request.
fn session_cookie(r: &HttpRequest) -> Option<String> {
    r.headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, v)| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// What the web server is told beyond its disk: the application servers
/// its requests go to (their FQDNs; in the real deployment, IIS's
/// forwarding configuration).
#[derive(Clone, Debug, Default)]
pub struct WebConfig {
    /// The application servers, in the order IIS tries them.
    pub app_servers: Vec<String>,
}

/// IIS's knobs in a topology: the https binding ([ECE] 1.2, F6), "Require
/// SSL" (F20) and the two lines of `spog_config.js` ([ECE] 3, F13). The
/// default is [ECE] done right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IisKnobs {
    /// The https binding's host name ([ECE] 1.2: blank; F6 when set).
    pub host_name: String,
    /// "Require Server Name Indication" ([ECE] 1.2: unchecked; F6 when checked).
    pub require_sni: bool,
    /// "Require SSL" on the Default Web Site (ECE is HTTPS only: F20).
    pub require_ssl: bool,
    /// `web_server_protocol` (None: `https`; F13 when not).
    pub spog_protocol: Option<String>,
    /// `web_server_name` (None: the web server's FQDN; F13 when another name).
    pub spog_web_server_name: Option<String>,
}

impl Default for IisKnobs {
    fn default() -> Self {
        IisKnobs {
            host_name: String::new(),
            require_sni: false,
            require_ssl: true,
            spog_protocol: None,
            spog_web_server_name: None,
        }
    }
}

/// The `[ece_web]` section of a topology file: the web server's name and
/// certificate, IIS's settings, and ECE's own users.
#[derive(Clone, Debug, serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WebSection {
    /// Its FQDN (its certificate and bindings follow it).
    pub fqdn: Option<String>,
    /// `[ece_web.certificate]`: the certificate bound in IIS.
    pub certificate: Option<crate::pki::spec::CertSpec>,
    /// `[ece_web.binding]`: the https binding ([ECE] 1.2; F6).
    pub binding: Option<BindingSection>,
    /// Password of ECE's `pa` (business partition administrator).
    pub pa_password: Option<String>,
    /// Password of ECE's `sa` (system partition administrator).
    pub sa_password: Option<String>,
    /// IIS "Require SSL" on the Default Web Site (default true; F20).
    pub require_ssl: Option<bool>,
    /// `[ece_web.spog_config]`: `spog_config.js` ([ECE] 3; F13).
    pub spog_config: Option<SpogSection>,
    /// How many web servers (1–4; more than one sit behind `[lb]`).
    pub servers: Option<u8>,
}

impl WebSection {
    /// Applies IIS's settings and ECE's passwords of the section.
    pub fn apply(&self, iis: &mut IisKnobs, accounts: &mut super::db::EceAccounts) {
        iis.apply(
            self.binding.as_ref(),
            self.spog_config.as_ref(),
            self.require_ssl,
        );
        if let Some(p) = &self.pa_password {
            accounts.pa = p.clone();
        }
        if let Some(p) = &self.sa_password {
            accounts.sa = p.clone();
        }
    }
}

/// `[ece_web.binding]`: the https binding ([ECE] 1.2 wants both unset; F6).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingSection {
    /// The binding's host name ("": blank).
    pub host_name: Option<String>,
    /// "Require Server Name Indication".
    pub require_sni: Option<bool>,
}

/// `[ece_web.spog_config]`: the two lines of `spog_config.js` ([ECE] 3; F13).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpogSection {
    /// `web_server_protocol` (`https`).
    pub web_server_protocol: Option<String>,
    /// `web_server_name` (the FQDN users reach ECE by).
    pub web_server_name: Option<String>,
}

impl IisKnobs {
    /// The knobs changed by a topology file's IIS settings.
    pub fn apply(
        &mut self,
        binding: Option<&BindingSection>,
        spog: Option<&SpogSection>,
        require_ssl: Option<bool>,
    ) {
        if let Some(r) = require_ssl {
            self.require_ssl = r;
        }
        if let Some(js) = spog {
            self.spog_protocol = js.web_server_protocol.clone();
            self.spog_web_server_name = js.web_server_name.clone();
        }
        if let Some(b) = binding {
            self.host_name = b.host_name.clone().unwrap_or_default();
            self.require_sni = b.require_sni.unwrap_or(false);
        }
    }
}

/// What IIS has on its disk when the topology starts ([ECE] 1, 1.2, 3).
pub struct WebDisk<'a> {
    /// The web server's FQDN (the PFX's friendly name).
    pub fqdn: &'a str,
    /// Its certificate with the key, and the CA certificates that came with it.
    pub certificate: &'a Issued,
    /// The https binding's host name ([ECE] 1.2: blank).
    pub host_name: &'a str,
    /// "Require Server Name Indication" ([ECE] 1.2: unchecked).
    pub require_sni: bool,
    /// "Require SSL" on the Default Web Site (F20).
    pub require_ssl: bool,
    /// `spog_config.js`: `web_server_protocol` and `web_server_name` ([ECE] 3; F13).
    pub spog: (&'a str, &'a str),
}

/// Writes IIS's disk: the certificate as a PFX in the Personal store
/// stand-in, its CA certificates in the Intermediate store stand-in (from
/// which HTTP.sys builds the chain it sends: F8), `applicationHost.config`
/// with the http and https bindings and "Require SSL", and `spog_config.js`.
pub fn write_disk(
    host: &str,
    disk: &VirtualDisk,
    d: &WebDisk<'_>,
    now: time::OffsetDateTime,
) -> Result<(), ProductError> {
    let bad = |e: &dyn std::fmt::Display| ProductError::new(host, e);
    let thumb = d.certificate.cert.thumbprint();
    let mut pfx = Keystore::new(crate::stores::StoreType::Pkcs12);
    pfx.set_key_entry(
        d.fqdn,
        d.certificate.key.pkcs8_der().to_vec(),
        d.certificate.chain(),
        now,
    )
    .map_err(|e| bad(&e))?;
    let store = disk.path(CERT_STORE_MY).map_err(|e| bad(&e))?;
    crate::product::make_dir(host, &store)?;
    pfx.save(&store.join(format!("{thumb}.pfx")), PFX_PASS, None)
        .map_err(|e| bad(&e))?;
    // importing the PFX puts its CA certificates into the machine's
    // "Intermediate Certification Authorities" store
    let ca_store = disk.path(CERT_STORE_CA).map_err(|e| bad(&e))?;
    crate::product::make_dir(host, &ca_store)?;
    for c in &d.certificate.intermediates {
        let name = c.common_name().unwrap_or_else(|| c.thumbprint());
        crate::product::write_file(
            host,
            &ca_store.join(format!("{name}.cer")),
            c.to_pem().as_bytes(),
        )?;
    }
    iis::check_host_name(d.host_name).map_err(|e| bad(&e))?;
    let host_name = d.host_name;
    let sni = u8::from(d.require_sni);
    // IIS Manager > SSL Settings > Require SSL writes this location element
    let ssl = if d.require_ssl {
        "    <location path=\"Default Web Site\">\n        <system.webServer>\n            <security>\n                <access sslFlags=\"Ssl\" />\n            </security>\n        </system.webServer>\n    </location>\n"
    } else {
        ""
    };
    let config = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
    <system.applicationHost>
        <sites>
            <site name="Default Web Site" id="1">
                <bindings>
                    <binding protocol="http" bindingInformation="*:80:" />
                    <binding protocol="https" bindingInformation="*:443:{host_name}" sslFlags="{sni}" certificateHash="{thumb}" certificateStoreName="My" />
                </bindings>
            </site>
        </sites>
    </system.applicationHost>
{ssl}</configuration>
"#
    );
    let path = disk.path(APPLICATION_HOST).map_err(|e| bad(&e))?;
    crate::product::write_file(host, &path, config.as_bytes())?;
    let spog = disk.path(SPOG_CONFIG).map_err(|e| bad(&e))?;
    let js = format!(
        "var web_server_protocol = \"{}\";\nvar web_server_name = \"{}\";\n",
        d.spog.0, d.spog.1
    );
    crate::product::write_file(host, &spog, js.as_bytes())
}

/// The running web server.
pub struct RunningWeb {
    ctx: HostCtx,
    config: WebConfig,
    https: tokio::sync::Mutex<Option<TlsServer>>,
    /// IIS's plain-HTTP listener (the site's `http` binding; F20).
    http: tokio::sync::Mutex<Option<TlsServer>>,
    /// How many ECE sessions IIS has spread so far (kept across restarts).
    sessions: Arc<std::sync::atomic::AtomicUsize>,
    /// The ECE sessions this web server issued (kept across IIS restarts).
    logins: Arc<std::sync::Mutex<Sessions>>,
    /// Set while `applicationHost.config` is not well-formed: the listeners
    /// keep their bindings and every request gets 500.19 (issue 11 D7).
    config_error: Arc<std::sync::atomic::AtomicBool>,
}

/// Starts IIS on the web server's host from its disk.
pub async fn start(config: WebConfig, ctx: HostCtx) -> Result<Arc<RunningWeb>, ProductError> {
    let web = Arc::new(RunningWeb {
        ctx,
        config,
        https: tokio::sync::Mutex::new(None),
        http: tokio::sync::Mutex::new(None),
        sessions: Arc::default(),
        logins: Arc::default(),
        config_error: Arc::default(),
    });
    web.start_site().await?;
    Ok(web)
}

impl RunningWeb {
    /// (Re)starts IIS from its disk: the https bindings and their
    /// certificates, the http binding (F20) and "Require SSL".
    async fn start_site(&self) -> Result<(), ProductError> {
        let h = &self.ctx;
        // the disk is read off the async workers
        let (name, disk) = (h.name.clone(), h.disk.clone());
        let (config, bindings, site, product_port) =
            tokio::task::spawn_blocking(move || read_site(&name, &disk))
                .await
                .map_err(|e| ProductError::new(&h.name, e))??;
        let spog_config = h
            .disk
            .path(SPOG_CONFIG)
            .map_err(|e| ProductError::new(&h.name, e))?;
        let require_ssl = iis_requires_ssl(&config);
        let ece_site = |host_names: Vec<String>| {
            Arc::new(EceSite {
                host_names,
                require_ssl,
                app_servers: self.config.app_servers.clone(),
                network: h.network.clone(),
                address: h.address,
                sessions: self.sessions.clone(),
                logins: self.logins.clone(),
                fqdn: h.fqdn.clone(),
                config_error: self.config_error.clone(),
                spog_config: spog_config.clone(),
                disk: h.disk.clone(),
                clock: h.clock.clone(),
            })
        };
        let https = ece_site(
            bindings
                .iter()
                .map(|b| b.host_name.to_ascii_lowercase())
                .collect(),
        );
        {
            let mut slot = self.https.lock().await;
            h.listeners
                .serve_in(
                    &mut slot,
                    &h.name,
                    h.address,
                    product_port,
                    site,
                    ece_handler(https, true),
                )
                .await?;
        }
        // the http binding (IIS's default `*:80:`), if the site still has one
        let http = iis_http_bindings(&config);
        let mut slot = self.http.lock().await;
        match http.first() {
            Some((_, port, _)) => {
                let plain = SiteConfig {
                    plain_http: true,
                    ..SiteConfig::default()
                };
                let names = http.iter().map(|b| b.2.to_ascii_lowercase()).collect();
                h.listeners
                    .serve_in(
                        &mut slot,
                        &h.name,
                        h.address,
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

    /// Stops every listener (IIS could not start the site: nothing answers).
    async fn stop_all(&self) {
        for slot in [&self.https, &self.http] {
            if let Some(old) = slot.lock().await.take() {
                old.stop().await;
            }
        }
    }

    /// Restarts IIS: the site again from the disk; when it cannot start,
    /// nothing answers any more (F22) and the error says why.
    ///
    /// An `applicationHost.config` that is not well-formed XML is different:
    /// HTTP.sys keeps the bindings it has, and each request is answered
    /// HTTP 500.19 until the file is fixed and IIS restarted (issue 11 D7).
    pub async fn restart_site(&self) -> Result<(), ProductError> {
        use std::sync::atomic::Ordering;
        match self.start_site().await {
            Ok(()) => {
                self.config_error.store(false, Ordering::SeqCst);
                Ok(())
            }
            Err(e) if e.problem.contains(iis::NOT_WELL_FORMED) => {
                if self.https.lock().await.is_some() || self.http.lock().await.is_some() {
                    self.config_error.store(true, Ordering::SeqCst);
                }
                Err(e)
            }
            Err(e) => {
                self.stop_all().await;
                Err(e)
            }
        }
    }

    /// IIS Manager: edits the https binding's host name and "Require Server
    /// Name Indication" ([ECE] 1.2, F6), then IIS applies it (restart).
    pub async fn set_binding(
        &self,
        host_name: &str,
        require_sni: bool,
    ) -> Result<(), ProductError> {
        let disk = self.ctx.disk.clone();
        let name = host_name.to_string();
        tokio::task::spawn_blocking(move || iis::set_https_binding(&disk, &name, require_sni))
            .await
            .map_err(|e| ProductError::new(&self.ctx.name, e))?
            .map_err(|e| ProductError::new(&self.ctx.name, e))?;
        self.restart_site().await
    }

    /// IIS Manager: binds a new certificate (issued with its key) to the
    /// https bindings, then IIS restarts. Nothing changes on the ADSs:
    /// re-importing there is the administrator's job (F7).
    pub async fn bind_certificate(&self, issued: Issued) -> Result<(), ProductError> {
        let disk = self.ctx.disk.clone();
        let (fqdn, now) = (self.ctx.fqdn.clone(), self.ctx.clock.now());
        tokio::task::spawn_blocking(move || iis::bind_certificate(&disk, &fqdn, &issued, now))
            .await
            .map_err(|e| ProductError::new(&self.ctx.name, e))?
            .map_err(|e| ProductError::new(&self.ctx.name, e))?;
        self.restart_site().await
    }
}

/// What IIS reads from its disk when it starts: `applicationHost.config`,
/// its https bindings with their certificates (from the Personal store
/// stand-in, F22 when a PFX has no key) and chains (built from the CA store,
/// F8), and the product port of the https binding.
fn read_site(
    name: &str,
    disk: &VirtualDisk,
) -> Result<(String, Vec<iis::IisBinding>, SiteConfig, u16), ProductError> {
    let config_path = disk
        .path(APPLICATION_HOST)
        .map_err(|e| ProductError::new(name, e))?;
    let config = disk
        .read_string(&config_path)
        .map_err(|e| ProductError::new(name, format!("{}: {e}", config_path.display())))?;
    iis::check_well_formed(&config)
        .map_err(|e| ProductError::new(name, format!("{APPLICATION_HOST}: {e}")))?;
    let bindings = iis_https_bindings(&config);
    let store = disk
        .path(CERT_STORE_MY)
        .map_err(|e| ProductError::new(name, e))?;
    let ca_store = disk
        .path(CERT_STORE_CA)
        .map_err(|e| ProductError::new(name, e))?;
    // IIS 10 offers HTTP/2 over TLS (Windows Server 2016 and later)
    let mut site = SiteConfig {
        http2: true,
        ..SiteConfig::default()
    };
    let mut product_port = 443;
    for b in &bindings {
        if !iis::is_thumbprint(&b.certificate_hash) {
            return Err(ProductError::new(
                name,
                format!(
                    "certificate `{}`: not found in the Personal store",
                    b.certificate_hash
                ),
            ));
        }
        let pfx = store.join(format!("{}.pfx", b.certificate_hash));
        let bytes = disk.read(&pfx).map_err(|e| {
            ProductError::new(name, format!("certificate {}: {e}", b.certificate_hash))
        })?;
        let ks = Keystore::load(&bytes, Some(PFX_PASS))
            .map_err(|e| ProductError::new(name, format!("{}: {e}", pfx.display())))?;
        // F22: a PFX without its private key cannot serve HTTPS
        let Some((key, chain)) = ks.entries().iter().find_map(|e| match &e.entry {
            Entry::PrivateKey {
                key: KeyMaterial::Plain(k),
                chain,
            } => Some((k.clone(), chain.clone())),
            _ => None,
        }) else {
            return Err(ProductError::new(
                name,
                format!("{}: the certificate has no private key", pfx.display()),
            ));
        };
        let key = KeyPair::from_pkcs8_der(&key).map_err(|e| ProductError::new(name, e))?;
        // HTTP.sys sends the leaf and the path it builds from the machine's CA store
        let chain = match chain.first() {
            Some(leaf) => chain_from_ca_store(leaf, disk, &ca_store),
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
    Ok((config, bindings, site, product_port))
}

impl Running for RunningWeb {
    fn services(&self) -> Vec<ServiceInfo> {
        [443, 80]
            .into_iter()
            .map(|port| ServiceInfo {
                name: "W3SVC".into(),
                port: Some(port),
                bound_port: self.ctx.listeners.bound(&self.ctx.name, port),
                state: None,
            })
            .collect()
    }

    fn restart(&self) -> ProductFuture<'_, Result<(), ProductError>> {
        Box::pin(self.restart_site())
    }

    fn turns(&self) -> Vec<usize> {
        vec![self.sessions.load(std::sync::atomic::Ordering::SeqCst)]
    }

    fn set_turns(&self, turns: &[usize]) {
        if let Some(t) = turns.first() {
            self.sessions.store(*t, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// What the ECE web server's request handler reads (shared by its https and http listeners).
struct EceSite {
    /// Host names of the listener's bindings (lower case; empty = any).
    host_names: Vec<String>,
    require_ssl: bool,
    /// The application servers IIS forwards to (their FQDNs), and how it reaches them.
    app_servers: Vec<String>,
    network: Arc<dyn Network>,
    /// The web server's own address (it forwards from there).
    address: std::net::Ipv4Addr,
    /// How many ECE sessions IIS has spread so far (see [`forward`]).
    sessions: Arc<std::sync::atomic::AtomicUsize>,
    /// The ECE sessions this web server issued.
    logins: Arc<std::sync::Mutex<Sessions>>,
    /// The web server's FQDN (session IDs derive from it).
    fqdn: String,
    /// `applicationHost.config` is not well-formed: 500.19 for every request.
    config_error: Arc<std::sync::atomic::AtomicBool>,
    spog_config: std::path::PathBuf,
    /// The web server's disk (where `spog_config.js` is read, at each request).
    disk: VirtualDisk,
    /// The web server's clock (the topology's).
    clock: Clock,
}

/// IIS's answers carry the server's clock — the topology's — in `Date`.
fn ece_handler(site: Arc<EceSite>, tls: bool) -> Handler {
    async_handler(move |r: HttpRequest| {
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
/// default proxy time-out is longer). Longer than what an application
/// server waits for the DC (JNDI: 10 s), shorter than what the browser
/// waits for the gadget's session ([`crate::actors::browser`]: 25 s), so
/// that a slow DC shows as ECE's error (F4), not as a browser time-out.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(20);

/// IIS hands a request to ECE's application servers over the network (the
/// web tier forwards to WildFly; how the real deployment wires it is not in
/// the sources, so the forwarding is ccelab's model): a new ECE session —
/// the gadget's session call, where ECE signs the SPOG administrator in —
/// goes to the application servers in turn, any other request to the first
/// that answers. An application server whose "Cisco Service" is stopped
/// refuses the connection; when none answers IIS answers 503 (F3).
async fn forward(site: &EceSite, r: &HttpRequest) -> HttpResponse {
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
        let Ok(addr) = site.network.endpoint(name, APP_SERVER_PORT) else {
            continue;
        };
        let host = r.host.clone().unwrap_or_else(|| name.clone());
        match http_request(
            Some(site.address.into()),
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
            Ok(resp) => return resp,
            // "Cisco Service" stopped there: the next one
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => continue,
            // it took the request and failed (or timed out): IIS's 502
            Err(_) => return HttpResponse::text(502, "Bad Gateway\n"),
        }
    }
    // F3 in the browser: over HTTP/2 (Chrome; IIS 10 negotiates it by
    // default) the stream is reset, and Chrome shows its "This site can't
    // be reached / The webpage at … might be temporarily down or it may
    // have moved permanently to a new web address" page, the text [ECE]
    // quotes (Chrome shows that page for ERR_HTTP2_PROTOCOL_ERROR, measured
    // and seen in public test reports; a 503 with or without a body shows
    // "This page isn't working" instead). That IIS resets the stream — as
    // HTTP.sys does to an HTTP/2 response carrying connection-specific
    // headers, such as a redirector's error page — is ccelab's model (M):
    // the sources quote the browser, not the server. HTTP/1.1 clients
    // (CCE Administration's Java) get the 503.
    if r.http2 {
        return HttpResponse::reset();
    }
    HttpResponse::text(503, "Service Unavailable\n")
}

/// IIS in front of ECE: HTTP.sys's host routing (400 Invalid Hostname), the
/// site's "Require SSL" on plain HTTP (F20), [`SPOG_CONFIG_URL`] served from
/// the disk at the moment of the request (a static file: IIS serves edits
/// without a restart, F13); everything else is ECE's, answered by an
/// application server ([`forward`]).
async fn ece_routes(site: &EceSite, tls: bool, r: HttpRequest) -> HttpResponse {
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
    if site.config_error.load(std::sync::atomic::Ordering::SeqCst) {
        return HttpResponse {
            status: 500,
            headers: vec![
                ("Content-Type".into(), "text/html".into()),
                ("Server".into(), "Microsoft-IIS/10.0".into()),
            ],
            body: iis::error_500_19(APPLICATION_HOST).into_bytes(),
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
        let (path, disk) = (site.spog_config.clone(), site.disk.clone());
        // a FIFO, a link out of the disk or a huge file is not served
        return match tokio::task::spawn_blocking(move || disk.read(&path)).await {
            Ok(Ok(b)) => HttpResponse {
                status: 200,
                headers: vec![("Content-Type".into(), "application/javascript".into())],
                body: b,
            },
            _ => HttpResponse::text(404, "Not Found\n"),
        };
    }
    with_session(site, r).await
}

/// ECE's sessions at the web tier: a page that needs one is answered with
/// the partition's login page unless the request's `JSESSIONID` is one this
/// web server issued (F23 when the request lands on another web server);
/// a successful login (`/default/login`, `/system/login`) or gadget session
/// start gives a new session cookie. The application servers learn the
/// session's user from [`SESSION_USER_HEADER`], which IIS never takes
/// from a client.
async fn with_session(site: &EceSite, mut r: HttpRequest) -> HttpResponse {
    r.headers
        .retain(|(k, _)| !k.eq_ignore_ascii_case(SESSION_USER_HEADER));
    // the gadget's page names the SPOG administrator in its query (a
    // simple request, as a browser sends it across origins)
    if r.path == GADGET_SESSION_PATH
        && !r
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(SPOG_USER_HEADER))
    {
        let user = crate::platform::http::form_fields(&r.query)
            .get("user")
            .cloned();
        if let Some(u) = user {
            r.headers.push((SPOG_USER_HEADER.to_ascii_lowercase(), u));
        }
    }
    if let Some(partition) = session_partition(&r.path) {
        let user = session_cookie(&r).and_then(|id| {
            site.logins
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .user(&id, partition)
        });
        match user {
            Some(u) => r.headers.push((SESSION_USER_HEADER.into(), u)),
            None => return HttpResponse::redirect(&login_page(partition)),
        }
    }
    let signs_in = match r.path.as_str() {
        "/default/login" => Some(("pa".to_string(), "default")),
        "/system/login" => Some(("sa".to_string(), "system")),
        GADGET_SESSION_PATH => r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(SPOG_USER_HEADER))
            .map(|(_, v)| (v.clone(), "default")),
        _ => None,
    };
    let mut resp = forward(site, &r).await;
    if let (Some((user, partition)), 200) = (signs_in, resp.status) {
        let id = site
            .logins
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .open(&site.fqdn, &user, partition);
        resp.headers.push((
            "Set-Cookie".into(),
            format!("{SESSION_COOKIE}={id}; path=/; secure; HttpOnly"),
        ));
    }
    resp
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_gadget_page_shows_the_predicted_login_page_sentence() {
        assert!(crate::ece::SPOG_GADGET_HTML.contains(crate::cce_admin::GADGET_LOGIN_PAGE));
    }

    use super::*;

    #[test]
    fn sessions_are_bounded_deterministic_and_per_partition() {
        let mut a = Sessions::default();
        let mut b = Sessions::default();
        let id = a.open("eceweb1.example.com", "pa", "default");
        assert_eq!(id, b.open("eceweb1.example.com", "pa", "default"));
        assert_ne!(
            id,
            Sessions::default().open("eceweb2.example.com", "pa", "default")
        );
        assert_eq!(a.user(&id, "default").as_deref(), Some("pa"));
        assert_eq!(a.user(&id, "system"), None);
        for i in 0..MAX_SESSIONS + 10 {
            a.open("eceweb1.example.com", &format!("u{i}"), "default");
        }
        assert_eq!(a.len(), MAX_SESSIONS);
        assert_eq!(a.user(&id, "default"), None);
    }
}

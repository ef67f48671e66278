//! A VOS appliance as Finesse, IdS and CUIC run it: platform services that
//! serve HTTPS with the `tomcat` certificate and the `tomcat-trust` they
//! loaded **when they started** ([`WebService`]), and the admin CLI on SSH
//! 22. A product builds one [`Appliance`] with its web services and
//! handlers; the CLI's `utils service stop|start|restart` and the
//! harness's `ctl restart`/`ctl stop|start` reach the same services.

use std::any::Any;
use std::sync::Arc;

use super::ssh::SshServer;
use super::{load_tomcat, TomcatLoad, Vos, VosConfig};
use crate::edges::TrustEdge;
use crate::host::{Service, ServiceState};
use crate::product::{HostCtx, ProductError, ProductFuture, Running, ServiceInfo};
use crate::tls::{Binding, Handler, SiteConfig, TlsServer};

/// The SSH port of the admin CLI.
pub const SSH_PORT: u16 = 22;
/// Cisco Unified OS Administration's port.
pub const CMPLATFORM_PORT: u16 = 8443;
/// The platform's Tomcat (cmplatform, the certmgr API).
pub const CISCO_TOMCAT: &str = "Cisco Tomcat";

/// Makes a service's HTTP handler from what the service loaded at its
/// start (its trust, for the calls it makes to other hosts).
pub type HandlerFactory = Arc<dyn Fn(&TomcatLoad) -> Handler + Send + Sync>;

/// The product's edges of the trust graph, from what its web services
/// loaded ([`Running::trust_edges`]).
pub type EdgesFn =
    Arc<dyn for<'a> Fn(&'a Appliance) -> ProductFuture<'a, Vec<TrustEdge>> + Send + Sync>;

/// One platform service serving HTTPS on some ports.
pub struct WebService {
    /// The service's name (`Cisco Finesse Tomcat`).
    pub name: String,
    /// Its ports, each with its handler.
    pub ports: Vec<(u16, HandlerFactory)>,
    tomcat: Arc<Service<TomcatLoad>>,
    slots: tokio::sync::Mutex<Vec<Option<TlsServer>>>,
}

impl WebService {
    /// A service `name` on `ports`.
    pub fn new(
        name: &str,
        ports: Vec<(u16, HandlerFactory)>,
        disk: &crate::host::VirtualDisk,
    ) -> WebService {
        let disk = disk.clone();
        let n = ports.len();
        WebService {
            name: name.to_string(),
            ports,
            tomcat: Arc::new(Service::new(name, move || load_tomcat(&disk))),
            slots: tokio::sync::Mutex::new((0..n).map(|_| None).collect()),
        }
    }
}

/// A running VOS appliance.
pub struct Appliance {
    ctx: HostCtx,
    vos: Arc<Vos>,
    webs: Vec<WebService>,
    ssh: tokio::sync::Mutex<Option<SshServer>>,
    logs: Vec<std::path::PathBuf>,
    product: Box<dyn Any + Send + Sync>,
    edges: std::sync::OnceLock<EdgesFn>,
}

impl Appliance {
    /// Starts the appliance: each web service loads the certificate units
    /// and listens, the CLI listens on 22. `logs` are the logs that tell
    /// why something failed; `product` is the product's own state, reached
    /// with [`Appliance::product`].
    pub async fn start(
        ctx: HostCtx,
        config: VosConfig,
        mut webs: Vec<WebService>,
        logs: Vec<std::path::PathBuf>,
        product: Box<dyn Any + Send + Sync>,
    ) -> Result<Arc<Appliance>, ProductError> {
        let vos = Vos::new(
            &ctx.name,
            &ctx.fqdn,
            ctx.disk.clone(),
            ctx.clock.clone(),
            config,
        );
        // every appliance's platform Tomcat: Cisco Unified OS Administration
        // and the certmgr API on 8443
        let sessions = Arc::new(super::cmplatform::Sessions::default());
        let platform_vos = vos.clone();
        let cmplatform: HandlerFactory = Arc::new(move |_load: &TomcatLoad| {
            super::cmplatform::handler(platform_vos.clone(), sessions.clone())
        });
        webs.push(WebService::new(
            CISCO_TOMCAT,
            vec![(CMPLATFORM_PORT, cmplatform)],
            &ctx.disk,
        ));
        let a = Arc::new(Appliance {
            ctx,
            vos: vos.clone(),
            webs,
            ssh: tokio::sync::Mutex::new(None),
            logs,
            product,
            edges: std::sync::OnceLock::new(),
        });
        for (i, w) in a.webs.iter().enumerate() {
            a.set_web(i, true).await?;
            let weak = Arc::downgrade(&a);
            vos.on_service(
                &w.name,
                Arc::new(move |start| {
                    let weak = weak.clone();
                    Box::pin(async move {
                        match weak.upgrade() {
                            Some(a) => a.set_web(i, start).await,
                            None => Ok(()),
                        }
                    })
                }),
            );
        }
        let h = &a.ctx;
        let ssh = h
            .listeners
            .bind(&h.name, h.address, SSH_PORT, |addr| {
                let vos = vos.clone();
                async move {
                    let s = SshServer::start(addr, vos).await?;
                    let local = s.local_addr();
                    Ok::<_, std::io::Error>((s, local))
                }
            })
            .await?;
        *a.ssh.lock().await = Some(ssh);
        Ok(a)
    }

    /// The platform.
    pub fn vos(&self) -> &Arc<Vos> {
        &self.vos
    }

    /// The host it runs on.
    pub fn ctx(&self) -> &HostCtx {
        &self.ctx
    }

    /// Sets how the product's client connections are probed for the trust
    /// graph (once; later calls are ignored).
    pub fn set_edges(&self, f: EdgesFn) {
        let _ = self.edges.set(f);
    }

    /// The product's own state.
    pub fn product<T: 'static>(&self) -> Option<&T> {
        self.product.downcast_ref()
    }

    /// What the service `name` loaded at its last start (None while stopped).
    pub fn loaded(&self, name: &str) -> Option<TomcatLoad> {
        self.webs
            .iter()
            .find(|w| w.name == name)
            .and_then(|w| w.tomcat.loaded())
    }

    /// Starts (reading the disk again) or stops web service `i` and its listeners.
    async fn set_web(&self, i: usize, start: bool) -> Result<(), ProductError> {
        let Some(w) = self.webs.get(i) else {
            return Ok(());
        };
        let h = &self.ctx;
        let mut slots = w.slots.lock().await;
        let t = w.tomcat.clone();
        tokio::task::spawn_blocking(move || if start { t.start() } else { t.stop() })
            .await
            .map_err(|e| ProductError::new(&h.name, e))?;
        let load = w.tomcat.loaded();
        let identity = load.as_ref().and_then(|l| l.identity.clone().ok());
        let (Some(load), Some((cert, key))) = (load, identity) else {
            // stopped, or no usable tomcat certificate: nothing listens
            for s in slots.iter_mut() {
                if let Some(old) = s.take() {
                    old.stop().await;
                }
            }
            return Ok(());
        };
        let chain = served_chain(&cert, &load.trust);
        for (slot, (port, factory)) in slots.iter_mut().zip(&w.ports) {
            let site = SiteConfig {
                bindings: vec![Binding::new(
                    format!("{} {} https {port}", h.name, w.name),
                    chain.clone(),
                    key.clone(),
                )],
                limits: crate::tls::Limits::TOMCAT,
                ..SiteConfig::default()
            };
            h.listeners
                .serve_in(slot, &h.name, h.address, *port, site, factory(&load))
                .await?;
        }
        Ok(())
    }
}

/// What Tomcat sends: the own certificate, then its issuers as far as
/// `tomcat-trust` has them, below the root (VOS builds the chain from the
/// CA certificates uploaded before a CA-signed certificate).
fn served_chain(
    leaf: &crate::pki::Certificate,
    trust: &[(String, crate::pki::Certificate)],
) -> Vec<crate::pki::Certificate> {
    let mut chain = vec![leaf.clone()];
    while chain.len() < 8 {
        let Some(last) = chain.last() else { break };
        if last.is_self_issued() {
            break;
        }
        let issuer = trust
            .iter()
            .map(|(_, c)| c)
            .find(|c| !chain.contains(c) && last.is_signed_by(c));
        match issuer {
            Some(c) if !c.is_self_issued() => chain.push(c.clone()),
            _ => break,
        }
    }
    chain
}

impl Running for Appliance {
    fn services(&self) -> Vec<ServiceInfo> {
        let h = &self.ctx;
        let mut out = Vec::new();
        for w in &self.webs {
            let state = match w.tomcat.state() {
                ServiceState::Running => "Running",
                ServiceState::Stopped => "Stopped",
            };
            for (p, _) in &w.ports {
                out.push(ServiceInfo {
                    name: w.name.clone(),
                    port: Some(*p),
                    bound_port: h.listeners.bound(&h.name, *p),
                    state: Some(state.into()),
                });
            }
        }
        out.push(ServiceInfo {
            name: "sshd (admin CLI)".into(),
            port: Some(SSH_PORT),
            bound_port: h.listeners.bound(&h.name, SSH_PORT),
            state: Some("Running".into()),
        });
        out
    }

    /// Every web service restarts: the certificate units are read again (as
    /// after `utils system restart`).
    fn restart(&self) -> ProductFuture<'_, Result<(), ProductError>> {
        Box::pin(async move {
            for w in &self.webs {
                self.vos.set_service(&w.name, false).await?;
                self.vos.set_service(&w.name, true).await?;
            }
            Ok(())
        })
    }

    fn set_service<'a>(
        &'a self,
        service: &'a str,
        running: bool,
    ) -> ProductFuture<'a, Result<bool, ProductError>> {
        Box::pin(async move {
            let Some((name, _)) = self.vos.service_named(service) else {
                return Ok(false);
            };
            self.vos.set_service(&name, running).await?;
            Ok(true)
        })
    }

    fn telling_logs(&self) -> Vec<std::path::PathBuf> {
        self.logs.clone()
    }

    fn trust_edges(&self) -> ProductFuture<'_, Vec<TrustEdge>> {
        match self.edges.get() {
            Some(f) => f(self),
            None => Box::pin(async { Vec::new() }),
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

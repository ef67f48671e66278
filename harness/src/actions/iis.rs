//! The ECE web server's IIS: the https binding's host name and "Require
//! Server Name Indication" ([ECE] 1.2: both must stay unset; F6), and the
//! certificate bound to it replaced (F7: the ADSs keep what they imported).

use super::{lab_outcome, ActionError, Outcome};
use crate::lab::Lab;
use crate::topology::Role;

/// The ECE web server named `host` (None: the topology's), or why not.
fn web_server(lab: &Lab, host: Option<&str>) -> Result<(), ActionError> {
    let Some(host) = host else { return Ok(()) };
    match lab.topo.host(host).map(|h| h.role) {
        None => Err(ActionError::NoHost(host.into())),
        Some(Role::EceWeb) => Ok(()),
        Some(Role::Ads) => Err(ActionError::Invalid(format!(
            "{host}: CCE Administration's certificate is the `tomcatCert` key entry of %JAVA_HOME%\\lib\\security\\cacerts on its disk: replace it with keytool as [SEC] describes (-delete -alias tomcatcert, -genkeypair -alias tomcatCert …), then `ccelab ctl restart {host}`"
        ))),
        Some(_) => Err(ActionError::Invalid(format!(
            "`{host}` is not an ECE web server (IIS)"
        ))),
    }
}

/// `binding`: edits `applicationHost.config`'s https binding and applies it.
pub(super) async fn binding(
    lab: &Lab,
    host: Option<&str>,
    host_name: &str,
    require_sni: bool,
) -> Result<Outcome, ActionError> {
    web_server(lab, host)?;
    lab_outcome(
        lab.set_binding(host_name, require_sni)
            .await
            .map(|_| "binding saved".to_string()),
    )
    .map(|o| o.with_data(serde_json::json!({"host_name": host_name, "require_sni": require_sni})))
}

/// `cert-replace`: a new certificate (issued, or self-signed) bound in IIS.
pub(super) async fn cert_replace(
    lab: &Lab,
    host: Option<&str>,
    self_signed: bool,
) -> Result<Outcome, ActionError> {
    web_server(lab, host)?;
    match lab.replace_web_cert(self_signed).await {
        Ok(fp) => Ok(Outcome::ok(format!("new certificate SHA-256 {fp}"))
            .with_data(serde_json::json!({"sha256": fp}))),
        Err(e) => lab_outcome(Err(e)),
    }
}

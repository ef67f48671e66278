//! The ECE web server's IIS: the https binding's host name and "Require
//! Server Name Indication" ([ECE] 1.2: both must stay unset; F6), and a new
//! certificate bound to it (F7: the ADSs keep what they imported).

use ccelab_emulators::cce_admin::RunningCceAdmin;
use ccelab_emulators::ece::web::RunningWeb;
use ccelab_emulators::pki::{keypool, CertParams, Issued, KeyType, San};

use super::{ActionError, Outcome};
use crate::lab::Lab;

/// The ECE web server named `host` (None: the topology's), or why not.
fn web_server<'a>(
    lab: &'a Lab,
    host: Option<&str>,
) -> Result<(&'a str, &'a RunningWeb), ActionError> {
    let Some(host) = host else {
        return lab
            .web()
            .ok_or_else(|| ActionError::Invalid("this topology has no ECE web server".into()));
    };
    let h = lab
        .topo
        .host(host)
        .ok_or_else(|| ActionError::no_host(lab, host))?;
    if let Some(web) = lab.product::<RunningWeb>(&h.name) {
        return Ok((h.name.as_str(), web));
    }
    Err(ActionError::Invalid(
        if lab.product::<RunningCceAdmin>(&h.name).is_some() {
            format!("{host}: CCE Administration's certificate is the `tomcatCert` key entry of %JAVA_HOME%\\lib\\security\\cacerts on its disk: replace it with keytool as [SEC] describes (-delete -alias tomcatcert, -genkeypair -alias tomcatCert …), then `ccelab ctl restart {host}`")
        } else {
            format!("`{host}` is not an ECE web server (IIS)")
        },
    ))
}

/// What a failed IIS restart means for the action: it could not be done.
fn invalid(e: ccelab_emulators::product::ProductError) -> ActionError {
    ActionError::Invalid(e.to_string())
}

/// `binding`: edits `applicationHost.config`'s https binding and applies it.
pub(super) async fn binding(
    lab: &Lab,
    host: Option<&str>,
    host_name: &str,
    require_sni: bool,
) -> Result<Outcome, ActionError> {
    let (_, web) = web_server(lab, host)?;
    web.set_binding(host_name, require_sni)
        .await
        .map_err(invalid)?;
    Ok(Outcome::ok("binding saved")
        .with_data(serde_json::json!({"host_name": host_name, "require_sni": require_sni})))
}

/// `cert-replace`: the administrator makes a new certificate for the web
/// server's FQDN — issued by the topology's issuing CA, or self-signed — and
/// binds it in IIS. Each replacement takes the next key of the pool and an
/// earlier notBefore, so that successive certificates differ.
pub(super) async fn cert_replace(
    lab: &Lab,
    host: Option<&str>,
    self_signed: bool,
) -> Result<Outcome, ActionError> {
    let (name, web) = web_server(lab, host)?;
    let fqdn = lab
        .topo
        .host(name)
        .map(|h| h.fqdn.clone())
        .ok_or_else(|| ActionError::no_host(lab, name))?;
    let now = lab.topo.clock.now();
    let n = lab.next_certificate();
    let bad = |e: &dyn std::fmt::Display| ActionError::Invalid(format!("{name}: {e}"));
    let key = keypool::key(KeyType::Rsa2048, 20 + n % 10).map_err(|e| bad(&e))?;
    let params = CertParams::leaf(
        &format!("CN={fqdn}"),
        now - time::Duration::minutes(n as i64 + 1),
        now + time::Duration::days(365),
    )
    .map_err(|e| bad(&e))?
    .with_sans([San::Dns(fqdn.clone())]);
    let issued = if self_signed {
        Issued::self_signed(&params, key)
    } else {
        lab.topo.issuing.issue(&params, key)
    }
    .map_err(|e| bad(&e))?;
    let fp = issued.cert.sha256_fingerprint();
    web.bind_certificate(issued).await.map_err(invalid)?;
    Ok(Outcome::ok(format!("new certificate SHA-256 {fp}"))
        .with_data(serde_json::json!({"sha256": fp})))
}

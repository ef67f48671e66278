//! CVP as its administrators use it ([SEC]; docs/research/cvp.md):
//! CCE Administration configuring a CVP server over its ORM REST (F19),
//! `DecryptKeystoreUtil.bat` (12.6(2)) and `service-controller.bat`'s
//! graceful shutdown.

use super::{ActionError, Outcome};
use crate::lab::Lab;
use crate::topology::Role;
use ccelab_emulators::cvp::{self, CvpProduct, RunningCvp};

/// The CVP host `name`, running.
fn cvp_host<'a>(lab: &'a Lab, name: &str) -> Result<&'a RunningCvp, ActionError> {
    lab.product::<CvpProduct>(name)
        .map(|p| p.0.as_ref())
        .ok_or_else(|| match lab.topo.host(name) {
            Some(h) => ActionError::Invalid(format!("{}: not a CVP host", h.name)),
            None => ActionError::no_host(lab, name),
        })
}

/// A CVP role.
fn is_cvp(role: Role) -> bool {
    matches!(role, Role::CvpCall | Role::CvpReporting | Role::CvpOamp)
}

/// `cvp-orm`: CCE Administration on `ads` (default `ads-a`) configures the
/// CVP server `host` through its ORM REST with the administrator's
/// credentials; the server checks them with the principal AW (F19).
pub(super) async fn orm(lab: &Lab, ads: Option<&str>, host: &str) -> Result<Outcome, ActionError> {
    let ads = ads.unwrap_or("ads-a");
    let admin = lab
        .product::<ccelab_emulators::cce_admin::RunningCceAdmin>(ads)
        .ok_or_else(|| ActionError::no_host(lab, ads))?;
    // the CVP server may run in another process (one per host): its name
    // is the topology's
    let fqdn = match lab.topo.host(host) {
        Some(h) if !lab.runs(&h.name) && is_cvp(h.role) => h.fqdn.clone(),
        _ => cvp_host(lab, host)?.ctx().fqdn.clone(),
    };
    let (ok, lines) = admin
        .cvp_orm(&fqdn)
        .await
        .map_err(|e| ActionError::Invalid(e.to_string()))?;
    Ok(Outcome {
        ok,
        shows: lines.join("\n"),
        ..Outcome::default()
    })
}

/// `decrypt-keystore`: `%CVP_HOME%\bin\DecryptKeystoreUtil.bat` run on
/// `host`: the key store's password in the 12.6(2) profile; on 12.5
/// `cmd.exe` does not know the command (exit 1).
pub(super) async fn decrypt_keystore(lab: &Lab, host: &str) -> Result<Outcome, ActionError> {
    let cvp = cvp_host(lab, host)?;
    let disk = cvp.ctx().disk.clone();
    let profile = lab.topo.cvp.profile;
    let text = tokio::task::spawn_blocking(move || {
        disk.path(cvp::SECURITY_PROPERTIES)
            .map_err(|e| e.to_string())
            .and_then(|p| disk.read_string(&p).map_err(|e| e.to_string()))
    })
    .await
    .map_err(|e| ActionError::Invalid(e.to_string()))?;
    let out = match text {
        Ok(t) => cvp::decrypt_keystore_util(profile, &t),
        Err(_) => cvp::decrypt_keystore_util(profile, ""),
    };
    Ok(match out {
        Ok(pw) => Outcome {
            ok: true,
            stdout: format!("{pw}\r\n"),
            exit: Some(0),
            shows: format!("{} on {host}", cvp::DECRYPT_KEYSTORE_UTIL),
            ..Outcome::default()
        },
        Err(e) => Outcome {
            ok: false,
            stderr: format!("{e}\r\n"),
            exit: Some(1),
            shows: format!("{} on {host}", cvp::DECRYPT_KEYSTORE_UTIL),
            ..Outcome::default()
        },
    })
}

/// The answers to `service-controller.bat`'s prompts.
pub struct ControllerAnswers<'a> {
    /// `CALLSERVER-IP-ADDRESS:`
    pub callserver: &'a str,
    /// `CALLSERVER-USERNAME:`
    pub username: &'a str,
    /// `CALLSERVER-PASSWORD:`
    pub password: &'a str,
    /// `SERVICE-NAME:` (`callserver` or `reportingserver`)
    pub service: &'a str,
    /// `REPORTINGSERVER-IP-ADDRESS:` (with `reportingserver`)
    pub reportingserver: Option<&'a str>,
}

/// The prompts of `service-controller.bat`, in order ([PCCE125-Ref],
/// [PCCE1261-GS]; the reporting server's only with `reportingserver`).
pub const CONTROLLER_PROMPTS: [&str; 5] = [
    "CALLSERVER-IP-ADDRESS:",
    "CALLSERVER-USERNAME:",
    "CALLSERVER-PASSWORD:",
    "SERVICE-NAME:",
    "REPORTINGSERVER-IP-ADDRESS:",
];

/// `service-controller`: the graceful shutdown of [SEC] — the program asks
/// the call server at `callserver` (an address or name) to shut down its
/// `callserver` service, or, with `reportingserver`, the reporting server
/// at that address ("ensure that the CVP Call Server is up and running":
/// the call server stays up). The user must be a domain or local
/// administrator: here the topology's domain administrator (CCE
/// Administration's account). The program's own output lines are not
/// public: ccelab's (L).
pub(super) async fn service_controller(
    lab: &Lab,
    a: &ControllerAnswers<'_>,
) -> Result<Outcome, ActionError> {
    let fail = |msg: String| Outcome {
        ok: false,
        stderr: format!("{msg}\r\n"),
        exit: Some(1),
        shows: "service-controller.bat".into(),
        ..Outcome::default()
    };
    let service = a.service.trim();
    if service != "callserver" && service != "reportingserver" {
        return Ok(fail(format!(
            "Invalid SERVICE-NAME '{service}': choose the Service name which you need to shutdown gracefully(callserver/reportingserver)"
        )));
    }
    let find = |addr: &str, role: Role| {
        let addr = addr.trim();
        lab.topo.hosts.iter().find(|h| {
            h.role == role && (h.address.to_string() == addr || h.fqdn.eq_ignore_ascii_case(addr))
        })
    };
    let Some(call) = find(a.callserver, Role::CvpCall) else {
        return Ok(fail(format!(
            "Unable to connect to the Call Server at {}",
            a.callserver.trim()
        )));
    };
    let call_cvp = cvp_host(lab, &call.name)?;
    if !call_cvp.is_running(cvp::WSM_SERVICE) {
        return Ok(fail(format!(
            "Unable to connect to the Call Server at {}",
            a.callserver.trim()
        )));
    }
    let (admin, admin_pw) = lab.topo.cce_admin_account();
    let user = a.username.trim();
    let bare = user.rsplit('\\').next().unwrap_or(user);
    let admin_bare = admin.split('@').next().unwrap_or(&admin);
    let user_ok = user.eq_ignore_ascii_case(&admin)
        || bare.eq_ignore_ascii_case(admin_bare)
        || bare
            .split('@')
            .next()
            .is_some_and(|b| b.eq_ignore_ascii_case(admin_bare));
    if !user_ok || a.password != admin_pw {
        return Ok(fail(format!(
            "Authentication failed for {user} on the Call Server {}",
            a.callserver.trim()
        )));
    }
    if service == "callserver" {
        call_cvp.stop_service("callserver").await;
        return Ok(Outcome {
            ok: true,
            stdout: format!(
                "Graceful shutdown of callserver on {} initiated. The service stops after the calls in progress complete.\r\ncallserver stopped.\r\n",
                a.callserver.trim()
            ),
            exit: Some(0),
            shows: "service-controller.bat".into(),
            ..Outcome::default()
        });
    }
    if !call_cvp.is_running("callserver") {
        return Ok(fail(format!(
            "The Call Server {} is not running: start callserver to shut down the Reporting Server gracefully",
            a.callserver.trim()
        )));
    }
    let Some(rpt_addr) = a.reportingserver.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(fail(
            "REPORTINGSERVER-IP-ADDRESS is required for reportingserver".into(),
        ));
    };
    let Some(rpt) = find(rpt_addr, Role::CvpReporting) else {
        return Ok(fail(format!(
            "Unable to connect to the Reporting Server at {rpt_addr}"
        )));
    };
    if lab.runs(&rpt.name) {
        cvp_host(lab, &rpt.name)?
            .stop_service("reportingserver")
            .await;
    } else {
        // the reporting server runs in a process of its own (a container):
        // the call server asks it over the network, as the real one does
        let stop = super::Action::Stop {
            host: rpt.name.clone(),
            service: "reportingserver".into(),
        };
        if let Err(e) = crate::container::remote::act(rpt, &stop).await {
            return Ok(fail(format!(
                "Unable to connect to the Reporting Server at {rpt_addr}: {e}"
            )));
        }
    }
    Ok(Outcome {
        ok: true,
        stdout: format!(
            "Graceful shutdown of reportingserver on {rpt_addr} initiated through the Call Server {}.\r\nreportingserver stopped.\r\n",
            a.callserver.trim()
        ),
        exit: Some(0),
        shows: "service-controller.bat".into(),
        ..Outcome::default()
    })
}

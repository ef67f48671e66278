//! Scenarios with a real browser (issue 18): with `ccelab scenario run
//! --screenshots DIR`, a scenario that names a `screenshot` on one of its
//! steps runs real headless Chromium beside ccelab ([`crate::chromium`]):
//! the browser is started at the scenario's first browser step, with the
//! lab's root CA and names, and follows the steps a person does in a
//! browser — `accept-certificate` (proceeding past Chrome's warning),
//! `open-gadget` and `finesse-desktop` with a screenshot (the page opened,
//! saved as `DIR/<screenshot>`). What Chromium shows and logs must be what
//! ccelab predicted for the step, else the step fails, as
//! `harness/tests/browser.rs` pins it; the transcript stays as without the
//! browser.

use std::path::Path;

use super::expect::Mismatch;
use super::file::{Scenario, Step};
use super::runner::Run;
use crate::actions::{Action, Outcome};
use crate::chromium::{Chromium, Mapped, Seen};

/// Whether `name` is a screenshot's file name: `[A-Za-z0-9._-]+\.png`, not
/// hidden (no folder, nothing outside `--screenshots DIR`).
pub fn screenshot_name_ok(name: &str) -> bool {
    name.len() <= 128
        && name.ends_with(".png")
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// The screenshots a scenario names, in step order.
pub fn screenshots(s: &Scenario) -> Vec<&str> {
    s.steps
        .iter()
        .filter_map(|st| st.expect.screenshot.as_deref())
        .collect()
}

/// The browser beside one scenario run (started at its first browser step).
pub(super) struct Beside<'a> {
    dir: &'a Path,
    browser: Option<Result<Chromium, String>>,
}

impl<'a> Beside<'a> {
    /// A browser for the scenario `s`, saving into `dir`; None when the
    /// scenario names no screenshot (it then runs without a browser).
    pub(super) fn for_scenario(s: &Scenario, dir: Option<&'a Path>) -> Option<Beside<'a>> {
        let dir = dir?;
        (!screenshots(s).is_empty()).then_some(Beside { dir, browser: None })
    }

    async fn browser(&mut self, run: &Run) -> Result<&Chromium, String> {
        if self.browser.is_none() {
            let hosts = Mapped::of_lab(&run.lab);
            let root = run.lab.topo.root.cert.to_pem();
            self.browser = Some(
                Chromium::launch(&hosts, &root)
                    .await
                    .map_err(|e| e.to_string()),
            );
        }
        match self.browser.as_ref() {
            Some(Ok(b)) => Ok(b),
            Some(Err(e)) => Err(e.clone()),
            None => Err("no browser".into()),
        }
    }

    /// The step `n` (`step`, which gave `o`) in the browser: a mismatch
    /// when Chromium cannot do it or shows or logs other than predicted.
    pub(super) async fn step(
        &mut self,
        run: &Run,
        n: usize,
        step: &Step,
        o: &Outcome,
    ) -> Option<Mismatch> {
        let at = format!("step {n}");
        let fail = |expected: &str, actual: String| {
            Some(Mismatch {
                at: at.clone(),
                expected: expected.into(),
                actual,
                file: None,
            })
        };
        let fqdn = |host: &str| run.lab.topo.host(host).map(|h| h.fqdn.clone());
        let shot = step.expect.screenshot.as_deref().map(|f| self.dir.join(f));
        match (&step.action, shot) {
            (Action::AcceptCertificate { host, port, .. }, _) => {
                let fqdn = fqdn(host)?;
                let b = match self.browser(run).await {
                    Ok(b) => b,
                    Err(e) => return fail("Chromium beside the scenario", e),
                };
                b.accept_certificate(&fqdn, *port)
                    .await
                    .err()
                    .and_then(|e| fail("Chromium proceeds past the warning", e.to_string()))
            }
            (Action::OpenGadget { ads, user }, Some(file)) => {
                let (admin, password) = run.lab.topo.cce_admin_account();
                if user.as_deref().is_some_and(|u| u != admin) {
                    return fail(
                        "a screenshot as the topology's administrator",
                        format!(
                            "Chromium signs in as {admin} only, not {}",
                            user.as_deref().unwrap_or_default()
                        ),
                    );
                }
                let ads = fqdn(ads.as_deref().unwrap_or("ads-a"))?;
                let b = match self.browser(run).await {
                    Ok(b) => b,
                    Err(e) => return fail("Chromium beside the scenario", e),
                };
                match b
                    .open_email_and_chat(&ads, &admin, &password, Some(&file))
                    .await
                {
                    Err(e) => fail("Chromium opens the Email and Chat page", e.to_string()),
                    Ok(seen) => differs(&seen, o, true).and_then(|d| fail(&predicted(o), d)),
                }
            }
            (
                Action::FinesseDesktop {
                    host,
                    agent,
                    password,
                },
                Some(file),
            ) => {
                let finesse = fqdn(host.as_deref().unwrap_or("finesse-a"))?;
                let agent = agent.clone().unwrap_or_else(|| "agent1".into());
                let password = password.clone().or_else(|| {
                    run.lab
                        .topo
                        .agents
                        .iter()
                        .find(|a| a.login_name == agent)
                        .map(|a| a.password.clone())
                })?;
                let b = match self.browser(run).await {
                    Ok(b) => b,
                    Err(e) => return fail("Chromium beside the scenario", e),
                };
                match b
                    .open_finesse_desktop(&finesse, &agent, &password, Some(&file))
                    .await
                {
                    Err(e) => fail("Chromium opens the Finesse desktop", e.to_string()),
                    Ok(seen) => differs(&seen, o, false).and_then(|d| fail(&predicted(o), d)),
                }
            }
            _ => None,
        }
    }
}

/// What ccelab predicted, as a mismatch's expectation.
fn predicted(o: &Outcome) -> String {
    format!(
        "Chromium shows and logs what ccelab predicts ({})",
        o.shows.replace('\n', " / ")
    )
}

/// Where Chromium's view differs from the prediction `o`: its page lines
/// (for the gadget, the first line; a gadget ccelab says stays blank is
/// blank) and its console (`browser console: ` lines).
fn differs(seen: &Seen, o: &Outcome, gadget: bool) -> Option<String> {
    let (console, page): (Vec<&str>, Vec<&str>) = o
        .shows
        .lines()
        .partition(|l| l.starts_with("browser console: "));
    let console: Vec<String> = console
        .iter()
        .filter_map(|l| l.strip_prefix("browser console: "))
        .map(str::to_string)
        .collect();
    let shows_ok = if gadget {
        let message = page.first().copied().unwrap_or_default();
        seen.shows == message || (!o.ok && seen.shows.is_empty())
    } else {
        seen.shows == page.join("\n")
    };
    (!shows_ok || seen.console != console).then(|| {
        format!(
            "Chromium showed {:?}, its console {:?}",
            seen.shows, seen.console
        )
    })
}

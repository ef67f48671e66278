//! A real browser at the lab (issue 18): Debian's headless Chromium, driven
//! over the DevTools protocol (chromiumoxide), signs in to CCE
//! Administration's web UI on an ADS and opens the Email and Chat page,
//! which frames ECE's gadget. What it shows and what its console says are
//! what `open-gadget` predicts (`harness/tests/browser.rs` pins the two
//! together); `ccelab ctl spog open-gadget --screenshot` saves what it shows.
//!
//! The browser's trust is its profile's: the lab's root CA in the NSS
//! database of its `$HOME` (`certutil`, from libnss3-tools), as a domain
//! PC trusts the enterprise CA. The lab's names go to the hosts'
//! (ephemeral) ports by `--host-resolver-rules` (`MAP name:443
//! address:port`); any other name does not resolve. Chromium checks
//! certificates itself. Site isolation is off, so that the gadget's frame
//! logs to the page's session.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::log::{
    EnableParams as LogEnable, EventEntryAdded, LogEntryLevel,
};
use chromiumoxide::cdp::browser_protocol::page::{
    CaptureScreenshotFormat, CreateIsolatedWorldParams, GetFrameTreeParams,
};
use chromiumoxide::cdp::js_protocol::runtime::{
    ConsoleApiCalledType, EvaluateParams, EventConsoleApiCalled, EventExceptionThrown,
};
use chromiumoxide::page::ScreenshotParams;
use chromiumoxide::Page;
use futures_util::StreamExt;

/// Where Debian's package puts Chromium.
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// How long a page may take to settle.
const SETTLE: Duration = Duration::from_secs(10);

/// Why the browser could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// Chromium or certutil is missing.
    #[error("{0} is not installed (Debian: apt-get install chromium libnss3-tools; bash .ci/run installs them)")]
    Missing(&'static str),
    /// The browser profile could not be made.
    #[error("the browser profile: {0}")]
    Profile(String),
    /// The DevTools protocol failed.
    #[error("Chromium: {0}")]
    Cdp(String),
    /// A page did not get where it should (the step it stopped at).
    #[error("Chromium: {0}")]
    Page(String),
}

fn cdp(e: impl std::fmt::Display) -> BrowserError {
    BrowserError::Cdp(e.to_string())
}

/// What Chromium showed and logged for the Email and Chat page.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Seen {
    /// SPOG's error text, or the gadget frame's text once its script has
    /// settled (empty: the gadget stays blank).
    pub shows: String,
    /// The console as Chrome shows it by default (not its verbose hints):
    /// a failed request as `GET URL net::ERR_…`, anything else its text.
    pub console: Vec<String>,
}

/// A host of the lab as the browser reaches it.
#[derive(Clone, Debug)]
pub struct Mapped {
    /// Its FQDN.
    pub fqdn: String,
    /// Its loopback address.
    pub address: std::net::Ipv4Addr,
    /// Its ports: (the product's port, where it is bound).
    pub ports: Vec<(u16, u16)>,
}

impl Mapped {
    /// Every host of a running `lab` with its bound ports.
    pub fn of_lab(lab: &crate::lab::Lab) -> Vec<Mapped> {
        lab.topo
            .hosts
            .iter()
            .map(|h| Mapped {
                fqdn: h.fqdn.clone(),
                address: h.address,
                ports: lab.ports_of(&h.name),
            })
            .filter(|m| !m.ports.is_empty())
            .collect()
    }
}

/// A running headless Chromium with the lab's trust and names.
pub struct Chromium {
    browser: Browser,
    _profile: tempfile::TempDir,
}

impl Chromium {
    /// Starts Chromium trusting `root_pem` (the lab's root CA) and
    /// resolving the `hosts`' names (and addresses) at each of their ports
    /// to where it is bound. Call it inside a tokio runtime, which then drives it.
    pub async fn launch(hosts: &[Mapped], root_pem: &str) -> Result<Chromium, BrowserError> {
        if !Path::new(CHROMIUM).exists() {
            return Err(BrowserError::Missing("chromium"));
        }
        let profile = tempfile::tempdir().map_err(|e| BrowserError::Profile(e.to_string()))?;
        let home = profile.path().join("home");
        let nss = home.join(".pki/nssdb");
        std::fs::create_dir_all(&nss).map_err(|e| BrowserError::Profile(e.to_string()))?;
        let root = profile.path().join("root.pem");
        std::fs::write(&root, root_pem).map_err(|e| BrowserError::Profile(e.to_string()))?;
        let db = format!("sql:{}", nss.display());
        let root_arg = root.display().to_string();
        for args in [
            vec!["-N", "-d", &db, "--empty-password"],
            vec![
                "-A",
                "-d",
                &db,
                "-t",
                "C,,",
                "-n",
                "ccelab root",
                "-i",
                &root_arg,
            ],
        ] {
            let o = Command::new("certutil")
                .args(&args)
                .output()
                .map_err(|_| BrowserError::Missing("certutil"))?;
            if !o.status.success() {
                return Err(BrowserError::Profile(format!(
                    "certutil {}: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&o.stderr).trim()
                )));
            }
        }
        let mut rules: Vec<String> = Vec::new();
        for h in hosts {
            for (port, bound) in &h.ports {
                rules.push(format!("MAP {}:{port} {}:{bound}", h.fqdn, h.address));
                rules.push(format!("MAP {}:{port} {}:{bound}", h.address, h.address));
            }
        }
        rules.push("MAP * ~NOTFOUND".into());
        let cfg = BrowserConfig::builder()
            .chrome_executable(PathBuf::from(CHROMIUM))
            .no_sandbox()
            .respect_https_errors()
            .window_size(1024, 720)
            .user_data_dir(profile.path().join("profile"))
            .env("HOME", home.display().to_string())
            .arg(("host-resolver-rules", rules.join(", ").as_str()))
            .arg(("disable-features", "IsolateOrigins,site-per-process"))
            .build()
            .map_err(BrowserError::Cdp)?;
        let (browser, mut handler) = Browser::launch(cfg).await.map_err(cdp)?;
        tokio::spawn(async move { while handler.next().await.is_some() {} });
        Ok(Chromium {
            browser,
            _profile: profile,
        })
    }

    /// Signs in to CCE Administration on `ads` (its FQDN) as `user` (once:
    /// the profile keeps the session), opens the Overview's Email and Chat
    /// card and waits for the gadget to settle; with `screenshot`, saves
    /// the page as a PNG there.
    pub async fn open_email_and_chat(
        &self,
        ads: &str,
        user: &str,
        password: &str,
        screenshot: Option<&Path>,
    ) -> Result<Seen, BrowserError> {
        let page = self.browser.new_page("about:blank").await.map_err(cdp)?;
        let console = Console::on(&page).await?;
        page.goto(format!("https://{ads}/cceadmin"))
            .await
            .map_err(cdp)?;
        if !at(&page, "/cceadmin/overview").await {
            // the form filled and sent by the page's own DOM, once it is there
            // (node handles go stale if the document is replaced meanwhile)
            let quote = |t: &str| serde_json::Value::String(t.to_string()).to_string();
            let sign_in = format!(
                "(() => {{ const u = document.getElementById('username'), p = document.getElementById('password'), b = document.getElementById('sign-in'); if (!u || !p || !b) return false; u.value = {}; p.value = {}; b.click(); return true; }})()",
                quote(user),
                quote(password)
            );
            js_until(&page, &sign_in, "the sign-in page").await?;
        }
        wait_at(&page, "/cceadmin/overview", "the Overview after signing in").await?;
        js_until(
            &page,
            "(() => { const a = document.querySelector('#email-and-chat a'); if (!a) return false; a.click(); return true; })()",
            "the Email and Chat card",
        )
        .await?;
        wait_at(&page, "/cceadmin/email-and-chat", "the Email and Chat page").await?;
        page.wait_for_navigation().await.map_err(cdp)?;
        let mut seen = Seen::default();
        let error: Option<String> = page
            .evaluate("(document.getElementById('gadget-error') || {}).textContent || null")
            .await
            .ok()
            .and_then(|v| v.into_value().ok());
        if let Some(e) = error {
            seen.shows = e;
        } else {
            // the gadget's frame, until its script has settled (bounded)
            let deadline = Instant::now() + SETTLE;
            loop {
                let text =
                    frame_text(&page, ccelab_emulators::ece::SPOG_GADGET_PAGE, "gadget").await;
                match text {
                    Some(t) if t != "Loading" => {
                        seen.shows = t;
                        break;
                    }
                    _ if Instant::now() > deadline => {
                        seen.shows = text.unwrap_or_default();
                        break;
                    }
                    _ => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
            // a blocked request's second line comes a moment later
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        if let Some(file) = screenshot {
            save_png(&page, file).await?;
        }
        let _ = page.close().await;
        seen.console = console.lines();
        Ok(seen)
    }

    /// `agent` signs in to the Finesse desktop of `finesse` (its FQDN, port
    /// 8445) and waits for the Live Data gadget to settle (its text stops
    /// being "Loading"; bounded); with `screenshot`, saves the page there.
    /// `shows` is the desktop's lines (`#agent`, `#livedata`), or the
    /// sign-in page's error.
    pub async fn open_finesse_desktop(
        &self,
        finesse: &str,
        agent: &str,
        password: &str,
        screenshot: Option<&Path>,
    ) -> Result<Seen, BrowserError> {
        let page = self.browser.new_page("about:blank").await.map_err(cdp)?;
        let console = Console::on(&page).await?;
        // a refused connection ends in Chrome's error page: not an error here
        let _ = page.goto(format!("https://{finesse}:8445/desktop")).await;
        let quote = |t: &str| serde_json::Value::String(t.to_string()).to_string();
        let sign_in = format!(
            "(() => {{ const u = document.querySelector('input[name=username]'), p = document.querySelector('input[name=password]'), b = document.querySelector('input[type=submit]'); if (!u || !p || !b) return false; u.value = {}; p.value = {}; b.click(); return true; }})()",
            quote(agent),
            quote(password)
        );
        // Chrome's certificate warning instead (a certificate the browser
        // does not trust, not yet accepted): its heading and error code
        let warning = "(() => { if (!document.getElementById('proceed-link')) return null; const h = document.querySelector('#main-message h1'), c = document.getElementById('error-code'); return (h ? h.innerText.trim() : '') + '\\n' + (c ? c.innerText.trim() : ''); })()";
        let deadline = Instant::now() + SETTLE;
        while !page
            .evaluate("document.readyState === 'complete'")
            .await
            .ok()
            .and_then(|v| v.into_value::<bool>().ok())
            .unwrap_or(false)
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let warned: Option<String> = page
            .evaluate(warning)
            .await
            .ok()
            .and_then(|v| v.into_value().ok());
        if let Some(shows) = warned {
            if let Some(file) = screenshot {
                save_png(&page, file).await?;
            }
            let _ = page.close().await;
            return Ok(Seen {
                shows,
                console: console.lines(),
            });
        }
        js_until(&page, &sign_in, "the Finesse sign-in page").await?;
        // the desktop's lines once the gadget settled, or the form's error
        let settled = "(() => { const a = document.getElementById('agent'), g = document.getElementById('livedata'), e = document.querySelector('p.error'); if (e) return e.textContent; if (!a || !g || g.textContent.endsWith('Loading')) return null; return a.textContent + '\\n' + g.textContent; })()";
        let deadline = Instant::now() + SETTLE;
        let mut seen = Seen::default();
        loop {
            let v: Option<String> = page
                .evaluate(settled)
                .await
                .ok()
                .and_then(|v| v.into_value().ok());
            if let Some(t) = v {
                seen.shows = t;
                break;
            }
            if Instant::now() > deadline {
                let url = page.url().await.ok().flatten().unwrap_or_default();
                return Err(BrowserError::Page(format!(
                    "the desktop's Live Data gadget did not settle (at {url})"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // a blocked request's second line comes a moment later
        tokio::time::sleep(Duration::from_millis(300)).await;
        if let Some(file) = screenshot {
            save_png(&page, file).await?;
        }
        let _ = page.close().await;
        seen.console = console.lines();
        Ok(seen)
    }

    /// The agent opens `https://{host}:{port}/` and proceeds past Chrome's
    /// certificate warning ("Advanced", "Proceed to … (unsafe)"). Answers
    /// whether there was a warning to pass.
    pub async fn accept_certificate(&self, host: &str, port: u16) -> Result<bool, BrowserError> {
        let page = self.browser.new_page("about:blank").await.map_err(cdp)?;
        // the warning is an error page for the navigation: not an error here
        let _ = page.goto(format!("https://{host}:{port}/")).await;
        let proceed = "(() => { const p = document.getElementById('proceed-link'); if (p) { p.click(); return 'warned'; } return document.readyState === 'complete' ? 'none' : null; })()";
        let deadline = Instant::now() + SETTLE;
        let warned = loop {
            let v: Option<String> = page
                .evaluate(proceed)
                .await
                .ok()
                .and_then(|v| v.into_value().ok());
            match v.as_deref() {
                Some("warned") => break true,
                Some(_) => break false,
                None if Instant::now() > deadline => {
                    return Err(BrowserError::Page(format!(
                        "https://{host}:{port}/ did not open"
                    )))
                }
                None => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        };
        if warned {
            let _ = page.wait_for_navigation().await;
        }
        let _ = page.close().await;
        Ok(warned)
    }
}

impl Chromium {
    /// Opens `url`, gives its scripts `settle`, and returns its console
    /// lines (as [`Seen::console`] has them): one text checked against
    /// real Chromium.
    pub async fn console_of(
        &self,
        url: &str,
        settle: Duration,
    ) -> Result<Vec<String>, BrowserError> {
        let page = self.browser.new_page("about:blank").await.map_err(cdp)?;
        let console = Console::on(&page).await?;
        // an error page is an answer here too
        let _ = page.goto(url).await;
        tokio::time::sleep(settle).await;
        let _ = page.close().await;
        Ok(console.lines())
    }
}

/// Saves what `page` shows as a PNG.
async fn save_png(page: &Page, file: &Path) -> Result<(), BrowserError> {
    page.save_screenshot(
        ScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Png)
            .build(),
        file,
    )
    .await
    .map(|_| ())
    .map_err(cdp)
}

/// A page's console, listened to from before its first navigation.
struct Console {
    logs: chromiumoxide::listeners::EventStream<EventEntryAdded>,
    calls: chromiumoxide::listeners::EventStream<EventConsoleApiCalled>,
    thrown: chromiumoxide::listeners::EventStream<EventExceptionThrown>,
}

impl Console {
    async fn on(page: &Page) -> Result<Console, BrowserError> {
        let logs = page
            .event_listener::<EventEntryAdded>()
            .await
            .map_err(cdp)?;
        let calls = page
            .event_listener::<EventConsoleApiCalled>()
            .await
            .map_err(cdp)?;
        let thrown = page
            .event_listener::<EventExceptionThrown>()
            .await
            .map_err(cdp)?;
        page.execute(LogEnable::default()).await.map_err(cdp)?;
        Ok(Console {
            logs,
            calls,
            thrown,
        })
    }

    /// The lines so far, each once: Chrome's console groups a repeated
    /// message into one line with a count (a gadget retrying logs the same
    /// failure again and again).
    fn lines(mut self) -> Vec<String> {
        use futures_util::FutureExt;
        let mut out: Vec<String> = Vec::new();
        let mut add = |line: String| {
            if !out.contains(&line) {
                out.push(line);
            }
        };
        while let Some(Some(e)) = self.logs.next().now_or_never() {
            if e.entry.level != LogEntryLevel::Verbose {
                add(console_line(&e));
            }
        }
        while let Some(Some(e)) = self.calls.next().now_or_never() {
            if e.r#type == ConsoleApiCalledType::Debug {
                continue;
            }
            let args: Vec<String> = e
                .args
                .iter()
                .map(|a| {
                    a.value
                        .as_ref()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default()
                })
                .collect();
            add(args.join(" "));
        }
        while let Some(Some(e)) = self.thrown.next().now_or_never() {
            let d = &e.exception_details;
            add(d
                .exception
                .as_ref()
                .and_then(|x| x.description.clone())
                .map(|t| format!("Uncaught {}", t.lines().next().unwrap_or_default()))
                .unwrap_or_else(|| d.text.clone()));
        }
        out
    }
}

/// A line as Chrome's console shows it: a failed request as `GET URL
/// net::ERR_…`, anything else as its text.
fn console_line(e: &EventEntryAdded) -> String {
    let entry = &e.entry;
    match (
        entry.text.strip_prefix("Failed to load resource: "),
        &entry.url,
    ) {
        // DevTools writes an HTTP error status as `500 (Internal Server Error)`
        (Some(err), Some(url)) => format!(
            "GET {url} {}",
            err.strip_prefix("the server responded with a status of ")
                .unwrap_or(err)
        ),
        _ => entry.text.clone(),
    }
}

/// Evaluates `script` (which answers whether it did its work) until it
/// answers true (bounded).
async fn js_until(page: &Page, script: &str, what: &str) -> Result<(), BrowserError> {
    let deadline = Instant::now() + SETTLE;
    loop {
        let done: bool = page
            .evaluate(script)
            .await
            .ok()
            .and_then(|v| v.into_value().ok())
            .unwrap_or(false);
        if done {
            return Ok(());
        }
        if Instant::now() > deadline {
            let url = page.url().await.ok().flatten().unwrap_or_default();
            // what shows instead (Chrome's error page names its error)
            let text: String = page
                .evaluate("document.body ? document.body.innerText : ''")
                .await
                .ok()
                .and_then(|v| v.into_value().ok())
                .unwrap_or_default();
            let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            let text: String = text.chars().take(300).collect();
            return Err(BrowserError::Page(format!(
                "{what} did not show (at {url}: {text})"
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn at(page: &Page, path: &str) -> bool {
    page.url()
        .await
        .ok()
        .flatten()
        .is_some_and(|u| u.ends_with(path))
}

/// Waits (bounded) until the page is at `path`.
async fn wait_at(page: &Page, path: &str, what: &str) -> Result<(), BrowserError> {
    let deadline = Instant::now() + SETTLE;
    while !at(page, path).await {
        if Instant::now() > deadline {
            let url = page.url().await.ok().flatten().unwrap_or_default();
            return Err(BrowserError::Page(format!(
                "{what} did not open (at {url})"
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// The text of the element `id` in the frame whose URL has `part`; for a
/// frame Chrome could not load (its error page), the error page's summary
/// (`The webpage at … might be temporarily down …`).
async fn frame_text(page: &Page, part: &str, id: &str) -> Option<String> {
    let tree = page.execute(GetFrameTreeParams::default()).await.ok()?;
    let mut stack = vec![tree.result.frame_tree.clone()];
    while let Some(t) = stack.pop() {
        let failed = t
            .frame
            .unreachable_url
            .as_deref()
            .is_some_and(|u| u.contains(part));
        if t.frame.url.contains(part) || failed {
            let expression = if failed {
                // Chrome's error page: its summary paragraph
                "(() => { const m = document.getElementById('main-message'); const p = m && m.querySelector('p'); return p ? p.innerText : null; })()".to_string()
            } else {
                format!("(document.getElementById('{id}') || {{}}).textContent")
            };
            let world = page
                .execute(
                    CreateIsolatedWorldParams::builder()
                        .frame_id(t.frame.id.clone())
                        .build()
                        .ok()?,
                )
                .await
                .ok()?;
            let v = page
                .execute(
                    EvaluateParams::builder()
                        .expression(expression)
                        .context_id(world.result.execution_context_id)
                        .return_by_value(true)
                        .build()
                        .ok()?,
                )
                .await
                .ok()?;
            return v
                .result
                .result
                .value
                .and_then(|v| v.as_str().map(str::to_string));
        }
        stack.extend(t.child_frames.clone().unwrap_or_default());
    }
    None
}

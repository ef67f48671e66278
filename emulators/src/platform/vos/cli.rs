//! The VOS platform administrator's command line (the `admin:` CLI of
//! Finesse, IdS and CUIC over SSH), as an interpreter of the bytes a client
//! sends: it returns what the session writes back, the waits between lines
//! and the services to stop and start ([`Step`]); [`super::ssh`] carries it.
//!
//! Texts (docs/research/vos-cli.md, confidence H/M/L there):
//! * the banner and `admin:` prompt (§1, H), lines ending in CRLF;
//! * `show cert list own|trust` as `<unit>/<file>.pem: <description>` (§2a–b);
//! * `show cert own tomcat` / `show cert trust <unit>/<file>` ([`super::dump`], §2c);
//! * `set cert import trust tomcat`: `Paste the Certificate and Hit Enter`,
//!   `Successfully imported certificate for tomcat.` and `Please restart
//!   services related to tomcat for the new certificate to become active.`
//!   (§3, the CLI reference guide, H); the error for a paste that is not a
//!   certificate is invented (L): `Error: the pasted text is not a valid
//!   certificate` and the VOS failure line `Executed command unsuccessfully`;
//! * `set cert regen tomcat`'s warning, `Proceed with regeneration (yes|no)? `
//!   and `Successfully Regenerated Certificate for tomcat.` (§4, a tech-note
//!   capture, H); `set csr gen tomcat` → `Successfully Generated CSR for
//!   tomcat.` (guide, H); `show csr own tomcat` prints the PEM (M);
//! * `set cert delete <unit> <file>`: no source shows its output; ccelab
//!   prints `Successfully deleted certificate <file>.` (invented, L);
//! * `utils service list` (header, `Name[STARTED]`, `Name[STOPPED]  Service
//!   Not Activated`, `Primary Node =true`: §5, H) and `utils service
//!   restart` (`Do not press Ctrl+C…`, `[STARTING]`, `[STARTED]`: H; the
//!   `[STOPPING]` half: L);
//! * `set cli pagination off` → `Automatic pagination is turned off` (H);
//!   the pager prompt `Press <enter> for 1 line, <space> for one page, or
//!   <q> to quit` in bold (unicon's VOS patterns, H);
//! * `show version active` (H); an unknown command: `Executed command
//!   unsuccessfully` then `No valid command entered` (strings H, order L);
//! * `exit` / `quit` close the session without a word (M);
//! * `utils system restart`: `Do you really want to restart ?`, `Enter
//!   (yes/no)? `, then `Appliance is being Restarted ...`, `Warning: Restart
//!   could take up to 5 minutes.`, `Shutting down Service Manager. Please
//!   wait...` and the session ends (from memory of the CLI, M: no public
//!   capture found).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use super::certs::UnitError;
use super::{ServiceStatus, Vos};
use crate::pki::Certificate;

/// The prompt.
pub const PROMPT: &str = "admin:";
/// The prompt of `set cert import trust tomcat`.
pub const PASTE_PROMPT: &str = "Paste the Certificate and Hit Enter";
/// VOS's line after a failed command.
pub const FAILED: &str = "Executed command unsuccessfully";
/// The pager's prompt (bold).
pub const PAGER_PROMPT: &str =
    "\x1b[1mPress <enter> for 1 line, <space> for one page, or <q> to quit\x1b[0m";
/// The longest command line kept (longer input is cut: a peer cannot grow it).
pub const MAX_LINE: usize = 4096;
/// The longest paste kept for `set cert import`.
pub const MAX_PASTE: usize = 64 * 1024;

/// What the session does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Write these bytes to the client.
    Out(String),
    /// Wait (a service restarting).
    Wait(Duration),
    /// Stop (`false`) or start (`true`) a platform service.
    Service(String, bool),
    /// The appliance restarts: every service stops, and starts again
    /// after the restart time (reading the disk again).
    Reboot,
    /// End the session.
    Close,
}

enum Mode {
    Command,
    Paste(String),
    ConfirmRegen,
    ConfirmRestart,
    Pager(VecDeque<String>),
    Ask(super::Answer),
}

/// One CLI session.
pub struct Cli {
    vos: Arc<Vos>,
    mode: Mode,
    pagination: bool,
    rows: usize,
    echo: bool,
    line: Vec<u8>,
    after_cr: bool,
}

fn crlf(lines: &[String]) -> String {
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

impl Cli {
    /// A session on `vos`; `terminal` is the pty's rows when the client asked
    /// for one (the CLI echoes and paginates then), None without a pty.
    pub fn new(vos: Arc<Vos>, terminal: Option<u32>) -> Cli {
        Cli {
            vos,
            mode: Mode::Command,
            pagination: terminal.is_some(),
            rows: terminal.map_or(24, |r| (r as usize).clamp(2, 500)),
            echo: terminal.is_some(),
            line: Vec::new(),
            after_cr: false,
        }
    }

    /// The banner and first prompt.
    pub fn banner(&self) -> String {
        let mut s = String::from(
            "Command Line Interface is starting up, please wait ...\r\n\r\n   Welcome to the Platform Command Line Interface\r\n\r\nVMware Installation:\r\n",
        );
        for h in &self.vos.config.hardware {
            s.push_str(&format!("\t{h}\r\n"));
        }
        s.push_str("\r\n");
        s.push_str(PROMPT);
        s
    }

    /// Whether the session waits for a pager key.
    fn paging(&self) -> bool {
        matches!(self.mode, Mode::Pager(_))
    }

    /// Feeds bytes the client sent; returns what to do (blocking disk I/O
    /// may happen: call it off the async workers).
    pub fn input(&mut self, bytes: &[u8]) -> Vec<Step> {
        let mut steps = Vec::new();
        for &b in bytes {
            if self.paging() {
                self.pager_key(b, &mut steps);
                continue;
            }
            match b {
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(&mut steps);
                }
                b'\n' if self.after_cr => self.after_cr = false,
                b'\n' => self.end_line(&mut steps),
                0x7f | 0x08 => {
                    self.after_cr = false;
                    if self.line.pop().is_some() && self.echo {
                        steps.push(Step::Out("\x08 \x08".into()));
                    }
                }
                0x03 => {
                    // Ctrl+C: the line (or the prompt's question) is dropped
                    self.after_cr = false;
                    self.line.clear();
                    self.mode = Mode::Command;
                    steps.push(Step::Out(format!("^C\r\n{PROMPT}")));
                }
                _ => {
                    self.after_cr = false;
                    if self.line.len() < MAX_LINE && (b == b'\t' || b >= 0x20) {
                        self.line.push(b);
                        if self.echo {
                            steps.push(Step::Out((b as char).to_string()));
                        }
                    }
                }
            }
            if steps.last() == Some(&Step::Close) {
                break;
            }
        }
        merge(steps)
    }

    fn end_line(&mut self, steps: &mut Vec<Step>) {
        let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
        if self.echo {
            steps.push(Step::Out("\r\n".into()));
        }
        match std::mem::replace(&mut self.mode, Mode::Command) {
            Mode::Command => self.command(&line, steps),
            Mode::Paste(mut buf) => {
                let blank = line.trim().is_empty();
                // "Hit Enter": the empty line after the paste ends it
                if blank {
                    self.import_trust(&buf, steps);
                } else if buf.len() + line.len() > MAX_PASTE {
                    self.finish(
                        vec!["Error: the pasted text is too long".into(), FAILED.into()],
                        steps,
                    );
                } else {
                    buf.push_str(line.trim_end());
                    buf.push('\n');
                    self.mode = Mode::Paste(buf);
                }
            }
            Mode::ConfirmRegen => match line.trim().to_ascii_lowercase().as_str() {
                "yes" | "y" => {
                    let out = match self.vos.regenerate() {
                        Ok(_) => vec![
                            String::new(),
                            "Successfully Regenerated Certificate for tomcat.".into(),
                            String::new(),
                            "You must restart services related to tomcat for the regenerated certificates to become active.".into(),
                        ],
                        Err(e) => vec![format!("Error: {e}"), FAILED.into()],
                    };
                    self.finish(out, steps);
                }
                "no" | "n" => self.finish(Vec::new(), steps),
                _ => {
                    steps.push(Step::Out("Proceed with regeneration (yes|no)? ".into()));
                    self.mode = Mode::ConfirmRegen;
                }
            },
            Mode::ConfirmRestart => match line.trim().to_ascii_lowercase().as_str() {
                "yes" | "y" => {
                    steps.push(Step::Out(
                        "Appliance is being Restarted ...\r\nWarning: Restart could take up to 5 minutes.\r\nShutting down Service Manager. Please wait...\r\n"
                            .into(),
                    ));
                    // the session ends with the machine; its services come back
                    // after the restart time, having read the disk again
                    steps.push(Step::Reboot);
                    steps.push(Step::Close);
                }
                "no" | "n" => self.finish(Vec::new(), steps),
                _ => {
                    steps.push(Step::Out("Enter (yes/no)? ".into()));
                    self.mode = Mode::ConfirmRestart;
                }
            },
            Mode::Pager(rest) => self.mode = Mode::Pager(rest),
            Mode::Ask(answer) => {
                let out = answer(line.trim());
                self.finish(out, steps);
            }
        }
    }

    /// Prints `lines` (through the pager when it is on) and the prompt.
    fn finish(&mut self, lines: Vec<String>, steps: &mut Vec<Step>) {
        let page = self.rows.saturating_sub(1).max(1);
        if self.pagination && lines.len() > page {
            let mut rest: VecDeque<String> = lines.into();
            let first: Vec<String> = rest.drain(..page).collect();
            steps.push(Step::Out(crlf(&first) + PAGER_PROMPT));
            self.mode = Mode::Pager(rest);
        } else {
            steps.push(Step::Out(crlf(&lines) + PROMPT));
        }
    }

    fn pager_key(&mut self, b: u8, steps: &mut Vec<Step>) {
        let Mode::Pager(rest) = &mut self.mode else {
            return;
        };
        let n = match b {
            b'\r' | b'\n' => 1,
            b' ' => self.rows.saturating_sub(1).max(1),
            b'q' | b'Q' => rest.len(),
            _ => return,
        };
        let quit = b == b'q' || b == b'Q';
        let shown: Vec<String> = rest.drain(..n.min(rest.len())).collect();
        let mut out = String::from("\r\x1b[K");
        if !quit {
            out.push_str(&crlf(&shown));
        }
        if rest.is_empty() || quit {
            out.push_str(PROMPT);
            self.mode = Mode::Command;
        } else {
            out.push_str(PAGER_PROMPT);
        }
        steps.push(Step::Out(out));
    }

    fn command(&mut self, line: &str, steps: &mut Vec<Step>) {
        let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        let w: Vec<&str> = lower.iter().map(String::as_str).collect();
        let units = self.vos.units();
        let out: Vec<String> = match w.as_slice() {
            [] => {
                steps.push(Step::Out(PROMPT.into()));
                return;
            }
            ["exit"] | ["quit"] => {
                steps.push(Step::Close);
                return;
            }
            ["set", "cli", "pagination", "off"] => {
                self.pagination = false;
                vec!["Automatic pagination is turned off".into()]
            }
            ["set", "cli", "pagination", "on"] => {
                self.pagination = true;
                vec!["Automatic pagination is turned on".into()]
            }
            ["show", "version", "active"] => vec![
                format!("Active Master Version: {}", self.vos.config.version),
                "Active Version Installed Software Options:".into(),
                "  No Installed Software Options Found.".into(),
            ],
            ["show", "cert", "list", which @ ("own" | "trust")] => {
                match units.list(*which == "trust") {
                    Ok(l) => l
                        .into_iter()
                        .map(|l| format!("{}: {}", l.path, l.description))
                        .collect(),
                    Err(e) => vec![format!("Error: {e}"), FAILED.into()],
                }
            }
            ["show", "cert", "own", "tomcat" | "tomcat/tomcat.pem"] => match units.own() {
                Ok((c, _)) => super::dump::certificate_lines(&c),
                Err(e) => not_found(e),
            },
            ["show", "cert", "trust", path] => {
                let name = path
                    .strip_prefix("tomcat-trust/")
                    .map(|_| words[3]["tomcat-trust/".len()..].to_string());
                let found = name.and_then(|n| {
                    units
                        .trust()
                        .ok()?
                        .into_iter()
                        .find(|(f, _)| f.eq_ignore_ascii_case(&n))
                });
                match found {
                    Some((_, c)) => super::dump::certificate_lines(&c),
                    None => not_found(UnitError::NotFound(words[3].clone())),
                }
            }
            ["set", "cert", "import", "trust", "tomcat"] => {
                steps.push(Step::Out(format!("{PASTE_PROMPT}\r\n")));
                self.mode = Mode::Paste(String::new());
                return;
            }
            ["set", "cert", "regen", "tomcat"] => {
                steps.push(Step::Out(
                    "WARNING: This operation will overwrite any CA signed certificate previously imported for  tomcat\r\nProceed with regeneration (yes|no)? "
                        .into(),
                ));
                self.mode = Mode::ConfirmRegen;
                return;
            }
            ["utils", "system", "restart"] => {
                steps.push(Step::Out(
                    "\r\nDo you really want to restart ?\r\n\r\nEnter (yes/no)? ".into(),
                ));
                self.mode = Mode::ConfirmRestart;
                return;
            }
            ["set", "csr", "gen", "tomcat"] => match self.vos.generate_csr() {
                Ok(_) => vec!["Successfully Generated CSR for tomcat.".into()],
                Err(e) => vec![format!("Error: {e}"), FAILED.into()],
            },
            ["show", "csr", "own", "tomcat" | "tomcat/tomcat.csr"] => match units.csr_pem() {
                Ok(pem) => pem.lines().map(str::to_string).collect(),
                Err(e) => not_found(e),
            },
            ["set", "cert", "delete", "tomcat-trust", _] => {
                let file = &words[4];
                match units.delete_trust(file) {
                    Ok(()) => vec![format!("Successfully deleted certificate {file}.")],
                    Err(e) => not_found(e),
                }
            }
            ["utils", "service", "list"] => self.service_list(),
            ["utils", "service", verb @ ("restart" | "stop" | "start"), ..] if words.len() > 3 => {
                let name = words[3..].join(" ");
                self.service_change(verb, &name, steps);
                return;
            }
            _ => match self.vos.product_command(&w, &words) {
                Some(super::CliReply::Lines(out)) => out,
                Some(super::CliReply::Ask {
                    lines,
                    prompt,
                    answer,
                }) => {
                    steps.push(Step::Out(crlf(&lines) + &prompt));
                    self.mode = Mode::Ask(answer);
                    return;
                }
                None => vec![FAILED.into(), "No valid command entered".into()],
            },
        };
        self.finish(out, steps);
    }

    fn import_trust(&mut self, pasted: &str, steps: &mut Vec<Step>) {
        let cert = Certificate::all_from_pem(pasted)
            .ok()
            .and_then(|v| v.into_iter().next());
        let out = match cert {
            Some(c) => match self
                .vos
                .units()
                .add_trust(&c, super::certs::TRUST_DESCRIPTION)
            {
                Ok(_) => vec![
                    "Successfully imported certificate for tomcat.".into(),
                    "Please restart services related to tomcat for the new certificate to become active.".into(),
                ],
                Err(e) => vec![format!("Error: {e}"), FAILED.into()],
            },
            None => vec![
                "Error: the pasted text is not a valid certificate".into(),
                FAILED.into(),
            ],
        };
        self.finish(out, steps);
    }

    fn service_list(&self) -> Vec<String> {
        let mut out = vec![
            "Requesting service status, please wait...".to_string(),
            "Service Manager is running".into(),
            "Getting list of all services".into(),
            ">> Return code = 0".into(),
        ];
        for (name, s) in self.vos.services() {
            out.push(match s {
                ServiceStatus::Started => format!("{name}[STARTED]"),
                ServiceStatus::Stopped => format!("{name}[STOPPED]  Commanded Out of Service"),
                ServiceStatus::NotActivated => format!("{name}[STOPPED]  Service Not Activated"),
            });
        }
        out.push("Primary Node =true".into());
        out
    }

    fn service_change(&mut self, verb: &str, name: &str, steps: &mut Vec<Step>) {
        let Some((name, status)) = self.vos.service_named(name) else {
            // invented (L): no source shows the text for an unknown service
            self.finish(
                vec![format!("Service not found: {name}"), FAILED.into()],
                steps,
            );
            return;
        };
        if status == ServiceStatus::NotActivated {
            self.finish(
                vec![
                    format!("{name}[STOPPED]  Service Not Activated"),
                    FAILED.into(),
                ],
                steps,
            );
            return;
        }
        let tick = self.vos.config.restart_time / 4;
        let line = |s: String| Step::Out(format!("{s}\r\n"));
        let stop = verb != "start";
        let start = verb != "stop";
        if verb == "restart" {
            steps.push(line("Do not press Ctrl+C while the service is restarting. If the service has not restarted properly, execute the same command again.".into()));
        }
        steps.push(line("Service Manager is running".into()));
        if stop {
            steps.push(line(format!("{name}[STOPPING]")));
            steps.push(Step::Wait(tick));
            steps.push(Step::Service(name.clone(), false));
            steps.push(line(format!("{name}[STOPPING]")));
            steps.push(line("Commanded Out of Service".into()));
            steps.push(line(format!("{name}[NOTRUNNING]")));
        }
        if stop && start {
            steps.push(line("Service Manager is running".into()));
        }
        if start {
            steps.push(line(format!("{name}[STARTING]")));
            steps.push(Step::Wait(tick));
            steps.push(line(format!("{name}[STARTING]")));
            steps.push(Step::Wait(tick));
            steps.push(Step::Service(name.clone(), true));
            steps.push(line(format!("{name}[STARTED]")));
        }
        steps.push(Step::Out(PROMPT.into()));
    }
}

fn not_found(e: UnitError) -> Vec<String> {
    match e {
        UnitError::NotFound(what) => vec![
            format!("Error: certificate not found: {what}"),
            FAILED.into(),
        ],
        e => vec![format!("Error: {e}"), FAILED.into()],
    }
}

/// Joins adjacent outputs (one write per burst).
fn merge(steps: Vec<Step>) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::with_capacity(steps.len());
    for s in steps {
        match (out.last_mut(), s) {
            (Some(Step::Out(a)), Step::Out(b)) => a.push_str(&b),
            (_, s) => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::host::VirtualDisk;
    use crate::pki::{keypool, KeyType};

    fn vos(dir: &std::path::Path) -> Arc<Vos> {
        let clock = Clock::fixed(time::macros::datetime!(2026-12-01 00:00 UTC));
        let disk = VirtualDisk::new(dir);
        let own = super::super::self_signed_tomcat(
            "finessea.example.com",
            clock.now(),
            keypool::key(KeyType::Rsa2048, 10).unwrap(),
        )
        .unwrap();
        super::super::write_disk("finesse-a", &disk, &own, &[]).unwrap();
        Vos::new(
            "finesse-a",
            "finessea.example.com",
            disk,
            clock,
            super::super::VosConfig {
                version: "12.6.2.10000-12".into(),
                admin: ("admin".into(), "Password1".into()),
                services: vec![
                    ("Cisco Tomcat".into(), true),
                    ("Cisco Finesse Tomcat".into(), true),
                    ("Cisco DRF Master".into(), false),
                ],
                restart_time: Duration::from_millis(400),
                hardware: vec!["4 vCPU: Intel(R) Xeon(R) CPU".into()],
                key_slots: [10, 16],
            },
        )
    }

    fn text(steps: &[Step]) -> String {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::Out(o) => Some(o.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn commands_and_their_texts() {
        let dir = tempfile::tempdir().unwrap();
        let mut cli = Cli::new(vos(dir.path()), None);
        assert!(cli.banner().ends_with("\r\n\r\nadmin:"));
        assert_eq!(
            text(&cli.input(b"set cli pagination off\n")),
            "Automatic pagination is turned off\r\nadmin:"
        );
        assert_eq!(
            text(&cli.input(b"bogus command\r\n")),
            "Executed command unsuccessfully\r\nNo valid command entered\r\nadmin:"
        );
        assert_eq!(
            text(&cli.input(b"show cert list own\n")),
            "tomcat/tomcat.pem: Self-signed certificate generated by system\r\nadmin:"
        );
        let list = text(&cli.input(b"utils service list\n"));
        assert!(
            list.contains("\r\nCisco Finesse Tomcat[STARTED]\r\n"),
            "{list}"
        );
        assert!(list.contains("Cisco DRF Master[STOPPED]  Service Not Activated\r\n"));
        assert_eq!(cli.input(b"exit\n"), vec![Step::Close]);
    }

    #[test]
    fn import_trust_needs_a_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let v = vos(dir.path());
        let mut cli = Cli::new(v.clone(), None);
        assert_eq!(
            text(&cli.input(b"set cert import trust tomcat\n")),
            "Paste the Certificate and Hit Enter\r\n"
        );
        let out = text(&cli.input(b"hello\n\n"));
        assert!(out.starts_with("Error: the pasted text is not a valid certificate\r\nExecuted command unsuccessfully\r\n"), "{out}");
        assert_eq!(
            v.units().trust().unwrap().len(),
            1,
            "only the own certificate"
        );
        let other = super::super::self_signed_tomcat(
            "cuica.example.com",
            v.clock.now(),
            keypool::key(KeyType::Rsa2048, 11).unwrap(),
        )
        .unwrap();
        cli.input(b"set cert import trust tomcat\r\n");
        let pasted = other.cert.to_pem().replace('\n', "\r\n") + "\r\n";
        let out = text(&cli.input(pasted.as_bytes()));
        assert_eq!(out, "Successfully imported certificate for tomcat.\r\nPlease restart services related to tomcat for the new certificate to become active.\r\nadmin:");
        assert!(text(&cli.input(b"show cert list trust\n"))
            .contains("tomcat-trust/cuica.example.com.pem: Trust Certificate\r\n"));
    }

    #[test]
    fn regen_asks_and_restart_steps_through_the_service() {
        let dir = tempfile::tempdir().unwrap();
        let v = vos(dir.path());
        let before = v.units().own().unwrap().0;
        let mut cli = Cli::new(v.clone(), None);
        let ask = text(&cli.input(b"set cert regen tomcat\n"));
        assert!(ask.ends_with("Proceed with regeneration (yes|no)? "));
        let done = text(&cli.input(b"yes\n"));
        assert!(done.contains("Successfully Regenerated Certificate for tomcat."));
        assert_ne!(v.units().own().unwrap().0, before);
        // a CSR, then another regeneration: never the key being replaced
        let (second, _) = v.units().own().unwrap();
        cli.input(b"set csr gen tomcat\n");
        cli.input(b"set cert regen tomcat\n");
        cli.input(b"yes\n");
        assert_ne!(v.units().own().unwrap().0.spki_der(), second.spki_der());
        let steps = cli.input(b"utils service restart Cisco Finesse Tomcat\n");
        let services: Vec<&Step> = steps
            .iter()
            .filter(|s| matches!(s, Step::Service(..)))
            .collect();
        assert_eq!(
            services,
            vec![
                &Step::Service("Cisco Finesse Tomcat".into(), false),
                &Step::Service("Cisco Finesse Tomcat".into(), true)
            ]
        );
        let t = text(&steps);
        assert!(t.contains("Cisco Finesse Tomcat[STOPPING]\r\n"));
        assert!(t.ends_with("Cisco Finesse Tomcat[STARTED]\r\nadmin:"));
    }

    #[test]
    fn pager_and_echo_with_a_terminal() {
        let dir = tempfile::tempdir().unwrap();
        let mut cli = Cli::new(vos(dir.path()), Some(10));
        let out = text(&cli.input(b"show cert own tomcat\r"));
        assert!(
            out.starts_with("show cert own tomcat\r\n[\r\n"),
            "echoed: {out:?}"
        );
        assert!(out.ends_with(PAGER_PROMPT));
        assert_eq!(out.matches("\r\n").count(), 1 + 9);
        let rest = text(&cli.input(b"q"));
        assert_eq!(rest, "\r\x1b[Kadmin:");
        assert_eq!(
            text(&cli.input(b"set cli pagination off\r")),
            "set cli pagination off\r\nAutomatic pagination is turned off\r\nadmin:"
        );
    }
}

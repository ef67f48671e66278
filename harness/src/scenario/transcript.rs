//! The transcript of a scenario run: what was done and what the user saw,
//! step by step, with everything that changes between runs or days redacted
//! — the lab directory, ephemeral ports, dates (relative to the day the
//! topology clock started: `{date}`, `{date+31d}`), and what derives from
//! them: certificate fingerprints (`{sha256}`) and thumbprints
//! (`{thumbprint}`, also in the file names IIS gives PFX files). The ports
//! redacted are those the products declare (every bound port of every host),
//! never a fixed list. Hosts' addresses are written `{ece.address}`: they
//! are the back end's (loopback in one process, the containers' network in
//! containers), so one snapshot holds for both.

use super::expect::Mismatch;
use super::file::{Scenario, Step};
use super::re_static;
use super::runner::Run;
use crate::actions::Outcome;

/// A transcript being written.
pub(super) struct Transcript(Vec<String>);

impl Transcript {
    /// The scenario's names.
    pub(super) fn new(s: &Scenario) -> Transcript {
        Transcript(vec![
            format!("scenario {}: {}", s.id, s.title),
            format!("source: {}", s.source),
        ])
    }

    /// The topology did not start.
    pub(super) fn cannot_start(&mut self, e: &str) {
        self.0.push(format!("given: cannot start: {e}"));
    }

    /// The topology it runs on, and its clock.
    pub(super) fn given(&mut self, run: &Run) {
        let clock = run
            .lab
            .topo
            .clock
            .now()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        self.0.push(format!(
            "given: {} ({} hosts), clock {}, {}",
            run.lab.topo.preset,
            run.lab.topo.hosts.len(),
            run.redact(&clock),
            run.lab.topo.release_summary()
        ));
    }

    /// Step `n`: what was done, the verdict, what the user saw, what was logged.
    pub(super) fn step(&mut self, run: &Run, n: usize, step: &Step, o: &Outcome, mm: &[Mismatch]) {
        let t = &mut self.0;
        let verdict = match o.exit {
            Some(c) => format!("exit {c}"),
            None if o.ok => "ok".into(),
            None => "FAILED for the user".into(),
        };
        t.push(format!(
            "{n}. {} → {verdict}",
            run.redact(&step.action.describe())
        ));
        if let Some(note) = &step.note {
            t.push(format!("   note: {note}"));
        }
        for l in o.shows.lines().filter(|l| !l.is_empty()) {
            t.push(format!("   shows: {}", run.redact(l)));
        }
        for l in o.logged.iter() {
            t.push(format!("   logged: {}", run.redact(l)));
        }
        if o.exit.is_some() {
            for (name, text) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
                for l in text.lines().filter(|l| !l.trim().is_empty()).take(12) {
                    t.push(format!("   {name}: {}", run.redact(l)));
                }
            }
        }
        for m in mm {
            t.push(format!("   MISMATCH: expected {}", m.expected));
        }
    }

    /// The final expectations' mismatches.
    pub(super) fn end(&mut self, mm: &[Mismatch]) {
        for m in mm {
            self.0
                .push(format!("end MISMATCH: expected {}", m.expected));
        }
    }

    /// The verdict.
    pub(super) fn result(&mut self, passed: bool) {
        self.0
            .push(format!("result: {}", if passed { "pass" } else { "FAIL" }));
    }

    /// The text.
    pub(super) fn finish(self) -> String {
        self.0.join("\n") + "\n"
    }
}

impl Run {
    /// Redacts what changes between runs: the directory, the ephemeral
    /// ports, dates (written relative to the clock's start: `{date}`,
    /// `{date+31d}`, also inside Java and HTTP dates) and the fingerprints
    /// of certificates minted during the run (they embed those dates).
    pub fn redact(&self, text: &str) -> String {
        let mut t = text.replace(&self.dir.display().to_string(), "{dir}");
        let start = time::Date::parse(
            &self.date,
            &time::format_description::well_known::Iso8601::DATE,
        )
        .ok();
        let rel = |y: i32, m: u8, d: u8| -> Option<String> {
            let date = time::Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()?;
            let n = (date - start?).whole_days();
            Some(match n {
                0 => "{date}".to_string(),
                n if n > 0 => format!("{{date+{n}d}}"),
                n => format!("{{date{n}d}}"),
            })
        };
        const MONTHS: &str = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec";
        let month = |m: &str| {
            MONTHS
                .split('|')
                .position(|x| x == m)
                .map(|i| i as u8 + 1)
                .unwrap_or(1)
        };
        let num = |c: &regex::Captures, i: usize| c[i].parse::<i32>().unwrap_or(0);
        {
            t = re_static!(
                r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{2}) (\d{2}:\d{2}:\d{2}) UTC (\d{4})"
            )
                .replace_all(&t, |c: &regex::Captures| {
                    let d = rel(num(c, 4), month(&c[1]), num(c, 2) as u8);
                    format!("{} {} UTC", d.unwrap_or_else(|| c[0].to_string()), &c[3])
                })
                .into_owned();
        }
        {
            t = re_static!(r"\b(\d{4})-(\d{2})-(\d{2})")
                .replace_all(&t, |c: &regex::Captures| {
                    rel(num(c, 1), num(c, 2) as u8, num(c, 3) as u8)
                        .unwrap_or_else(|| c[0].to_string())
                })
                .into_owned();
        }
        {
            t = re_static!(
                r"\b(\d{2})-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-(\d{4})\b"
            )
            .replace_all(&t, |c: &regex::Captures| {
                rel(num(c, 3), month(&c[2]), num(c, 1) as u8).unwrap_or_else(|| c[0].to_string())
            })
            .into_owned();
        }
        // CVP's log stamps (`Dec 01 2026 00:00:00.000 +0000`)
        {
            t = re_static!(
                r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{2}) (\d{4}) (\d{2}:\d{2}:\d{2}\.\d{3}) ([+-]\d{4})"
            )
            .replace_all(&t, |c: &regex::Captures| {
                let d = rel(num(c, 3), month(&c[1]), num(c, 2) as u8);
                format!("{} {} {}", d.unwrap_or_else(|| c[0].to_string()), &c[4], &c[5])
            })
            .into_owned();
        }
        // HTTP dates (the emulated servers' Date headers, from the topology clock)
        {
            t = re_static!(
                r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}:\d{2}:\d{2}) GMT"
            )
                .replace_all(&t, |c: &regex::Captures| {
                    let d = rel(num(c, 3), month(&c[2]), num(c, 1) as u8);
                    format!("{} {} GMT", d.unwrap_or_else(|| c[0].to_string()), &c[4])
                })
                .into_owned();
        }
        {
            t = re_static!(r"\b(?:[0-9A-F]{2}:){31}[0-9A-F]{2}\b")
                .replace_all(&t, "{sha256}")
                .into_owned();
        }
        // SHA-1 thumbprints (IIS names the PFX of a certificate by it: F22)
        {
            t = re_static!(r"\b[0-9A-Fa-f]{40}\b")
                .replace_all(&t, "{thumbprint}")
                .into_owned();
        }
        // the ports bound instead of a product's (ephemeral ones in one
        // process; in containers every product listens on its own)
        let ports: Vec<u16> = self
            .lab
            .topo
            .hosts
            .iter()
            .flat_map(|h| {
                self.lab
                    .ports_of(&h.name)
                    .into_iter()
                    .filter(|(product, bound)| product != bound)
                    .map(|(_, bound)| bound)
            })
            .chain([self.control.port()])
            .collect();
        for p in ports {
            if p > 1024 {
                t = t.replace(&format!(":{p}"), ":{port}");
            }
        }
        // each host's address (a loopback one in one process, the
        // containers' network's in containers): `{ece.address}`; one
        // pattern of them all, whole addresses only (127.0.0.1 never takes
        // part of 127.0.0.11), made once per run
        let addresses = self.addresses.get_or_init(|| {
            let hosts: Vec<(String, String)> = self
                .lab
                .topo
                .hosts
                .iter()
                .map(|h| (h.address.to_string(), h.name.clone()))
                .collect();
            let alternatives: Vec<String> = hosts.iter().map(|(a, _)| regex::escape(a)).collect();
            regex::Regex::new(&format!(r"\b(?:{})\b", alternatives.join("|")))
                .ok()
                .map(|re| (re, hosts))
        });
        if let Some((re, hosts)) = addresses {
            t = re
                .replace_all(&t, |c: &regex::Captures| {
                    hosts
                        .iter()
                        .find(|(a, _)| *a == c[0])
                        .map(|(_, name)| format!("{{{name}.address}}"))
                        .unwrap_or_else(|| c[0].to_string())
                })
                .into_owned();
        }
        t
    }
}

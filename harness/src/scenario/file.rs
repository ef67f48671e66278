//! The scenario file: TOML with the scenario's names and sources, a
//! `[given]` topology file, `[[step]]`s (each an [`Action`] with `note` and
//! `expect`) and a final `[expect]` on the disks. Every error names
//! `FILE:LINE:COLUMN`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::expect::Expect;
use super::sanitize;
use crate::actions::Action;
use crate::topology_file::TopologyFile;

/// A scenario-file error: `FILE:LINE:COLUMN: message` (or `FILE: message`).
pub type ScenarioError = crate::located::Located;

/// One step: an action with what it means and what it must give.
#[derive(Clone, Debug)]
pub struct Step {
    /// What is done (`do = "…"` and its fields).
    pub action: Action,
    /// What the step means, for people (shown in the transcript).
    pub note: Option<String>,
    /// What the step must give.
    pub expect: Expect,
}

/// A `[[step]]` table as written, with the place of every key and value.
type RawStep = BTreeMap<Spanned<String>, Spanned<toml::Value>>;

/// The parsed file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    id: String,
    title: String,
    source: String,
    failure: Option<String>,
    symptom: Option<String>,
    logged: Option<String>,
    fix: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    given: toml::Table,
    #[serde(default, rename = "step")]
    steps: Vec<RawStep>,
    #[serde(default)]
    expect: Expect,
}

/// A scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The file it was read from.
    pub path: PathBuf,
    /// Its id: names the transcript, the snapshot and the run directory.
    pub id: String,
    /// One line saying what it shows.
    pub title: String,
    /// Where the behaviour is documented (`[ECE] 2.1`).
    pub source: String,
    /// The failure mode (`F14`), if it is one.
    pub failure: Option<String>,
    /// What the user sees (for the catalog).
    pub symptom: Option<String>,
    /// Where it is logged (for the catalog).
    pub logged: Option<String>,
    /// The documented fix (for the catalog).
    pub fix: Option<String>,
    /// Free tags (`--filter` matches them).
    pub tags: Vec<String>,
    /// The topology it runs on.
    pub given: TopologyFile,
    /// `[given]` as a topology file's text (what each host of a deployment
    /// in containers is told).
    pub given_text: String,
    /// The steps, in order.
    pub steps: Vec<Step>,
    /// What the disks must hold at the end.
    pub expect: Expect,
}

/// The field a serde message names (`missing field `path``, `unknown field `x``).
fn named_field<'a>(message: &'a str, what: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(what)?.strip_prefix(" `")?;
    rest.split('`').next()
}

/// A step table as an [`Step`], or the message and the offset it is about.
fn step(i: usize, raw: RawStep) -> Result<Step, (usize, String)> {
    let n = i + 1;
    let (do_at, name) = match raw.iter().find(|(k, _)| k.get_ref() == "do") {
        Some((_, v)) => (
            v.span().start,
            v.get_ref().as_str().unwrap_or_default().to_string(),
        ),
        None => {
            let at = raw.keys().map(|k| k.span().start).min().unwrap_or(0);
            return Err((at, format!("step {n}: no `do` (the action)")));
        }
    };
    let key_at = |key: &str| {
        raw.keys()
            .find(|k| k.get_ref() == key)
            .map_or(do_at, |k| k.span().start)
    };
    let mut note = None;
    let mut expect = Expect::default();
    let mut table = toml::Table::new();
    for (k, v) in &raw {
        let at = v.span().start;
        match k.get_ref().as_str() {
            "note" => match v.get_ref().as_str() {
                Some(s) => note = Some(s.to_string()),
                None => return Err((at, format!("step {n}: `note` is text"))),
            },
            "expect" => {
                expect = v
                    .get_ref()
                    .clone()
                    .try_into()
                    .map_err(|e: toml::de::Error| {
                        (at, format!("step {n}: expect: {}", e.message().trim()))
                    })?;
            }
            key => {
                table.insert(key.to_string(), v.get_ref().clone());
            }
        }
    }
    let parse = |t: toml::Table| -> Result<Action, String> {
        toml::Value::Table(t)
            .try_into()
            .map_err(|e: toml::de::Error| e.message().trim().to_string())
    };
    // the key a value error is about: the one whose absence changes the error
    let blame = |m: &str| {
        table.keys().filter(|k| *k != "do").find(|k| {
            let mut without = table.clone();
            without.remove(*k);
            parse(without).err().as_deref() != Some(m)
        })
    };
    let action: Action = parse(table.clone()).map_err(|m| {
        if let Some(rest) = m.strip_prefix("unknown variant `") {
            let names = rest
                .split_once("expected one of ")
                .map(|(_, l)| l.replace('`', ""))
                .unwrap_or_default();
            (
                do_at,
                format!("step {n}: unknown action `{name}` (actions: {names})"),
            )
        } else if let Some(f) = named_field(&m, "missing field") {
            let what = if f == "replace" {
                "`replace = [\"old\", \"new\"]`".to_string()
            } else {
                format!("`{f}`")
            };
            (do_at, format!("step {n}: `do = \"{name}\"` needs {what}"))
        } else if let Some(f) = named_field(&m, "unknown field") {
            (key_at(f), format!("step {n}: `do = \"{name}\"`: {m}"))
        } else if let Some(k) = blame(&m) {
            let what = if k == "replace" {
                format!("needs `replace = [\"old\", \"new\"]` ({m})")
            } else {
                format!("`{k}`: {m}")
            };
            (key_at(k), format!("step {n}: `do = \"{name}\"` {what}"))
        } else {
            (do_at, format!("step {n}: `do = \"{name}\"`: {m}"))
        }
    })?;
    for r in [&expect.shows_regex]
        .into_iter()
        .flatten()
        .chain(expect.log.iter().filter_map(|l| l.regex.as_ref()))
    {
        regex::Regex::new(r).map_err(|e| (do_at, format!("step {n}: bad regex `{r}`: {e}")))?;
    }
    if let Some(shot) = &expect.screenshot {
        if !matches!(
            action,
            Action::OpenGadget { .. } | Action::FinesseDesktop { .. }
        ) {
            return Err((
                key_at("expect"),
                format!("step {n}: expect: `screenshot` is for a page a browser shows: `open-gadget` or `finesse-desktop`, not `{name}`"),
            ));
        }
        if !super::browser::screenshot_name_ok(shot) {
            return Err((
                key_at("expect"),
                format!("step {n}: expect: screenshot `{shot}`: a file name ending in .png (letters, digits, `-`, `_`, `.`; no folder)"),
            ));
        }
    }
    Ok(Step {
        action,
        note,
        expect,
    })
}

/// One step written in the scenario format (`do = "restart"\nhost = "ads-a"`).
pub(super) fn parse_step(text: &str) -> Result<Step, String> {
    let raw: RawStep = toml::from_str(text).map_err(|e| e.message().trim().to_string())?;
    step(0, raw).map_err(|(_, m)| m)
}

impl Scenario {
    /// Reads and checks a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
            location: path.display().to_string(),
            message: e.to_string(),
        })?;
        Scenario::parse(path, &text)
    }

    /// Parses scenario text (`path` names it in errors).
    pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
        let at = |offset: usize, message: String| ScenarioError::at(path, text, offset, message);
        let mut f: ScenarioFile = toml::from_str(text).map_err(|e| {
            at(
                e.span().map_or(0, |s| s.start),
                e.message().trim().to_string(),
            )
        })?;
        // `given` is a topology file: its keys and values are checked as one
        let given_text = toml::to_string(&f.given).unwrap_or_default();
        let mut given: TopologyFile = toml::from_str(&given_text).map_err(|e| {
            let key = e
                .span()
                .map(|s| given_text[s.start..s.end.min(given_text.len())].to_string())
                .unwrap_or_default();
            let offset = text
                .find("[given")
                .and_then(|g| text[g..].find(key.trim()).map(|k| g + k))
                .unwrap_or(0);
            at(offset, format!("given: {}", e.message().trim()))
        })?;
        given.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let e = &f.expect;
        if e.ok.is_some()
            || e.shows.is_some()
            || e.shows_regex.is_some()
            || e.exit.is_some()
            || e.stdout.is_some()
            || e.stderr.is_some()
            || e.event.is_some()
        {
            let offset = text.find("[expect]").unwrap_or(0);
            return Err(at(
                offset,
                "the final [expect] checks the disks only (`log`, `store`); put `ok`, `shows`, `exit`, `stdout`, `stderr` and `event` on a step".into(),
            ));
        }
        for r in e.log.iter().filter_map(|l| l.regex.as_ref()) {
            regex::Regex::new(r).map_err(|err| {
                at(
                    text.find("[expect]").unwrap_or(0),
                    format!("bad regex `{r}`: {err}"),
                )
            })?;
        }
        // placeholders name this topology's hosts: checked now, not at run time
        let ha = given.preset.as_deref() == Some(crate::topology::Preset::Ece400Ha.name());
        let hosts = crate::topology::host_names_of(
            given
                .ece_app
                .as_ref()
                .and_then(|a| a.servers)
                .unwrap_or(if ha { 2 } else { 1 }),
            ha || given.lb.is_some(),
            given
                .ece_web
                .as_ref()
                .and_then(|w| w.servers)
                .unwrap_or(if ha { 2 } else { 1 }),
        );
        let steps = std::mem::take(&mut f.steps)
            .into_iter()
            .enumerate()
            .map(|(i, raw)| {
                let do_at = raw
                    .iter()
                    .find(|(k, _)| k.get_ref() == "do")
                    .map_or(0, |(_, v)| v.span().start);
                let s = step(i, raw).map_err(|(offset, m)| at(offset, m))?;
                s.action
                    .map_text(&mut |v| {
                        super::runner::expand(v, &|k| {
                            super::runner::placeholder_known(k, &hosts).then(String::new)
                        })
                        .map(|_| v.to_string())
                    })
                    .map_err(|m| {
                        at(
                            do_at,
                            format!(
                                "step {}: {m} (placeholders: {{dir}}, {{ca.root}}, {{ca.issuing}}, {{HOST.address|fqdn|disk|port.N}}, {{HOST:C:\\path}}; hosts: {})",
                                i + 1,
                                hosts.join(", ")
                            ),
                        )
                    })?;
                unknown_in_expected(&s.expect, &hosts).map_or(Ok(()), |m| {
                    Err(at(do_at, format!("step {}: expect: {m}", i + 1)))
                })?;
                Ok(s)
            })
            .collect::<Result<Vec<Step>, ScenarioError>>()?;
        if let Some(m) = unknown_in_expected(&f.expect, &hosts) {
            return Err(at(
                text.find("[expect").unwrap_or(0),
                format!("expect: {m}"),
            ));
        }
        Ok(Scenario {
            path: path.to_path_buf(),
            id: f.id,
            title: f.title,
            source: f.source,
            failure: f.failure,
            symptom: f.symptom,
            logged: f.logged,
            fix: f.fix,
            tags: f.tags,
            given,
            given_text,
            steps,
            expect: f.expect,
        })
    }

    /// The scenario files under `paths` (files, or directories searched for
    /// `*.toml`, and their sub-folders at any depth for files named
    /// `scenario.toml`, as `ccelab reproduce` writes them), in the order
    /// given; a directory's files sorted by name.
    pub fn discover(paths: &[PathBuf]) -> Result<Vec<Scenario>, ScenarioError> {
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                let rd = std::fs::read_dir(p).map_err(|e| ScenarioError {
                    location: p.display().to_string(),
                    message: e.to_string(),
                })?;
                let mut in_dir: Vec<PathBuf> = rd
                    .flatten()
                    .map(|e| e.path())
                    .filter(|f| f.extension().is_some_and(|x| x == "toml"))
                    .collect();
                in_dir.sort();
                files.extend(in_dir);
                // and the reproductions below it (`field/<case>/reproduction/scenario.toml`)
                files.extend(scenarios_below(p, 0));
            } else {
                files.push(p.clone());
            }
        }
        let all: Vec<Scenario> = files
            .iter()
            .map(|f| Scenario::load(f))
            .collect::<Result<_, _>>()?;
        let mut seen: BTreeMap<String, &Path> = BTreeMap::new();
        for s in &all {
            if let Some(other) = seen.insert(sanitize(&s.id).to_ascii_lowercase(), &s.path) {
                return Err(ScenarioError {
                    location: s.path.display().to_string(),
                    message: format!(
                        "id `{}` is already used by {} (ids name the transcripts and run directories)",
                        s.id,
                        other.display()
                    ),
                });
            }
        }
        Ok(all)
    }
}

/// `scenario.toml` files in the sub-folders of `dir`, sorted by path.
fn scenarios_below(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if depth > 6 {
        return out;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    let mut subs: Vec<PathBuf> = rd
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    subs.sort();
    for s in subs {
        let f = s.join("scenario.toml");
        if f.is_file() {
            out.push(f);
        }
        out.extend(scenarios_below(&s, depth + 1));
    }
    out
}

/// The first `{HOST.field}` or `{HOST:path}` in an expectation's texts
/// that names no placeholder of this topology (a typo would otherwise
/// never match, and an `absent` with it would always pass).
fn unknown_in_expected(e: &super::Expect, hosts: &[String]) -> Option<String> {
    let mut texts: Vec<&str> = [&e.shows, &e.stdout, &e.stderr, &e.event]
        .into_iter()
        .filter_map(|t| t.as_deref())
        .collect();
    for l in &e.log {
        texts.extend(l.contains.as_deref());
        texts.extend(l.absent.as_deref());
    }
    texts.into_iter().find_map(|t| {
        super::re_static!(r"\{([a-zA-Z][a-zA-Z0-9-]*(?:\.[a-z0-9.]+|:[^{}]+))\}")
            .captures_iter(t)
            .map(|c| c[1].to_string())
            .find(|k| !super::runner::placeholder_known(k, hosts))
            .map(|k| format!("unknown substitution `{{{k}}}`"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_screenshot_is_a_png_file_name_on_a_browser_page_step() {
        let p = Path::new("s.toml");
        let head = "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[[step]]\n";
        let ok = Scenario::parse(
            p,
            &format!("{head}do = \"finesse-desktop\"\nexpect = {{ ok = true, screenshot = \"F18-a_1.png\" }}\n"),
        )
        .unwrap();
        assert_eq!(super::super::browser::screenshots(&ok), ["F18-a_1.png"]);
        let e = Scenario::parse(
            p,
            &format!(
                "{head}do = \"restart\"\nhost = \"ads-a\"\nexpect = {{ screenshot = \"a.png\" }}\n"
            ),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("s.toml:7:1: step 1: expect: `screenshot` is for a page a browser shows: `open-gadget` or `finesse-desktop`, not `restart`"),
            "{e}"
        );
        for bad in ["../a.png", "a/b.png", "a.jpg", ".a.png", "a b.png"] {
            let e = Scenario::parse(
                p,
                &format!("{head}do = \"open-gadget\"\nexpect = {{ screenshot = \"{bad}\" }}\n"),
            )
            .unwrap_err()
            .to_string();
            assert!(
                e.contains(&format!(
                    "step 1: expect: screenshot `{bad}`: a file name ending in .png"
                )),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let p = Path::new("s.toml");
        let e = Scenario::parse(p, "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\nbogus = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("s.toml:4:1: unknown field `bogus`"), "{e}");
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[[step]]\ndo = \"restart\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("s.toml:5:6: step 1: `do = \"restart\"` needs `host`"),
            "{e}"
        );
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[[step]]\ndo = \"dance\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("step 1: unknown action `dance`"), "{e}");
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[given]\npreset = \"pcce-2000\"\n[given.ece_web]\nfqdm = \"a\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("s.toml:7:1: given: unknown field `fqdm`"),
            "{e}"
        );
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[[step]]\ndo = \"open-gadget\"\nexpect = { oops = 1 }\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown field `oops`"), "{e}");
        // a value of the wrong type: the key and where it is
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[[step]]\ndo = \"restart\"\nhost = 1\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("s.toml:6:1: step 1: `do = \"restart\"` `host`: invalid type"),
            "{e}"
        );
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[[step]]\ndo = \"edit-file\"\nhost = \"ece\"\npath = 'C:\\x'\nreplace = [\"a\"]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("needs `replace = [\"old\", \"new\"]`"), "{e}");
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[[step]]\nnote = \"n\"\nhost = \"h\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("s.toml:5:1: step 1: no `do`"), "{e}");
        let e = Scenario::parse(
            p,
            "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n[expect]\nok = true\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("s.toml:4:1: the final [expect] checks the disks only"),
            "{e}"
        );
    }

    /// Issue 11 D8: an unknown `{…}` placeholder is an error when the file
    /// is read, at its step, not when the step runs.
    #[test]
    fn unknown_placeholders_are_found_when_the_file_is_read() {
        let p = Path::new("s.toml");
        let head = "id = \"x\"\ntitle = \"t\"\nsource = \"s\"\n";
        for bad in [
            "{ece-app-2.address}",
            "{ece.port.99999}",
            "{ads-a.nope}",
            "{nohost:C:\\\\x}",
            "{dc}",
        ] {
            let text = format!("{head}[[step]]\ndo = \"run\"\ncommand = [\"echo\", \"{bad}\"]\n");
            let e = Scenario::parse(p, &text).unwrap_err().to_string();
            assert!(
                e.starts_with("s.toml:5:6: step 1: unknown substitution"),
                "{bad}: {e}"
            );
        }
        for good in [
            "{ece.port.443}",
            "{ads-a:%JAVA_HOME%\\\\lib}",
            "{ca.root}",
            "{dir}",
            "{{literal}}",
        ] {
            let text = format!("{head}[[step]]\ndo = \"run\"\ncommand = [\"echo\", \"{good}\"]\n");
            assert!(Scenario::parse(p, &text).is_ok(), "{good}");
        }
        // a second application server exists once [given] asks for it
        let text = format!("{head}[given.ece_app]\nservers = 2\n[[step]]\ndo = \"run\"\ncommand = [\"echo\", \"{{ece-app-2.address}}\"]\n");
        assert!(Scenario::parse(p, &text).is_ok(), "{text}");
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let d = tempfile::tempdir().unwrap();
        for f in ["a.toml", "b.toml"] {
            std::fs::write(
                d.path().join(f),
                "id = \"F1.x\"\ntitle = \"t\"\nsource = \"s\"\n",
            )
            .unwrap();
        }
        let e = Scenario::discover(&[d.path().to_path_buf()])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("b.toml: id `F1.x` is already used by") && e.contains("a.toml"),
            "{e}"
        );
    }
}

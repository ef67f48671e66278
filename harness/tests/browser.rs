//! The real browser as a client (issue 18): headless Chromium, driven over
//! the DevTools protocol ([`ccelab::chromium`]), signs in to CCE
//! Administration's web UI on an ADS and opens the Email and Chat page,
//! which frames ECE's gadget, and signs an agent in to the Finesse desktop
//! with its Live Data gadget — and what it shows and logs must be what
//! ccelab predicts (`open-gadget`, `finesse-desktop`: the page's text and
//! Chrome's console), as Java 17, curl and openssl are pinned elsewhere.
//! The browser starts once; the cases change the one lab between them.

mod common;

use ccelab::actions::Action;
use ccelab::chromium::{Chromium, Mapped};
use ccelab::deploy::LabBuilder;

/// The predicted outcome's lines: what the page shows, and the console
/// (the lines after `browser console: `).
fn predicted_lines(shows: &str) -> (Vec<String>, Vec<String>) {
    let (console, page): (Vec<&str>, Vec<&str>) = shows
        .lines()
        .partition(|l| l.starts_with("browser console: "));
    (
        page.into_iter().map(str::to_string).collect(),
        console
            .into_iter()
            .filter_map(|l| l.strip_prefix("browser console: "))
            .map(str::to_string)
            .collect(),
    )
}

/// Lines typed at `host`'s VOS CLI over SSH, its answer.
fn vos_cli(lab: &ccelab::lab::Lab, host: &str, lines: &str) -> String {
    let h = lab.topo.host(host).unwrap();
    let port = lab.bound_port(host, 22).unwrap();
    common::vos_ssh(&h.address.to_string(), port, &format!("{lines}exit\n")).replace('\r', "")
}

#[test]
fn chromium_shows_and_logs_what_ccelab_predicts() {
    let tmp = tempfile::tempdir().unwrap();
    let rt = common::rt();
    let lab = rt.block_on(async {
        LabBuilder::topology_text(
            "preset = \"pcce-2000\"\n[finesse]\nrestart_seconds = 0.2\n",
            tmp.path(),
        )
        .unwrap()
        .start(&tmp.path().join("lab"))
        .await
        .unwrap()
    });
    let hosts = Mapped::of_lab(&lab);
    let admin = lab.topo.host("ads-a").unwrap().fqdn.clone();
    let (user, password) = ("administrator@example.local", "Password1");
    let shot = tmp.path().join("f1.png");
    let browser = rt
        .block_on(Chromium::launch(&hosts, &lab.topo.root.cert.to_pem()))
        .expect("chromium and certutil (bash .ci/run installs them)");
    let spog = r"{ECE_HOME}\eService\templates\finesse\gadget\spog\spog_config.js";
    let cacerts = r"%JAVA_HOME%\lib\security\cacerts";
    let edit = |old: &str, new: &str| Action::EditFile {
        host: "ece".into(),
        path: spog.into(),
        replace: [old.into(), new.into()],
    };
    // (what changes before the case, its name)
    let cases: Vec<(Vec<Action>, &str)> = vec![
        (vec![], "the gadget loads"),
        (vec![edit("\"https\"", "\"http\"")], "F13: http"),
        (
            vec![
                edit("\"http\"", "\"https\""),
                edit("\"ece.example.com\"", "\"UCSVRECEWEB.example.com\""),
            ],
            "F13: a name that does not resolve",
        ),
        (
            vec![edit("\"UCSVRECEWEB.example.com\"", "\"127.0.0.11\"")],
            "F13: the web server's address, which its certificate does not name",
        ),
        (
            vec![edit("\"127.0.0.11\"", "\"adsa.example.com\"")],
            "F13: another server's name (another origin, no CORS headers)",
        ),
        (
            vec![
                edit("\"adsa.example.com\"", "\"ece.example.com\""),
                Action::Stop {
                    host: "ece-app".into(),
                    service: "Cisco Service".into(),
                },
            ],
            "F3: ECE's services not started",
        ),
        (
            vec![
                Action::Start {
                    host: "ece-app".into(),
                    service: "Cisco Service".into(),
                },
                Action::StoreDelete {
                    host: "ads-a".into(),
                    path: cacerts.into(),
                    alias: "example enterprise ca".into(),
                    password: None,
                },
                Action::StoreDelete {
                    host: "ads-a".into(),
                    path: cacerts.into(),
                    alias: "example issuing ca".into(),
                    password: None,
                },
                Action::Restart {
                    host: "ads-a".into(),
                },
            ],
            "F1: the CAs not in the ADS's cacerts",
        ),
    ];
    for (changes, what) in cases {
        let (predicted, seen) = rt.block_on(async {
            for c in changes {
                let o = lab.apply(c).await.unwrap();
                assert!(o.ok, "{what}: {o:?}");
            }
            let predicted = lab.apply(Action::open_gadget("ads-a")).await.unwrap();
            let screenshot = what.starts_with("F1:").then_some(shot.as_path());
            let seen = browser
                .open_email_and_chat(&admin, user, password, screenshot)
                .await
                .unwrap();
            (predicted, seen)
        });
        let mut lines = predicted.shows.lines();
        let message = lines.next().unwrap_or_default().to_string();
        let console: Vec<String> = lines
            .filter_map(|l| l.strip_prefix("browser console: "))
            .map(str::to_string)
            .collect();
        eprintln!("{what}: predicted {message:?} {console:?}; chromium {seen:?}");
        assert_eq!(seen.console, console, "{what}: the console");
        if predicted.ok {
            assert_eq!(seen.shows, message, "{what}");
        } else {
            // a blocked gadget stays blank (ccelab describes that)
            assert!(
                seen.shows.is_empty() || seen.shows == message,
                "{what}: {seen:?}"
            );
        }
    }
    // what the user sees for F1, as a PNG
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG screenshot");

    // the Finesse desktop and its Live Data gadget ([SEC] Live Data; F18)
    let finesse = lab.topo.host("finesse-a").unwrap().fqdn.clone();
    let cuic = lab.topo.host("cuic-a").unwrap().fqdn.clone();
    let agent = lab.topo.agents[0].clone();
    let f18 = tmp.path().join("f18.png");
    let desktop = |what: &str, screenshot: Option<&std::path::Path>| {
        let (predicted, seen) = rt.block_on(async {
            let predicted = lab
                .apply(Action::FinesseDesktop {
                    host: None,
                    agent: Some(agent.login_name.clone()),
                    password: None,
                })
                .await
                .unwrap();
            let seen = browser
                .open_finesse_desktop(&finesse, &agent.login_name, &agent.password, screenshot)
                .await
                .unwrap();
            (predicted, seen)
        });
        let (page, console) = predicted_lines(&predicted.shows);
        eprintln!("{what}: predicted {page:?} {console:?}; chromium {seen:?}");
        assert_eq!(seen.shows, page.join("\n"), "{what}: the desktop");
        assert_eq!(seen.console, console, "{what}: the console");
        predicted.ok
    };
    // the agent proceeds past Chrome's warning in both (prediction, browser)
    let accept = |host: &str, fqdn: &str, port: u16| {
        rt.block_on(async {
            let o = lab
                .apply(Action::AcceptCertificate {
                    agent: Some(agent.login_name.clone()),
                    host: host.into(),
                    port,
                })
                .await
                .unwrap();
            assert!(o.ok, "{o:?}");
            let warned = browser.accept_certificate(fqdn, port).await.unwrap();
            assert!(
                warned,
                "Chromium warned about {fqdn}:{port}'s self-signed certificate"
            );
        })
    };
    assert!(!desktop(
        "Finesse's self-signed certificate not accepted: Chrome's warning",
        None
    ));
    accept("finesse-a", &finesse, 8445);
    assert!(!desktop(
        "F18: the self-signed Live Data certificate not accepted",
        Some(&f18)
    ));
    // the agent proceeds past the warning of the web service's port only:
    // Chrome's exception holds for the host, so the Socket.IO port too
    accept("cuic-a", &cuic, 12005);
    assert!(desktop("the desktop and its Live Data gadget", None));
    let cli = vos_cli(&lab, "cuic-a", "utils live-data cors disable\n");
    assert!(cli.contains("CORS is disabled"), "{cli}");
    assert!(!desktop(
        "F18: Live Data does not allow the desktop's origin",
        None
    ));
    vos_cli(&lab, "cuic-a", "utils live-data cors enable\n");
    let cli = vos_cli(
        &lab,
        "finesse-a",
        "set cert delete tomcat-trust cuica.example.com.pem\nutils service restart Cisco Finesse Tomcat\n",
    );
    assert!(cli.contains("Cisco Finesse Tomcat[STARTED]"), "{cli}");
    assert!(!desktop(
        "F18: the CUIC certificate not in Finesse's tomcat-trust",
        None
    ));
    let png = std::fs::read(&f18).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG screenshot");
    rt.block_on(async move {
        drop(browser);
        drop(lab);
    });
}

#[test]
fn ctl_spog_open_gadget_screenshot_saves_what_chromium_shows() {
    let d = tempfile::tempdir().unwrap();
    let u = common::up_with(&d.path().join("lab"), true);
    let shot = d.path().join("gadget.png");
    let o = common::ctl(
        &u,
        &[
            "spog",
            "open-gadget",
            "--screenshot",
            shot.to_str().unwrap(),
        ],
    );
    let text = common::out(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // ccelab's prediction, then what the real browser showed, then the file
    assert!(text.starts_with("ECE gadget loaded\n"), "{text}");
    assert!(
        text.contains("Chromium shows: ECE gadget loaded\n"),
        "{text}"
    );
    assert!(!text.contains("Chromium console:"), "{text}");
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    // Chromium signs in as the topology's administrator only
    let o = common::ctl(
        &u,
        &[
            "spog",
            "open-gadget",
            "--user",
            "x@example.local",
            "--screenshot",
            "x.png",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", common::out(&o));
}

/// `ccelab scenario run --screenshots DIR`: Chromium beside the scenario
/// follows its browser steps (the certificate warnings passed, the pages
/// opened), agrees with every prediction, and saves the named screenshots.
#[test]
fn scenario_run_with_screenshots_checks_chromium_and_saves_them() {
    let d = tempfile::tempdir().unwrap();
    let shots = d.path().join("shots");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let o = std::process::Command::new(common::bin())
        .args(["scenario", "run", "--jobs", "2", "--screenshots"])
        .arg(&shots)
        .arg(root.join("scenarios/F18-live-data-not-accepted.toml"))
        .arg(root.join("scenarios/F04-F05-ldap-not-a-global-catalog.toml"))
        .output()
        .unwrap();
    let text = common::out(&o);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("2 scenarios, 2 passed, 0 failed"), "{text}");
    for f in [
        "F18-desktop-certificate-warning.png",
        "F18-live-data-not-accepted.png",
        "F18-live-data-loaded.png",
        "F04-ece-sign-in-error.png",
    ] {
        let png = std::fs::read(shots.join(f)).unwrap();
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "{f}");
        assert!(
            text.contains(&format!("{}", shots.join(f).display())),
            "{text}"
        );
    }
    // the browser runs beside in-process labs only: with --containers, refused
    let o = std::process::Command::new(common::bin())
        .args(["scenario", "run", "--screenshots", "x", "--containers"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", common::out(&o));
}

/// Round robin does not tell the browser from ccelab's prediction: the
/// browser replays a step from where the prediction started (F14 with two
/// application servers: both meet the one without the keystore; F23
/// passthrough: both ride one kept-alive connection to one web server), and
/// the scenario's transcript is the same as without the browser.
#[test]
fn the_browser_meets_round_robin_where_the_prediction_did() {
    let d = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = [
        root.join("scenarios/F14-keystore-not-copied.toml"),
        root.join("scenarios/F23-passthrough-tls13.toml"),
    ];
    let run = |shots: Option<&std::path::Path>| {
        let mut c = std::process::Command::new(common::bin());
        c.args(["scenario", "run", "--verbose", "--jobs", "1"]);
        if let Some(s) = shots {
            c.arg("--screenshots").arg(s);
        }
        let o = c.args(&files).output().unwrap();
        let text = common::out(&o);
        assert_eq!(o.status.code(), Some(0), "{text}");
        assert!(text.contains("2 scenarios, 2 passed, 0 failed"), "{text}");
        // the transcript, without timings and the screenshots' lines
        let strip = |l: &str| match l.rfind(" (") {
            Some(i) if l.ends_with(" ms)") => l[..i].to_string(),
            _ => l.to_string(),
        };
        text.lines()
            .filter(|l| !l.starts_with("screenshot ") && !l.contains(" scenarios, "))
            .map(strip)
            .collect::<Vec<_>>()
    };
    let shots = d.path().join("shots");
    let with = run(Some(&shots));
    for f in [
        "F14-keystore-not-copied.png",
        "F23-passthrough-one-connection.png",
    ] {
        assert!(std::fs::read(shots.join(f))
            .unwrap()
            .starts_with(b"\x89PNG\r\n\x1a\n"));
    }
    assert_eq!(with, run(None));
}

/// The console line of a WebSocket that does not open, as ccelab's Finesse
/// desktop predicts it (`websocket_failed`), against real Chromium: a page
/// opens `ws://…/socket.io/?EIO=3&transport=websocket` on a server that
/// answers the upgrade 400, and one on a port nobody listens on.
#[test]
fn a_websocket_that_does_not_open_as_chromium_logs_it() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let path = "/socket.io/?EIO=3&transport=websocket";
    let refused = format!("ws://cuica.example.com:{closed_port}{path}");
    let answered = format!("ws://cuica.example.com:{port}{path}");
    let page = format!(
        "<!DOCTYPE html><html><head><link rel=\"icon\" href=\"data:,\"></head><body><script>new WebSocket('{answered}'); new WebSocket('{refused}');</script></body></html>"
    );
    // a bounded server: the page, then the upgrade (400), each connection on
    // its own thread (Chrome also opens idle preconnections); it stops by itself
    listener.set_nonblocking(true).unwrap();
    let server = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        let mut served = Vec::new();
        while served.len() < 8 && std::time::Instant::now() < deadline {
            let Ok((mut c, _)) = listener.accept() else {
                std::thread::sleep(std::time::Duration::from_millis(20));
                continue;
            };
            let page = page.clone();
            served.push(std::thread::spawn(move || {
                let _ = c.set_nonblocking(false);
                let _ = c.set_read_timeout(Some(std::time::Duration::from_secs(5)));
                let mut buf = [0u8; 4096];
                let n = c.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_ascii_lowercase();
                let answer = if head.contains("upgrade: websocket") {
                    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .to_string()
                } else if n > 0 {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                        page.len()
                    )
                } else {
                    return;
                };
                let _ = c.write_all(answer.as_bytes());
            }));
        }
        for t in served {
            let _ = t.join();
        }
    });
    let rt = common::rt();
    let lines = rt.block_on(async {
        let hosts = [Mapped {
            fqdn: "cuica.example.com".into(),
            address: std::net::Ipv4Addr::LOCALHOST,
            ports: vec![(port, port), (closed_port, closed_port)],
        }];
        let now = time::OffsetDateTime::now_utc();
        let anyone = ccelab_emulators::pki::Issued::self_signed(
            &ccelab_emulators::pki::CertParams::leaf(
                "CN=unused",
                now,
                now + time::Duration::days(1),
            )
            .unwrap(),
            ccelab_emulators::pki::keypool::key(ccelab_emulators::pki::KeyType::EcP256, 0).unwrap(),
        )
        .unwrap();
        let b = Chromium::launch(&hosts, &anyone.cert.to_pem())
            .await
            .unwrap();
        b.console_of(
            &format!("http://cuica.example.com:{port}/"),
            std::time::Duration::from_secs(2),
        )
        .await
        .unwrap()
    });
    let mut want = vec![
        ccelab_emulators::finesse::desktop::websocket_failed(&answered, Ok(400)),
        ccelab_emulators::finesse::desktop::websocket_failed(
            &refused,
            Err("net::ERR_CONNECTION_REFUSED"),
        ),
    ];
    let mut got = lines;
    want.sort();
    got.sort();
    assert_eq!(got, want);
    drop(rt);
    let _ = server.join();
}

//! `ccelab up` and `ccelab ctl` end to end with real clients: curl and openssl
//! against the ECE web server, and the real keytool editing an ADS's
//! `cacerts` on its virtual disk — the gadget keeps opening until the ADS is
//! restarted (F9), then fails as F1 with the PKIX line in the catalina log,
//! and opens again after the CA certificate is imported and the ADS restarted.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ccelab")
}

struct Up {
    child: Child,
    dir: PathBuf,
}

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn up(dir: &Path) -> Up {
    up_with(dir, true)
}

fn up_with(dir: &Path, ephemeral: bool) -> Up {
    up_args(dir, ephemeral, &[])
}

fn up_args(dir: &Path, ephemeral: bool, extra: &[&str]) -> Up {
    let mut args = vec!["up", "--dir", dir.to_str().unwrap(), "--duration", "120"];
    if ephemeral {
        args.push("--ephemeral-ports");
    }
    args.extend_from_slice(extra);
    let child = Command::new(bin())
        .args(&args)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("start ccelab up");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !dir.join("topology.json").exists() {
        assert!(Instant::now() < deadline, "topology.json never appeared");
        std::thread::sleep(Duration::from_millis(50));
    }
    Up {
        child,
        dir: dir.to_path_buf(),
    }
}

fn ctl(u: &Up, args: &[&str]) -> Output {
    let mut a = vec!["ctl", "--dir", u.dir.to_str().unwrap()];
    a.extend_from_slice(args);
    Command::new(bin()).args(&a).output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn tool(t: &str, args: &[&str]) -> Output {
    Command::new(t)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{t}` ({e}): bash .ci/run installs it"))
}

#[test]
fn f1_f9_keytool_and_restart_on_the_virtual_disk() {
    let d = tempfile::tempdir().unwrap();
    let u = up(&d.path().join("lab"));
    let topo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(u.dir.join("topology.json")).unwrap()).unwrap();
    let hosts = topo["hosts"].as_array().unwrap();
    let ece = hosts.iter().find(|h| h["role"] == "ece-web").unwrap();
    let port = ece["services"][0]["bound_port"].as_u64().unwrap();
    assert_eq!(ece["services"][0]["port"], 443);
    let root = topo["ca_certs"][0].as_str().unwrap().to_string();

    // curl and openssl reach the ECE web server by its FQDN through the resolve file
    let resolve = format!("ece.example.com:{port}:127.0.0.11");
    let o = tool(
        "curl",
        &[
            "-sS",
            "--cacert",
            &root,
            "--resolve",
            &resolve,
            &format!("https://ece.example.com:{port}/default"),
        ],
    );
    assert!(
        out(&o).contains("business partition"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.11:{port}"),
            "-servername",
            "ece.example.com",
            "-CAfile",
            &root,
            "-verify_return_error",
            "-verify_hostname",
            "ece.example.com",
        ])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(
        out(&o).contains("Verify return code: 0 (ok)"),
        "{}",
        out(&o)
    );

    // the integrated state: the gadget opens
    let o = ctl(&u, &["spog", "open-gadget", "--ads", "ads-a"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(out(&o), "ECE gadget loaded\n");

    // the real keytool removes the CA certificates from ads-a's cacerts
    let cacerts = u
        .dir
        .join("disks/ads-a/C/Program Files/Java/jre/lib/security/cacerts");
    for alias in ["example enterprise ca", "example issuing ca"] {
        let o = tool(
            "keytool",
            &[
                "-delete",
                "-alias",
                alias,
                "-keystore",
                cacerts.to_str().unwrap(),
                "-storepass",
                "changeit",
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // F9: nothing changes before the ADS restarts
    assert_eq!(gadget(&u, "ads-a"), Some(0));
    assert!(ctl(&u, &["restart", "ads-a"]).status.success());
    // F1: the user's message, and the PKIX line in today's catalina log
    let o = ctl(&u, &["spog", "open-gadget", "--ads", "ads-a"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        out(&o),
        "There was an error loading the page. Contact your administrator.\n"
    );
    let logs = u.dir.join("disks/ads-a/C/icm/tomcat/logs");
    let log = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("catalina.")
        })
        .unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("SEVERE") && text.contains("javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target"), "{text}");
    // every Tomcat start leaves its CCBU and error startup logs; the error log of
    // the current start records what the user was shown
    let names: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let ccbu: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("CCBU.") && n.ends_with(".startup.log"))
        .collect();
    assert_eq!(ccbu.len(), 2, "{names:?}");
    assert!(
        names.iter().any(|n| n.starts_with("tomcat9-stdout."))
            && names.iter().any(|n| n.starts_with("tomcat9-stderr."))
    );
    let mut errors: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("error.") && n.ends_with(".startup.log"))
        .collect();
    errors.sort();
    let last = std::fs::read_to_string(logs.join(errors.last().unwrap())).unwrap();
    assert!(
        last.contains("There was an error loading the page. Contact your administrator."),
        "{last}"
    );
    // side B is untouched
    assert_eq!(gadget(&u, "ads-b"), Some(0));

    // the fix of [ECE] 4.1: import the root, restart the ADS
    let o = tool(
        "keytool",
        &[
            "-importcert",
            "-noprompt",
            "-trustcacerts",
            "-alias",
            "Example Enterprise CA",
            "-file",
            &root,
            "-keystore",
            cacerts.to_str().unwrap(),
            "-storepass",
            "changeit",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(gadget(&u, "ads-a"), Some(1), "still F9 until restarted");
    assert!(ctl(&u, &["restart", "ads-a"]).status.success());
    assert_eq!(gadget(&u, "ads-a"), Some(0));

    // unknown host: one clear line, exit 2
    let o = ctl(&u, &["restart", "nosuchhost"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no host `nosuchhost`"));
}

fn catalina(u: &Up, host: &str) -> String {
    let logs = u.dir.join(format!("disks/{host}/C/icm/tomcat/logs"));
    std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("catalina.")
        })
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[test]
fn f10_inventory_by_address_or_short_name_and_f3_cisco_service_stopped() {
    let d = tempfile::tempdir().unwrap();
    let u = up(&d.path().join("lab"));
    // F10: the web server added by IP address: Java matches IP literals against IP SANs only
    set_web_server(&u, "127.0.0.11");
    let o = ctl(&u, &["spog", "open-gadget", "--ads", "ads-b"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(catalina(&u, "ads-b").contains(
        "javax.net.ssl.SSLHandshakeException: No subject alternative names matching IP address 127.0.0.11 found"
    ));
    // … and by its short name: no SNI from Java, and the name is not in the certificate
    set_web_server(&u, "ece");
    assert_eq!(gadget(&u, "ads-b"), Some(1));
    assert!(catalina(&u, "ads-b").contains("No subject alternative DNS name matching ece found."));
    // the fix: the FQDN of the certificate
    set_web_server(&u, "ece.example.com");
    assert_eq!(gadget(&u, "ads-b"), Some(0));

    // F3: "Cisco Service" stopped on the ECE server
    assert!(ctl(&u, &["stop", "ece", "Cisco Service"]).status.success());
    let o = ctl(&u, &["spog", "open-gadget", "--ads", "ads-a"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        out(&o),
        "The webpage at https://ece.example.com/default/spog/gadget might be temporarily down or it may have moved permanently to a new web address\n"
    );
    assert!(out(&ctl(&u, &["status"])).contains(r#""name":"Cisco Service","state":"Stopped""#));
    assert!(ctl(&u, &["start", "ece", "Cisco Service"]).status.success());
    assert_eq!(gadget(&u, "ads-a"), Some(0));
    let o = ctl(&u, &["stop", "ece", "Bogus"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn exec_resolves_the_topology_for_real_clients_on_real_ports() {
    let d = tempfile::tempdir().unwrap();
    // the only test on the real ports (root may bind 127.0.0.11:443)
    let u = up_with(&d.path().join("lab"), false);
    let topo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(u.dir.join("topology.json")).unwrap()).unwrap();
    let ece = topo["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["role"] == "ece-web")
        .unwrap()
        .clone();
    assert_eq!(
        ece["services"][0]["bound_port"], 443,
        "port 443 on 127.0.0.11 was not free"
    );
    let root = topo["ca_certs"][0].as_str().unwrap().to_string();
    let dir = u.dir.to_str().unwrap().to_string();
    let exec = |cmd: &[&str]| {
        let mut a = vec!["exec", "--dir", dir.as_str(), "--"];
        a.extend_from_slice(cmd);
        Command::new(bin())
            .args(&a)
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    };
    let o = exec(&[
        "curl",
        "-sS",
        "--cacert",
        &root,
        "https://ece.example.com/default",
    ]);
    assert_eq!(
        out(&o),
        "Enterprise Chat and Email: business partition (default). Log in as pa.\n",
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = exec(&[
        "openssl",
        "s_client",
        "-connect",
        "ece.example.com:443",
        "-CAfile",
        &root,
        "-verify_return_error",
        "-verify_hostname",
        "ece.example.com",
    ]);
    assert!(
        out(&o).contains("Verify return code: 0 (ok)"),
        "{}",
        out(&o)
    );
    // the exit code of the command is ccelab's
    assert_eq!(exec(&["sh", "-c", "exit 7"]).status.code(), Some(7));
    // the machine's own /etc/hosts is untouched
    assert!(!std::fs::read_to_string("/etc/hosts")
        .unwrap_or_default()
        .contains("ece.example.com"));
}

fn keytool_on(cacerts: &Path, args: &[&str]) {
    let mut a: Vec<&str> = args.to_vec();
    a.extend([
        "-keystore",
        cacerts.to_str().unwrap(),
        "-storepass",
        "changeit",
    ]);
    let o = tool("keytool", &a);
    assert!(
        o.status.success(),
        "keytool {args:?}: {}{}",
        out(&o),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn f7_self_signed_replaced_and_f8_intermediate_not_imported() {
    let d = tempfile::tempdir().unwrap();
    let u = up(&d.path().join("lab"));
    let cacerts = |h: &str| {
        u.dir.join(format!(
            "disks/{h}/C/Program Files/Java/jre/lib/security/cacerts"
        ))
    };
    let open = |ads: &str| {
        ctl(&u, &["spog", "open-gadget", "--ads", ads])
            .status
            .code()
    };

    // F8: the web server no longer sends the intermediate (not in its CA store) …
    let ca_store = u.dir.join("disks/ece/C/ccelab/certstore/CA");
    std::fs::remove_file(ca_store.join("Example Issuing CA.cer")).unwrap();
    assert!(ctl(&u, &["restart", "ece"]).status.success());
    assert_eq!(
        open("ads-a"),
        Some(0),
        "the ADS still trusts the intermediate itself"
    );
    // … and the intermediate is not in the ADS keystore: PKIX failure
    keytool_on(
        &cacerts("ads-a"),
        &["-delete", "-alias", "example issuing ca"],
    );
    assert!(ctl(&u, &["restart", "ads-a"]).status.success());
    assert_eq!(open("ads-a"), Some(1));
    assert!(catalina(&u, "ads-a").contains("PKIX path building failed"));
    // the fix of [ECE] 4.1: import the root and the intermediate
    let issuing = topo_ca(&u, 1);
    keytool_on(
        &cacerts("ads-a"),
        &[
            "-importcert",
            "-noprompt",
            "-trustcacerts",
            "-alias",
            "Example Issuing CA",
            "-file",
            &issuing,
        ],
    );
    assert!(ctl(&u, &["restart", "ads-a"]).status.success());
    assert_eq!(open("ads-a"), Some(0));

    // F7: a self-signed web certificate, imported on every ADS …
    assert!(ctl(&u, &["cert", "replace", "ece", "--self-signed"])
        .status
        .success());
    assert_eq!(open("ads-a"), Some(1), "not imported yet");
    let pem = d.path().join("ece.pem");
    fetch_web_pem(&u, &pem);
    for ads in ["ads-a", "ads-b"] {
        keytool_on(
            &cacerts(ads),
            &[
                "-importcert",
                "-noprompt",
                "-alias",
                "ece.example.com",
                "-file",
                pem.to_str().unwrap(),
            ],
        );
        assert!(ctl(&u, &["restart", ads]).status.success());
        assert_eq!(open(ads), Some(0), "{ads}");
    }
    // … then replaced again and re-imported on one ADS only: the other fails
    assert!(ctl(&u, &["cert", "replace", "ece", "--self-signed"])
        .status
        .success());
    fetch_web_pem(&u, &pem);
    keytool_on(&cacerts("ads-a"), &["-delete", "-alias", "ece.example.com"]);
    keytool_on(
        &cacerts("ads-a"),
        &[
            "-importcert",
            "-noprompt",
            "-alias",
            "ece.example.com",
            "-file",
            pem.to_str().unwrap(),
        ],
    );
    for ads in ["ads-a", "ads-b"] {
        assert!(ctl(&u, &["restart", ads]).status.success());
    }
    assert_eq!(open("ads-a"), Some(0));
    assert_eq!(
        open("ads-b"),
        Some(1),
        "F7: every ADS needs the new certificate"
    );
}

fn topo_ca(u: &Up, i: usize) -> String {
    let topo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(u.dir.join("topology.json")).unwrap()).unwrap();
    topo["ca_certs"][i].as_str().unwrap().to_string()
}

fn web_port(u: &Up) -> u64 {
    let topo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(u.dir.join("topology.json")).unwrap()).unwrap();
    let ece = topo["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["role"] == "ece-web")
        .unwrap()
        .clone();
    ece["services"][0]["bound_port"].as_u64().unwrap()
}

#[test]
fn f6_iis_binding_host_name_and_require_sni() {
    let d = tempfile::tempdir().unwrap();
    let u = up(&d.path().join("lab"));
    let port = web_port(&u);
    let root = topo_ca(&u, 0);
    let curl = |name: &str, host_header: Option<&str>| {
        let mut a = vec![
            "-sS".to_string(),
            "--cacert".into(),
            root.clone(),
            "--max-time".into(),
            "10".into(),
        ];
        if let Some(h) = host_header {
            a.extend(["-H".into(), format!("Host: {h}")]);
        }
        a.extend([
            "--resolve".into(),
            format!("{name}:{port}:127.0.0.11"),
            format!("https://{name}:{port}/default"),
        ]);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        tool("curl", &a)
    };
    // a host name on the binding: HTTP.sys refuses requests for another Host
    assert!(ctl(
        &u,
        &["binding", "set", "ece", "--host-name", "chat.example.com"]
    )
    .status
    .success());
    let o = curl("ece.example.com", None);
    assert!(
        out(&o).contains("HTTP Error 400. The request hostname is invalid."),
        "{}",
        out(&o)
    );
    assert!(out(&curl("ece.example.com", Some("chat.example.com"))).contains("business partition"));
    assert_eq!(gadget(&u, "ads-a"), Some(1));
    assert!(catalina(&u, "ads-a").contains(
        "java.io.IOException: Server returned HTTP response code: 400 for URL: https://ece.example.com/default/spog/gadget"
    ));
    // Require SNI: clients that send no SNI are reset before any certificate
    assert!(ctl(
        &u,
        &[
            "binding",
            "set",
            "ece",
            "--host-name",
            "ece.example.com",
            "--require-sni"
        ]
    )
    .status
    .success());
    let o = tool(
        "curl",
        &[
            "-sS",
            "-k",
            "--max-time",
            "10",
            &format!("https://127.0.0.11:{port}/default"),
        ],
    );
    assert_eq!(o.status.code(), Some(35));
    let events = out(&ctl(&u, &["events"]));
    assert!(events.contains("NoBinding(Reset)"), "{events}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("Connection reset by peer"));
    // SPOG by the short name (Java sends no SNI for a dot-less name): reset
    set_web_server(&u, "ece");
    assert_eq!(gadget(&u, "ads-b"), Some(1));
    assert!(catalina(&u, "ads-b").contains("java.net.SocketException: Connection reset"));
    // the documented setup: host name blank, Require SNI unchecked
    set_web_server(&u, "ece.example.com");
    assert!(ctl(&u, &["binding", "set", "ece"]).status.success());
    assert_eq!(gadget(&u, "ads-a"), Some(0));
    assert!(out(&curl("ece.example.com", None)).contains("business partition"));
}

#[test]
fn topology_files_override_the_preset() {
    let d = tempfile::tempdir().unwrap();
    // the self-signed route of [ECE] 4.1: a CN-only self-signed web certificate in every cacerts
    let u = up_toml(d.path(), "lab1", "preset = \"pcce-2000\"\n[ece_web.certificate]\nissuer = \"self\"\nsans = []\nkey = \"rsa1024\"\n[ads]\ncacerts = [\"ece-web\"]\n");
    assert_eq!(
        gadget(&u, "ads-a"),
        Some(0),
        "Java accepts a CN-only RSA-1024 trusted leaf"
    );
    let cacerts = u
        .dir
        .join("disks/ads-a/C/Program Files/Java/jre/lib/security/cacerts");
    let l = out(&tool(
        "keytool",
        &[
            "-list",
            "-keystore",
            cacerts.to_str().unwrap(),
            "-storepass",
            "changeit",
        ],
    ));
    assert!(
        l.contains("ece.example.com, ") && !l.contains("example enterprise ca"),
        "{l}"
    );
    drop(u);

    // F25: an expired web certificate, and Require SNI with the FQDN as host name
    let u = up_toml(d.path(), "lab2", "[ece_web.certificate]\nnot_before = \"-400d\"\nnot_after = \"-1d\"\n[ece_web.binding]\nhost_name = \"ece.example.com\"\nrequire_sni = true\n");
    let config = std::fs::read_to_string(
        u.dir
            .join("disks/ece/C/Windows/System32/inetsrv/config/applicationHost.config"),
    )
    .unwrap();
    assert!(
        config.contains(r#"bindingInformation="*:443:ece.example.com" sslFlags="1""#),
        "{config}"
    );
    assert_eq!(gadget(&u, "ads-a"), Some(1));
    let log = catalina(&u, "ads-a");
    assert!(log.contains("PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed"), "{log}");
    assert!(
        log.contains("Caused by: java.security.cert.CertificateExpiredException: NotAfter: "),
        "{log}"
    );
    drop(u);

    // F2: the certificate names another host than the FQDN in the inventory
    let u = up_toml(
        d.path(),
        "lab4",
        "[ece_web.certificate]\ncn = \"chat.example.com\"\nsans = [\"dns:chat.example.com\"]\n",
    );
    assert_eq!(gadget(&u, "ads-a"), Some(1));
    assert!(catalina(&u, "ads-a")
        .contains("No subject alternative DNS name matching ece.example.com found."));
    drop(u);

    // a bad file: one line with file:line:column, exit 2, nothing started
    let f = d.path().join("bad.toml");
    std::fs::write(&f, "preset = \"pcce-2000\"\n[ece_web]\nfqdm = \"x\"\n").unwrap();
    let o = Command::new(bin())
        .args([
            "up",
            "--dir",
            d.path().join("lab3").to_str().unwrap(),
            "--topology",
            f.to_str().unwrap(),
            "--duration",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(
        err.starts_with(&format!(
            "ccelab: {}:3:1: unknown field `fqdm`",
            f.display()
        )),
        "{err}"
    );
    assert!(!d.path().join("lab3/topology.json").exists());
}

#[test]
fn f21_integration_save_is_permanent_and_f11_instances() {
    let d = tempfile::tempdir().unwrap();
    let u = up(&d.path().join("lab"));
    let save = |inst: &str| {
        ctl(
            &u,
            &[
                "integration",
                "save",
                "--app-instance",
                inst,
                "--agent-pg",
                "PG2",
            ],
        )
    };
    let o = save("multichannel");
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("names are case-sensitive"), "{}", out(&o));
    let o = save("UQ_MultiChannel");
    assert_eq!(o.status.code(), Some(1));
    let o = ctl(
        &u,
        &["agent", "enable", "agent1", "--screen-name", "Agent One"],
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "no Email & Chat option before the integration is saved"
    );
    let o = save("MultiChannel");
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let o = ctl(
        &u,
        &["agent", "enable", "agent1", "--screen-name", "Agent One"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(
        out(&ctl(&u, &["ece-users"])).contains(r#"{"agent":"agent1","screen_name":"Agent One"}"#)
    );
    let o = save("MultiChannel");
    assert_eq!(o.status.code(), Some(1));
    assert!(out(&o).contains("Saving is permanent: to change it, uninstall ECE, delete all its databases and install ECE again."));
}

#[test]
fn pcce_4000_has_its_own_application_instance() {
    let d = tempfile::tempdir().unwrap();
    let u = up_args(&d.path().join("lab"), true, &["--preset", "pcce-4000"]);
    let topo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(u.dir.join("topology.json")).unwrap()).unwrap();
    assert_eq!(topo["preset"], "pcce-4000");
    let save = |inst: &str| {
        ctl(
            &u,
            &[
                "integration",
                "save",
                "--app-instance",
                inst,
                "--agent-pg",
                "PG2",
            ],
        )
    };
    assert_eq!(save("MultiChannel").status.code(), Some(1));
    assert_eq!(save("Main_PS1_Multichannel").status.code(), Some(0));
    let never = d.path().join("never");
    let o = Command::new(bin())
        .args(["up", "--preset", "pcce-9", "--dir", never.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!never.exists(), "nothing is written for a bad preset");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("unknown preset `pcce-9` (available: pcce-2000, pcce-4000)"));
}

/// `ccelab up` from a topology file written into `dir/<name>.toml`.
fn up_toml(dir: &Path, name: &str, toml: &str) -> Up {
    let f = dir.join(format!("{name}.toml"));
    std::fs::write(&f, toml).unwrap();
    up_args(&dir.join(name), true, &["--topology", f.to_str().unwrap()])
}

/// What a browser's "download the certificate" gives: the web server's leaf, as PEM.
fn fetch_web_pem(u: &Up, pem: &Path) {
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl s_client -connect 127.0.0.11:{} -servername ece.example.com </dev/null 2>/dev/null | openssl x509 > {}",
            web_port(u),
            pem.display()
        ))
        .output()
        .unwrap();
    assert!(o.status.success());
}

/// Opens the ECE gadget on `ads`; the `ctl` exit code.
fn gadget(u: &Up, ads: &str) -> Option<i32> {
    ctl(u, &["spog", "open-gadget", "--ads", ads]).status.code()
}

/// Sets the ECE web server's name in the inventory.
fn set_web_server(u: &Up, name: &str) {
    assert!(ctl(u, &["inventory", "set-web-server", name])
        .status
        .success());
}

//! CVP end to end with real clients: the real `keytool -storetype JCEKS` on
//! the emulator's `.keystore` (list, import, delete, genkey) and the
//! emulator reading what keytool wrote at its next start; curl, `openssl
//! s_client` and `keytool -printcert -sslserver` on the WSM's 8111;
//! `service-controller` driven through stdin; `DecryptKeystoreUtil.bat`'s
//! password accepted by keytool; a corrupt `.keystore` or
//! `security.properties` stopping the services with the file and Java's
//! reason, and nothing else on the disk changing.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::*;

const KEYSTORE: &str = "C/Cisco/CVP/conf/security/.keystore";
const PROPERTIES: &str = "C/Cisco/CVP/conf/security.properties";

fn disk(u: &Up, host: &str) -> PathBuf {
    u.dir.join("disks").join(host)
}

/// The store password in `security.properties` (12.5: in clear).
fn password(u: &Up, host: &str) -> String {
    let t = std::fs::read_to_string(disk(u, host).join(PROPERTIES)).unwrap();
    t.trim_end()
        .strip_prefix("Security.keystorePW = ")
        .unwrap()
        .to_string()
}

fn keytool(args: &[&str]) -> (i32, String) {
    let o = tool("keytool", args);
    (
        o.status.code().unwrap_or(-1),
        format!("{}{}", out(&o), String::from_utf8_lossy(&o.stderr)),
    )
}

/// keytool `args` on the JCEKS store `ks` with the store password `pw`
/// (`-storetype JCEKS -keystore KS -storepass PW` appended, as [SEC] writes them).
fn jceks(args: &[&str], ks: &str, pw: &str) -> (i32, String) {
    let mut a = args.to_vec();
    a.extend_from_slice(&["-storetype", "JCEKS", "-keystore", ks, "-storepass", pw]);
    keytool(&a)
}

/// The subject and key size `openssl s_client` sees on `addr:port`.
fn served(addr: &str, port: u64) -> String {
    let o = Command::new("openssl")
        .args(["s_client", "-connect", &format!("{addr}:{port}")])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    out(&o)
        .lines()
        .filter(|l| l.starts_with("subject=") || l.starts_with("Server public key"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn curl(args: &[&str]) -> (String, String) {
    let mut a = vec!["-sk", "-w", "\n%{http_code}"];
    a.extend_from_slice(args);
    let o = tool("curl", &a);
    let s = out(&o);
    let (body, code) = s.rsplit_once('\n').unwrap();
    (body.to_string(), code.to_string())
}

#[test]
fn the_wsm_serves_its_certificate_and_rest_to_real_clients() {
    let d = tempfile::tempdir().unwrap();
    let u = up(&d.path().join("lab"));
    let rpt = bound(&u, "cvp-rpt", 8111);
    // keytool -printcert -sslserver: the install's self-signed wsm_certificate
    let (code, text) = keytool(&["-printcert", "-sslserver", &format!("127.0.0.27:{rpt}")]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains(
            "Owner: CN=cvprpt.example.com, OU=Unknown, O=Unknown, L=Unknown, ST=Unknown, C=Unknown"
        ),
        "{text}"
    );
    let url = |host: &str, port: u64, path: &str| format!("https://{host}:{port}{path}");
    let resolve = format!("cvprpt.example.com:{rpt}:127.0.0.27");
    let dp = url(
        "cvprpt.example.com",
        rpt,
        "/cvp-dp/rest/DiagnosticPortal/GetProductVersion",
    );
    let (body, code) = curl(&["--resolve", &resolve, "-u", "wsmadmin:Password1", &dp]);
    assert_eq!(code, "200");
    assert!(
        body.contains("<dp:GetProductVersionReply ReturnCode=\"0\""),
        "{body}"
    );
    assert!(
        body.contains("Name=\"CVP\" Major=\"12\" Minor=\"5\""),
        "{body}"
    );
    let (_, code) = curl(&["--resolve", &resolve, "-u", "wsmadmin:wrong", &dp]);
    assert_eq!(code, "401");
    let (_, code) = curl(&["--resolve", &resolve, &dp]);
    assert_eq!(code, "401");
    // the OPS REST is on OAMP only
    let (_, code) = curl(&[
        "--resolve",
        &resolve,
        "-u",
        "wsmadmin:Password1",
        &url("cvprpt.example.com", rpt, "/cvp-config/version"),
    ]);
    assert_eq!(code, "404");
    let oamp = bound(&u, "cvp-oamp", 8111);
    let (body, code) = curl(&[
        "--resolve",
        &format!("cvpoamp.example.com:{oamp}:127.0.0.28"),
        "-u",
        "wsmadmin:Password1",
        &url("cvpoamp.example.com", oamp, "/cvp-config/server?q=type:RPT"),
    ]);
    assert_eq!(code, "200");
    assert!(
        body.contains(
            "<hostname>cvprpt.example.com</hostname><ipaddr>127.0.0.27</ipaddr><type>RPT</type>"
        ),
        "{body}"
    );
    assert!(!body.contains("cvpa.example.com"), "{body}");
    // the ORM REST with the AW's administrator, checked with the principal AW
    let call = bound(&u, "cvp-a", 8111);
    let orm = url(
        "cvpa.example.com",
        call,
        "/cvp-orm/rest/cvpconfig/properties",
    );
    let resolve_a = format!("cvpa.example.com:{call}:127.0.0.26");
    let (body, code) = curl(&[
        "--resolve",
        &resolve_a,
        "-u",
        "administrator@example.local:Password1",
        &orm,
    ]);
    assert_eq!(code, "200", "{body}");
    assert!(body.contains("\"value\":\"Call Server\""), "{body}");
    let (_, code) = curl(&[
        "--resolve",
        &resolve_a,
        "-u",
        "administrator@example.local:nope",
        &orm,
    ]);
    assert_eq!(code, "401");
    // a user name that tries to forge log lines is written on one line, escaped
    use base64::Engine as _;
    let forged = base64::engine::general_purpose::STANDARD
        .encode("x\r\n9 127.0.0.26 forged %CVP_12_5_ORM-1-FORGED owned:pw");
    let (_, code) = curl(&[
        "--resolve",
        &resolve_a,
        "-H",
        &format!("Authorization: Basic {forged}"),
        &orm,
    ]);
    assert_eq!(code, "401");
    let logs = disk(&u, "cvp-a").join("C/Cisco/CVP/logs");
    let log: String = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        log.contains("credentials of x\\u000D\\u000A9 127.0.0.26 forged %CVP_12_5_ORM-1-FORGED owned (HTTP 401)"),
        "{log}"
    );
    assert!(
        !log.lines().any(|l| l.starts_with("9 127.0.0.26 forged")),
        "{log}"
    );
}

#[test]
fn keytool_edits_the_keystore_and_the_services_read_them_at_restart() {
    let d = tempfile::tempdir().unwrap();
    let u = up(&d.path().join("lab"));
    let ks = disk(&u, "cvp-a").join(KEYSTORE);
    let ks = ks.to_str().unwrap();
    let pw = password(&u, "cvp-a");
    assert_eq!(pw.len(), 23);
    let (code, text) = jceks(&["-list"], ks, &pw);
    assert_eq!(code, 0, "{text}");
    for (alias, kind) in [
        ("callserver_certificate", "PrivateKeyEntry"),
        ("vxml_certificate", "PrivateKeyEntry"),
        ("wsm_certificate", "PrivateKeyEntry"),
        ("aw_cert", "trustedCertEntry"),
        ("oamp_certificate", "trustedCertEntry"),
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("{alias},")) && l.contains(kind)),
            "{alias} {kind}: {text}"
        );
    }
    // the reporting server has no vxml_certificate ([CVP150-Sec])
    let rks = disk(&u, "cvp-rpt").join(KEYSTORE);
    let (_, text) = jceks(&["-list"], rks.to_str().unwrap(), &password(&u, "cvp-rpt"));
    assert!(!text.contains("vxml_certificate"), "{text}");
    // [SEC]'s regeneration with the seed's 1024-bit key (F24), and an import
    let port = bound(&u, "cvp-a", 8111);
    assert!(served("127.0.0.26", port).contains("CN = cvpa.example.com"));
    assert_eq!(
        jceks(&["-delete", "-alias", "wsm_certificate"], ks, &pw).0,
        0
    );
    let (code, text) = jceks(
        &[
            "-genkey",
            "-keyalg",
            "RSA",
            "-alias",
            "wsm_certificate",
            "-keysize",
            "1024",
            "-keypass",
            &pw,
            "-dname",
            "CN=regenerated.example.com",
        ],
        ks,
        &pw,
    );
    assert_eq!(code, 0, "{text}");
    let root = u.dir.join("ca/root.pem");
    let (code, text) = jceks(
        &[
            "-import",
            "-noprompt",
            "-trustcacerts",
            "-alias",
            "root",
            "-file",
            root.to_str().unwrap(),
        ],
        ks,
        &pw,
    );
    assert_eq!(code, 0, "{text}");
    // served only after the restart (the WSM keeps what it loaded)
    assert!(served("127.0.0.26", port).contains("CN = cvpa.example.com"));
    let o = ctl(&u, &["restart", "cvp-a"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let now = served("127.0.0.26", port);
    assert!(now.contains("CN = regenerated.example.com"), "{now}");
    assert!(now.contains("Server public key is 1024 bit"), "{now}");
}

/// Every file of `dir` with its bytes, except the logs.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_none_or(|x| x != "log") {
                out.push((p.clone(), std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn states(u: &Up, host: &str) -> Vec<(String, String)> {
    let s: serde_json::Value = serde_json::from_slice(&ctl(u, &["status"]).stdout).unwrap();
    services_of(&s, host)
        .iter()
        .filter_map(|s| {
            Some((
                s["name"].as_str()?.to_string(),
                s["state"].as_str()?.to_string(),
            ))
        })
        .collect()
}

#[test]
fn a_corrupt_keystore_or_properties_stops_the_services_and_says_which_file_and_why() {
    let d = tempfile::tempdir().unwrap();
    let u = up(&d.path().join("lab"));
    let root = disk(&u, "cvp-rpt");
    let (ks, props) = (root.join(KEYSTORE), root.join(PROPERTIES));
    let (good_ks, good_props) = (std::fs::read(&ks).unwrap(), std::fs::read(&props).unwrap());
    let cases: [(&str, Vec<u8>, Vec<u8>, &str); 4] = [
        (
            "not a key store",
            b"garbage, not JCEKS".to_vec(),
            good_props.clone(),
            r"C:\Cisco\CVP\conf\security\.keystore: java.io.IOException: Invalid keystore format",
        ),
        (
            "a wrong password",
            good_ks.clone(),
            b"Security.keystorePW = not-the-password\r\n".to_vec(),
            r"C:\Cisco\CVP\conf\security\.keystore: java.io.IOException: Keystore was tampered with, or password was incorrect",
        ),
        (
            "a truncated store",
            good_ks[..good_ks.len() / 2].to_vec(),
            good_props.clone(),
            r"C:\Cisco\CVP\conf\security\.keystore: java.io.",
        ),
        (
            "no password property",
            good_ks.clone(),
            b"# emptied\r\n".to_vec(),
            r"C:\Cisco\CVP\conf\security.properties: no Security.keystorePW property",
        ),
    ];
    for (what, k, p, why) in cases {
        std::fs::write(&ks, &k).unwrap();
        std::fs::write(&props, &p).unwrap();
        let before = files(&root);
        let o = ctl(&u, &["restart", "cvp-rpt"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{what}");
        assert!(err.contains(why), "{what}: {err}");
        assert!(
            err.contains("reportingserver did not start"),
            "{what}: {err}"
        );
        assert!(
            err.contains("WebServicesManager did not start"),
            "{what}: {err}"
        );
        assert_eq!(
            files(&root),
            before,
            "{what}: nothing else on the disk changes"
        );
        for (name, state) in states(&u, "cvp-rpt") {
            assert_eq!(state, "Stopped", "{what}: {name}");
        }
        // the WSM no longer listens; the log says why
        let port = bound(&u, "cvp-rpt", 8111);
        assert!(
            std::net::TcpStream::connect(("127.0.0.27", port as u16)).is_err(),
            "{what}"
        );
        let log = std::fs::read_dir(root.join("C/Cisco/CVP/logs"))
            .unwrap()
            .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
            .collect::<String>();
        assert!(
            log.contains("SERVICE_START_FAILED: WebServicesManager could not start"),
            "{log}"
        );
        assert!(log.contains(why), "{what}: {log}");
    }
    // the other hosts are untouched; restored files start again
    std::fs::write(&ks, &good_ks).unwrap();
    std::fs::write(&props, &good_props).unwrap();
    assert!(ctl(&u, &["restart", "cvp-rpt"]).status.success());
    assert!(served("127.0.0.27", bound(&u, "cvp-rpt", 8111)).contains("CN = cvprpt.example.com"));
    assert!(states(&u, "cvp-a").iter().all(|(_, s)| s == "Running"));
}

/// `ccelab ctl cvp service-controller` with `input` on stdin, under a
/// timeout (a wrong or missing answer must not make it wait).
fn controller(u: &Up, input: &str) -> (i32, String, String) {
    let mut c = Command::new("timeout")
        .args([
            "20",
            bin(),
            "ctl",
            "--dir",
            u.dir.to_str().unwrap(),
            "cvp",
            "service-controller",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    c.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let o = c.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        out(&o),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn service_controller_is_a_program_a_script_can_drive() {
    let d = tempfile::tempdir().unwrap();
    let u = up(&d.path().join("lab"));
    // the end of the input half-way: an error, not a wait
    let (code, stdout, stderr) = controller(&u, "127.0.0.26\nadministrator\n");
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stdout.starts_with("CALLSERVER-IP-ADDRESS:"), "{stdout}");
    assert!(
        stderr.contains("no answer to CALLSERVER-PASSWORD:"),
        "{stderr}"
    );
    // an unknown service: refused at its prompt
    let (code, _, stderr) = controller(&u, "127.0.0.26\nadministrator\nPassword1\nvxmlserver\n");
    assert_eq!(code, 1);
    assert!(
        stderr.contains("Invalid SERVICE-NAME 'vxmlserver'"),
        "{stderr}"
    );
    // a wrong password
    let (code, _, stderr) = controller(
        &u,
        "127.0.0.26\nadministrator\nwrong\nreportingserver\n127.0.0.27\n",
    );
    assert_eq!(code, 1);
    assert!(stderr.contains("Authentication failed"), "{stderr}");
    // the reporting server, through the running call server
    let (code, stdout, stderr) = controller(
        &u,
        "127.0.0.26\r\nEXAMPLE\\administrator\r\nPassword1\r\nreportingserver\r\n127.0.0.27\r\n",
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("REPORTINGSERVER-IP-ADDRESS:"), "{stdout}");
    assert!(stdout.contains("reportingserver stopped."), "{stdout}");
    let rpt = states(&u, "cvp-rpt");
    assert!(
        rpt.contains(&("reportingserver".into(), "Stopped".into())),
        "{rpt:?}"
    );
    assert!(
        rpt.contains(&("WebServicesManager".into(), "Running".into())),
        "{rpt:?}"
    );
    assert!(states(&u, "cvp-a").iter().all(|(_, s)| s == "Running"));
}

#[test]
fn decrypt_keystore_util_gives_the_password_keytool_takes_in_12_6_2() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("topology.toml");
    std::fs::write(&file, "[cvp]\nkeystore_profile = \"12.6.2\"\n").unwrap();
    let u = up_args(
        &d.path().join("lab"),
        true,
        &["--topology", file.to_str().unwrap()],
    );
    let o = ctl(&u, &["cvp", "decrypt-keystore", "cvp-oamp"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pw = out(&o).trim_end().to_string();
    let ks = disk(&u, "cvp-oamp").join(KEYSTORE);
    let (code, text) = jceks(&["-list"], ks.to_str().unwrap(), &pw);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("oamp_certificate, "), "{text}");
    // the call server's certificates imported for secure communication with the Ops console
    for alias in [
        "oamp_wsm_certificate",
        "oamp_callserver_certificate",
        "oamp_vxml_certificate",
    ] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(&format!("{alias},")) && l.contains("trustedCertEntry")),
            "{alias}: {text}"
        );
    }
    // the value in security.properties is not the password
    let stored = password(&u, "cvp-oamp");
    assert_ne!(stored, pw);
    let (code, text) = jceks(&["-list"], ks.to_str().unwrap(), &stored);
    assert_eq!(code, 1);
    assert!(
        text.contains("Keystore was tampered with, or password was incorrect"),
        "{text}"
    );
}

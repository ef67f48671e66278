//! Partition-administrator SSO end to end ([ECE] 2.1–2.2; F4, F5, F14, F15,
//! F16): `ccelab up`, the gadget opened through `ccelab ctl`, ECE's
//! application-server log on the virtual disk — and, beside it, the real JNDI
//! (`emulators/tests/java/AdProbe.java`, JDK defaults) run with the same
//! settings against the same DC, which must throw exactly what ECE logged.
//! Fixes are made with the real tools: `openssl s_client` and `keytool`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const DC: &str = "gcdcsrv01.example.local";
const BIND_DN: &str = "CN=pcceadmin, CN=Users, DC=example, DC=local";
const GADGET_ERROR: &str = "There was an error loading the page. Contact your administrator.";

fn ece_log(u: &Up) -> PathBuf {
    u.dir
        .join("disks/ece-app/C/ECE/eService_RT/logs/eg_log_ECEAPP_ApplicationServer.log")
}

fn keystore(u: &Up) -> PathBuf {
    u.dir.join("disks/ece-app/C/ece/pcce/mydomain.jks")
}

/// The exception ECE logged last (the `LDAP authentication exception` line's last field).
fn last_ldap_exception(u: &Up) -> String {
    let text = std::fs::read_to_string(ece_log(u)).unwrap_or_default();
    text.lines()
        .rev()
        .find_map(|l| {
            l.split_once(" <@> LDAP authentication exception <@> ")
                .map(|(_, e)| e.to_string())
        })
        .unwrap_or_default()
}

fn gadget(u: &Up) -> (Option<i32>, String) {
    let o = ctl(u, &["spog", "open-gadget"]);
    (o.status.code(), out(&o))
}

fn partition_admin(u: &Up, args: &[&str]) {
    let mut a = vec!["ece", "partition-admin"];
    a.extend_from_slice(args);
    let o = ctl(u, &a);
    assert!(
        o.status.success(),
        "{}{}",
        out(&o),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The real JNDI with ECE's settings: `url` (the product port is mapped to
/// where the lab's DC listens), the bind DN (None: anonymous), `base`, and
/// ECE's keystore as the trust store. Returns the first exception, or "OK".
fn real_jndi(u: &Up, url: &str, who: Option<&str>, pw: &str, base: &str) -> String {
    real_jndi_trusting(u, &keystore(u), url, who, pw, base)
}

/// [`real_jndi`] with another trust store.
fn real_jndi_trusting(
    u: &Up,
    truststore: &Path,
    url: &str,
    who: Option<&str>,
    pw: &str,
    base: &str,
) -> String {
    let classes = u.dir.join("classes");
    if !classes.join("AdProbe.class").exists() {
        let src =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../emulators/tests/java/AdProbe.java");
        let o = tool(
            "javac",
            &["-d", classes.to_str().unwrap(), src.to_str().unwrap()],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let (scheme, rest) = url.split_once("://").unwrap();
    let (host, port) = rest.rsplit_once(':').unwrap();
    let real = format!(
        "{scheme}://{host}:{}",
        bound(u, "dc", port.parse().unwrap())
    );
    let (auth, p) = match who {
        Some(p) => ("simple", p),
        None => ("none", "-"),
    };
    let spec = u.dir.join("jndi.spec");
    std::fs::write(
        &spec,
        format!(
            "c\t{real}\t{auth}\t{p}\t{pw}\t{base}\t(userPrincipalName=administrator@example.local)\tsub\tuserPrincipalName,distinguishedName,displayName,mail\n"
        ),
    )
    .unwrap();
    let o = Command::new("java")
        .arg(format!(
            "-Djdk.net.hosts.file={}",
            u.dir.join("jdk-hosts").display()
        ))
        .arg(format!(
            "-Djavax.net.ssl.trustStore={}",
            truststore.display()
        ))
        .args(["-cp", classes.to_str().unwrap(), "AdProbe"])
        .arg(&spec)
        .output()
        .unwrap();
    let text = out(&o);
    text.lines()
        .find_map(|l| l.strip_prefix("EXC ").map(str::to_string))
        .or_else(|| text.lines().any(|l| l == "OK").then(|| "OK".to_string()))
        .unwrap_or_else(|| panic!("AdProbe printed {text}"))
        // AdProbe escapes NUL and backslash; ECE's log holds them as they are
        .replace("\\0", "\0")
        .replace("\\\\", "\\")
        // the lab's DC port → the product port the texts name
        .replace(
            &format!(":{}", bound(u, "dc", port.parse().unwrap())),
            &format!(":{port}"),
        )
}

#[test]
fn partition_admin_sso_f4_f5_f14_f15_f16_and_their_fixes() {
    let d = tempfile::tempdir().unwrap();
    let u = up(&d.path().join("lab"));
    // [ECE] 2.2 done right: the GC over TLS; the administrator is created in ECE
    let (code, text) = gadget(&u);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        out(&ctl(&u, &["ece", "admins"])).trim(),
        r#"["administrator@example.local"]"#
    );
    let gc_ssl = format!("ldaps://{DC}:3269");
    assert_eq!(real_jndi(&u, &gc_ssl, Some(BIND_DN), "Password1", ""), "OK");

    // F5: the domain's LDAP port, not a global catalog
    let ldap = format!("ldap://{DC}:389");
    partition_admin(
        &u,
        &[
            "--ldap-url",
            &ldap,
            "--enable-ssl",
            "false",
            "--base",
            "DC=example,DC=local",
        ],
    );
    let (code, text) = gadget(&u);
    assert_eq!(code, Some(1));
    assert!(text.starts_with(GADGET_ERROR), "{text}");
    // F4: at the default trace level 2 the log says only that SSO failed
    let log = std::fs::read_to_string(ece_log(&u)).unwrap();
    assert!(
        log.contains(" <@> ERROR <@> ")
            && log.contains("Partition administrator SSO failed for administrator@example.local"),
        "{log}"
    );
    assert!(!log.contains("LDAP authentication exception"), "{log}");
    let o = ctl(&u, &["ece", "trace-level", "7"]);
    assert_eq!(o.status.code(), Some(2), "7 needs a maximum duration");
    assert!(ctl(&u, &["ece", "trace-level", "7", "--minutes", "30"])
        .status
        .success());
    gadget(&u);
    let logged = last_ldap_exception(&u);
    assert_eq!(
        logged,
        "javax.naming.PartialResultException: Unprocessed Continuation Reference(s); remaining name 'DC=example,DC=local'"
    );
    assert_eq!(
        real_jndi(&u, &ldap, Some(BIND_DN), "Password1", "DC=example,DC=local"),
        logged
    );
    assert!(log.lines().all(|l| l.contains(" GMT+0000 <@> ")));

    // F15: signing required (KB4520412) and a clear-text bind on the GC port
    assert!(ctl(&u, &["ad", "policy", "--require-signing", "true"])
        .status
        .success());
    let gc = format!("ldap://{DC}:3268");
    partition_admin(&u, &["--ldap-url", &gc, "--base", ""]);
    assert_eq!(gadget(&u).0, Some(1));
    let logged = last_ldap_exception(&u);
    assert!(logged.starts_with("javax.naming.AuthenticationNotSupportedException: [LDAP: error code 8 - 00002028: LdapErr: DSID-"), "{logged:?}");
    assert_eq!(real_jndi(&u, &gc, Some(BIND_DN), "Password1", ""), logged);
    // the fix: Enable SSL on LDAP, the GC's TLS port
    partition_admin(&u, &["--ldap-url", &gc_ssl, "--enable-ssl", "true"]);
    assert_eq!(gadget(&u).0, Some(0));

    // a wrong password for the bind DN
    partition_admin(&u, &["--password", "Wrong1"]);
    assert_eq!(gadget(&u).0, Some(1));
    let logged = last_ldap_exception(&u);
    assert!(
        logged.contains("[LDAP: error code 49 - 80090308: LdapErr: DSID-")
            && logged.contains("data 52e"),
        "{logged:?}"
    );
    assert_eq!(real_jndi(&u, &gc_ssl, Some(BIND_DN), "Wrong1", ""), logged);

    // F16: no DN for LDAP search, anonymous operations refused
    partition_admin(&u, &["--password", "Password1", "--search-dn", ""]);
    assert_eq!(gadget(&u).0, Some(1));
    let logged = last_ldap_exception(&u);
    assert!(
        logged.starts_with(
            "javax.naming.NamingException: [LDAP: error code 1 - 000004DC: LdapErr: DSID-"
        ),
        "{logged:?}"
    );
    assert_eq!(real_jndi(&u, &gc_ssl, None, "", ""), logged);
    partition_admin(&u, &["--search-dn", BIND_DN]);
    assert_eq!(gadget(&u).0, Some(0));

    // F14: the DC's certificate not in the keystore (deleted with keytool)
    let ks = keystore(&u);
    let o = tool(
        "keytool",
        &[
            "-delete",
            "-alias",
            "mydomaincontroller",
            "-keystore",
            ks.to_str().unwrap(),
            "-storepass",
            "MyP@ssword",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(gadget(&u).0, Some(1));
    let bind_failed = "javax.naming.CommunicationException: simple bind failed: gcdcsrv01.example.local:3269 [Root exception is ";
    // JDK 17's JNDI sometimes reports the closed socket before the TLS cause
    let racy = format!("{bind_failed}java.net.SocketException");
    let logged = last_ldap_exception(&u);
    // an empty keystore: Java has no trust anchor at all
    assert_eq!(
        logged,
        format!("{bind_failed}javax.net.ssl.SSLException: Unexpected error: java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty]")
    );
    let real = real_jndi(&u, &gc_ssl, Some(BIND_DN), "Password1", "");
    assert!(real == logged || real.starts_with(&racy), "{real}");
    // a wrong keystore location: Java falls back to the JDK's own cacerts
    partition_admin(&u, &["--keystore-location", r"c:\ece\pcce\other.jks"]);
    assert_eq!(gadget(&u).0, Some(1));
    let logged = last_ldap_exception(&u);
    assert_eq!(
        logged,
        format!("{bind_failed}javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target]")
    );
    let missing = u.dir.join("disks/ece-app/C/ece/pcce/other.jks");
    let real = real_jndi_trusting(&u, &missing, &gc_ssl, Some(BIND_DN), "Password1", "");
    assert!(real == logged || real.starts_with(&racy), "{real}");
    partition_admin(&u, &["--keystore-location", r"c:\ece\pcce\mydomain.jks"]);
    // the fix of [ECE] 2.1: the server certificate from s_client, imported with keytool
    let crt = u.dir.join("domainctl.crt");
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl s_client -connect 127.0.0.14:{} -servername {DC} </dev/null 2>/dev/null | openssl x509 > {}",
            bound(&u, "dc", 3269),
            crt.display()
        ))
        .output()
        .unwrap();
    assert!(o.status.success());
    let o = tool(
        "keytool",
        &[
            "-import",
            "-noprompt",
            "-trustcacerts",
            "-alias",
            "mydomaincontroller",
            "-file",
            crt.to_str().unwrap(),
            "-keystore",
            ks.to_str().unwrap(),
            "-storepass",
            "MyP@ssword",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    let (code, text) = gadget(&u);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(real_jndi(&u, &gc_ssl, Some(BIND_DN), "Password1", ""), "OK");
}

#[test]
fn debug_trace_level_reverts_after_its_duration() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("t.toml");
    // a fixed clock (now), so that ctl can move it
    std::fs::write(&f, "clock = \"+0s\"\n[ad_dc]\nrequire_signing = true\n").unwrap();
    let u = up_args(
        &d.path().join("lab"),
        true,
        &["--topology", f.to_str().unwrap()],
    );
    let gc = format!("ldap://{DC}:3268");
    partition_admin(&u, &["--ldap-url", &gc, "--enable-ssl", "false"]);
    assert!(ctl(&u, &["ece", "trace-level", "7", "--minutes", "30"])
        .status
        .success());
    gadget(&u);
    let debug_lines = || {
        std::fs::read_to_string(ece_log(&u))
            .unwrap_or_default()
            .matches(" <@> DEBUG <@> ")
            .count()
    };
    assert_eq!(debug_lines(), 1);
    assert!(ctl(&u, &["clock", "advance", "29m"]).status.success());
    gadget(&u);
    assert_eq!(debug_lines(), 2);
    assert!(ctl(&u, &["clock", "advance", "2m"]).status.success());
    gadget(&u);
    assert_eq!(debug_lines(), 2, "back to level 2 after 30 minutes");
}

#[test]
fn ldif_users_are_found_by_ldapsearch_and_by_ece() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("more.ldif"),
        "# administrators added for a scenario\n\
         dn: CN=Erin Admin,CN=Users,DC=example,DC=local\n\
         objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: user\n\
         cn: Erin Admin\nsAMAccountName: eadmin\nuserPrincipalName: erin@example.local\nuserAccountControl: 512\n\
         userPassword: Secret9\n",
    )
    .unwrap();
    let f = d.path().join("t.toml");
    std::fs::write(&f, "[ad_dc]\nldif = \"more.ldif\"\n").unwrap();
    let u = up_args(
        &d.path().join("lab"),
        true,
        &["--topology", f.to_str().unwrap()],
    );
    let o = tool(
        "ldapsearch",
        &[
            "-LLL",
            "-x",
            "-H",
            &format!("ldap://127.0.0.14:{}", bound(&u, "dc", 3268)),
            "-D",
            "erin@example.local",
            "-w",
            "Secret9",
            "-b",
            "",
            "(sAMAccountName=eadmin)",
            "userPrincipalName",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        out(&o).contains("userPrincipalName: erin@example.local"),
        "{}",
        out(&o)
    );
    let o = ctl(&u, &["spog", "open-gadget", "--user", "erin@example.local"]);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    assert!(out(&ctl(&u, &["ece", "admins"])).contains("erin@example.local"));
    // nobody of that name: ECE cannot create the partition administrator (F4)
    let o = ctl(
        &u,
        &["spog", "open-gadget", "--user", "nobody@example.local"],
    );
    assert_eq!(o.status.code(), Some(1));
    drop(u);
    // a bad LDIF stops `up` with the file and line, before anything is written
    std::fs::write(
        d.path().join("bad.ldif"),
        "dn: CN=X,CN=Users,DC=example,DC=local\nobjectClass user\n",
    )
    .unwrap();
    std::fs::write(&f, "[ad_dc]\nldif = \"bad.ldif\"\n").unwrap();
    let never = d.path().join("never");
    let o = Command::new(bin())
        .args([
            "up",
            "--dir",
            never.to_str().unwrap(),
            "--topology",
            f.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("bad.ldif: line 2:"), "{err}");
    assert!(!never.exists());
}

#[test]
fn hosts_renamed_by_topology_file_and_per_user_bind_faults() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("t.toml");
    std::fs::write(
        &f,
        "[hosts.dc]\nfqdn = \"dc01.corp.example\"\n[hosts.ads-a]\nfqdn = \"aw-a.corp.example\"\n",
    )
    .unwrap();
    let u = up_args(
        &d.path().join("lab"),
        true,
        &["--topology", f.to_str().unwrap()],
    );
    // the DC's certificate follows its name; ECE's defaults follow the domain
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "openssl s_client -connect 127.0.0.14:{} </dev/null 2>/dev/null | openssl x509 -noout -subject -ext subjectAltName",
            bound(&u, "dc", 3269)
        ))
        .output()
        .unwrap();
    let text = out(&o);
    assert!(
        text.contains("subject=CN = dc01.corp.example")
            && text.contains("DNS:dc01.corp.example, DNS:corp.example"),
        "{text}"
    );
    assert!(out(&ctl(&u, &["ece", "partition-admin"])).contains("ldaps://dc01.corp.example:3269"));
    let (code, text) = gadget(&u);
    assert_eq!(code, Some(0), "{text}");
    assert!(out(&ctl(&u, &["ece", "admins"])).contains("administrator@corp.example"));
    assert!(topology(&u)["hosts"]
        .to_string()
        .contains("aw-a.corp.example"));
    // a per-account bind failure (AD's data code): pcceadmin locked out
    assert!(ctl(&u, &["ad", "fault", "pcceadmin@corp.example", "775"])
        .status
        .success());
    assert!(ctl(&u, &["ece", "trace-level", "7", "--minutes", "5"])
        .status
        .success());
    assert_eq!(gadget(&u).0, Some(1));
    let e = last_ldap_exception(&u);
    assert!(
        e.starts_with(
            "javax.naming.AuthenticationException: [LDAP: error code 49 - 80090308: LdapErr: DSID-"
        ) && e.contains(", data 775, v"),
        "{e}"
    );
    assert_eq!(
        ctl(&u, &["ad", "fault", "pcceadmin", "999"]).status.code(),
        Some(2)
    );
    // a bad host override stops `up`
    std::fs::write(&f, "[hosts.nope]\nfqdn = \"x.example\"\n").unwrap();
    let o = Command::new(bin())
        .args([
            "up",
            "--dir",
            d.path().join("never").to_str().unwrap(),
            "--topology",
            f.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(".toml:1:1: hosts.nope: no such host"), "{err}");
}

/// F14 before 12.6 ([ECE] 2.1: "copy the keystore to the same path on every
/// other application server"): with two application servers and the
/// keystore made on the first only, gadget opens go to the servers in turn
/// and fail on the second, which logs the PKIX failure to its own log; the
/// real `cp` to the same path fixes it. Also: trace levels per server,
/// "Cisco Service" per server, and topology.json listing both.
#[test]
fn keystore_not_copied_to_every_application_server() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("t.toml");
    std::fs::write(
        &f,
        "[ece_app]\nservers = 2\nkeystore_on = [\"ece-app\"]\n[hosts.ece-app-2]\nfqdn = \"eceapp2.example.com\"\n",
    )
    .unwrap();
    let u = up_args(
        &d.path().join("lab"),
        true,
        &["--topology", f.to_str().unwrap()],
    );
    let topo = topology(&u);
    let apps: Vec<(String, String, String)> = topo["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["role"] == "ece-app")
        .map(|h| {
            (
                h["name"].as_str().unwrap().to_string(),
                h["fqdn"].as_str().unwrap().to_string(),
                h["address"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        apps,
        [
            (
                "ece-app".to_string(),
                "eceapp.example.com".to_string(),
                "127.0.0.15".to_string()
            ),
            (
                "ece-app-2".to_string(),
                "eceapp2.example.com".to_string(),
                "127.0.0.16".to_string()
            )
        ]
    );
    let disk = |h: &str| u.dir.join("disks").join(h);
    let ks = |h: &str| disk(h).join("C/ece/pcce/mydomain.jks");
    // HA / distributed: each server logs under {ECE_HOME}\eService\logs
    let log = |h: &str, name: &str| {
        disk(h).join(format!(
            "C/ECE/eService/logs/eg_log_{name}_ApplicationServer.log"
        ))
    };
    assert!(ks("ece-app").exists() && !ks("ece-app-2").exists());
    // Debug on the second server only
    let o = ctl(
        &u,
        &[
            "ece",
            "trace-level",
            "7",
            "--minutes",
            "60",
            "--host",
            "ece-app-2",
        ],
    );
    assert!(o.status.success(), "{}", out(&o));
    assert_eq!(out(&o).trim(), "trace level 7 on ece-app-2");
    let o = ctl(&u, &["ece", "trace-level", "4", "--host", "ece-app-9"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr)
            .contains("`ece-app-9` is not an ECE application server (application servers: ece-app, ece-app-2)"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // first open: ece-app, which has the keystore
    let (code, text) = gadget(&u);
    assert_eq!(code, Some(0), "{text}");
    // second open: ece-app-2, which has none
    let (code, text) = gadget(&u);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(GADGET_ERROR), "{text}");
    let second = std::fs::read_to_string(log("ece-app-2", "ECEAPP2")).unwrap();
    let pkix = "LDAP authentication exception <@> javax.naming.CommunicationException: simple bind failed: gcdcsrv01.example.local:3269 [Root exception is javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target]";
    assert!(second.contains(pkix), "{second}");
    assert!(
        text.contains("eg_log_ECEAPP2_ApplicationServer.log"),
        "the outcome points at the second server's log: {text}"
    );
    // the real JNDI with a trust store that does not exist says the same
    // (or, racing, that the socket closed: see the test above)
    let real = real_jndi_trusting(
        &u,
        &u.dir.join("no-such.jks"),
        &format!("ldaps://{DC}:3269"),
        Some(BIND_DN),
        "Password1",
        "",
    );
    assert!(
        format!("LDAP authentication exception <@> {real}") == pkix
            || real.starts_with("javax.naming.CommunicationException: simple bind failed: gcdcsrv01.example.local:3269 [Root exception is java.net.SocketException"),
        "{real}"
    );
    // the DC saw the handshake fail from the second server's address
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let o = ctl(&u, &["ad", "events"]);
        let ev: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
        if ev.as_array().unwrap().iter().any(|e| {
            e["op"] == "tls-handshake"
                && e["peer"].as_str().unwrap().starts_with("127.0.0.16:")
                && e["port"] == "GC over TLS (3269)"
        }) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{ev:#}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // the first server wrote nothing at Debug (level 2 there)
    let first = std::fs::read_to_string(log("ece-app", "ECEAPP")).unwrap_or_default();
    assert!(!first.contains(" <@> DEBUG <@> "), "{first}");
    // the fix: copy the keystore to the same path on the other server
    let o = tool(
        "cp",
        &[
            ks("ece-app").to_str().unwrap(),
            ks("ece-app-2").to_str().unwrap(),
        ],
    );
    assert!(o.status.success());
    for _ in 0..2 {
        let (code, text) = gadget(&u);
        assert_eq!(code, Some(0), "{text}");
    }
    // "Cisco Service" stopped on the first server: every open goes to the second
    let o = ctl(&u, &["stop", "ece-app", "Cisco Service"]);
    assert!(o.status.success(), "{}", out(&o));
    std::fs::remove_file(ks("ece-app-2")).unwrap();
    for _ in 0..2 {
        let (code, _) = gadget(&u);
        assert_eq!(code, Some(1));
    }
    let status = out(&ctl(&u, &["status"]));
    assert!(status.contains("Stopped"), "{status}");
}

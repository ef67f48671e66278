//! The load balancer checked against the real HAProxy (Debian's package;
//! `.ci/run` installs it): the same emulated web servers, once behind
//! ccelab's load balancer and once behind HAProxy started with the
//! `haproxy.cfg` ccelab wrote on the load balancer's disk (its addresses
//! moved to the ports the lab really bound). The same client sequences —
//! curl with TLS 1.2 and TLS 1.3 on a new connection per request and on one
//! kept-alive connection, Java 17's HttpsURLConnection with TLS 1.2 and 1.3,
//! `openssl s_client -reconnect` — must land on the same web servers in
//! both, in each mode (passthrough, offload, none): a logged-in session's
//! page loads answer 200 on the web server that holds the session, 302 to
//! the login page on the other.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const JAVA: &str = r#"
import java.net.*;
import javax.net.ssl.*;
import java.security.cert.X509Certificate;
import java.util.*;

public class Browse {
    public static void main(String[] a) throws Exception {
        System.setProperty("http.keepAlive", "false");
        TrustManager[] all = { new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] c, String s) {}
            public void checkServerTrusted(X509Certificate[] c, String s) {}
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        } };
        SSLContext ctx = SSLContext.getInstance(a[3]);
        ctx.init(null, all, null);
        HttpsURLConnection.setDefaultSSLSocketFactory(ctx.getSocketFactory());
        HttpsURLConnection.setDefaultHostnameVerifier((h, s) -> true);
        String auth = Base64.getEncoder().encodeToString(a[1].getBytes());
        String cookie = null;
        int n = Integer.parseInt(a[2]);
        StringBuilder out = new StringBuilder();
        for (int i = 0; i <= n; i++) {
            URL u = new URL(a[0] + (i == 0 ? "/default/login" : "/default/home"));
            HttpsURLConnection c = (HttpsURLConnection) u.openConnection();
            c.setInstanceFollowRedirects(false);
            if (i == 0) c.setRequestProperty("Authorization", "Basic " + auth);
            if (cookie != null) c.setRequestProperty("Cookie", cookie);
            int code = c.getResponseCode();
            for (String h : c.getHeaderFields().getOrDefault("Set-Cookie", List.of())) {
                String kv = h.split(";")[0];
                cookie = cookie == null ? kv : cookie + "; " + kv;
            }
            out.append(code).append(' ');
            c.disconnect();
        }
        System.out.println(out.toString().trim());
    }
}
"#;

/// HAProxy running a configuration, stopped when dropped.
struct Haproxy(Child);

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free port on the VIP's address (HAProxy listens beside ccelab's load balancer).
fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts HAProxy on `ip:port` with the load balancer's `haproxy.cfg`, the
/// web servers at the ports the lab bound.
fn haproxy(u: &Up, ip: &str, port: u16, scratch: &Path) -> Haproxy {
    let lb_disk = u.dir.join("disks").join("lb");
    let text = std::fs::read_to_string(lb_disk.join("etc/haproxy/haproxy.cfg")).unwrap();
    let doc = topology(u);
    let webs: Vec<(String, String, u64)> = doc["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["role"] == "ece-web")
        .map(|h| {
            (
                h["fqdn"].as_str().unwrap().to_string(),
                h["address"].as_str().unwrap().to_string(),
                bound(u, h["name"].as_str().unwrap(), 443),
            )
        })
        .collect();
    let cfg = ccelab_emulators::lb::config::resolved(
        &text,
        format!("{ip}:{port}").parse().unwrap(),
        |host, p| {
            webs.iter()
                .find(|(f, ..)| f == host && p == 443)
                .map(|(_, a, b)| format!("{a}:{b}").parse().unwrap())
        },
        |crt| {
            lb_disk
                .join(crt.trim_start_matches('/'))
                .to_string_lossy()
                .into_owned()
        },
    );
    let file = scratch.join(format!("haproxy-{port}.cfg"));
    std::fs::write(&file, &cfg).unwrap();
    let check = tool("haproxy", &["-c", "-f", file.to_str().unwrap()]);
    assert!(
        check.status.success(),
        "haproxy -c refused the file ccelab wrote:\n{cfg}\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let child = Command::new("haproxy")
        .args(["-db", "-f", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy: bash .ci/run installs it");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect((ip, port)).is_err() {
        assert!(Instant::now() < deadline, "haproxy never listened");
        std::thread::sleep(Duration::from_millis(20));
    }
    Haproxy(child)
}

/// curl through `ip:port` by ECE's name: the login, then `n` page loads;
/// `new_connections`: each on its own connection (the TLS session cache
/// resumes), else all on one kept-alive connection. The statuses.
fn curl(ip: &str, port: u16, tls: &str, new_connections: bool, n: usize) -> String {
    let base = format!("https://ece.example.com:{port}");
    let mut args: Vec<String> = vec![
        "-sk".into(),
        "--resolve".into(),
        format!("ece.example.com:{port}:{ip}"),
        "-u".into(),
        "pa:Password1".into(),
        "-b".into(),
        "/dev/null".into(),
        "-w".into(),
        "%{http_code} ".into(),
    ];
    match tls {
        "1.2" => args.extend(["--tlsv1.2".into(), "--tls-max".into(), "1.2".into()]),
        _ => args.push("--tlsv1.3".into()),
    }
    if new_connections {
        // a new connection per request: HTTP/1.1 with `Connection: close`
        // (over HTTP/2, which IIS offers, curl drops the header and keeps
        // one connection for every URL)
        args.extend(["--http1.1".into(), "-H".into(), "Connection: close".into()]);
    }
    args.extend([
        "-o".into(),
        "/dev/null".into(),
        format!("{base}/default/login"),
    ]);
    for _ in 0..n {
        args.extend([
            "-o".into(),
            "/dev/null".into(),
            format!("{base}/default/home"),
        ]);
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    out(&tool("curl", &a)).trim().to_string()
}

/// Java 17 through `port` by ECE's name (the lab's jdk-hosts file maps it
/// to the VIP's address): the statuses.
fn java(u: &Up, src: &Path, port: u16, protocol: &str, n: usize) -> String {
    let hosts = u.dir.join("jdk-hosts");
    let o = tool(
        "java",
        &[
            &format!("-Djdk.net.hosts.file={}", hosts.display()),
            src.to_str().unwrap(),
            &format!("https://ece.example.com:{port}"),
            "pa:Password1",
            &n.to_string(),
            protocol,
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out(&o).trim().to_string()
}

/// `openssl s_client -reconnect`: which of its six connections resumed
/// (a resumption succeeds only on the web server that issued the session).
fn reconnect(ip: &str, port: u16, tls: &str) -> String {
    let o = Command::new("openssl")
        .args([
            "s_client",
            &format!("-tls{tls}"),
            "-reconnect",
            "-connect",
            &format!("{ip}:{port}"),
            "-servername",
            "ece.example.com",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    out(&o)
        .lines()
        .filter_map(|l| {
            if l.starts_with("New,") {
                Some("new")
            } else if l.starts_with("Reused,") {
                Some("reused")
            } else {
                None
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_same_clients_land_on_the_same_web_servers_behind_haproxy() {
    let d = tempfile::tempdir().unwrap();
    let u = up_args(&d.path().join("lab"), true, &["--preset", "ece-400-ha"]);
    let src = d.path().join("Browse.java");
    std::fs::write(&src, JAVA).unwrap();
    let vip = "127.0.0.29";
    let lb_port = bound(&u, "lb", 443) as u16;
    for mode in ["passthrough", "offload", "none"] {
        let o = ctl(&u, &["lb", "mode", mode]);
        assert!(o.status.success(), "{mode}: {}", out(&o));
        // each sequence against a freshly (re)started balancer of both kinds:
        // round robin starts at the first server in each
        let run = |what: &str, f: &dyn Fn(u16) -> String| {
            let ours = {
                let o = ctl(&u, &["restart", "lb"]);
                assert!(o.status.success(), "{}", out(&o));
                f(lb_port)
            };
            let port = free_port(vip);
            let real = {
                let _h = haproxy(&u, vip, port, d.path());
                f(port)
            };
            assert_eq!(
                ours, real,
                "{mode}, {what}: ccelab's load balancer vs HAProxy"
            );
            ours
        };
        let c12 = run("curl TLS 1.2, new connections", &|p| {
            curl(vip, p, "1.2", true, 4)
        });
        let c13 = run("curl TLS 1.3, new connections", &|p| {
            curl(vip, p, "1.3", true, 4)
        });
        let keep = run("curl TLS 1.3, one connection", &|p| {
            curl(vip, p, "1.3", false, 4)
        });
        let r12 = run("openssl -reconnect TLS 1.2", &|p| reconnect(vip, p, "1_2"));
        match mode {
            // TLS 1.2 resumes by session ID: the stick table holds; TLS 1.3 does not
            "passthrough" => {
                assert_eq!(c12, "200 200 200 200 200");
                assert!(c13.contains("302"), "{c13}");
                assert_eq!(keep, "200 200 200 200 200");
                assert_eq!(r12, "new reused reused reused reused reused");
                let j12 = run("Java TLS 1.2", &|p| java(&u, &src, p, "TLSv1.2", 4));
                let j13 = run("Java TLS 1.3", &|p| java(&u, &src, p, "TLSv1.3", 4));
                assert_eq!(j12, "200 200 200 200 200");
                assert!(j13.contains("302"), "{j13}");
            }
            // the cookie brings every request back, on any connection
            "offload" => {
                assert_eq!(c12, "200 200 200 200 200");
                assert_eq!(c13, "200 200 200 200 200");
                assert_eq!(keep, "200 200 200 200 200");
            }
            // round robin per connection: one kept-alive connection stays
            _ => {
                assert_eq!(c12, "200 302 200 302 200");
                assert_eq!(keep, "200 200 200 200 200");
            }
        }
    }
    // offload without the cookie: round robin per request, even on one connection
    let o = ctl(&u, &["lb", "mode", "offload", "--no-cookie"]);
    assert!(o.status.success(), "{}", out(&o));
    let ours = curl(vip, lb_port, "1.3", false, 4);
    let port = free_port(vip);
    let real = {
        let _h = haproxy(&u, vip, port, d.path());
        curl(vip, port, "1.3", false, 4)
    };
    // ccelab's balancer was reloaded by `lb mode`: both start at the first server
    assert_eq!(ours, real);
    assert_eq!(ours, "200 302 200 302 200");
}

//! The load balancer with bad input: a `haproxy.cfg` it cannot run (the
//! restart names the file and line; the running configuration keeps
//! serving, as a failed HAProxy reload does), bytes that are not TLS, its
//! `maxconn`, and the `ctl lb` commands' errors.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::*;

const CFG: &str = "etc/haproxy/haproxy.cfg";

fn curl_home(port: u64) -> String {
    out(&tool(
        "curl",
        &[
            "-sk",
            "--resolve",
            &format!("ece.example.com:{port}:127.0.0.29"),
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-u",
            "pa:Password1",
            &format!("https://ece.example.com:{port}/default/login"),
        ],
    ))
}

#[test]
fn bad_input_leaves_the_load_balancer_serving() {
    let d = tempfile::tempdir().unwrap();
    let u = up_args(&d.path().join("lab"), true, &["--preset", "ece-400-ha"]);
    let port = bound(&u, "lb", 443);
    assert_eq!(curl_home(port), "200");
    let cfg = u.dir.join("disks/lb").join(CFG);
    let good = std::fs::read_to_string(&cfg).unwrap();

    // a keyword ccelab does not model: the restart says where, the old configuration serves
    std::fs::write(
        &cfg,
        good.replace("balance roundrobin", "balance leastconn"),
    )
    .unwrap();
    let o = ctl(&u, &["restart", "lb"]);
    assert!(!o.status.success());
    let text = format!("{}{}", out(&o), String::from_utf8_lossy(&o.stderr));
    assert!(
        text.contains("/etc/haproxy/haproxy.cfg:") && text.contains("`balance`"),
        "{text}"
    );
    assert_eq!(curl_home(port), "200");
    // a missing certificate file in offload: the same
    let offload = ctl(&u, &["lb", "mode", "offload"]);
    assert!(offload.status.success(), "{}", out(&offload));
    std::fs::remove_file(u.dir.join("disks/lb/etc/haproxy/certs/ece.example.com.pem")).unwrap();
    let o = ctl(&u, &["restart", "lb"]);
    assert!(!o.status.success());
    assert_eq!(curl_home(port), "200");
    let o = ctl(&u, &["lb", "mode", "passthrough"]);
    assert!(o.status.success(), "{}", out(&o));

    // plain HTTP to the VIP goes to a web server's TLS port, which closes it
    let mut s = TcpStream::connect(("127.0.0.29", port as u16)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert_eq!(curl_home(port), "200");

    // maxconn: one more connection than allowed waits (HAProxy stops
    // accepting; the client waits in the backlog) and is served once a slot frees
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("maxconn 1024", "maxconn 2");
    std::fs::write(&cfg, text).unwrap();
    let o = ctl(&u, &["restart", "lb"]);
    assert!(o.status.success(), "{}", out(&o));
    let held: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(("127.0.0.29", port as u16)).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let waiting = std::thread::spawn(move || curl_home(port));
    std::thread::sleep(Duration::from_millis(500));
    drop(held);
    assert_eq!(waiting.join().unwrap(), "200");
    assert!(started.elapsed() >= Duration::from_millis(400));
    let text = std::fs::read_to_string(&cfg)
        .unwrap()
        .replace("maxconn 2", "maxconn 1024");
    std::fs::write(&cfg, text).unwrap();
    assert!(ctl(&u, &["restart", "lb"]).status.success());

    // a ClientHello in two segments: the whole record is read before deciding,
    // so the server answers at once (no wait for the inspect delay)
    let py = r#"
import socket, ssl, sys, time
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
i, o = ssl.MemoryBIO(), ssl.MemoryBIO()
t = ctx.wrap_bio(i, o, server_hostname="ece.example.com")
try: t.do_handshake()
except ssl.SSLWantReadError: pass
hello = o.read()
s = socket.create_connection(("127.0.0.29", int(sys.argv[1])))
s.sendall(hello[:100]); time.sleep(0.05); s.sendall(hello[100:])
start = time.time(); s.settimeout(10); first = s.recv(1)
print(f"{time.time() - start:.2f} {first.hex()}")
"#;
    let o = tool("python3", &["-c", py, &port.to_string()]);
    let answer = out(&o);
    let (secs, byte) = answer.trim().split_once(' ').unwrap();
    assert_eq!(byte, "16", "a handshake record: {answer}");
    assert!(secs.parse::<f64>().unwrap() < 2.0, "{answer}");

    // the runtime API and the mode names are checked
    let o = ctl(&u, &["lb", "server", "eceweb9", "maint"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("servers: eceweb1, eceweb2"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = ctl(&u, &["lb", "mode", "sticky"]);
    assert!(!o.status.success());
    let o = ctl(&u, &["lb", "browse", "--requests", "0"]);
    assert!(!o.status.success());
    let o = ctl(
        &u,
        &[
            "lb",
            "pfx-copy",
            "ece-web-1",
            "eceweb1.example.com",
            "--without-key",
        ],
    );
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("one web server"));
}

#[test]
fn offload_reports_the_servers_it_chose_and_refuses_a_key_that_is_not_the_certificates() {
    let d = tempfile::tempdir().unwrap();
    let u = up_args(&d.path().join("lab"), true, &["--preset", "ece-400-ha"]);
    let port = bound(&u, "lb", 443);
    let iis = |w: &str| {
        u.dir
            .join("disks")
            .join(w)
            .join("C/Windows/System32/inetsrv/config/applicationHost.config")
    };
    // every server down (before any connection to them is kept alive):
    // HAProxy's 503 page after its retries
    for w in ["ece-web-1", "ece-web-2"] {
        let t = std::fs::read_to_string(iis(w)).unwrap();
        std::fs::write(
            iis(w),
            t.replace("certificateHash=\"", "certificateHash=\"00"),
        )
        .unwrap();
        assert!(!ctl(&u, &["restart", w]).status.success());
    }
    let o = tool(
        "curl",
        &[
            "-sk",
            "--resolve",
            &format!("ece.example.com:{port}:127.0.0.29"),
            "-w",
            "\n%{http_code}",
            &format!("https://ece.example.com:{port}/default"),
        ],
    );
    let text = out(&o);
    assert!(text.ends_with("503"), "{text}");
    assert!(
        text.contains("No server is available to handle this request."),
        "{text}"
    );
    for w in ["ece-web-1", "ece-web-2"] {
        let t = std::fs::read_to_string(iis(w)).unwrap();
        std::fs::write(
            iis(w),
            t.replace("certificateHash=\"00", "certificateHash=\""),
        )
        .unwrap();
        assert!(ctl(&u, &["restart", w]).status.success());
    }

    // without the cookie, requests on one kept-alive connection alternate:
    // the load balancer's own log says where each went
    assert!(ctl(&u, &["lb", "mode", "offload", "--no-cookie"])
        .status
        .success());
    let o = ctl(&u, &["lb", "browse", "--keep-alive", "--requests", "3"]);
    let text = out(&o);
    let reached: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split(" → ").nth(1))
        .filter_map(|l| l.split([':', ' ']).next())
        .collect();
    assert_eq!(
        reached,
        [
            "eceweb1.example.com",
            "eceweb2.example.com",
            "eceweb1.example.com",
            "eceweb2.example.com"
        ],
        "{text}"
    );
    // the runtime API's maintenance is forgotten on a reload, as HAProxy 2.6 does
    assert!(ctl(&u, &["lb", "server", "ece-web-2", "maint"])
        .status
        .success());
    assert!(ctl(&u, &["restart", "lb"]).status.success());
    let o = ctl(&u, &["lb", "browse", "--keep-alive", "--requests", "1"]);
    assert!(out(&o).contains("eceweb2.example.com"), "{}", out(&o));

    // another key in the certificate file: the reload is refused, the VIP serves on
    let crt = u.dir.join("disks/lb/etc/haproxy/certs/ece.example.com.pem");
    let pem = std::fs::read_to_string(&crt).unwrap();
    let other = tool("openssl", &["genrsa", "2048"]);
    let certs: String = pem
        .split_inclusive("-----END CERTIFICATE-----\n")
        .filter(|b| b.contains("CERTIFICATE"))
        .collect();
    std::fs::write(&crt, format!("{certs}{}", out(&other))).unwrap();
    let o = ctl(&u, &["restart", "lb"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("does not match the certificate"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(curl_home(port), "200");
}

#[test]
fn a_topology_without_a_load_balancer_says_so() {
    let d = tempfile::tempdir().unwrap();
    let u = up(&d.path().join("lab"));
    let o = ctl(&u, &["lb", "server", "eceweb1", "maint"]);
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no load balancer"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // ece-browse works on a topology with one web server too
    let o = ctl(&u, &["lb", "browse", "--requests", "2"]);
    assert!(o.status.success(), "{}", out(&o));
    assert!(out(&o).contains("ece.example.com"), "{}", out(&o));
}

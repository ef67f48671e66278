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

    // maxconn: one more connection than allowed is closed as it is accepted
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
    let mut third = TcpStream::connect(("127.0.0.29", port as u16)).unwrap();
    third
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut b = [0u8; 1];
    assert!(
        matches!(third.read(&mut b), Ok(0) | Err(_)),
        "the third connection is closed"
    );
    drop(held);

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

//! The TLS server with IIS binding semantics, checked with real curl and
//! openssl s_client: chains as configured, RSA-1024 served, SNI-only bindings
//! resetting clients that send no SNI, TLS 1.0-only sites, plain HTTP.

mod common;
use common::*;

use std::net::SocketAddr;

use ccelab_emulators::pki::{Ca, CertParams, Issued, KeyType, San};
use ccelab_emulators::tls::{
    hello_handler, Binding, Events, NoMatch, Outcome, SiteConfig, TlsServer, TlsVersion,
};
use time::{Duration, OffsetDateTime};

struct Lab {
    root: Ca,
    leaf: Issued,
}

fn lab(kt: KeyType) -> Lab {
    // valid around the real now: curl and openssl check the machine's clock
    let now = OffsetDateTime::now_utc();
    let root = example_root(
        pool_key(KeyType::Rsa2048, 0),
        now - Duration::days(1),
        now + Duration::days(3650),
    );
    let issuing = example_issuing(
        &root,
        pool_key(KeyType::Rsa2048, 1),
        now - Duration::days(1),
        now + Duration::days(1825),
    );
    let lp = CertParams::leaf(
        "CN=ece.example.com",
        now - Duration::days(1),
        now + Duration::days(365),
    )
    .unwrap()
    .with_sans([San::Dns("ece.example.com".into())]);
    let leaf = issuing.issue(&lp, pool_key(kt, 2)).unwrap();
    Lab { root, leaf }
}

async fn serve(site: SiteConfig) -> (TlsServer, Events) {
    let events = Events::default();
    let addr: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let s = TlsServer::start(addr, site, hello_handler(), events.clone())
        .await
        .unwrap();
    (s, events)
}

/// The events once at least `n` were recorded (the server records after the client is gone).
async fn settled(events: &Events, n: usize) -> Vec<ccelab_emulators::tls::TlsEvent> {
    for _ in 0..500 {
        let ev = events.snapshot();
        if ev.len() >= n {
            return ev;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    events.snapshot()
}

async fn blocking(tool: &'static str, args: Vec<String>) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        run(tool, &a)
    })
    .await
    .unwrap()
}

fn curl_args(name: &str, port: u16, cafile: &str) -> Vec<String> {
    vec![
        "-sS".into(),
        "--max-time".into(),
        "10".into(),
        "--cacert".into(),
        cafile.into(),
        "--resolve".into(),
        format!("{name}:{port}:127.0.0.1"),
        format!("https://{name}:{port}/default"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_the_configured_chain_to_curl_and_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let l = lab(KeyType::Rsa2048);
    let root_pem = p(dir.path(), "root.pem");
    std::fs::write(&root_pem, l.root.cert.to_pem()).unwrap();
    for (chain, expect_ok) in [(l.leaf.chain(), true), (vec![l.leaf.cert.clone()], false)] {
        let n = chain.len();
        let site = SiteConfig {
            bindings: vec![Binding::new(
                "Default Web Site https *:443:",
                chain,
                l.leaf.key.clone(),
            )],
            ..Default::default()
        };
        let (server, events) = serve(site).await;
        let port = server.local_addr().port();
        let o = blocking("curl", curl_args("ece.example.com", port, &root_pem)).await;
        if expect_ok {
            assert!(o.status.success(), "{}", text(&o));
            assert_eq!(
                String::from_utf8_lossy(&o.stdout),
                "ccelab: /default via Default Web Site https *:443:\n"
            );
        } else {
            // F8: the intermediate is not sent
            assert_eq!(o.status.code(), Some(60), "{}", text(&o));
            assert!(
                text(&o).contains("unable to get local issuer certificate"),
                "{}",
                text(&o)
            );
        }
        let ev = settled(&events, 1).await;
        match &ev[0].outcome {
            Outcome::Completed { chain_sent, .. } => assert_eq!(chain_sent.len(), n),
            // curl refused the chain: its alert is the event
            Outcome::Failed { error, .. } => {
                assert!(!expect_ok);
                assert_eq!(error, "received fatal alert: UnknownCA");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ev[0].sni.as_deref(), Some("ece.example.com"));
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rsa1024_and_ecdsa_keys_are_served() {
    let dir = tempfile::tempdir().unwrap();
    for kt in [KeyType::Rsa1024, KeyType::EcP256, KeyType::Rsa4096] {
        let l = lab(kt);
        let root_pem = p(dir.path(), "root.pem");
        std::fs::write(&root_pem, l.root.cert.to_pem()).unwrap();
        let site = SiteConfig {
            bindings: vec![Binding::new("b", l.leaf.chain(), l.leaf.key.clone())],
            ..Default::default()
        };
        let (server, _) = serve(site).await;
        let port = server.local_addr().port();
        for tls in ["-tls1_2", "-tls1_3"] {
            let o = blocking(
                "openssl",
                vec![
                    "s_client".into(),
                    "-connect".into(),
                    format!("127.0.0.1:{port}"),
                    "-servername".into(),
                    "ece.example.com".into(),
                    "-CAfile".into(),
                    root_pem.clone(),
                    "-verify_return_error".into(),
                    tls.into(),
                    // OpenSSL's default security level 2 refuses RSA-1024 (F24); level 1 allows it
                    "-cipher".into(),
                    "DEFAULT:@SECLEVEL=0".into(),
                ],
            )
            .await;
            let t = text(&o);
            assert!(t.contains("Verify return code: 0 (ok)"), "{kt} {tls}: {t}");
            assert!(
                t.contains(&format!("Server public key is {} bit", kt.bits())),
                "{kt} {tls}: {t}"
            );
        }
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sni_required_binding_resets_clients_without_sni() {
    let dir = tempfile::tempdir().unwrap();
    let l = lab(KeyType::Rsa2048);
    let root_pem = p(dir.path(), "root.pem");
    std::fs::write(&root_pem, l.root.cert.to_pem()).unwrap();
    let mut b = Binding::new(
        "Default Web Site https *:443:ece.example.com",
        l.leaf.chain(),
        l.leaf.key.clone(),
    );
    b.host_name = Some("ece.example.com".into());
    b.require_sni = true;
    let (server, events) = serve(SiteConfig {
        bindings: vec![b],
        ..Default::default()
    })
    .await;
    let port = server.local_addr().port();
    // by name: SNI sent, served
    let o = blocking("curl", curl_args("ece.example.com", port, &root_pem)).await;
    assert!(o.status.success(), "{}", text(&o));
    // by IP: no SNI (RFC 6066 forbids IP literals), reset before any ServerHello
    let o = blocking(
        "curl",
        vec![
            "-sS".into(),
            "--max-time".into(),
            "10".into(),
            "-k".into(),
            format!("https://127.0.0.1:{port}/"),
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(35), "{}", text(&o));
    assert!(
        text(&o).contains("Connection reset by peer"),
        "{}",
        text(&o)
    );
    // openssl without SNI: the classic IIS symptom
    let o = blocking(
        "openssl",
        vec![
            "s_client".into(),
            "-connect".into(),
            format!("127.0.0.1:{port}"),
            "-noservername".into(),
        ],
    )
    .await;
    let t = text(&o);
    assert!(
        t.contains("errno=104") || t.contains("Connection reset by peer"),
        "{t}"
    );
    assert!(t.contains("no peer certificate available"), "{t}");
    let ev = events.snapshot();
    assert!(
        matches!(ev[1].outcome, Outcome::NoBinding(NoMatch::Reset)),
        "{ev:?}"
    );
    assert_eq!(ev[1].sni, None);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls10_only_and_plain_http_ports() {
    let l = lab(KeyType::Rsa2048);
    let mut b = Binding::new("legacy", l.leaf.chain(), l.leaf.key.clone());
    b.versions = vec![TlsVersion::Tls10];
    let (server, events) = serve(SiteConfig {
        bindings: vec![b],
        ..Default::default()
    })
    .await;
    let port = server.local_addr().port();
    // curl -sS -k with `extra` options: its stderr
    let curl = |extra: &[&str]| {
        let mut args: Vec<String> = ["-sS", "-k", "--max-time", "10"]
            .iter()
            .chain(extra)
            .map(|a| a.to_string())
            .collect();
        args.push(format!("https://127.0.0.1:{port}/"));
        async move { String::from_utf8_lossy(&blocking("curl", args).await.stderr).into_owned() }
    };
    let openssl = ccelab_emulators::personality::openssl::Build::installed().version;
    let legacy = format!("curl: (35) OpenSSL/{openssl}: error:0A00014D:SSL routines::legacy sigalg disallowed or unsupported\n");
    // curl offers TLS 1.0 too: the server goes on with TLS 1.0 and curl
    // refuses its MD5-SHA1 signature, as against `openssl s_server -tls1`
    assert_eq!(curl(&[]).await, legacy);
    assert_eq!(
        settled(&events, 1).await[0].outcome,
        Outcome::LegacyFlight {
            binding: "legacy".into(),
            version: "TLSv1_0".into(),
            client: "alert internal_error".into()
        }
    );
    // a client that offers only TLS 1.2/1.3 gets protocol_version
    assert_eq!(
        curl(&["--tlsv1.2"]).await,
        format!("curl: (35) OpenSSL/{openssl}: error:0A00042E:SSL routines::tlsv1 alert protocol version\n")
    );
    assert!(matches!(
        settled(&events, 2).await[1].outcome,
        Outcome::ProtocolVersionAlert { .. }
    ));
    // a client capped at TLS 1.0 sends no signature_algorithms (which rustls
    // requires): it gets the TLS 1.0 flight all the same
    assert_eq!(curl(&["--tls-max", "1.0"]).await, legacy);
    let ev = settled(&events, 3).await;
    assert!(
        matches!(ev[2].outcome, Outcome::LegacyFlight { .. }),
        "{ev:?}"
    );
    server.stop().await;

    let (server, _) = serve(SiteConfig {
        plain_http: true,
        ..Default::default()
    })
    .await;
    let port = server.local_addr().port();
    let o = blocking(
        "curl",
        vec![
            "-sS".into(),
            "--max-time".into(),
            "10".into(),
            format!("http://127.0.0.1:{port}/x"),
        ],
    )
    .await;
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "ccelab: /x via plain http\n"
    );
    // https to the plain port: curl's wrong-version error
    let o = blocking(
        "curl",
        vec![
            "-sS".into(),
            "-k".into(),
            "--max-time".into(),
            "10".into(),
            format!("https://127.0.0.1:{port}/"),
        ],
    )
    .await;
    assert_eq!(o.status.code(), Some(35), "{}", text(&o));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_peers_do_not_take_the_server_down() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let l = lab(KeyType::EcP256);
    let (server, events) = serve(SiteConfig {
        bindings: vec![Binding::new("b", l.leaf.chain(), l.leaf.key.clone())],
        ..Default::default()
    })
    .await;
    let addr = server.local_addr();
    for junk in [
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        &[0x16, 0x03, 0x01, 0xff, 0xff, 1, 2, 3][..],
        &[0u8; 64][..],
    ] {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let _ = s.write_all(junk).await;
        let _ = s.shutdown().await;
        let mut sink = Vec::new();
        let _ =
            tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut sink)).await;
    }
    // still serving
    let o = blocking(
        "curl",
        vec![
            "-sS".into(),
            "-k".into(),
            "--max-time".into(),
            "10".into(),
            format!("https://{addr}/"),
        ],
    )
    .await;
    assert!(o.status.success(), "{}", text(&o));
    assert!(events
        .snapshot()
        .iter()
        .any(|e| e.outcome == Outcome::NotTls));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_serves_a_new_certificate_on_the_same_socket() {
    use ccelab_emulators::personality::{fetch_chain, Contact};
    let a = lab(KeyType::Rsa2048);
    let b = lab(KeyType::EcP256);
    let site = |l: &Lab| SiteConfig {
        bindings: vec![Binding::new("b", l.leaf.chain(), l.leaf.key.clone())],
        ..SiteConfig::default()
    };
    let (server, _) = serve(site(&a)).await;
    let addr = server.local_addr();
    let leaf = |c: Contact| match c {
        Contact::Presented { chain, .. } => chain[0].sha256_fingerprint(),
        other => panic!("{other:?}"),
    };
    let t = std::time::Duration::from_secs(5);
    assert_eq!(
        leaf(fetch_chain(addr, "ece.example.com", true, t).await),
        a.leaf.cert.sha256_fingerprint()
    );
    server.reload(site(&b), hello_handler()).unwrap();
    assert_eq!(server.local_addr(), addr);
    assert_eq!(
        leaf(fetch_chain(addr, "ece.example.com", true, t).await),
        b.leaf.cert.sha256_fingerprint()
    );
}

/// A plain-HTTP listener with `limits` whose handler answers the body's length.
async fn plain_with(limits: ccelab_emulators::tls::Limits) -> TlsServer {
    let site = SiteConfig {
        plain_http: true,
        limits,
        ..SiteConfig::default()
    };
    let h = ccelab_emulators::tls::handler(|r| {
        ccelab_emulators::tls::HttpResponse::text(200, format!("body {}\n", r.body.len()))
    });
    TlsServer::start("127.0.0.1:0".parse().unwrap(), site, h, Events::default())
        .await
        .unwrap()
}

/// A restart closes the connections the old service accepted (a browser's
/// keep-alive connection must not outlive the Tomcat or IIS that accepted
/// it: issue 18's Finesse case found it); a reload (a load balancer's)
/// keeps them; a stop closes them.
#[tokio::test]
async fn restart_and_stop_close_open_connections_reload_keeps_them() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = plain_with(ccelab_emulators::tls::Limits::TOMCAT).await;
    let addr = server.local_addr();
    let req = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab";
    // one exchange on a kept-alive connection: the reply, the socket still open
    async fn ask(s: &mut tokio::net::TcpStream, req: &[u8]) -> Option<String> {
        s.write_all(req).await.ok()?;
        let mut buf = vec![0u8; 4096];
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        (n > 0).then(|| String::from_utf8_lossy(&buf[..n]).into_owned())
    }
    let mut kept = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(ask(&mut kept, req).await.unwrap().ends_with("body 2\n"));
    let site = SiteConfig {
        plain_http: true,
        ..SiteConfig::default()
    };
    let h = || {
        ccelab_emulators::tls::handler(|_| ccelab_emulators::tls::HttpResponse::text(200, "new\n"))
    };
    server.reload(site.clone(), h()).unwrap();
    // the old connection goes on with the old handler
    assert!(ask(&mut kept, req).await.unwrap().ends_with("body 2\n"));
    server.restart(site, h()).unwrap();
    let mut eof = [0u8; 1];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), kept.read(&mut eof))
        .await
        .expect("closed within 5 s");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    // a new connection gets the new service
    let mut fresh = tokio::net::TcpStream::connect(addr).await.unwrap();
    assert!(ask(&mut fresh, req).await.unwrap().ends_with("new\n"));
    server.stop().await;
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), fresh.read(&mut eof))
        .await
        .expect("closed within 5 s");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
}

/// A handler's WebSocket: RFC 6455's handshake (the RFC's own example key
/// and accept value), the first text frame, a close answered; a restart
/// closes an open WebSocket too. (Chromium opens Live Data's in
/// harness/tests/browser.rs.)
#[tokio::test]
async fn websockets_follow_rfc_6455_and_end_with_the_service() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    assert_eq!(
        ccelab_emulators::tls::websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    let site = || SiteConfig {
        plain_http: true,
        ..SiteConfig::default()
    };
    let h = || {
        ccelab_emulators::tls::handler(|r| {
            if r.path == "/ws" {
                ccelab_emulators::tls::HttpResponse::websocket("hello")
            } else {
                ccelab_emulators::tls::HttpResponse::text(404, "no\n")
            }
        })
    };
    let server = TlsServer::start(
        "127.0.0.1:0".parse().unwrap(),
        site(),
        h(),
        Events::default(),
    )
    .await
    .unwrap();
    let addr = server.local_addr();
    let open = || async {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        s.write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").await.unwrap();
        let mut got = Vec::new();
        let mut b = [0u8; 1];
        while !got.ends_with(b"hello") && got.len() < 4096 {
            assert_eq!(
                s.read(&mut b).await.unwrap(),
                1,
                "{}",
                String::from_utf8_lossy(&got)
            );
            got.push(b[0]);
        }
        (s, got)
    };
    let (mut s, got) = open().await;
    assert!(got.ends_with(b"\r\n\r\n\x81\x05hello"), "{got:?}");
    let text = String::from_utf8_lossy(&got).into_owned();
    assert!(
        text.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
        "{text}"
    );
    // (hyper title-cases the name: `Sec-Websocket-Accept`; names are case-blind)
    assert!(
        text.to_ascii_lowercase()
            .contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo=\r\n"),
        "{text}"
    );
    // a masked close frame: answered with a close, then the socket closes
    s.write_all(&[0x88, 0x80, 1, 2, 3, 4]).await.unwrap();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), s.read_to_end(&mut rest)).await;
    assert_eq!(rest, [0x88, 0x00]);
    // not a WebSocket handshake: 400
    let plain = exchange(
        addr,
        b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(plain.starts_with("HTTP/1.1 400"), "{plain}");
    // an open WebSocket keeps its connection's place under the cap
    let capped = TlsServer::start(
        "127.0.0.1:0".parse().unwrap(),
        SiteConfig {
            plain_http: true,
            limits: ccelab_emulators::tls::Limits {
                max_connections: 1,
                ..ccelab_emulators::tls::Limits::HTTP_SYS
            },
            ..SiteConfig::default()
        },
        h(),
        Events::default(),
    )
    .await
    .unwrap();
    let mut ws = tokio::net::TcpStream::connect(capped.local_addr())
        .await
        .unwrap();
    ws.write_all(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").await.unwrap();
    let mut head = [0u8; 12];
    ws.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 101");
    let over = exchange(capped.local_addr(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        over.is_empty(),
        "over the cap: closed at accept, not {over:?}"
    );
    drop(ws);
    // an open WebSocket ends with a restart of its service
    let (mut s, _) = open().await;
    server.restart(site(), h()).unwrap();
    let mut eof = [0u8; 1];
    let closed = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut eof))
        .await
        .expect("closed within 5 s");
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
}

/// Sends `req` and reads until the server closes (at most 10 s): the answer.
async fn exchange(addr: SocketAddr, req: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = s.write_all(req).await;
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut buf)).await;
    String::from_utf8_lossy(&buf).into_owned()
}

/// Issue 11 D6: a body over the listener's limit is answered 413 (declared
/// or chunked), broken chunked framing 400; the handler never sees a
/// truncated body.
#[tokio::test]
async fn bodies_over_the_limit_are_413_and_broken_framing_400() {
    let limits = ccelab_emulators::tls::Limits {
        max_body: 1000,
        ..ccelab_emulators::tls::Limits::HTTP_SYS
    };
    let srv = plain_with(limits).await;
    let a = srv.local_addr();
    let ok = exchange(
        a,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"
            .iter()
            .chain(&[b'a'; 1000])
            .copied()
            .collect::<Vec<_>>()
            .as_slice(),
    )
    .await;
    assert!(
        ok.starts_with("HTTP/1.1 200") && ok.contains("body 1000"),
        "{ok}"
    );
    let declared = exchange(
        a,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n",
    )
    .await;
    assert!(declared.starts_with("HTTP/1.1 413"), "{declared}");
    let mut chunked = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend_from_slice(&[b'b'; 0x200]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let over = exchange(a, &chunked).await;
    assert!(over.starts_with("HTTP/1.1 413"), "{over}");
    assert!(!over.contains("body "), "{over}");
    let broken = exchange(
        a,
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    )
    .await;
    assert!(broken.starts_with("HTTP/1.1 400"), "{broken}");
    assert!(!broken.contains("body "), "{broken}");
}

/// Issue 11 D2: a client that sends its headers too slowly, or keeps an idle
/// connection, is disconnected after the listener's header timeout; past the
/// connection cap a new connection is closed at once while the others are
/// served.
#[tokio::test]
async fn slow_and_idle_clients_are_disconnected_and_connections_capped() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let limits = ccelab_emulators::tls::Limits {
        header_timeout: std::time::Duration::from_millis(300),
        max_connections: 2,
        ..ccelab_emulators::tls::Limits::HTTP_SYS
    };
    let srv = plain_with(limits).await;
    let a = srv.local_addr();
    let closed_within = |mut s: tokio::net::TcpStream| async move {
        let mut buf = Vec::new();
        tokio::time::timeout(std::time::Duration::from_secs(10), s.read_to_end(&mut buf))
            .await
            .is_ok()
    };
    // slowloris: half a request line, then nothing
    let mut slow = tokio::net::TcpStream::connect(a).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHo").await.unwrap();
    assert!(
        closed_within(slow).await,
        "a slow client keeps its connection"
    );
    // idle after a whole request on a kept-alive connection
    let mut idle = tokio::net::TcpStream::connect(a).await.unwrap();
    idle.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(closed_within(idle).await, "an idle connection is kept");
    // the cap: two held connections, a third closed as it is accepted
    let held = vec![
        tokio::net::TcpStream::connect(a).await.unwrap(),
        tokio::net::TcpStream::connect(a).await.unwrap(),
    ];
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let third = exchange(a, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
    assert_eq!(third, "", "over the cap");
    drop(held);
    // once the held ones time out or go, clients are served again
    let mut served = String::new();
    for _ in 0..50 {
        served = exchange(a, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await;
        if served.starts_with("HTTP/1.1 200") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(served.starts_with("HTTP/1.1 200"), "{served}");
}

//! The VOS admin CLI's SSH server against bad and many peers: garbage
//! instead of an SSH version line, garbage after the key exchange, a client
//! that disconnects in the middle of a service restart, 200 sessions at once
//! — the server stays up and the next good client gets its `admin:` prompt
//! and its answers.

use std::sync::Arc;
use std::time::Duration;

use ccelab_emulators::clock::Clock;
use ccelab_emulators::host::VirtualDisk;
use ccelab_emulators::pki::{keypool, KeyType};
use ccelab_emulators::platform::vos::{self, ssh::SshServer, Vos, VosConfig};
use russh::ChannelMsg;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn platform(dir: &std::path::Path) -> Arc<Vos> {
    let clock = Clock::fixed(time::macros::datetime!(2026-12-01 00:00 UTC));
    let disk = VirtualDisk::new(dir);
    let own = vos::self_signed_tomcat(
        "finessea.example.com",
        clock.now(),
        keypool::key(KeyType::Rsa2048, 10).unwrap(),
    )
    .unwrap();
    vos::write_disk("finesse-a", &disk, &own, &[]).unwrap();
    Vos::new(
        "finesse-a",
        "finessea.example.com",
        disk,
        clock,
        VosConfig {
            version: "12.6.2.10000-24".into(),
            admin: ("admin".into(), "Password1".into()),
            services: vec![("Cisco Tomcat".into(), true)],
            restart_time: Duration::from_millis(400),
            hardware: vec!["4 vCPU".into()],
            key_slots: [10, 16],
        },
    )
}

struct Client;

impl russh::client::Handler for Client {
    type Error = russh::Error;
    async fn check_server_key(
        &mut self,
        _key: &russh::keys::PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// Logs in, opens a shell with a pty, and returns the channel once
/// `admin:` arrived.
async fn shell(
    addr: std::net::SocketAddr,
) -> (
    russh::client::Handle<Client>,
    russh::Channel<russh::client::Msg>,
) {
    let config = Arc::new(russh::client::Config::default());
    let mut h = russh::client::connect(config, addr, Client).await.unwrap();
    let auth = h.authenticate_password("admin", "Password1").await.unwrap();
    assert!(auth.success());
    let ch = h.channel_open_session().await.unwrap();
    ch.request_pty(true, "xterm", 80, 24, 0, 0, &[])
        .await
        .unwrap();
    ch.request_shell(true).await.unwrap();
    let mut ch = ch;
    read_until(&mut ch, "admin:").await;
    (h, ch)
}

async fn read_until(ch: &mut russh::Channel<russh::client::Msg>, what: &str) -> String {
    let mut got = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !got.contains(what) {
        let msg = tokio::time::timeout_at(deadline, ch.wait())
            .await
            .unwrap_or_else(|_| panic!("no {what:?} in {got:?}"));
        match msg {
            Some(ChannelMsg::Data { data }) => got.push_str(&String::from_utf8_lossy(&data)),
            Some(_) => {}
            None => panic!("channel closed before {what:?}: {got:?}"),
        }
    }
    got
}

async fn good_client_works(addr: std::net::SocketAddr) {
    let (_h, mut ch) = shell(addr).await;
    ch.data(&b"show version active\r"[..]).await.unwrap();
    let out = read_until(&mut ch, "Found.\r\nadmin:").await;
    assert!(
        out.contains("Active Master Version: 12.6.2.10000-24\r\n"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ssh_server_outlives_bad_and_many_peers() {
    let dir = tempfile::tempdir().unwrap();
    let v = platform(dir.path());
    let server = SshServer::start("127.0.0.1:0".parse().unwrap(), v.clone())
        .await
        .unwrap();
    let addr = server.local_addr();

    // garbage instead of a version line: the server sends its own and gives up
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut banner = [0u8; 64];
    let n = tcp.read(&mut banner).await.unwrap();
    assert!(String::from_utf8_lossy(&banner[..n]).starts_with("SSH-2.0-OpenSSH_7.4\r\n"));
    tcp.write_all(&[0xffu8; 4096]).await.unwrap();
    let mut rest = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut rest)).await;
    drop(tcp);

    // a version line, then garbage packets
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let _ = tcp.read(&mut banner).await.unwrap();
    tcp.write_all(b"SSH-2.0-fuzz\r\n").await.unwrap();
    tcp.write_all(&[0x00, 0x00, 0x7f, 0xff, 0x01, 0x02])
        .await
        .unwrap();
    tcp.write_all(&[0x41u8; 8192]).await.unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut rest)).await;
    drop(tcp);
    good_client_works(addr).await;

    // a client that leaves during a restart: the service still comes back
    {
        let (h, ch) = shell(addr).await;
        ch.data(&b"utils service restart Cisco Tomcat\r"[..])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(ch);
        drop(h);
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        v.service_named("Cisco Tomcat").map(|s| s.1),
        Some(vos::ServiceStatus::Started)
    );

    // 200 sessions at once, each running a command
    let mut jobs = Vec::new();
    for _ in 0..200 {
        jobs.push(tokio::spawn(async move {
            let (_h, mut ch) = shell(addr).await;
            ch.data(&b"show cert list own\r"[..]).await.unwrap();
            let out = read_until(&mut ch, "system\r\nadmin:").await;
            assert!(out.contains("tomcat/tomcat.pem: Self-signed certificate generated by system"));
        }));
    }
    for j in jobs {
        j.await.unwrap();
    }
    good_client_works(addr).await;

    // a wrong password is refused
    let config = Arc::new(russh::client::Config::default());
    let mut h = russh::client::connect(config, addr, Client).await.unwrap();
    let auth = h.authenticate_password("admin", "wrong").await.unwrap();
    assert!(!auth.success());
    server.stop().await;
}

//! The AD DC's LDAP handling, BER framing and operations together: each
//! input is what one client sends on a connection to port 389 (then it
//! closes its side); the DC answers or closes, and keeps serving others.
#![no_main]
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use ccelab_emulators::ad_dc::{AdListener, DcOptions, Directory, DomainController, PortKind};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Dc {
    rt: tokio::runtime::Runtime,
    addr: SocketAddr,
    _listener: AdListener,
}

fn dc() -> &'static Dc {
    static DC: OnceLock<Dc> = OnceLock::new();
    DC.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = rt.block_on(async {
            let dc = DomainController::new(Directory::example_local(), DcOptions::default());
            dc.listen("127.0.0.1:0".parse().expect("addr"), PortKind::Ldap)
                .await
                .expect("listen")
        });
        Dc {
            addr: listener.local_addr(),
            rt,
            _listener: listener,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let dc = dc();
    dc.rt.block_on(async {
        let Ok(mut s) = tokio::net::TcpStream::connect(dc.addr).await else {
            panic!("the DC stopped accepting connections");
        };
        let _ = s.write_all(data).await;
        let _ = s.shutdown().await;
        let mut out = Vec::new();
        let r = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
        assert!(r.is_ok(), "the DC kept a closed client's connection open");
    });
});

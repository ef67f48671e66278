//! The TLS 1.0/1.1 messages ccelab reads by hand (`tls::legacy`): a
//! client's ClientHello (what a TLS 1.0-only binding parses) and a server's
//! first flight (what the curl/s_client probe parses) — parsed or refused,
//! never a panic; a parsed hello gets a flight that reads back.
#![no_main]
use std::sync::OnceLock;

use ccelab_emulators::pki::{keypool, Issued, KeyType};
use ccelab_emulators::tls::legacy::{read_server_flight, server_flight, ClientHelloInfo, TLS10, TLS11};
use libfuzzer_sys::fuzz_target;

fn leaf() -> &'static Issued {
    static LEAF: OnceLock<Issued> = OnceLock::new();
    LEAF.get_or_init(|| {
        let now = time::OffsetDateTime::now_utc();
        let p = ccelab_emulators::pki::CertParams::leaf("CN=fuzz.example.com", now, now + time::Duration::days(1))
            .expect("params");
        Issued::self_signed(&p, keypool::key(KeyType::Rsa2048, 2).expect("pool key")).expect("leaf")
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = read_server_flight(data);
    if let Some(hello) = ClientHelloInfo::parse(data) {
        if let Some(v) = hello.best_of(&[TLS10, TLS11]) {
            let leaf = leaf();
            if let Some(flight) = server_flight(v, &hello, &leaf.chain(), &leaf.key) {
                assert!(read_server_flight(&flight).is_some());
            }
        }
    }
});

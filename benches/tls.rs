//! TLS benchmarks: full handshakes through ccelab's server path per key type
//! × chain depth × protocol version, resumed handshakes, and the personality
//! verdicts on a 3-certificate chain next to raw rustls-webpki verification.
//!
//! `cargo bench -p ccelab-benches --bench tls`

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use ccelab_emulators::personality::{self, Personality};
use ccelab_emulators::pki::{keypool, Ca, CertParams, Certificate, Issued, KeyType, San};
use ccelab_emulators::tls::{hello_handler, Binding, Events, SiteConfig, TlsServer};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use time::{Duration, OffsetDateTime};

struct Chain {
    root: Certificate,
    leaf: Issued,
}

/// A chain of `depth` certificates (1: self-signed leaf; 2: root → leaf; 3: root → issuing → leaf).
fn chain(kt: KeyType, depth: usize) -> Chain {
    let now = OffsetDateTime::now_utc();
    let ca =
        |cn: &str| CertParams::ca(cn, now - Duration::days(1), now + Duration::days(3650)).unwrap();
    let lp = CertParams::leaf(
        "CN=bench.example.com",
        now - Duration::days(1),
        now + Duration::days(365),
    )
    .unwrap()
    .with_sans([San::Dns("bench.example.com".into())]);
    let key = keypool::key(kt, 5).unwrap();
    match depth {
        1 => {
            let leaf = Issued::self_signed(&lp, key).unwrap();
            Chain {
                root: leaf.cert.clone(),
                leaf,
            }
        }
        2 => {
            let root = Ca::root(&ca("CN=Bench Root"), keypool::key(kt, 6).unwrap()).unwrap();
            Chain {
                root: root.cert.clone(),
                leaf: root.issue(&lp, key).unwrap(),
            }
        }
        _ => {
            let root = Ca::root(&ca("CN=Bench Root"), keypool::key(kt, 6).unwrap()).unwrap();
            let inter = root
                .intermediate(&ca("CN=Bench Issuing"), keypool::key(kt, 7).unwrap())
                .unwrap();
            Chain {
                root: root.cert.clone(),
                leaf: inter.issue(&lp, key).unwrap(),
            }
        }
    }
}

fn client(
    root: &Certificate,
    version: &'static rustls::SupportedProtocolVersion,
    resume: bool,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(root.der().to_vec()))
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut c = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    if !resume {
        c.resumption = rustls::client::Resumption::disabled();
    }
    Arc::new(c)
}

/// A handshake and one request: the client reads past the handshake, so it
/// receives the TLS 1.3 session tickets the next connection resumes with.
async fn handshake_and_get(addr: SocketAddr, cfg: Arc<rustls::ClientConfig>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let name = ServerName::try_from("bench.example.com").unwrap();
    let mut s = tokio_rustls::TlsConnector::from(cfg)
        .connect(name, tcp)
        .await
        .unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: bench.example.com\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut sink = Vec::new();
    let _ = s.read_to_end(&mut sink).await;
}

async fn handshake(addr: SocketAddr, cfg: Arc<rustls::ClientConfig>) {
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let name = ServerName::try_from("bench.example.com").unwrap();
    let s = tokio_rustls::TlsConnector::from(cfg)
        .connect(name, tcp)
        .await
        .unwrap();
    drop(s);
}

/// A ccelab TLS server for `site` on an ephemeral loopback port.
fn serve(rt: &tokio::runtime::Runtime, site: SiteConfig) -> TlsServer {
    rt.block_on(TlsServer::start(
        "127.0.0.1:0".parse().unwrap(),
        site,
        hello_handler(),
        Events::default(),
    ))
    .unwrap()
}

fn handshakes(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mut g = c.benchmark_group("full_handshake");
    g.measurement_time(StdDuration::from_secs(3))
        .warm_up_time(StdDuration::from_secs(1));
    for kt in [
        KeyType::Rsa2048,
        KeyType::Rsa3072,
        KeyType::Rsa4096,
        KeyType::EcP256,
    ] {
        for depth in 1..=3 {
            let ch = chain(kt, depth);
            let site = SiteConfig {
                bindings: vec![Binding::new("b", ch.leaf.chain(), ch.leaf.key.clone())],
                ..Default::default()
            };
            let server = serve(&rt, site);
            for (vname, v) in [
                ("tls12", &rustls::version::TLS12),
                ("tls13", &rustls::version::TLS13),
            ] {
                let cfg = client(&ch.root, v, false);
                let id = BenchmarkId::new(format!("{kt}/depth{depth}"), vname);
                g.bench_function(id, |b| {
                    b.iter(|| rt.block_on(handshake(server.local_addr(), cfg.clone())))
                });
            }
            rt.block_on(server.stop());
        }
    }
    g.finish();

    let mut g = c.benchmark_group("handshake_and_request");
    g.measurement_time(StdDuration::from_secs(3))
        .warm_up_time(StdDuration::from_secs(1));
    let ch = chain(KeyType::Rsa2048, 3);
    let site = SiteConfig {
        bindings: vec![Binding::new("b", ch.leaf.chain(), ch.leaf.key.clone())],
        ..Default::default()
    };
    let server = serve(&rt, site);
    for (vname, v) in [
        ("tls12", &rustls::version::TLS12),
        ("tls13", &rustls::version::TLS13),
    ] {
        for (mode, resume) in [("full", false), ("resumed", true)] {
            let cfg = client(&ch.root, v, resume);
            rt.block_on(handshake_and_get(server.local_addr(), cfg.clone()));
            g.bench_function(
                BenchmarkId::new(format!("rsa2048/depth3/{mode}"), vname),
                |b| b.iter(|| rt.block_on(handshake_and_get(server.local_addr(), cfg.clone()))),
            );
        }
    }
    g.finish();
    rt.block_on(server.stop());
}

fn verdicts(c: &mut Criterion) {
    let ch = chain(KeyType::Rsa2048, 3);
    let sent = ch.leaf.chain();
    let anchors = vec![ch.root.clone()];
    let now = OffsetDateTime::now_utc();
    let mut g = c.benchmark_group("verdict_3_cert_chain");
    for p in [
        Personality::JAVA17,
        Personality::Java(ccelab_emulators::personality::jre::Jre::Jdk8(221)),
        Personality::OpenSsl,
        Personality::Curl,
        Personality::Browser,
    ] {
        g.bench_function(p.name(), |b| {
            b.iter(|| {
                black_box(personality::judge(
                    p,
                    &sent,
                    &anchors,
                    "bench.example.com",
                    now,
                ))
            })
        });
    }
    // the reference: raw rustls-webpki on the same chain
    let root_der = CertificateDer::from(ch.root.der().to_vec());
    let anchor = webpki::anchor_from_trusted_cert(&root_der)
        .unwrap()
        .to_owned();
    let leaf_der = CertificateDer::from(sent[0].der().to_vec());
    let inter: Vec<CertificateDer<'static>> = sent[1..]
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    let algs = rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms;
    let t = UnixTime::since_unix_epoch(StdDuration::from_secs(now.unix_timestamp() as u64));
    g.bench_function("raw_webpki", |b| {
        b.iter(|| {
            let ee = webpki::EndEntityCert::try_from(&leaf_der).unwrap();
            black_box(
                ee.verify_for_usage(
                    algs.all,
                    std::slice::from_ref(&anchor),
                    &inter,
                    t,
                    webpki::KeyUsage::server_auth(),
                    None,
                    None,
                )
                .is_ok(),
            )
        })
    });
    g.finish();
}

/// What one full TLS 1.3 handshake must cost the server whatever serves it,
/// for the server-CPU figures of `benches/compare.sh` (issue 12): the
/// RSA-2048 signature (RSA-PSS-SHA256, through the signing key rustls uses),
/// an X25519 key pair and agreement, and the whole rustls server side of a
/// handshake driven in memory — no sockets, no runtime — with the client of
/// `openssl s_time` (X25519 only, TLS_AES_256_GCM_SHA384 first). The gap
/// between the last figure and ccelab's server CPU per handshake is what
/// ccelab (tokio, the kernel's TCP, its events) adds.
fn handshake_floor(c: &mut Criterion) {
    use rustls::crypto::aws_lc_rs::{default_provider, kx_group};
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let ch = chain(KeyType::Rsa2048, 3);
    let mut g = c.benchmark_group("server_handshake_floor");
    g.measurement_time(StdDuration::from_secs(3))
        .warm_up_time(StdDuration::from_secs(1));
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ch.leaf.key.pkcs8_der().to_vec()));
    let key = rustls::crypto::aws_lc_rs::sign::any_supported_type(&der).unwrap();
    let signer = key
        .choose_scheme(&[rustls::SignatureScheme::RSA_PSS_SHA256])
        .unwrap();
    let transcript = [7u8; 130];
    g.bench_function("rsa2048_pss_sha256_sign", |b| {
        b.iter(|| black_box(signer.sign(&transcript).unwrap()))
    });
    let peer = kx_group::X25519.start().unwrap().pub_key().to_vec();
    g.bench_function("x25519_keypair_and_agreement", |b| {
        b.iter(|| {
            let kx = kx_group::X25519.start().unwrap();
            black_box(kx.complete(&peer).unwrap())
        })
    });
    let server_cfg = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                ch.leaf
                    .chain()
                    .iter()
                    .map(|c| CertificateDer::from(c.der().to_vec()))
                    .collect(),
                der.clone_key(),
            )
            .unwrap(),
    );
    let mut provider = default_provider();
    provider.kx_groups = vec![kx_group::X25519];
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from(ch.root.der().to_vec()))
        .unwrap();
    let mut client_cfg = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client_cfg.resumption = rustls::client::Resumption::disabled();
    let client_cfg = Arc::new(client_cfg);
    let mut no_tickets = (*server_cfg).clone();
    no_tickets.send_tls13_tickets = 0;
    for (id, cfg) in [
        ("rustls_server_side_in_memory_tls13", server_cfg),
        (
            "rustls_server_side_in_memory_tls13_no_tickets",
            Arc::new(no_tickets),
        ),
    ] {
        g.bench_function(id, |b| {
            b.iter_custom(|n| server_side_time(n, &client_cfg, &cfg))
        });
    }
    g.finish();
}

/// The server side's share of `n` TLS handshakes driven in memory.
fn server_side_time(
    n: u64,
    client_cfg: &Arc<rustls::ClientConfig>,
    server_cfg: &Arc<rustls::ServerConfig>,
) -> StdDuration {
    let mut server_time = StdDuration::ZERO;
    for _ in 0..n {
        let name = ServerName::try_from("bench.example.com").unwrap();
        let mut cl = rustls::ClientConnection::new(client_cfg.clone(), name).unwrap();
        let start = std::time::Instant::now();
        let mut sv = rustls::ServerConnection::new(server_cfg.clone()).unwrap();
        server_time += start.elapsed();
        loop {
            let mut wire = Vec::new();
            while cl.wants_write() {
                cl.write_tls(&mut wire).unwrap();
            }
            let start = std::time::Instant::now();
            let mut rd = &wire[..];
            while !rd.is_empty() {
                sv.read_tls(&mut rd).unwrap();
                sv.process_new_packets().unwrap();
            }
            let mut back = Vec::new();
            while sv.wants_write() {
                sv.write_tls(&mut back).unwrap();
            }
            server_time += start.elapsed();
            let mut rd = &back[..];
            while !rd.is_empty() {
                cl.read_tls(&mut rd).unwrap();
                cl.process_new_packets().unwrap();
            }
            if !cl.wants_write() && back.is_empty() && !sv.is_handshaking() {
                break;
            }
        }
        let start = std::time::Instant::now();
        drop(black_box(sv));
        server_time += start.elapsed();
    }
    server_time
}

criterion_group!(benches, handshakes, verdicts, handshake_floor);
criterion_main!(benches);

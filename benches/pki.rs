//! PKI benchmarks: issuing a leaf per key type with a pooled key and with a
//! freshly generated one, and the target of the foundation issue — the ~15
//! RSA-2048 certificates of a full topology issued warm in under 20 ms.
//!
//! `cargo bench -p ccelab-benches --bench pki`

use std::hint::black_box;

use ccelab_emulators::pki::{keypool, Ca, CertParams, KeyPair, KeyType, San};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::SeedableRng;
use time::macros::datetime;
use time::Duration;

fn root() -> Ca {
    let t0 = datetime!(2026-01-01 0:00 UTC);
    let p = CertParams::ca(
        "CN=Bench Root CA, DC=example, DC=local",
        t0,
        t0 + Duration::days(3650),
    )
    .unwrap();
    Ca::root(&p, keypool::key(KeyType::Rsa2048, 0).unwrap()).unwrap()
}

fn leaf(i: usize) -> CertParams {
    let t0 = datetime!(2026-01-01 0:00 UTC);
    CertParams::leaf(
        &format!("CN=host{i}.example.com"),
        t0,
        t0 + Duration::days(365),
    )
    .unwrap()
    .with_sans([San::Dns(format!("host{i}.example.com"))])
}

fn issue_per_key_type(c: &mut Criterion) {
    let ca = root();
    let mut g = c.benchmark_group("issue_leaf_pooled_key");
    for kt in KeyType::ALL {
        let key = keypool::key(kt, 1).unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(kt), &kt, |b, _| {
            b.iter(|| black_box(ca.issue(&leaf(1), key.clone()).unwrap()))
        });
    }
    g.finish();
    let mut g = c.benchmark_group("issue_leaf_fresh_key");
    g.sample_size(10);
    for kt in KeyType::ALL {
        g.bench_with_input(BenchmarkId::from_parameter(kt), &kt, |b, &kt| {
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
            b.iter(|| {
                let key = KeyPair::generate(kt, &mut rng).unwrap();
                black_box(ca.issue(&leaf(1), key).unwrap())
            })
        });
    }
    g.finish();
}

fn full_topology(c: &mut Criterion) {
    // warm: the pool keys are parsed once, as in a long-lived process
    for i in 0..16 {
        keypool::key(KeyType::Rsa2048, i).unwrap();
    }
    c.bench_function("topology_15_rsa2048_certificates", |b| {
        b.iter(|| {
            let ca = root();
            let t0 = datetime!(2026-01-01 0:00 UTC);
            let p = CertParams::ca(
                "CN=Bench Issuing CA, DC=example, DC=local",
                t0,
                t0 + Duration::days(1825),
            )
            .unwrap();
            let issuing = ca
                .intermediate(&p, keypool::key(KeyType::Rsa2048, 1).unwrap())
                .unwrap();
            for i in 2..15 {
                black_box(
                    issuing
                        .issue(&leaf(i), keypool::key(KeyType::Rsa2048, i).unwrap())
                        .unwrap(),
                );
            }
        })
    });
}

criterion_group!(benches, issue_per_key_type, full_topology);
criterion_main!(benches);

//! Store benchmarks: loading and saving JKS and PKCS#12 stores of 150 trusted
//! certificates, the size of a JDK `cacerts`; a PEM file of 4,000 copies
//! of one certificate (alias naming, issue 11 D5).
//!
//! `cargo bench -p ccelab-benches --bench stores`

use std::hint::black_box;

use ccelab_emulators::pki::{keypool, Ca, CertParams, KeyType};
use ccelab_emulators::stores::{Keystore, StoreType};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use time::macros::datetime;
use time::Duration;

fn store_of_150(t: StoreType) -> Keystore {
    let t0 = datetime!(2026-01-01 0:00 UTC);
    let p = CertParams::ca("CN=Bench Root CA", t0, t0 + Duration::days(3650)).unwrap();
    let ca = Ca::root(&p, keypool::key(KeyType::Rsa2048, 0).unwrap()).unwrap();
    let mut ks = Keystore::new(t);
    for i in 0..150 {
        let key = keypool::key(KeyType::EcP256, i % 8).unwrap();
        let lp = CertParams::ca(
            &format!("CN=Public Root {i}, O=Bench"),
            t0,
            t0 + Duration::days(3650),
        )
        .unwrap();
        let c = ca.issue(&lp, key).unwrap().cert;
        ks.import_cert(&format!("root{i}"), c, t0).unwrap();
    }
    ks
}

fn load_save(c: &mut Criterion) {
    for t in [StoreType::Jks, StoreType::Pkcs12] {
        let ks = store_of_150(t);
        let bytes = ks.to_bytes("changeit", None).unwrap();
        let mut g = c.benchmark_group(format!("store_150_{t}"));
        g.bench_with_input(BenchmarkId::new("load", t), &bytes, |b, bytes| {
            b.iter(|| black_box(Keystore::load(bytes, Some("changeit")).unwrap()))
        });
        g.bench_with_input(BenchmarkId::new("save", t), &ks, |b, ks| {
            b.iter(|| black_box(ks.to_bytes("changeit", None).unwrap()))
        });
        g.finish();
    }
}

/// A PEM file of 4,000 copies of one certificate (issue 11 D5: naming the
/// aliases was cubic, 24.5 s; linear now).
fn pem_of_repeats(c: &mut Criterion) {
    let t0 = datetime!(2026-01-01 0:00 UTC);
    let p = CertParams::ca("CN=Bench Root CA", t0, t0 + Duration::days(3650)).unwrap();
    let ca = Ca::root(&p, keypool::key(KeyType::Rsa2048, 0).unwrap()).unwrap();
    let pem = ca.cert.to_pem().repeat(4000);
    let mut g = c.benchmark_group("pem_4000_copies");
    g.sample_size(10);
    g.bench_function("load", |b| {
        b.iter(|| black_box(Keystore::load(pem.as_bytes(), None).unwrap()))
    });
    g.finish();
}

criterion_group!(benches, load_save, pem_of_repeats);
criterion_main!(benches);

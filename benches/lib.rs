//! Criterion benchmarks live beside this file (`pki.rs`, `stores.rs`); this library is empty.

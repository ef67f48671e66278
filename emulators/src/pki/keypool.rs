//! The key pool: RSA-2048 generation costs ~120 ms (aws-lc) to seconds (pure
//! Rust), so no test and no topology generates RSA keys. Every key is
//! identified by `(KeyType, index)` and is the same everywhere:
//!
//! * indices below [`committed`] come from `emulators/keypool/<type>.pem`,
//!   committed to the repository and embedded in the binary — **public,
//!   test-only keys: never trust anything signed by them**;
//! * those files are the output of [`generate`], which derives each key from a
//!   ChaCha20 RNG seeded with `SHA-256("ccelab key pool v1/<type>/<index>")`,
//!   so they can be regenerated and checked (a test does, for the cheap types);
//! * indices past the committed ones are generated from the same seed on first
//!   use and memoised for the life of the process.
//!
//! A [`KeyAllocator`] hands out successive indices per type, so a topology that
//! asks for "the next RSA-2048 key" fifteen times gets the same fifteen keys on
//! every run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rand::SeedableRng;
use sha2::Digest;

use super::{pem, KeyPair, KeyType, PkiError};

fn embedded(kt: KeyType) -> &'static str {
    match kt {
        KeyType::Rsa1024 => include_str!("../../keypool/rsa1024.pem"),
        KeyType::Rsa2048 => include_str!("../../keypool/rsa2048.pem"),
        KeyType::Rsa3072 => include_str!("../../keypool/rsa3072.pem"),
        KeyType::Rsa4096 => include_str!("../../keypool/rsa4096.pem"),
        KeyType::EcP256 => include_str!("../../keypool/p256.pem"),
        KeyType::EcP384 => include_str!("../../keypool/p384.pem"),
    }
}

/// How many keys of each type the pool files hold (what [`write_pool`] writes).
pub fn pool_size(kt: KeyType) -> usize {
    match kt {
        KeyType::Rsa1024 => 8,
        KeyType::Rsa2048 => 40,
        KeyType::Rsa3072 => 4,
        KeyType::Rsa4096 => 4,
        KeyType::EcP256 | KeyType::EcP384 => 8,
    }
}

fn parsed() -> &'static HashMap<KeyType, Vec<Vec<u8>>> {
    static P: OnceLock<HashMap<KeyType, Vec<Vec<u8>>>> = OnceLock::new();
    P.get_or_init(|| {
        KeyType::ALL
            .into_iter()
            .map(|kt| {
                let ders = pem::parse(embedded(kt))
                    .map(|bs| bs.into_iter().map(|b| b.der).collect())
                    .unwrap_or_default();
                (kt, ders)
            })
            .collect()
    })
}

/// How many keys of `kt` are committed (embedded).
pub fn committed(kt: KeyType) -> usize {
    parsed().get(&kt).map_or(0, Vec::len)
}

/// The seed of key `(kt, index)`.
pub fn seed(kt: KeyType, index: usize) -> [u8; 32] {
    sha2::Sha256::digest(format!("ccelab key pool v1/{}/{index}", kt.name()).as_bytes()).into()
}

/// Generates key `(kt, index)` from its seed (slow for RSA: the pool's source of truth).
pub fn generate(kt: KeyType, index: usize) -> Result<Arc<KeyPair>, PkiError> {
    let mut rng = rand_chacha::ChaCha20Rng::from_seed(seed(kt, index));
    KeyPair::generate(kt, &mut rng)
}

/// Key `(kt, index)`: embedded when committed, else generated once per process.
pub fn key(kt: KeyType, index: usize) -> Result<Arc<KeyPair>, PkiError> {
    type Cache = Mutex<HashMap<(KeyType, usize), Arc<KeyPair>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(k) = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&(kt, index))
    {
        return Ok(k.clone());
    }
    let k = match parsed().get(&kt).and_then(|v| v.get(index)) {
        Some(der) => KeyPair::from_pkcs8_der(der)?,
        None => generate(kt, index)?,
    };
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    Ok(c.entry((kt, index)).or_insert(k).clone())
}

/// Writes the pool files (`<dir>/<type>.pem`) from [`generate`]. This is how
/// the committed files were made: `ccelab pki keypool --out emulators/keypool`.
pub fn write_pool(dir: &std::path::Path, types: &[KeyType]) -> Result<(), PkiError> {
    for &kt in types {
        let mut text = format!(
            "# ccelab key pool, {}: PUBLIC TEST-ONLY KEYS. Never trust anything they sign.\n",
            kt.name()
        );
        for i in 0..pool_size(kt) {
            text.push_str(&generate(kt, i)?.to_pkcs8_pem());
        }
        let path = dir.join(format!("{}.pem", kt.name()));
        std::fs::write(&path, text)
            .map_err(|e| PkiError::Encoding(format!("{}: {e}", path.display())))?;
    }
    Ok(())
}

/// Hands out successive pool keys per type, starting at index 0 (or at
/// `offset`, for a second topology that must not share keys with the first).
#[derive(Debug, Default)]
pub struct KeyAllocator {
    offset: usize,
    next: HashMap<KeyType, usize>,
}

impl KeyAllocator {
    /// An allocator that hands out each type's pool keys from index 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// An allocator whose first key of each type is pool index `offset`: a
    /// second topology started past the keys the first one took shares none
    /// with it.
    pub fn starting_at(offset: usize) -> Self {
        KeyAllocator {
            offset,
            next: HashMap::new(),
        }
    }

    /// The next key of type `kt`.
    pub fn next(&mut self, kt: KeyType) -> Result<Arc<KeyPair>, PkiError> {
        let n = self.next.entry(kt).or_insert(0);
        let idx = self.offset + *n;
        *n += 1;
        key(kt, idx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regenerates the committed pool files. Run on purpose only:
    /// `cargo test -p ccelab-emulators regenerate_pool_files -- --ignored`.
    #[test]
    #[ignore]
    fn regenerate_pool_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("keypool");
        write_pool(&dir, &KeyType::ALL).unwrap();
    }

    #[test]
    fn committed_pool_is_complete_and_typed() {
        for kt in KeyType::ALL {
            assert_eq!(committed(kt), pool_size(kt), "{kt}");
            for i in 0..committed(kt) {
                assert_eq!(key(kt, i).unwrap().key_type(), kt, "{kt}/{i}");
            }
        }
    }

    #[test]
    fn committed_keys_are_what_their_seeds_generate() {
        // The cheap types in full, one RSA-2048 as a witness for the rest.
        for kt in [KeyType::EcP256, KeyType::EcP384, KeyType::Rsa1024] {
            for i in 0..pool_size(kt) {
                assert_eq!(
                    key(kt, i).unwrap().pkcs8_der(),
                    generate(kt, i).unwrap().pkcs8_der(),
                    "{kt}/{i}"
                );
            }
        }
        assert_eq!(
            key(KeyType::Rsa2048, 0).unwrap().pkcs8_der(),
            generate(KeyType::Rsa2048, 0).unwrap().pkcs8_der()
        );
    }

    #[test]
    fn allocator_is_deterministic_and_distinct() {
        let mut a = KeyAllocator::new();
        let mut b = KeyAllocator::new();
        let a1 = a.next(KeyType::Rsa2048).unwrap();
        let a2 = a.next(KeyType::Rsa2048).unwrap();
        assert_eq!(
            a1.pkcs8_der(),
            b.next(KeyType::Rsa2048).unwrap().pkcs8_der()
        );
        assert_ne!(a1.pkcs8_der(), a2.pkcs8_der());
        let mut c = KeyAllocator::starting_at(1);
        assert_eq!(
            c.next(KeyType::Rsa2048).unwrap().pkcs8_der(),
            a2.pkcs8_der()
        );
    }

    #[test]
    fn past_the_committed_keys_generation_is_seeded() {
        let i = committed(KeyType::EcP256) + 3;
        assert_eq!(
            key(KeyType::EcP256, i).unwrap().pkcs8_der(),
            generate(KeyType::EcP256, i).unwrap().pkcs8_der()
        );
    }
}

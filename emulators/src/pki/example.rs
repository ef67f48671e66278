//! The example PKI of the lab and its tests: an AD CS enterprise root CA and
//! an issuing CA below it, named as AD CS names them (repeated `DC`
//! components: docs/requirements.md §1). One place for the topology, the
//! interop tests and the `ccelab check` tests.

use std::sync::Arc;

use time::OffsetDateTime;

use super::{Ca, CertParams, KeyPair, PkiError};

/// Subject of the example enterprise root CA.
pub const EXAMPLE_ROOT_DN: &str = "CN=Example Enterprise CA, DC=example, DC=local";

/// Subject of the example issuing (intermediate) CA below the root.
pub const EXAMPLE_ISSUING_DN: &str = "CN=Example Issuing CA, DC=example, DC=local";

/// The example enterprise root CA ([`EXAMPLE_ROOT_DN`]), self-signed with
/// `key`, valid from `not_before` to `not_after`.
pub fn example_root(
    key: Arc<KeyPair>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<Ca, PkiError> {
    Ca::root(
        &CertParams::ca(EXAMPLE_ROOT_DN, not_before, not_after)?,
        key,
    )
}

/// The example issuing CA ([`EXAMPLE_ISSUING_DN`]) for `key`, signed by
/// `root`, valid from `not_before` to `not_after`.
pub fn example_issuing(
    root: &Ca,
    key: Arc<KeyPair>,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> Result<Ca, PkiError> {
    root.intermediate(
        &CertParams::ca(EXAMPLE_ISSUING_DN, not_before, not_after)?,
        key,
    )
}

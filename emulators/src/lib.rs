//! ccelab's emulators: everything that imitates a real component of a Cisco
//! Packaged/Unified CCE 12.x topology. This crate holds the foundations —
//! the [`clock`], the [`pki`] (CAs, certificates, CSRs, the key pool) and the
//! key/trust [`stores`] in the formats the products use (JKS, JCEKS,
//! PKCS#12, PEM) — on which the per-role emulators are built.

pub mod clock;
pub mod host;
pub mod personality;
pub mod pki;
pub mod stores;
pub mod tls;

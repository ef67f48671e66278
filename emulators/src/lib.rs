//! ccelab's emulators: everything that imitates a real component of a Cisco
//! Packaged/Unified CCE 12.x topology: the foundations — the [`clock`], the
//! [`pki`] (CAs, certificates, CSRs, the key pool), the key/trust [`stores`]
//! in the formats the products use (JKS, JCEKS, PKCS#12, PEM), the [`tls`]
//! server with IIS binding semantics and the client [`personality`] of each
//! real client — and the roles built on them, such as the AD domain
//! controller / global catalog ([`ad_dc`]).

pub mod actors;
pub mod ad_dc;
pub mod ca;
pub mod cce_admin;
pub mod clock;
pub mod cuic;
pub mod cvp;
pub mod ece;
pub mod edges;
pub mod events;
pub mod finesse;
pub mod host;
pub mod ids;
pub mod lb;
pub mod net;
pub mod network;
pub mod personality;
pub mod pki;
pub mod platform;
pub mod product;
pub mod stores;
pub mod stubs;
pub mod tls;

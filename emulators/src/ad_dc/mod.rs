//! The Active Directory domain controller / global catalog of the topology
//! (docs/requirements.md §1: "LDAP GC 3268 (non-secure), GC over TLS 3269 (secure);
//! domain LDAP 389 / 636", example GC host `gcdcsrv01.example.local`, bind DN
//! `CN=pcceadmin, CN=Users, DC=example, DC=local`, DN attribute
//! `userPrincipalName`), as the ECE application servers reach it for
//! partition-administrator SSO ([ECE] 2.1–2.2). It answers real LDAP clients
//! (OpenLDAP's ldapsearch, python-ldap3, Java JNDI) the way a Windows Server
//! 2016+ DC does, with AD's exact diagnostic texts:
//!
//! * F5 — a search at the domain root on 389/636 returns the entries, then
//!   continuation references to ForestDnsZones, DomainDnsZones and
//!   Configuration; JNDI's default `referral=ignore` turns them into
//!   `javax.naming.PartialResultException: Unprocessed Continuation
//!   Reference(s); remaining name 'DC=example,DC=local'`. The GC ports
//!   3268/3269 answer with entries only (partial attribute set), and take
//!   the empty base for the whole forest.
//! * F15 — [`Policy::require_signing`] ("LDAP server signing requirements" =
//!   Require signing, KB4520412): a simple bind on 389/3268 without TLS gets
//!   strongerAuthRequired `00002028 … SSL\TLS …`; over 636/3269 or after
//!   StartTLS it succeeds.
//! * F16 — anonymous operations beyond the RootDSE get operationsError
//!   `000004DC … a successful bind must be completed on the connection.`
//! * F14 — LDAPS (636/3269) with the DC's certificate: a client whose trust
//!   store lacks it fails the handshake (JNDI: `CommunicationException …
//!   PKIX path building failed`).
//! * Bind failures: `80090308: LdapErr: … AcceptSecurityContext error, data
//!   52e, v4563` and the other `data` codes per account ([`BindFault`]).
//!
//! Sources: `docs/research/active-directory-ldap.md` (cited as "research §n"
//! in the submodules; every text there carries its public captures), MS-ADTS
//! (3.1.1.3.4.2.4 Who am I, 3.1.1.4.6 referrals, 3.1.1.4.7 continuations),
//! RFC 4511/4513/4532. Texts with no capture behind them are marked
//! **unverified** in [`texts`].
//!
//! ```no_run
//! # async fn demo() -> Result<(), ccelab_emulators::ad_dc::AdError> {
//! use ccelab_emulators::ad_dc::{Directory, DomainController, DcOptions, PortKind};
//! let dc = DomainController::new(Directory::example_local(), DcOptions::default());
//! let ldap = dc.listen("127.0.0.1:0".parse().unwrap(), PortKind::Ldap).await?;
//! let gc = dc.listen("127.0.0.1:0".parse().unwrap(), PortKind::Gc).await?;
//! println!("ldap://{} and ldap://{}", ldap.local_addr(), gc.local_addr());
//! dc.update_policy(|p| p.require_signing = true); // F15 from now on
//! # Ok(()) }
//! ```

mod directory;
pub mod dn;
pub mod product;
mod search;
mod server;
pub mod texts;

pub use directory::{
    Attribute, BindFault, Directory, DirectoryError, Entry, Login, Partition, PartitionKind,
    EXAMPLE_PASSWORD,
};
pub use server::{
    server_tls_config, AdError, AdEvent, AdEvents, AdListener, DcOptions, DomainController, Policy,
    PortKind, MAX_CONNECTIONS,
};
pub use texts::AdVersion;

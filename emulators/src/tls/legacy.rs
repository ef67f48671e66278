//! TLS 1.0 and 1.1 as far as today's clients get with them (issue 12).
//!
//! A server that speaks only TLS 1.0 (or 1.1) answers a client that offers
//! that version with the version's full first flight — ServerHello,
//! Certificate, an ECDHE ServerKeyExchange signed as TLS 1.0/1.1 sign it
//! (RSA PKCS #1 over MD5 ‖ SHA-1, RFC 4346 §7.4.3, RFC 4492 §5.4) and
//! ServerHelloDone — and a client that offers only TLS 1.2/1.3 with a
//! `protocol_version` alert. Measured against `openssl s_server -tls1` on
//! this machine (docs/research/tls-clients.md): curl 7.88 and
//! `openssl s_client` (OpenSSL 3.0, offering TLS 1.3 down to 1.0) verify the
//! certificate, then refuse the MD5-SHA1 signature at security level ≥ 1
//! and send `internal_error` — `legacy sigalg disallowed or unsupported`;
//! Java 17 (and 11, and 8 from 8u291) offers TLS 1.2/1.3 only and gets
//! `protocol_version`; a Java 8 before 8u291 offers TLS 1.0 and judges the
//! chain it is sent (`personality::connect_seen`).
//!
//! rustls speaks neither version, so this module writes and reads those few
//! messages itself: [`ClientHelloInfo::parse`] and [`server_flight`] for
//! ccelab's TLS 1.0/1.1-only bindings, [`client_hello`] and
//! [`read_server_flight`] for the probe that lets curl's and s_client's
//! personalities see what the real ones see. A client that accepted the
//! signature (`@SECLEVEL=0`) would go on to its key exchange; ccelab then
//! closes the connection (no TLS 1.0 session is ever completed).

use crate::pki::{Certificate, KeyPair};

/// TLS 1.0's and 1.1's wire versions.
pub const TLS10: u16 = 0x0301;
/// TLS 1.1.
pub const TLS11: u16 = 0x0302;

/// TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA and …_AES_128_CBC_SHA, the suites
/// `openssl s_server -tls1` chooses for OpenSSL's clients, in its order.
const ECDHE_RSA_SUITES: [u16; 2] = [0xc014, 0xc013];
/// x25519, then secp256r1 (RFC 8422 named groups).
const X25519: u16 = 0x001d;
const SECP256R1: u16 = 0x0017;

/// What a ClientHello offers, as far as a TLS 1.0/1.1 server needs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHelloInfo {
    /// `ClientHello.random`.
    pub random: [u8; 32],
    /// The versions offered: `supported_versions` if present, else every
    /// version from TLS 1.0 up to `legacy_version`.
    pub versions: Vec<u16>,
    /// The cipher suites offered.
    pub cipher_suites: Vec<u16>,
    /// `supported_groups`.
    pub groups: Vec<u16>,
    /// True if the client signals secure renegotiation (the
    /// `renegotiation_info` extension or the SCSV suite 0x00ff).
    pub renegotiation_info: bool,
    /// True if the client sent `ec_point_formats` (a server may answer an
    /// extension only if the client sent it, RFC 5246 §7.4.1.4).
    pub ec_point_formats: bool,
    /// The `server_name` (SNI) host name, if any.
    pub sni: Option<String>,
}

/// A cursor over bytes, every read bounded.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Some(a)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn u24(&mut self) -> Option<usize> {
        self.take(3)
            .map(|b| (b[0] as usize) << 16 | (b[1] as usize) << 8 | b[2] as usize)
    }
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()? as usize;
        self.take(n)
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()? as usize;
        self.take(n)
    }
}

fn u16s(b: &[u8]) -> Vec<u16> {
    b.chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect()
}

/// The handshake messages carried by the handshake records at the start of
/// `bytes` (records of other types end the walk): `(type, body)` pairs.
fn handshake_messages(bytes: &[u8]) -> (Vec<(u8, Vec<u8>)>, Option<u8>) {
    let mut hs = Vec::new();
    let mut alert = None;
    let mut r = Reader(bytes);
    while let Some(header) = r.take(5) {
        let len = u16::from_be_bytes([header[3], header[4]]) as usize;
        let Some(body) = r.take(len) else { break };
        match header[0] {
            22 => hs.extend_from_slice(body),
            21 if body.len() == 2 => {
                alert = Some(body[1]);
                break;
            }
            _ => break,
        }
    }
    let mut out = Vec::new();
    let mut m = Reader(&hs);
    while let Some(t) = m.u8() {
        let Some(len) = m.u24() else { break };
        let Some(body) = m.take(len) else { break };
        out.push((t, body.to_vec()));
    }
    (out, alert)
}

impl ClientHelloInfo {
    /// Parses the ClientHello at the start of `bytes` (one or more TLS
    /// records as the client sent them). None: not a complete ClientHello.
    pub fn parse(bytes: &[u8]) -> Option<ClientHelloInfo> {
        let (msgs, _) = handshake_messages(bytes);
        let (t, body) = msgs.first()?;
        if *t != 1 {
            return None;
        }
        let mut r = Reader(body);
        let legacy = r.u16()?;
        let mut info = ClientHelloInfo {
            random: r.take(32)?.try_into().ok()?,
            ..Default::default()
        };
        r.vec8()?; // session id
        info.cipher_suites = u16s(r.vec16()?);
        info.renegotiation_info = info.cipher_suites.contains(&0x00ff);
        r.vec8()?; // compression methods
        let mut supported = None;
        if let Some(exts) = r.vec16() {
            let mut e = Reader(exts);
            while let Some(kind) = e.u16() {
                let data = e.vec16()?;
                match kind {
                    0x002b => supported = Some(u16s(Reader(data).vec8()?)),
                    0x000a => info.groups = u16s(Reader(data).vec16()?),
                    0xff01 => info.renegotiation_info = true,
                    0x000b => info.ec_point_formats = true,
                    0x0000 => {
                        let mut list = Reader(Reader(data).vec16()?);
                        while let Some(kind) = list.u8() {
                            let name = list.vec16()?;
                            if kind == 0 {
                                info.sni = std::str::from_utf8(name).ok().map(str::to_string);
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
        // without supported_versions: every version from TLS 1.0 up to
        // legacy_version (SSL 3.0 offers none of them; capped at TLS 1.2)
        info.versions = supported.unwrap_or_else(|| (TLS10..=legacy.min(0x0303)).rev().collect());
        Some(info)
    }

    /// The highest of `versions` (TLS 1.0/1.1 wire values) this hello offers.
    pub fn best_of(&self, versions: &[u16]) -> Option<u16> {
        versions
            .iter()
            .copied()
            .filter(|v| self.versions.contains(v))
            .max()
    }
}

fn record(content: u8, version: u16, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5 + body.len() / 16384 * 5);
    for chunk in body.chunks(16384) {
        out.push(content);
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
    out
}

fn handshake(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![kind];
    m.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

/// The first flight of a TLS 1.0/1.1 server (`version`) to `hello`:
/// ServerHello, Certificate (`chain`), an ECDHE ServerKeyExchange signed
/// with `key` (RSA PKCS #1 v1.5 over MD5 ‖ SHA-1) and ServerHelloDone, as
/// records. None when the hello offers no ECDHE-RSA suite or `key` is not
/// RSA: the caller answers `handshake_failure`.
pub fn server_flight(
    version: u16,
    hello: &ClientHelloInfo,
    chain: &[Certificate],
    key: &KeyPair,
) -> Option<Vec<u8>> {
    use pkcs8::DecodePrivateKey;
    use sha1::Digest as _;
    let suite = ECDHE_RSA_SUITES
        .into_iter()
        .find(|s| hello.cipher_suites.contains(s))?;
    let rsa = rsa::RsaPrivateKey::from_pkcs8_der(key.pkcs8_der()).ok()?;
    let server_random: [u8; 32] = rand::random();
    let mut sh = Vec::new();
    sh.extend_from_slice(&version.to_be_bytes());
    sh.extend_from_slice(&server_random);
    sh.push(32);
    sh.extend_from_slice(&rand::random::<[u8; 32]>());
    sh.extend_from_slice(&suite.to_be_bytes());
    sh.push(0); // null compression
    let mut exts = Vec::new();
    if hello.renegotiation_info {
        exts.extend_from_slice(&[0xff, 0x01, 0x00, 0x01, 0x00]);
    }
    if hello.ec_point_formats {
        exts.extend_from_slice(&[0x00, 0x0b, 0x00, 0x02, 0x01, 0x00]); // uncompressed
    }
    sh.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    sh.extend_from_slice(&exts);
    let mut certs = Vec::new();
    for c in chain {
        certs.extend_from_slice(&(c.der().len() as u32).to_be_bytes()[1..]);
        certs.extend_from_slice(c.der());
    }
    let mut cert_msg = (certs.len() as u32).to_be_bytes()[1..].to_vec();
    cert_msg.extend_from_slice(&certs);
    // a client that names no group takes P-256 (RFC 4492 §4's default era)
    let (group, kx) = if hello.groups.contains(&X25519) {
        (X25519, rustls::crypto::aws_lc_rs::kx_group::X25519)
    } else if hello.groups.contains(&SECP256R1) || hello.groups.is_empty() {
        (SECP256R1, rustls::crypto::aws_lc_rs::kx_group::SECP256R1)
    } else {
        return None;
    };
    let public = kx.start().ok()?.pub_key().to_vec();
    let mut params = vec![3u8]; // named_curve
    params.extend_from_slice(&group.to_be_bytes());
    params.push(public.len() as u8);
    params.extend_from_slice(&public);
    let mut signed = Vec::with_capacity(64 + params.len());
    signed.extend_from_slice(&hello.random);
    signed.extend_from_slice(&server_random);
    signed.extend_from_slice(&params);
    let mut digest = md5_fast::compute(&signed).0.to_vec();
    digest.extend_from_slice(&sha1::Sha1::digest(&signed));
    let signature = rsa
        .sign(rsa::Pkcs1v15Sign::new_unprefixed(), &digest)
        .ok()?;
    let mut ske = params;
    ske.extend_from_slice(&(signature.len() as u16).to_be_bytes());
    ske.extend_from_slice(&signature);
    let mut flight = handshake(2, &sh);
    flight.extend(handshake(11, &cert_msg));
    flight.extend(handshake(12, &ske));
    flight.extend(handshake(14, &[]));
    Some(record(22, version, &flight))
}

/// A ClientHello as OpenSSL 3.0's clients send it, as far as a TLS 1.0/1.1
/// server looks: TLS 1.3 down to 1.0 offered, ECDHE-RSA CBC suites among
/// the modern ones, x25519 and P-256, secure renegotiation, and `sni`.
pub fn client_hello(sni: Option<&str>) -> Vec<u8> {
    let mut h = Vec::new();
    h.extend_from_slice(&0x0303u16.to_be_bytes());
    h.extend_from_slice(&rand::random::<[u8; 32]>());
    h.push(32);
    h.extend_from_slice(&rand::random::<[u8; 32]>());
    let suites: [u16; 9] = [
        0x1302, 0x1303, 0x1301, 0xc02f, 0xc030, 0xc014, 0xc013, 0x009c, 0x00ff,
    ];
    h.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    for s in suites {
        h.extend_from_slice(&s.to_be_bytes());
    }
    h.extend_from_slice(&[1, 0]); // null compression
    let mut exts: Vec<u8> = Vec::new();
    let mut ext = |kind: u16, data: &[u8]| {
        exts.extend_from_slice(&kind.to_be_bytes());
        exts.extend_from_slice(&(data.len() as u16).to_be_bytes());
        exts.extend_from_slice(data);
    };
    if let Some(name) = sni {
        let mut d = ((name.len() + 3) as u16).to_be_bytes().to_vec();
        d.push(0);
        d.extend_from_slice(&(name.len() as u16).to_be_bytes());
        d.extend_from_slice(name.as_bytes());
        ext(0x0000, &d);
    }
    ext(0x000b, &[1, 0]); // ec_point_formats
    ext(0x000a, &[0, 4, 0x00, 0x1d, 0x00, 0x17]); // x25519, secp256r1
                                                  // rsa_pss_rsae_sha256, rsa_pkcs1_sha256, ecdsa_secp256r1_sha256
    ext(0x000d, &[0, 6, 0x08, 0x04, 0x04, 0x01, 0x04, 0x03]);
    let share = rustls::crypto::aws_lc_rs::kx_group::X25519
        .start()
        .map(|k| k.pub_key().to_vec())
        .unwrap_or_else(|_| vec![9; 32]);
    let mut ks = ((share.len() + 4) as u16).to_be_bytes().to_vec();
    ks.extend_from_slice(&X25519.to_be_bytes());
    ks.extend_from_slice(&(share.len() as u16).to_be_bytes());
    ks.extend_from_slice(&share);
    ext(0x0033, &ks); // key_share
    ext(0x002b, &[8, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01]);
    ext(0x002d, &[1, 1]); // psk_key_exchange_modes
    h.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    h.extend_from_slice(&exts);
    record(22, TLS10, &handshake(1, &h))
}

/// What a server answered to [`client_hello`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerAnswer {
    /// It chose TLS 1.0 or 1.1 (`version`) and sent this chain; a
    /// ServerKeyExchange signed with MD5-SHA1 followed when `legacy_signature`.
    Legacy {
        /// The wire version the ServerHello chose.
        version: u16,
        /// The Certificate message's chain, leaf first.
        chain: Vec<Certificate>,
        /// A TLS 1.0/1.1 ServerKeyExchange (MD5 ‖ SHA-1 signature) came.
        legacy_signature: bool,
        /// The fatal alert that ended the flight instead of ServerHelloDone
        /// (e.g. `internal_error` from an OpenSSL server that may not sign
        /// with MD5-SHA1 at its security level).
        alert: Option<u8>,
    },
    /// A fatal alert (its description).
    Alert(u8),
    /// Anything else: TLS 1.2 or later chosen, or no complete answer.
    Other,
}

/// Reads a server's answer to [`client_hello`] from what arrived so far.
/// None: more bytes are needed.
pub fn read_server_flight(bytes: &[u8]) -> Option<ServerAnswer> {
    let (msgs, alert) = handshake_messages(bytes);
    if msgs.is_empty() {
        return alert.map(ServerAnswer::Alert);
    }
    let (t, sh) = &msgs[0];
    if *t != 2 {
        return Some(ServerAnswer::Other);
    }
    let version = Reader(sh).u16()?;
    if version > TLS11 {
        return Some(ServerAnswer::Other);
    }
    if !msgs.iter().any(|(t, _)| *t == 14) && alert.is_none() {
        return None;
    }
    let mut chain = Vec::new();
    if let Some((_, body)) = msgs.iter().find(|(t, _)| *t == 11) {
        let mut r = Reader(body);
        if let Some(all) = r.u24().and_then(|n| r.take(n)) {
            let mut c = Reader(all);
            while let Some(der) = c.u24().and_then(|n| c.take(n)) {
                if let Ok(cert) = Certificate::from_der(der) {
                    chain.push(cert);
                }
            }
        }
    }
    Some(ServerAnswer::Legacy {
        version,
        chain,
        legacy_signature: msgs.iter().any(|(t, _)| *t == 12),
        alert,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::example::example_root;
    use crate::pki::{keypool, CertParams, KeyType};

    #[test]
    fn a_hello_round_trips_and_the_flight_reads_back() {
        let hello = client_hello(Some("ece.example.com"));
        let info = ClientHelloInfo::parse(&hello).unwrap();
        assert_eq!(info.versions, [0x0304, 0x0303, TLS11, TLS10]);
        assert_eq!(info.best_of(&[TLS10]), Some(TLS10));
        assert_eq!(info.best_of(&[TLS10, TLS11]), Some(TLS11));
        assert!(info.renegotiation_info);
        assert!(info.ec_point_formats);
        assert_eq!(info.sni.as_deref(), Some("ece.example.com"));
        assert_eq!(info.groups, [X25519, SECP256R1]);
        assert_eq!(
            ClientHelloInfo::parse(&client_hello(None)).unwrap().sni,
            None
        );
        let now = time::OffsetDateTime::now_utc();
        let root = example_root(
            keypool::key(KeyType::Rsa2048, 0).unwrap(),
            now - time::Duration::days(1),
            now + time::Duration::days(10),
        )
        .unwrap();
        let leaf = root
            .issue(
                &CertParams::leaf("CN=ece.example.com", now, now + time::Duration::days(1))
                    .unwrap(),
                keypool::key(KeyType::Rsa2048, 2).unwrap(),
            )
            .unwrap();
        let flight = server_flight(TLS10, &info, &leaf.chain(), &leaf.key).unwrap();
        assert_eq!(
            read_server_flight(&flight),
            Some(ServerAnswer::Legacy {
                version: TLS10,
                chain: leaf.chain(),
                legacy_signature: true,
                alert: None,
            })
        );
        // cut short: more bytes needed; an alert alone is an alert
        assert_eq!(read_server_flight(&flight[..flight.len() - 4]), None);
        assert_eq!(
            read_server_flight(&[21, 3, 1, 0, 2, 2, 70]),
            Some(ServerAnswer::Alert(70))
        );
        // a TLS 1.2-only hello (Java's) offers neither old version
        let mut java = info.clone();
        java.versions = vec![0x0304, 0x0303];
        assert_eq!(java.best_of(&[TLS10, TLS11]), None);
        // a hello without supported_versions offers up to its legacy_version
        // (at most TLS 1.2), SSL 3.0 none of ours
        let mut old_hello = hello.clone();
        let body_start = 5 + 4;
        old_hello[body_start..body_start + 2].copy_from_slice(&0xffffu16.to_be_bytes());
        let strip = |h: &[u8]| -> Vec<u8> {
            // drop supported_versions by renaming its type to an unknown one
            let mut h = h.to_vec();
            let i = h
                .windows(5)
                .position(|w| w == [0x00, 0x2b, 0x00, 0x09, 0x08])
                .unwrap();
            h[i + 1] = 0xfe;
            h
        };
        let info = ClientHelloInfo::parse(&strip(&old_hello)).unwrap();
        assert_eq!(info.versions, [0x0303, TLS11, TLS10]);
        old_hello[body_start..body_start + 2].copy_from_slice(&0x0300u16.to_be_bytes());
        assert!(ClientHelloInfo::parse(&strip(&old_hello))
            .unwrap()
            .versions
            .is_empty());
        // garbage never parses
        assert_eq!(ClientHelloInfo::parse(b"GET / HTTP/1.1\r\n"), None);
    }
}

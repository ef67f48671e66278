//! `ccelab check`: what a given client would say about a server or a chain —
//! "what will the ADS say about this certificate?" — with the client's exact
//! text. Exit 0 when the client would accept, 1 when it would refuse, 2 on bad
//! input.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;

use ccelab_emulators::clock::parse_time;
use ccelab_emulators::personality::{self, java, openssl, Personality, Reach, Verdict};
use ccelab_emulators::pki::Certificate;
use ccelab_emulators::stores::{detect, Keystore, StoreType};
use clap::Args;
use time::OffsetDateTime;

use super::{read, Failure};

/// The options of `ccelab check`: the client, its trust, and the server or chain to judge.
#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// The client: java or java17 (Java 17 JSSE), java11 (Java 11), java8
    /// (JDK 8u221, the old JSSE of CCE 12.5(1)'s AW, whose exceptions embed
    /// their cause's class — the F1 line [ECE] quotes), java8uN (another 8
    /// update: 8u261 on the new JSSE, TLS 1.0/1.1 off from 8u291), openssl
    /// (s_client), curl, browser (rustls-webpki).
    #[arg(long = "as", value_name = "CLIENT")]
    client: Personality,
    /// The trust store: for java a keystore as `-Djavax.net.ssl.trustStore`
    /// (missing → the JDK's cacerts, as Java does); for openssl/curl a PEM CA
    /// file (`-CAfile` / `--cacert`); for browser any store.
    #[arg(long)]
    trust: PathBuf,
    /// Trust store password (`-Djavax.net.ssl.trustStorePassword`; none: as Java without it).
    #[arg(long)]
    storepass: Option<String>,
    /// Trust store type (`-Djavax.net.ssl.trustStoreType`).
    #[arg(long)]
    storetype: Option<StoreType>,
    /// Connect to this server: https://HOST:PORT[/…].
    #[arg(long, conflicts_with_all = ["chain", "host"], required_unless_present = "chain")]
    url: Option<String>,
    /// Resolve HOST:PORT to ADDR (as curl --resolve); tried first.
    #[arg(long, value_name = "HOST:PORT:ADDR", requires = "url")]
    resolve: Vec<String>,
    /// A hosts file to resolve names with, before the system's resolver
    /// (`ADDR NAME [ALIAS…]` lines, as /etc/hosts and Java's
    /// `-Djdk.net.hosts.file`, which for java replaces the system's
    /// resolver; `ccelab up` writes DIR/hosts). A name that
    /// resolves nowhere gets the client's own answer
    /// (`java.net.UnknownHostException: NAME`, `curl: (6) Could not resolve host: NAME`, …).
    #[arg(long, value_name = "FILE", requires = "url")]
    hosts: Option<PathBuf>,
    /// Send no SNI, as a client configured without it (Java with
    /// `-Djsse.enableSNIExtension=false`). Without it each client sends SNI
    /// as it would: none to an IP literal; Java and `openssl s_client` none
    /// to a dot-less name either.
    #[arg(long, requires = "url")]
    no_sni: bool,
    /// The OpenSSL version in curl's and s_client's texts (default: the
    /// version of the installed curl's OpenSSL, else of `openssl version`,
    /// else 3.0.19, the build ccelab's texts were measured with).
    #[arg(long, value_name = "VERSION")]
    openssl_version: Option<String>,
    /// Judge this chain (PEM, leaf first) instead of connecting.
    #[arg(long, requires = "host")]
    chain: Option<PathBuf>,
    /// The name the client asked for (with --chain).
    #[arg(long)]
    host: Option<String>,
    /// Judge at this time (RFC 3339, YYYY-MM-DD or an offset like +400d; default now).
    #[arg(long, allow_hyphen_values = true)]
    at: Option<String>,
}

fn jdk_cacerts() -> Option<PathBuf> {
    let from_home =
        std::env::var_os("JAVA_HOME").map(|h| PathBuf::from(h).join("lib/security/cacerts"));
    let from_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("java"))
            .find(|j| j.exists())
            .and_then(|j| std::fs::canonicalize(j).ok())
            .and_then(|j| j.parent()?.parent().map(|h| h.join("lib/security/cacerts")))
    });
    [from_home, from_path]
        .into_iter()
        .flatten()
        .find(|p| p.exists())
}

/// The anchors, or the verdict the client gives before any connection.
fn anchors(a: &CheckArgs) -> Result<Result<Vec<Certificate>, Verdict>, Failure> {
    match a.client {
        Personality::Java(jre) => Ok(java::trust_anchors(
            jre,
            &a.trust,
            a.storepass.as_deref(),
            a.storetype,
            jdk_cacerts().as_deref(),
        )),
        Personality::Curl | Personality::OpenSsl => {
            let bytes = read(&a.trust)?;
            if detect(&bytes) != Some(StoreType::Pem) {
                if a.client == Personality::Curl {
                    // curl: (77) for a CA file it cannot load
                    return Ok(Err(Verdict {
                        ok: false,
                        text: format!(
                            "curl: (77) error setting certificate file: {}",
                            a.trust.display()
                        ),
                        detail: vec![],
                        exit_code: Some(77),
                    }));
                }
                return Ok(Ok(Vec::new()));
            }
            let certs = Certificate::all_from_pem(&String::from_utf8_lossy(&bytes))
                .map_err(|e| Failure::file(&a.trust, e))?;
            Ok(Ok(certs))
        }
        Personality::Browser => {
            let bytes = read(&a.trust)?;
            let ks = Keystore::load(&bytes, a.storepass.as_deref().or(Some("changeit")))
                .map_err(|e| Failure::file(&a.trust, e))?;
            Ok(Ok(ks.java_trust_anchors()))
        }
    }
}

fn parse_url(url: &str) -> Result<(String, u16), Failure> {
    let rest = url
        .strip_prefix("https://")
        .ok_or_else(|| Failure::new("--url", format!("`{url}` is not an https:// URL")))?;
    let authority = rest.split('/').next().unwrap_or_default();
    if let Some(v6) = authority.strip_prefix('[') {
        let (host, port) = v6.split_once(']').unwrap_or((v6, ""));
        let port = port
            .strip_prefix(':')
            .map(str::parse)
            .transpose()
            .map_err(|_| Failure::new("--url", "bad port"))?;
        return Ok((host.to_string(), port.unwrap_or(443)));
    }
    match authority.rsplit_once(':') {
        Some((h, p)) => Ok((
            h.to_string(),
            p.parse()
                .map_err(|_| Failure::new("--url", format!("bad port `{p}`")))?,
        )),
        None => Ok((authority.to_string(), 443)),
    }
}

/// Where `host` resolves: a `--resolve` rule, else the hosts file, else the
/// system's resolver (not for Java given a hosts file: `-Djdk.net.hosts.file`
/// replaces name service); None when nothing knows it.
fn resolve(
    host: &str,
    port: u16,
    rules: &[String],
    hosts_file: Option<&std::path::Path>,
    java_hosts_only: bool,
) -> Result<Option<SocketAddr>, Failure> {
    for r in rules {
        let mut parts = r.splitn(3, ':');
        let (h, p, addr) = (parts.next(), parts.next(), parts.next());
        if let (Some(h), Some(p), Some(addr)) = (h, p, addr) {
            if h.eq_ignore_ascii_case(host) && p == port.to_string() {
                let ip = addr.trim_start_matches('[').trim_end_matches(']');
                return ip
                    .parse()
                    .map(|ip| Some(SocketAddr::new(ip, port)))
                    .map_err(|_| Failure::new("--resolve", format!("`{addr}` is not an address")));
            }
        } else {
            return Err(Failure::new(
                "--resolve",
                format!("`{r}` is not HOST:PORT:ADDR"),
            ));
        }
    }
    if let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse() {
        return Ok(Some(SocketAddr::new(ip, port)));
    }
    if let Some(path) = hosts_file {
        let found = hosts_lookup(path, host)?.or_else(|| {
            // Java resolves localhost without asking the file (measured)
            (java_hosts_only && host.eq_ignore_ascii_case("localhost"))
                .then_some(std::net::IpAddr::from([127, 0, 0, 1]))
        });
        // Java with -Djdk.net.hosts.file asks that file only
        if found.is_some() || java_hosts_only {
            return Ok(found.map(|ip| SocketAddr::new(ip, port)));
        }
    }
    Ok((host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next()))
}

/// `host`'s address in a hosts file (`ADDR NAME [ALIAS…]` lines, `#` comments).
fn hosts_lookup(path: &std::path::Path, host: &str) -> Result<Option<std::net::IpAddr>, Failure> {
    let text = String::from_utf8_lossy(&read(path)?).into_owned();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let Some(addr) = words.next() else { continue };
        if words.any(|w| w.eq_ignore_ascii_case(host)) {
            let ip = addr.parse().map_err(|_| {
                Failure::file(path, format!("line {}: `{addr}` is not an address", n + 1))
            })?;
            return Ok(Some(ip));
        }
    }
    Ok(None)
}

fn print(v: &Verdict, p: Personality) {
    if v.ok {
        out!("{}: accepted", name(p));
        return;
    }
    out!("{}", v.text);
    let rest: Vec<&String> = match p {
        // the Java chain's first line is the text itself
        Personality::Java(_) => v.detail.iter().skip(1).collect(),
        _ => v.detail.iter().filter(|d| **d != v.text).collect(),
    };
    for l in rest {
        out!("{l}");
    }
}

/// The client's name in "…: accepted" (`java` for Java 17, as before the
/// other versions existed; `java11`, `java8u221`).
fn name(p: Personality) -> String {
    match p {
        Personality::JAVA17 => "java".into(),
        p => p.name(),
    }
}

/// Runs the check; Ok(exit code).
pub(crate) fn run(a: CheckArgs) -> Result<i32, Failure> {
    let at = match &a.at {
        Some(t) => parse_time(t, OffsetDateTime::now_utc()).map_err(|e| Failure::new("--at", e))?,
        None => OffsetDateTime::now_utc(),
    };
    let anchors = match anchors(&a)? {
        Ok(v) => v,
        Err(verdict) => {
            print(&verdict, a.client);
            return Ok(1);
        }
    };
    let verdict = if let Some(url) = &a.url {
        let (host, port) = parse_url(url)?;
        let reach = Reach {
            addr: resolve(
                &host,
                port,
                &a.resolve,
                a.hosts.as_deref(),
                matches!(a.client, Personality::Java(_)),
            )?,
            no_sni: a.no_sni,
            build: match &a.openssl_version {
                Some(v) => openssl::Build::new(v.clone()),
                None => openssl::Build::installed(),
            },
        };
        if a.client == Personality::OpenSsl && !reach.build.source_lines_known() {
            eprintln!(
                "note: the source lines in s_client's texts are OpenSSL {}'s; {} was not measured",
                openssl::OPENSSL_VERSION,
                reach.build.version
            );
        }
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::new("runtime", e))?;
        rt.block_on(personality::connect_with(
            a.client, &reach, &host, &anchors, at,
        ))
    } else {
        let path = a.chain.clone().unwrap_or_default();
        let chain = Certificate::all_from_pem(&String::from_utf8_lossy(&read(&path)?))
            .map_err(|e| Failure::file(&path, e))?;
        if chain.is_empty() {
            return Err(Failure::file(&path, "no certificate in the file"));
        }
        personality::judge(
            a.client,
            &chain,
            &anchors,
            a.host.as_deref().unwrap_or_default(),
            at,
        )
    };
    print(&verdict, a.client);
    Ok(if verdict.ok { 0 } else { 1 })
}

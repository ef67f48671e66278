//! `ccelab serve`: one HTTPS site with IIS binding semantics from a
//! certificate directory (`ccelab pki issue` output) — for trying a client
//! against a given binding, and the server side of `benches/compare.sh`.
//! It binds loopback by default and stops by itself after `--duration`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use ccelab_emulators::pki::{Certificate, KeyPair};
use ccelab_emulators::tls::{
    hello_handler, Binding, Events, NoMatch, Outcome, SiteConfig, TlsServer, TlsVersion,
};
use clap::Args;

use super::{read, Failure};

/// The options of `ccelab serve`: the certificate, the listener and the IIS binding.
#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Directory with chain.pem (what is sent) and key.pem, as `ccelab pki issue` writes.
    #[arg(long, value_name = "DIR")]
    cert_dir: PathBuf,
    /// Address to listen on (loopback unless you mean otherwise).
    #[arg(long, default_value = "127.0.0.1:8443")]
    listen: SocketAddr,
    /// IIS binding host name.
    #[arg(long)]
    host_name: Option<String>,
    /// IIS "Require Server Name Indication" (needs --host-name).
    #[arg(long, requires = "host_name")]
    require_sni: bool,
    /// Send only the leaf (the missing-intermediate failure, F8).
    #[arg(long)]
    leaf_only: bool,
    /// TLS versions: 1.2, 1.3 (repeatable; default both).
    #[arg(long = "tls", value_name = "1.2|1.3")]
    versions: Vec<String>,
    /// Stop after this many seconds.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Worker threads of the server.
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

/// Serves the site until `--duration` passes or Ctrl-C, then prints how many
/// handshakes completed; Ok(0).
pub(crate) fn run(a: ServeArgs) -> Result<i32, Failure> {
    let chain_path = a.cert_dir.join("chain.pem");
    let key_path = a.cert_dir.join("key.pem");
    let mut chain = Certificate::all_from_pem(&String::from_utf8_lossy(&read(&chain_path)?))
        .map_err(|e| Failure::file(&chain_path, e))?;
    if chain.is_empty() {
        return Err(Failure::file(&chain_path, "no certificate in the file"));
    }
    if a.leaf_only {
        chain.truncate(1);
    }
    let key = KeyPair::from_pem(&String::from_utf8_lossy(&read(&key_path)?))
        .map_err(|e| Failure::file(&key_path, e))?;
    let mut b = Binding::new(
        format!(
            "https {}:{}",
            a.listen,
            a.host_name.as_deref().unwrap_or("")
        ),
        chain,
        key,
    );
    b.host_name = a.host_name.clone();
    b.require_sni = a.require_sni;
    if !a.versions.is_empty() {
        b.versions = a
            .versions
            .iter()
            .map(|v| match v.as_str() {
                "1.2" => Ok(TlsVersion::Tls12),
                "1.3" => Ok(TlsVersion::Tls13),
                "1.0" => Ok(TlsVersion::Tls10),
                other => Err(Failure::new("--tls", format!("`{other}` (use 1.2 or 1.3)"))),
            })
            .collect::<Result<_, _>>()?;
    }
    let site = SiteConfig {
        bindings: vec![b],
        no_match: NoMatch::Reset,
        plain_http: false,
        limits: ccelab_emulators::tls::Limits::HTTP_SYS,
        http2: false,
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| Failure::new("runtime", e))?;
    let events = Events::default();
    let counts = rt.block_on(async {
        let server = TlsServer::start(a.listen, site, hello_handler(), events.clone())
            .await
            .map_err(|e| Failure::new(a.listen, e))?;
        eprintln!(
            "serving https on {} for {} s",
            server.local_addr(),
            a.duration
        );
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(a.duration)) => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        server.stop().await;
        let ev = events.snapshot();
        let done = ev
            .iter()
            .filter(|e| matches!(e.outcome, Outcome::Completed { .. }))
            .count();
        Ok::<_, Failure>((done, ev.len()))
    })?;
    eprintln!(
        "{} handshakes completed of {} connections",
        counts.0, counts.1
    );
    Ok(0)
}

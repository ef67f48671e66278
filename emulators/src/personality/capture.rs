//! Fetching what a server presents: a real TLS connection (rustls on
//! aws-lc) that records the certificate chain and protocol facts and accepts
//! everything, so that a personality can then judge the chain exactly as its
//! client would. Connection-level outcomes (refused, reset, closed, an alert,
//! a port that does not speak TLS) are reported as [`Contact`] variants.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::pki::Certificate;

/// What happened when a client reached for a server.
#[derive(Clone, Debug)]
pub enum Contact {
    /// The handshake got as far as the server's certificates.
    Presented {
        chain: Vec<Certificate>,
        sni_sent: Option<String>,
    },
    /// Nothing listens there (ECONNREFUSED).
    Refused,
    /// The server reset the connection before presenting a certificate.
    Reset,
    /// The server closed the connection before presenting a certificate.
    Closed,
    /// The server sent a fatal alert (its description code) before presenting a certificate.
    Alert(u8),
    /// The server answered with something that is not TLS (e.g. plain HTTP).
    NotTls,
    /// No answer in time.
    TimedOut,
}

#[derive(Debug)]
struct Recorder {
    chain: Mutex<Vec<CertificateDer<'static>>>,
    schemes: Vec<SignatureScheme>,
    /// Complete the handshake (the chain was already judged acceptable).
    accept: bool,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut c = self.chain.lock().unwrap_or_else(|e| e.into_inner());
        c.push(end_entity.clone().into_owned());
        c.extend(intermediates.iter().map(|i| i.clone().into_owned()));
        if self.accept {
            return Ok(ServerCertVerified::assertion());
        }
        // Stop here: the chain is all we came for, and judging is the personality's job.
        Err(rustls::Error::General("ccelab: chain captured".into()))
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// A rustls client that records the chain it is shown; with `accept` it
/// completes the handshake (the chain was judged already), else it stops there.
fn client_config(accept: bool, send_sni: bool) -> Option<(rustls::ClientConfig, Arc<Recorder>)> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let schemes = provider
        .signature_verification_algorithms
        .supported_schemes();
    let recorder = Arc::new(Recorder {
        chain: Mutex::new(Vec::new()),
        schemes,
        accept,
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    config.enable_sni = send_sni;
    Some((config, recorder))
}

/// Connects to `addr` as a client that asks for `name` and sends SNI only
/// when `send_sni` (Java sends none for IP literals and dot-less names).
pub async fn fetch_chain(
    addr: SocketAddr,
    name: &str,
    send_sni: bool,
    timeout: Duration,
) -> Contact {
    let Some((config, recorder)) = client_config(false, send_sni) else {
        return Contact::Closed;
    };
    let server_name = match name.parse::<std::net::IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => match ServerName::try_from(name.to_string()) {
            Ok(n) => n,
            // a name rustls cannot even express is reached without SNI
            Err(_) => ServerName::IpAddress(addr.ip().into()),
        },
    };
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Err(_) => return Contact::TimedOut,
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Contact::Refused,
        Ok(Err(_)) => return Contact::Reset,
        Ok(Ok(t)) => t,
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let sni_sent =
        (send_sni && matches!(server_name, ServerName::DnsName(_))).then(|| name.to_string());
    let result = tokio::time::timeout(timeout, connector.connect(server_name, tcp)).await;
    let chain: Vec<Certificate> = recorder
        .chain
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .filter_map(|d| Certificate::from_der(d.as_ref()).ok())
        .collect();
    if !chain.is_empty() {
        return Contact::Presented { chain, sni_sent };
    }
    match result {
        Err(_) => Contact::TimedOut,
        Ok(Ok(mut s)) => {
            let _ = s.shutdown().await;
            Contact::Closed
        }
        Ok(Err(e)) => classify(&e),
    }
}

fn classify(e: &std::io::Error) -> Contact {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::ConnectionReset => return Contact::Reset,
        ErrorKind::UnexpectedEof | ErrorKind::ConnectionAborted => return Contact::Closed,
        _ => {}
    }
    if let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return match inner {
            rustls::Error::AlertReceived(a) => Contact::Alert(u8::from(*a)),
            rustls::Error::InvalidMessage(_) => Contact::NotTls,
            _ => Contact::Closed,
        };
    }
    Contact::Closed
}

/// Fetches `path` over HTTPS from `addr` after the caller's personality has
/// accepted the chain: returns the HTTP status and body, or the contact failure.
pub async fn https_get(
    addr: SocketAddr,
    name: &str,
    send_sni: bool,
    path: &str,
    timeout: Duration,
) -> Result<(u16, String), Contact> {
    use tokio::io::AsyncReadExt;
    let (config, _) = client_config(true, send_sni).ok_or(Contact::Closed)?;
    let server_name = match name.parse::<std::net::IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(name.to_string())
            .unwrap_or(ServerName::IpAddress(addr.ip().into())),
    };
    let work = async {
        let tcp = TcpStream::connect(addr).await.map_err(|e| classify(&e))?;
        let _ = tcp.set_nodelay(true);
        let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(server_name, tcp)
            .await
            .map_err(|e| classify(&e))?;
        let req = format!("GET {path} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n");
        tls.write_all(req.as_bytes())
            .await
            .map_err(|e| classify(&e))?;
        let mut buf = Vec::new();
        let _ = tls.take(1 << 20).read_to_end(&mut buf).await;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or(Contact::NotTls)?;
        let body = text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((status, body))
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or(Err(Contact::TimedOut))
}

//! The network seam between emulated hosts: a product reaches another host
//! only by resolving its name through a [`Network`] and opening a real
//! connection to the address it gets (SPOG → ECE web server → ECE
//! application server → AD DC). In one process the network is the loopback
//! addresses of the topology with the ports the products really bound
//! (ephemeral ones in tests); with one container per host it is the
//! containers' network, where the product ports are the real ones.
//!
//! Also here: the small HTTP/1.1 client a product uses to forward a request
//! to another host (IIS in front of ECE's application servers).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::tls::HttpResponse;

/// Why a name and port cannot be reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unreachable {
    /// The name does not resolve (Java: `UnknownHostException`).
    #[error("unknown host")]
    UnknownHost,
    /// The name resolves but nothing listens on that port (Java: `ConnectException: Connection refused`).
    #[error("connection refused")]
    Refused,
}

/// Name resolution and port mapping as the hosts of one deployment see them.
pub trait Network: Send + Sync {
    /// Where `name` (an FQDN, a short host name or an address) listens on
    /// product port `port`.
    fn endpoint(&self, name: &str, port: u16) -> Result<SocketAddr, Unreachable>;
    /// The address `name` resolves to (a client connecting to a port
    /// nothing listens on is refused by that host).
    fn address(&self, name: &str) -> Option<std::net::IpAddr>;
    /// The FQDN a lookup of `name` finds (a short name or an address gives
    /// the host's full name), or None when it does not resolve.
    fn canonical_name(&self, name: &str) -> Option<String>;
}

/// The largest HTTP answer [`http_request`] reads (a forwarded page is small).
pub const MAX_RESPONSE: usize = 1 << 20;

/// One plain-HTTP request to `addr` (`Connection: close`), with the headers
/// given (a `Host` header among them is sent as given, else `host`). Returns
/// the status, the headers and the body (at most [`MAX_RESPONSE`] bytes), or
/// the I/O error; the whole exchange is bounded by `timeout`.
pub async fn http_request(
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    host: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<HttpResponse> {
    let work = async {
        let mut tcp = tokio::net::TcpStream::connect(addr).await?;
        let _ = tcp.set_nodelay(true);
        let mut req = format!("{method} {path_and_query} HTTP/1.1\r\n");
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req.push_str(&format!("Host: {host}\r\n"));
        }
        for (k, v) in headers {
            let hop = [
                "connection",
                "content-length",
                "transfer-encoding",
                "keep-alive",
            ];
            if !hop.iter().any(|h| k.eq_ignore_ascii_case(h)) && !v.contains(['\r', '\n']) {
                req.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        req.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        tcp.write_all(req.as_bytes()).await?;
        tcp.write_all(body).await?;
        let mut buf = Vec::new();
        (&mut tcp)
            .take(MAX_RESPONSE as u64 + 16 * 1024)
            .read_to_end(&mut buf)
            .await?;
        parse_response(&buf)
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
}

fn parse_response(buf: &[u8]) -> std::io::Result<HttpResponse> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response");
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(bad)?;
    let head = String::from_utf8_lossy(&buf[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = buf[end + 4..].to_vec();
    body.truncate(MAX_RESPONSE);
    if headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    }) {
        body = dechunk(&body).ok_or_else(bad)?;
    }
    let headers = headers
        .into_iter()
        .filter(|(k, _)| {
            !["transfer-encoding", "content-length", "connection"]
                .iter()
                .any(|h| k.eq_ignore_ascii_case(h))
        })
        .collect();
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

/// The body of a chunked transfer.
fn dechunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_plain_and_chunked() {
        let r = parse_response(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\r\ndown").unwrap();
        assert_eq!(r.status, 503);
        assert_eq!(r.body, b"down");
        assert_eq!(
            r.headers,
            vec![("Content-Type".into(), "text/plain".into())]
        );
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"abcde");
        assert!(parse_response(b"garbage").is_err());
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err()
        );
    }
}

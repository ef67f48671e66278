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
    /// The name resolves but nothing listens on that port (Java: a
    /// `ConnectException`, worded per Java and OS: `personality::java::connection_refused`).
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

/// Headers that belong to one connection, not to the request a proxy
/// forwards (RFC 9110 §7.6.1), and `Expect` (a forwarding proxy answers
/// `100-continue` itself or not at all).
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "content-length",
    "transfer-encoding",
    "keep-alive",
    "expect",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
];

/// One plain-HTTP request to `addr` (`Connection: close`) from `source`
/// (the caller's own address; any port), with the headers given (a `Host`
/// header among them is sent as given, else `host`; hop-by-hop headers are
/// not forwarded). Returns the final status, the headers and the body, or
/// an error: I/O, a response larger than [`MAX_RESPONSE`], a malformed one,
/// or CR/LF in the request line or a header. The whole exchange is bounded
/// by `timeout`.
#[allow(clippy::too_many_arguments)]
pub async fn http_request(
    source: Option<std::net::IpAddr>,
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    host: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<HttpResponse> {
    let crlf = |t: &str| t.contains(['\r', '\n']);
    if crlf(method)
        || crlf(path_and_query)
        || crlf(host)
        || method.contains(' ')
        || path_and_query.contains(' ')
        || headers
            .iter()
            .any(|(k, v)| crlf(k) || crlf(v) || k.contains(':'))
    {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "CR, LF or a space where the request line or a header cannot have one",
        ));
    }
    let work = async {
        let socket = match addr {
            SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        if let Some(ip) = source {
            // the caller's host address, when it can be bound (else the system's choice)
            let _ = socket.bind(SocketAddr::from((ip, 0)));
        }
        let mut tcp = socket.connect(addr).await?;
        let _ = tcp.set_nodelay(true);
        let mut req = format!("{method} {path_and_query} HTTP/1.1\r\n");
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req.push_str(&format!("Host: {host}\r\n"));
        }
        for (k, v) in headers {
            let hop = HOP_BY_HOP.iter().any(|h| k.eq_ignore_ascii_case(h))
                || k.to_ascii_lowercase().starts_with("proxy-");
            if !hop {
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
        let limit = MAX_RESPONSE as u64 + 16 * 1024;
        (&mut tcp).take(limit + 1).read_to_end(&mut buf).await?;
        if buf.len() as u64 > limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the response is larger than a forwarded page may be",
            ));
        }
        parse_response(&buf)
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into()))
}

fn parse_response(mut buf: &[u8]) -> std::io::Result<HttpResponse> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "not an HTTP response");
    let head_end = |b: &[u8]| b.windows(4).position(|w| w == b"\r\n\r\n");
    let mut end = head_end(buf).ok_or_else(bad)?;
    // interim answers (`100 Continue`) come before the final one
    while buf.starts_with(b"HTTP/1.1 1") || buf.starts_with(b"HTTP/1.0 1") {
        buf = &buf[end + 4..];
        end = head_end(buf).ok_or_else(bad)?;
    }
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
    if headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    }) {
        body = dechunk(&body).ok_or_else(bad)?;
    }
    if body.len() > MAX_RESPONSE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the response is larger than a forwarded page may be",
        ));
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
        let r = parse_response(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.status, 401);
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err()
        );
    }
}

//! The load balancer in `mode tcp` (passthrough and none): each client
//! connection is relayed byte for byte to one web server, whose TLS the
//! client sees end to end. With the stick table (passthrough) the server is
//! chosen as HAProxy's SSL session-ID recipe chooses it:
//!
//! * the ClientHello's `session_id` (`payload_lv(43,1)`: the length byte at
//!   offset 43 of the first record, 5 + 4 + 2 + 32) is looked up; a hit
//!   sends the connection to that server, else round robin, and the ID is
//!   stored for the server chosen (`stick on` matches and stores);
//! * the ServerHello's `session_id` is stored for the server that sent it
//!   (`stick store-response`) — only with `tcp-response inspect-delay`:
//!   without it HAProxy's response rules run before any data is there
//!   (checked against HAProxy 2.6, `harness/tests/lb_haproxy.rs`).
//!
//! A TLS 1.2 client resuming by session ID sends the ID the server gave, so
//! it comes back to that server. A TLS 1.3 client sends a fresh random
//! `legacy_session_id` on every connection and resumes with tickets
//! (RFC 8446 §4.1.2, §D.4: the server echoes it), so every connection is a
//! miss: round robin — the realistic form of F23 behind a passthrough
//! balancer. An empty session ID (a client with nothing to resume) is no
//! key at all (checked against HAProxy 2.6: such connections go round robin).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::Backend;

/// The session IDs learnt, each with its server, bounded by the table's
/// `size` (the oldest entry goes first, as in a full HAProxy table) and
/// forgotten after `expire`.
pub struct StickTable {
    map: HashMap<Vec<u8>, (usize, u64, Instant)>,
    order: VecDeque<(Vec<u8>, u64)>,
    seq: u64,
    size: usize,
    expire: Duration,
}

impl StickTable {
    /// An empty table of `size` entries kept `expire` each.
    pub fn new(size: usize, expire: Duration) -> Self {
        StickTable {
            map: HashMap::new(),
            order: VecDeque::new(),
            seq: 0,
            size: size.max(1),
            expire,
        }
    }

    /// The server stored for `key`, if it has not expired.
    pub fn get(&mut self, key: &[u8]) -> Option<usize> {
        let (server, _, at) = *self.map.get(key)?;
        if at.elapsed() > self.expire {
            self.map.remove(key);
            return None;
        }
        Some(server)
    }

    /// Stores `key` → `server` (renewing its expiry).
    pub fn store(&mut self, key: &[u8], server: usize) {
        self.seq += 1;
        self.map
            .insert(key.to_vec(), (server, self.seq, Instant::now()));
        self.order.push_back((key.to_vec(), self.seq));
        while self.map.len() > self.size {
            let Some((k, s)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&k).is_some_and(|e| e.1 == s) {
                self.map.remove(&k);
            }
        }
        // renewed keys leave stale marks behind: drop them now and then
        if self.order.len() > 2 * self.size + 64 {
            let map = &self.map;
            self.order
                .retain(|(k, s)| map.get(k).is_some_and(|e| e.1 == *s));
        }
    }

    /// How many IDs it holds (expired ones until they are looked up again).
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// The largest first flight read before a decision (a ClientHello with many
/// extensions fits in one 16 KiB record).
const MAX_HELLO: usize = 16 * 1024 + 5;

/// `payload_lv(43,1)` of a handshake record of type `hs_type` (1
/// ClientHello, 2 ServerHello): None while more bytes are needed (the
/// whole first record is waited for, as `req_ssl_hello_type` waits for the
/// whole hello), Some(None) when the bytes are not such a message (or carry
/// an empty ID).
pub fn hello_session_id(buf: &[u8], hs_type: u8) -> Option<Option<Vec<u8>>> {
    if buf.len() < 6 {
        return if buf.first().is_some_and(|b| *b != 22) {
            Some(None)
        } else {
            None
        };
    }
    if buf[0] != 22 || buf[5] != hs_type {
        return Some(None);
    }
    let record = 5 + u16::from_be_bytes([buf[3], buf[4]]) as usize;
    if buf.len() < record.min(MAX_HELLO) {
        return None;
    }
    let len = *buf.get(43)? as usize;
    if len == 0 || len > 32 {
        return Some(None);
    }
    Some(Some(buf.get(44..44 + len)?.to_vec()))
}

/// Reads until `hello_session_id` decides, the peer stops sending, the
/// buffer is full or `wait` passes (HAProxy's inspect-delay: then it goes
/// on without a key).
async fn read_hello(
    s: &mut TcpStream,
    buf: &mut Vec<u8>,
    hs_type: u8,
    wait: Duration,
) -> std::io::Result<Option<Vec<u8>>> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if let Some(id) = hello_session_id(buf, hs_type) {
            return Ok(id);
        }
        if buf.len() >= MAX_HELLO {
            return Ok(None);
        }
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout_at(deadline, s.read(&mut chunk)).await {
            Err(_) => return Ok(None),
            Ok(Ok(0)) => return Ok(None),
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Ok(Err(e)) => return Err(e),
        }
    }
}

/// Relays one client connection.
pub(super) async fn relay(be: Arc<Backend>, mut client: TcpStream) {
    let c = &be.config;
    let table = be.table.clone();
    let sticky = table.is_some();
    let mut first = Vec::new();
    let wait = if sticky {
        c.inspect_delay
    } else {
        Duration::ZERO
    };
    let client_id = if sticky && !wait.is_zero() {
        match read_hello(&mut client, &mut first, 1, wait).await {
            Ok(id) => id.filter(|_| c.stick_on_client_hello),
            Err(_) => return,
        }
    } else {
        None
    };
    let stuck = match (&client_id, &table) {
        (Some(id), Some(t)) => t.lock().unwrap_or_else(|e| e.into_inner()).get(id),
        _ => None,
    };
    let Some((i, mut server)) = be.connect(stuck).await else {
        // no server answers: HAProxy closes the client's connection
        return;
    };
    if let (Some(id), Some(t)) = (&client_id, &table) {
        t.lock().unwrap_or_else(|e| e.into_inner()).store(id, i);
    }
    if server.write_all(&first).await.is_err() {
        return;
    }
    let mut back = Vec::new();
    // without `tcp-response inspect-delay` HAProxy's response rules see no
    // data, so nothing is learnt from the ServerHello
    if let (true, false, Some(t)) = (
        c.stick_store_server_hello,
        c.response_inspect_delay.is_zero(),
        &table,
    ) {
        match read_hello(&mut server, &mut back, 2, c.response_inspect_delay).await {
            Ok(Some(id)) => t.lock().unwrap_or_else(|e| e.into_inner()).store(&id, i),
            Ok(None) => {}
            Err(_) => return,
        }
        if client.write_all(&back).await.is_err() {
            return;
        }
    }
    pipe(client, server, c.timeout_client, c.timeout_server).await;
}

/// A stream that notes when it last read data (for the idle watch).
struct Watched<S> {
    inner: S,
    last: Arc<std::sync::atomic::AtomicU64>,
    origin: Instant,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Watched<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            let ms = self.origin.elapsed().as_millis() as u64;
            self.last.store(ms, std::sync::atomic::Ordering::Relaxed);
        }
        r
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Copies both ways until both sides have closed, or until the client has
/// been silent longer than `timeout client` and the server longer than
/// `timeout server` (an idle connection; HAProxy closes it then).
async fn pipe(client: TcpStream, server: TcpStream, client_idle: Duration, server_idle: Duration) {
    use std::sync::atomic::{AtomicU64, Ordering};
    let origin = Instant::now();
    let (cl, sl) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut c = Watched {
        inner: client,
        last: cl.clone(),
        origin,
    };
    let mut s = Watched {
        inner: server,
        last: sl.clone(),
        origin,
    };
    let check = client_idle.min(server_idle).max(Duration::from_millis(100)) / 4;
    let idle = async {
        loop {
            tokio::time::sleep(check).await;
            let now = origin.elapsed().as_millis() as u64;
            let silent = |last: &AtomicU64, limit: Duration| {
                now.saturating_sub(last.load(Ordering::Relaxed)) > limit.as_millis() as u64
            };
            if silent(&cl, client_idle) && silent(&sl, server_idle) {
                return;
            }
        }
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional_with_sizes(&mut c, &mut s, 16 * 1024, 16 * 1024) => {}
        _ = idle => {}
    }
}

/// The address a relayed connection comes from: the load balancer's own.
pub(super) async fn connect_from(
    source: std::net::Ipv4Addr,
    to: SocketAddr,
    timeout: Duration,
) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    let _ = socket.bind(SocketAddr::from((source, 0)));
    let s = tokio::time::timeout(timeout, socket.connect(to))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
    let _ = s.set_nodelay(true);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_from_hellos() {
        // a 200-byte record: decided only once all of it is there
        let mut hello = vec![22, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3];
        hello.extend([7u8; 32]);
        hello.push(32);
        hello.extend([0xAB; 32]);
        assert_eq!(hello_session_id(&hello, 1), None);
        hello.resize(205, 0);
        assert_eq!(hello_session_id(&hello, 1), Some(Some(vec![0xAB; 32])));
        assert_eq!(hello_session_id(&hello, 2), Some(None));
        assert_eq!(hello_session_id(&hello[..50], 1), None);
        let mut empty = vec![22, 3, 1, 0, 39, 1, 0, 0, 35, 3, 3];
        empty.extend([7u8; 32]);
        empty.push(0);
        assert_eq!(hello_session_id(&empty, 1), Some(None));
        assert_eq!(hello_session_id(b"GET / HTTP/1.1\r\n", 1), Some(None));
        assert_eq!(hello_session_id(&[22, 3], 1), None);
    }

    #[test]
    fn the_table_is_bounded_and_renews() {
        let mut t = StickTable::new(3, Duration::from_secs(60));
        for k in 0u8..10 {
            t.store(&[k], k as usize);
        }
        assert_eq!(t.len(), 3);
        assert_eq!(t.get(&[9]), Some(9));
        assert_eq!(t.get(&[0]), None);
        for _ in 0..1000 {
            t.store(&[9], 1);
        }
        assert!(t.order.len() <= 2 * 3 + 64 + 1);
        assert_eq!(t.get(&[9]), Some(1));
        assert_eq!(t.get(&[8]), Some(8));
        let mut e = StickTable::new(3, Duration::ZERO);
        e.store(&[1], 1);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(e.get(&[1]), None);
    }
}

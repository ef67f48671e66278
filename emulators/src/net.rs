//! The accept loop every emulated server shares: bind, hand each accepted
//! connection (Nagle off) to the server, back off on accept errors (such as
//! running out of file descriptors) instead of spinning, and stop on demand
//! or when dropped. Connections get the stop signal too, for servers that
//! close open connections when they stop (the DC's listeners do).

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A listening socket and its accept loop.
pub struct Acceptor {
    local: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Acceptor {
    /// Binds `addr` (port 0: an ephemeral one) and calls `on_conn` for each
    /// connection with its peer and the stop signal.
    pub async fn bind<F>(addr: SocketAddr, on_conn: F) -> std::io::Result<Acceptor>
    where
        F: Fn(TcpStream, SocketAddr, watch::Receiver<bool>) + Send + 'static,
    {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stopped.changed() => break,
                    accepted = listener.accept() => {
                        let Ok((tcp, peer)) = accepted else {
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        };
                        // no Nagle delay on handshake flights (a resumed TLS 1.2
                        // handshake otherwise waits ~40 ms for delayed ACKs)
                        let _ = tcp.set_nodelay(true);
                        on_conn(tcp, peer, stopped.clone());
                    }
                }
            }
        });
        Ok(Acceptor {
            local,
            stop,
            task: Some(task),
        })
    }

    /// The address really bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Stops accepting (and signals the connections), waiting for the loop to end.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Addresses other than loopback that this process was told to serve on
/// (`ccelab host`: the host's own address in its container).
static ALLOWED: std::sync::Mutex<Vec<std::net::IpAddr>> = std::sync::Mutex::new(Vec::new());

/// Allows the servers of this process to bind `ip` although it is not a
/// loopback address: a host's own address on its container's private
/// network, where `ccelab host` runs it. Nothing else calls it: ccelab's
/// servers bind loopback only unless told.
pub fn allow_bind(ip: std::net::IpAddr) {
    let mut a = ALLOWED.lock().unwrap_or_else(|e| e.into_inner());
    if !a.contains(&ip) {
        a.push(ip);
    }
}

/// Whether a server of this process may bind `ip`: loopback, or an address
/// [`allow_bind`] allowed.
pub fn may_bind(ip: std::net::IpAddr) -> bool {
    ip.is_loopback()
        || ALLOWED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&ip)
}

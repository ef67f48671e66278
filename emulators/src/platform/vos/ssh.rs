//! The VOS admin CLI's SSH server (port 22), on russh: the platform
//! administrator logs in with a password (the `password` method or
//! `keyboard-interactive`, which CUCM-family servers prefer: research §1,
//! M), gets the banner and `admin:` in a shell channel ([`super::cli`]).
//! A wrong password is refused as sshd refuses it (the client prints
//! `Permission denied`); a command on the `ssh` line (an `exec` request) is
//! refused, the CLI being shell-only (M).
//!
//! Limits: a client has OpenSSH's `LoginGraceTime` (120 s) to send its
//! version line, VOS's CLI session timeout (30 minutes idle) afterwards;
//! [`MAX_SESSIONS`] connections at once (one more is closed as accepted);
//! a line and a paste are bounded by the CLI. The server's version line
//! `SSH-2.0-OpenSSH_7.4` is what the CentOS 7 base of VOS 12.x sends (L);
//! its host key is an Ed25519 key derived from the FQDN (ccelab's: stable
//! across runs; VOS offers RSA).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use russh::server::{Auth, Msg, Session};
use russh::{Channel, ChannelId, ChannelMsg, MethodKind, MethodSet};
use sha2::Digest;

use super::cli::{Cli, Step};
use super::Vos;

/// Connections served at once.
pub const MAX_SESSIONS: usize = 256;
/// OpenSSH's `LoginGraceTime`.
pub const LOGIN_GRACE: Duration = Duration::from_secs(120);
/// VOS's CLI session timeout (`set cli session timeout`, 30 minutes by default).
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The SSH server of one VOS host.
pub struct SshServer {
    acceptor: crate::net::Acceptor,
}

impl SshServer {
    /// Serves `vos`'s CLI on `addr`.
    pub async fn start(addr: SocketAddr, vos: Arc<Vos>) -> std::io::Result<SshServer> {
        let seed: [u8; 32] =
            sha2::Sha256::digest(format!("ccelab vos host key/{}", vos.fqdn).as_bytes()).into();
        let key = russh::keys::PrivateKey::from(
            russh::keys::ssh_key::private::Ed25519Keypair::from_seed(&seed),
        );
        let config = Arc::new(russh::server::Config {
            server_id: russh::SshId::Standard("SSH-2.0-OpenSSH_7.4".into()),
            methods: MethodSet::from(&[MethodKind::Password, MethodKind::KeyboardInteractive][..]),
            auth_rejection_time: Duration::from_millis(500),
            auth_rejection_time_initial: Some(Duration::ZERO),
            keys: vec![key],
            inactivity_timeout: Some(IDLE_TIMEOUT),
            max_auth_attempts: 6,
            nodelay: true,
            ..Default::default()
        });
        let slots = Arc::new(tokio::sync::Semaphore::new(MAX_SESSIONS));
        let acceptor = crate::net::Acceptor::bind(addr, move |tcp, _peer, _stop| {
            let Ok(permit) = slots.clone().try_acquire_owned() else {
                return;
            };
            let (config, vos) = (config.clone(), vos.clone());
            tokio::spawn(async move {
                let handler = Conn {
                    vos,
                    rows: None,
                    channel: None,
                    opened: false,
                };
                let started = tokio::time::timeout(
                    LOGIN_GRACE,
                    russh::server::run_stream(config, tcp, handler),
                )
                .await;
                if let Ok(Ok(session)) = started {
                    // the session ends when the client leaves, idles out or breaks the protocol
                    let _ = session.await;
                }
                drop(permit);
            });
        })
        .await?;
        Ok(SshServer { acceptor })
    }

    /// The address really bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.acceptor.local_addr()
    }

    /// Stops accepting.
    pub async fn stop(self) {
        self.acceptor.stop().await
    }
}

struct Conn {
    vos: Arc<Vos>,
    rows: Option<u32>,
    channel: Option<Channel<Msg>>,
    /// A session channel was opened: one CLI per connection.
    opened: bool,
}

impl Conn {
    fn password_ok(&self, user: &str, password: &str) -> bool {
        let (u, p) = &self.vos.config.admin;
        user == u && password == p
    }
}

impl russh::server::Handler for Conn {
    type Error = russh::Error;

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        Ok(if self.password_ok(user, password) {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<russh::server::Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        let Some(mut answers) = response else {
            return Ok(Auth::Partial {
                name: "".into(),
                instructions: "".into(),
                prompts: vec![("Password: ".into(), false)].into(),
            });
        };
        let given = answers
            .next()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        Ok(if self.password_ok(user, &given) {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.opened {
            // one CLI per connection (the handle dropped: the channel is refused)
            return Ok(());
        }
        self.opened = true;
        self.channel = Some(channel);
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _cols: u32,
        rows: u32,
        _pw: u32,
        _ph: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.rows = Some(if rows == 0 { 24 } else { rows });
        session.channel_success(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(ch) = self.channel.take() else {
            return session.channel_failure(channel);
        };
        session.channel_success(channel)?;
        tokio::spawn(run_cli(ch, self.vos.clone(), self.rows));
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }
}

/// One CLI session on a shell channel: the banner, then each burst of
/// input through the interpreter (off the async workers: it reads and
/// writes the certificate units), its steps carried out in order.
async fn run_cli(mut channel: Channel<Msg>, vos: Arc<Vos>, rows: Option<u32>) {
    let cli = Cli::new(vos.clone(), rows);
    if channel.data(cli.banner().as_bytes()).await.is_err() {
        return;
    }
    let mut cli = Some(cli);
    while let Some(msg) = channel.wait().await {
        let data = match msg {
            ChannelMsg::Data { data } => data,
            ChannelMsg::Eof | ChannelMsg::Close => break,
            _ => continue,
        };
        let Some(mut c) = cli.take() else { break };
        let Ok((c, steps)) = tokio::task::spawn_blocking(move || {
            let steps = c.input(&data);
            (c, steps)
        })
        .await
        else {
            break;
        };
        cli = Some(c);
        // a client that leaves does not cancel what it started: the service
        // manager finishes a restart whoever watches it
        let mut gone = false;
        for step in steps {
            match step {
                Step::Out(s) => {
                    if !gone && channel.data(s.as_bytes()).await.is_err() {
                        gone = true;
                    }
                }
                Step::Wait(d) => tokio::time::sleep(d).await,
                Step::Service(name, start) => {
                    // a service that fails to start says so in its own logs;
                    // the CLI's progression is the same
                    let _ = vos.set_service(&name, start).await;
                }
                Step::Reboot => {
                    // the restart goes on after the session is gone
                    let vos = vos.clone();
                    tokio::spawn(async move { vos.reboot().await });
                }
                Step::Close => {
                    let _ = channel.exit_status(0).await;
                    let _ = channel.eof().await;
                    let _ = channel.close().await;
                    return;
                }
            }
        }
        if gone {
            return;
        }
    }
    let _ = channel.close().await;
}

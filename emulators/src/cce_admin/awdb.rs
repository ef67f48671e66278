//! The AWDB on an ADS: SQL Server's default instance (Windows service
//! `MSSQLSERVER`, port 1433) as ECE reaches it when the integration's AWDB
//! Details and Configuration tabs are saved ([ECE] 5): the login
//! `ece_awdb` ([`super::AWDB_LOGIN`]) to [`super::AWDB_DATABASE`], and the
//! application instances (`platform::sql_server`).

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::platform::sql_server::{self, Databases};
use crate::product::{HostCtx, ProductError};

use super::{CceDeployment, AWDB_DATABASE, AWDB_LOGIN};

/// The Windows service of SQL Server's default instance.
pub const SERVICE: &str = "MSSQLSERVER";

/// How many connections the AWDB serves at once (further clients wait in
/// the listen queue; ccelab's bound).
pub const MAX_CONNECTIONS: usize = 64;

/// How long a connection may stay silent before SQL Server's side closes it
/// (ccelab's bound; a login takes milliseconds).
pub const IDLE: Duration = Duration::from_secs(60);

impl Databases for CceDeployment {
    fn password(&self, login: &str) -> Option<String> {
        login
            .eq_ignore_ascii_case(AWDB_LOGIN)
            .then(|| self.awdb_password.clone())
    }

    fn has_database(&self, _login: &str, database: &str) -> bool {
        database.eq_ignore_ascii_case(AWDB_DATABASE)
    }

    fn app_instances(&self) -> Vec<String> {
        vec![self.env.app_instance.clone()]
    }
}

/// A running AWDB listener (stops when dropped).
pub struct AwdbServer {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for AwdbServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts SQL Server's listener on the ADS of `ctx` (port 1433, or the port
/// the service had, or an ephemeral one).
pub async fn start(
    ctx: &HostCtx,
    deployment: Arc<CceDeployment>,
) -> Result<AwdbServer, ProductError> {
    let listener = ctx
        .listeners
        .bind(
            &ctx.name,
            ctx.address,
            sql_server::PORT,
            |addr| async move {
                let l = TcpListener::bind(addr).await?;
                let local = l.local_addr()?;
                Ok::<_, std::io::Error>((l, local))
            },
        )
        .await?;
    let server = ctx
        .fqdn
        .split('.')
        .next()
        .unwrap_or(&ctx.fqdn)
        .to_ascii_uppercase();
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let task = tokio::spawn(async move {
        loop {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let Ok((stream, _)) = listener.accept().await else {
                // out of descriptors or the like: wait rather than spin
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            let (db, server) = (deployment.clone(), server.clone());
            tokio::spawn(async move {
                // a client that breaks the protocol loses its connection only
                let _ = sql_server::serve(stream, &*db, &server, IDLE).await;
                drop(permit);
            });
        }
    });
    Ok(AwdbServer { task })
}

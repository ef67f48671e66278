//! The AWDB's SQL Server side of TDS: whatever a client sends (PRELOGIN,
//! LOGIN7, SQL batches, broken framing), the server answers or closes.
#![no_main]
use std::sync::OnceLock;
use std::time::Duration;

use ccelab_emulators::platform::sql_server::{serve, Databases};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

struct Awdb;
impl Databases for Awdb {
    fn password(&self, login: &str) -> Option<String> {
        login.eq_ignore_ascii_case("ece_awdb").then(|| "Password1".into())
    }
    fn has_database(&self, _: &str, database: &str) -> bool {
        database.eq_ignore_ascii_case("pcce_awdb")
    }
    fn app_instances(&self) -> Vec<String> {
        vec!["MultiChannel".into()]
    }
}

fn rt() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    })
}

fuzz_target!(|data: &[u8]| {
    rt().block_on(async {
        let (mut client, server) = tokio::io::duplex(1 << 17);
        let srv = tokio::spawn(async move {
            let _ = serve(server, &Awdb, "ADSA", Duration::from_millis(50)).await;
        });
        let _ = client.write_all(data).await;
        let _ = client.shutdown().await;
        let mut out = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(1), client.read_to_end(&mut out)).await;
        let _ = srv.await;
    });
});

//! `ldap-load`: a bounded LDAP load generator for `benches/compare-ldap.sh`.
//! Each of `--clients` connections repeats "simple bind as user i, subtree
//! search for that user" for `--seconds`, then stops by itself; prints the
//! bind+search pairs per second and how many failed. Loopback only.
//!
//!   ldap-load --addr 127.0.0.1:389 --users 200 --clients 8 --seconds 10 \
//!     --dn 'cn=user{i},cn=Users,dc=example,dc=local' --password Password1 \
//!     --base 'cn=Users,dc=example,dc=local' --filter '(uid=user{i})'

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use ldap3_proto::proto::{
    LdapBindCred, LdapBindRequest, LdapDerefAliases, LdapMsg, LdapOp, LdapSearchRequest,
    LdapSearchScope,
};
use ldap3_proto::LdapCodec;
use tokio::net::TcpStream;
use tokio_util::codec::Framed;

struct Args {
    addr: SocketAddr,
    users: u64,
    clients: u64,
    seconds: u64,
    dn: String,
    password: String,
    base: String,
    filter: String,
}

fn parse() -> Result<Args, String> {
    let mut a = std::env::args().skip(1);
    let mut get = std::collections::HashMap::new();
    while let Some(k) = a.next() {
        if k == "--help" || k == "-h" {
            return Err(String::new());
        }
        let v = a.next().ok_or(format!("{k} needs a value"))?;
        get.insert(k.trim_start_matches("--").to_string(), v);
    }
    let s = |k: &str| get.get(k).cloned().ok_or(format!("--{k} is required"));
    let n = |k: &str, d: u64| -> Result<u64, String> {
        get.get(k)
            .map(|v| v.parse().map_err(|_| format!("--{k}: not a number: {v}")))
            .unwrap_or(Ok(d))
    };
    let addr: SocketAddr = s("addr")?.parse().map_err(|e| format!("--addr: {e}"))?;
    if !addr.ip().is_loopback() {
        return Err("--addr: load goes to loopback addresses only".into());
    }
    Ok(Args {
        addr,
        users: n("users", 200)?.max(1),
        clients: n("clients", 8)?.max(1),
        seconds: n("seconds", 10)?.clamp(1, 600),
        dn: s("dn")?,
        password: s("password")?,
        base: s("base")?,
        filter: s("filter")?,
    })
}

async fn client(
    a: Arc<Args>,
    seed: u64,
    until: Instant,
    ok: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
) {
    let Ok(tcp) = TcpStream::connect(a.addr).await else {
        failed.fetch_add(1, Ordering::Relaxed);
        return;
    };
    let _ = tcp.set_nodelay(true);
    let mut conn = Framed::new(tcp, LdapCodec::new(Some(16 << 20), None));
    let mut msgid = 0;
    let mut i = seed;
    while Instant::now() < until {
        i = (i * 6364136223846793005 + 1442695040888963407) % a.users.max(1);
        let user = i.to_string();
        msgid += 1;
        let bind = LdapMsg {
            msgid,
            op: LdapOp::BindRequest(LdapBindRequest {
                version: 3,
                dn: a.dn.replace("{i}", &user),
                cred: LdapBindCred::Simple(a.password.clone()),
            }),
            ctrl: vec![],
        };
        if conn.send(bind).await.is_err() {
            failed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let good_bind = matches!(
            conn.next().await,
            Some(Ok(LdapMsg { op: LdapOp::BindResponse(ref r), .. })) if r.res.code.clone() as u32 == 0
        );
        msgid += 1;
        let Ok(filter) = ldap3_proto::parse_ldap_filter_str(&a.filter.replace("{i}", &user)) else {
            failed.fetch_add(1, Ordering::Relaxed);
            return;
        };
        let search = LdapMsg {
            msgid,
            op: LdapOp::SearchRequest(LdapSearchRequest {
                base: a.base.clone(),
                scope: LdapSearchScope::Subtree,
                aliases: LdapDerefAliases::Never,
                sizelimit: 0,
                timelimit: 0,
                typesonly: false,
                filter,
                attrs: vec!["cn".into(), "mail".into()],
            }),
            ctrl: vec![],
        };
        if conn.send(search).await.is_err() {
            failed.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let mut entries = 0;
        let done_ok = loop {
            match conn.next().await {
                Some(Ok(LdapMsg {
                    op: LdapOp::SearchResultEntry(_),
                    ..
                })) => entries += 1,
                Some(Ok(LdapMsg {
                    op: LdapOp::SearchResultDone(r),
                    ..
                })) => break r.code.clone() as u32 == 0,
                Some(Ok(_)) => {}
                _ => {
                    failed.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            }
        };
        if good_bind && done_ok && entries == 1 {
            ok.fetch_add(1, Ordering::Relaxed);
        } else {
            failed.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = match parse() {
        Ok(a) => Arc::new(a),
        Err(e) => {
            if !e.is_empty() {
                eprintln!("ldap-load: {e}");
            }
            eprintln!("usage: ldap-load --addr IP:PORT --dn 'cn=user{{i}},…' --password P --base DN --filter '(uid=user{{i}})' [--users 200] [--clients 8] [--seconds 10]");
            std::process::exit(2);
        }
    };
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let until = start + Duration::from_secs(a.seconds);
    let tasks: Vec<_> = (0..a.clients)
        .map(|c| {
            tokio::spawn(client(
                a.clone(),
                c * 7919 + 1,
                until,
                ok.clone(),
                failed.clone(),
            ))
        })
        .collect();
    for t in tasks {
        let _ = t.await;
    }
    let secs = start.elapsed().as_secs_f64();
    let n = ok.load(Ordering::Relaxed);
    println!(
        "{:.0} bind+search/s ({n} in {secs:.1} s, {} failed, {} clients)",
        n as f64 / secs,
        failed.load(Ordering::Relaxed),
        a.clients
    );
}

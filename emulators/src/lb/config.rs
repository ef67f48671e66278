//! `haproxy.cfg`: what ccelab's load balancer writes on its disk for each
//! mode, in HAProxy's syntax, and reads back when it starts — the file is
//! the configuration, so a user can read what is emulated, edit it, and run
//! the same file with the real HAProxy (`harness/tests/lb_haproxy.rs` does).
//!
//! Only the keywords ccelab writes are understood; any other line is an
//! error naming the file, the line and the keyword, never silently ignored.
//! The recipes (docs/research/load-balancer.md):
//! * `passthrough`: `mode tcp` with the SSL session-ID stick table of
//!   HAProxy's blog ("maintain affinity based on SSL session ID"):
//!   `stick on payload_lv(43,1) if clienthello`, `stick store-response
//!   payload_lv(43,1) if serverhello`, plus `tcp-response inspect-delay`,
//!   without which HAProxy 2.6 never learns from the ServerHello;
//! * `offload`: `mode http`, `bind … ssl crt …`, `cookie SERVERID insert
//!   indirect nocache`, `server … ssl verify none cookie …`;
//! * `none`: `mode tcp`, `balance roundrobin`, nothing else.

use std::time::Duration;

/// How the load balancer treats the web servers' HTTPS ([ECE] 1; topology.md §1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LbMode {
    /// TCP, no TLS termination; persistence by the TLS session ID (one
    /// certificate, with its key, on every web server).
    Passthrough,
    /// Two TLS sessions (client ↔ VIP with the load balancer's certificate,
    /// load balancer ↔ each web server with theirs); cookie insert.
    Offload,
    /// TCP round robin without persistence (F23).
    None,
}

impl LbMode {
    /// Its name in a topology file and in `haproxy.cfg`'s header comment.
    pub fn name(self) -> &'static str {
        match self {
            LbMode::Passthrough => "passthrough",
            LbMode::Offload => "offload",
            LbMode::None => "none",
        }
    }

    /// The mode of that name.
    pub fn from_name(name: &str) -> Option<LbMode> {
        [LbMode::Passthrough, LbMode::Offload, LbMode::None]
            .into_iter()
            .find(|m| m.name() == name)
    }
}

/// Where `haproxy.cfg` is on the load balancer's disk (Debian's path).
pub const HAPROXY_CFG: &str = "/etc/haproxy/haproxy.cfg";

/// The directory of the frontend's certificate files (offload): the
/// certificate, its chain and its key in one PEM, as HAProxy's `crt` wants.
pub const HAPROXY_CERTS: &str = "/etc/haproxy/certs";

/// The cookie HAProxy's documentation inserts (`cookie SERVERID insert …`).
pub const COOKIE: &str = "SERVERID";

/// One web server behind the VIP (`server NAME HOST:PORT …`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    /// Its name in HAProxy (the web server's short name: `eceweb1`).
    pub name: String,
    /// Where it is (an FQDN the load balancer resolves, or an address).
    pub host: String,
    /// Its port (443).
    pub port: u16,
    /// `ssl verify none`: the load balancer speaks TLS to it (offload).
    pub ssl: bool,
    /// `cookie VALUE`: the value of the persistence cookie naming it.
    pub cookie: Option<String>,
    /// `disabled`: in maintenance from the start.
    pub disabled: bool,
}

/// What a `haproxy.cfg` says, as far as ccelab models it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HaproxyConfig {
    /// `global maxconn`: connections served at once.
    pub maxconn: usize,
    /// `timeout connect`.
    pub timeout_connect: Duration,
    /// `timeout client`: the longest a client may stay silent.
    pub timeout_client: Duration,
    /// `timeout server`: the longest a server may stay silent.
    pub timeout_server: Duration,
    /// `mode http` (else tcp) in the frontend/backend.
    pub http: bool,
    /// The frontend's `bind` address and port.
    pub bind: (String, u16),
    /// `bind … ssl crt PATH`: TLS ends here (offload).
    pub crt: Option<String>,
    /// `stick-table type binary len 32 size N expire D`: its size and expiry.
    pub stick_table: Option<(usize, Duration)>,
    /// `stick on payload_lv(43,1) if clienthello`: match (and learn) the
    /// ClientHello's session ID.
    pub stick_on_client_hello: bool,
    /// `stick store-response payload_lv(43,1) if serverhello`: learn the
    /// ServerHello's session ID.
    pub stick_store_server_hello: bool,
    /// `tcp-request inspect-delay`: how long the ClientHello is waited for.
    pub inspect_delay: Duration,
    /// `tcp-response inspect-delay`: how long the ServerHello is waited
    /// for. Zero (HAProxy's default) means the response rules see no data:
    /// `stick store-response` never learns (checked against HAProxy 2.6:
    /// the blog's recipe, which lacks the line, never resumes TLS 1.2 on
    /// the same server; with the line it does).
    pub response_inspect_delay: Duration,
    /// `cookie NAME insert indirect nocache`.
    pub cookie: Option<String>,
    /// `option redispatch`: a server that refuses gives way to another.
    pub redispatch: bool,
    /// `retries N`.
    pub retries: usize,
    /// The servers, in order.
    pub servers: Vec<Server>,
}

/// What the writer is told: the mode, the VIP, the servers.
#[derive(Clone, Debug)]
pub struct Layout<'a> {
    /// The mode.
    pub mode: LbMode,
    /// The VIP's FQDN (the certificate file's name, in offload).
    pub vip_fqdn: &'a str,
    /// The address the frontend binds.
    pub vip_address: std::net::Ipv4Addr,
    /// The web servers: (HAProxy name, FQDN).
    pub servers: &'a [(String, String)],
    /// Offload: whether the persistence cookie is inserted (F23 when not).
    pub cookie: bool,
    /// Passthrough: whether the stick table is configured (F23 when not).
    pub stick: bool,
    /// `timeout connect` (HAProxy waits min(it, 1 s) before each retry of a
    /// server that refused).
    pub timeout_connect: Duration,
}

/// The frontend's certificate file (offload).
pub fn crt_path(vip_fqdn: &str) -> String {
    format!("{HAPROXY_CERTS}/{vip_fqdn}.pem")
}

/// `haproxy.cfg` for a layout.
pub fn write(l: &Layout<'_>) -> String {
    let mut s = format!(
        "# haproxy.cfg written by ccelab: the load balancer in front of the ECE web\n\
         # servers ([ECE] HA), mode {}. ccelab reads this file when the load balancer\n\
         # starts; the real HAProxy runs it too.\n\
         global\n    maxconn 1024\n\n\
         defaults\n    mode {}\n    timeout connect {}\n    timeout client 50s\n    timeout server 50s\n    option redispatch\n    retries 3\n\n",
        l.mode.name(),
        if l.mode == LbMode::Offload { "http" } else { "tcp" },
        haproxy_time(l.timeout_connect),
    );
    s.push_str("frontend ece_vip\n");
    match l.mode {
        LbMode::Offload => s.push_str(&format!(
            "    bind {}:443 ssl crt {}\n",
            l.vip_address,
            crt_path(l.vip_fqdn)
        )),
        _ => s.push_str(&format!("    bind {}:443\n", l.vip_address)),
    }
    s.push_str("    default_backend ece_web\n\nbackend ece_web\n    balance roundrobin\n");
    if l.mode == LbMode::Passthrough && l.stick {
        s.push_str(
            "    # the SSL session ID recipe: 32 bytes at most\n\
             \x20   stick-table type binary len 32 size 30k expire 30m\n\
             \x20   acl clienthello req_ssl_hello_type 1\n\
             \x20   acl serverhello rep_ssl_hello_type 2\n\
             \x20   tcp-request inspect-delay 5s\n\
             \x20   tcp-request content accept if clienthello\n\
             \x20   # without this line (as in HAProxy's blog) HAProxy 2.6 never\n\
             \x20   # learns the ServerHello's session ID\n\
             \x20   tcp-response inspect-delay 5s\n\
             \x20   tcp-response content accept if serverhello\n\
             \x20   stick on payload_lv(43,1) if clienthello\n\
             \x20   stick store-response payload_lv(43,1) if serverhello\n",
        );
    }
    if l.mode == LbMode::Offload && l.cookie {
        s.push_str(&format!("    cookie {COOKIE} insert indirect nocache\n"));
    }
    for (name, fqdn) in l.servers {
        s.push_str(&format!("    server {name} {fqdn}:443"));
        if l.mode == LbMode::Offload {
            s.push_str(" ssl verify none");
            if l.cookie {
                s.push_str(&format!(" cookie {name}"));
            }
        }
        s.push('\n');
    }
    s
}

/// A `haproxy.cfg` ccelab cannot run, with its line.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{file}:{line}: {problem}")]
pub struct ConfigError {
    /// The file.
    pub file: String,
    /// The line (1-based; 0 for the whole file).
    pub line: usize,
    /// What is wrong.
    pub problem: String,
}

/// A time as HAProxy writes it: `5s`, `250ms`, `1500us`.
pub fn haproxy_time(d: Duration) -> String {
    let us = d.as_micros();
    if us % 1_000_000 == 0 {
        format!("{}s", us / 1_000_000)
    } else if us % 1000 == 0 {
        format!("{}ms", us / 1000)
    } else {
        format!("{us}us")
    }
}

/// HAProxy's time format: a number with an optional unit (`us`, `ms` — the
/// default —, `s`, `m`, `h`, `d`).
pub fn duration(v: &str) -> Option<Duration> {
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (n, unit) = v.split_at(split);
    let n: u64 = n.parse().ok()?;
    Some(match unit {
        "us" => Duration::from_micros(n),
        "" | "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n.checked_mul(60)?),
        "h" => Duration::from_secs(n.checked_mul(3600)?),
        "d" => Duration::from_secs(n.checked_mul(86400)?),
        _ => return None,
    })
}

/// HAProxy's size format: a number with an optional `k`, `m` or `g`.
fn size(v: &str) -> Option<usize> {
    let (n, mult) = match v.char_indices().last()? {
        (i, 'k') => (&v[..i], 1000),
        (i, 'm') => (&v[..i], 1_000_000),
        (i, 'g') => (&v[..i], 1_000_000_000),
        _ => (v, 1),
    };
    n.parse::<usize>().ok()?.checked_mul(mult)
}

/// The stick table ccelab keeps at most (HAProxy's is bounded by its `size`).
pub const MAX_STICK_ENTRIES: usize = 1_000_000;

/// Reads `text` (the file `file`).
pub fn parse(file: &str, text: &str) -> Result<HaproxyConfig, ConfigError> {
    let mut c = HaproxyConfig {
        maxconn: 1024,
        timeout_connect: Duration::from_secs(5),
        timeout_client: Duration::from_secs(50),
        timeout_server: Duration::from_secs(50),
        http: false,
        bind: (String::new(), 0),
        crt: None,
        stick_table: None,
        stick_on_client_hello: false,
        stick_store_server_hello: false,
        inspect_delay: Duration::ZERO,
        response_inspect_delay: Duration::ZERO,
        cookie: None,
        redispatch: false,
        retries: 3,
        servers: Vec::new(),
    };
    #[derive(PartialEq, Clone, Copy)]
    enum Section {
        None,
        Global,
        Defaults,
        Frontend,
        Backend,
    }
    let mut section = Section::None;
    let mut backends = 0;
    let mut frontends = 0;
    let (mut acl_client, mut acl_server) = (false, false);
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let err = |problem: String| ConfigError {
            file: file.to_string(),
            line: n,
            problem,
        };
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let bad_value = |what: &str| err(format!("`{line}`: {what}"));
        match words.as_slice() {
            ["global"] => section = Section::Global,
            ["defaults"] => section = Section::Defaults,
            ["frontend", _] => {
                frontends += 1;
                section = Section::Frontend
            }
            ["backend", _] => {
                backends += 1;
                section = Section::Backend
            }
            _ if section == Section::None => {
                return Err(err(format!("`{line}` before any section")))
            }
            ["maxconn", v] if section == Section::Global => {
                c.maxconn = v
                    .parse()
                    .ok()
                    .filter(|m| (1..=100_000).contains(m))
                    .ok_or_else(|| bad_value("maxconn between 1 and 100000"))?
            }
            ["mode", m] if section != Section::Global => {
                c.http = match *m {
                    "http" => true,
                    "tcp" => false,
                    _ => return Err(bad_value("mode is `tcp` or `http`")),
                }
            }
            ["timeout", which, v] if matches!(section, Section::Defaults | Section::Backend | Section::Frontend) => {
                let d = duration(v).ok_or_else(|| bad_value("not a time (5s, 50s, 30m)"))?;
                match *which {
                    "connect" => c.timeout_connect = d,
                    "client" => c.timeout_client = d,
                    "server" => c.timeout_server = d,
                    _ => return Err(bad_value("ccelab models timeout connect, client and server")),
                }
            }
            ["option", "redispatch"] => c.redispatch = true,
            ["retries", v] => {
                c.retries = v
                    .parse()
                    .ok()
                    .filter(|r| *r <= 100)
                    .ok_or_else(|| bad_value("retries between 0 and 100"))?
            }
            ["bind", addr, rest @ ..] if section == Section::Frontend => {
                let (host, port) = addr
                    .rsplit_once(':')
                    .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
                    .ok_or_else(|| bad_value("bind ADDRESS:PORT"))?;
                c.bind = (host, port);
                match rest {
                    [] => c.crt = None,
                    ["ssl", "crt", path] => c.crt = Some((*path).to_string()),
                    _ => return Err(bad_value("ccelab models `bind ADDRESS:PORT [ssl crt FILE]`")),
                }
            }
            ["default_backend", _] if section == Section::Frontend => {}
            ["balance", "roundrobin"] if section == Section::Backend => {}
            ["stick-table", "type", "binary", "len", "32", "size", s, "expire", e]
                if section == Section::Backend =>
            {
                let s = size(s)
                    .filter(|s| (1..=MAX_STICK_ENTRIES).contains(s))
                    .ok_or_else(|| bad_value("size between 1 and 1m entries"))?;
                let e = duration(e).ok_or_else(|| bad_value("expire is a time (30m)"))?;
                c.stick_table = Some((s, e));
            }
            ["acl", "clienthello", "req_ssl_hello_type", "1"] => acl_client = true,
            ["acl", "serverhello", "rep_ssl_hello_type", "2"] => acl_server = true,
            ["tcp-request", "inspect-delay", d] => {
                c.inspect_delay = duration(d).ok_or_else(|| bad_value("not a time"))?
            }
            ["tcp-response", "inspect-delay", d] => {
                c.response_inspect_delay =
                    duration(d).ok_or_else(|| bad_value("not a time"))?
            }
            ["tcp-request", "content", "accept", "if", "clienthello"]
            | ["tcp-response", "content", "accept", "if", "serverhello"] => {}
            ["stick", "on", "payload_lv(43,1)", "if", "clienthello"] => {
                if !acl_client {
                    return Err(err("acl `clienthello` is not defined (acl clienthello req_ssl_hello_type 1)".into()));
                }
                c.stick_on_client_hello = true
            }
            ["stick", "store-response", "payload_lv(43,1)", "if", "serverhello"] => {
                if !acl_server {
                    return Err(err("acl `serverhello` is not defined (acl serverhello rep_ssl_hello_type 2)".into()));
                }
                c.stick_store_server_hello = true
            }
            ["cookie", name, "insert", "indirect", "nocache"] if section == Section::Backend => {
                if !name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-') {
                    return Err(bad_value("a cookie name is letters, digits, `_` and `-`"));
                }
                c.cookie = Some((*name).to_string())
            }
            ["server", name, addr, rest @ ..] if section == Section::Backend => {
                let (host, port) = addr
                    .rsplit_once(':')
                    .and_then(|(h, p)| Some((h.to_string(), p.parse::<u16>().ok()?)))
                    .ok_or_else(|| bad_value("server NAME HOST:PORT"))?;
                let mut s = Server {
                    name: (*name).to_string(),
                    host,
                    port,
                    ssl: false,
                    cookie: None,
                    disabled: false,
                };
                let mut k = 0;
                while k < rest.len() {
                    match &rest[k..] {
                        ["ssl", "verify", "none", ..] => {
                            s.ssl = true;
                            k += 3
                        }
                        ["cookie", v, ..] => {
                            s.cookie = Some((*v).to_string());
                            k += 2
                        }
                        ["disabled", ..] => {
                            s.disabled = true;
                            k += 1
                        }
                        [other, ..] => {
                            return Err(bad_value(&format!(
                                "server option `{other}` is not one ccelab models (ssl verify none, cookie VALUE, disabled)"
                            )))
                        }
                        [] => break,
                    }
                }
                if c.servers.iter().any(|o| o.name == s.name) {
                    return Err(bad_value("two servers with one name"));
                }
                if c.servers.len() >= 64 {
                    return Err(bad_value("ccelab's load balancer takes 64 servers at most"));
                }
                c.servers.push(s)
            }
            [kw, ..] => {
                return Err(err(format!(
                    "`{kw}` is not a keyword ccelab's load balancer models here (see the file ccelab writes)"
                )))
            }
            [] => {}
        }
    }
    let whole = |problem: &str| ConfigError {
        file: file.to_string(),
        line: 0,
        problem: problem.to_string(),
    };
    if frontends != 1 || backends != 1 {
        return Err(whole(
            "ccelab's load balancer has one frontend and one backend",
        ));
    }
    if c.bind.1 == 0 {
        return Err(whole("the frontend has no `bind` line"));
    }
    if c.servers.is_empty() {
        return Err(whole("the backend has no `server` line"));
    }
    if (c.stick_on_client_hello || c.stick_store_server_hello) && c.stick_table.is_none() {
        return Err(whole("`stick` rules without a `stick-table`"));
    }
    if c.http != c.crt.is_some() {
        return Err(whole(
            "ccelab models `mode http` with `bind … ssl crt` (offload) and `mode tcp` without (passthrough, none)",
        ));
    }
    if c.cookie.is_some() && !c.http {
        return Err(whole("`cookie` persistence needs `mode http`"));
    }
    Ok(c)
}

impl HaproxyConfig {
    /// The mode this configuration amounts to.
    pub fn mode(&self) -> LbMode {
        if self.crt.is_some() {
            LbMode::Offload
        } else if self.stick_table.is_some() {
            LbMode::Passthrough
        } else {
            LbMode::None
        }
    }
}

/// `text` with each `server` line's `HOST:PORT` and the `bind` address
/// replaced by what `resolve` gives, and each `crt` path by what
/// `crt` gives: the file to run with the real HAProxy where the web
/// servers listen on other ports than the product's (tests, parallel labs).
pub fn resolved(
    text: &str,
    bind: std::net::SocketAddr,
    resolve: impl Fn(&str, u16) -> Option<std::net::SocketAddr>,
    crt: impl Fn(&str) -> String,
) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let indent = &line[..line.len() - line.trim_start().len()];
        let new = match words.as_slice() {
            ["bind", _, rest @ ..] => {
                let rest: Vec<String> = rest
                    .iter()
                    .enumerate()
                    .map(|(i, w)| {
                        if i > 0 && rest[i - 1] == "crt" {
                            crt(w)
                        } else {
                            (*w).to_string()
                        }
                    })
                    .collect();
                Some(format!("{indent}bind {bind} {}", rest.join(" ")))
            }
            ["server", name, addr, rest @ ..] => addr
                .rsplit_once(':')
                .and_then(|(h, p)| resolve(h, p.parse().ok()?))
                .map(|a| format!("{indent}server {name} {a} {}", rest.join(" "))),
            _ => None,
        };
        out.push_str(new.as_deref().map(str::trim_end).unwrap_or(line));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(mode: LbMode) -> String {
        let servers = [
            ("eceweb1".to_string(), "eceweb1.example.com".to_string()),
            ("eceweb2".to_string(), "eceweb2.example.com".to_string()),
        ];
        write(&Layout {
            mode,
            vip_fqdn: "ece.example.com",
            vip_address: std::net::Ipv4Addr::new(127, 0, 0, 29),
            servers: &servers,
            cookie: true,
            stick: true,
            timeout_connect: Duration::from_secs(5),
        })
    }

    #[test]
    fn each_mode_written_is_read_back() {
        let p = parse("haproxy.cfg", &layout(LbMode::Passthrough)).unwrap();
        assert_eq!(p.mode(), LbMode::Passthrough);
        assert!(p.stick_on_client_hello && p.stick_store_server_hello);
        assert_eq!(p.stick_table, Some((30_000, Duration::from_secs(1800))));
        assert_eq!(p.response_inspect_delay, Duration::from_secs(5));
        assert_eq!(p.servers[1].host, "eceweb2.example.com");
        let o = parse("haproxy.cfg", &layout(LbMode::Offload)).unwrap();
        assert_eq!(o.mode(), LbMode::Offload);
        assert_eq!(o.cookie.as_deref(), Some("SERVERID"));
        assert_eq!(o.servers[0].cookie.as_deref(), Some("eceweb1"));
        assert!(o.servers[0].ssl);
        assert_eq!(
            o.crt.as_deref(),
            Some("/etc/haproxy/certs/ece.example.com.pem")
        );
        let n = parse("haproxy.cfg", &layout(LbMode::None)).unwrap();
        assert_eq!(n.mode(), LbMode::None);
        assert_eq!(n.bind, ("127.0.0.29".into(), 443));
    }

    #[test]
    fn errors_name_the_line() {
        let text = layout(LbMode::None).replace("balance roundrobin", "balance leastconn");
        let e = parse("haproxy.cfg", &text).unwrap_err();
        assert!(e.to_string().starts_with("haproxy.cfg:"), "{e}");
        assert!(e.problem.contains("`balance`"), "{e}");
        let text =
            layout(LbMode::Passthrough).replace("acl clienthello req_ssl_hello_type 1\n", "");
        assert!(parse("f", &text)
            .unwrap_err()
            .problem
            .contains("clienthello"));
        let e = parse("f", "global\n    maxconn 0\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(parse("f", "").is_err());
    }

    #[test]
    fn resolved_for_the_real_haproxy() {
        let text = layout(LbMode::Offload);
        let r = resolved(
            &text,
            "127.0.0.1:9443".parse().unwrap(),
            |h, p| {
                (h == "eceweb2.example.com" && p == 443).then(|| "127.0.0.30:4431".parse().unwrap())
            },
            |c| format!("/tmp{c}"),
        );
        assert!(
            r.contains(
                "    bind 127.0.0.1:9443 ssl crt /tmp/etc/haproxy/certs/ece.example.com.pem\n"
            ),
            "{r}"
        );
        assert!(
            r.contains("    server eceweb2 127.0.0.30:4431 ssl verify none cookie eceweb2\n"),
            "{r}"
        );
        assert!(
            r.contains("    server eceweb1 eceweb1.example.com:443 ssl"),
            "{r}"
        );
    }

    #[test]
    fn times_and_sizes() {
        assert_eq!(duration("5s"), Some(Duration::from_secs(5)));
        assert_eq!(duration("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(duration("250"), Some(Duration::from_millis(250)));
        assert_eq!(duration("5x"), None);
        for t in ["5s", "250ms", "1500us"] {
            assert_eq!(haproxy_time(duration(t).unwrap()), t);
        }
        assert_eq!(size("30k"), Some(30_000));
        assert_eq!(size("k"), None);
    }
}

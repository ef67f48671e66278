#!/usr/bin/env bash
# HTTPS keep-alive requests per second of the ECE web server of `ccelab up`
# (IIS's emulation: TLS, the site's routing) against nginx serving the same
# bytes with the same certificate chain and key (exported from the IIS
# binding's PFX), for two pages: spog_config.js, a static file IIS serves
# from its disk at each request (nginx serves the same file), and
# /default, which IIS forwards to ECE's application server (nginx serves
# the answer as a file: the figure shows what the second hop costs). wrk
# drives both over loopback for a bounded time; each server is pinned to
# CPU 0 and wrk to CPU 1 (`taskset`), so one core each. Besides the
# wall-clock rate, the requests per second of the server's own CPU time
# (utime+stime from /proc/PID/stat; for ccelab the whole lab's process).
#
#   bash benches/compare-https.sh                  # 10 s per run, 2 runs each
#   SECONDS_PER_RUN=5 RUNS=1 CONNECTIONS=50 bash benches/compare-https.sh
#
# Needs wrk, nginx and openssl (apt-get install wrk nginx); loopback only,
# every process stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
T=${SECONDS_PER_RUN:-10}
RUNS=${RUNS:-2}
CONNECTIONS=${CONNECTIONS:-50}
for tool in wrk nginx openssl taskset python3; do
  command -v "$tool" >/dev/null || { echo "compare-https.sh: $tool is missing (apt-get install wrk nginx)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT

cargo build --release -q -p ccelab
bin=$PWD/target/release/ccelab
# long enough for every run (2 pages x 2 servers per round) and the start-up
taskset -c 0 "$bin" up --dir "$work/lab" --ephemeral-ports --duration $((RUNS * 4 * (T + 5) + 60)) >"$work/up.log" 2>&1 &
up=$!
for _ in $(seq 100); do [ -f "$work/lab/topology.json" ] && break; sleep 0.2; done
read -r addr port fqdn < <(python3 - "$work/lab/topology.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
h = next(h for h in t["hosts"] if h["name"] == "ece")
s = next(s for s in h["services"] if s["port"] == 443)
print(h["address"], s["bound_port"], h["fqdn"])
PY
)
pfx=$(ls "$work"/lab/disks/ece/C/ccelab/certstore/My/*.pfx | head -n1)
openssl pkcs12 -in "$pfx" -passin pass:changeit -nokeys -out "$work/chain.pem" 2>/dev/null
openssl pkcs12 -in "$pfx" -passin pass:changeit -nocerts -nodes -out "$work/key.pem" 2>/dev/null
# the pages both serve: what the ECE web server answers
spog=/default/templates/finesse/gadget/spog/spog_config.js
mkdir -p "$work/www/default/templates/finesse/gadget/spog"
for page in "$spog" /default; do
  file="$work/www$page"; [ "$page" = /default ] && file="$work/www/default/index.html"
  curl -skf --resolve "$fqdn:$port:$addr" "https://$fqdn:$port$page" -o "$file"
done
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  types { application/javascript js; }
  default_type "text/plain; charset=utf-8";
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$nport ssl;
    server_name $fqdn;
    ssl_certificate $work/chain.pem;
    ssl_certificate_key $work/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $work/www;
    location = /default { try_files /default/index.html =404; }
  }
}
EOF
mkdir -p "$work/tmp"
taskset -c 0 nginx -c "$work/nginx.conf" -g 'daemon on; master_process off;'
for _ in $(seq 50); do [ -s "$work/nginx.pid" ] && break; sleep 0.1; done
nginx_pid=$(cat "$work/nginx.pid")

cpu() { awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / t }' "/proc/$1/stat"; }
measure() { # name url pid -> one line
  local c0 c1 out
  c0=$(cpu "$3")
  taskset -c 1 timeout $((T + 30)) wrk -t1 -c"$CONNECTIONS" -d"${T}s" -H "Host: $fqdn" "$2" >"$work/wrk.out" 2>&1 || true
  c1=$(cpu "$3")
  python3 - "$1" "$c0" "$c1" "$work/wrk.out" <<'PY'
import re, sys
name, c0, c1 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
out = open(sys.argv[4]).read()
if not re.search(r"Requests/sec:", out):
    sys.exit(f"{name}: wrk gave no figure:\n{out}")
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
reqs = int(re.search(r"(\d+) requests in", out).group(1))
errs = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
print(f"{name}: {rps:,.0f} requests/s wall, {reqs / max(c1 - c0, 1e-9):,.0f} per server CPU-second"
      + (f"  [{errs.group(0)}]" if errs else ""))
PY
}
echo "$CONNECTIONS keep-alive connections, ${T} s per run"
for r in $(seq "$RUNS"); do
  for page in "$spog" /default; do
    measure "$page: ccelab ECE web server (run $r)" "https://$addr:$port$page" "$up"
    measure "$page: nginx $(nginx -v 2>&1 | sed 's/.*\///') (run $r)" "https://127.0.0.1:$nport$page" "$nginx_pid"
  done
done

#!/usr/bin/env bash
# HTTPS keep-alive requests per second through ccelab's load balancer
# (preset ece-400-ha) against (a) the same traffic straight to one web
# server and (b) the real HAProxy running the haproxy.cfg ccelab wrote, with
# the same emulated web servers behind it, in passthrough and offload mode.
# The page is spog_config.js, a static file IIS serves from its disk. The
# lab (load balancer and web servers in one process) and HAProxy run on
# CPU 0, wrk on CPU 1 (`taskset`); wrk drives loopback for a bounded time.
#
#   bash benches/compare-lb.sh                    # 10 s per run, 2 runs each
#   SECONDS_PER_RUN=5 RUNS=1 CONNECTIONS=50 MODES=offload bash benches/compare-lb.sh
#
# Needs wrk and haproxy (apt-get install wrk haproxy); loopback only, every
# process stops by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
T=${SECONDS_PER_RUN:-10}
RUNS=${RUNS:-2}
CONNECTIONS=${CONNECTIONS:-50}
for tool in wrk haproxy taskset python3; do
  command -v "$tool" >/dev/null || { echo "compare-lb.sh: $tool is missing (apt-get install wrk haproxy)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release -q -p ccelab
bin=$PWD/target/release/ccelab
taskset -c 0 "$bin" up --preset ece-400-ha --dir "$work/lab" --ephemeral-ports --duration $((RUNS * 6 * (T + 5) + 60)) >"$work/up.log" 2>&1 &
for _ in $(seq 100); do [ -f "$work/lab/topology.json" ] && break; sleep 0.2; done
ports() { python3 - "$work/lab/topology.json" "$1" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
h = next(h for h in t["hosts"] if h["name"] == sys.argv[2])
print(h["address"], next(s for s in h["services"] if s["port"] == 443)["bound_port"])
PY
}
read -r web_addr web_port < <(ports ece-web-1)
read -r web2_addr web2_port < <(ports ece-web-2)
read -r vip vip_port < <(ports lb)
hport=$(python3 -c "import socket; s=socket.socket(); s.bind(('$vip',0)); print(s.getsockname()[1])")
page=/default/templates/finesse/gadget/spog/spog_config.js

measure() { # name url -> one line, and the rate in $work/rate
  taskset -c 1 timeout $((T + 30)) wrk -t1 -c"$CONNECTIONS" -d"${T}s" -H "Host: ece.example.com" "$2" >"$work/wrk.out" 2>&1 || true
  python3 - "$1" "$work/wrk.out" "$work/rate" <<'PY'
import re, sys
name, out = sys.argv[1], open(sys.argv[2]).read()
m = re.search(r"Requests/sec:\s+([\d.]+)", out)
if not m:
    sys.exit(f"{name}: wrk gave no figure:\n{out}")
errs = re.search(r"Non-2xx or 3xx responses: (\d+)|Socket errors: .*", out)
print(f"  {name}: {float(m.group(1)):,.0f} requests/s" + (f"  [{errs.group(0)}]" if errs else ""))
open(sys.argv[3], "w").write(m.group(1))
PY
}

echo "$CONNECTIONS keep-alive connections, ${T} s per run, $page"
for mode in ${MODES:-passthrough offload}; do
  "$bin" ctl --dir "$work/lab" lb mode "$mode" >/dev/null
  python3 - "$work/lab/disks/lb/etc/haproxy/haproxy.cfg" "$work/haproxy.cfg" "$vip:$hport" \
    "eceweb1.example.com:443=$web_addr:$web_port" "eceweb2.example.com:443=$web2_addr:$web2_port" \
    "$work/lab/disks/lb" <<'PY'
import sys
src, dst, bind, s1, s2, disk = sys.argv[1:7]
out = []
for line in open(src):
    w = line.split()
    if w[:1] == ["bind"]:
        rest = [disk + x if i > 0 and w[i] == "crt" else x for i, x in enumerate(w[2:], 1)]
        rest = [disk + w[i + 1] if w[i] == "crt" else None for i in range(2, len(w) - 1)]
        crt = [disk + w[i + 1] for i in range(len(w) - 1) if w[i] == "crt"]
        line = f"    bind {bind}" + (f" ssl crt {crt[0]}" if crt else "") + "\n"
    for m in (s1, s2):
        a, b = m.split("=")
        line = line.replace(a, b)
    out.append(line)
open(dst, "w").write("".join(out))
PY
  taskset -c 0 haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
  hpid=$!
  for _ in $(seq 50); do (echo >/dev/tcp/$vip/$hport) 2>/dev/null && break; sleep 0.1; done
  echo "mode $mode (HAProxy $(haproxy -v | head -1 | awk '{print $3}'))"
  for r in $(seq "$RUNS"); do
    measure "straight to ece-web-1 (run $r)" "https://$web_addr:$web_port$page"; direct=$(cat "$work/rate")
    measure "through ccelab's load balancer (run $r)" "https://$vip:$vip_port$page"; ours=$(cat "$work/rate")
    measure "through HAProxy, same haproxy.cfg (run $r)" "https://$vip:$hport$page"; real=$(cat "$work/rate")
    python3 -c "print(f'  ratio: {$ours/$direct:.2f}x straight, {$ours/$real:.2f}x HAProxy')"
  done
  kill "$hpid" 2>/dev/null || true; wait "$hpid" 2>/dev/null || true
done

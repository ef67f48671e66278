#!/usr/bin/env bash
# Handshake throughput of ccelab's TLS server against `openssl s_server` with
# the same certificate and key, under the same client load (`openssl s_time
# -new`, $CLIENTS client processes), and against `openssl speed rsa2048` — the
# signatures per second one core can make, the physical limit of full RSA
# handshakes per core. Two figures per server: handshakes per wall-clock
# second, and handshakes per second of the *server's* CPU time (utime+stime
# from /proc/PID/stat) — with client and server sharing the cores, the
# wall-clock rate understates the server. Loopback only; every run stops by
# itself.
#
#   bash benches/compare.sh            # 10 s per measurement, 3 rounds
#   SECONDS_PER_RUN=5 RUNS=1 bash benches/compare.sh
#
# The machine's speed drifts between measurements (a shared VM: the RSA sign
# rate alone moves by 10 %), so the servers take turns, RUNS rounds, and the
# median of each figure is reported; each round measures the sign rate too.
set -euo pipefail
cd "$(dirname "$0")/.."
T=${SECONDS_PER_RUN:-10}
RUNS=${RUNS:-3}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release -q -p ccelab
bin=target/release/ccelab
$bin pki ca --out "$work/root" --cn "Bench Root CA" >/dev/null
$bin pki issue --ca "$work/root" --cn bench.example.com --san dns:bench.example.com --out "$work/leaf" >/dev/null

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
CLIENTS=${CLIENTS:-2}
cpu() { # pid -> utime+stime in seconds (fields 14 and 15 of /proc/PID/stat)
  awk -v t="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / t }' "/proc/$1/stat"
}
rate() { # port server-pid version -> "handshakes/s handshakes-per-server-cpu-s"
  local start end total=0 f c0 c1
  c0=$(cpu "$2")
  start=$(date +%s.%N)
  local clients=()
  for i in $(seq "$CLIENTS"); do
    timeout $((T + 30)) openssl s_time -connect "127.0.0.1:$1" -new -"$3" -time "$T" >"$work/st.$i" 2>/dev/null &
    clients+=($!)
  done
  wait "${clients[@]}" 2>/dev/null || true
  end=$(date +%s.%N)
  c1=$(cpu "$2")
  for f in "$work"/st.*; do
    n=$(awk '/connections in [0-9]+ real seconds/ {print $1; exit}' "$f")
    total=$((total + ${n:-0}))
  done
  rm -f "$work"/st.*
  python3 -c "print($total / ($end - $start), $total / max($c1 - $c0, 1e-9))"
}

for v in tls1_2 tls1_3; do
  rounds=()
  for r in $(seq "$RUNS"); do
    # machine-readable: +F2:index:bits:signs-per-second:verifies-per-second (any OpenSSL 3)
    sign=$(openssl speed -mr -seconds "$T" rsa2048 2>/dev/null | awk -F: '/^\+F2:/ {print $4; exit}')
    p1=$(port)
    openssl s_server -quiet -accept "127.0.0.1:$p1" -cert "$work/leaf/cert.pem" -key "$work/leaf/key.pem" -cert_chain "$work/leaf/chain.pem" -naccept 1000000 >/dev/null 2>&1 &
    s1=$!
    (sleep $((T + 60)); kill "$s1" 2>/dev/null) >/dev/null 2>&1 &  # stops by itself
    wait_port "$p1"
    r_openssl=$(rate "$p1" "$s1" "$v")
    kill "$s1" 2>/dev/null || true
    p2=$(port)
    $bin serve --cert-dir "$work/leaf" --listen "127.0.0.1:$p2" --threads 1 --duration $((T + 30)) 2>/dev/null &
    s2=$!
    wait_port "$p2"
    r_ccelab=$(rate "$p2" "$s2" "$v")
    kill "$s2" 2>/dev/null || true
    rounds+=("$r_ccelab $r_openssl $sign")
  done
  printf '%s\n' "${rounds[@]}" | python3 -c '
import statistics, sys
v = sys.argv[1]
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
cw, cc, ow, oc, s = (statistics.median(col) for col in zip(*rows))
share = statistics.median(r[1] / r[4] for r in rows)
oshare = statistics.median(r[3] / r[4] for r in rows)
print(f"{v} (median of {len(rows)}): ccelab {cw:.0f} handshakes/s wall, {cc:.0f} per server CPU-second "
      f"({share:.0%} of the RSA-2048 sign rate, {s:.0f}/s); openssl s_server {ow:.0f}/s wall, "
      f"{oc:.0f} per server CPU-second ({oshare:.0%})")
' "$v"
done

#!/usr/bin/env bash
# Wall time of the whole scenario catalog on both back ends: every host in
# one process (ephemeral loopback ports) and one container per host
# (`--containers`: a pool of host containers per job, reused from one
# scenario to the next). Same scenarios, same --jobs; prints both times and
# their ratio (containers / in-process; the goal is at most 3).
#
#   bash benches/compare-backends.sh
#   JOBS=2 bash benches/compare-backends.sh
#
# Needs a Docker daemon; builds the static binary and the image first.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# one release build for both: the static binary the image holds runs the machine's side too
RUSTFLAGS="-C target-feature=+crt-static" cargo build --release -q -p ccelab --target x86_64-unknown-linux-gnu
bin=target/x86_64-unknown-linux-gnu/release/ccelab
"$bin" image build >/dev/null

ms() { date +%s%3N; }
t0=$(ms)
"$bin" scenario run scenarios --jobs "$JOBS" --dir "$work/in-process" | tail -1
t1=$(ms)
"$bin" scenario run scenarios --jobs "$JOBS" --dir "$work/containers" --containers | tail -1
t2=$(ms)
inproc=$((t1 - t0))
cont=$((t2 - t1))
echo "in-process: ${inproc} ms; containers: ${cont} ms; ratio $(awk -v a="$cont" -v b="$inproc" 'BEGIN { printf "%.1f", a / b }')× (jobs $JOBS)"

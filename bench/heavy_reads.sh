#!/usr/bin/env bash
# Heavy reads against routing (README "Heavy reads"): a daemon with 1,000 targets and a day of
# minute rollups for each (1.44 M buckets, written by the store's own load generator), probing
# 1,000 liveness targets every 10 s against a simulator. switchyard-api-bench measures GET
# /v1/route over the Unix socket alone, then while other connections fetch every /v1/history
# page of the whole fleet (following next), /metrics and the status page back to back; the
# daemon's RSS is sampled every 50 ms. Everything shares this machine's cores.
#   bench/heavy_reads.sh [seconds-per-phase]     (make bench-heavy; BIN=.build/debug for a debug run)
set -euo pipefail
seconds=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${BIN:-$root/.build/release}
work=$(mktemp -d /tmp/sy-heavy-XXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); binaries: $bin"
kept=$("$bin/switchyard-store-bench" generate --targets 1000 --days 1 --interval 60 --every 1 --directory "$work" --keep | tee /dev/stderr | sed -n 's/^kept: //p')
mkdir -p "$work/state"
mv "$kept" "$work/state/switchyard.db"
models=$(seq -s, -f "model-%g" 0 19)
"$bin/switchyard-sim" --name sim --models "$models" --latency-ms 1 > "$work/sim.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 1 100); do grep -q listening "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/sim.out")
{
    echo "listen: { tcp: \"\", unix: \"$work/switchyard.sock\" }"
    echo "probe: { interval: 10s, timeout: 5s, mode: liveness }"
    echo "providers:"
    for p in $(seq 0 49); do
        echo "  - name: provider-$p"
        echo "    kind: openai"
        echo "    base_url: http://127.0.0.1:$port/v1"
        echo "    models: [$(seq -s, -f '{ name: model-%g }' 0 19 | sed 's/,/, /g')]"
    done
} > "$work/switchyard.yaml"
"$bin/switchyard" serve --config "$work/switchyard.yaml" --state-dir "$work/state" --log-level warning &
daemon=$!
pids+=($daemon)
for _ in $(seq 1 300); do curl -sf --unix-socket "$work/switchyard.sock" http://localhost/readyz >/dev/null 2>&1 && break; sleep 0.1; done
sleep 12   # the first probe round, spread over the interval
# The generator's day starts at Unix 1800000000 (an hour boundary).
"$bin/switchyard-api-bench" heavy --unix "$work/switchyard.sock" --pid "$daemon" --seconds "$seconds" \
    --route "/v1/route?model=model-0" --history "/v1/history?since=1800000000&until=1800086400&step=1m"

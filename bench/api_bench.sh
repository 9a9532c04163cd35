#!/usr/bin/env bash
# The API benchmark (README "API benchmark"): GET /v1/route queries per second and latency
# p50/p99 over keep-alive connections, against a release daemon serving three simulated
# providers (switchyard-sim processes, liveness probes every 10 s, so probing costs ~nothing).
#   - wrk over TCP (wrk cannot use Unix sockets);
#   - switchyard-api-bench (our POSIX-socket client) over the Unix socket and over TCP,
#     so the two transports are compared with the same client;
#   - the status page's rendering cost at 1,000 targets.
# Everything runs on this machine: the load generator shares the cores with the daemon.
#   bench/api_bench.sh [seconds-per-row]          (make bench-api builds the release binaries first)
set -euo pipefail
seconds=${1:-10}
bin=$(cd "$(dirname "$0")/.." && pwd)/.build/release
work=$(mktemp -d /tmp/sy-api-XXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

names=(sim-fast sim-steady sim-cheap)
ports=()
for name in "${names[@]}"; do
    "$bin/switchyard-sim" --name "$name" --models llama-3.1-8b --latency-ms 2 > "$work/$name.out" 2>/dev/null &
    pids+=($!)
done
for name in "${names[@]}"; do
    for _ in $(seq 1 100); do grep -q listening "$work/$name.out" 2>/dev/null && break; sleep 0.1; done
    ports+=("$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/$name.out")")
done
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
{
    # wrk and the bench client connect from one address: lift the per-peer cap (64) above their 64 connections.
    echo "listen: { tcp: \"127.0.0.1:$port\", unix: \"$work/switchyard.sock\", max_connections_per_peer: 256 }"
    echo "probe: { interval: 10s, timeout: 5s, mode: liveness }"
    echo "providers:"
    for i in 0 1 2; do
        echo "  - { name: ${names[$i]}, kind: openai, base_url: \"http://127.0.0.1:${ports[$i]}/v1\","
        echo "      price: { input_per_mtok: 0.$((i + 1)), output_per_mtok: 0.$((i + 3)) }, models: [{ name: llama-3.1-8b }] }"
    done
} > "$work/switchyard.yaml"

"$bin/switchyard" serve --config "$work/switchyard.yaml" --state-dir "$work" --log-level warning &
pids+=($!)
for _ in $(seq 1 100); do curl -sf --unix-socket "$work/switchyard.sock" http://localhost/readyz >/dev/null 2>&1 && break; sleep 0.1; done
route="/v1/route?model=llama-3.1-8b"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "daemon: release build, 3 simulated providers, liveness probes every 10 s; one answer:"
curl -s --unix-socket "$work/switchyard.sock" "http://localhost$route" | head -c 300; echo " ..."
echo
echo "== wrk, TCP keep-alive ($seconds s per row) =="
printf '%-10s%-7s%-10s%-9s%-9s%s\n' transport conns qps "p50 ms" "p99 ms" errors
for conns in 1 16 64; do
    threads=$(( conns < 2 ? 1 : 2 ))
    out=$(wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency "http://127.0.0.1:$port$route")
    qps=$(awk '/^Requests\/sec:/ {printf "%d", $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
    printf '%-10s%-7s%-10s%-9s%-9s%s\n' "wrk-tcp" "$conns" "$qps" "$p50" "$p99" "${errors:-0}"
done
echo
echo "== switchyard-api-bench, Unix socket =="
"$bin/switchyard-api-bench" load --unix "$work/switchyard.sock" --path "$route" --seconds "$seconds"
echo
echo "== switchyard-api-bench, TCP =="
"$bin/switchyard-api-bench" load --tcp "127.0.0.1:$port" --path "$route" --seconds "$seconds"
echo
echo "== status page =="
"$bin/switchyard-api-bench" page --targets 1000

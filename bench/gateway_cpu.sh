#!/usr/bin/env bash
# The daemon's CPU per proxied request (README "The gateway"): a fresh release daemon in front of one
# switchyard-sim answering at once, 1 connection of switchyard-api-bench for 8 s after 2 s of warm-up,
# `perf stat -e task-clock` on the daemon meanwhile. CPU per request moves less with the machine's
# load than latency does, so it is the figure to compare builds by on a shared machine.
#   bench/gateway_cpu.sh plain|stream [BINDIR ...]     (BINDIR defaults to .build/release)
set -euo pipefail
mode=${1:-plain}; shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
dirs=("$@"); [ ${#dirs[@]} -gt 0 ] || dirs=("$root/.build/release")
case $mode in
    plain) body='{"model":"llama-3.1-8b","messages":[{"role":"user","content":"Say hi"}],"max_tokens":8}'; extra=() ;;
    stream) body='{"model":"llama-3.1-8b","messages":[{"role":"user","content":"Say hi"}],"max_tokens":8,"stream":true}'; extra=(--ttft) ;;
    *) echo "usage: $0 plain|stream [BINDIR ...]" >&2; exit 2 ;;
esac
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 2; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
for bin in "${dirs[@]}"; do
    work=$(mktemp -d /tmp/sy-gwcpu-XXXX)
    "$bin/switchyard-sim" --name sim --models llama-3.1-8b --latency-ms 0 --completion-tokens 8 > "$work/sim.out" 2>/dev/null &
    sim=$!
    for _ in $(seq 1 100); do grep -q listening "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
    sim_port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/sim.out")
    port=$(free_port)
    cat > "$work/switchyard.yaml" <<YAML
listen: { tcp: "127.0.0.1:$port", unix: "$work/switchyard.sock" }
probe: { interval: 10s, timeout: 5s, mode: liveness }
clients: [{ name: bench, token_env: SY_BENCH_TOKEN }]
providers:
  - { name: sim, kind: openai, base_url: "http://127.0.0.1:$sim_port/v1", models: [{ name: llama-3.1-8b }] }
YAML
    SY_BENCH_TOKEN=bench-client-token "$bin/switchyard" serve --config "$work/switchyard.yaml" --state-dir "$work" --log-level warning &
    daemon=$!
    for _ in $(seq 1 100); do curl -sf --unix-socket "$work/switchyard.sock" http://localhost/readyz >/dev/null 2>&1 && break; sleep 0.1; done
    load() { "$bin/switchyard-api-bench" load --tcp "127.0.0.1:$port" --path /v1/chat/completions --body "$body" \
        --header "Authorization: Bearer bench-client-token" --connections 1 --warmup 0 "${extra[@]}" --seconds "$1" | tail -1; }
    load 2 > /dev/null
    perf stat -e task-clock -p "$daemon" -o "$work/stat.txt" -- sleep 8 &
    row=$(load 8)
    wait $!
    ms=$(awk '/task-clock/ { gsub(",", "", $1); print $1 }' "$work/stat.txt")
    qps=$(echo "$row" | awk '{ print $3 }')
    echo "$bin $mode: $(echo "$row" | awk '{ print "p50", $4, "ms, p99", $5, "ms," }') $(python3 -c "print(f'{$ms / ($qps * 8):.3f}')") ms of daemon CPU per request"
    kill "$daemon" "$sim" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
done

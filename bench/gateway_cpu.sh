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
source "$(dirname "$0")/gateway_pair.sh"
for bin in "${dirs[@]}"; do
    work=$(mktemp -d /tmp/sy-gwcpu-XXXX)
    start_gateway_pair "$bin" "$work"
    load() { "$bin/switchyard-api-bench" load --tcp "127.0.0.1:$port" --path /v1/chat/completions --body "$body" \
        --header "Authorization: Bearer $token" --connections 1 --warmup 0 "${extra[@]}" --seconds "$1" | tail -1; }
    load 2 > /dev/null
    perf stat -e task-clock -p "$daemon_pid" -o "$work/stat.txt" -- sleep 8 &
    row=$(load 8)
    wait $!
    ms=$(awk '/task-clock/ { gsub(",", "", $1); print $1 }' "$work/stat.txt")
    qps=$(echo "$row" | awk '{ print $3 }')
    echo "$bin $mode: $(echo "$row" | awk '{ print "p50", $4, "ms, p99", $5, "ms," }') $(python3 -c "print(f'{$ms / ($qps * 8):.3f}')") ms of daemon CPU per request"
    kill "$daemon_pid" "$sim_pid" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$work"
done

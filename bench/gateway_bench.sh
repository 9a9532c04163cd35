#!/usr/bin/env bash
# The gateway benchmark (README "The gateway"): a non-streaming chat completion against one
# switchyard-sim answering at once (latency 0), sent by switchyard-api-bench over keep-alive TCP
#   - straight to the simulator (the baseline),
#   - through the Switchyard gateway (release daemon, client token, liveness probes every 10 s),
#   - through LiteLLM's proxy (one worker) routing the same upstream, if it is installed,
# at 1 connection (added latency p50/p99) and 32 connections (completions/s), side by side;
# and a streamed completion's time to first event (TTFT), direct and through the gateway.
# Everything shares this machine's cores with the load generator. It ends with the figures the
# gateway's goals are stated in, computed from the rows of this run (added = through it minus direct).
#   bench/gateway_bench.sh [seconds-per-row]      (make bench-gateway builds and installs first)
set -euo pipefail
seconds=${1:-10}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SWITCHYARD_BIN_DIR:-$root/.build/release}  # the release build; a debug one only for a quick look
litellm=${SWITCHYARD_LITELLM:-$root/.build/litellm-proxy-venv/bin/litellm}  # a path that does not exist skips LiteLLM
work=$(mktemp -d /tmp/sy-gw-XXXX)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
source "$(dirname "$0")/gateway_pair.sh"
start_gateway_pair "$bin" "$work"
pids+=("$sim_pid" "$daemon_pid")

body='{"model":"llama-3.1-8b","messages":[{"role":"user","content":"Say hi"}],"max_tokens":8}'
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -sr)"
echo "one answer through the gateway:"
curl -s -D - -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/v1/chat/completions" | tr -d '\r' | grep -iE '^x-switchyard|^\{' | head -5
echo

# Each row is also kept (as "KEY conns qps p50 p99") for the summary at the end.
rows="$work/rows.txt"
measure() {  # key label port body connections [extra args]
    local key=$1 label=$2 target=$3 payload=$4 connections=$5; shift 5
    echo "== $label =="
    local out
    out=$("$bin/switchyard-api-bench" load --tcp "127.0.0.1:$target" --path /v1/chat/completions --body "$payload" "$@" \
        --connections "$connections" --seconds "$seconds" --warmup 2 | tail -n +2)
    echo "$out"
    echo "$out" | awk -v k="$key" '$1 == "tcp" { print k, $2, $3, $4, $5 }' >> "$rows"
}
run() { local key=$1 label=$2 target=$3; shift 3; measure "$key" "$label" "$target" "$body" 1,32 "$@"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "load average before: $(load)"
run direct "direct to the simulator" "$sim_port"
run gateway "through the Switchyard gateway" "$port" --header "Authorization: Bearer $token"
# Streaming: the time to the first event of a `stream: true` answer (TTFT), 1 connection.
stream_body='{"model":"llama-3.1-8b","messages":[{"role":"user","content":"Say hi"}],"max_tokens":8,"stream":true}'
ttft() { local key=$1 label=$2 target=$3; shift 3; measure "$key" "stream TTFT, $label" "$target" "$stream_body" 1 --ttft "$@"; }
ttft ttft-direct "direct to the simulator" "$sim_port"
ttft ttft-gateway "through the Switchyard gateway" "$port" --header "Authorization: Bearer $token"
echo "load average after the Switchyard rows: $(load)"

if [ -x "$litellm" ]; then
    lport=$(free_port)
    cat > "$work/litellm.yaml" <<YAML
model_list:
  - model_name: llama-3.1-8b
    litellm_params: { model: openai/llama-3.1-8b, api_base: "http://127.0.0.1:$sim_port/v1", api_key: sk-none }
YAML
    master=sk-bench-$(python3 -c 'import secrets; print(secrets.token_hex(16))')  # the proxy refuses to start without one
    LITELLM_MASTER_KEY=$master "$litellm" --config "$work/litellm.yaml" --host 127.0.0.1 --port "$lport" --num_workers 1 > "$work/litellm.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$lport/health/liveliness" >/dev/null 2>&1 && break; sleep 0.2; done
    run litellm "through LiteLLM's proxy ($("$root/.build/litellm-proxy-venv/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))'), 1 worker)" "$lport" \
        --header "Authorization: Bearer $master"
    echo "load average after the LiteLLM rows: $(load)"
else
    echo "(LiteLLM's proxy is not installed: make bench-gateway installs it into .build/litellm-proxy-venv)"
fi

# The issue's figures from the rows above (added = through a proxy minus direct, same run).
echo
echo "summary (goals: added p50 < 0.2 ms, added p99 < 1 ms, stream TTFT within 0.5 ms, >= 5,000/s at 32 connections, LiteLLM's added p50 >= 20x ours):"
python3 - "$rows" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    key, conns, qps, p50, p99 = line.split()
    rows[(key, int(conns))] = (float(qps), float(p50), float(p99))
def row(key, conns): return rows.get((key, conns))
direct, gateway = row("direct", 1), row("gateway", 1)
if direct and gateway:
    print(f"  gateway added p50 {gateway[1] - direct[1]:.3f} ms, added p99 {gateway[2] - direct[2]:.3f} ms (direct p50 {direct[1]:.3f} ms)")
if row("direct", 32) and row("gateway", 32):
    print(f"  32 connections: {row('gateway', 32)[0]:,.0f}/s through the gateway, {row('direct', 32)[0]:,.0f}/s direct "
          f"({100 * row('gateway', 32)[0] / row('direct', 32)[0]:.0f} %)")
if row("ttft-direct", 1) and row("ttft-gateway", 1):
    print(f"  stream TTFT added p50 {row('ttft-gateway', 1)[1] - row('ttft-direct', 1)[1]:+.3f} ms")
litellm = row("litellm", 1)
if litellm and direct and gateway:
    ours, theirs = gateway[1] - direct[1], litellm[1] - direct[1]
    print(f"  LiteLLM added p50 {theirs:.3f} ms: {theirs / ours:.0f} times the gateway's" if ours > 0 else f"  LiteLLM added p50 {theirs:.3f} ms")
PY

#!/usr/bin/env bash
# The gateway benchmark (README "The gateway"): a non-streaming chat completion against one
# switchyard-sim answering at once (latency 0), sent by switchyard-api-bench over keep-alive TCP
#   - straight to the simulator (the baseline),
#   - through the Switchyard gateway (release daemon, client token, liveness probes every 10 s),
#   - through LiteLLM's proxy (one worker) routing the same upstream, if it is installed,
# at 1 connection (added latency p50/p99: direct and gateway in turn, three rounds, the median
# round's difference) and 32 connections (completions/s), side by side; and a streamed
# completion's time to first event (TTFT), direct and through the gateway, in rounds the same way.
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
measure() {  # key label port body connections seconds [extra args]
    local key=$1 label=$2 target=$3 payload=$4 connections=$5 length=$6; shift 6
    echo "== $label =="
    local out
    out=$("$bin/switchyard-api-bench" load --tcp "127.0.0.1:$target" --path /v1/chat/completions --body "$payload" "$@" \
        --connections "$connections" --seconds "$length" --warmup 2 | tail -n +2)
    echo "$out"
    echo "$out" | awk -v k="$key" '$1 == "tcp" { print k, $2, $3, $4, $5 }' >> "$rows"
}
load() { cut -d' ' -f1-3 /proc/loadavg; }
auth=(--header "Authorization: Bearer $token")
stream_body='{"model":"llama-3.1-8b","messages":[{"role":"user","content":"Say hi"}],"max_tokens":8,"stream":true}'
# One connection (latency), direct and through the gateway in turn, three rounds of half a row's
# length: a slow spell of this shared machine then falls on both sides of some round, and the
# added latency is the median of the rounds'. The same for a `stream: true` answer's time to its
# first event (TTFT).
rounds=3
short=$(( seconds > 5 ? seconds / 2 : seconds ))
echo "load average before: $(load)"
for round in $(seq 1 $rounds); do
    measure direct "direct to the simulator, 1 connection (round $round)" "$sim_port" "$body" 1 "$short"
    measure gateway "through the Switchyard gateway, 1 connection (round $round)" "$port" "$body" 1 "$short" "${auth[@]}"
done
# 32 connections (completions per second).
measure direct "direct to the simulator, 32 connections" "$sim_port" "$body" 32 "$seconds"
measure gateway "through the Switchyard gateway, 32 connections" "$port" "$body" 32 "$seconds" "${auth[@]}"
for round in $(seq 1 $rounds); do
    measure ttft-direct "stream TTFT, direct to the simulator (round $round)" "$sim_port" "$stream_body" 1 "$short" --ttft
    measure ttft-gateway "stream TTFT, through the Switchyard gateway (round $round)" "$port" "$stream_body" 1 "$short" --ttft "${auth[@]}"
done
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
    version=$("$root/.build/litellm-proxy-venv/bin/python" -c 'import importlib.metadata as m; print(m.version("litellm"))')
    measure litellm "through LiteLLM's proxy ($version, 1 worker), 1 connection" "$lport" "$body" 1 "$seconds" --header "Authorization: Bearer $master"
    measure litellm "through LiteLLM's proxy ($version, 1 worker), 32 connections" "$lport" "$body" 32 "$seconds" --header "Authorization: Bearer $master"
    echo "load average after the LiteLLM rows: $(load)"
else
    echo "(LiteLLM's proxy is not installed: make bench-gateway installs it into .build/litellm-proxy-venv)"
fi

# The issue's figures from the rows above (added = through a proxy minus direct, same run).
echo
echo "summary (goals: added p50 < 0.2 ms, added p99 < 1 ms, stream TTFT within 0.5 ms, >= 5,000/s at 32 connections, LiteLLM's added p50 >= 20x ours):"
python3 - "$rows" <<'PY'
import statistics, sys
rows = {}  # (key, connections) -> [(qps, p50, p99) per round]
for line in open(sys.argv[1]):
    key, conns, qps, p50, p99 = line.split()
    rows.setdefault((key, int(conns)), []).append((float(qps), float(p50), float(p99)))
def added(through, base, column):
    """Each round's difference (through minus base, same round), and their median."""
    pairs = list(zip(rows.get((through, 1), []), rows.get((base, 1), [])))
    each = [t[column] - b[column] for t, b in pairs]
    return (statistics.median(each), each) if each else (None, [])
def rounds(each): return ", ".join(f"{value:+.3f}" for value in each)
p50, p50s = added("gateway", "direct", 1)
p99, p99s = added("gateway", "direct", 2)
direct = rows.get(("direct", 1), [])
if p50 is not None:
    print(f"  gateway added p50 {p50:.3f} ms (rounds {rounds(p50s)}), added p99 {p99:.3f} ms (rounds {rounds(p99s)}); "
          f"direct p50 {statistics.median(r[1] for r in direct):.3f} ms")
if rows.get(("direct", 32)) and rows.get(("gateway", 32)):
    through, straight = rows[("gateway", 32)][0][0], rows[("direct", 32)][0][0]
    print(f"  32 connections: {through:,.0f}/s through the gateway, {straight:,.0f}/s direct ({100 * through / straight:.0f} %)")
ttft, ttfts = added("ttft-gateway", "ttft-direct", 1)
if ttft is not None:
    print(f"  stream TTFT added p50 {ttft:+.3f} ms (rounds {rounds(ttfts)})")
litellm = rows.get(("litellm", 1))
if litellm and direct and p50 is not None:
    theirs = litellm[0][1] - statistics.median(r[1] for r in direct)
    print(f"  LiteLLM added p50 {theirs:.3f} ms: {theirs / p50:.0f} times the gateway's" if p50 > 0 else f"  LiteLLM added p50 {theirs:.3f} ms")
PY

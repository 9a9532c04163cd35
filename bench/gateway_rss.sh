#!/usr/bin/env bash
# The gateway's memory under streaming load (issue #21): the release daemon at 1,000 liveness
# targets (as bench/daemon_rss.sh runs it: 4 simulators on loopback, probes every 10 s) with
# STREAMS concurrent `stream: true` chat completions through the gateway on the Unix socket,
# against simulators that drip slowly (4 tokens/s, 40 tokens: ~10 s a stream) so that all of
# them are in flight at once. Prints the daemon's RSS before, during (while every stream is
# open) and its peak (VmHWM), with the load average.
#   bench/gateway_rss.sh [streams] [targets]     (release binaries; make bench-gateway)
set -euo pipefail
streams=${1:-64}
targets=${2:-1000}
bin=${SWITCHYARD_BIN_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.build/release}
work=$(mktemp -d /tmp/sy-gwrss-XXXX)
source "$(dirname "$0")/fleet.sh"
start_fleet "$targets" --tokens-per-second 4 --completion-tokens 40
for _ in $(seq 1 300); do curl -sf --unix-socket "$work/switchyard.sock" http://localhost/readyz >/dev/null 2>&1 && break; sleep 0.1; done
sleep 15   # start-up spread and the first probe round, as bench/daemon_rss.sh
rss() { awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$daemon/status"; }
hwm() { awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$daemon/status"; }
sim_completions() {
    local total=0
    for p in "${ports[@]}"; do
        total=$((total + $(curl -s "http://127.0.0.1:$p/_sim/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["completion_requests"])')))
    done
    echo "$total"
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "targets: $((per * 4)), streams: $streams (each 40 tokens at 4 tokens/s), gateway on the Unix socket"
before=$(rss)
echo "RSS before the streams: $before MiB (peak so far $(hwm) MiB), load $(cut -d' ' -f1-3 /proc/loadavg)"
c0=$(sim_completions)
body='{"model":"m0","messages":[{"role":"user","content":"Say hi"}],"max_tokens":40,"stream":true}'
streamers=()
for i in $(seq 1 "$streams"); do
    curl -sN --max-time 60 --unix-socket "$work/switchyard.sock" -H 'Content-Type: application/json' -d "$body" \
        http://localhost/v1/chat/completions > "$work/stream$i.out" 2>/dev/null &
    streamers+=($!)
done
max=$before
during=""
for step in $(seq 1 120); do   # at most 60 s
    sleep 0.5
    now=$(rss)
    [ "$now" -gt "$max" ] && max=$now
    alive=0
    for pid in "${streamers[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
    if [ -z "$during" ] && [ "$step" -ge 8 ]; then   # 4 s in: every stream is open
        during="$now MiB with $alive streams open, $(( $(sim_completions) - c0 )) reached the simulators, load $(cut -d' ' -f1-3 /proc/loadavg)"
    fi
    [ "$alive" -eq 0 ] && break
done
wait "${streamers[@]}" 2>/dev/null || true
complete=$(grep -l 'data: \[DONE\]' "$work"/stream*.out 2>/dev/null | wc -l)
echo "RSS during: $during"
echo "RSS after the streams: $(rss) MiB; highest sampled: $max MiB; peak (VmHWM): $(hwm) MiB"
echo "streams that ended with [DONE]: $complete of $streams"

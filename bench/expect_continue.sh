#!/usr/bin/env bash
# How long curl's uploads take through the gateway (README "Limits"): curl sends
# `Expect: 100-continue` with bodies over 1 MiB and waits up to 1 s for the 100 before sending.
# A release daemon in front of one switchyard-sim answering at once; each row is curl's total time.
#   bench/expect_continue.sh [BINDIR]     (BINDIR defaults to .build/release)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$root/.build/release}
source "$(dirname "$0")/gateway_pair.sh"
work=$(mktemp -d /tmp/sy-expect-XXXX)
trap 'kill "$daemon_pid" "$sim_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
start_gateway_pair "$bin" "$work"
timed() { curl -s -o /dev/null -w "%{http_code} %{time_total} s" -H "Authorization: Bearer $token" "$@"; }
printf '{"model":"llama-3.1-8b","messages":[{"role":"user","content":"%s"}],"max_tokens":8}' "$(head -c 60000 /dev/zero | tr '\0' x)" > "$work/chat.json"
head -c 2000000 /dev/urandom > "$work/audio.wav"
echo "60 kB chat, Expect: 100-continue: $(timed -H 'Content-Type: application/json' -H 'Expect: 100-continue' --data-binary @"$work/chat.json" "http://127.0.0.1:$port/v1/chat/completions")"
echo "2 MB upload (curl's own Expect):   $(timed -F model=llama-3.1-8b -F file=@"$work/audio.wav" "http://127.0.0.1:$port/v1/audio/transcriptions") (404: no speech-to-text target; the time is what counts)"

#!/usr/bin/env bash
# Regenerates docs/status-page.png (1280x900) and docs/status-page-phone.png (390 px wide)
# from `switchyard demo` after it has run a while, so sparklines and events have data.
#   docs/screenshots.sh [seconds-to-wait]      (make screenshots builds the binary first)
set -euo pipefail
wait_seconds=${1:-150}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${SWITCHYARD_BIN:-$root/.build/debug/switchyard}
command -v chromium >/dev/null || { echo "chromium is not installed: run make deps" >&2; exit 1; }
work=$(mktemp -d /tmp/sy-shot-XXXX)
demo=""
cleanup() { [ -n "$demo" ] && kill "$demo" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" demo --state-dir "$work/state" --tcp "127.0.0.1:$port" --log-level warning > "$work/demo.out" 2>&1 &
demo=$!
echo "demo on 127.0.0.1:$port; waiting ${wait_seconds}s for history"
sleep "$wait_seconds"
shot() {  # output width height [extra flags]
    chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run --hide-scrollbars \
        --user-data-dir="$work/profile-$2" --window-size="$2,$3" "${@:4}" --screenshot="$1" "http://127.0.0.1:$port/" \
        > "$work/chromium.log" 2>&1 || { cat "$work/chromium.log" >&2; exit 1; }
    echo "wrote $1"
}
shot "$root/docs/status-page.png" 1280 900
shot "$root/docs/status-page-phone.png" 390 1100 --force-device-scale-factor=1

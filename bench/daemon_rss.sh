#!/usr/bin/env bash
# Measures the whole daemon (probes, health book, SQLite writer, HTTP API on TCP and the
# Unix socket, metrics) at 1,000 liveness targets every 10 s against 4 simulator processes
# on loopback: RSS and CPU seconds per 1,000 probes over a measured window.
#   bench/daemon_rss.sh [targets] [window-seconds]     (release binaries; make bench-daemon)
set -euo pipefail
targets=${1:-1000}
window=${2:-60}
bin=$(cd "$(dirname "$0")/.." && pwd)/.build/release
work=$(mktemp -d /tmp/sy-rss-XXXX)
source "$(dirname "$0")/fleet.sh"
start_fleet "$targets"
sleep 15   # start-up spread and first round
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$daemon/stat"; }
# Probes are counted from the tail's AUTOINCREMENT counter (every stored observation; no
# reports here), read by sqlite3 beside the daemon, so that counting costs the daemon nothing.
# A Prometheus scrape is measured on its own below: its cost depends on the scrape interval.
probes() { sqlite3 -readonly "$work/switchyard.db" "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'observations'), 0)"; }
c0=$(cpu); p0=$(probes)
sleep "$window"
c1=$(cpu); p1=$(probes)
s0=$(cpu)
for _ in 1 2 3 4 5; do curl -s -o /dev/null --unix-socket "$work/switchyard.sock" http://localhost/metrics; done
s1=$(cpu)
rss=$(awk '/VmRSS/ {print $2}' "/proc/$daemon/status")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$daemon/status")
db=$(stat -c %s "$work/switchyard.db")
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "targets: $((per * 4)), window: ${window}s, probes in window: $((p1 - p0))"
awk -v c=$((c1 - c0)) -v t="$ticks" -v p=$((p1 - p0)) 'BEGIN { printf "CPU seconds per 1,000 probes (whole daemon): %.3f\n", (c / t) / p * 1000 }'
echo "RSS: $((rss / 1024)) MiB (peak $((hwm / 1024)) MiB, after 5 scrapes of /metrics); database: $((db / 1024)) KiB"
awk -v c=$((s1 - s0)) -v t="$ticks" 'BEGIN { printf "CPU seconds per /metrics scrape (mean of 5): %.3f; every 15 s that adds %.3f CPU-s per 1,000 probes at 100 probes/s\n", c / t / 5, (c / t / 5) / 1.5 }'

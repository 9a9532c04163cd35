# Sourced by the daemon benchmarks: a whole daemon at many liveness targets, probed every 10 s,
# against 4 `switchyard-sim` processes on loopback (targets spread evenly over them).
#   start_fleet TARGETS [simulator options...]   sets: work, bin, per, ports, daemon, pids
# The caller sets `bin` and `work` first; the EXIT trap stops everything and removes `work`.
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

start_fleet() {
    local targets=$1
    shift
    per=$(( (targets + 3) / 4 ))
    local models
    models=$(seq -s, -f "m%g" 0 $((per - 1)))
    ports=()
    for i in 0 1 2 3; do
        "$bin/switchyard-sim" --name "sim$i" --models "$models" --latency-ms 1 "$@" > "$work/sim$i.out" 2>/dev/null &
        pids+=($!)
    done
    for i in 0 1 2 3; do
        for _ in $(seq 1 100); do grep -q listening "$work/sim$i.out" 2>/dev/null && break; sleep 0.1; done
        ports+=("$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/sim$i.out")")
    done
    {
        echo "listen: { tcp: \"127.0.0.1:0\", unix: \"$work/switchyard.sock\" }"
        echo "probe: { interval: 10s, timeout: 5s, mode: liveness }"
        echo "providers:"
        for i in 0 1 2 3; do
            echo "  - name: sim$i"
            echo "    kind: openai"
            echo "    base_url: http://127.0.0.1:${ports[$i]}/v1"
            echo "    models:"
            for m in $(seq 0 $((per - 1))); do echo "      - { name: m$m }"; done
        done
    } > "$work/switchyard.yaml"
    "$bin/switchyard" serve --config "$work/switchyard.yaml" --state-dir "$work" --log-level warning &
    daemon=$!
    pids+=($daemon)
}

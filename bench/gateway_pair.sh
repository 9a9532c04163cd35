# Sourced by the gateway benchmarks: one switchyard-sim answering at once and a release daemon in
# front of it (client token, liveness probes every 10 s), both on loopback.
#   start_gateway_pair BIN WORK  sets sim_port, port (the daemon's TCP), sim_pid, daemon_pid and token.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_gateway_pair() {
    local bin=$1 work=$2
    "$bin/switchyard-sim" --name sim --models llama-3.1-8b --latency-ms 0 --completion-tokens 8 > "$work/sim.out" 2>/dev/null &
    sim_pid=$!
    for _ in $(seq 1 100); do grep -q listening "$work/sim.out" 2>/dev/null && break; sleep 0.1; done
    sim_port=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$work/sim.out")
    port=$(free_port)
    token=bench-client-token
    cat > "$work/switchyard.yaml" <<YAML
listen: { tcp: "127.0.0.1:$port", unix: "$work/switchyard.sock" }
probe: { interval: 10s, timeout: 5s, mode: liveness }
clients: [{ name: bench, token_env: SY_BENCH_TOKEN }]
providers:
  - { name: sim, kind: openai, base_url: "http://127.0.0.1:$sim_port/v1", models: [{ name: llama-3.1-8b }] }
YAML
    SY_BENCH_TOKEN=$token "$bin/switchyard" serve --config "$work/switchyard.yaml" --state-dir "$work" --log-level warning &
    daemon_pid=$!
    for _ in $(seq 1 100); do curl -sf --unix-socket "$work/switchyard.sock" http://localhost/readyz >/dev/null 2>&1 && break; sleep 0.1; done
}

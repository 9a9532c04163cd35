"""What the Python benchmarks share: free ports, JSON over HTTP, waiting, and simulators."""
import json
import os
import secrets
import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url: str, method: str = "GET", body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json", **(headers or {})})
    with urllib.request.urlopen(request, timeout=5) as answer:
        return json.loads(answer.read() or b"null")


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {seconds} s")


def start_simulator(binary: str, name: str, model: str, *options: str):
    """Starts `switchyard-sim` serving `model` on a free port; returns (process, base URL)."""
    process = subprocess.Popen([binary, "--port", "0", "--name", name, "--models", model, *options],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = process.stdout.readline()
    if "listening on" not in line:
        raise RuntimeError(f"switchyard-sim {name} did not start: {line!r}")
    return process, line.strip().rsplit(" ", 1)[-1]


def start_gateway_daemon(binary: str, work: str, probe: str, providers: str):
    """Starts `switchyard serve` on a free TCP port with one client token (`bench`), `probe` as
    its probe settings and `providers` as YAML lines; waits for /readyz. Returns (process, port, token)."""
    port, token = free_port(), "bench-" + secrets.token_hex(8)
    config = os.path.join(work, "switchyard.yaml")
    with open(config, "w") as f:
        f.write(f'listen: {{ tcp: "127.0.0.1:{port}", unix: "{work}/switchyard.sock" }}\n'
                f"probe: {probe}\n"
                "clients: [{ name: bench, token_env: SY_BENCH_TOKEN }]\n"
                f"providers:\n{providers}\n")
    process = subprocess.Popen([binary, "serve", "--config", config, "--state-dir", work, "--log-level", "warning"],
                               stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "daemon.log"), "w"),
                               env={**os.environ, "SY_BENCH_TOKEN": token})
    wait_until(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).status == 200, 30, "switchyard")
    return process, port, token

"""What the Python benchmarks share: free ports, JSON over HTTP, waiting, and simulators."""
import json
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

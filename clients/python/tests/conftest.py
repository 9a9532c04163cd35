"""Fixtures: the real `switchyard` daemon and `switchyard-sim` providers on loopback.

The binaries come from `SWITCHYARD_BIN_DIR`, else the repository's `.build/debug` (`swift build`)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from switchyard_client.transport import DaemonTransport, SwitchyardError

REPO = Path(__file__).resolve().parents[3]
BIN = Path(os.environ.get("SWITCHYARD_BIN_DIR", REPO / ".build" / "debug"))
MODEL = "llama"
# Latencies that make the ranking a, b, c once the first probes are in.
PROVIDERS = {"a": 5.0, "b": 25.0, "c": 50.0}
# The one client of the test daemons' `clients:` list, whose token admits reports over TCP.
CLIENT_NAME = "py-tests"
CLIENT_TOKEN = "sy_client_" + "7f3c9a1e5b2d48c6a0e4f1b9d3c7e2a8"


def _binary(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{path} is missing: build it first (`swift build`, or `make test`)")
    return str(path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Simulator:
    """One `switchyard-sim` process serving the model `llama-<name>`."""

    def __init__(self, name: str, latency_ms: float):
        self.name = name
        self.upstream = f"llama-{name}"
        self.latency_ms = latency_ms
        self.process = subprocess.Popen(
            [_binary("switchyard-sim"), "--port", "0", "--name", name, "--models", self.upstream, "--latency-ms", str(latency_ms)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self.process.stdout.readline()  # "switchyard-sim a listening on http://127.0.0.1:PORT"
        if "listening on" not in line:
            self.process.kill()
            raise RuntimeError(f"switchyard-sim {name} did not start: {line!r}")
        self.url = line.strip().rsplit(" ", 1)[-1]
        self.base_url = self.url + "/v1"

    def completion_requests(self) -> int:
        """`GET /_sim/stats`: requests to the OpenAI POST routes so far (probes in liveness mode are GETs)."""
        return json.loads(urllib.request.urlopen(self.url + "/_sim/stats", timeout=5).read())["completion_requests"]

    def set_behavior(self, **behavior: object) -> None:
        """`PUT /_sim/behavior`: the default behaviour for this simulator plus `behavior`."""
        body = {"models": [self.upstream], "latency_ms": self.latency_ms, **behavior}
        request = urllib.request.Request(self.url + "/_sim/behavior", data=json.dumps(body).encode(), method="PUT",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=5).read()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Daemon:
    """A `switchyard serve` process on a Unix socket and a TCP port, with its own state dir."""

    def __init__(self, sims: Dict[str, Simulator], probe_interval: str = "2s", extra_yaml: str = "",
                 env: Optional[Dict[str, str]] = None, extra_clients: str = "", provider_extra: Optional[Dict[str, str]] = None):
        """`extra_clients`: more entries (YAML lines) for the `clients:` list beside `CLIENT_NAME`;
        `provider_extra`: YAML members added to a provider's entry (`capabilities: { tools: false }, `)."""
        self.directory = tempfile.mkdtemp(prefix="sy-py-")
        self.socket_path = os.path.join(self.directory, "switchyard.sock")
        self.tcp_port = free_port()
        providers = "\n".join(
            f'  - {{ name: {s.name}, kind: openai, base_url: "{s.base_url}", {(provider_extra or {}).get(s.name, "")}'
            f'models: [{{ name: {MODEL}, upstream: {s.upstream} }}] }}'
            for s in sims.values()
        )
        self.config = os.path.join(self.directory, "switchyard.yaml")
        with open(self.config, "w") as f:
            f.write(f'listen: {{ tcp: "127.0.0.1:{self.tcp_port}", unix: "{self.socket_path}" }}\n'
                    f"probe: {{ interval: {probe_interval}, timeout: 2s, max_tokens: 4 }}\n"
                    f"clients:\n  - {{ name: {CLIENT_NAME}, token_env: SY_PY_CLIENT_TOKEN }}\n{extra_clients}"
                    f"{extra_yaml}providers:\n{providers}\n")
        self.env = {"SY_PY_CLIENT_TOKEN": CLIENT_TOKEN, **(env or {})}
        self.log = open(os.path.join(self.directory, "daemon.log"), "w")
        self.process: Optional[subprocess.Popen] = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.tcp_port}"

    def start(self) -> "Daemon":
        self.process = subprocess.Popen(
            [_binary("switchyard"), "serve", "--config", self.config, "--state-dir", self.directory, "--log-level", "warning"],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **(self.env or {})},
        )
        transport = DaemonTransport(socket_path=self.socket_path)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if transport.request("GET", "/readyz").get("ready"):
                    return self
            except SwitchyardError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"switchyard serve exited: {open(self.log.name).read()}")
            time.sleep(0.05)
        raise RuntimeError("switchyard serve did not become ready in 20 s")

    def route_order(self) -> List[str]:
        answer = DaemonTransport(socket_path=self.socket_path).request("GET", f"/v1/route?model={MODEL}")
        return [c["provider"] for c in answer["candidates"]]

    def wait_for_order(self, predicate, within: float = 15.0) -> List[str]:
        """Polls the route until `predicate(order)` holds; returns the order."""
        deadline = time.monotonic() + within
        order = self.route_order()
        while not predicate(order) and time.monotonic() < deadline:
            time.sleep(0.05)
            order = self.route_order()
        assert predicate(order), f"route order {order} never satisfied the condition"
        return order

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cleanup(self) -> None:
        self.stop()
        self.log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture(scope="session")
def sims():
    started = {name: Simulator(name, latency) for name, latency in PROVIDERS.items()}
    yield started
    for sim in started.values():
        sim.stop()


@pytest.fixture
def daemon(sims):
    """A fresh daemon (fresh state) whose route ranks a, b, c; simulators reset afterwards."""
    for sim in sims.values():
        sim.set_behavior()
    running = Daemon(sims).start()
    running.wait_for_order(lambda order: order[:1] == ["a"] and len(order) == 3)
    yield running
    running.cleanup()
    for sim in sims.values():
        sim.set_behavior()


def static_routes(sims: Dict[str, Simulator]) -> Dict[str, list]:
    """The fallback order a caller would configure: c first, so a test can tell it was used."""
    return {MODEL: [{"provider": s.name, "base_url": s.base_url, "upstream_model": s.upstream} for s in
                    (sims["c"], sims["b"], sims["a"])]}

"""Issue #9 acceptance: the top provider fails for 20 s under 4 concurrent callers.

Callers using the client (failover + reports through the daemon) run side by side with a
plain fixed-order loop over the same providers (a, b, c). Both count, in their own request
function, calls that failed for the caller and requests that reached the failing provider."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import List

from conftest import MODEL
from switchyard_client import Candidate, Switchyard

CALLERS = 4
FAULT_SECONDS = 20.0
PACE_SECONDS = 0.05  # each caller sends about 20 requests a second


@dataclass
class Tally:
    calls: int = 0
    failed_calls: int = 0
    reached_failing: List[float] = field(default_factory=list)  # when each request to the failing provider failed
    lock: threading.Lock = field(default_factory=threading.Lock)


def chat(base_url: str, upstream: str) -> dict:
    body = json.dumps({"model": upstream, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4}).encode()
    request = urllib.request.Request(base_url + "/chat/completions", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def counted(tally: Tally, failing: str, provider: str, base_url: str, upstream: str) -> dict:
    try:
        return chat(base_url, upstream)
    except urllib.error.HTTPError:
        if provider == failing:
            with tally.lock:
                tally.reached_failing.append(time.monotonic())
        raise


def client_caller(sy: Switchyard, tally: Tally, stop: threading.Event) -> None:
    def attempt(c: Candidate) -> dict:
        return counted(tally, "a", c.provider, c.base_url, c.upstream_model)
    while not stop.is_set():
        try:
            sy.call_with_failover(MODEL, attempt)
            failed = 0
        except Exception:  # noqa: BLE001 - a failed call is what is counted
            failed = 1
        with tally.lock:
            tally.calls += 1
            tally.failed_calls += failed
        time.sleep(PACE_SECONDS)


def fixed_order_caller(sims, tally: Tally, stop: threading.Event) -> None:
    """The seed pattern: the same provider list every time, first success wins."""
    order = [sims[name] for name in ("a", "b", "c")]
    while not stop.is_set():
        failed = 1
        for sim in order:
            try:
                counted(tally, "a", sim.name, sim.base_url, sim.upstream)
                failed = 0
                break
            except Exception:  # noqa: BLE001
                continue
        with tally.lock:
            tally.calls += 1
            tally.failed_calls += failed
        time.sleep(PACE_SECONDS)


def test_top_provider_failing_for_20_seconds_under_4_callers(daemon, sims, capsys):
    client, fixed = Tally(), Tally()
    stop = threading.Event()
    with Switchyard(socket_path=daemon.socket_path) as sy:
        threads = [threading.Thread(target=client_caller, args=(sy, client, stop)) for _ in range(CALLERS)]
        threads += [threading.Thread(target=fixed_order_caller, args=(sims, fixed, stop)) for _ in range(CALLERS)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # steady state: everyone on `a`
        sims["a"].set_behavior(fault="server_error")
        fault_started = time.monotonic()
        time.sleep(FAULT_SECONDS)
        sims["a"].set_behavior()
        time.sleep(0.5)
        stop.set()
        for thread in threads:
            thread.join(10)
        sy.flush()
        stats = sy.reporter.stats

    client_after_first = [t for t in client.reached_failing[CALLERS:]]
    with capsys.disabled():
        print(f"\n[acceptance] a failing for {FAULT_SECONDS:.0f} s, {CALLERS} callers each:")
        print(f"  {'':28}{'client':>10}{'fixed loop':>12}")
        print(f"  {'calls':28}{client.calls:>10}{fixed.calls:>12}")
        print(f"  {'failed calls':28}{client.failed_calls:>10}{fixed.failed_calls:>12}")
        print(f"  {'requests reaching a':28}{len(client.reached_failing):>10}{len(fixed.reached_failing):>12}")
        print(f"  {'  after the first 4':28}{len(client_after_first):>10}{max(0, len(fixed.reached_failing) - CALLERS):>12}")
        last = max(client.reached_failing, default=fault_started) - fault_started
        print(f"  client's last request to a: {last * 1000:.0f} ms into the fault; reports sent {stats.sent}, dropped {stats.dropped}")

    assert client.failed_calls == 0
    assert client.calls > 200 and fixed.calls > 200
    assert 1 <= len(client.reached_failing) <= CALLERS + 4
    assert len(client_after_first) <= 4
    assert len(fixed.reached_failing) > 10 * len(client.reached_failing)
    assert stats.dropped == 0

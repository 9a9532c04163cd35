"""The stdlib core against the real daemon: routes, cache, reports, failover, static fallback."""

from __future__ import annotations

import json
import logging
import random
import threading
import time
import urllib.request

import pytest

from conftest import MODEL, static_routes
from switchyard_client import AllCandidatesFailed, Backoff, Candidate, DaemonError, Switchyard
from switchyard_client.reporter import ReportBatcher


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def ask(candidate: Candidate) -> dict:
    """One chat completion to `candidate` with the standard library; raises on any HTTP error."""
    body = json.dumps({"model": candidate.upstream_model, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4})
    request = urllib.request.Request(candidate.base_url + "/chat/completions", data=body.encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def test_route_over_unix_socket_and_tcp(daemon, sims):
    with Switchyard(socket_path=daemon.socket_path) as sy:
        route = sy.route(MODEL)
        assert [c.provider for c in route.candidates] == ["a", "b", "c"]
        assert route.source == "daemon"
        top = route.candidates[0]
        assert (top.base_url, top.upstream_model) == (sims["a"].base_url, "llama-a")
        assert [c.provider for c in sy.route(MODEL, exclude=["a"], cached=False).candidates] == ["b", "c"]
        with pytest.raises(DaemonError) as unknown:
            sy.route("no-such-model")
        assert unknown.value.status == 404
    with Switchyard(url=daemon.url) as sy:
        assert [c.provider for c in sy.route(MODEL).candidates] == ["a", "b", "c"]


def test_route_cache_serves_within_ttl_and_refreshes_after(daemon):
    clock = FakeClock()
    with Switchyard(socket_path=daemon.socket_path, cache_ttl=0.5, clock=clock) as sy:
        first = sy.route(MODEL)
        clock.now += 0.49
        assert sy.route(MODEL) is first
        clock.now += 0.02
        refreshed = sy.route(MODEL)
        assert refreshed is not first and refreshed.candidates[0].provider == "a"
        sy.cache.invalidate(MODEL)
        assert sy.route(MODEL) is not refreshed


def test_reports_are_batched_and_counted(daemon):
    with Switchyard(socket_path=daemon.socket_path) as sy:
        for _ in range(5):
            assert sy.report("b", MODEL, "ok", status=200, total_ms=30, tokens_in=10, tokens_out=4)
        sy.report("nobody", MODEL, "ok", total_ms=1)
        assert sy.flush()
        stats = sy.reporter.stats
        assert (stats.sent, stats.accepted, stats.rejected, stats.dropped) == (6, 5, 1, 0)


def test_report_buffer_is_bounded_and_never_blocks():
    release = threading.Event()
    sent: list = []

    def slow_send(batch, batch_id):
        release.wait(5)
        sent.extend(batch)
        return {"accepted": len(batch)}

    batcher = ReportBatcher(slow_send, capacity=3, batch_size=1, flush_interval=0.01)
    started = time.monotonic()
    results = [batcher.add({"n": n}, urgent=True) for n in range(10)]
    assert time.monotonic() - started < 0.5  # ten adds while the sender is stuck: none waits for it
    assert results.count(False) == batcher.stats.dropped >= 6
    release.set()
    assert batcher.flush()
    assert len(sent) == 10 - batcher.stats.dropped


def test_backoff_is_jittered_exponential_and_capped():
    backoff = Backoff(base=0.1, cap=0.5)
    rng = random.Random(7)
    delays = [[backoff.delay(i, rng) for i in range(5)] for _ in range(200)]
    for row in delays:
        for i, delay in enumerate(row):
            assert 0 <= delay < min(0.5, 0.1 * 2 ** i)
    assert max(row[3] for row in delays) > 0.4  # the cap is reached, not just the base
    assert len({round(row[0], 6) for row in delays}) > 100  # jittered, not fixed


def test_failover_reports_each_attempt_and_surfaces_every_error(daemon, sims):
    slept: list = []
    with Switchyard(socket_path=daemon.socket_path, sleep=slept.append, rng=random.Random(1), backoff=Backoff(base=0.05, cap=1)) as sy:
        sims["a"].set_behavior(fault="server_error")
        answer = sy.call_with_failover(MODEL, ask)
        assert answer["model"] == "llama-b"
        assert len(slept) == 1 and 0 <= slept[0] < 0.05
        for sim in sims.values():
            sim.set_behavior(fault="rate_limited")
        sy.cooldowns.clear("a", MODEL)
        with pytest.raises(AllCandidatesFailed) as failed:
            sy.call_with_failover(MODEL, ask)
        attempts = failed.value.attempts
        assert sorted((a.candidate.provider, a.outcome, a.status) for a in attempts) == \
            [("a", "rate_limited", 429), ("b", "rate_limited", 429), ("c", "rate_limited", 429)]
        assert "(llama-a): rate_limited 429" in str(failed.value)
        assert sy.flush()
        assert sy.reporter.stats.accepted == 5  # a failed, b ok, then three rate limits


def test_attempt_timeout_moves_on_and_reports_a_timeout(daemon, sims):
    sims["a"].set_behavior(fault="hang")
    with Switchyard(socket_path=daemon.socket_path, attempt_timeout=0.3) as sy:
        started = time.monotonic()
        assert sy.call_with_failover(MODEL, ask)["model"] == "llama-b"
        assert time.monotonic() - started < 2
        assert sy.flush() and sy.reporter.stats.accepted == 2
    state = json.loads(urllib.request.urlopen(daemon.url + "/v1/providers/a", timeout=5).read())
    assert state["targets"][0]["last_error"] == "timeout"


def test_caller_errors_are_raised_at_once_without_failover(daemon):
    class BadRequest(Exception):
        status_code = 400

    calls = []

    def refuse(candidate):
        calls.append(candidate.provider)
        raise BadRequest("messages must not be empty")

    with Switchyard(socket_path=daemon.socket_path) as sy:
        with pytest.raises(BadRequest):
            sy.call_with_failover(MODEL, refuse)
        assert calls == ["a"]


def test_static_order_when_the_daemon_is_down_logged_once(daemon, sims, caplog):
    daemon.stop()
    caplog.set_level(logging.WARNING, logger="switchyard_client")
    with Switchyard(socket_path=daemon.socket_path, static_routes=static_routes(sims), cache_ttl=0) as sy:
        answers = [sy.call_with_failover(MODEL, ask)["model"] for _ in range(5)]
        assert answers == ["llama-c"] * 5
        assert sy.route(MODEL).source == "static"
        warnings = [r.getMessage() for r in caplog.records if r.name == "switchyard_client"]
        assert len(warnings) == 1 and "static provider order" in warnings[0]
        sy.flush(timeout=1)
        assert sy.reporter.stats.send_failures >= 1 and sy.reporter.stats.accepted == 0


def test_reporter_outlives_a_send_that_fails_in_any_way():
    import http.client
    sent: list = []
    failures = [http.client.IncompleteRead(b"{"), TypeError("not JSON serializable")]

    def flaky_send(batch, batch_id):
        if failures:
            raise failures.pop(0)
        sent.extend(batch)
        return {"accepted": len(batch)}

    batcher = ReportBatcher(flaky_send, batch_size=1, flush_interval=0.01)
    for n in range(3):
        assert batcher.add({"n": n}, urgent=True)
        assert batcher.flush(timeout=2)
    assert batcher.stats.send_failures == 2
    assert sent == [{"n": 2}]  # the thread lived on and sent the third
    batcher.close()


def test_a_daemon_answering_5xx_or_garbage_falls_back_to_the_static_order(sims):
    import http.server

    answers = iter([(500, b'{"error":{"code":"internal","message":"boom"}}'), (200, b"not json"), (200, b'{"model":"x"}')])

    class Broken(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            status, body = next(answers)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Broken)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with Switchyard(url=url, static_routes=static_routes(sims), cache_ttl=0) as sy:
            for _ in range(3):
                route = sy.route(MODEL)
                assert route.source == "static" and route.candidates[0].provider == sims["c"].name
    finally:
        server.shutdown()

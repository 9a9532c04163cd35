"""The hedging scenario (issue #21), hedging off and then on, in one run:
two simulated providers serving the same model, `a` (tried first: `provider.order`) with a
5 % tail of +2 s before its first byte, `b` healthy; CALLERS closed-loop callers send N
streamed chat completions through the gateway to model `m-off` (no `hedge:`) and then N to
`m-on` (`hedge: { after: p95, max_extra: 5% }`); both models are the same two upstreams.
Reported per phase: TTFT (the caller's time to the first `data:` event) p50/p90/p99/max,
and the extra upstream requests (completion requests the simulators received beyond the N
calls, from their `GET /_sim/stats`) with the gateway's hedge counters from `/metrics`.
Warm-up calls (not counted) come first in each phase; p95 needs 20 first bytes before any hedge.
    python bench/gateway_hedge.py --bin .build/release [--requests 2000] [--callers 4]
"""
import argparse
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

from benchlib import http_json, start_gateway_daemon, start_simulator

UPSTREAM = "llama-3.1-8b"











class Sim:
    """One `switchyard-sim` with its behaviour and counters over HTTP."""

    def __init__(self, binary: str, name: str, seed: int, **behaviour):
        self.process, self.url = start_simulator(binary, name, UPSTREAM, "--seed", str(seed))
        http_json(self.url + "/_sim/behavior", "PUT", {"models": [UPSTREAM], **behaviour})

    def completions(self) -> int:
        return http_json(self.url + "/_sim/stats")["completion_requests"]


def start_gateway(binary: str, sims: dict, work: str):
    models = (f"[{{ name: m-off, upstream: {UPSTREAM} }}, "
              f"{{ name: m-on, upstream: {UPSTREAM}, probe: {{ hedge: {{ after: p95, max_extra: 5% }} }} }}]")
    providers = "\n".join(f'  - {{ name: {name}, kind: openai, base_url: "{sim.url}/v1", models: {models} }}'
                          for name, sim in sims.items())
    return start_gateway_daemon(binary, work, "{ interval: 1h, timeout: 5s, mode: liveness }", providers)


def streamed_ttfts(port: int, token: str, model: str, count: int, callers: int) -> list:
    """`count` streamed completions by `callers` closed-loop callers; each one's TTFT in ms."""
    body = json.dumps({"model": model, "stream": True, "max_tokens": 8, "provider": {"order": ["a", "b"]},
                       "messages": [{"role": "user", "content": "Say hi"}]})
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    left, ttfts, lock = [count], [], threading.Lock()

    def caller():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            started = time.perf_counter()
            connection.request("POST", "/v1/chat/completions", body, headers)
            answer = connection.getresponse()
            if answer.status != 200:
                raise RuntimeError(f"HTTP {answer.status}: {answer.read()[:200]!r}")
            while not answer.readline().startswith(b"data:"):
                pass
            ttft = (time.perf_counter() - started) * 1000
            answer.read()
            with lock:
                ttfts.append(ttft)

    threads = [threading.Thread(target=caller) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ttfts


def hedge_counters(port: int) -> dict:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    return {m.group(1): int(float(m.group(2))) for m in re.finditer(r'switchyard_gateway_hedges_total\{result="(\w+)"\} (\S+)', text)}


def quantile(sorted_values: list, q: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, max(0, int(round(q * len(sorted_values) + 0.5)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=".build/release")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--callers", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()
    sims = {
        "a": Sim(f"{args.bin}/switchyard-sim", "a", 1, latency_ms=20, jitter_ms=10, tail_probability=0.05, tail_ms=2000),
        "b": Sim(f"{args.bin}/switchyard-sim", "b", 2, latency_ms=20, jitter_ms=10),
    }
    print(f"machine: {os.cpu_count()} cores, {open('/proc/cpuinfo').read().split('model name')[1].split(':')[1].splitlines()[0].strip()}, "
          f"{os.uname().sysname} {os.uname().release}; load {' '.join(open('/proc/loadavg').read().split()[:3])}")
    print(f"a: 20 ms + up to 10 ms jitter, 5 % of requests +2000 ms before the first byte; b: 20 ms + up to 10 ms; "
          f"{args.requests} streamed calls per phase, {args.callers} closed-loop callers, {args.warmup} warm-up calls first")
    with tempfile.TemporaryDirectory(prefix="sy-hedge-") as work:
        daemon, port, token = start_gateway(f"{args.bin}/switchyard", sims, work)
        try:
            rows = []
            for label, model in [("hedging off", "m-off"), ("hedging on (after: p95, max_extra: 5%)", "m-on")]:
                streamed_ttfts(port, token, model, args.warmup, args.callers)
                before = {name: sim.completions() for name, sim in sims.items()}
                counters = hedge_counters(port)
                started = time.monotonic()
                ttfts = sorted(streamed_ttfts(port, token, model, args.requests, args.callers))
                seconds = time.monotonic() - started
                after = {name: sim.completions() for name, sim in sims.items()}
                upstream = sum(after[n] - before[n] for n in sims)
                hedges = {k: v - counters.get(k, 0) for k, v in hedge_counters(port).items()}
                rows.append((label, ttfts, upstream, hedges, seconds))
            print("\n| phase | calls | TTFT p50 ms | p90 ms | p99 ms | max ms | upstream requests | extra | hedges started / won by the hedge / no budget | seconds | load |")
            print("|---|---|---|---|---|---|---|---|---|---|---|")
            for label, ttfts, upstream, hedges, seconds in rows:
                extra = upstream - len(ttfts)
                print(f"| {label} | {len(ttfts)} | {quantile(ttfts, 0.5):.1f} | {quantile(ttfts, 0.9):.1f} | {quantile(ttfts, 0.99):.1f} "
                      f"| {ttfts[-1]:.1f} | {upstream} | {extra} ({100 * extra / len(ttfts):.2f} %) "
                      f"| {hedges.get('started', 0)} / {hedges.get('hedge_won', 0)} / {hedges.get('no_budget', 0)} | {seconds:.1f} "
                      f"| {' '.join(open('/proc/loadavg').read().split()[:3])} |")
            off, on = rows[0][1], rows[1][1]
            print(f"\np99 TTFT {quantile(off, 0.99):.1f} ms -> {quantile(on, 0.99):.1f} ms "
                  f"({quantile(on, 0.99) / quantile(off, 0.99):.2f}x; goal <= 0.5x), extra upstream requests with hedging "
                  f"{100 * (rows[1][2] - len(on)) / len(on):.2f} % (goal < 6 %)")
        finally:
            daemon.terminate()
            daemon.wait(10)
            for sim in sims.values():
                sim.process.terminate()


if __name__ == "__main__":
    main()

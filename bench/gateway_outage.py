"""The gateway outage scenario (issue #21), side by side in one run:
4 closed-loop callers using the plain `openai` SDK, the top one of three simulated providers
answering 500 for OUTAGE seconds, then recovering, with the callers going
  - through the Switchyard gateway (model `llama-3.1-8b:preferred`: configured order),
  - straight to the providers (fixed order a, b, c; the SDK's own retries as shipped),
  - through LiteLLM's proxy routing the same three upstreams (if its venv exists).
Counts, from the callers: calls and failed calls; from the simulators' `GET /_sim/stats`:
the completion requests that reached the failing provider after its first failure (the
simulator counts those that arrived after it answered its first injected 500), and
how soon (and how much) traffic came back to it after recovery.
Everything on 127.0.0.1, bounded in time: about (BEFORE + OUTAGE + AFTER) s per scenario.
    python bench/gateway_outage.py --bin .build/release [--litellm .build/litellm-proxy-venv/bin/litellm]
"""
import argparse
import json
import os
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from openai import OpenAI

from benchlib import free_port, http_json, start_gateway_daemon, start_simulator, wait_until

MODEL = "llama-3.1-8b"
NAMES = ["a", "b", "c"]  # a is the top provider, the one that fails











class Sim:
    """One `switchyard-sim` serving MODEL, with its behaviour and counters over HTTP."""

    def __init__(self, binary: str, name: str, latency_ms: float):
        self.name, self.latency_ms = name, latency_ms
        self.process, self.url = start_simulator(binary, name, MODEL, "--latency-ms", str(latency_ms))

    def behave(self, **behaviour) -> None:
        http_json(self.url + "/_sim/behavior", "PUT", {"models": [MODEL], "latency_ms": self.latency_ms, **behaviour})

    def stats(self) -> dict:
        return http_json(self.url + "/_sim/stats")


class Callers:
    """N closed-loop callers, each running `call()` until stopped; records (start, seconds, ok)."""

    def __init__(self, count: int, make_call):
        self.stop = threading.Event()
        self.records = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, args=(make_call(),), daemon=True) for _ in range(count)]

    def loop(self, call) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                call()
                ok = True
            except Exception:
                ok = False
            with self.lock:
                self.records.append((started, time.monotonic() - started, ok))

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def messages():
    return [{"role": "user", "content": "Say hi"}]


def run_scenario(label: str, sims, make_call, before: float, outage: float, after: float, callers: int) -> dict:
    for sim in sims:
        sim.behave()
    top = sims[0]
    with Callers(callers, make_call) as running:
        time.sleep(before)
        s0 = {sim.name: sim.stats() for sim in sims}
        outage_started = time.monotonic()
        top.behave(fault="server_error")
        set_count = top.stats()["completion_requests"]  # read once the fault is in place: a lower bound
        reached = []  # (seconds into the outage, completions at the failing provider so far), polled every 50 ms
        while time.monotonic() - outage_started < outage:
            reached.append((time.monotonic() - outage_started,
                            top.stats()["completion_requests"] - s0[top.name]["completion_requests"]))
            time.sleep(0.05)
        top.behave()
        recovered = time.monotonic()
        s1 = {sim.name: sim.stats() for sim in sims}
        back_after = None
        while time.monotonic() - recovered < after:  # when does a completion reach the top provider again?
            if back_after is None and top.stats()["completion_requests"] > s1[top.name]["completion_requests"]:
                back_after = time.monotonic() - recovered
            time.sleep(0.05)
        s2 = {sim.name: sim.stats() for sim in sims}
    records = running.records
    phase = lambda lo, hi: [r for r in records if lo <= r[0] < hi]
    during = phase(outage_started, recovered)
    durations = sorted(r[1] * 1000 for r in during if r[2]) or [float("nan")]
    outage_to_top = s1[top.name]["completion_requests"] - s0[top.name]["completion_requests"]
    probes_to_top = (s1[top.name]["requests"] - s1[top.name]["completion_requests"]) \
        - (s0[top.name]["requests"] - s0[top.name]["completion_requests"])
    after_share = {sim.name: s2[sim.name]["completion_requests"] - s1[sim.name]["completion_requests"] for sim in sims}
    return {
        "label": label,
        "calls": len(records),
        "failed": sum(1 for r in records if not r[2]),
        "calls_in_outage": len(during),
        "failed_in_outage": sum(1 for r in during if not r[2]),
        "p50_ms_in_outage": durations[len(durations) // 2],
        "p99_ms_in_outage": durations[min(len(durations) - 1, int(len(durations) * 0.99))],
        # Exact, from the simulator: completions that arrived after it answered its first injected failure.
        "to_failing_after_first_failure": s1[top.name]["completion_requests_after_first_failure"].get(MODEL, 0),
        "probes_to_failing": probes_to_top,
        "to_failing_after_fault_set": s1[top.name]["completion_requests"] - set_count,
        "last_reached_s": next((t for t, n in reached if n == outage_to_top), None),
        "back_after_s": back_after,
        "after_share": after_share,
        "load": open("/proc/loadavg").read().split()[:3],
    }


def start_gateway(binary: str, sims, work: str):
    providers = "\n".join(
        f'  - {{ name: sim-{s.name}, kind: openai, base_url: "{s.url}/v1", models: [{{ name: {MODEL} }}] }}' for s in sims)
    process, port, token = start_gateway_daemon(binary, work, "{ interval: 5s, timeout: 2s, mode: liveness }", providers)
    return process, f"http://127.0.0.1:{port}/v1", token


def start_litellm(binary: str, sims, work: str):
    """LiteLLM's proxy as its reliability docs set it up: one model group per upstream,
    `fallbacks` from the top one to the others, and the router's `num_retries`,
    `allowed_fails` and `cooldown_time` in `router_settings`."""
    port, master = free_port(), "sk-bench-" + secrets.token_hex(16)
    groups = {s.name: (MODEL if s is sims[0] else f"{MODEL}-{s.name}") for s in sims}
    lines = ["model_list:"]
    for s in sims:
        lines += [f"  - model_name: {groups[s.name]}",
                  f'    litellm_params: {{ model: openai/{MODEL}, api_base: "{s.url}/v1", api_key: sk-none }}']
    lines += ["router_settings:",
              f"  fallbacks: [{{\"{MODEL}\": [\"{groups['b']}\", \"{groups['c']}\"]}}]",
              "  num_retries: 2", "  allowed_fails: 3", "  cooldown_time: 5", "  timeout: 30"]
    config = os.path.join(work, "litellm.yaml")
    with open(config, "w") as f:
        f.write("\n".join(lines) + "\n")
    process = subprocess.Popen([binary, "--config", config, "--host", "127.0.0.1", "--port", str(port), "--num_workers", "1"],
                               stdout=open(os.path.join(work, "litellm.log"), "w"), stderr=subprocess.STDOUT,
                               env={**os.environ, "LITELLM_MASTER_KEY": master, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    wait_until(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/health/liveliness", timeout=1).status == 200,
               120, "LiteLLM's proxy")
    return process, f"http://127.0.0.1:{port}", master, config


def report(rows) -> None:
    print("| path | calls | failed (in outage) | p50 / p99 ms of a call in the outage | to the failing provider after its "
          "first failure (all of them after the fault was set) | last seen reaching it (s into the outage) | its probes in the outage | traffic back to it after recovery | completions a/b/c after recovery | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        back = "never" if r["back_after_s"] is None else f"after {r['back_after_s']:.1f} s"
        share = "/".join(str(r["after_share"][n]) for n in NAMES)
        print(f"| {r['label']} | {r['calls']} | {r['failed']} ({r['failed_in_outage']}) | "
              f"{r['p50_ms_in_outage']:.1f} / {r['p99_ms_in_outage']:.1f} | {r['to_failing_after_first_failure']} ({r['to_failing_after_fault_set']}) | "
              f"{'-' if r['last_reached_s'] is None else format(r['last_reached_s'], '.2f')} | {r['probes_to_failing']} | {back} | {share} | {' '.join(r['load'])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="directory with switchyard and switchyard-sim")
    parser.add_argument("--litellm", help="LiteLLM proxy executable (skipped when missing)")
    parser.add_argument("--callers", type=int, default=4)
    parser.add_argument("--before", type=float, default=5)
    parser.add_argument("--outage", type=float, default=20)
    parser.add_argument("--after", type=float, default=20)
    parser.add_argument("--latency-ms", type=float, default=5)
    parser.add_argument("--gateway-only", action="store_true", help="run only the gateway scenario")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="sy-outage-")
    processes = []
    try:
        sims = [Sim(os.path.join(args.bin, "switchyard-sim"), n, args.latency_ms) for n in NAMES]
        processes += [s.process for s in sims]
        timing = dict(before=args.before, outage=args.outage, after=args.after, callers=args.callers)
        print(f"machine: {os.cpu_count()} cores; {args.callers} closed-loop callers (openai {__import__('openai').__version__}), "
              f"3 simulators answering in {args.latency_ms:g} ms; a answers 500 from {args.before:g} s for {args.outage:g} s, "
              f"then {args.after:g} s of recovery")
        rows = []

        daemon, gateway_url, token = start_gateway(os.path.join(args.bin, "switchyard"), sims, work)
        processes.append(daemon)
        time.sleep(1)  # the first probe round

        def gateway_call():
            client = OpenAI(base_url=gateway_url, api_key=token, timeout=30)
            return lambda: client.chat.completions.create(model=f"{MODEL}:preferred", messages=messages(), max_tokens=8)
        rows.append(run_scenario("Switchyard gateway (`:preferred`)", sims, gateway_call, **timing))
        daemon.terminate()
        daemon.wait(10)
        if args.gateway_only:
            report(rows)
            return

        def direct_call():
            clients = [OpenAI(base_url=s.url + "/v1", api_key="sk-none", timeout=30) for s in sims]

            def call():
                error = None
                for client in clients:  # fixed order; each client retries as the SDK ships (2 retries, backoff)
                    try:
                        return client.chat.completions.create(model=MODEL, messages=messages(), max_tokens=8)
                    except Exception as e:  # noqa: BLE001 - the next provider in the list
                        error = e
                raise error
            return call
        rows.append(run_scenario("openai SDK straight to a, then b, then c", sims, direct_call, **timing))

        if args.litellm and os.path.exists(args.litellm):
            proxy, proxy_url, master, _ = start_litellm(args.litellm, sims, work)
            processes.append(proxy)

            def litellm_call():
                client = OpenAI(base_url=proxy_url, api_key=master, timeout=30)
                return lambda: client.chat.completions.create(model=MODEL, messages=messages(), max_tokens=8)
            version = subprocess.run([os.path.join(os.path.dirname(args.litellm), "python"), "-c",
                                      "import importlib.metadata as m; print(m.version('litellm'))"],
                                     capture_output=True, text=True).stdout.strip()
            rows.append(run_scenario(f"LiteLLM {version} proxy (fallbacks, allowed_fails 3, cooldown 5 s)",
                                     sims, litellm_call, **timing))
        else:
            print("(LiteLLM's proxy is not installed: make bench-gateway installs it into .build/litellm-proxy-venv)")
        report(rows)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

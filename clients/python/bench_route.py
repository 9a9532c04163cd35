"""Route lookup cost through the Python client: warm cache, and uncached over the Unix socket.

Starts `switchyard serve` (from SWITCHYARD_BIN_DIR or .build/debug, or `--bin-dir`) with three
simulated providers, then times `Switchyard.route()`; prints microseconds per lookup."""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "tests"))


def per_lookup_us(fn, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        fn()
    return (time.perf_counter() - started) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin-dir", help="where switchyard and switchyard-sim are")
    parser.add_argument("--warm", type=int, default=200_000)
    parser.add_argument("--uncached", type=int, default=5_000)
    args = parser.parse_args()
    if args.bin_dir:
        os.environ["SWITCHYARD_BIN_DIR"] = args.bin_dir
    import conftest  # the test fixtures start the real daemon and simulators
    from switchyard_client import Switchyard

    sims = {name: conftest.Simulator(name, latency) for name, latency in conftest.PROVIDERS.items()}
    daemon = conftest.Daemon(sims).start()
    try:
        daemon.wait_for_order(lambda order: len(order) == 3)
        with Switchyard(socket_path=daemon.socket_path, cache_ttl=3600) as sy:
            sy.route(conftest.MODEL)
            warm = [per_lookup_us(lambda: sy.route(conftest.MODEL), args.warm) for _ in range(3)]
            uncached = [per_lookup_us(lambda: sy.route(conftest.MODEL, cached=False), args.uncached) for _ in range(3)]
    finally:
        daemon.cleanup()
        for sim in sims.values():
            sim.stop()
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, daemon from {conftest.BIN}")
    print(f"route lookup, warm cache:           {statistics.median(warm):8.2f} us (median of 3 x {args.warm})")
    print(f"route lookup, uncached, Unix socket: {statistics.median(uncached):8.2f} us (median of 3 x {args.uncached})")


if __name__ == "__main__":
    main()

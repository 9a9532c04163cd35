"""Times LiteLLM's Router routing decision for one model with N deployments, to compare
with Switchyard's route(model). Nothing is sent anywhere: get_available_deployment only
chooses. Run with `make bench-litellm` (it installs litellm into a throwaway venv)."""
import asyncio
import os
import statistics
import sys
import time

# Use the cost map bundled with the package: never fetch it from the network.
os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"

from litellm import Router  # noqa: E402


def make_router(size: int, strategy: str) -> Router:
    deployments = [
        {
            "model_name": "llama-3.1-8b",
            "litellm_params": {
                "model": f"openai/llama-{index}",
                "api_base": f"http://127.0.0.1:{20000 + index}/v1",
                "api_key": "unused",
            },
        }
        for index in range(size)
    ]
    return Router(model_list=deployments, routing_strategy=strategy, num_retries=0)


async def measure(size: int, strategy: str, rounds: int = 2000) -> tuple[float, float]:
    router = make_router(size, strategy)
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        await router.async_get_available_deployment(model="llama-3.1-8b", request_kwargs={})
        samples.append((time.perf_counter() - start) * 1e6)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


async def main() -> None:
    strategies = sys.argv[1:] or ["simple-shuffle", "latency-based-routing"]
    for strategy in strategies:
        for size in (3, 10, 100):
            median, p99 = await measure(size, strategy)
            print(f"litellm {strategy:24} {size:4} deployments  median {median:8.1f} µs  p99 {p99:8.1f} µs")


asyncio.run(main())

"""Acceptance of #18 for the clients: the real daemon routes (model, task), huggingface_hub's real
`InferenceClient` and the real `openai` SDK call `switchyard-sim` providers in the Hugging Face and
OpenAI shapes, fail over when the top provider fails, and the daemon counts the reports."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import List

import pytest
from huggingface_hub import constants
from huggingface_hub.inference._providers import _common as hf_common

from conftest import CLIENT_NAME, Daemon
from switchyard_client import Switchyard
from switchyard_client.huggingface import FailoverInferenceClient
from switchyard_client.openai import FailoverOpenAI
from switchyard_client.transport import DaemonTransport
from test_hub_tasks import EMBED, HF_TOKEN, IMAGE, HubSimulator

LOCAL_MODELS = ["flux-local", "embed-local"]


def task_daemon(a: HubSimulator, b: HubSimulator, c: HubSimulator) -> Daemon:
    """A daemon with two router partners (together on `a`, hf-inference on `b`) and an
    OpenAI-compatible `local` provider on `c`, each serving `flux` (text-to-image) and `embed` (embeddings)."""
    daemon = Daemon({})
    models = lambda partner: (f'[{{ name: flux, upstream: "{IMAGE}:{partner}", task: text-to-image }}, '
                              f'{{ name: embed, upstream: "{EMBED}:{partner}", task: embeddings }}]')
    with open(daemon.config, "w") as f:
        f.write(f'listen: {{ tcp: "127.0.0.1:{daemon.tcp_port}", unix: "{daemon.socket_path}" }}\n'
                "probe: { interval: 2s, timeout: 2s, mode: liveness }\n"
                f"clients:\n  - {{ name: {CLIENT_NAME}, token_env: SY_PY_CLIENT_TOKEN }}\n"
                "providers:\n"
                f'  - {{ name: together, kind: hf-router, base_url: "{a.base_url}", models: {models("together")} }}\n'
                f'  - {{ name: hf-inference, kind: hf-router, base_url: "{b.base_url}", models: {models("hf-inference")} }}\n'
                f'  - {{ name: local, kind: openai, base_url: "{c.base_url}", models: [{{ name: flux, upstream: flux-local, task: text-to-image }},'
                " { name: embed, upstream: embed-local, task: embeddings }] }\n")
    return daemon.start()


def order(daemon: Daemon, model: str, task: str) -> List[str]:
    answer = DaemonTransport(socket_path=daemon.socket_path).request("GET", f"/v1/route?model={model}&task={task}")
    assert answer.get("task", task) == task
    return [c["provider"] for c in answer["candidates"]]


def wait_for(daemon: Daemon, model: str, task: str, predicate, within: float = 15.0) -> List[str]:
    deadline = time.monotonic() + within
    current = order(daemon, model, task)
    while not predicate(current) and time.monotonic() < deadline:
        time.sleep(0.05)
        current = order(daemon, model, task)
    assert predicate(current), f"route {current} never satisfied the condition"
    return current


@pytest.fixture(scope="module")
def hub():
    started = {name: HubSimulator(name, 2.0) for name in ("a", "b", "c")}
    yield started
    for sim in started.values():
        sim.stop()


@pytest.fixture
def env(hub, monkeypatch):
    for name, sim in hub.items():
        sim.set_behavior(models=LOCAL_MODELS)
        if name != "c":  # c is a plain OpenAI-compatible server: its model list is LOCAL_MODELS
            sim.set_catalog()
    monkeypatch.setattr(constants, "ENDPOINT", hub["a"].url)
    monkeypatch.setattr(constants, "INFERENCE_PROXY_TEMPLATE", hub["a"].url + "/{provider}")
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    hf_common._fetch_inference_provider_mapping.cache_clear()
    daemon = task_daemon(hub["a"], hub["b"], hub["c"])
    wait_for(daemon, "flux", "text-to-image", lambda o: len(o) == 3)
    yield daemon
    daemon.cleanup()
    hf_common._fetch_inference_provider_mapping.cache_clear()


def fail(hub, provider: str) -> None:
    """Makes `provider`'s simulator answer 500."""
    sim(hub, provider).set_behavior(models=LOCAL_MODELS, fault="server_error")


def sim(hub, provider: str) -> HubSimulator:
    return hub[{"together": "a", "hf-inference": "b", "local": "c"}[provider]]


@pytest.mark.parametrize("model, task", [("flux", "text-to-image"), ("embed", "embeddings")])
def test_inference_client_fails_over_from_the_top_provider_and_the_daemon_counts_the_reports(env, hub, model, task):
    with Switchyard(socket_path=env.socket_path, failure_cooldown=0) as sy:
        hf = FailoverInferenceClient(sy, token_hosts=("127.0.0.1",))
        # A whole image (8×8 from the router's partners, 64×64 from the OpenAI-shaped `local`), or one 8-entry vector.
        ask = ((lambda: hf.text_to_image("a red fox", model=model).size in ((8, 8), (64, 64))) if task == "text-to-image"
               else (lambda: hf.feature_extraction("a red fox", model=model, dimensions=8).shape == (1, 8)))
        expected = True
        assert ask() == expected
        top = order(env, model, task)[0]
        fail(hub, top)
        assert [ask() for _ in range(4)] == [expected] * 4  # every failure of the top one absorbed by failover
        assert sy.flush()
        stats = sy.reporter.stats
        assert stats.dropped == 0 and stats.rejected == 0 and stats.accepted == stats.sent >= 5
        # The daemon counted the failures: the failing provider leaves the task's route.
        remaining = wait_for(env, model, task, lambda o: top not in o, within=2)
        assert remaining and top not in remaining


def test_failover_openai_embeddings_and_images(env, hub):
    with Switchyard(socket_path=env.socket_path, failure_cooldown=0) as sy:
        client = FailoverOpenAI(sy, key_hosts=("127.0.0.1",))
        answer = client.embeddings.create(model="embed", input=["one", "two"], dimensions=8)
        assert [len(item.embedding) for item in answer.data] == [8, 8]
        image = client.images.generate(model="flux", prompt="a red fox", response_format="b64_json")
        assert image.data[0].b64_json
        top = order(env, "embed", "embeddings")[0]
        sim(hub, top).set_behavior(models=LOCAL_MODELS, task_fault="wrong_dimensions")
        answer = client.embeddings.create(model="embed", input="one", dimensions=8)
        assert len(answer.data[0].embedding) == 8
        assert sy.flush()
    assert sy.reporter.stats.accepted >= 4

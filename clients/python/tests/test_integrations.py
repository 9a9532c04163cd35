"""The real `openai` and `huggingface_hub` packages through the daemon's routing, against the simulators."""

from __future__ import annotations

import pytest

from conftest import MODEL, static_routes
from switchyard_client import AllCandidatesFailed, Switchyard
from switchyard_client.huggingface import FailoverInferenceClient
from switchyard_client.openai import FailoverOpenAI

MESSAGES = [{"role": "user", "content": "Say hi"}]


def openai_ask(client: FailoverOpenAI) -> str:
    return client.chat_completion(model=MODEL, messages=MESSAGES, max_tokens=4).model


def hf_ask(client: FailoverInferenceClient) -> str:
    return client.chat_completion(MESSAGES, model=MODEL, max_tokens=4).model


INTEGRATIONS = [
    pytest.param(lambda sy: FailoverOpenAI(sy, timeout=5), openai_ask, id="openai"),
    pytest.param(lambda sy: FailoverInferenceClient(sy, timeout=5), hf_ask, id="huggingface_hub"),
]


@pytest.mark.parametrize("make, ask", INTEGRATIONS)
def test_best_provider_then_failover_when_it_starts_failing(daemon, sims, make, ask, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("HF_TOKEN", "hf_test_not_a_real_token")
    # No local cooldown: every call asks the daemon's route, so only the daemon's view steers the calls.
    with Switchyard(socket_path=daemon.socket_path, failure_cooldown=0) as sy:
        client = make(sy)
        assert [ask(client) for _ in range(3)] == ["llama-a"] * 3

        sims["a"].set_behavior(fault="server_error")  # the top candidate starts failing mid-test
        served = [ask(client) for _ in range(6)]
        assert served == ["llama-b"] * 6  # no call failed: each failure was absorbed by failover
        assert sy.flush()
        # Three reported failures take `a` out of the route; later calls go straight to `b`.
        assert daemon.wait_for_order(lambda order: "a" not in order, within=1) == ["b", "c"]
        stats = sy.reporter.stats
        assert stats.dropped == 0 and stats.rejected == 0 and stats.accepted == stats.sent >= 9


@pytest.mark.parametrize("make, ask", INTEGRATIONS)
def test_static_fallback_with_the_daemon_stopped(daemon, sims, make, ask):
    daemon.stop()
    with Switchyard(socket_path=daemon.socket_path, static_routes=static_routes(sims)) as sy:
        client = make(sy)
        assert ask(client) == "llama-c"
        sims["c"].set_behavior(fault="unauthorized")
        assert ask(client) == "llama-b"


def test_every_error_surfaces_when_all_candidates_fail(daemon, sims):
    for sim in sims.values():
        sim.set_behavior(fault="server_error")
    with Switchyard(socket_path=daemon.socket_path) as sy:
        with pytest.raises(AllCandidatesFailed) as failed:
            openai_ask(FailoverOpenAI(sy, timeout=5))
        assert sorted(a.candidate.provider for a in failed.value.attempts) == ["a", "b", "c"]
        assert {type(a.error).__name__ for a in failed.value.attempts} == {"InternalServerError"}
        assert {(a.outcome, a.status) for a in failed.value.attempts} == {("server_error", 500)}

"""Capability-aware routes through the Python client: what a request needs is derived from the
request, passed to `/v1/route`, and a provider known to lack it is never tried."""

from __future__ import annotations

import pytest

from conftest import MODEL, Daemon
from switchyard_client import NoCapableCandidate, Switchyard, request_needs
from switchyard_client.openai import FailoverOpenAI

TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
MESSAGES = [{"role": "user", "content": "call f"}]


def test_needs_are_derived_from_the_request_as_the_gateway_does():
    assert request_needs(messages=MESSAGES).capabilities == ()
    assert request_needs(messages=MESSAGES, options={"tools": TOOLS}).capabilities == ("tools",)
    assert request_needs(messages=MESSAGES, options={"tool_choice": "none"}).capabilities == ()
    assert request_needs(messages=MESSAGES, options={"tool_choice": "auto"}).capabilities == ("tools",)
    assert request_needs(messages=MESSAGES, options={"response_format": {"type": "json_schema"}}).capabilities == ("structured_output",)
    assert request_needs(messages=MESSAGES, options={"response_format": {"type": "text"}}).capabilities == ()
    image = [{"role": "user", "content": [{"type": "text", "text": "what"},
                                          {"type": "image_url", "image_url": {"url": "data:image/png;base64," + "A" * 40_000}}]}]
    needs = request_needs(messages=image, options={"max_tokens": 100})
    assert needs.capabilities == ("vision",)
    assert needs.min_context < 100 + 40, "an inline image's base64 is not prompt text"
    long = request_needs(messages=[{"role": "user", "content": "word " * 160_000}], options={"max_completion_tokens": 50})
    assert 200_000 < long.min_context < 200_100


#: Liveness probes are GETs, so a simulator's `completion_requests` counts only the calls under test.
LIVENESS = "probe: { mode: liveness }, "
#: `a` (the fastest) has no tool calling and a 32k context, `b` has both, `c` is unknown.
CAPABLE = {"a": LIVENESS + "capabilities: { tools: false, context_length: 32768 }, ",
           "b": LIVENESS + "capabilities: { tools: true, context_length: 262144 }, ", "c": LIVENESS}


def test_with_tools_no_candidate_without_tool_support_is_ever_tried(sims, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    for sim in sims.values():
        sim.set_behavior()
    daemon = Daemon(sims, provider_extra=CAPABLE).start()
    try:
        daemon.wait_for_order(lambda order: order[:1] == ["a"] and len(order) == 3)
        with Switchyard(socket_path=daemon.socket_path, failure_cooldown=0) as sy:
            route = sy.route(MODEL, needs=["tools"])
            assert [c.provider for c in route.candidates] == ["b", "c"], "c's tool support is unknown: after b"
            assert [(e.provider, e.reason) for e in route.excluded] == [("a", "no tool calling")]
            assert "tool support unknown" in route.candidates[1].reasons

            client = FailoverOpenAI(sy, timeout=5)
            before = sims["a"].completion_requests()
            assert client.chat_completion(model=MODEL, messages=MESSAGES, max_tokens=4).model == "llama-a", "no tools: the leader"
            assert client.chat_completion(model=MODEL, messages=MESSAGES, tools=TOOLS, max_tokens=4).model == "llama-b"
            sims["b"].set_behavior(fault="server_error")  # failover with tools goes on to c, never to a
            assert client.chat_completion(model=MODEL, messages=MESSAGES, tools=TOOLS, max_tokens=4).model == "llama-c"
            assert sims["a"].completion_requests() == before + 1, "a got only the request without tools"

            # A prompt longer than a's context skips a even without tools.
            assert client.chat_completion(model=MODEL, messages=[{"role": "user", "content": "word " * 10_000}],
                                          max_tokens=30_000).model == "llama-c"
            assert sims["a"].completion_requests() == before + 1
    finally:
        daemon.cleanup()
        for sim in sims.values():
            sim.set_behavior()


def test_a_request_no_candidate_can_serve_raises_before_any_call(sims, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    for sim in sims.values():
        sim.set_behavior()
    daemon = Daemon(sims, provider_extra={name: LIVENESS + "capabilities: { tools: false }, " for name in sims}).start()
    try:
        counts = {name: sim.completion_requests() for name, sim in sims.items()}
        with Switchyard(socket_path=daemon.socket_path) as sy:
            with pytest.raises(NoCapableCandidate) as refused:
                FailoverOpenAI(sy, timeout=5).chat_completion(model=MODEL, messages=MESSAGES, tools=TOOLS)
        assert sorted(e.provider for e in refused.value.excluded) == ["a", "b", "c"]
        assert "a: no tool calling" in str(refused.value)
        assert {name: sim.completion_requests() for name, sim in sims.items()} == counts
    finally:
        daemon.cleanup()

"""The gateway with the real `openai` SDK and `huggingface_hub.InferenceClient`, pointed at the
daemon's `/v1` instead of a provider: plain, streaming, errors, failover when a provider answers 500."""

from __future__ import annotations

import openai
import pytest
from huggingface_hub import InferenceClient

from conftest import MODEL, Daemon

TOKEN = "gw-client-token-not-a-provider-key"
MESSAGES = [{"role": "user", "content": "Say hi"}]


@pytest.fixture
def gateway(sims):
    """A daemon whose one client `app` authenticates with TOKEN over TCP; route order a, b, c."""
    for sim in sims.values():
        sim.set_behavior()
    running = Daemon(sims, extra_clients="  - { name: app, token_env: SY_GATEWAY_TOKEN }\n",
                     env={"SY_GATEWAY_TOKEN": TOKEN}).start()
    running.wait_for_order(lambda order: order[:1] == ["a"] and len(order) == 3)
    yield running
    running.cleanup()
    for sim in sims.values():
        sim.set_behavior()


def sdk(gateway: Daemon, api_key: str = TOKEN) -> openai.OpenAI:
    # No SDK retries: every failover seen here is the gateway's.
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=api_key, max_retries=0, timeout=10)


def test_openai_sdk_plain_and_streaming(gateway):
    client = sdk(gateway)
    raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES, max_tokens=4)
    answer = raw.parse()
    assert answer.model == "llama-a" and answer.choices[0].message.content
    assert raw.headers["x-switchyard-provider"] == "a"
    assert raw.headers["x-switchyard-upstream-model"] == "llama-a"
    assert raw.headers["x-switchyard-attempts"] == "1"

    chunks = list(client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=4, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.startswith("OK")
    assert all(c.usage is None for c in chunks), "the usage chunk the gateway asked for reached a caller who did not"

    with_usage = list(client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=4, stream=True,
                                                     stream_options={"include_usage": True}))
    assert with_usage[-1].usage is not None and with_usage[-1].usage.completion_tokens == 4

    # The model grammar: pinned to a provider, and a strategy suffix.
    pinned = client.chat.completions.with_raw_response.create(model=MODEL + ":c", messages=MESSAGES, max_tokens=4)
    assert pinned.headers["x-switchyard-provider"] == "c" and pinned.parse().model == "llama-c"
    assert client.completions.create(model=MODEL + ":cheapest", prompt="hi", max_tokens=4).choices[0].text


def test_openai_sdk_lists_models_with_their_tasks(gateway):
    models = list(sdk(gateway).models.list())
    assert [m.id for m in models] == [MODEL]
    assert models[0].object == "model" and models[0].owned_by == "switchyard"
    # Switchyard's extensions ride along as extra fields of the SDK's Model.
    assert models[0].model_extra["tasks"] == ["chat"]
    assert models[0].model_extra["providers"] == ["a", "b", "c"]


def test_openai_sdk_retrieves_one_model_and_gets_its_not_found(gateway):
    client = sdk(gateway)
    model = client.models.retrieve(MODEL + ":fastest")
    assert model.id == MODEL + ":fastest" and model.object == "model"
    assert model.model_extra["providers"] == ["a", "b", "c"]
    # The SDK sends "/" as %2F: the gateway reads the id whole.
    with pytest.raises(openai.NotFoundError) as refused:
        client.models.retrieve("org/no-such-model")
    assert refused.value.code == "model_not_found"
    assert "no model named 'org/no-such-model'" in refused.value.message


def test_openai_sdk_errors(gateway):
    with pytest.raises(openai.NotFoundError) as unknown:
        sdk(gateway).chat.completions.create(model="no-such-model", messages=MESSAGES)
    assert unknown.value.code == "model_not_found" and "configured: llama" in unknown.value.message
    with pytest.raises(openai.AuthenticationError):
        sdk(gateway, api_key="wrong-token").chat.completions.create(model=MODEL, messages=MESSAGES)
    with pytest.raises(openai.BadRequestError) as bad:
        sdk(gateway).chat.completions.create(model=MODEL, messages=MESSAGES, extra_body={"provider": {"sort": "random"}})
    assert bad.value.code == "bad_provider"


def test_failover_when_the_top_provider_answers_500(gateway, sims):
    client = sdk(gateway)
    sims["a"].set_behavior(fault="server_error")
    served = []
    for _ in range(6):
        raw = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES, max_tokens=4)
        served.append((raw.parse().model, raw.headers["x-switchyard-attempts"]))
    assert [model for model, _ in served] == ["llama-b"] * 6, served  # no call failed
    assert served[0][1] == "2"  # the first went to a, got 500, and moved on before any byte
    stream = client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=4, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices).startswith("OK")


def test_huggingface_inference_client(gateway):
    client = InferenceClient(base_url=gateway.url + "/v1", api_key=TOKEN, timeout=10)
    answer = client.chat_completion(MESSAGES, model=MODEL, max_tokens=4)
    assert answer.model == "llama-a" and answer.choices[0].message.content
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in
                       client.chat_completion(MESSAGES, model=MODEL, max_tokens=4, stream=True) if chunk.choices)
    assert streamed.startswith("OK")
    with pytest.raises(Exception) as unknown:
        client.chat_completion(MESSAGES, model="no-such-model")
    assert "404" in str(unknown.value) or "model_not_found" in str(unknown.value)


def test_a_stream_that_turns_to_garbage_ends_in_an_error_the_sdk_raises(gateway, sims):
    """An upstream that sends half its events and then one that is not JSON: the SDK yields the
    chunks so far, then raises the gateway's error event (no JSON decode error, no silent end)."""
    for sim in sims.values():
        sim.set_behavior(fault="garbage_mid_stream", completion_tokens=6)
    stream = sdk(gateway).chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=6, stream=True)
    received = []
    with pytest.raises(openai.APIError) as broken:
        for chunk in stream:
            received.append(chunk)
    assert received, "the events before the garbage reached the caller"
    assert "not JSON" in broken.value.message


def test_openai_sdk_sees_a_client_over_its_rate_as_rate_limit_error(sims):
    """A client with `rate: { requests_per_minute: 1 }`: its second call is a 429 the SDK raises as
    `openai.RateLimitError`, with Retry-After and no attempt (GatewayLimitTests counts the upstream requests)."""
    for sim in sims.values():
        sim.set_behavior()
    running = Daemon(sims, extra_clients="  - { name: rated, token_env: SY_RATED_TOKEN, rate: { requests_per_minute: 1 } }\n",
                     env={"SY_RATED_TOKEN": TOKEN}).start()
    try:
        running.wait_for_order(lambda order: len(order) == 3)
        client = sdk(running)
        assert client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=4).choices[0].message.content
        with pytest.raises(openai.RateLimitError) as limited:
            client.chat.completions.create(model=MODEL, messages=MESSAGES, max_tokens=4)
        assert limited.value.code == "client_rate_limited"
        assert 1 <= int(limited.value.response.headers["retry-after"]) <= 60
        assert limited.value.response.headers["x-switchyard-attempts"] == "0"
    finally:
        running.cleanup()

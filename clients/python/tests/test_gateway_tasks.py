"""The gateway forwards embeddings and images as it forwards chat: the real `openai` SDK's
`embeddings.create` and `images.generate`, pointed at the daemon's `/v1`, against simulator
providers. When the top provider fails (a 500, JSON garbage, a cut PNG, a vector of the wrong
size) the gateway fails over before the caller sees a byte, and every attempt is a report."""

from __future__ import annotations

import base64
import re
import urllib.request

import openai
import pytest

from conftest import MODEL, Daemon

TOKEN = "gw-task-client-token"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def gateway(sims):
    """A daemon whose client `app` authenticates with TOKEN; route order a, b, c."""
    for sim in sims.values():
        sim.set_behavior()
    running = Daemon(sims, extra_clients="  - { name: app, token_env: SY_TASK_TOKEN }\n", env={"SY_TASK_TOKEN": TOKEN}).start()
    running.wait_for_order(lambda order: order[:1] == ["a"] and len(order) == 3)
    yield running
    running.cleanup()
    for sim in sims.values():
        sim.set_behavior()


def sdk(gateway: Daemon) -> openai.OpenAI:
    # No SDK retries: every failover seen here is the gateway's.
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=TOKEN, max_retries=0, timeout=20)


def reports(gateway: Daemon, provider: str, outcome: str) -> float:
    """`switchyard_report_results_total` for one target and outcome (0 when absent)."""
    text = urllib.request.urlopen(gateway.url + "/metrics", timeout=5).read().decode()
    pattern = rf'switchyard_report_results_total{{provider="{provider}",model="{MODEL}",outcome="{outcome}"}} ([0-9.e+]+)'
    found = re.search(pattern, text)
    return float(found.group(1)) if found else 0.0


def wait_for_reports(gateway: Daemon, provider: str, outcome: str, at_least: float) -> float:
    """Reports are counted off the request path: poll briefly for them."""
    import time

    deadline = time.monotonic() + 10
    seen = reports(gateway, provider, outcome)
    while seen < at_least and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = reports(gateway, provider, outcome)
    return seen


def test_openai_sdk_embeddings_fail_over_and_are_reported(gateway, sims):
    client = sdk(gateway)
    # The SDK asks for base64 (float32s) by default and decodes them itself.
    raw = client.embeddings.with_raw_response.create(model=MODEL, input=["hello", "world"], dimensions=8)
    answer = raw.parse()
    assert [len(item.embedding) for item in answer.data] == [8, 8]
    assert raw.headers["x-switchyard-provider"] == "a" and raw.headers["x-switchyard-attempts"] == "1"
    floats = client.embeddings.create(model=MODEL, input="hello", dimensions=4, encoding_format="float")
    assert len(floats.data[0].embedding) == 4

    for fault, outcome in [({"fault": "server_error"}, "server_error"), ({"task_fault": "wrong_dimensions"}, "bad_response"),
                           ({"task_fault": "empty_vector"}, "bad_response")]:
        before = reports(gateway, "a", outcome)
        sims["a"].set_behavior(**fault)
        raw = client.embeddings.with_raw_response.create(model=MODEL, input="hello", dimensions=8)
        assert raw.headers["x-switchyard-provider"] == "b", fault
        assert raw.headers["x-switchyard-attempts"] == "2", fault
        assert len(raw.parse().data[0].embedding) == 8
        assert wait_for_reports(gateway, "a", outcome, before + 1) >= before + 1, f"{fault}: the failed attempt was reported"
    assert wait_for_reports(gateway, "b", "ok", 3) >= 3, "b's answers were reported"


def test_openai_sdk_images_fail_over_and_are_reported(gateway, sims):
    client = sdk(gateway)
    raw = client.images.with_raw_response.generate(model=MODEL, prompt="a red square", n=2, size="256x256", response_format="b64_json")
    answer = raw.parse()
    assert len(answer.data) == 2
    assert all(base64.b64decode(image.b64_json).startswith(PNG_SIGNATURE) for image in answer.data)
    assert raw.headers["x-switchyard-provider"] == "a"

    for fault, outcome in [({"fault": "server_error"}, "server_error"), ({"fault": "garbage"}, "bad_response"),
                           ({"task_fault": "truncated_png"}, "bad_response")]:
        before = reports(gateway, "a", outcome)
        sims["a"].set_behavior(**fault)
        raw = client.images.with_raw_response.generate(model=MODEL, prompt="a red square", size="256x256", response_format="b64_json")
        assert raw.headers["x-switchyard-provider"] == "b", fault
        assert raw.headers["x-switchyard-attempts"] == "2", fault
        png = base64.b64decode(raw.parse().data[0].b64_json)
        assert png.startswith(PNG_SIGNATURE) and png.endswith(b"IEND\xaeB`\x82"), "a whole PNG reached the caller"
        assert wait_for_reports(gateway, "a", outcome, before + 1) >= before + 1, f"{fault}: the failed attempt was reported"

    # Pinned to the broken provider: no one to fail over to, and the SDK gets the reason, not a cut PNG.
    with pytest.raises(openai.APIStatusError) as failed:
        client.images.generate(model=MODEL + ":a", prompt="a red square", size="256x256", response_format="b64_json")
    assert failed.value.status_code == 502 and "PNG" in failed.value.message

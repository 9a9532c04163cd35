"""The gateway forwards embeddings and images as it forwards chat: the real `openai` SDK's
`embeddings.create` and `images.generate`, pointed at the daemon's `/v1`, against simulator
providers. When the top provider fails (a 500, JSON garbage, a cut PNG, a vector of the wrong
size) the gateway fails over before the caller sees a byte, and every attempt is a report."""

from __future__ import annotations

import base64
import re
import time
import urllib.request

import openai
import pytest

from conftest import MODEL, Daemon
from switchyard_client.transport import DaemonTransport

TOKEN = "gw-task-client-token"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Which provider breaks and which one must then answer: a twice, then b (three failures in a row
# would eject a, and the point here is the failover, not the ejection).
FAULTY = [("a", "b"), ("a", "b"), ("b", "c")]


def first(broken: str, then: str) -> dict:
    """The provider object (OpenRouter's): try `broken`, then `then`."""
    return {"provider": {"order": [broken, then]}}


def start_gateway(sims, task: str, price: str = "") -> Daemon:
    """A daemon whose providers serve MODEL for `task` and whose client `app` authenticates with
    TOKEN; returns once the task's route ranks a, b, c."""
    for sim in sims.values():
        sim.set_behavior()
    running = Daemon(sims, extra_clients="  - { name: app, token_env: SY_TASK_TOKEN }\n", env={"SY_TASK_TOKEN": TOKEN},
                     provider_extra={name: f"task: {task}, {price}" for name in sims}).start()
    transport = DaemonTransport(socket_path=running.socket_path)
    deadline = time.monotonic() + 15
    order = []
    while time.monotonic() < deadline:
        order = [c["provider"] for c in transport.request("GET", f"/v1/route?model={MODEL}&task={task}")["candidates"]]
        if order == ["a", "b", "c"]:
            return running
        time.sleep(0.05)
    running.cleanup()
    raise AssertionError(f"the {task} route never ranked a, b, c: {order}")


@pytest.fixture
def embeddings_gateway(sims):
    running = start_gateway(sims, "embeddings")
    yield running
    running.cleanup()
    for sim in sims.values():
        sim.set_behavior()


@pytest.fixture
def image_gateway(sims):
    running = start_gateway(sims, "text-to-image", price="price: { per_image: 0.04 }, ")
    yield running
    running.cleanup()
    for sim in sims.values():
        sim.set_behavior()


def sdk(gateway: Daemon) -> openai.OpenAI:
    # No SDK retries: every failover seen here is the gateway's.
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key=TOKEN, max_retries=0, timeout=20)


def metric(gateway: Daemon, name: str, labels: str) -> float:
    """One series of the daemon's `/metrics` (0 when absent)."""
    text = urllib.request.urlopen(gateway.url + "/metrics", timeout=5).read().decode()
    found = re.search(re.escape(f"{name}{{{labels}}} ") + r"([0-9.e+-]+)", text)
    return float(found.group(1)) if found else 0.0


def reports(gateway: Daemon, provider: str, outcome: str) -> float:
    """`switchyard_report_results_total` for one target and outcome."""
    return metric(gateway, "switchyard_report_results_total", f'provider="{provider}",model="{MODEL}",outcome="{outcome}"')


def wait_for_reports(gateway: Daemon, provider: str, outcome: str, at_least: float) -> float:
    """Reports are counted off the request path: poll briefly for them."""
    deadline = time.monotonic() + 10
    seen = reports(gateway, provider, outcome)
    while seen < at_least and time.monotonic() < deadline:
        time.sleep(0.05)
        seen = reports(gateway, provider, outcome)
    return seen


def test_openai_sdk_embeddings_fail_over_and_are_reported(embeddings_gateway, sims):
    gateway = embeddings_gateway
    client = sdk(gateway)
    # The SDK asks for base64 (float32s) by default and decodes them itself.
    raw = client.embeddings.with_raw_response.create(model=MODEL, input=["hello", "world"], dimensions=8)
    answer = raw.parse()
    assert [len(item.embedding) for item in answer.data] == [8, 8]
    assert raw.headers["x-switchyard-provider"] == "a" and raw.headers["x-switchyard-attempts"] == "1"
    floats = client.embeddings.create(model=MODEL, input="hello", dimensions=4, encoding_format="float")
    assert len(floats.data[0].embedding) == 4

    faults = [({"fault": "server_error"}, "server_error"), ({"task_fault": "wrong_dimensions"}, "bad_response"),
              ({"task_fault": "empty_vector"}, "bad_response")]
    for (fault, outcome), (broken, then) in zip(faults, FAULTY):
        before = reports(gateway, broken, outcome)
        sims[broken].set_behavior(**fault)
        raw = client.embeddings.with_raw_response.create(model=MODEL, input="hello", dimensions=8, extra_body=first(broken, then))
        assert raw.headers["x-switchyard-provider"] == then, fault
        assert raw.headers["x-switchyard-attempts"] == "2", fault
        assert len(raw.parse().data[0].embedding) == 8
        assert wait_for_reports(gateway, broken, outcome, before + 1) >= before + 1, f"{fault}: the failed attempt was reported"
        sims[broken].set_behavior()
    assert wait_for_reports(gateway, "b", "ok", 2) >= 2 and wait_for_reports(gateway, "c", "ok", 1) >= 1, "the answers were reported"


def test_openai_sdk_images_fail_over_and_are_reported(image_gateway, sims):
    gateway = image_gateway
    client = sdk(gateway)
    raw = client.images.with_raw_response.generate(model=MODEL, prompt="a red square", n=2, size="256x256", response_format="b64_json")
    answer = raw.parse()
    assert len(answer.data) == 2
    assert all(base64.b64decode(image.b64_json).startswith(PNG_SIGNATURE) for image in answer.data)
    assert raw.headers["x-switchyard-provider"] == "a"

    faults = [({"fault": "server_error"}, "server_error"), ({"fault": "garbage"}, "bad_response"),
              ({"task_fault": "truncated_png"}, "bad_response")]
    for (fault, outcome), (broken, then) in zip(faults, FAULTY):
        before = reports(gateway, broken, outcome)
        sims[broken].set_behavior(**fault)
        raw = client.images.with_raw_response.generate(model=MODEL, prompt="a red square", size="256x256", response_format="b64_json",
                                                       extra_body=first(broken, then))
        assert raw.headers["x-switchyard-provider"] == then, fault
        assert raw.headers["x-switchyard-attempts"] == "2", fault
        png = base64.b64decode(raw.parse().data[0].b64_json)
        assert png.startswith(PNG_SIGNATURE) and png.endswith(b"IEND\xaeB`\x82"), "a whole PNG reached the caller"
        assert wait_for_reports(gateway, broken, outcome, before + 1) >= before + 1, f"{fault}: the failed attempt was reported"
        sims[broken].set_behavior()

    # Priced per image, counted from the answers: a's two images, b's two and c's one., counted from the answers.
    cost = lambda provider: metric(gateway, "switchyard_cost_usd_total", f'provider="{provider}",model="{MODEL}",source="report"')
    deadline = time.monotonic() + 10
    while (cost("a"), cost("b"), cost("c")) != pytest.approx((0.08, 0.08, 0.04)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (cost("a"), cost("b"), cost("c")) == pytest.approx((0.08, 0.08, 0.04))

    # Pinned to the broken provider: no one to fail over to, and the SDK gets the reason, not a cut PNG.
    sims["a"].set_behavior(task_fault="truncated_png")
    with pytest.raises(openai.APIStatusError) as failed:
        client.images.generate(model=MODEL + ":a", prompt="a red square", size="256x256", response_format="b64_json")
    assert failed.value.status_code == 502 and "PNG" in failed.value.message

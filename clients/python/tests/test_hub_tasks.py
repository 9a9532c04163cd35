"""`FailoverInferenceClient`'s non-chat tasks through huggingface_hub's real `InferenceClient` code
paths, against `switchyard-sim` serving the Hugging Face shapes, with a recording stand-in daemon
(`capture.Capture`) so each test sees the route query and every report the client sent.

huggingface_hub reads the Hub (`constants.ENDPOINT`, `$HF_ENDPOINT` at import) for a model's
provider mapping and sends partner requests to `constants.INFERENCE_PROXY_TEMPLATE`: both point
at simulator `a` here, so nothing leaves the machine."""

from __future__ import annotations

import io
import json
import urllib.request
import wave
from typing import Dict, List

import pytest
from huggingface_hub import constants
from huggingface_hub.inference._providers import _common as hf_common

from capture import Capture
from conftest import Simulator
from switchyard_client import AllCandidatesFailed, Switchyard
from switchyard_client.huggingface import FailoverInferenceClient

IMAGE, EMBED, ASR, TTS, VIDEO = "sim-org/flux-mini", "sim-org/embed-small", "sim-org/whisper-tiny", "sim-org/tts-tiny", "sim-org/video-tiny"
CATALOG = {"models": [
    {"id": model, "inputModalities": ["text"], "outputModalities": ["text"], "task": task,
     "offers": [{"provider": "together", "status": "live"}, {"provider": "hf-inference", "status": "live"}]}
    for model, task in ((IMAGE, "text-to-image"), (EMBED, "feature-extraction"), (ASR, "automatic-speech-recognition"),
                        (TTS, "text-to-speech"), (VIDEO, "text-to-video"))]}
HF_TOKEN = "hf_test_not_a_real_token"


class HubSimulator(Simulator):
    """A simulator whose catalog carries the task models above (optionally with a fixed vector size)."""

    def set_catalog(self, dimensions: int = 0) -> None:
        catalog = json.loads(json.dumps(CATALOG))
        if dimensions:
            next(m for m in catalog["models"] if m["id"] == EMBED)["dimensions"] = dimensions
        request = urllib.request.Request(self.url + "/_sim/catalog", data=json.dumps(catalog).encode(), method="PUT",
                                         headers={"Content-Type": "application/json"})
        urllib.request.urlopen(request, timeout=5).read()

    def posts(self) -> int:
        return self.completion_requests()

    def recorded_posts(self) -> List[dict]:
        """`GET /_sim/requests`: the POSTs received (path, JSON body, the first 10 characters of the token)."""
        return json.loads(urllib.request.urlopen(self.url + "/_sim/requests", timeout=5).read())


@pytest.fixture(scope="module")
def hub():
    started = {name: HubSimulator(name, 2.0) for name in ("a", "b")}
    yield started
    for sim in started.values():
        sim.stop()


@pytest.fixture
def hub_env(hub, monkeypatch):
    """Simulator `a` as the Hub and the router's proxy; fresh behaviour and catalogs on both."""
    for sim in hub.values():
        sim.set_behavior(models=[])
        sim.set_catalog()
    monkeypatch.setattr(constants, "ENDPOINT", hub["a"].url)
    monkeypatch.setattr(constants, "INFERENCE_PROXY_TEMPLATE", hub["a"].url + "/{provider}")
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    hf_common._fetch_inference_provider_mapping.cache_clear()
    yield hub
    hf_common._fetch_inference_provider_mapping.cache_clear()


@pytest.fixture
def daemon_stub():
    stub = Capture(unix=True)
    yield stub
    stub.close()


def route(stub: Capture, model: str, candidates: List[Dict[str, str]]) -> None:
    stub.route = {"model": model, "strategy": "balanced", "candidates": candidates}


def partner(sim: Simulator, name: str, model: str) -> Dict[str, str]:
    return {"provider": name, "upstream_model": f"{model}:{name}", "base_url": sim.base_url}


def reports(stub: Capture) -> List[dict]:
    return [item for seen in stub.seen("/v1/reports") for item in seen.json()["reports"]]


def client(stub: Capture) -> tuple:
    sy = Switchyard(socket_path=stub.socket_path, failure_cooldown=0)
    return sy, FailoverInferenceClient(sy, token_hosts=("127.0.0.1",))


def wav_bytes(seconds: float, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x01" * int(rate * seconds))
    return buffer.getvalue()


def test_text_to_image_calls_the_partner_through_the_router_then_fails_over_to_hf_inference(hub_env, daemon_stub):
    a, b = hub_env["a"], hub_env["b"]
    route(daemon_stub, "flux", [partner(a, "together", IMAGE), partner(b, "hf-inference", IMAGE)])
    sy, hf = client(daemon_stub)
    with sy:
        image = hf.text_to_image("a red fox", model="flux")
        assert image.size == (8, 8) and image.format == "PNG"
        sent = [r for r in a.recorded_posts() if r["path"] == "/together/v1/images/generations"]
        assert sent and sent[-1]["body"]["model"] == IMAGE and sent[-1]["body"]["response_format"] == "base64"
        assert sent[-1]["authorization_prefix"] == HF_TOKEN[:10]

        a.set_behavior(models=[], fault="server_error")
        image = hf.text_to_image("a red fox", model="flux")
        assert image.size == (8, 8)
        assert b.recorded_posts()[-1]["path"] == f"/hf-inference/models/{IMAGE}"
        assert sy.flush()
    assert "task=text-to-image" in daemon_stub.seen("/v1/route")[0].path
    sent = reports(daemon_stub)
    assert [(r["provider"], r["outcome"], r.get("status"), r["task"]) for r in sent] == [
        ("together", "ok", None, "text-to-image"), ("together", "server_error", 500, "text-to-image"),
        ("hf-inference", "ok", None, "text-to-image")]
    assert all(r["total_ms"] > 0 for r in sent)


def test_feature_extraction_fails_over_from_a_wrong_size_vector(hub_env, daemon_stub):
    a, b = hub_env["a"], hub_env["b"]
    a.set_catalog(dimensions=3)  # a's model answers 3 dimensions whatever is asked
    route(daemon_stub, "embed", [partner(a, "together", EMBED), partner(b, "hf-inference", EMBED)])
    sy, hf = client(daemon_stub)
    with sy:
        vectors = hf.feature_extraction(["one", "two"], model="embed", dimensions=16)
        assert vectors.shape == (2, 16) and str(vectors.dtype) == "float32"
        assert sy.flush()
    assert b.recorded_posts()[-1]["path"] == f"/hf-inference/models/{EMBED}/pipeline/feature-extraction"
    assert [(r["provider"], r["outcome"]) for r in reports(daemon_stub)] == [("together", "bad_response"), ("hf-inference", "ok")]


def test_a_truncated_image_is_a_failed_attempt_not_a_crash(hub_env, daemon_stub):
    a, b = hub_env["a"], hub_env["b"]
    route(daemon_stub, "flux", [partner(b, "hf-inference", IMAGE), partner(a, "together", IMAGE)])
    b.set_behavior(models=[], task_fault="truncated_png")  # a whole 200 answer holding half a PNG
    sy, hf = client(daemon_stub)
    with sy:
        assert hf.text_to_image("a red fox", model="flux").size == (8, 8)
        b.set_behavior(models=[], fault="truncated")  # half the PNG, then the connection closes
        a.set_behavior(models=[], task_fault="truncated_png")  # half a PNG in together's b64_json
        with pytest.raises(AllCandidatesFailed) as failed:
            hf.text_to_image("a red fox", model="flux")
        b.set_behavior(models=[], fault="garbage")  # JSON garbage where a PNG belongs
        a.set_behavior(models=[], fault="garbage")
        with pytest.raises(AllCandidatesFailed) as garbage:
            hf.text_to_image("a red fox", model="flux")
        assert sy.flush()
    outcomes = lambda error: [(x.candidate.provider, x.outcome) for x in error.value.attempts]
    assert outcomes(failed) == [("hf-inference", "server_error"), ("together", "bad_response")]
    assert outcomes(garbage) == [("hf-inference", "bad_response"), ("together", "bad_response")]
    assert [(r["provider"], r["outcome"]) for r in reports(daemon_stub)][:2] == [("hf-inference", "bad_response"), ("together", "ok")]


def test_an_empty_vector_is_a_failed_attempt(hub_env, daemon_stub):
    a, b = hub_env["a"], hub_env["b"]
    route(daemon_stub, "embed", [partner(b, "hf-inference", EMBED), partner(a, "together", EMBED)])
    b.set_behavior(models=[], task_fault="empty_vector")
    sy, hf = client(daemon_stub)
    with sy:
        assert hf.feature_extraction("one", model="embed").shape == (1, 8)
        assert sy.flush()
    assert [(r["provider"], r["outcome"]) for r in reports(daemon_stub)] == [("hf-inference", "bad_response"), ("together", "ok")]


def test_speech_recognition_reports_the_audio_seconds(hub_env, daemon_stub):
    b = hub_env["b"]
    route(daemon_stub, "whisper", [partner(hub_env["a"], "together", ASR), partner(b, "hf-inference", ASR)])
    sy, hf = client(daemon_stub)
    with sy:
        assert hf.automatic_speech_recognition(wav_bytes(1.5), model="whisper").text == "hello from the simulator"
        assert sy.flush()
    # huggingface_hub has no speech recognition for together: skipped, never reported.
    assert [(r["provider"], r["outcome"], r["task"], r["audio_seconds"]) for r in reports(daemon_stub)] == [
        ("hf-inference", "ok", "speech-to-text", 1.5)]


def test_text_to_speech_and_text_to_video(hub_env, daemon_stub):
    a = hub_env["a"]
    sy, hf = client(daemon_stub)
    with sy:
        route(daemon_stub, "tts", [partner(a, "together", TTS)])
        audio = hf.text_to_speech("hello", model="tts", voice="alloy")
        assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"
        assert a.recorded_posts()[-1]["body"] == {"input": "hello", "model": TTS, "voice": "alloy"}
        route(daemon_stub, "video", [partner(a, "together", VIDEO)])
        video = hf.text_to_video("a cat", model="video")
        assert video[4:8] == b"ftyp"
        assert sy.flush()
    assert [(r["provider"], r["outcome"], r["task"]) for r in reports(daemon_stub)] == [
        ("together", "ok", "text-to-speech"), ("together", "ok", "text-to-video")]


def test_no_hf_token_means_the_partner_is_skipped_not_called_elsewhere(hub_env, daemon_stub, monkeypatch):
    a, b = hub_env["a"], hub_env["b"]
    monkeypatch.delenv("HF_TOKEN")
    route(daemon_stub, "flux", [partner(a, "together", IMAGE), partner(b, "hf-inference", IMAGE)])
    sy, hf = client(daemon_stub)
    before = a.posts()
    with sy:
        assert hf.text_to_image("a red fox", model="flux").size == (8, 8)
        assert sy.flush()
    assert a.posts() == before  # without an hf_ token huggingface_hub would call together's own host
    assert [(r["provider"], r["outcome"]) for r in reports(daemon_stub)] == [("hf-inference", "ok")]
    assert b.recorded_posts()[-1]["authorization_prefix"] == "EMPTY"


def test_an_openai_compatible_candidate_gets_the_openai_shapes(hub_env, daemon_stub, tmp_path):
    b = hub_env["b"]
    b.set_behavior(models=["whisper-local", "tts-local"])
    local = lambda upstream: {"provider": "local", "upstream_model": upstream, "base_url": b.base_url}
    clip = tmp_path / "clip.wav"
    clip.write_bytes(wav_bytes(2.0))
    sy, hf = client(daemon_stub)
    with sy:
        route(daemon_stub, "whisper", [local("whisper-local")])
        assert hf.automatic_speech_recognition(str(clip), model="whisper").text == "A short tone of 2.0 seconds."
        route(daemon_stub, "tts", [local("tts-local")])
        assert hf.text_to_speech("hello there", model="tts")[:4] == b"RIFF"
        route(daemon_stub, "video", [local("video-local")])
        with pytest.raises(AllCandidatesFailed) as skipped:  # no OpenAI-compatible video to call: skipped, not reported
            hf.text_to_video("a cat", model="video")
        assert sy.flush()
    assert [p["path"] for p in b.recorded_posts()[-2:]] == ["/v1/audio/transcriptions", "/v1/audio/speech"]
    assert [a.outcome for a in skipped.value.attempts] == ["skipped"]
    assert [(r["provider"], r["task"], r.get("audio_seconds")) for r in reports(daemon_stub)] == [
        ("local", "speech-to-text", 2.0), ("local", "text-to-speech", None)]

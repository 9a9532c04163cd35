"""How `FailoverInferenceClient` reaches one candidate for a task other than chat.

What `huggingface_hub` (read in 2.4.0) does for `InferenceClient(provider=P).text_to_image(...,
model="org/m")` and the other non-chat tasks, and so what a test must serve offline:

- The provider's helper (`huggingface_hub.inference._providers.PROVIDERS[P][hub_task]`) first
  asks the Hub for the model's mapping: `GET {constants.ENDPOINT}/api/models/org/m?expand=
  inferenceProviderMapping` (`HfApi().model_info`, cached per model for the process). It takes
  the entry of P, checks its `task` equals the pipeline tag (`text-to-image`,
  `feature-extraction`, `automatic-speech-recognition`, `text-to-speech`, `text-to-video`) and
  sends the entry's `providerId` as the model. `constants.ENDPOINT` is `$HF_ENDPOINT` read at
  import (default https://huggingface.co): tests set both.
- The URL: with a token that starts `hf_`, the router's proxy
  `constants.INFERENCE_PROXY_TEMPLATE.format(provider=P)` (https://router.huggingface.co/P; a
  constant, no variable) plus the partner's own path, e.g. together's `/v1/images/generations`
  (body `{prompt, response_format: "base64", model}`, answer `data[0].b64_json`),
  `/v1/embeddings`, `/v1/audio/speech` (raw audio back) and `/v2/videos` (a job polled at
  `/v2/videos/{id}` every 2 s until `completed`, then `outputs.video_url` fetched). With any
  other token it calls the partner's own host (https://api.together.xyz) directly.
- `hf-inference` has no mapping lookup for a URL: `InferenceClient(model=URL)` posts to URL as
  is, which is how it calls `{router}/hf-inference/models/org/m` (text-to-image: JSON `inputs`
  → image bytes with `Accept: image/png`; text-to-speech: JSON `inputs` → audio bytes;
  speech recognition: the raw audio → `{"text"}`) and `.../pipeline/feature-extraction` (JSON
  `inputs` → one vector per input). For a model id it would ask the Hub for the pipeline tag too.
- Answers: `text_to_image` returns a PIL image (decoded lazily: needs Pillow),
  `feature_extraction` a float32 numpy array (needs numpy), `automatic_speech_recognition` an
  `AutomaticSpeechRecognitionOutput`, `text_to_speech` and `text_to_video` bytes.

So a router candidate (`upstream` `org/m:P`) is called that same way, but only where it lands on
the candidate's own host with a key meant for it: P's requests go to `INFERENCE_PROXY_TEMPLATE`'s
origin, which must be the candidate's (`base_url` less `/v1`), and only with an `hf_` token (else
huggingface_hub would send them to P's own host, which the route never named). `hf-inference`
is called by URL on the candidate's host. Any other candidate (vLLM, TGI, an OpenAI-compatible
server) gets the OpenAI shapes at its `base_url`: `/embeddings`, `/images/generations`,
`/audio/transcriptions` (multipart), `/audio/speech`. A candidate none of these fits raises
`CandidateSkipped`: nothing is sent and nothing is held against it."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlsplit

from huggingface_hub import constants
from huggingface_hub.utils import get_session, hf_raise_for_status

from .failover import CandidateSkipped
from .route import Candidate
from .tasks import HUB_TASKS, TEXT_TO_VIDEO

try:  # the table huggingface_hub picks a partner's helper from; private, so only used to skip early
    from huggingface_hub.inference._providers import PROVIDERS as _HF_PROVIDERS
except ImportError:  # pragma: no cover - another huggingface_hub layout: let the call itself tell
    _HF_PROVIDERS = None

HF_INFERENCE = "hf-inference"


@dataclass(frozen=True)
class Way:
    """How to call one candidate: `kind` is `partner` (`InferenceClient(provider=P)`, model `model`),
    `url` (`InferenceClient(model=url)`) or `openai` (the OpenAI shapes at `url`)."""

    kind: str
    url: str = ""
    provider: str = ""
    model: str = ""


def origin(url: str) -> tuple:
    """(scheme, host, port) of a URL, with the scheme's default port filled in."""
    parts = urlsplit(url)
    port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def router_root(base_url: str) -> str:
    """The router's root for a candidate's OpenAI base URL: `https://router.huggingface.co/v1` → `https://router.huggingface.co`."""
    root = base_url.rstrip("/")
    return root[: -len("/v1")] if root.endswith("/v1") else root


def way_for(candidate: Candidate, task: str, token: str) -> Way:
    """How `candidate` is called for `task` with `token` (see the module's rules); `CandidateSkipped` when no way fits."""
    partner = candidate.hf_provider
    if partner is None:
        if task == TEXT_TO_VIDEO:
            raise CandidateSkipped(f"{candidate.provider}: no OpenAI-compatible video endpoint to call")
        return Way("openai", url=candidate.base_url.rstrip("/"))
    model = candidate.upstream_model[: -len(partner) - 1]
    root = router_root(candidate.base_url)
    hub_task = HUB_TASKS[task]
    if partner == HF_INFERENCE:
        suffix = "/pipeline/feature-extraction" if hub_task == "feature-extraction" else ""
        return Way("url", url=f"{root}/{HF_INFERENCE}/models/{model}{suffix}", model=model)
    if _HF_PROVIDERS is not None and hub_task not in _HF_PROVIDERS.get(partner, {}):
        raise CandidateSkipped(f"{candidate.provider}: huggingface_hub has no {hub_task} for provider {partner!r}")
    proxy = constants.INFERENCE_PROXY_TEMPLATE.format(provider=partner)
    if origin(proxy) != origin(root):
        raise CandidateSkipped(f"{candidate.provider}: huggingface_hub sends {partner} requests to {proxy}, "
                               f"not to this candidate's {root}")
    if not token.startswith("hf_"):
        raise CandidateSkipped(f"{candidate.provider}: no Hugging Face token for the router "
                               f"(huggingface_hub would call {partner}'s own host instead)")
    return Way("partner", provider=partner, model=model)


class OpenAIShapes:
    """The OpenAI-compatible task endpoints of one candidate, answered in `InferenceClient`'s types."""

    def __init__(self, base_url: str, token: str, timeout: Optional[float]):
        self.base_url = base_url
        self.headers = {"authorization": f"Bearer {token}"}
        self.timeout = timeout

    def _post(self, path: str, **request: Any) -> Any:
        response = get_session().post(self.base_url + path, headers=self.headers, timeout=self.timeout, **request)
        hf_raise_for_status(response)
        return response

    def embeddings(self, model: str, text: Any, dimensions: Optional[int]) -> Any:
        """`/embeddings`: one row per input, as a float32 numpy array."""
        import numpy as np

        body = {"model": model, "input": text, **({"dimensions": dimensions} if dimensions else {})}
        data = self._post("/embeddings", json=body).json()["data"]
        return np.array([item["embedding"] for item in sorted(data, key=lambda item: item.get("index", 0))], dtype="float32")

    def image(self, model: str, prompt: str, size: Optional[str]) -> Any:
        """`/images/generations` with `b64_json`, as a PIL image."""
        from PIL import Image

        body = {"model": model, "prompt": prompt, "n": 1, "response_format": "b64_json", **({"size": size} if size else {})}
        data = self._post("/images/generations", json=body).json()["data"]
        return Image.open(io.BytesIO(base64.b64decode(data[0]["b64_json"])))

    def transcription(self, model: str, audio: bytes) -> Any:
        """`/audio/transcriptions` (multipart), as `AutomaticSpeechRecognitionOutput`."""
        from huggingface_hub import AutomaticSpeechRecognitionOutput

        answer = self._post("/audio/transcriptions", data={"model": model},
                            files={"file": ("audio.wav", audio, "application/octet-stream")}).json()
        return AutomaticSpeechRecognitionOutput.parse_obj_as_instance(answer)

    def speech(self, model: str, text: str, voice: Optional[str]) -> bytes:
        """`/audio/speech`, the audio bytes."""
        body = {"model": model, "input": text, "response_format": "wav", **({"voice": voice} if voice else {})}
        return self._post("/audio/speech", json=body).content

"""`huggingface_hub.InferenceClient` with Switchyard routing, failover and reports (extra `[huggingface]`).

Chat: each candidate of the route is called through its OpenAI-compatible endpoint:
`InferenceClient(base_url=candidate.base_url, api_key=...)` and
`chat_completion(model=candidate.upstream_model)`. For a Hugging Face router target
(`base_url` https://router.huggingface.co/v1, upstream `org/model:together`) that is the same
request as `InferenceClient(provider="together").chat_completion(model="org/model")`.

Other tasks (`text_to_image`, `feature_extraction`, `automatic_speech_recognition`,
`text_to_speech`, `text_to_video`) ask the route for the model's targets of that task and call a
router candidate the way huggingface_hub itself talks to partner providers,
`InferenceClient(provider="together").text_to_image(prompt, model="org/model")`; the rules, and
what huggingface_hub sends where, are in `switchyard_client.hf_ways`. Each answer is checked
(`switchyard_client.tasks`): a truncated image or a vector of the wrong size is a failed attempt."""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, Iterable, Mapping, Optional, Tuple, TypeVar

from huggingface_hub import InferenceClient, get_token

from ._keys import NO_KEY, _private_route, host_matches, host_of
from .client import Switchyard
from .failover import CandidateSkipped
from .hf_ways import OpenAIShapes, Way, way_for
from .needs import request_needs
from .route import Candidate
from .tasks import (ATTEMPT_TIMEOUTS, EMBEDDINGS, SPEECH_TO_TEXT, TEXT_TO_IMAGE, TEXT_TO_SPEECH, TEXT_TO_VIDEO, BadAnswer,
                    audio_seconds, check_audio, check_image, check_text, check_vectors, check_video)

T = TypeVar("T")

try:  # huggingface_hub decodes images with Pillow (its own requirement for text_to_image)
    from PIL import UnidentifiedImageError
except ImportError:  # pragma: no cover - text_to_image itself will say Pillow is missing
    class UnidentifiedImageError(OSError):  # type: ignore[no-redef]
        """Stand-in so the except clause below needs no Pillow."""


class FailoverInferenceClient:
    """Calls the route's candidates in order with `huggingface_hub.InferenceClient` until one answers.

    Tokens come from the environment at call time: `token_envs[provider]` for that provider; else
    `token_env` (`HF_TOKEN`), but only for the hosts in `token_hosts` (Hugging Face's by default).
    There, without `HF_TOKEN`, the saved login (`hf auth login`) is used. Any other candidate gets
    the sentinel `EMPTY`, never `None`, which would let `huggingface_hub` send `HF_TOKEN` or its
    saved token anyway.

    One attempt may take `timeout` seconds for chat and `task_timeouts[task]` for the other tasks
    (default `switchyard_client.tasks.ATTEMPT_TIMEOUTS`: 10 s for embeddings, 60 s for an image or
    speech, 300 s for a video)."""

    #: Where `HF_TOKEN` belongs: the router, the Hub and Inference Endpoints.
    HF_HOSTS = ("huggingface.co", "*.huggingface.co", "*.huggingface.cloud")

    def __init__(self, switchyard: Switchyard, *, token_env: str = "HF_TOKEN", token_envs: Optional[Mapping[str, str]] = None,
                 token_hosts: Iterable[str] = HF_HOSTS, timeout: Optional[float] = 30.0,
                 task_timeouts: Optional[Mapping[str, float]] = None):
        self.switchyard = switchyard
        self.token_env = token_env
        self.token_envs = dict(token_envs or {})
        self.token_hosts = tuple(token_hosts)
        self.timeout = timeout
        self.task_timeouts = {**ATTEMPT_TIMEOUTS, **dict(task_timeouts or {})}
        self._clients: Dict[Tuple[str, str, str, Optional[float]], InferenceClient] = {}
        self._lock = threading.Lock()

    def client_for(self, candidate: Candidate) -> InferenceClient:
        """The `InferenceClient` for one candidate's chat (kept per endpoint and token)."""
        return self._client("base_url", candidate.base_url, self.token_for(candidate), self.timeout)

    def token_for(self, candidate: Candidate) -> str:
        """The token `candidate` may get (see the class), or the sentinel `EMPTY`."""
        token = self.switchyard.key_for(candidate, key_env=self.token_env, key_envs=self.token_envs, key_hosts=self.token_hosts)
        if token is None and self._saved_login_applies(candidate):
            token = get_token()  # `hf auth login`'s saved token, asked for explicitly: Hugging Face's own hosts only
        return token or NO_KEY

    def _client(self, kind: str, target: str, token: str, timeout: Optional[float]) -> InferenceClient:
        key = (kind, target, token, timeout)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = InferenceClient(**{kind: target}, api_key=token, timeout=timeout)
                self._clients[key] = client
        return client

    def _saved_login_applies(self, candidate: Candidate) -> bool:
        return (self.token_env == "HF_TOKEN" and candidate.provider not in self.token_envs and self.switchyard.trusts(candidate)
                and host_matches(host_of(candidate.base_url), self.token_hosts) and _private_route(candidate.base_url))

    def chat_completion(self, messages: Any, *, model: str, strategy: Optional[str] = None, **kwargs: Any) -> Any:
        """`InferenceClient.chat_completion` for the Switchyard model name `model`, with failover.
        Returns the first successful `ChatCompletionOutput`; raises `AllCandidatesFailed` if none. Only
        candidates that can serve what the request needs (tools, structured output, images, its length) are tried."""
        def attempt(candidate: Candidate) -> Any:
            return self.client_for(candidate).chat_completion(messages, model=candidate.upstream_model, **kwargs)
        return self.switchyard.call_with_failover(model, attempt, strategy=strategy, attempt_timeout=self.timeout,
                                                  needs=request_needs(messages=messages, options=kwargs))

    # -- tasks beyond chat ------------------------------------------------------------------

    def text_to_image(self, prompt: str, *, model: str, strategy: Optional[str] = None, size: Optional[str] = None,
                      **kwargs: Any) -> Any:
        """`InferenceClient.text_to_image` for the Switchyard model name `model`, with failover over its
        text-to-image targets; returns the first image that decodes (a PIL image). `size` (`"WxH"`)
        goes to OpenAI-compatible candidates; `width`/`height` and the rest to huggingface_hub's."""
        def call(candidate: Candidate, way: Way, client: Optional[InferenceClient], shapes: Optional[OpenAIShapes]) -> Any:
            if shapes is not None:
                return check_image(shapes.image(candidate.upstream_model, prompt, size))
            try:
                image = client.text_to_image(prompt, **self._model_arg(way), **kwargs)
            except UnidentifiedImageError as error:  # 200, but the bytes are no image
                raise BadAnswer(f"the answer is not an image: {error}") from error
            return check_image(image)
        return self._failover(model, TEXT_TO_IMAGE, call, strategy)

    def feature_extraction(self, text: Any, *, model: str, strategy: Optional[str] = None, dimensions: Optional[int] = None,
                           **kwargs: Any) -> Any:
        """`InferenceClient.feature_extraction` for `model` with failover over its embeddings targets:
        a float32 array with one row per input. With `dimensions`, a provider answering another size
        is a failed attempt (as is an empty vector or a missing row)."""
        inputs = len(text) if isinstance(text, (list, tuple)) else 1

        def call(candidate: Candidate, way: Way, client: Optional[InferenceClient], shapes: Optional[OpenAIShapes]) -> Any:
            if shapes is not None:
                return check_vectors(shapes.embeddings(candidate.upstream_model, text, dimensions), inputs, dimensions)
            vectors = client.feature_extraction(text, dimensions=dimensions, **self._model_arg(way), **kwargs)
            return check_vectors(vectors.reshape(1, -1) if vectors.ndim == 1 else vectors, inputs, dimensions)
        return self._failover(model, EMBEDDINGS, call, strategy)

    def automatic_speech_recognition(self, audio: Any, *, model: str, strategy: Optional[str] = None, **kwargs: Any) -> Any:
        """`InferenceClient.automatic_speech_recognition` for `model` with failover over its speech-to-text
        targets. Reports carry the audio's length (`audio_seconds`, for WAV input) beside the total time."""
        if not isinstance(audio, (bytes, bytearray)) and hasattr(audio, "read"):
            audio = audio.read()  # a file object can be read once only, and failover may need it again
        elif isinstance(audio, (str, os.PathLike)) and os.path.isfile(audio):
            with open(audio, "rb") as f:
                audio = f.read()

        def call(candidate: Candidate, way: Way, client: Optional[InferenceClient], shapes: Optional[OpenAIShapes]) -> Any:
            if shapes is not None:
                if not isinstance(audio, (bytes, bytearray)):
                    raise CandidateSkipped(f"{candidate.provider}: an OpenAI-compatible server needs the audio itself, not {audio!r}")
                return check_text(shapes.transcription(candidate.upstream_model, bytes(audio)))
            return check_text(client.automatic_speech_recognition(audio, **self._model_arg(way), **kwargs))
        return self._failover(model, SPEECH_TO_TEXT, call, strategy, audio_seconds=audio_seconds(audio))

    def text_to_speech(self, text: str, *, model: str, strategy: Optional[str] = None, voice: Optional[str] = None,
                       **kwargs: Any) -> bytes:
        """`InferenceClient.text_to_speech` for `model` with failover over its text-to-speech targets: the audio bytes.
        `voice` goes to OpenAI-compatible candidates and, in `extra_body`, to partners that need one."""
        extra = {**({"voice": voice} if voice else {}), **(kwargs.pop("extra_body", None) or {})} or None

        def call(candidate: Candidate, way: Way, client: Optional[InferenceClient], shapes: Optional[OpenAIShapes]) -> Any:
            if shapes is not None:
                return check_audio(shapes.speech(candidate.upstream_model, text, voice))
            return check_audio(client.text_to_speech(text, extra_body=extra, **self._model_arg(way), **kwargs))
        return self._failover(model, TEXT_TO_SPEECH, call, strategy)

    def text_to_video(self, prompt: str, *, model: str, strategy: Optional[str] = None, **kwargs: Any) -> bytes:
        """`InferenceClient.text_to_video` for `model` with failover over its text-to-video targets (router
        partners only: there is no OpenAI-compatible video endpoint to call): the video's bytes."""
        def call(candidate: Candidate, way: Way, client: Optional[InferenceClient], shapes: Optional[OpenAIShapes]) -> Any:
            return check_video(client.text_to_video(prompt, **self._model_arg(way), **kwargs))
        return self._failover(model, TEXT_TO_VIDEO, call, strategy)

    @staticmethod
    def _model_arg(way: Way) -> Dict[str, str]:
        # A client made for a URL already knows its model; a partner's is told the Hub id.
        return {"model": way.model} if way.kind == "partner" else {}

    def _failover(self, model: str, task: str, call: Callable[..., T], strategy: Optional[str],
                  audio_seconds: Optional[float] = None) -> T:
        timeout = self.task_timeouts.get(task, self.timeout)

        def attempt(candidate: Candidate) -> T:
            token = self.token_for(candidate)
            way = way_for(candidate, task, token)
            if way.kind == "openai":
                return call(candidate, way, None, OpenAIShapes(way.url, token, timeout))
            if way.kind == "url":
                return call(candidate, way, self._client("model", way.url, token, timeout), None)
            return call(candidate, way, self._client("provider", way.provider, token, timeout), None)
        return self.switchyard.call_with_failover(model, attempt, strategy=strategy, attempt_timeout=timeout, task=task,
                                                  audio_seconds=audio_seconds)

"""`openai.OpenAI` with Switchyard routing, failover and reports (extra `[openai]`).

One `OpenAI` client per candidate: its `base_url`, the candidate's `upstream_model` as the
model, and the key from the caller's environment. The SDK's own retries are off
(`max_retries=0`): retrying the same provider with second-long backoff is what failover replaces.

`embeddings.create` and `images.generate` route to the model's embeddings and text-to-image
targets (`/v1/route?task=...`), with the SDK's own signatures; an answer with no vector, an empty
or wrong-size vector (with `dimensions`), or no image is a failed attempt, reported as `bad_response`."""

from __future__ import annotations

import base64
import threading
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

import openai as _openai

from ._keys import NO_KEY
from .client import Switchyard
from .needs import request_needs
from .route import Candidate
from .tasks import ATTEMPT_TIMEOUTS, EMBEDDINGS, TEXT_TO_IMAGE, BadAnswer, check_image_bytes, check_vectors


class FailoverOpenAI:
    """Chat completions across the route's candidates with `openai.OpenAI`.

    Keys: `key_envs[provider]` names the variable for that provider only; `key_env`
    (`OPENAI_API_KEY`) goes only to the hosts in `key_hosts` (`api.openai.com` by default). A
    provider without a key gets `EMPTY` (what keyless servers accept), never `None`, which would
    make the SDK read `OPENAI_API_KEY` itself."""

    def __init__(self, switchyard: Switchyard, *, key_env: str = "OPENAI_API_KEY", key_envs: Optional[Mapping[str, str]] = None,
                 key_hosts: Iterable[str] = ("api.openai.com",), timeout: Optional[float] = 30.0, **client_options: Any):
        self.switchyard = switchyard
        self.key_env = key_env
        self.key_envs = dict(key_envs or {})
        self.key_hosts = tuple(key_hosts)
        self.timeout = timeout
        self.client_options = client_options
        self._clients: Dict[Tuple[str, str], _openai.OpenAI] = {}
        self._lock = threading.Lock()
        #: `client.embeddings.create(model=..., input=...)` with failover.
        self.embeddings = _Embeddings(self)
        #: `client.images.generate(model=..., prompt=...)` with failover.
        self.images = _Images(self)

    def client_for(self, candidate: Candidate) -> "_openai.OpenAI":
        """The `OpenAI` client for one candidate (kept per endpoint and key)."""
        key = self.switchyard.key_for(candidate, key_env=self.key_env, key_envs=self.key_envs, key_hosts=self.key_hosts) or NO_KEY
        with self._lock:
            client = self._clients.get((candidate.base_url, key))
            if client is None:
                client = _openai.OpenAI(base_url=candidate.base_url, api_key=key, timeout=self.timeout, max_retries=0,
                                        **self.client_options)
                self._clients[(candidate.base_url, key)] = client
        return client

    def chat_completion(self, *, model: str, messages: Any, strategy: Optional[str] = None, **kwargs: Any) -> Any:
        """`client.chat.completions.create` for the Switchyard model name `model`, with failover over
        the candidates that can serve what the request needs (tools, structured output, images, its length)."""
        def attempt(candidate: Candidate) -> Any:
            return self.client_for(candidate).chat.completions.create(model=candidate.upstream_model, messages=messages, **kwargs)
        return self.switchyard.call_with_failover(model, attempt, strategy=strategy, attempt_timeout=self.timeout,
                                                  needs=request_needs(messages=messages, options=kwargs))


class _Embeddings:
    """`FailoverOpenAI.embeddings`: the SDK's `embeddings.create` across the embeddings targets."""

    def __init__(self, owner: FailoverOpenAI):
        self._owner = owner

    def create(self, *, model: str, input: Any, strategy: Optional[str] = None, timeout: Optional[float] = None, **kwargs: Any) -> Any:
        """`client.embeddings.create` for the Switchyard model name `model`; the first answer with one
        non-empty vector per input (of `dimensions` entries when asked) is returned."""
        owner = self._owner
        inputs = len(input) if isinstance(input, (list, tuple)) and input and not isinstance(input[0], int) else 1

        def attempt(candidate: Candidate) -> Any:
            answer = owner.client_for(candidate).embeddings.create(model=candidate.upstream_model, input=input, **kwargs)
            vectors = [item.embedding for item in sorted(answer.data, key=lambda item: item.index)]
            if kwargs.get("encoding_format") != "base64":
                check_vectors(vectors, inputs, kwargs.get("dimensions"))
            return answer
        return owner.switchyard.call_with_failover(model, attempt, strategy=strategy, task=EMBEDDINGS,
                                                   attempt_timeout=timeout or ATTEMPT_TIMEOUTS[EMBEDDINGS])


class _Images:
    """`FailoverOpenAI.images`: the SDK's `images.generate` across the text-to-image targets."""

    def __init__(self, owner: FailoverOpenAI):
        self._owner = owner

    def generate(self, *, model: str, prompt: str, strategy: Optional[str] = None, timeout: Optional[float] = None,
                 **kwargs: Any) -> Any:
        """`client.images.generate` for the Switchyard model name `model`; the first answer carrying an
        image (a PNG/JPEG/WebP in `b64_json`, or a `url`) is returned."""
        owner = self._owner

        def attempt(candidate: Candidate) -> Any:
            answer = owner.client_for(candidate).images.generate(model=candidate.upstream_model, prompt=prompt, **kwargs)
            _check_images(answer)
            return answer
        return owner.switchyard.call_with_failover(model, attempt, strategy=strategy, task=TEXT_TO_IMAGE,
                                                   attempt_timeout=timeout or ATTEMPT_TIMEOUTS[TEXT_TO_IMAGE])


def _check_images(answer: Any) -> None:
    data = getattr(answer, "data", None) or []
    if not data:
        raise BadAnswer("the provider answered no image")
    for item in data:
        if getattr(item, "url", None):
            continue
        try:
            raw = base64.b64decode(getattr(item, "b64_json", None) or "", validate=True)
        except ValueError as error:
            raise BadAnswer(f"the image is not base64: {error}") from error
        check_image_bytes(raw)

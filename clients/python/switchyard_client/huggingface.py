"""`huggingface_hub.InferenceClient` with Switchyard routing, failover and reports (extra `[huggingface]`).

Each candidate of the route is called through its OpenAI-compatible endpoint:
`InferenceClient(base_url=candidate.base_url, api_key=...)` and
`chat_completion(model=candidate.upstream_model)`. For a Hugging Face router target
(`base_url` https://router.huggingface.co/v1, upstream `org/model:together`) that is the same
request as `InferenceClient(provider="together").chat_completion(model="org/model")`."""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from huggingface_hub import InferenceClient, get_token

from ._keys import NO_KEY, _private_route, host_matches, host_of
from .client import Switchyard
from .needs import request_needs
from .route import Candidate


class FailoverInferenceClient:
    """Calls the route's candidates in order with `huggingface_hub.InferenceClient` until one answers.

    Tokens come from the environment at call time: `token_envs[provider]` for that provider; else
    `token_env` (`HF_TOKEN`), but only for the hosts in `token_hosts` (Hugging Face's by default).
    There, without `HF_TOKEN`, the saved login (`hf auth login`) is used. Any other candidate gets
    the sentinel `EMPTY`, never `None`, which would let `huggingface_hub` send `HF_TOKEN` or its
    saved token anyway."""

    #: Where `HF_TOKEN` belongs: the router, the Hub and Inference Endpoints.
    HF_HOSTS = ("huggingface.co", "*.huggingface.co", "*.huggingface.cloud")

    def __init__(self, switchyard: Switchyard, *, token_env: str = "HF_TOKEN", token_envs: Optional[Mapping[str, str]] = None,
                 token_hosts: Iterable[str] = HF_HOSTS, timeout: Optional[float] = 30.0):
        self.switchyard = switchyard
        self.token_env = token_env
        self.token_envs = dict(token_envs or {})
        self.token_hosts = tuple(token_hosts)
        self.timeout = timeout
        self._clients: Dict[Tuple[str, str], InferenceClient] = {}
        self._lock = threading.Lock()

    def client_for(self, candidate: Candidate) -> InferenceClient:
        """The `InferenceClient` for one candidate (kept per endpoint and token)."""
        token = self.switchyard.key_for(candidate, key_env=self.token_env, key_envs=self.token_envs, key_hosts=self.token_hosts)
        if token is None and self._saved_login_applies(candidate):
            token = get_token()  # `hf auth login`'s saved token, asked for explicitly: Hugging Face's own hosts only
        token = token or NO_KEY
        key = (candidate.base_url, token)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = InferenceClient(base_url=candidate.base_url, api_key=token, timeout=self.timeout)
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

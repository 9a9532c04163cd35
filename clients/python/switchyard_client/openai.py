"""`openai.OpenAI` with Switchyard routing, failover and reports (extra `[openai]`).

One `OpenAI` client per candidate: its `base_url`, the candidate's `upstream_model` as the
model, and the key from the caller's environment. The SDK's own retries are off
(`max_retries=0`): retrying the same provider with second-long backoff is what failover replaces."""

from __future__ import annotations

import threading
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

import openai as _openai

from ._keys import NO_KEY
from .client import Switchyard
from .needs import request_needs
from .route import Candidate


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

"""Provider credentials from the caller's environment: never stored by this package, never logged.

The rules (the Swift client's `ProviderKeys` follows the same ones):
- `key_envs[provider]` names the variable holding that provider's key; it goes to that provider
  only. One key for a set of providers: name the same variable for each of them.
- The default key (`key_env`) goes only to the hosts in `key_hosts` (`host` or `*.domain`), and
  only over https or to this host. Every other candidate gets no key.
- A candidate the client does not trust (`Switchyard.trusts`: a route from a daemon reached over
  TCP that points at a host outside `trusted_hosts`) gets no key, whatever it is named.
- "No key" is sent as the sentinel `EMPTY`, never as `None`: for `None` the SDKs fall back to
  their own sources (`huggingface_hub` reads `HF_TOKEN` or its token file; `openai` reads
  `OPENAI_API_KEY`), which would send a key to a provider it was never meant for."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Tuple
from urllib.parse import urlsplit

# What an OpenAI-compatible server without auth (vLLM, Ollama, the simulator) accepts as a key.
NO_KEY = "EMPTY"


@dataclass(frozen=True)
class KeyRules:
    """Which environment variable's key goes to which candidate (see the module's rules)."""

    default_env: Optional[str] = None
    per_provider: Mapping[str, str] = field(default_factory=dict)
    default_hosts: Tuple[str, ...] = ()

    def key_for(self, provider: str, base_url: str) -> Optional[str]:
        """The key configured for this provider at this URL, or None when it has none."""
        named = self.per_provider.get(provider)
        if named:
            return os.environ.get(named) or None
        if self.default_env and host_matches(host_of(base_url), self.default_hosts) and _private_route(base_url):
            return os.environ.get(self.default_env) or None
        return None


def host_of(base_url: str) -> str:
    """The lower-case host name of a URL ('' when it has none)."""
    return (urlsplit(base_url).hostname or "").lower()


def host_matches(host: str, patterns: Iterable[str]) -> bool:
    """Whether `host` is one of `patterns`: an exact host, or `*.domain` for any host under `domain`."""
    if not host:
        return False
    for pattern in patterns:
        pattern = pattern.lower()
        if host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def _private_route(base_url: str) -> bool:
    """https, or this host: nobody on the way can read the key."""
    parts = urlsplit(base_url)
    if parts.scheme == "https":
        return True
    host = parts.hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

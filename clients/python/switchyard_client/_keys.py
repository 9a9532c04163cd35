"""Provider credentials from the caller's environment: never stored by this package, never logged."""

from __future__ import annotations

import ipaddress
import os
from typing import Mapping, Optional
from urllib.parse import urlsplit

# What an OpenAI-compatible server without auth (vLLM, Ollama, the simulator) accepts as a key.
NO_KEY = "EMPTY"


def key_for(provider: str, base_url: str, default_env: str, per_provider: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The key for `provider`: the variable named in `per_provider[provider]`; else the one in
    `default_env`, but only where nobody can read it on the way (https, or this host): a plain-http
    server elsewhere gets no key unless one is named for it."""
    named = (per_provider or {}).get(provider)
    if named:
        return os.environ.get(named) or None
    return os.environ.get(default_env) or None if _private_route(base_url) else None


def _private_route(base_url: str) -> bool:
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

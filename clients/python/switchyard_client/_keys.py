"""Provider credentials from the caller's environment: never stored by this package, never logged."""

from __future__ import annotations

import os
from typing import Mapping, Optional

# What an OpenAI-compatible server without auth (vLLM, Ollama, the simulator) accepts as a key.
NO_KEY = "EMPTY"


def key_for(provider: str, default_env: str, per_provider: Optional[Mapping[str, str]] = None) -> Optional[str]:
    """The key for `provider`: the variable named in `per_provider[provider]`, else `default_env`."""
    name = (per_provider or {}).get(provider, default_env)
    return os.environ.get(name) or None

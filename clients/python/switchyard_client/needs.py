"""What a chat request needs of a provider, derived from the request itself, as the gateway does.

- `tools` (non-empty), `functions`, or a `tool_choice` other than "none" -> `tools`;
- `response_format` of type `json_schema` / `json_object` -> `structured_output`;
- an `image_url` content part in the messages -> `vision`;
- min context: the prompt's estimated tokens (its JSON bytes / 4, inline `data:` URLs left out)
  plus `max_tokens` / `max_completion_tokens`.

The daemon's `/v1/route?needs=...&min_context=N` then leaves out the candidates known to lack
them (and lists them under `excluded`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Tuple

#: Bytes of prompt JSON per token in the estimate (the gateway's figure).
BYTES_PER_TOKEN = 4
_DATA_URL = re.compile(r'"data:(?:[^"\\]|\\.)*"')


@dataclass(frozen=True)
class Needs:
    """The `needs=` tokens and `min_context=` of one request."""

    capabilities: Tuple[str, ...] = ()
    min_context: Optional[int] = None


def request_needs(messages: Any = None, prompt: Any = None, options: Optional[Mapping[str, Any]] = None) -> Needs:
    """The needs of a chat (`messages`) or completion (`prompt`) request with its other `options`."""
    options = options or {}
    capabilities = []
    tools = options.get("tools")
    functions = options.get("functions")
    choice = options.get("tool_choice")
    if tools or functions or (choice is not None and choice != "none"):
        capabilities.append("tools")
    response_format = options.get("response_format")
    kind = response_format.get("type") if isinstance(response_format, Mapping) else getattr(response_format, "type", None)
    if kind in ("json_schema", "json_object"):
        capabilities.append("structured_output")
    body = messages if messages is not None else prompt
    text = ""
    if body is not None:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
        if _has_image_part(body):
            capabilities.append("vision")
    prompt_bytes = len(_DATA_URL.sub("", text).encode("utf-8"))
    answer = options.get("max_completion_tokens") or options.get("max_tokens") or 0
    tokens = -(-prompt_bytes // BYTES_PER_TOKEN) + max(int(answer), 0)
    return Needs(tuple(capabilities), tokens if tokens > 0 else None)


def _has_image_part(messages: Any) -> bool:
    if not isinstance(messages, (list, tuple)):
        return False
    for message in messages:
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, (list, tuple)):
            for part in content:
                if isinstance(part, Mapping) and (part.get("type") == "image_url" or "image_url" in part):
                    return True
    return False

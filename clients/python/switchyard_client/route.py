"""Routes and candidates as the daemon answers them, and the short-TTL route cache."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple


@dataclass(frozen=True)
class Candidate:
    """One target to try: the provider, the model id to send it and where it listens."""

    provider: str
    upstream_model: str
    base_url: str
    score: Optional[float] = None
    state: str = "unknown"
    reasons: Tuple[str, ...] = ()

    @classmethod
    def from_json(cls, item: dict) -> "Candidate":
        return cls(
            provider=item["provider"],
            upstream_model=item.get("upstream_model", ""),
            base_url=item.get("base_url", ""),
            score=item.get("score"),
            state=item.get("state", "unknown"),
            reasons=tuple(item.get("reasons", ())),
        )

    @property
    def hf_provider(self) -> Optional[str]:
        """For a Hugging Face router target (`org/model:together`), the `provider=` name (`together`)."""
        name, sep, suffix = self.upstream_model.rpartition(":")
        return suffix if sep and name and "/" not in suffix else None


@dataclass(frozen=True)
class Exclusion:
    """A target the route left out because it cannot serve the request's needs, and why."""

    provider: str
    reason: str


@dataclass(frozen=True)
class Route:
    """The ranked candidates for a model; `source` says where the answer came from."""

    model: str
    strategy: str
    candidates: Tuple[Candidate, ...]
    panic: bool = False
    source: str = "daemon"  # "daemon" or "static" (daemon unreachable)
    generated_at: Optional[str] = None
    #: Targets left out for the query's `needs` / `min_context`, with the reason.
    excluded: Tuple[Exclusion, ...] = ()

    @classmethod
    def from_json(cls, answer: dict) -> "Route":
        return cls(
            model=answer["model"],
            strategy=answer.get("strategy", "balanced"),
            candidates=tuple(Candidate.from_json(item) for item in answer["candidates"]),  # no list: not a route
            panic=bool(answer.get("panic", False)),
            generated_at=answer.get("generated_at"),
            excluded=tuple(Exclusion(item["provider"], item.get("reason", "")) for item in answer.get("excluded", ())),
        )


#: (model, strategy, exclude, needs, min_context, task ('' for chat))
CacheKey = Tuple[str, str, Tuple[str, ...], Tuple[str, ...], int, str]


@dataclass
class RouteCache:
    """Routes kept for `ttl` seconds so a hot path does not ask the daemon per request.

    `clock` is injectable (monotonic seconds) so tests control expiry."""

    ttl: float = 1.0
    clock: Callable[[], float] = time.monotonic
    _entries: Dict[CacheKey, Tuple[float, Route]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, key: CacheKey) -> Optional[Route]:
        """The cached route for `key` while it is fresh."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self.clock():
            return None
        return entry[1]

    def put(self, key: CacheKey, route: Route) -> None:
        with self._lock:
            self._entries[key] = (self.clock() + self.ttl, route)

    def invalidate(self, model: str) -> None:
        """Forgets every cached route of `model` (after a failure, the next call asks afresh)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] == model]:
                del self._entries[key]


@dataclass
class Cooldowns:
    """Providers this process just saw fail, tried last until their cooldown ends.

    The daemon ejects a target after a few reported failures; this covers the milliseconds
    before its answer changes, for every thread sharing the client."""

    seconds: float = 2.0
    clock: Callable[[], float] = time.monotonic
    _until: Dict[Tuple[str, str], float] = field(default_factory=dict)

    def mark(self, provider: str, model: str) -> None:
        self._until[(provider, model)] = self.clock() + self.seconds

    def clear(self, provider: str, model: str) -> None:
        self._until.pop((provider, model), None)

    def order(self, model: str, candidates: Tuple[Candidate, ...]) -> List[Candidate]:
        """`candidates` with the ones cooling down moved to the end (kept in rank order)."""
        if not self._until:
            return list(candidates)
        now = self.clock()
        cooling = {p for (p, m), until in list(self._until.items()) if m == model and until > now}
        if not cooling:
            return list(candidates)
        return [c for c in candidates if c.provider not in cooling] + [c for c in candidates if c.provider in cooling]

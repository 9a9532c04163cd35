"""Failover policy: how an error is classified, how long to back off, what to raise when all fail."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import List, Optional, Tuple

from .route import Candidate
from .transport import SwitchyardError

# Statuses that say the request itself is wrong: every provider would refuse it the same way,
# so it is raised at once, neither retried elsewhere nor held against the provider.
CALLER_ERROR_STATUSES = frozenset({400, 413, 422})


def _status_of(error: BaseException) -> Optional[int]:
    for holder in (error, getattr(error, "response", None)):
        status = getattr(holder, "status_code", None) if holder is not None else None
        if isinstance(status, int):
            return status
    status = getattr(error, "status", None)
    return status if isinstance(status, int) else None


def classify(error: BaseException) -> Tuple[str, Optional[int]]:
    """The report outcome (an error class of the daemon's taxonomy) and HTTP status of a failed attempt.

    Works on the exceptions of `openai`, `huggingface_hub`, `httpx`, `requests` and the standard
    library by their status codes and type names, without importing any of them."""
    if isinstance(error, AttemptTimeout):
        return "timeout", None
    status = _status_of(error)
    if status is not None:
        if status in (401, 403):
            return "auth", status
        if status == 404:
            return "model_not_found", status
        if status == 429:
            return "rate_limited", status
        if status >= 500:
            return "server_error", status
        return "bad_response", status
    names = " ".join(cls.__name__.lower() for cls in type(error).__mro__)
    if isinstance(error, TimeoutError) or "timeout" in names:
        return "timeout", None
    if isinstance(error, ConnectionRefusedError) or "connecterror" in names or "connectionerror" in names:
        return "connect_refused", None
    if isinstance(error, (ValueError, KeyError)) or "decode" in names or "validation" in names:
        return "bad_response", None
    return "server_error", None


def is_caller_error(error: BaseException) -> bool:
    """Whether `error` says the request is malformed (fails the same everywhere)."""
    return _status_of(error) in CALLER_ERROR_STATUSES


class AttemptTimeout(SwitchyardError, TimeoutError):
    """An attempt did not finish within the per-attempt timeout."""


@dataclass(frozen=True)
class Attempt:
    """One try of one candidate and how it ended."""

    candidate: Candidate
    outcome: str
    status: Optional[int]
    elapsed_ms: float
    error: Optional[BaseException] = None


class CandidateSkipped(SwitchyardError):
    """Raised by an attempt that cannot reach this candidate the way it must (no client for its
    task, or no way to send its request to its own host): nothing was sent, so the provider is
    neither reported nor cooled down, and the next candidate is tried."""


class AllCandidatesFailed(SwitchyardError):
    """Every candidate failed; `attempts` holds each one's error, in the order tried."""

    def __init__(self, model: str, attempts: List[Attempt]):
        lines = [f"  {a.candidate.provider} ({a.candidate.upstream_model}): {a.outcome}"
                 f"{' ' + str(a.status) if a.status else ''} after {a.elapsed_ms:.0f} ms: {a.error}" for a in attempts]
        detail = "\n".join(lines) if lines else "  (no candidates)"
        super().__init__(f"all {len(attempts)} attempts for {model} failed:\n{detail}")
        self.model = model
        self.attempts = attempts


class NoCapableCandidate(SwitchyardError):
    """The route left every target out because none can serve what the request needs
    (tools, structured output, vision, a long context); nothing was tried."""

    def __init__(self, model: str, excluded: tuple):
        why = "; ".join(f"{e.provider}: {e.reason}" for e in excluded)
        super().__init__(f"no provider of {model} can serve this request: {why}")
        self.model = model
        self.excluded = excluded


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with full jitter between attempts: uniform in [0, min(cap, base * 2^n)).

    Failover moves to a different provider, so the first pause is short (milliseconds)."""

    base: float = 0.02
    cap: float = 1.0

    def delay(self, attempt_index: int, rng: random.Random) -> float:
        """Seconds to wait before attempt `attempt_index + 1` (0-based index of the failed one)."""
        return rng.uniform(0, min(self.cap, self.base * (2 ** attempt_index)))

"""Switchyard client: the best provider by default, failover in milliseconds, outcomes reported back.

The core is standard library only; `switchyard_client.huggingface` and `switchyard_client.openai`
need the `[huggingface]` and `[openai]` extras."""

from .client import Switchyard
from .failover import AllCandidatesFailed, Attempt, AttemptTimeout, Backoff, NoCapableCandidate, classify
from .needs import Needs, request_needs
from .reporter import ReporterStats
from .route import Candidate, Exclusion, Route
from .transport import DaemonError, DaemonUnreachable, SwitchyardError, default_socket_path

__all__ = [
    "AllCandidatesFailed", "Attempt", "AttemptTimeout", "Backoff", "Candidate", "DaemonError", "DaemonUnreachable", "Exclusion",
    "Needs", "NoCapableCandidate", "ReporterStats", "Route", "Switchyard", "SwitchyardError", "classify", "default_socket_path",
    "request_needs",
]

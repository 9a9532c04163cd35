"""Switchyard client: the best provider by default, failover in milliseconds, outcomes reported back.

The core is standard library only; `switchyard_client.huggingface` and `switchyard_client.openai`
need the `[huggingface]` and `[openai]` extras."""

from .client import Switchyard
from .failover import AllCandidatesFailed, Attempt, AttemptTimeout, Backoff, CandidateSkipped, NoCapableCandidate, classify
from .needs import Needs, request_needs
from .reporter import ReporterStats
from .route import Candidate, Exclusion, Route
from .tasks import ATTEMPT_TIMEOUTS, TASKS, BadAnswer
from .transport import DaemonError, DaemonUnreachable, SwitchyardError, default_socket_path

__all__ = [
    "ATTEMPT_TIMEOUTS", "AllCandidatesFailed", "Attempt", "AttemptTimeout", "BadAnswer", "Backoff", "Candidate", "CandidateSkipped",
    "DaemonError", "DaemonUnreachable", "Exclusion", "Needs", "NoCapableCandidate", "ReporterStats", "Route", "Switchyard",
    "SwitchyardError", "TASKS", "classify", "default_socket_path", "request_needs",
]

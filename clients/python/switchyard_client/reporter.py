"""Batches request outcomes to `POST /v1/reports` from a background thread, never blocking the caller."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional

from .transport import DaemonError, DaemonUnreachable

log = logging.getLogger("switchyard_client")


@dataclass
class ReporterStats:
    """What became of the reports handed to the reporter."""

    queued: int = 0
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    dropped: int = 0  # the buffer was full: the report was never sent
    send_failures: int = 0  # batches lost because the daemon did not take them


class ReportBatcher:
    """A bounded buffer of reports and the thread that ships it.

    `add` takes a lock for a list append and returns; when the buffer is full the report is
    dropped and counted. Failures are shipped at once (they are what lets the daemon eject a
    target within milliseconds); successes wait up to `flush_interval` to travel in batches.

    Each batch carries a fresh `batch_id` (uuid4 hex), and a batch whose connection broke
    (`DaemonUnreachable`) is sent once more with the same id: the daemon answers a repeated id
    from its memory, so a batch it already took is not applied twice."""

    def __init__(self, send: Callable[[List[Dict], str], Dict], capacity: int = 1000, batch_size: int = 200,
                 flush_interval: float = 0.25):
        self._send = send
        self.capacity = capacity
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.stats = ReporterStats()
        self._buffer: List[Dict] = []
        self._urgent = False
        self._in_flight = 0
        self._closed = False
        self._refusal_logged = False
        self._cond = threading.Condition()
        self._thread: Optional[threading.Thread] = None

    def add(self, report: Dict, urgent: bool = False) -> bool:
        """Queues one report; False when it was dropped because the buffer is full."""
        with self._cond:
            if self._closed or len(self._buffer) >= self.capacity:
                self.stats.dropped += 1
                return False
            self._buffer.append(report)
            self.stats.queued += 1
            if urgent or len(self._buffer) >= self.batch_size:
                self._urgent = True
                self._cond.notify()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="switchyard-reporter", daemon=True)
                self._thread.start()
        return True

    def flush(self, timeout: float = 5.0) -> bool:
        """Waits until everything queued so far has been sent (or given up on); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._urgent = True
            self._cond.notify_all()
            while self._buffer or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Sends what is queued and stops the thread."""
        self.flush(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._urgent and not self._closed:
                    self._cond.wait(self.flush_interval)
                if self._closed and not self._buffer:
                    return
                batch, self._buffer = self._buffer[: self.batch_size], self._buffer[self.batch_size:]
                self._urgent = bool(self._buffer)
                self._in_flight = len(batch)
            if batch:
                self._ship(batch)
            with self._cond:
                self._in_flight = 0
                self._cond.notify_all()

    def _ship(self, batch: List[Dict]) -> None:
        batch_id = uuid.uuid4().hex
        try:
            try:
                answer = self._send(batch, batch_id) or {}
            except DaemonUnreachable:
                answer = self._send(batch, batch_id) or {}  # the same id: the daemon applies it once
        except DaemonError as error:
            if error.status == 401 and not self._refusal_logged:
                # Said once: every later batch would be refused the same way.
                self._refusal_logged = True
                log.warning("the switchyard daemon refuses reports from this client (%s); over TCP pass "
                            "Switchyard(token=...) or set SWITCHYARD_CLIENT_TOKEN to a token from its clients: list", error.code)
            with self._cond:
                self.stats.send_failures += 1
            return
        except Exception:  # noqa: BLE001 - whatever goes wrong, this thread must live on
            # A dropped connection mid-answer (http.client errors), a value json cannot encode:
            # the batch is lost and counted, and later reports still go out.
            with self._cond:
                self.stats.send_failures += 1
            return
        with self._cond:
            self.stats.sent += len(batch)
            self.stats.accepted += int(answer.get("accepted", 0))
            self.stats.rejected += int(answer.get("rejected", 0))

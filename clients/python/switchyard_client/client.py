"""`Switchyard`: route, report and call with failover, through the host's Switchyard daemon."""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import os
import random
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, TypeVar, Union
from urllib.parse import quote

from ._keys import KeyRules, host_matches, host_of
from .failover import (AllCandidatesFailed, Attempt, AttemptTimeout, Backoff, CandidateSkipped, NoCapableCandidate, classify,
                       is_caller_error)
from .needs import Needs
from .reporter import ReportBatcher
from .route import Candidate, Cooldowns, Route, RouteCache
from .transport import DaemonError, DaemonTransport, DaemonUnreachable, SwitchyardError

log = logging.getLogger("switchyard_client")
T = TypeVar("T")
StaticRoutes = Mapping[str, Sequence[Union[Candidate, Mapping[str, str]]]]


def _static_candidates(entries: Sequence[Union[Candidate, Mapping[str, str]]]) -> tuple:
    return tuple(e if isinstance(e, Candidate) else Candidate(
        provider=e["provider"], upstream_model=e.get("upstream_model", ""), base_url=e.get("base_url", ""), state="static",
    ) for e in entries)


class Switchyard:
    """A client of the Switchyard daemon; share one per process (it is thread-safe).

    - `route(model)` answers the ranked candidates, from a short-TTL cache on the hot path.
    - `report(...)` queues an outcome for the daemon and returns at once.
    - `call_with_failover(model, fn)` tries `fn(candidate)` down the route, reporting each outcome.

    When the daemon cannot be reached, routes come from `static_routes` (model -> ordered
    candidates) and that is logged once; a client never fails because the monitor is down.

    Keys follow `switchyard_client._keys`: over TCP, a route's candidate gets a key only when its
    host is trusted: one of `trusted_hosts` (`host` or `*.domain`) or of `static_routes`. Over the
    Unix socket the daemon's own providers are trusted.

    Over TCP the daemon takes reports only from a client in its `clients:` list: pass that
    client's token as `token` (default: `$SWITCHYARD_CLIENT_TOKEN`). On the Unix socket the
    daemon knows the caller by its uid and no token is sent."""

    def __init__(
        self,
        *,
        socket_path: Optional[str] = None,
        url: Optional[str] = None,
        timeout: float = 1.0,
        cache_ttl: float = 1.0,
        static_routes: Optional[StaticRoutes] = None,
        strategy: Optional[str] = None,
        attempt_timeout: Optional[float] = 30.0,
        backoff: Backoff = Backoff(),
        failure_cooldown: float = 2.0,
        report_capacity: int = 1000,
        report_interval: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        rng: Optional[random.Random] = None,
        trusted_hosts: Iterable[str] = (),
        token: Optional[str] = None,
    ):
        if url and token is None:
            token = os.environ.get("SWITCHYARD_CLIENT_TOKEN") or None
        self.transport = DaemonTransport(socket_path=socket_path, url=url, timeout=timeout, token=token)
        self.cache = RouteCache(ttl=cache_ttl, clock=clock)
        self.cooldowns = Cooldowns(seconds=failure_cooldown, clock=clock)
        self.static_routes = {model: _static_candidates(c) for model, c in (static_routes or {}).items()}
        self.trusted_hosts = tuple(trusted_hosts) + tuple(sorted({host_of(c.base_url) for cs in self.static_routes.values()
                                                                   for c in cs if host_of(c.base_url)}))
        self.strategy = strategy
        self.attempt_timeout = attempt_timeout
        self.backoff = backoff
        self.reporter = ReportBatcher(self._send_reports, capacity=report_capacity, flush_interval=report_interval)
        self._clock = clock
        self._wall = wall_clock
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._daemon_down = False
        self._state_lock = threading.Lock()
        self._pool: Optional[concurrent.futures.ThreadPoolExecutor] = None

    # -- routes ---------------------------------------------------------------------------

    def route(self, model: str, strategy: Optional[str] = None, exclude: Iterable[str] = (), cached: bool = True,
              needs: Iterable[str] = (), min_context: Optional[int] = None, task: Optional[str] = None) -> Route:
        """The ranked candidates for `model`; from the cache while fresh, else from the daemon,
        else (daemon unreachable) the static order. Raises `DaemonError` for an unknown model
        without a static route. `needs` (`tools`, `structured_output`, `vision`) and `min_context`
        leave out the candidates known to lack them (`Route.excluded` says why). `task`
        (`switchyard_client.tasks.TASKS`; default chat) asks for the model's targets of that task."""
        strategy = strategy or self.strategy
        task = "" if task in (None, "", "chat") else task
        key = (model, strategy or "", tuple(sorted(exclude)), tuple(sorted(set(needs))), int(min_context or 0), task)
        if cached:
            hit = self.cache.get(key)
            if hit is not None:
                return hit
        query = "model=" + quote(model, safe="")
        if strategy:
            query += "&strategy=" + quote(strategy, safe="")
        if key[2]:
            query += "&exclude=" + quote(",".join(key[2]), safe=",")
        if key[3]:
            query += "&needs=" + quote(",".join(key[3]), safe=",")
        if key[4] > 0:
            query += f"&min_context={key[4]}"
        if task:
            query += "&task=" + quote(task, safe="")
        try:
            route = Route.from_json(self.transport.request("GET", "/v1/route?" + query))
            self._daemon_reachable()
        except DaemonUnreachable as error:
            route = self._static_route(model, strategy, key[2], error)
        except DaemonError as error:
            # A 5xx means the monitor is in trouble, not the caller: fall back as if it were down.
            # A 4xx (unknown model, bad option) is the caller's to see, unless the model has a static route.
            if error.status < 500 and (error.status != 404 or model not in self.static_routes):
                raise
            route = self._static_route(model, strategy, key[2], error)
        except (SwitchyardError, KeyError, TypeError, AttributeError) as error:  # an answer that is not JSON or not a route
            route = self._static_route(model, strategy, key[2], error)
        self.cache.put(key, route)
        return route

    def _static_route(self, model: str, strategy: Optional[str], exclude: tuple, error: Exception) -> Route:
        with self._state_lock:
            first = not self._daemon_down
            self._daemon_down = True
        if first:
            log.warning("switchyard daemon not usable (%s); using the static provider order until it answers again", error)
        candidates = tuple(c for c in self.static_routes.get(model, ()) if c.provider not in exclude)
        return Route(model=model, strategy=strategy or "static", candidates=candidates, source="static")

    def _daemon_reachable(self) -> None:
        if self._daemon_down:
            with self._state_lock:
                was_down, self._daemon_down = self._daemon_down, False
            if was_down:
                log.warning("switchyard daemon answers again at %s; routing from it", self.transport.endpoint)

    # -- keys -----------------------------------------------------------------------------

    def trusts(self, candidate: Candidate) -> bool:
        """Whether a key may go to `candidate`'s host: always over the Unix socket (the routes are
        the daemon's own providers); over TCP only for `trusted_hosts` and the hosts of `static_routes`."""
        return self.transport.socket_path is not None or host_matches(host_of(candidate.base_url), self.trusted_hosts)

    def key_for(self, candidate: Candidate, *, key_env: Optional[str] = None, key_envs: Optional[Mapping[str, str]] = None,
                key_hosts: Iterable[str] = ()) -> Optional[str]:
        """The key to send `candidate`, or None (send no key): `key_envs[provider]`, else `key_env`
        for the hosts in `key_hosts` over https or to this host, and nothing to an untrusted host."""
        if not self.trusts(candidate):
            return None
        return KeyRules(key_env, dict(key_envs or {}), tuple(key_hosts)).key_for(candidate.provider, candidate.base_url)

    # -- reports --------------------------------------------------------------------------

    def report(self, provider: str, model: str, outcome: str, *, total_ms: float, status: Optional[int] = None,
               ttft_ms: Optional[float] = None, tokens_in: Optional[int] = None, tokens_out: Optional[int] = None,
               started_at: Optional[float] = None, task: Optional[str] = None, audio_seconds: Optional[float] = None) -> bool:
        """Queues one request outcome (`ok` or an error class) for the daemon; never blocks.
        False when the bounded buffer was full and the report was dropped (counted in `reporter.stats`).
        `task` names a target's task other than chat; `audio_seconds` is the audio a speech request
        carried (the measure speech-to-text speed is judged by, with `total_ms`)."""
        # Plain ints and floats: counts from numpy or a tokenizer would not encode as JSON.
        total = round(max(float(total_ms), 0.0), 3)
        item: Dict[str, Any] = {
            "provider": str(provider), "model": str(model), "outcome": str(outcome), "total_ms": total,
            "started_at": float(started_at) if started_at is not None else self._wall() - total / 1000,
        }
        for name, value, kind in (("status", status, int), ("ttft_ms", ttft_ms, float),
                                  ("tokens_in", tokens_in, int), ("tokens_out", tokens_out, int),
                                  ("task", task if task not in (None, "", "chat") else None, str),
                                  ("audio_seconds", audio_seconds, float)):
            if value is not None:
                item[name] = kind(value)
        return self.reporter.add(item, urgent=outcome != "ok")

    def _send_reports(self, batch: List[Dict], batch_id: str) -> Dict:
        # The daemon answers a repeated `batch_id` from its memory without applying the batch again,
        # so a retry after a connection broke mid-answer cannot count the reports twice.
        return self.transport.request("POST", "/v1/reports", {"batch_id": batch_id, "reports": batch})

    def flush(self, timeout: float = 5.0) -> bool:
        """Waits until the queued reports are sent; False on timeout."""
        return self.reporter.flush(timeout)

    def close(self) -> None:
        """Sends the queued reports and releases the worker threads."""
        self.reporter.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False)

    def __enter__(self) -> "Switchyard":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- failover -------------------------------------------------------------------------

    def call_with_failover(self, model: str, fn: Callable[..., T], *args: Any, strategy: Optional[str] = None,
                           attempt_timeout: Optional[float] = ..., max_attempts: Optional[int] = None,  # type: ignore[assignment]
                           needs: Optional[Needs] = None, task: Optional[str] = None, audio_seconds: Optional[float] = None,
                           **kwargs: Any) -> T:
        """Calls `fn(candidate, *args, **kwargs)` for each candidate of the route in order until one
        returns, waiting a jittered exponential backoff between attempts and reporting every outcome.
        Raises `AllCandidatesFailed` (with every attempt's error) when none succeeds. An error whose
        status says the request itself is bad (400, 413, 422) is raised at once. `needs` (see
        `switchyard_client.needs.request_needs`) leaves out the candidates that cannot serve the
        request; when that leaves none, `NoCapableCandidate` is raised and nothing is tried. `task` routes
        to the model's targets of that task and goes with the reports, `audio_seconds` too. An attempt
        that raises `CandidateSkipped` never reached the provider: it is neither reported nor cooled down."""
        timeout = self.attempt_timeout if attempt_timeout is ... else attempt_timeout
        needs = needs or Needs()
        route = self.route(model, strategy=strategy, needs=needs.capabilities, min_context=needs.min_context, task=task)
        if not route.candidates and route.excluded:
            raise NoCapableCandidate(model, route.excluded)
        order = self.cooldowns.order(model, route.candidates)
        if max_attempts is not None:
            order = order[:max_attempts]
        attempts: List[Attempt] = []
        for index, candidate in enumerate(order):
            if index > 0:
                self._sleep(self.backoff.delay(index - 1, self._rng))
            started_wall, started = self._wall(), self._clock()
            try:
                result = self._attempt(fn, candidate, timeout, args, kwargs)
            except (KeyboardInterrupt, SystemExit):
                raise
            except CandidateSkipped as skipped:
                attempts.append(Attempt(candidate, "skipped", None, 0.0, skipped))
                continue
            except BaseException as error:  # noqa: BLE001 - every provider failure is classified and reported
                if is_caller_error(error):
                    raise
                elapsed_ms = (self._clock() - started) * 1000
                outcome, status = classify(error)
                self.report(candidate.provider, model, outcome, status=status, total_ms=elapsed_ms, started_at=started_wall,
                            task=task, audio_seconds=audio_seconds)
                self.cooldowns.mark(candidate.provider, model)
                self.cache.invalidate(model)
                attempts.append(Attempt(candidate, outcome, status, elapsed_ms, error))
                continue
            elapsed_ms = (self._clock() - started) * 1000
            tokens_in, tokens_out = _usage(result)
            self.report(candidate.provider, model, "ok", total_ms=elapsed_ms, started_at=started_wall,
                        tokens_in=tokens_in, tokens_out=tokens_out, task=task, audio_seconds=audio_seconds)
            self.cooldowns.clear(candidate.provider, model)
            return result
        raise AllCandidatesFailed(model, attempts)

    def with_failover(self, model: str, **options: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
        """Decorator: `@sy.with_failover("llama-3.1-8b")` on `def ask(candidate, prompt)` makes `ask(prompt)`
        run with failover (options as for `call_with_failover`)."""
        def decorate(fn: Callable[..., T]) -> Callable[..., T]:
            @functools.wraps(fn)
            def wrapper(*args: Any, **kwargs: Any) -> T:
                return self.call_with_failover(model, fn, *args, **options, **kwargs)
            return wrapper
        return decorate

    def _attempt(self, fn: Callable[..., T], candidate: Candidate, timeout: Optional[float], args: tuple, kwargs: dict) -> T:
        if timeout is None:
            return fn(candidate, *args, **kwargs)
        # The attempt runs on a worker so that a hung provider costs `timeout`, not forever; pass
        # `timeout` to the provider's client too so the worker is released soon after.
        if self._pool is None:
            with self._state_lock:
                if self._pool is None:
                    self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=64, thread_name_prefix="switchyard-attempt")
        started = threading.Event()

        def run() -> T:
            started.set()
            return fn(candidate, *args, **kwargs)

        future = self._pool.submit(run)
        # The limit counts from when the attempt really starts: while every worker is busy (more
        # concurrent calls than workers, or workers stuck on a hung provider) the wait is ours, not
        # the provider's. If no worker frees up in time, run the attempt here, bounded by the
        # provider client's own timeout, rather than blame a provider that was never asked.
        if not started.wait(timeout) and future.cancel():
            return fn(candidate, *args, **kwargs)
        try:
            return future.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            raise AttemptTimeout(f"{candidate.provider} did not answer within {timeout:g} s") from None


def _usage(result: Any) -> tuple:
    """Prompt and completion token counts of an OpenAI-style answer, when it carries them."""
    usage = getattr(result, "usage", None)
    if usage is None and isinstance(result, dict):
        usage = result.get("usage")
    if usage is None:
        return None, None
    get = usage.get if isinstance(usage, dict) else (lambda name: getattr(usage, name, None))
    tokens_in, tokens_out = get("prompt_tokens"), get("completion_tokens")
    return (tokens_in if isinstance(tokens_in, int) else None, tokens_out if isinstance(tokens_out, int) else None)

"""HTTP to the daemon over its Unix socket (the default) or TCP, with keep-alive connections."""

from __future__ import annotations

import http.client
import json
import os
import socket
import threading
from typing import Any, Mapping, Optional, Tuple
from urllib.parse import urlsplit


class SwitchyardError(Exception):
    """Base class of the errors this package raises."""


class DaemonUnreachable(SwitchyardError):
    """Nothing answered at the daemon's endpoint (not running, wrong path, refused, timed out)."""


class DaemonError(SwitchyardError):
    """The daemon answered with an HTTP error (`{"error": {"code", "message"}}`)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"daemon answered {status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def default_socket_path(environ: Optional[Mapping[str, str]] = None) -> str:
    """`SWITCHYARD_SOCKET`, else `$RUNTIME_DIRECTORY/switchyard.sock`, else `/run/switchyard/switchyard.sock`."""
    env = os.environ if environ is None else environ
    if env.get("SWITCHYARD_SOCKET"):
        return env["SWITCHYARD_SOCKET"]
    runtime = env.get("RUNTIME_DIRECTORY", "").split(":")[0]
    if runtime:
        return os.path.join(runtime, "switchyard.sock")
    return "/run/switchyard/switchyard.sock"


class _UnixHTTPConnection(http.client.HTTPConnection):
    """`http.client` over an AF_UNIX stream socket."""

    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class DaemonTransport:
    """One keep-alive connection per thread to the daemon; a broken one is replaced once per call."""

    def __init__(self, socket_path: Optional[str] = None, url: Optional[str] = None, timeout: float = 2.0,
                 token: Optional[str] = None):
        self.timeout = timeout
        if url:
            parts = urlsplit(url)
            if parts.scheme != "http" or not parts.hostname:
                raise ValueError(f"daemon url must be http://host:port, got {url!r}")
            self._tcp: Optional[Tuple[str, int]] = (parts.hostname, parts.port or 80)
            self.socket_path: Optional[str] = None
            self.endpoint = url.rstrip("/")
        else:
            self._tcp = None
            self.socket_path = socket_path or default_socket_path()
            self.endpoint = f"unix socket {self.socket_path}"
        # The client token (the daemon's `clients:` list) goes over TCP only: on the Unix socket the
        # daemon knows the caller from the socket itself. It is never logged or put in an error.
        self._authorization = f"Bearer {token}" if token and self._tcp is not None else None
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._tcp is not None:
                conn = http.client.HTTPConnection(self._tcp[0], self._tcp[1], timeout=self.timeout)
            else:
                conn = _UnixHTTPConnection(self.socket_path or "", self.timeout)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Sends one request and returns the decoded JSON of a 2xx answer.

        Raises `DaemonUnreachable` when nothing answers and `DaemonError` for an error answer."""
        payload = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        if self._authorization and path.startswith("/v1/reports"):  # only where the daemon asks for it
            headers["Authorization"] = self._authorization
        for attempt in (0, 1):
            reused = getattr(self._local, "conn", None) is not None
            conn = self._connection()
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady) as error:
                self._drop()
                # A kept-alive connection the daemon closed in between: try once on a fresh one.
                if attempt == 0 and reused:
                    continue
                raise DaemonUnreachable(f"switchyard at {self.endpoint} broke off ({error})") from error
            except (OSError, http.client.HTTPException) as error:
                # Also an answer cut off or malformed (IncompleteRead, BadStatusLine): the daemon is not usable now.
                self._drop()
                raise DaemonUnreachable(f"cannot reach switchyard at {self.endpoint} ({error})") from error
        if response.will_close:
            self._drop()
        try:
            answer = json.loads(data) if data else None
        except ValueError as error:
            raise SwitchyardError(f"unreadable answer from the daemon: {error}") from error
        if not 200 <= response.status < 300:
            detail = (answer or {}).get("error", {}) if isinstance(answer, dict) else {}
            raise DaemonError(response.status, detail.get("code", f"http_{response.status}"), detail.get("message", ""))
        return answer

    def close(self) -> None:
        """Closes this thread's connection (others close when their threads end)."""
        self._drop()

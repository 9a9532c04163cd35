"""A loopback HTTP server that records every request it gets (headers and body) and answers as the
daemon (`/v1/route`, `/v1/reports`) or as an OpenAI-compatible provider (`/v1/chat/completions`):
what a client really puts on the wire, seen from the other end."""

from __future__ import annotations

import http.server
import json
import os
import socketserver
import tempfile
import threading
from dataclasses import dataclass
from typing import Dict, List, Optional


@dataclass
class Seen:
    """One request as it arrived."""

    method: str
    path: str
    headers: Dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a client reuses its connection
    server: "_Server"

    def _handle(self) -> None:
        capture = self.server.capture
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        seen = Seen(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        with capture.lock:
            capture.requests.append(seen)
        if self.path.startswith("/v1/reports") and capture.cut_reports:
            capture.cut_reports -= 1
            # The daemon took the batch, then the connection broke before the client read the answer:
            # mid-answer, or before a byte of it (what a kept-alive connection closing looks like).
            if capture.cut_mid_answer:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n{\"acc")
                self.wfile.flush()
            self.close_connection = True
            return
        status, answer = capture.answer(seen)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = _handle

    def log_message(self, *args: object) -> None:
        pass

    def address_string(self) -> str:  # a Unix socket peer has no address
        return "peer"


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


class _UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


class Capture:
    """The server; `requests` lists what arrived. Set `route` to the daemon's route answer,
    `statuses[upstream_model]` to a provider's status for that model (200 by default) and
    `cut_reports` to how many report posts to break off (`cut_mid_answer`: after part of the
    answer, else before any of it)."""

    def __init__(self, host: str = "127.0.0.1", unix: bool = False):
        self.requests: List[Seen] = []
        self.lock = threading.Lock()
        self.route: Optional[dict] = None
        self.statuses: Dict[str, int] = {}
        self.cut_reports = 0
        self.cut_mid_answer = True
        self.socket_path: Optional[str] = None
        if unix:
            self._dir = tempfile.mkdtemp(prefix="sy-capture-")
            self.socket_path = os.path.join(self._dir, "switchyard.sock")
            self.server = _UnixServer(self.socket_path, _Handler)
        else:
            self.server = _Server((host, 0), _Handler)
        self.server.capture = self  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, seen: Seen) -> tuple:
        if seen.path.startswith("/v1/route"):
            return (200, self.route) if self.route else (404, {"error": {"code": "unknown_model", "message": "no route"}})
        if seen.path.startswith("/v1/reports"):
            count = len(seen.json().get("reports", []))
            return 200, {"accepted": count, "rejected": 0}
        if seen.path.endswith("/chat/completions"):
            model = seen.json().get("model", "")
            status = self.statuses.get(model, 200)
            if status != 200:
                return status, {"error": {"code": f"http_{status}", "message": f"answered {status}"}}
            return 200, {"id": "c1", "object": "chat.completion", "created": 0, "model": model,
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
                         "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        return 404, {"error": {"code": "not_found", "message": seen.path}}

    def seen(self, path_part: str) -> List[Seen]:
        with self.lock:
            return [r for r in self.requests if path_part in r.path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.socket_path:
            os.unlink(self.socket_path)
            os.rmdir(self._dir)

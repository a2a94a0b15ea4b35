"""The share-server's HTTP face (standard library server, one thread per request).

    POST /v1/envelopes           a signed bundle or deletion request
    GET  /v1/aggregates?suite=S  the suite's published DP aggregates
    GET  /v1/budget?suite=S      privacy budget spent this year
    GET  /v1/health
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .aggregator import Aggregator
from .verify import Rejected

MAX_BODY = 256 * 1024


class ShareHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], aggregator: Aggregator, *, quiet: bool = True,
                 keep_bodies: bool = False):
        super().__init__(address, _Handler)
        self.aggregator = aggregator
        self.quiet = quiet
        self.bodies: list[bytes] | None = [] if keep_bodies else None  # raw request bodies (tests)
        self.requests_seen = 0  # every request, counted before anything else (tests use it)
        self._count_lock = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def count(self) -> None:
        with self._count_lock:
            self.requests_seen += 1


class _Handler(BaseHTTPRequestHandler):
    server: ShareHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt: str, *args: Any) -> None:
        # The request line and status only: no client address is ever logged.
        if not self.server.quiet:
            sys.stderr.write(f"{self.log_date_time_string()} {fmt % args if args else fmt}\n")

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body, sort_keys=True).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self.server.count()
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        try:
            if parts.path == "/v1/health":
                return self._reply(200, {"ok": True})
            if parts.path == "/v1/aggregates":
                return self._reply(200, self.server.aggregator.aggregates(query.get("suite", "")))
            if parts.path == "/v1/budget":
                return self._reply(200, self.server.aggregator.budget(query.get("suite", "")))
            self._reply(404, {"error": "no such path"})
        except Rejected as exc:
            self._reply(exc.status, {"error": exc.reason, "code": exc.code})

    def do_POST(self) -> None:  # noqa: N802
        self.server.count()
        if urlsplit(self.path).path != "/v1/envelopes":
            return self._reply(404, {"error": "no such path"})
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 < length <= MAX_BODY:
            return self._reply(413 if length > MAX_BODY else 411, {"error": "body length"})
        raw = self.rfile.read(length)
        if self.server.bodies is not None:
            self.server.bodies.append(raw)
        try:
            envelope = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return self._reply(400, {"error": "the body is not JSON", "code": "shape"})
        try:
            self._reply(200, self.server.aggregator.receive(envelope))
        except Rejected as exc:
            self._reply(exc.status, {"error": exc.reason, "code": exc.code})


def serve(aggregator: Aggregator, host: str = "127.0.0.1", port: int = 0, *, quiet: bool = True,
          keep_bodies: bool = False) -> ShareHTTPServer:
    """Bind (port 0 = any free port); the caller runs ``serve_forever`` or a thread."""
    return ShareHTTPServer((host, port), aggregator, quiet=quiet, keep_bodies=keep_bodies)

"""A Tamma-compatible config API for tests, written from Tamma's contract (Fastify, prefix
/api/config): GET/PUT /agents (whole document, validated, 400 {"error"} when invalid),
GET /prompts, PUT /prompts/:role ({systemPrompt?, providerPrompts?}; "" clears), optional
bearer auth. No versions, no ETags. Bound to 127.0.0.1 on a free port."""

from __future__ import annotations

import contextlib
import copy
import json
import math
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_BAD_KEYS = {"__proto__", "constructor", "prototype"}


def contract_errors(doc: Any) -> str | None:
    """Tamma's rules for an IAgentsConfig document, independent of the code under test."""
    def walk(value: Any) -> bool:
        if isinstance(value, dict):
            return any(k in _BAD_KEYS or walk(v) for k, v in value.items())
        if isinstance(value, list):
            return any(walk(v) for v in value)
        return False

    if not isinstance(doc, dict) or not isinstance(doc.get("defaults"), dict):
        return "defaults is required"
    if walk(doc):
        return "forbidden key"
    chain = doc["defaults"].get("providerChain")
    if not isinstance(chain, list) or not chain:
        return "defaults.providerChain must be a non-empty array"
    for name, role in [("defaults", doc["defaults"]), *((doc.get("roles") or {}).items())]:
        for entry in role.get("providerChain") or []:
            if not isinstance(entry.get("provider"), str) or not _NAME.match(entry["provider"]):
                return f"{name}: invalid provider name"
        budget = role.get("maxBudgetUsd")
        if budget is not None and (not isinstance(budget, (int, float)) or not math.isfinite(budget) or not 0 <= budget <= 100):
            return f"{name}: maxBudgetUsd must be within 0-100"
    return None


class TammaApi:
    def __init__(self, document: dict[str, Any], token: str | None = None):
        self.document = copy.deepcopy(document)
        self.token = token
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.corrupt_next_put = False  # store something else than was sent (read-back test)
        self.lock = threading.Lock()


def _handler(api: TammaApi):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            api.requests.append((self.command, self.path, dict(self.headers)))
            if api.token and self.headers.get("Authorization") != f"Bearer {api.token}":
                self._send(401, {"error": "Unauthorized"})
                return False
            return True

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                return json.loads(self.rfile.read(length) or b"null")
            except ValueError:
                return None

        def do_GET(self):
            if not self._authorised():
                return
            with api.lock:
                if self.path == "/api/config/agents":
                    return self._send(200, api.document)
                if self.path == "/api/config/prompts":
                    roles = {r: {k: v for k, v in c.items() if k in ("systemPrompt", "providerPrompts")}
                             for r, c in (api.document.get("roles") or {}).items()}
                    return self._send(200, {"defaults": {k: v for k, v in api.document["defaults"].items()
                                                         if k in ("systemPrompt", "providerPrompts")}, "roles": roles})
            self._send(404, {"error": "Not Found"})

        def do_PUT(self):
            if not self._authorised():
                return
            body = self._body()
            with api.lock:
                if self.path == "/api/config/agents":
                    error = contract_errors(body)
                    if error:
                        return self._send(400, {"error": error})
                    if api.corrupt_next_put:
                        api.corrupt_next_put = False
                        body = copy.deepcopy(body)
                        body["defaults"]["maxBudgetUsd"] = 99
                    api.document = body
                    return self._send(200, {"ok": True})
                match = re.fullmatch(r"/api/config/prompts/([a-z_]+)", self.path)
                if match and isinstance(body, dict):
                    role = api.document.setdefault("roles", {}).setdefault(match.group(1), {})
                    for key in ("systemPrompt", "providerPrompts"):
                        if key in body:
                            if body[key] == "":
                                role.pop(key, None)
                            else:
                                role[key] = body[key]
                    return self._send(200, {"ok": True})
            self._send(404, {"error": "Not Found"})

    return Handler


@contextlib.contextmanager
def running_tamma_api(document: dict[str, Any], token: str | None = None) -> Iterator[tuple[str, TammaApi]]:
    api = TammaApi(document, token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", api
    finally:
        server.shutdown()
        server.server_close()

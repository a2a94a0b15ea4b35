"""The simulated model server as a raw ASGI app (no framework), plus a runner.

Routes: ``POST /v1/chat/completions`` (streaming SSE or JSON) and ``GET /v1/models``.
``run_sim_server`` serves it with uvicorn on an already bound socket (port 0 works);
``BackgroundSimServer`` does the same in a daemon thread for tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import threading
from typing import Any, Awaitable, Callable

from .service import SimReply, SimService

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_NOT_FOUND = SimReply.error(404, "not found", "not_found")


class SimServerApp:
    """ASGI 3 application over a ``SimService``."""

    def __init__(self, service: SimService | None = None):
        self.service = service or SimService()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        method: str = scope["method"]
        if method == "POST" and path.endswith("/chat/completions"):
            body = await _read_body(receive)
            task_id = ""
            for name, value in scope["headers"]:
                if name == b"x-tamma-task":
                    task_id = value.decode("utf-8", "replace")
                    break
            reply = await self.service.chat(body, task_id)
        elif method == "GET" and path.endswith("/models"):
            reply = self.service.models()
        else:
            reply = _NOT_FOUND
        await _send_reply(reply, send)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _read_body(receive: Receive) -> bytes:
    message = await receive()
    body = message.get("body", b"")
    if not message.get("more_body"):
        return body
    parts = [body]
    while message.get("more_body"):
        message = await receive()
        parts.append(message.get("body", b""))
    return b"".join(parts)


async def _send_reply(reply: SimReply, send: Send) -> None:
    await send({"type": "http.response.start", "status": reply.status, "headers": reply.headers})
    if reply.stream is None:
        await send({"type": "http.response.body", "body": reply.body, "more_body": reply.drop})
        return  # when dropping, returning mid-body makes the server close the socket
    async for piece in reply.stream:
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    if not reply.drop:
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class _IntendedDropFilter(logging.Filter):
    """Dropped connections are a requested fault, not a server bug worth a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


def bind_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on sockets that say TCP,
    # and without it every response pays a 40 ms delayed-ACK stall.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.setblocking(False)
    return sock


def base_url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}/v1"


def _loop_and_parser() -> tuple[str, str]:
    """uvicorn's event loop and HTTP parser. "auto" picks uvloop / httptools when they are
    importable and asyncio / h11 otherwise. ``TAMMA_EVENT_LOOP=asyncio`` forces the pure
    asyncio + h11 pair, like it forces the engine's loop (tamma_tui/engine/loop.py; not
    imported here: providers sit below the engine)."""
    if os.environ.get("TAMMA_EVENT_LOOP", "").strip().lower() == "asyncio":
        return "asyncio", "h11"
    return "auto", "auto"


def make_uvicorn_server(service: SimService, app: Any = None):
    import uvicorn

    loop_name, http_name = _loop_and_parser()

    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _IntendedDropFilter) for f in logger.filters):
        logger.addFilter(_IntendedDropFilter())
    config = uvicorn.Config(
        app if app is not None else SimServerApp(service),
        log_level="warning",
        access_log=False,
        # uvloop and httptools (C) when installed: the sim-server is CPU-bound at high
        # concurrency and they cut its CPU per request by about a quarter; else asyncio, h11.
        loop=loop_name,
        http=http_name,
        lifespan="off",
        proxy_headers=False,  # no X-Forwarded-* to honour on a local simulator; its middleware cost ~3% CPU
        timeout_keep_alive=30,
        timeout_graceful_shutdown=1,  # in-flight simulated sleeps are not worth waiting for
        server_header=False,  # fewer headers: h11 validates each one, per response
        date_header=False,
        backlog=2048,
    )
    return uvicorn.Server(config)


def run_sim_server(service: SimService, sock: socket.socket) -> None:
    """Serve until interrupted (blocking; uvicorn handles SIGINT/SIGTERM)."""
    server = make_uvicorn_server(service)
    # A process of its own: keep the start-up objects (imports, the task table) out of
    # every later collection; full collections walking them cost CPU on each request burst.
    gc.freeze()
    server.run(sockets=[sock])


class BackgroundSimServer:
    """The real sim-server on 127.0.0.1 in a daemon thread; use as a context manager.

    >>> with BackgroundSimServer(SimService(latency_ms=5)) as srv:
    ...     srv.base_url  # 'http://127.0.0.1:PORT/v1'
    """

    def __init__(self, service: SimService | None = None, host: str = "127.0.0.1", *, app: Any = None):
        """``app``: serve another ASGI app instead (tests use it for fake providers)."""
        self.service = service or SimService()
        self._sock = bind_socket(host, 0)
        self.base_url = base_url_of(self._sock)
        self._server = make_uvicorn_server(self.service, app)
        self._thread = threading.Thread(target=self._run, name="tamma-sim-server", daemon=True)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def start(self) -> "BackgroundSimServer":
        self._thread.start()
        for _ in range(1000):
            if self._server.started or not self._thread.is_alive():
                break
            threading.Event().wait(0.01)
        if not self._server.started:
            raise RuntimeError("the simulated model server did not start")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> "BackgroundSimServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

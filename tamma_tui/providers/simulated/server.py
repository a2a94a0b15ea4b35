"""Serving the simulated model over HTTP: the lean server by default, uvicorn as fallback.

Routes: ``POST /v1/chat/completions`` and ``POST /v1/messages`` (OpenAI and Anthropic,
streaming SSE or JSON) and ``GET /v1/models``.
``run_sim_server`` serves a ``SimService`` on an already bound socket (port 0 works);
``BackgroundSimServer`` does the same in a daemon thread for tests and benchmarks.

The lean server (``lean_server.py``: asyncio Protocol + httptools, on uvloop when
installed) costs a fraction of uvicorn's CPU per request. uvicorn serves ASGI apps
(``SimServerApp`` and the fake providers tests pass as ``app=``), and is the fallback when
httptools is missing or ``TAMMA_EVENT_LOOP=asyncio`` asks for the pure asyncio + h11 stack.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import socket
import threading
from typing import Any, Awaitable, Callable

from ..event_loop import new_event_loop, stdlib_loop_forced
from .service import SimReply, SimService

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


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
        body = await _read_body(receive)
        task_id = ""
        for name, value in scope["headers"]:
            if name == b"x-tamma-task":
                task_id = value.decode("utf-8", "replace")
                break
        reply = self.service.handle(scope["method"], scope["path"], body, task_id)
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
    headers = list(reply.headers)
    if reply.timeline is None:
        if reply.delay_s > 0:
            await asyncio.sleep(reply.delay_s)
        headers.append((b"content-length", b"%d" % reply.content_length))
        await send({"type": "http.response.start", "status": reply.status, "headers": headers})
        # when dropping, returning mid-body makes the server close the socket
        await send({"type": "http.response.body", "body": reply.body, "more_body": reply.drop})
        return
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    for delay, piece in reply.timeline:
        if delay > 0:
            await asyncio.sleep(delay)
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


# -- which server -----------------------------------------------------------------------
def use_lean_server(app: Any = None) -> bool:
    """The lean server unless an ASGI app is to be served, the stdlib stack is forced, or
    httptools (its parser) is not installed."""
    if app is not None or stdlib_loop_forced():
        return False
    try:
        import httptools  # noqa: F401
    except ImportError:
        return False
    return True


def _loop_and_parser() -> tuple[str, str]:
    """uvicorn's event loop and HTTP parser: "auto" picks uvloop / httptools when they are
    importable and asyncio / h11 otherwise; the forced stdlib stack is asyncio / h11."""
    if stdlib_loop_forced():
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


# -- running ----------------------------------------------------------------------------
def run_sim_server(service: SimService, sock: socket.socket) -> None:
    """Serve until SIGINT or SIGTERM (blocking), then return."""
    if not use_lean_server():
        server = make_uvicorn_server(service)
        gc.freeze()  # see _serve_until_signal
        server.run(sockets=[sock])  # uvicorn handles SIGINT/SIGTERM
        return
    with asyncio.Runner(loop_factory=new_event_loop) as runner:  # uvloop when installed
        runner.run(_serve_until_signal(service, sock))


async def _serve_until_signal(service: SimService, sock: socket.socket) -> None:
    from .lean_server import LeanServer

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            signals.append(sig)
        except (ValueError, RuntimeError, NotImplementedError):  # not the main thread, or no such support
            pass
    server = LeanServer(service)
    try:
        await server.start(sock)
        # A process of its own: keep the start-up objects (imports, the task table) out of
        # every later collection; full collections walking them cost CPU on each request burst.
        gc.freeze()
        await stop.wait()
    finally:
        await server.close()
        for sig in signals:
            loop.remove_signal_handler(sig)


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
        self._lean = use_lean_server(app)
        self._uvicorn = None if self._lean else make_uvicorn_server(self.service, app)
        self._started = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="tamma-sim-server", daemon=True)

    def _run(self) -> None:
        if self._uvicorn is not None:
            asyncio.run(self._uvicorn.serve(sockets=[self._sock]))
            return
        with asyncio.Runner(loop_factory=new_event_loop) as runner:  # uvloop when installed
            runner.run(self._serve_lean())

    async def _serve_lean(self) -> None:
        from .lean_server import LeanServer

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = LeanServer(self.service)
        try:
            await server.start(self._sock)
            self._started.set()
            await self._stop.wait()
        finally:
            await server.close()

    def _is_started(self) -> bool:
        return self._uvicorn.started if self._uvicorn is not None else self._started.is_set()

    def start(self) -> "BackgroundSimServer":
        self._thread.start()
        for _ in range(1000):
            if self._is_started() or not self._thread.is_alive():
                break
            self._started.wait(0.01)
        if not self._is_started():
            raise RuntimeError("the simulated model server did not start")
        return self

    def stop(self) -> None:
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        elif self._loop is not None and self._stop is not None:
            try:
                self._loop.call_soon_threadsafe(self._stop.set)
            except RuntimeError:  # the loop already ended
                pass
        self._thread.join(timeout=10)
        self._sock.close()

    def __enter__(self) -> "BackgroundSimServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

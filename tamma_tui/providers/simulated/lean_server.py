"""A small HTTP/1.1 server for the simulator: an asyncio Protocol over httptools' parser.

The sim-server answers thousands of tiny requests per second in benchmarks, and a general
ASGI server spends more CPU per request than the simulation itself (a Task, scope dicts and
Python callbacks per request). Here a request costs a parse, ``SimService.handle`` and one
``call_later`` timer that writes the prepared bytes: no Task, no coroutine.

HTTP handled: keep-alive (HTTP/1.1 default, ``Connection: close``, HTTP/1.0 keep-alive,
idle connections closed after ~30 s), request bodies by Content-Length or chunked (the
parser decodes them), ``Expect: 100-continue``, pipelined requests answered in order (a
client too far ahead, or not reading, is not read from until it catches up), malformed
requests (400, then close). Whole replies carry Content-Length; timed streams use chunked
transfer-encoding (HTTP/1.0: until close). A ``drop`` fault writes part of the reply and
closes the connection. A client gone mid-reply cancels that reply's timer.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from http import HTTPStatus
from typing import Any

import httptools

from .service import Headers, SimReply, SimService

# A client that pipelines more than this many requests waits (we stop reading) until
# earlier replies are out, so one connection cannot queue unbounded work.
_MAX_QUEUED = 32
_BAD_REQUEST = (
    b"HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 11\r\n"
    b"connection: close\r\n\r\nbad request"
)
_LAST_CHUNK = b"0\r\n\r\n"
_INTERNAL_ERROR = SimReply.error(500, "internal error in the simulated server", "server_error")
_log = logging.getLogger(__name__)
_heads: dict[tuple[int, Headers, int], bytes] = {}


def _head(status: int, headers: Headers, mode: int) -> bytes:
    """Status line and headers up to (not including) the length / blank line; cached.
    ``mode``: 0 keep-alive, 1 close, 2 HTTP/1.0 keep-alive (must be said explicitly)."""
    key = (status, headers, mode)
    head = _heads.get(key)
    if head is None:
        try:
            phrase = HTTPStatus(status).phrase.encode()
        except ValueError:  # a forced status Python has no name for
            phrase = b""
        lines = [b"HTTP/1.1 %d %s\r\n" % (status, phrase)]
        lines += [name + b": " + value + b"\r\n" for name, value in headers]
        if mode == 1:
            lines.append(b"connection: close\r\n")
        elif mode == 2:
            lines.append(b"connection: keep-alive\r\n")
        head = b"".join(lines)
        if len(_heads) < 256:  # headers come from a few constants; bound it anyway
            _heads[key] = head
    return head


class _Request:
    __slots__ = ("method", "url", "body", "task_id", "keep_alive", "http10")

    def __init__(self) -> None:
        self.url = b""
        self.body = b""
        self.task_id = ""


class _Connection(asyncio.Protocol):
    """One client connection: parses requests, answers them one at a time, in order."""

    def __init__(self, service: SimService, connections: set["_Connection"]):
        self.service = service
        self.connections = connections
        self.loop = asyncio.get_running_loop()
        self.transport: Any = None
        self.parser = httptools.HttpRequestParser(self)
        self.request = _Request()
        self.queue: deque[_Request | None] = deque()  # None: a malformed request (400)
        self.busy = False  # a reply is being sent (or waiting for its delay)
        self.requests = 0  # requests parsed so far: the idle sweep compares it between rounds
        self.idle_rounds = 0
        self.seen_requests = 0
        self.timer: asyncio.TimerHandle | None = None
        self.broken = False  # the parser failed: ignore whatever else arrives
        self.reading_paused = False
        self.writing_paused = False
        # the reply being streamed
        self.timeline: list[tuple[float, bytes]] | None = None
        self.step = 0
        self.stream_head = b""
        self.chunked = True
        self.drop = False
        self.keep = True

    # -- asyncio.Protocol ---------------------------------------------------------------
    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        self.transport = None
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.queue.clear()
        self.timeline = None

    def data_received(self, data: bytes) -> None:
        if self.broken:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # no upgrades (websocket, h2c) here
            self._malformed()
        except httptools.HttpParserError:
            self._malformed()

    def pause_writing(self) -> None:
        self.writing_paused = True
        self._update_reading()

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._update_reading()

    def close(self) -> None:
        """Close after what is written; queued replies are abandoned (also server shutdown)."""
        transport = self.transport
        if transport is not None:
            self.transport = None  # nothing more is written, even before connection_lost
            self.queue.clear()
            if self.timer is not None:
                self.timer.cancel()
                self.timer = None
            transport.close()

    # -- httptools callbacks -------------------------------------------------------------
    def on_url(self, url: bytes) -> None:
        self.request.url += url  # may arrive in pieces

    def on_header(self, name: bytes, value: bytes) -> None:
        if len(name) == 12 and name.lower() == b"x-tamma-task":
            self.request.task_id = value.decode("utf-8", "replace")
        elif len(name) == 6 and name.lower() == b"expect" and value.lower() == b"100-continue":
            # The client waits for this before sending its body (curl does, for big bodies).
            # With earlier replies still pending it would land among them: it then sends
            # the body after its own short wait instead.
            if self.transport is not None and not self.busy and not self.queue:
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self.request.body += body

    def on_message_complete(self) -> None:
        self.requests += 1
        request, parser = self.request, self.parser
        self.request = _Request()
        if self.transport is None:  # closed (Connection: close, a drop): ignore the rest
            return
        request.method = parser.get_method()
        request.keep_alive = parser.should_keep_alive()
        request.http10 = parser.get_http_version() == "1.0"
        if self.busy or self.queue:
            self.queue.append(request)
            self._update_reading()
        else:
            self._begin(request)

    # -- replying ------------------------------------------------------------------------
    def _malformed(self) -> None:
        self.broken = True
        self.queue.append(None)
        self._advance()

    def _advance(self) -> None:
        """Start queued replies while nothing is in progress (immediate ones finish inline)."""
        while self.queue and not self.busy and self.transport is not None:
            self._begin(self.queue.popleft())
        self._update_reading()

    def _begin(self, request: _Request | None) -> None:
        if request is None:
            self.transport.write(_BAD_REQUEST)
            self.close()
            return
        url = request.url
        if b"?" in url:
            url = url.split(b"?", 1)[0]
        try:
            reply = self.service.handle(request.method.decode("latin-1"), url.decode("latin-1"),
                                        request.body, request.task_id)
        except Exception:  # a simulator bug: answer 500 like any server, keep serving
            _log.exception("the simulated service failed on a request")
            reply = _INTERNAL_ERROR
        keep = request.keep_alive and not reply.drop
        mode = (2 if request.http10 else 0) if keep else 1
        if reply.timeline is None:
            data = (_head(reply.status, reply.headers, mode)
                    + b"content-length: %d\r\n\r\n" % reply.content_length + reply.body)
            if reply.delay_s > 0:
                self.busy = True
                self.timer = self.loop.call_later(reply.delay_s, self._send_whole, data, keep)
            else:
                self._send_whole(data, keep, advance=False)
            return
        # A timed stream: chunked on HTTP/1.1; HTTP/1.0 has no chunks, so its end is the close.
        self.busy = True
        self.chunked = not request.http10
        if self.chunked:
            self.stream_head = _head(reply.status, reply.headers, mode) + b"transfer-encoding: chunked\r\n\r\n"
            self.keep = keep
        else:
            self.stream_head = _head(reply.status, reply.headers, 1) + b"\r\n"
            self.keep = False
        self.timeline, self.step, self.drop = reply.timeline, 0, reply.drop
        delay = reply.timeline[0][0]
        if delay > 0:
            self.timer = self.loop.call_later(delay, self._send_piece)
        else:
            self._send_piece()

    def _send_whole(self, data: bytes, keep: bool, advance: bool = True) -> None:
        self.timer = None
        transport = self.transport
        if transport is None:
            return
        transport.write(data)
        if not keep:  # Connection: close, or a drop (the body was cut: the close ends it early)
            self.close()
            return
        self.busy = False
        if advance and self.queue:
            self._advance()

    def _send_piece(self) -> None:
        self.timer = None
        transport, timeline = self.transport, self.timeline
        if transport is None or timeline is None:
            return
        step = self.step
        piece = timeline[step][1]
        if self.chunked:
            piece = b"%x\r\n%b\r\n" % (len(piece), piece)
        if step == 0:
            piece = self.stream_head + piece
        step += 1
        if step < len(timeline):
            transport.write(piece)
            self.step = step
            delay = timeline[step][0]
            if delay > 0:
                self.timer = self.loop.call_later(delay, self._send_piece)
            else:
                self._send_piece()
            return
        self.timeline = None
        if self.drop or not self.keep:
            transport.write(piece)  # a drop leaves the chunked body unfinished
            self.close()
            return
        transport.write(piece + _LAST_CHUNK if self.chunked else piece)
        self.busy = False
        self._advance()

    def _update_reading(self) -> None:
        transport = self.transport
        if transport is None:
            return
        pause = self.writing_paused or len(self.queue) >= _MAX_QUEUED
        if pause != self.reading_paused:
            self.reading_paused = pause
            if pause:
                transport.pause_reading()
            else:
                transport.resume_reading()


class LeanServer:
    """The lean server over a ``SimService``; start and close it on a running loop.

    Keep-alive connections with nothing to do for about ``idle_timeout_s`` are closed (like
    uvicorn's keep-alive timeout): a sweep every third of it, not a timer per request.
    """

    def __init__(self, service: SimService, idle_timeout_s: float = 30.0):
        self.service = service
        self.connections: set[_Connection] = set()
        self.idle_timeout_s = idle_timeout_s
        self._server: asyncio.AbstractServer | None = None
        self._sweeper: asyncio.TimerHandle | None = None

    async def start(self, sock: Any) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _Connection(self.service, self.connections), sock=sock, backlog=2048
        )
        self._sweeper = loop.call_later(self.idle_timeout_s / 3, self._sweep)

    def _sweep(self) -> None:
        for conn in list(self.connections):
            if conn.busy or conn.queue or conn.requests != conn.seen_requests:
                conn.seen_requests = conn.requests
                conn.idle_rounds = 0
            else:
                conn.idle_rounds += 1
                if conn.idle_rounds >= 3:
                    conn.close()
        self._sweeper = asyncio.get_running_loop().call_later(self.idle_timeout_s / 3, self._sweep)

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.close()
        if self._server is not None:
            await self._server.wait_closed()
        await asyncio.sleep(0)  # let the transports run their connection_lost


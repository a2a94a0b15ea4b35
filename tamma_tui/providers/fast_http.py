"""A lean HTTP/1.1 transport for plain ``http://`` servers (local model servers, the
sim-server), plugged into ``httpx.AsyncClient``.

Why: at concurrency 64-256 httpcore's pool re-scans every connection for every queued
request and probes each socket before reuse, which costs several ms of CPU per request;
benchmark runs send thousands of small requests to a local server. This transport keeps
idle keep-alive connections in a deque (O(1) checkout), writes each request with one
``write`` and parses responses with ``StreamReader.readuntil``. TLS, proxies and HTTP/2
stay with httpx's own transport (``https://`` is mounted to it).

It raises httpx's exception types, so callers map errors the same way for both.
"""

from __future__ import annotations

import asyncio
import collections
from typing import AsyncIterator

import httpx

_MAX_HEADER_BYTES = 64 * 1024
_READ_SIZE = 64 * 1024


class _Connection:
    __slots__ = ("reader", "writer", "key", "reused")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, key: tuple[str, int]):
        self.reader = reader
        self.writer = writer
        self.key = key
        self.reused = False

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.transport.is_closing()

    def close(self) -> None:
        self.writer.transport.abort()


class _Pool:
    """Idle connections per (host, port) and a cap on open connections overall."""

    def __init__(self, max_connections: int):
        self.max_connections = max(int(max_connections), 1)
        self.open = 0
        self.idle: dict[tuple[str, int], collections.deque[_Connection]] = {}
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.closed = False

    def take_idle(self, key: tuple[str, int]) -> _Connection | None:
        idle = self.idle.get(key)
        while idle:
            conn = idle.pop()
            if conn.usable():
                conn.reused = True
                return conn
            self.discard(conn)
        return None

    async def acquire(self, key: tuple[str, int]) -> _Connection | None:
        """An idle connection to ``key``, or None once a slot for a new one is reserved
        (the caller then connects and must ``unreserve`` on failure)."""
        while True:
            conn = self.take_idle(key)
            if conn is not None:
                return conn
            if self.open < self.max_connections:
                self.open += 1
                return None
            if self._close_idle_elsewhere(key):
                continue
            fut = asyncio.get_running_loop().create_future()
            self.waiters.append(fut)
            try:
                await fut
            except asyncio.CancelledError:
                if fut.done() and not fut.cancelled():
                    self._wake()  # pass the wake-up on to the next waiter
                raise

    def unreserve(self) -> None:
        self.open -= 1
        self._wake()

    def _close_idle_elsewhere(self, key: tuple[str, int]) -> bool:
        for other, idle in self.idle.items():
            if other != key and idle:
                self.discard(idle.popleft())
                return True
        return False

    def release(self, conn: _Connection) -> None:
        if conn.usable() and not self.closed:
            self.idle.setdefault(conn.key, collections.deque()).append(conn)
            self._wake()
        else:
            self.discard(conn)

    def discard(self, conn: _Connection) -> None:
        conn.close()
        self.open -= 1
        self._wake()

    def _wake(self) -> None:
        while self.waiters:
            fut = self.waiters.popleft()
            if not fut.done():
                fut.set_result(None)
                return

    def close_all(self) -> None:
        self.closed = True  # connections still in use are closed when they come back
        for idle in self.idle.values():
            while idle:
                self.discard(idle.pop())


class _Body(httpx.AsyncByteStream):
    """The response body: Content-Length, chunked, or until the server closes."""

    def __init__(self, transport: "FastHTTPTransport", conn: _Connection, length: int | None,
                 chunked: bool, keep_alive: bool, read_timeout: float | None):
        self._t = transport
        self._conn: _Connection | None = conn
        self._length = length
        self._chunked = chunked
        self._keep_alive = keep_alive
        self._timeout = read_timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        reader = conn.reader
        timeout = self._timeout
        # Each read gets its own deadline (httpx's read-timeout meaning); a deadline must
        # never span a ``yield``, or it would fire inside the consumer's code.
        try:
            if self._chunked:
                while True:
                    async with asyncio.timeout(timeout):
                        line = await reader.readuntil(b"\r\n")
                        size = int(line.split(b";", 1)[0], 16)
                        if size == 0:
                            while await reader.readuntil(b"\r\n") != b"\r\n":
                                pass  # trailers
                            break
                        data = await reader.readexactly(size + 2)
                    yield data[:-2]
            elif self._length is not None:
                remaining = self._length
                while remaining:
                    async with asyncio.timeout(timeout):
                        data = await reader.read(min(remaining, _READ_SIZE))
                    if not data:
                        raise asyncio.IncompleteReadError(b"", remaining)
                    remaining -= len(data)
                    yield data
            else:
                self._keep_alive = False
                while True:
                    async with asyncio.timeout(timeout):
                        data = await reader.read(_READ_SIZE)
                    if not data:
                        break
                    yield data
        except TimeoutError:
            raise httpx.ReadTimeout("timed out reading the response body") from None
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            raise httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            ) from None
        except (ConnectionError, OSError) as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from None
        # Fully read: the connection can serve the next request.
        self._conn = None
        if self._keep_alive:
            self._t._pool.release(conn)
        else:
            self._t._pool.discard(conn)

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:  # closed before the end (error, cancel, early exit): not reusable
            self._t._pool.discard(conn)


class FastHTTPTransport(httpx.AsyncBaseTransport):
    def __init__(self, max_connections: int = 64):
        self._pool = _Pool(max_connections)

    async def aclose(self) -> None:
        self._pool.close_all()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme != "http":
            raise httpx.UnsupportedProtocol(f"FastHTTPTransport serves http:// only, not {url.scheme}")
        key = (url.host, url.port or 80)
        timeouts = request.extensions.get("timeout") or {}
        body = await request.aread()
        head = self._head(request, body)
        for attempt in (0, 1):
            conn = self._pool.take_idle(key)  # the common case, with no deadline to set up
            if conn is None:
                try:
                    async with asyncio.timeout(timeouts.get("pool")):
                        conn = await self._pool.acquire(key)
                except TimeoutError:
                    raise httpx.PoolTimeout("no free connection in the pool in time") from None
            if conn is None:
                conn = await self._connect(key, timeouts)
            try:
                return await self._exchange(conn, head, body, timeouts.get("read"))
            except _StaleConnection:
                # A reused keep-alive connection the server had closed: nothing was
                # processed, so one retry on a fresh connection is safe.
                self._pool.discard(conn)
                if attempt:
                    raise httpx.RemoteProtocolError("server disconnected without sending a response") from None
            except BaseException:
                self._pool.discard(conn)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    @staticmethod
    def _head(request: httpx.Request, body: bytes) -> bytes:
        target = request.url.raw_path.decode("ascii")
        lines = [f"{request.method} {target} HTTP/1.1".encode()]
        has_length = False
        for name, value in request.headers.raw:
            low = name.lower()
            if low == b"content-length":
                has_length = True
            elif low == b"transfer-encoding":
                continue  # the body is sent whole, with a length
            lines.append(name + b": " + value)
        if not has_length and (body or request.method in ("POST", "PUT", "PATCH")):
            lines.append(b"Content-Length: " + str(len(body)).encode())
        return b"\r\n".join(lines) + b"\r\n\r\n"

    async def _connect(self, key: tuple[str, int], timeouts: dict) -> _Connection:
        """Open a connection for a slot already reserved by ``_Pool.acquire``."""
        try:
            async with asyncio.timeout(timeouts.get("connect")):
                reader, writer = await asyncio.open_connection(key[0], key[1], limit=_MAX_HEADER_BYTES)
        except TimeoutError:
            self._pool.unreserve()
            raise httpx.ConnectTimeout(f"connecting to {key[0]}:{key[1]} timed out") from None
        except BaseException as exc:
            self._pool.unreserve()
            if isinstance(exc, OSError):
                raise httpx.ConnectError(exc.strerror or str(exc) or type(exc).__name__) from None
            raise
        return _Connection(reader, writer, key)

    async def _exchange(self, conn: _Connection, head: bytes, body: bytes, read_timeout: float | None) -> httpx.Response:
        try:
            conn.writer.write(head + body if len(body) < 65536 else head)
            if len(body) >= 65536:
                conn.writer.write(body)
            async with asyncio.timeout(read_timeout):
                raw = await conn.reader.readuntil(b"\r\n\r\n")
                while raw.startswith(b"HTTP/1.1 1") and not raw.startswith(b"HTTP/1.1 101"):
                    conn.reused = False  # an interim response (100 Continue): the real one follows
                    raw = await conn.reader.readuntil(b"\r\n\r\n")
        except TimeoutError:
            raise httpx.ReadTimeout("timed out waiting for the response") from None
        except asyncio.IncompleteReadError as exc:
            if conn.reused and not exc.partial:
                raise _StaleConnection() from None
            raise httpx.RemoteProtocolError("server disconnected without sending a response") from None
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError("response headers too large") from None
        except (ConnectionError, OSError) as exc:
            if conn.reused:
                raise _StaleConnection() from None
            raise httpx.ReadError(str(exc) or type(exc).__name__) from None

        lines = raw[:-4].split(b"\r\n")
        status_line = lines[0].split(b" ", 2)
        try:
            status = int(status_line[1])
        except (IndexError, ValueError):
            raise httpx.RemoteProtocolError("malformed HTTP status line") from None
        headers: list[tuple[bytes, bytes]] = []
        length: int | None = None
        chunked = False
        keep_alive = status_line[0] == b"HTTP/1.1"
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise httpx.RemoteProtocolError("malformed HTTP header line")
            value = value.strip()
            headers.append((name, value))
            low = name.lower()
            if low == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    raise httpx.RemoteProtocolError("invalid Content-Length") from None
            elif low == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif low == b"connection":
                v = value.lower()
                keep_alive = (keep_alive or b"keep-alive" in v) and b"close" not in v
        if status in (204, 304):
            length = 0
        stream = _Body(self, conn, None if chunked else length, chunked, keep_alive, read_timeout)
        reason = status_line[2] if len(status_line) > 2 else b""
        return httpx.Response(
            status,
            headers=headers,
            stream=stream,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )


class _StaleConnection(Exception):
    pass

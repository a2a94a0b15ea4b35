"""A lean keep-alive HTTP/1.1 client for plain ``http://`` servers (local model servers,
the sim-server).

Why: the engine sends thousands of small requests a second to a local server, on one
event loop. At concurrency 64-256 httpcore's pool re-scans every connection for every
queued request and probes each socket before reuse (several ms of CPU per request), and
even httpx's request and response objects cost more than the exchange itself. This
client keeps idle connections in a deque (O(1) checkout), writes each request with one
``write``, parses the head with ``StreamReader.readuntil`` and reads the body through
plain coroutines (no async generators: each one registers with the loop's weak set of
generators). TLS, proxies and HTTP/2 stay with httpx (``httpx_sender.HttpxSender``).

It raises httpx's exception types, so callers map errors the same way for both. No
read deadlines of its own: the engine bounds each attempt as a whole; only connecting
has its own limit.
"""

from __future__ import annotations

import asyncio
import collections
from urllib.parse import urlsplit

import httpx

from .base import ReadsToEnd

_MAX_HEADER_BYTES = 64 * 1024
_READ_SIZE = 64 * 1024


class _Connection:
    __slots__ = ("reader", "writer", "reused")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.reused = False

    def usable(self) -> bool:
        return not self.reader.at_eof() and not self.writer.transport.is_closing()

    def close(self) -> None:
        self.writer.transport.abort()


class _Pool:
    """Idle connections to one origin and a cap on open connections."""

    def __init__(self, max_connections: int):
        self.max_connections = max(int(max_connections), 1)
        self.open = 0
        self.idle: collections.deque[_Connection] = collections.deque()
        self.waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.closed = False

    def take_idle(self) -> _Connection | None:
        idle = self.idle
        while idle:
            conn = idle.pop()
            if conn.usable():
                conn.reused = True
                return conn
            self.discard(conn)
        return None

    async def acquire(self) -> _Connection | None:
        """An idle connection, or None once a slot for a new one is reserved (the caller
        then connects and must ``unreserve`` on failure)."""
        while True:
            conn = self.take_idle()
            if conn is not None:
                return conn
            if self.open < self.max_connections:
                self.open += 1
                return None
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

    def release(self, conn: _Connection) -> None:
        if conn.usable() and not self.closed:
            self.idle.append(conn)
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
        while self.idle:
            self.discard(self.idle.pop())


class FastResponse(ReadsToEnd):
    """Status, headers and a body read chunk by chunk (Content-Length, chunked, or until
    the server closes). Reading to the end returns the connection to the pool."""

    __slots__ = ("status", "_raw_headers", "_headers", "_pool", "_conn", "_remaining", "_chunked", "_keep_alive")

    def __init__(self, pool: _Pool, conn: _Connection, status: int, raw_headers: list[tuple[bytes, bytes]],
                 length: int | None, chunked: bool, keep_alive: bool):
        self.status = status
        self._raw_headers = raw_headers
        self._headers: dict[str, str] | None = None
        self._pool = pool
        self._conn: _Connection | None = conn
        self._chunked = chunked
        self._remaining = length  # None: until the server closes (when not chunked)
        self._keep_alive = keep_alive and (chunked or length is not None)
        if length == 0 and not chunked:
            self._finish()

    @property
    def headers(self) -> dict[str, str]:
        """Lower-case names; built on first use (the success path rarely needs them)."""
        if self._headers is None:
            self._headers = {
                name.decode("latin-1").lower(): value.decode("latin-1") for name, value in self._raw_headers
            }
        return self._headers

    async def read_chunk(self) -> bytes:
        """The next piece of the body; b"" once it has all been read."""
        conn = self._conn
        if conn is None:
            return b""
        reader = conn.reader
        try:
            if self._chunked:
                line = await reader.readuntil(b"\r\n")
                size = int(line.split(b";", 1)[0], 16)
                if size == 0:
                    while await reader.readuntil(b"\r\n") != b"\r\n":
                        pass  # trailers
                    self._finish()
                    return b""
                data = (await reader.readexactly(size + 2))[:-2]
            elif self._remaining is not None:
                data = await reader.read(min(self._remaining, _READ_SIZE))
                if not data:
                    raise asyncio.IncompleteReadError(b"", self._remaining)
                self._remaining -= len(data)
                if not self._remaining:
                    self._finish()
            else:
                data = await reader.read(_READ_SIZE)
                if not data:
                    self._finish()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.abort()
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body") from None
        except (ConnectionError, OSError) as exc:
            self.abort()
            raise httpx.ReadError(str(exc) or type(exc).__name__) from None
        except BaseException:  # cancelled mid-read: the connection is in an unknown state
            self.abort()
            raise
        return data

    def _finish(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            if self._keep_alive:
                self._pool.release(conn)
            else:
                self._pool.discard(conn)

    def abort(self) -> None:
        """Give up on the body: the connection cannot be reused."""
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool.discard(conn)

    async def aclose(self) -> None:
        self.abort()  # a no-op once the body was read to the end


class FastHTTPClient:
    """POSTs to one ``http://`` URL over a pool of keep-alive connections."""

    def __init__(self, url: str, max_connections: int = 64, connect_timeout_s: float = 10.0):
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"FastHTTPClient serves http:// URLs only, not {url!r}")
        self._host = parts.hostname
        self._port = parts.port or 80
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = parts.netloc.rsplit("@", 1)[-1]
        self._head_start = f"POST {target} HTTP/1.1\r\nHost: {host}\r\n".encode("ascii")
        self._connect_timeout_s = connect_timeout_s
        self._pool = _Pool(max_connections)

    async def aclose(self) -> None:
        self._pool.close_all()

    async def post(self, headers: list[tuple[bytes, bytes]], body: bytes) -> FastResponse:
        """Send ``body`` with ``headers`` (Host and Content-Length are added)."""
        head = b"".join([self._head_start, *[name + b": " + value + b"\r\n" for name, value in headers],
                         b"Content-Length: ", str(len(body)).encode(), b"\r\n\r\n"])
        pool = self._pool
        for attempt in (0, 1):
            conn = pool.take_idle()  # the common case, with nothing to wait for
            if conn is None:
                conn = await pool.acquire()
            if conn is None:
                conn = await self._connect()
            try:
                return await self._exchange(conn, head, body)
            except _StaleConnection:
                # A reused keep-alive connection the server had closed: nothing was
                # processed, so one retry on a fresh connection is safe.
                pool.discard(conn)
                if attempt:
                    raise httpx.RemoteProtocolError("server disconnected without sending a response") from None
            except BaseException:
                pool.discard(conn)
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _connect(self) -> _Connection:
        """Open a connection for a slot already reserved by ``_Pool.acquire``."""
        try:
            async with asyncio.timeout(self._connect_timeout_s):
                reader, writer = await asyncio.open_connection(self._host, self._port, limit=_MAX_HEADER_BYTES)
        except TimeoutError:
            self._pool.unreserve()
            raise httpx.ConnectTimeout(f"connecting to {self._host}:{self._port} timed out") from None
        except BaseException as exc:
            self._pool.unreserve()
            if isinstance(exc, OSError):
                raise httpx.ConnectError(exc.strerror or str(exc) or type(exc).__name__) from None
            raise
        return _Connection(reader, writer)

    async def _exchange(self, conn: _Connection, head: bytes, body: bytes) -> FastResponse:
        try:
            if len(body) < 65536:
                conn.writer.write(head + body)
            else:
                conn.writer.write(head)
                conn.writer.write(body)
            raw = await conn.reader.readuntil(b"\r\n\r\n")
            while raw.startswith(b"HTTP/1.1 1") and not raw.startswith(b"HTTP/1.1 101"):
                conn.reused = False  # an interim response (100 Continue): the real one follows
                raw = await conn.reader.readuntil(b"\r\n\r\n")
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
            length, chunked = 0, False
        return FastResponse(self._pool, conn, status, headers, None if chunked else length, chunked, keep_alive)


class _StaleConnection(Exception):
    pass

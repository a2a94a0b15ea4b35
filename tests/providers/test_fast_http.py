"""The lean HTTP/1.1 client against raw asyncio servers with awkward framing."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest

from tamma_tui.providers.http.keepalive import FastHTTPClient


async def _serve(handler):
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head + await reader.readexactly(length)


async def _post(client: FastHTTPClient, body: bytes = b"x", headers=()) -> tuple[int, bytes]:
    response = await client.post(list(headers), body)
    try:
        return response.status, await response.read_all()
    finally:
        await response.aclose()


async def test_chunked_and_content_length_bodies_and_keep_alive_reuse():
    connections = 0
    requests: list[bytes] = []

    async def handler(reader, writer):
        nonlocal connections
        connections += 1
        try:
            while True:
                requests.append(await _read_request(reader))
                if len(requests) % 2:
                    writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                 b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n")
                else:
                    writer.write(b"HTTP/1.1 201 Created\r\nContent-Length: 3\r\nX-Test: yes\r\n\r\nabc")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server, url = await _serve(handler)
    async with server:
        client = FastHTTPClient(url + "/a?q=1", 4)
        first = await _post(client, b'{"x": 1}', [(b"X-Tamma-Task", b"t")])
        response = await client.post([], b"")
        second = (response.status, await response.read_all(), response.headers["x-test"])
        await client.aclose()
    assert first == (200, b"hello world")
    assert second == (201, b"abc", "yes")
    assert connections == 1  # the second request reused the connection
    head = requests[0].lower()
    assert requests[0].startswith(b"POST /a?q=1 HTTP/1.1\r\n")
    assert f"host: {url[7:]}".encode() in head and b"content-length: 8" in head
    assert b"x-tamma-task: t" in head and requests[0].endswith(b'{"x": 1}')
    assert requests[1].lower().endswith(b"content-length: 0\r\n\r\n")


async def test_server_closing_idle_connection_is_retried_once_on_a_fresh_one():
    served = 0

    async def handler(reader, writer):
        nonlocal served
        await _read_request(reader)
        served += 1
        # Claims keep-alive but closes right after: the pooled connection goes stale.
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server, url = await _serve(handler)
    async with server:
        client = FastHTTPClient(url + "/", 2)
        bodies = [(await _post(client))[1] for _ in range(3)]
        await asyncio.sleep(0.05)
        bodies.append((await _post(client))[1])
        await client.aclose()
    assert bodies == [b"ok"] * 4 and served == 4


async def test_connection_close_response_reads_to_eof():
    async def handler(reader, writer):
        await _read_request(reader)
        writer.write(b"HTTP/1.0 200 OK\r\n\r\nuntil the end")
        await writer.drain()
        writer.close()

    server, url = await _serve(handler)
    async with server:
        client = FastHTTPClient(url + "/", 2)
        assert await _post(client) == (200, b"until the end")
        assert client._pool.open == 0  # not kept: HTTP/1.0 without keep-alive
        await client.aclose()


@pytest.mark.parametrize(
    "reply,error",
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n", httpx.RemoteProtocolError),
        (b"", httpx.RemoteProtocolError),
        (b"garbage\r\n\r\n", httpx.RemoteProtocolError),
    ],
)
async def test_broken_responses_raise_httpx_errors(reply, error):
    async def handler(reader, writer):
        await _read_request(reader)
        writer.write(reply)
        await writer.drain()
        writer.close()

    server, url = await _serve(handler)
    async with server:
        client = FastHTTPClient(url + "/", 2)
        with pytest.raises(error):
            await _post(client)
        assert client._pool.open == 0  # the broken connection was not kept
        await client.aclose()


async def test_refused_connection_is_a_connect_error_and_frees_its_slot():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = FastHTTPClient(f"http://127.0.0.1:{port}/v1", 1)
    for _ in range(2):  # the slot is given back, so the second attempt is not stuck waiting
        with pytest.raises(httpx.ConnectError):
            await asyncio.wait_for(client.post([], b"x"), 5)
    assert client._pool.open == 0


async def test_pool_never_exceeds_its_cap_and_waiters_proceed():
    open_now = peak = 0

    async def handler(reader, writer):
        nonlocal open_now, peak
        open_now += 1
        peak = max(peak, open_now)
        try:
            while True:
                await _read_request(reader)
                await asyncio.sleep(0.01)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nk")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            open_now -= 1
            writer.close()

    server, url = await _serve(handler)
    async with server:
        client = FastHTTPClient(url + "/", 3)
        replies = await asyncio.gather(*[_post(client) for _ in range(40)])
        await client.aclose()
    assert all(r == (200, b"k") for r in replies)
    assert peak <= 3


async def test_cancelled_reads_discard_the_connection_and_free_the_pool():
    """The engine cancels an attempt at its deadline: the half-read connection must not be
    reused and its slot must come back, or the pool would shrink with every timeout."""
    connections = 0

    async def handler(reader, writer):
        nonlocal connections
        connections += 1
        try:
            await _read_request(reader)
            if connections == 1:  # the head and part of the body, then a stall
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
                await writer.drain()
            await reader.read()  # until the client gives up on the connection
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    server, url = await _serve(handler)
    async with server:
        client = FastHTTPClient(url + "/", 1)
        response = await client.post([], b"x")
        assert await response.read_chunk() == b"abc"
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await response.read_chunk()
        assert client._pool.open == 0 and not client._pool.idle
        with pytest.raises(TimeoutError):  # cancelled while waiting for the head
            async with asyncio.timeout(0.1):
                await client.post([], b"x")
        assert client._pool.open == 0
        await client.aclose()
    assert connections == 2


async def test_interim_100_continue_is_skipped_and_204_has_no_body():
    replies = [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone",
               b"HTTP/1.1 204 No Content\r\n\r\n"]

    async def handler(reader, writer):
        try:
            while True:
                await _read_request(reader)
                writer.write(replies.pop(0))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError):
            writer.close()

    server, url = await _serve(handler)
    async with server:
        client = FastHTTPClient(url + "/", 2)
        assert await _post(client) == (200, b"done")
        assert await _post(client) == (204, b"")
        assert len(client._pool.idle) == 1  # both answered on one kept connection
        await client.aclose()


def test_only_plain_http_urls():
    with pytest.raises(ValueError, match="http:// URLs only"):
        FastHTTPClient("https://api.openai.com/v1/chat/completions")

"""The lean HTTP/1.1 transport against raw asyncio servers with awkward framing."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tamma_tui.providers.fast_http import FastHTTPTransport


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
        async with httpx.AsyncClient(transport=FastHTTPTransport(4)) as client:
            r1 = await client.post(url + "/a?q=1", content=b'{"x": 1}', headers={"X-Tamma-Task": "t"})
            r2 = await client.get(url + "/b")
    assert (r1.status_code, r1.text) == (200, "hello world")
    assert (r2.status_code, r2.text, r2.headers["x-test"]) == (201, "abc", "yes")
    assert connections == 1  # the second request reused the connection
    assert requests[0].startswith(b"POST /a?q=1 HTTP/1.1\r\n")
    assert b"x-tamma-task: t" in requests[0].lower() and requests[0].endswith(b'{"x": 1}')


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
        async with httpx.AsyncClient(transport=FastHTTPTransport(2)) as client:
            texts = [(await client.get(url + "/")).text for _ in range(3)]
            await asyncio.sleep(0.05)
            texts.append((await client.get(url + "/")).text)
    assert texts == ["ok"] * 4 and served == 4


async def test_connection_close_response_reads_to_eof():
    async def handler(reader, writer):
        await _read_request(reader)
        writer.write(b"HTTP/1.0 200 OK\r\n\r\nuntil the end")
        await writer.drain()
        writer.close()

    server, url = await _serve(handler)
    async with server:
        async with httpx.AsyncClient(transport=FastHTTPTransport(2)) as client:
            assert (await client.get(url + "/")).text == "until the end"


@pytest.mark.parametrize(
    "reply,error",
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", httpx.RemoteProtocolError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", httpx.RemoteProtocolError),
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
        async with httpx.AsyncClient(transport=FastHTTPTransport(2)) as client:
            with pytest.raises(error):
                await client.get(url + "/")


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
        async with httpx.AsyncClient(transport=FastHTTPTransport(3)) as client:
            replies = await asyncio.gather(*[client.get(url + f"/{i}") for i in range(40)])
    assert all(r.text == "k" for r in replies)
    assert peak <= 3


async def test_read_timeout_is_per_read_not_for_the_whole_body():
    async def handler(reader, writer):
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(4):  # 4 x 0.2 s: longer than the read timeout in total, not per read
            writer.write(b"1\r\nx\r\n")
            await writer.drain()
            await asyncio.sleep(0.2)
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(2.5)  # then stall: the next request's read must time out
        writer.close()

    server, url = await _serve(handler)
    async with server:
        async with httpx.AsyncClient(transport=FastHTTPTransport(2), timeout=httpx.Timeout(0.6)) as client:
            async with client.stream("GET", url + "/") as r:
                body = b"".join([chunk async for chunk in r.aiter_raw()])
                await asyncio.sleep(0.7)  # slow consumer: no deadline may fire in here
            assert body == b"xxxx"
            with pytest.raises(httpx.ReadTimeout):
                await client.get(url + "/")


async def test_interim_100_continue_is_skipped():
    async def handler(reader, writer):
        await _read_request(reader)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone")
        await writer.drain()
        writer.close()

    server, url = await _serve(handler)
    async with server:
        async with httpx.AsyncClient(transport=FastHTTPTransport(2)) as client:
            r = await client.post(url + "/", content=b"x")
    assert (r.status_code, r.text) == (200, "done")


async def test_full_pool_times_out_with_pool_timeout():
    release = asyncio.Event()

    async def handler(reader, writer):
        await _read_request(reader)
        await release.wait()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nk")
        await writer.drain()
        writer.close()

    server, url = await _serve(handler)
    async with server:
        async with httpx.AsyncClient(transport=FastHTTPTransport(1), timeout=httpx.Timeout(5, pool=0.2)) as client:
            first = asyncio.create_task(client.get(url + "/slow"))
            await asyncio.sleep(0.05)
            with pytest.raises(httpx.PoolTimeout):
                await client.get(url + "/waits")
            release.set()
            assert (await first).text == "k"

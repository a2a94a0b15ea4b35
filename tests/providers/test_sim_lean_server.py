"""The lean HTTP/1.1 server behind the sim-server, over real sockets on 127.0.0.1.

Most tests run the server on the test's own event loop, so they can look inside it
(open connections, pending timers) after a client misbehaves; the rest go through
``BackgroundSimServer`` (its own thread) with httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import AsyncIterator

import httpx
import pytest
from provider_helpers import make_task

from tamma_tui.providers.simulated.faults import FaultOptions
from tamma_tui.providers.simulated.lean_server import LeanServer
from tamma_tui.providers.simulated.server import BackgroundSimServer, bind_socket
from tamma_tui.providers.simulated.service import SimService
from tamma_tui.providers.simulated.simulator import plan_response

TASK = make_task(1, "development")
MESSAGES = [{"role": "user", "content": TASK.prompt}]


def chat_body(stream: bool = False, **extra) -> bytes:
    return json.dumps({"model": "sim-small", "messages": MESSAGES, "seed": 3, "stream": stream, **extra}).encode()


def post(body: bytes, *, version: str = "1.1", headers: str = "") -> bytes:
    return (f"POST /v1/chat/completions HTTP/{version}\r\nHost: t\r\nX-Tamma-Task: {TASK.id}\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def get(path: str, headers: str = "") -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: t\r\n{headers}\r\n".encode()


def service(**options) -> SimService:
    fault_kwargs = {k: options.pop(k) for k in list(options) if k in FaultOptions.__dataclass_fields__}
    return SimService(faults=FaultOptions(**fault_kwargs), tasks=[TASK], task_lookup=lambda _id: None, **options)


@contextlib.asynccontextmanager
async def lean(svc: SimService) -> AsyncIterator[tuple[LeanServer, int]]:
    sock = bind_socket("127.0.0.1", 0)
    server = LeanServer(svc)
    await server.start(sock)
    try:
        yield server, sock.getsockname()[1]
    finally:
        await server.close()


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes, chunks: list[bytes], complete: bool):
        self.status, self.headers, self.body, self.chunks, self.complete = status, headers, body, chunks, complete

    def events(self) -> list[str]:
        return [line[6:] for line in self.body.decode().split("\n") if line.startswith("data: ")]


async def read_response(reader: asyncio.StreamReader) -> Response:
    """One response, read the way an HTTP/1.1 client does; ``complete`` is False when the
    connection ended before the body did."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if line)}
    chunks: list[bytes] = []
    try:
        if "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
            return Response(status, headers, body, [body], True)
        if headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                if size == 0:
                    await reader.readexactly(2)
                    return Response(status, headers, b"".join(chunks), chunks, True)
                chunks.append((await reader.readexactly(size + 2))[:-2])
        body = await reader.read()  # until close
        return Response(status, headers, body, [body], True)
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        partial = getattr(exc, "partial", b"")
        return Response(status, headers, b"".join(chunks) + partial, chunks, False)


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    try:
        return await asyncio.wait_for(reader.read(1), 2) == b""
    except ConnectionError:
        return True


async def test_keep_alive_serves_many_requests_on_one_connection():
    async with lean(service(latency_ms=1)) as (server, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        texts = []
        for _ in range(3):
            writer.write(post(chat_body()))
            r = await read_response(reader)
            assert r.status == 200 and r.headers["content-length"] == str(len(r.body))
            assert "connection" not in r.headers  # HTTP/1.1 default: stays open
            texts.append(json.loads(r.body)["choices"][0]["message"]["content"])
        assert len(server.connections) == 1
        writer.close()
    assert texts[0] == texts[1] == texts[2] == plan_response("sim-small", MESSAGES, seed=3, task=TASK).text


async def test_pipelined_requests_are_answered_in_order_even_when_the_first_is_slowest():
    async with lean(service(latency_scale=1.0, chunk_tokens=4)) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        # a timed stream (tens of ms), then replies that are ready at once
        writer.write(post(chat_body(stream=True)) + get("/v1/models") + get("/v1/nothing") + post(b"{bad"))
        first, models, missing, bad = [await read_response(reader) for _ in range(4)]
        writer.close()
    assert first.status == 200 and first.events()[-1] == "[DONE]"
    assert [m["id"] for m in json.loads(models.body)["data"]] == ["sim-small", "sim-medium", "sim-large"]
    assert missing.status == 404
    assert bad.status == 400 and "invalid request" in json.loads(bad.body)["error"]["message"]


async def test_a_long_pipeline_pauses_reading_and_is_answered_in_full_and_in_order():
    svc = service(latency_ms=5)
    async with lean(svc) as (server, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = 100  # more than the server queues before it stops reading
        requests = [post(chat_body(seed=i)) for i in range(n)]
        for k in range(0, n, 20):
            writer.write(b"".join(requests[k : k + 20]))
            await writer.drain()
            await asyncio.sleep(0.01)
        (conn,) = server.connections
        assert conn.reading_paused  # ~90 replies still to go, 5 ms each
        replies = [json.loads((await read_response(reader)).body) for _ in range(n)]
        assert not conn.reading_paused
        writer.close()
    assert [r["id"] for r in replies] == [f"chatcmpl-sim-{i}" for i in range(1, n + 1)]
    expected = [plan_response("sim-small", MESSAGES, seed=i, task=TASK).text for i in range(n)]
    assert [r["choices"][0]["message"]["content"] for r in replies] == expected


async def test_chunked_request_body_is_decoded():
    body = chat_body()
    parts = [body[:10], body[10:25], body[25:]]
    chunked = b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
    async with lean(service(latency_ms=0)) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nX-Tamma-Task: {TASK.id}\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n".encode())
        for piece in (chunked[:7], chunked[7:40], chunked[40:]):  # split across TCP writes too
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0.01)
        r = await read_response(reader)
        writer.close()
    assert r.status == 200
    assert json.loads(r.body)["choices"][0]["message"]["content"] == plan_response(
        "sim-small", MESSAGES, seed=3, task=TASK).text


@pytest.mark.parametrize("garbage", [b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/1.1\r\nHost t\r\n\r\n",
                                     b"POST /v1/chat/completions HTTP/1.1\r\nContent-Length: x\r\n\r\n"])
async def test_malformed_request_gets_400_and_close(garbage):
    async with lean(service()) as (server, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(garbage)
        r = await read_response(reader)
        assert r.status == 400 and r.headers["connection"] == "close"
        assert await closed_by_server(reader)
        writer.close()
        await asyncio.sleep(0.05)
        assert not server.connections


async def test_a_malformed_request_after_a_good_one_waits_for_its_reply():
    async with lean(service(latency_ms=30)) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post(chat_body()) + b"BROKEN\r\n\r\n")
        good, bad = await read_response(reader), await read_response(reader)
        writer.close()
    assert good.status == 200 and json.loads(good.body)["object"] == "chat.completion"
    assert bad.status == 400


async def test_connection_close_is_honoured():
    async with lean(service(latency_ms=1)) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post(chat_body(), headers="Connection: close\r\n") + get("/v1/models"))
        r = await read_response(reader)
        assert r.status == 200 and r.headers["connection"] == "close" and r.complete
        assert await closed_by_server(reader)  # the pipelined second request is not answered
        writer.close()


@pytest.mark.parametrize("keep_alive", [False, True])
async def test_http_1_0(keep_alive):
    extra = "Connection: keep-alive\r\n" if keep_alive else ""
    async with lean(service(latency_ms=1)) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post(chat_body(), version="1.0", headers=extra))
        r = await read_response(reader)
        assert r.status == 200 and r.complete
        if keep_alive:
            assert r.headers["connection"] == "keep-alive"
            writer.write(get("/v1/models").replace(b"HTTP/1.1", b"HTTP/1.0") .replace(b"\r\n\r\n", b"\r\nConnection: keep-alive\r\n\r\n"))
            assert (await read_response(reader)).status == 200
        else:
            assert r.headers["connection"] == "close"
            assert await closed_by_server(reader)
        writer.close()


async def test_http_1_0_stream_is_not_chunked_and_ends_with_the_close():
    async with lean(service(latency_scale=0.05)) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post(chat_body(stream=True), version="1.0"))
        r = await read_response(reader)
        writer.close()
    assert r.status == 200 and "transfer-encoding" not in r.headers and "content-length" not in r.headers
    assert r.events()[-1] == "[DONE]"


async def test_timed_stream_is_chunked_and_takes_the_plans_time():
    svc = service(latency_scale=1.0, chunk_tokens=4)
    plan = plan_response("sim-small", MESSAGES, seed=3, task=TASK)
    async with lean(svc) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        t0 = time.perf_counter()
        writer.write(post(chat_body(stream=True)))
        await reader.readuntil(b"\r\n\r\n")
        first_chunk_at = time.perf_counter() - t0
        rest = await reader.readuntil(b"0\r\n\r\n")
        done_at = time.perf_counter() - t0
        writer.close()
    assert first_chunk_at >= plan.ttft_s * 0.9 > 0.01  # headers leave with the first piece
    assert done_at >= plan.total_s * 0.9 and done_at > first_chunk_at
    assert rest.endswith(b"data: [DONE]\n\n\r\n0\r\n\r\n")


async def test_models_and_unknown_paths():
    async with lean(service()) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(get("/v1/models?x=1") + get("/v2/elsewhere") +
                     b"DELETE /v1/chat/completions HTTP/1.1\r\nHost: t\r\n\r\n")
        models, missing, wrong_method = [await read_response(reader) for _ in range(3)]
        writer.close()
    assert models.status == 200 and json.loads(models.body)["object"] == "list"
    assert missing.status == 404 and wrong_method.status == 404
    assert json.loads(missing.body)["error"]["type"] == "not_found"


async def test_forced_status_carries_retry_after():
    async with lean(service(status=429, retry_after="7")) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post(chat_body()))
        r = await read_response(reader)
        writer.write(post(chat_body()))  # an error reply keeps the connection
        again = await read_response(reader)
        writer.close()
    assert r.status == 429 and r.headers["retry-after"] == "7" and again.status == 429
    assert json.loads(r.body)["error"]["type"] == "simulated"


async def test_fail_gives_500():
    async with lean(service(fail_rate=1.0)) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post(chat_body()))
        r = await read_response(reader)
        writer.close()
    assert r.status == 500 and json.loads(r.body)["error"]["type"] == "server_error"


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("latency_ms", [None, 5])
async def test_drop_sends_part_then_closes(stream, latency_ms):
    async with lean(service(drop_rate=1.0, latency_ms=latency_ms, latency_scale=0.05, chunk_tokens=2)) as (server, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post(chat_body(stream=stream)))
        r = await read_response(reader)
        writer.close()
        await asyncio.sleep(0.05)
        assert not server.connections
    assert r.status == 200 and not r.complete and r.body  # part of the body, then the close
    if stream and latency_ms is None:
        assert r.headers["transfer-encoding"] == "chunked" and "[DONE]" not in r.body.decode()


@pytest.mark.parametrize("stream", [False, True])
async def test_malformed_fault_sends_invalid_json(stream):
    async with lean(service(malformed_rate=1.0, latency_scale=0.02, chunk_tokens=2)) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post(chat_body(stream=stream)))
        r = await read_response(reader)
        writer.close()
    assert r.status == 200 and r.complete
    payloads = r.events()[:-1] if stream else [r.body.decode()]
    broken = 0
    for payload in payloads:
        try:
            json.loads(payload)
        except ValueError:
            broken += 1
    assert broken == 1


async def test_truncate_ends_the_stream_cleanly_but_early():
    async with lean(service(truncate_rate=1.0, latency_scale=0.02, chunk_tokens=2)) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post(chat_body(stream=True)))
        r = await read_response(reader)
        writer.close()
    chunks = [json.loads(e) for e in r.events()]
    assert r.complete and chunks and "[DONE]" not in r.events()
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks)


@pytest.mark.parametrize("stream", [False, True])
async def test_client_gone_mid_reply_cancels_its_timer_and_the_server_carries_on(stream):
    # Slow enough (scale 5: seconds per reply) that a loaded machine cannot finish it first.
    async with lean(service(latency_ms=None if stream else 3000, latency_scale=5.0, chunk_tokens=1)) as (server, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post(chat_body(stream=stream)))
        if stream:
            await reader.readuntil(b"\r\n\r\n")  # the stream has begun
        else:
            await asyncio.sleep(0.05)  # the reply is waiting for its delay
        (conn,) = server.connections
        assert conn.timer is not None
        timer = conn.timer
        writer.transport.abort()
        for _ in range(200):  # the server sees the reset within a few ms; allow a loaded machine 2 s
            if not server.connections:
                break
            await asyncio.sleep(0.01)
        assert not server.connections and conn.timer is None and timer.cancelled()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(get("/v1/models"))
        assert (await read_response(reader)).status == 200
        writer.close()


def test_background_server_with_httpx_stream_and_reuse():
    svc = service(latency_scale=0.05, chunk_tokens=4)
    with BackgroundSimServer(svc) as srv, httpx.Client() as client:
        assert srv._uvicorn is None  # the lean server
        with client.stream("POST", srv.base_url + "/chat/completions", content=chat_body(stream=True),
                           headers={"X-Tamma-Task": TASK.id}) as r:
            pieces = list(r.iter_bytes())
        whole = client.post(srv.base_url + "/chat/completions", content=chat_body(),
                            headers={"X-Tamma-Task": TASK.id})
        models = client.get(srv.base_url + "/models")
    text = b"".join(pieces).decode()
    assert r.headers["transfer-encoding"] == "chunked" and text.endswith("data: [DONE]\n\n")
    assert whole.json()["choices"][0]["message"]["content"] == plan_response("sim-small", MESSAGES, seed=3, task=TASK).text
    assert models.status_code == 200


def test_background_server_stops_promptly_with_replies_pending():
    import socket

    srv = BackgroundSimServer(service(latency_ms=5000)).start()
    port = int(srv.base_url.rsplit(":", 1)[1].split("/")[0])
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(post(chat_body()))
        time.sleep(0.05)
        t0 = time.perf_counter()
        srv.stop()
        assert time.perf_counter() - t0 < 2 and not srv._thread.is_alive()
        s.settimeout(2)
        assert s.recv(100) == b""  # closed without an answer


async def test_a_failing_service_gives_500_and_the_connection_carries_on(caplog):
    class Broken(SimService):
        def handle(self, method, path, body, task_id=""):
            if path.endswith("/boom"):
                raise RuntimeError("simulator bug")
            return super().handle(method, path, body, task_id)

    async with lean(Broken()) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(get("/v1/boom") + get("/v1/models"))
        boom, models = await read_response(reader), await read_response(reader)
        writer.close()
    assert boom.status == 500 and models.status == 200
    assert "simulator bug" in caplog.text


async def test_idle_keep_alive_connections_are_closed_busy_ones_are_not():
    sock = bind_socket("127.0.0.1", 0)
    server = LeanServer(service(latency_ms=400), idle_timeout_s=0.15)
    await server.start(sock)
    try:
        port = sock.getsockname()[1]
        idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", port)
        idle_writer.write(get("/v1/models"))
        assert (await read_response(idle_reader)).status == 200
        busy_reader, busy_writer = await asyncio.open_connection("127.0.0.1", port)
        busy_writer.write(post(chat_body()))  # its reply waits longer than the idle timeout
        assert await closed_by_server(idle_reader)
        r = await read_response(busy_reader)
        assert r.status == 200 and r.complete
        idle_writer.close()
        busy_writer.close()
    finally:
        await server.close()


async def test_expect_100_continue_is_answered_before_the_body():
    body = chat_body()
    async with lean(service(latency_ms=0)) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(f"POST /v1/chat/completions HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                     f"Content-Length: {len(body)}\r\n\r\n".encode())
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2)
        writer.write(body)
        r = await read_response(reader)
        writer.close()
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert r.status == 200 and json.loads(r.body)["object"] == "chat.completion"


async def test_requests_pipelined_after_connection_close_are_not_served():
    svc = service(latency_ms=0)
    async with lean(svc) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(post(chat_body(), headers="Connection: close\r\n") + post(chat_body()))
        r = await read_response(reader)
        assert await closed_by_server(reader)
        writer.close()
    assert r.status == 200 and json.loads(r.body)["id"] == "chatcmpl-sim-1"
    assert next(svc._ids) == 2  # the second request never reached the simulator

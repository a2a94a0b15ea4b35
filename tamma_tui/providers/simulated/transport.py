"""The simulator in-process, behind an httpx transport that really streams.

``provider: simulated`` is the OpenAI-compatible client over this transport, so the demo
and the tests exercise the same client code (SSE parsing, usage, errors) as a real server.
The response's byte stream sleeps between pieces like a model, so ttft and latency are real.
"""

from __future__ import annotations

from typing import AsyncIterator

import httpx

from .service import SimReply, SimService

# In-process defaults are kept small so a 300-trial demo takes seconds, not minutes.
DEFAULT_LATENCY_SCALE = 0.2
DEFAULT_CHUNK_TOKENS = 32


class _ReplyStream(httpx.AsyncByteStream):
    def __init__(self, reply: SimReply):
        self._reply = reply

    async def __aiter__(self) -> AsyncIterator[bytes]:
        reply = self._reply
        if reply.stream is None:
            yield reply.body
        else:
            async for piece in reply.stream:
                yield piece
        if reply.drop:
            raise httpx.ReadError("simulated connection drop")

    async def aclose(self) -> None:
        stream = self._reply.stream
        if stream is not None and hasattr(stream, "aclose"):
            await stream.aclose()


class SimulatedTransport(httpx.AsyncBaseTransport):
    def __init__(self, service: SimService | None = None):
        self.service = service or SimService(
            latency_scale=DEFAULT_LATENCY_SCALE, chunk_tokens=DEFAULT_CHUNK_TOKENS
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path.endswith("/chat/completions"):
            body = await request.aread()
            reply = await self.service.chat(body, request.headers.get("x-tamma-task", ""))
        elif request.method == "GET" and path.endswith("/models"):
            reply = self.service.models()
        else:
            reply = SimReply.error(404, "not found", "not_found")
        headers = [(k, v) for k, v in reply.headers if k != b"content-length"]
        return httpx.Response(reply.status, headers=headers, stream=_ReplyStream(reply))

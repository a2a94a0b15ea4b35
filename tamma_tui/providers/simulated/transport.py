"""The simulator in-process, behind an httpx transport that really streams.

``provider: simulated`` is the OpenAI-compatible client over this transport, so the demo
and the tests exercise the same client code (SSE parsing, usage, errors) as a real server.
The response waits and its byte stream sleeps between pieces like a model, so ttft and
latency are real.
"""

from __future__ import annotations

import asyncio
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
        if reply.timeline is None:
            yield reply.body
        else:
            for delay, piece in reply.timeline:
                if delay > 0:
                    await asyncio.sleep(delay)
                yield piece
        if reply.drop:
            raise httpx.ReadError("simulated connection drop")


class SimulatedTransport(httpx.AsyncBaseTransport):
    def __init__(self, service: SimService | None = None):
        self.service = service or SimService(
            latency_scale=DEFAULT_LATENCY_SCALE, chunk_tokens=DEFAULT_CHUNK_TOKENS
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        reply = self.service.handle(
            request.method, request.url.path, body, request.headers.get("x-tamma-task", "")
        )
        if reply.timeline is None and reply.delay_s > 0:
            await asyncio.sleep(reply.delay_s)  # a whole body comes after the full latency
        return httpx.Response(reply.status, headers=list(reply.headers), stream=_ReplyStream(reply))

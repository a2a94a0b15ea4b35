"""``HttpSender`` over an httpx transport: TLS, proxies, or a transport a test passes in."""

from __future__ import annotations

import httpx

from .base import ReadsToEnd


def _skip_sniffio_probe() -> None:
    """httpcore tries ``import sniffio`` on every lock set-up; when sniffio is absent each
    failed import scans sys.path (~0.1 ms, many times per request). Marking the module as
    missing in sys.modules makes that ImportError instant, with the same meaning."""
    import importlib.util
    import sys

    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_skip_sniffio_probe()


def timeout_extension(timeout_s: float) -> dict[str, float]:
    """httpx's per-request timeout extension: connect at most 10 s, the rest timeout_s."""
    return {"connect": min(10.0, timeout_s), "read": timeout_s, "write": timeout_s, "pool": timeout_s}


class _HttpxResponse(ReadsToEnd):
    __slots__ = ("_response", "_chunks", "status")

    def __init__(self, response: httpx.Response):
        self._response = response
        self._chunks = response.stream.__aiter__()
        self.status = response.status_code

    @property
    def headers(self) -> httpx.Headers:
        return self._response.headers

    async def read_chunk(self) -> bytes:
        while True:
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                return b""
            if chunk:
                return chunk

    async def aclose(self) -> None:
        await self._response.aclose()


class HttpxSender:
    """``HttpSender`` over an httpx transport: TLS, proxies, or one a test passes in.
    Read/write/pool timeouts are the config's ``timeout_s``; connecting at most 10 s."""

    def __init__(self, url: str, transport: httpx.AsyncBaseTransport, timeout_s: float):
        self._url = httpx.URL(url)
        self._host = (b"Host", self._url.netloc)
        self._transport = transport
        self._extensions = {"timeout": timeout_extension(timeout_s)}

    async def post(self, headers: list[tuple[bytes, bytes]], body: bytes) -> _HttpxResponse:
        # Straight to the transport: AsyncClient.send would add URL merging, cookie
        # extraction and text decoding for nothing. Given ``stream=``, httpx skips its
        # default-header pass, so Host and Content-Length are set here.
        request = httpx.Request(
            "POST", self._url,
            headers=httpx.Headers([self._host, *headers, (b"Content-Length", str(len(body)).encode())]),
            stream=httpx.ByteStream(body), extensions=self._extensions,
        )
        return _HttpxResponse(await self._transport.handle_async_request(request))

    async def aclose(self) -> None:
        await self._transport.aclose()

"""The sender protocol every HTTP back end talks through, and what responses share."""

from __future__ import annotations

from typing import Mapping, Protocol


class HttpResponse(Protocol):
    """What a provider reads from a response, whichever client fetched it."""

    status: int

    @property
    def headers(self) -> Mapping[str, str]: ...  # looked up by lower-case name

    async def read_chunk(self) -> bytes: ...  # the next piece of the body; b"" at the end

    async def read_all(self) -> bytes: ...

    async def aclose(self) -> None: ...


class HttpSender(Protocol):
    """POSTs to one URL over a pooled client; Host and Content-Length are added."""

    async def post(self, headers: list[tuple[bytes, bytes]], body: bytes) -> HttpResponse: ...

    async def aclose(self) -> None: ...


class ReadsToEnd:
    """``read_all`` for any response with ``read_chunk``."""

    __slots__ = ()

    async def read_all(self) -> bytes:
        parts = []
        while chunk := await self.read_chunk():  # type: ignore[attr-defined]
            parts.append(chunk)
        return b"".join(parts)


def decompress(body: bytes, encoding: str | None) -> bytes:
    """We ask for identity encoding; undo gzip/deflate anyway if a server insists."""
    if not encoding or encoding == "identity":
        return body
    import zlib

    if encoding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    raise ValueError(f"unsupported content-encoding {encoding!r}")

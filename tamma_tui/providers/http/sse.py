"""Server-sent events: split a byte stream into its ``data:`` payloads."""

from __future__ import annotations


class SseData:
    """Splits a server-sent-events byte stream into the payloads of its ``data:`` lines
    (blank separators, comments and ``event:`` lines are dropped)."""

    __slots__ = ("_pending",)

    def __init__(self) -> None:
        self._pending = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        if self._pending:
            chunk = self._pending + chunk
        lines = chunk.split(b"\n")
        self._pending = lines.pop()
        return [line[5:].strip() for line in lines if line.startswith(b"data:")]

    @property
    def cut_short(self) -> bool:
        """True when the stream stopped in the middle of a line."""
        return bool(self._pending.strip())


def unwrap_sse_body(body: bytes) -> bytes:
    """A whole body framed as SSE (``event: error\\ndata: {...}``), as some gateways send
    their errors, reduced to its first ``data:`` payload; any other body unchanged."""
    head = body.lstrip()[:6]
    if not (head.startswith(b"data:") or head.startswith(b"event:") or head.startswith(b":")):
        return body
    for line in body.splitlines():
        if line.startswith(b"data:"):
            return line[5:].strip()
    return body

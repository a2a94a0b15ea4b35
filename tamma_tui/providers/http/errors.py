"""HTTP failures -> ProviderError: statuses, transport exceptions, malformed bodies.

Every message is redacted and short; the server's own error text is kept (unwrapped
from JSON, or from an SSE ``data:`` frame when a gateway streams its error).
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Mapping

import httpx

from ..base import (
    BAD_RESPONSE,
    CLIENT_ERROR,
    CONNECTION,
    RATE_LIMITED,
    SERVER_ERROR,
    TIMEOUT,
    ProviderError,
)
from ..keys import redact
from .base import HttpResponse, HttpSender
from .sse import unwrap_sse_body

_MAX_DETAIL = 200


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds: a number of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(when.timestamp() - now, 0.0)


def _error_detail(body: bytes) -> str:
    """The server's own error message, short; the body is otherwise not echoed."""
    body = unwrap_sse_body(body) if body else body
    if not body:
        return ""
    try:
        data = json.loads(body)
    except ValueError:
        # Cut generously here (a key split by this cut is still longer than the final
        # cut below), redact, and only then cut to size.
        return body[:_MAX_DETAIL * 4].decode("utf-8", "replace").strip()
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("type") or ""
        else:
            msg = err
        return str(msg)
    return ""


def error_for_status(
    status: int, headers: Mapping[str, str], body: bytes, *, where: str, secret: str | None
) -> ProviderError:
    detail = redact(_error_detail(body), secret, _MAX_DETAIL)
    message = f"{where}: HTTP {status}" + (f": {detail}" if detail else "")
    if status == 429:
        return ProviderError(
            RATE_LIMITED, message, status=status, retry_after=parse_retry_after(headers.get("retry-after"))
        )
    if status >= 500:
        retry_after = parse_retry_after(headers.get("retry-after"))
        return ProviderError(SERVER_ERROR, message, status=status, retry_after=retry_after)
    return ProviderError(CLIENT_ERROR, message, status=status)


async def post_checked(
    sender: HttpSender, headers: list[tuple[bytes, bytes]], body: bytes, *, where: str, secret: str | None
) -> HttpResponse:
    """POST; an HTTP error status becomes its ProviderError (body read for the server's
    message, connection released). The caller reads a successful response and closes it."""
    response = await sender.post(headers, body)
    if response.status >= 400:
        try:
            raise error_for_status(response.status, response.headers, await response.read_all(),
                                   where=where, secret=secret)
        finally:
            await response.aclose()
    return response


def error_for_exception(exc: BaseException, *, where: str, secret: str | None) -> ProviderError:
    """httpx / asyncio failures -> ProviderError. The message names the exception type
    and its own short text only (never the request's headers)."""
    detail = redact(str(exc), secret, _MAX_DETAIL)
    name = type(exc).__name__
    message = f"{where}: {name}" + (f": {detail}" if detail else "")
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return ProviderError(TIMEOUT, message)
    if isinstance(exc, httpx.DecodingError):
        return ProviderError(BAD_RESPONSE, message)
    if isinstance(exc, (httpx.TransportError, OSError)):
        return ProviderError(CONNECTION, message)
    return ProviderError(BAD_RESPONSE, message)


def unexpected_error(exc: BaseException, *, where: str, secret: str | None) -> ProviderError:
    detail = redact(str(exc), secret, _MAX_DETAIL)
    return ProviderError(BAD_RESPONSE, f"{where}: unexpected {type(exc).__name__}" + (f": {detail}" if detail else ""))


class as_provider_errors:  # noqa: N801 - used like the function it replaced: ``with as_provider_errors(...)``
    """Every failure inside becomes a ProviderError with the secret redacted (the contract).
    A class, not @contextmanager: it runs once per trial and a generator costs more."""

    __slots__ = ("secret", "where")

    def __init__(self, *, where: str, secret: str | None):
        self.where = where
        self.secret = secret

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is None or isinstance(exc, ProviderError) or not isinstance(exc, Exception):
            return False  # success, already mapped, or cancellation / interrupt
        if isinstance(exc, (httpx.HTTPError, OSError, TimeoutError)):
            # ``from None``: httpx exceptions carry the request (and its headers).
            raise error_for_exception(exc, where=self.where, secret=self.secret) from None
        raise unexpected_error(exc, where=self.where, secret=self.secret) from None


def bad_response(where: str, reason: str) -> ProviderError:
    return ProviderError(BAD_RESPONSE, f"{where}: {reason}")

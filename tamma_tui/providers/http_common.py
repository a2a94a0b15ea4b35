"""What the HTTP back ends share: the client, the API key, error mapping, redaction."""

from __future__ import annotations

import email.utils
import json
import os
import re
import time
from typing import Mapping, Protocol
from urllib.parse import urlsplit

import httpx

from .base import (
    BAD_RESPONSE,
    CLIENT_ERROR,
    CONFIG_ERROR,
    CONNECTION,
    RATE_LIMITED,
    SERVER_ERROR,
    TIMEOUT,
    ProviderError,
)

# Anything shaped like a secret token (sk-..., key-..., Bearer ...) is masked in messages.
_SECRETISH = re.compile(r"(?i)\b(bearer\s+\S+|(?:sk|key|api)[-_][A-Za-z0-9_\-*.]{6,})")
_MAX_DETAIL = 200


def _skip_sniffio_probe() -> None:
    """httpcore tries ``import sniffio`` on every lock set-up; when sniffio is absent each
    failed import scans sys.path (~0.1 ms, many times per request). Marking the module as
    missing in sys.modules makes that ImportError instant, with the same meaning."""
    import importlib.util
    import sys

    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_skip_sniffio_probe()


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


def make_sender(
    url: str,
    timeout_s: float,
    max_connections: int,
    transport: httpx.AsyncBaseTransport | None = None,
) -> HttpSender:
    """The pooled sender for one provider endpoint.

    Plain ``http://`` without a proxy (local model servers, the sim-server) gets the lean
    keep-alive client; everything else an httpx transport (TLS, proxies from the
    environment), unless ``transport`` is given.
    """
    if transport is None:
        parts = urlsplit(url)
        proxy = _env_proxy(parts.scheme, parts.hostname or "")
        if parts.scheme == "http" and proxy is None:
            from .fast_http import FastHTTPClient

            return FastHTTPClient(url, max_connections, connect_timeout_s=min(10.0, timeout_s))
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        transport = httpx.AsyncHTTPTransport(limits=limits, proxy=proxy)
    return HttpxSender(url, transport, timeout_s)


def _env_proxy(scheme: str, host: str) -> str | None:
    import urllib.request

    proxies = urllib.request.getproxies()
    url = proxies.get(scheme) or proxies.get("all")
    if not url or (host and urllib.request.proxy_bypass(host)):
        return None
    return url


def timeout_extension(timeout_s: float) -> dict[str, float]:
    """httpx's per-request timeout extension: connect at most 10 s, the rest timeout_s."""
    return {"connect": min(10.0, timeout_s), "read": timeout_s, "write": timeout_s, "pool": timeout_s}


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


def read_api_key(env_name: str | None) -> str | None:
    """The key, read at call time; a named but unset variable is a config error."""
    if not env_name:
        return None
    key = os.environ.get(env_name)
    if not key:
        raise ProviderError(CONFIG_ERROR, f"environment variable {env_name} is not set")
    return key


_SECRET_NAME = re.compile(r"(?i)(key|token|secret|passw(or)?d|credential|auth)")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
_MIN_SECRET_LEN = 8  # shorter values ("1", "true") would redact ordinary words


def known_secrets() -> list[str]:
    """Every value in this process's environment whose variable name says it is a secret
    (…KEY, …TOKEN, …SECRET, …PASSWORD…), longest first so a key that contains another is
    replaced whole. Read at call time: keys set later are covered too."""
    found = {value for name, value in os.environ.items()
             if _SECRET_NAME.search(name) and len(value) >= _MIN_SECRET_LEN}
    return sorted(found, key=len, reverse=True)


def strip_url_credentials(text: str) -> str:
    """``https://user:pass@host`` -> ``https://host`` wherever it occurs in `text`."""
    return _URL_USERINFO.sub(r"\1", text)


def redact(text: str, secret: str | None = None, limit: int | None = None) -> str:
    """`text` with `secret`, every key the process knows, key-shaped tokens and URL
    credentials removed, then cut to `limit` characters. Redact first: a cut through a key
    would otherwise leave its head in place."""
    for value in ([secret] if secret else []) + known_secrets():
        text = text.replace(value, "[redacted]")
    text = _SECRETISH.sub("[redacted]", strip_url_credentials(text))
    return text if limit is None else text[:limit]


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


def bad_response(where: str, reason: str) -> ProviderError:
    return ProviderError(BAD_RESPONSE, f"{where}: {reason}")


def estimate_tokens(text: str) -> int:
    return -(-len(text) // 4)

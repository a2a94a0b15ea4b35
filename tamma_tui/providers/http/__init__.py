"""HTTP plumbing for the HTTP back ends, in the shape of httpx's transports.

- ``base``: the ``HttpSender`` / ``HttpResponse`` protocols the providers talk to
- ``httpx_sender``: a sender over an httpx transport (TLS, proxies, test transports)
- ``keepalive``: the lean keep-alive HTTP/1.1 client for plain ``http://`` servers
- ``errors``: statuses and exceptions -> ``ProviderError``
- ``sse``: server-sent-event parsing

``make_sender`` picks the sender for an endpoint. Nothing here imports a provider, and
nothing in ``providers/`` that does no HTTP imports this package.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from .base import HttpResponse, HttpSender, ReadsToEnd, decompress
from .errors import (
    as_provider_errors,
    bad_response,
    error_for_exception,
    error_for_status,
    parse_retry_after,
    post_checked,
    unexpected_error,
)
from .httpx_sender import HttpxSender, timeout_extension
from .sse import SseData, unwrap_sse_body

__all__ = [
    "HttpResponse", "HttpSender", "HttpxSender", "ReadsToEnd", "SseData", "as_provider_errors",
    "bad_response", "decompress", "error_for_exception", "error_for_status", "make_sender",
    "parse_retry_after", "post_checked", "timeout_extension", "unexpected_error", "unwrap_sse_body",
]


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
            from .keepalive import FastHTTPClient

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

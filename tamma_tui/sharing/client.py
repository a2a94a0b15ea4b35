"""Transport: POST a freshly sealed envelope, with retries, checking the gate before each
attempt (consent can be revoked or the kill switch thrown between two retries)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx

from tamma_tui.errors import OperationFailed

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: A CA bundle to trust for the platform's certificate (a company CA, a test server).
ENV_CA_FILE = "TAMMA_BENCH_SHARE_CA"


def _client(url: str, timeout_s: float, **kwargs) -> httpx.Client:
    import os
    import ssl

    ca_file = os.environ.get(ENV_CA_FILE)
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_file) if ca_file else True
    return httpx.Client(timeout=timeout_s, verify=verify, trust_env=_use_environment(url), **kwargs)


def _use_environment(url: str) -> bool:
    """Proxies and CA settings from the environment apply to the platform, never to a
    local share-server on a loopback address."""
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


@dataclass
class SendResult:
    status: int
    body: dict[str, Any]
    attempts: int
    retries: list[str] = field(default_factory=list)


def post_envelope(url: str, seal: Callable[[], dict[str, Any]], gate: Callable[[], None], *,
                  attempts: int = 3, backoff_s: float = 0.25, timeout_s: float = 10.0) -> SendResult:
    """``gate()`` raises to stop; ``seal()`` signs a new envelope (new id, new send time)."""
    notes: list[str] = []
    with _client(url, timeout_s, follow_redirects=False) as client:
        for attempt in range(1, attempts + 1):
            gate()
            try:
                response = client.post(url, json=seal())
            except httpx.TransportError as exc:
                notes.append(f"attempt {attempt}: {type(exc).__name__}")
                if attempt == attempts:
                    raise OperationFailed(f"{url}: no answer after {attempts} attempts "
                                          f"({'; '.join(notes)})") from None
                time.sleep(backoff_s * 2 ** (attempt - 1))
                continue
            body = _json(response)
            if response.status_code in RETRY_STATUSES and attempt < attempts:
                notes.append(f"attempt {attempt}: HTTP {response.status_code}")
                delay = _retry_after(response) or backoff_s * 2 ** (attempt - 1)
                time.sleep(min(delay, 5.0))
                continue
            if response.status_code >= 400:
                reason = str(body.get("error") or response.reason_phrase)[:300]
                kind = "refused the envelope" if response.status_code < 500 else "failed"
                raise OperationFailed(f"{url}: server {kind}: HTTP {response.status_code}: {reason}")
            return SendResult(response.status_code, body, attempt, notes)
    raise AssertionError("unreachable")  # pragma: no cover


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("retry-after", ""))
    except ValueError:
        return None


def get_json(url: str, params: dict[str, str], timeout_s: float = 10.0) -> dict[str, Any]:
    with _client(url, timeout_s) as client:
        try:
            response = client.get(url, params=params)
        except httpx.TransportError as exc:
            raise OperationFailed(f"{url}: no answer ({type(exc).__name__})") from None
    body = _json(response)
    if response.status_code >= 400:
        raise OperationFailed(f"{url}: HTTP {response.status_code}: {str(body.get('error', ''))[:300]}")
    return body

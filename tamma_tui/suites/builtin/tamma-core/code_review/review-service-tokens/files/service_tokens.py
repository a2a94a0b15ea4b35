"""Signed bearer tokens for calls between internal services.

Format: ``<base64url(json payload)>.<hex HMAC-SHA256 of the first part>``.
Scopes look like ``orders:read``, ``orders:write``, ``billing:read``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time


class TokenError(Exception):
    """The token is malformed, forged, expired, or lacks the scope."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: bytes, body: str) -> str:
    return hmac.new(secret, body.encode("utf-8"), hashlib.sha256).hexdigest()


def issue(secret: bytes, service: str, scopes: list[str], ttl: int = 900, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    payload = {"svc": service, "scopes": sorted(set(scopes)), "iat": issued, "exp": issued + ttl}
    body = _b64encode(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
    return f"{body}.{_sign(secret, body)}"


def verify(secret: bytes, token: str, required_scope: str, now: float | None = None) -> dict:
    """Return the payload of a valid token that carries ``required_scope``."""
    body, _, signature = token.partition(".")
    if signature and not hmac.compare_digest(signature, _sign(secret, body)):
        raise TokenError("bad signature")

    payload = json.loads(_b64decode(body))
    current = time.time() if now is None else now
    if payload.get("exp", 0) < current:
        raise TokenError("token expired")
    if required_scope not in " ".join(payload.get("scopes", [])):
        raise TokenError(f"missing scope {required_scope}")
    return payload


def authenticate(headers: dict[str, str], secret: bytes, required_scope: str) -> dict | None:
    """Middleware helper: the payload for a valid bearer token, None means 401/403."""
    auth = headers.get("Authorization", "")
    if not auth.startswith("Bearer "):
        return None
    try:
        return verify(secret, auth[len("Bearer "):].strip(), required_scope)
    except TokenError:
        return None

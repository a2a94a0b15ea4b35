"""Inline secrets are refused: Tamma names a variable (``apiKeyRef``), never a raw key.

A value refused: a key-like string (sk-..., a bearer token) anywhere, a string under a key
named like a credential (apiKey, token, password, secret, authorization), or a URL with
``user:pass@``.
"""

from __future__ import annotations

import re
from typing import Any

from tamma_tui.errors import BadInput

_CREDENTIAL_KEY = re.compile(r"^(api[_-]?key|apikey|token|access[_-]?token|secret|password|passwd|authorization|bearer)$", re.I)
_KEY_VALUE = re.compile(r"(^|\s)(sk-[A-Za-z0-9_-]{8,}|Bearer\s+\S{8,})")
_URL_USERINFO = re.compile(r"^[a-z][a-z0-9+.-]*://[^/\s@]+:[^/\s@]*@", re.I)


def find_inline_secret(value: Any, path: str = "") -> tuple[str, str] | None:
    """(field path, what) of the first inline secret, or None."""
    if isinstance(value, dict):
        for key, item in value.items():
            at = f"{path}.{key}" if path else str(key)
            if isinstance(item, str) and item and _CREDENTIAL_KEY.match(str(key)):
                return at, "an inline credential (name an environment variable with apiKeyRef instead)"
            found = find_inline_secret(item, at)
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = find_inline_secret(item, f"{path}[{i}]")
            if found:
                return found
    elif isinstance(value, str):
        if _URL_USERINFO.match(value):
            return path, "a URL with user:password@ (credentials belong in environment variables)"
        if _KEY_VALUE.search(value):
            return path, "a raw API key or token (name an environment variable with apiKeyRef instead)"
    return None


def refuse_inline_secrets(doc: Any, where: str) -> None:
    found = find_inline_secret(doc)
    if found:
        raise BadInput(f"refused: holds {found[1]}", file=where, field=found[0])

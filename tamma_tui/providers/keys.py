"""API keys: read from the environment at call time, and masked in every message."""

from __future__ import annotations

import os
import re

from .base import CONFIG_ERROR, ProviderError

# Anything shaped like a secret token (sk-..., key-..., Bearer ...) is masked in messages.
_SECRETISH = re.compile(r"(?i)\b(bearer\s+\S+|(?:sk|key|api)[-_][A-Za-z0-9_\-*.]{6,})")


def read_api_key(env_name: str | None) -> str | None:
    """The key, read at call time; a named but unset variable is a config error."""
    if not env_name:
        return None
    key = os.environ.get(env_name)
    if not key:
        raise ProviderError(CONFIG_ERROR, f"environment variable {env_name} is not set")
    return key


def redact(text: str, secret: str | None = None) -> str:
    if secret:
        text = text.replace(secret, "[redacted]")
    return _SECRETISH.sub("[redacted]", text)

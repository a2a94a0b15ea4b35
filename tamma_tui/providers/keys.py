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

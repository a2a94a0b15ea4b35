"""Keyed pseudonyms for configs: HMAC-SHA256(install secret, "config\\0" + canonical config).

A plain hash of a config could be confirmed by anyone holding a guess of it (lm-eval's
unkeyed hash problem); the keyed one can only be recomputed on this install.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from typing import Any

from .paths import sharing_dir, write_private
from .wire import canonical_json

SECRET_NAME = "install-secret"
SECRET_BYTES = 32
PSEUDONYM_BYTES = 16  # 128 bits


def install_secret() -> bytes:
    path = sharing_dir() / SECRET_NAME
    if path.exists():
        data = path.read_bytes()
        if len(data) == SECRET_BYTES:
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
            return data
    data = secrets.token_bytes(SECRET_BYTES)
    write_private(path, data)
    return data


def config_pseudonym(canonical_config: dict[str, Any], secret: bytes | None = None) -> str:
    key = secret if secret is not None else install_secret()
    mac = hmac.new(key, b"config\x00" + canonical_json(canonical_config), hashlib.sha256)
    return mac.digest()[:PSEUDONYM_BYTES].hex()

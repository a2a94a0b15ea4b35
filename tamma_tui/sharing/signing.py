"""The per-install Ed25519 key and the signed envelope ``{payload, key_id, public_key, sig}``.

The payload carries a UUIDv4 ``envelope_id`` and its own ``sent_at`` (seconds, UTC): the
server uses them to refuse replays and stale or future envelopes. They describe the
sending, never the run, whose dates stay at day precision inside the bundle.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timezone
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from .paths import sharing_dir, write_private
from .wire import signing_input

KEY_NAME = "signing-key.json"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class InstallKey:
    def __init__(self, key_id: str, private: Ed25519PrivateKey):
        self.key_id = key_id
        self._private = private

    @property
    def public_key(self) -> str:
        raw = self._private.public_key().public_bytes(serialization.Encoding.Raw,
                                                      serialization.PublicFormat.Raw)
        return _b64(raw)

    def seal(self, body: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any]:
        """Sign ``body`` plus a fresh envelope id and send time."""
        sent = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        payload = dict(body)
        payload["envelope_id"] = str(uuid.uuid4())
        payload["sent_at"] = sent.replace(microsecond=0).isoformat().replace("+00:00", "Z")
        sig = self._private.sign(signing_input(payload))
        return {"payload": payload, "key_id": self.key_id, "public_key": self.public_key,
                "sig": _b64(sig)}


def install_key() -> InstallKey:
    """Load this install's signing key, creating it (0600) on first use."""
    path = sharing_dir() / KEY_NAME
    if path.exists():
        data = json.loads(path.read_text("utf-8"))
        private = Ed25519PrivateKey.from_private_bytes(b64decode(data["private_key"]))
        return InstallKey(data["key_id"], private)
    private = Ed25519PrivateKey.generate()
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    # A random id, not derived from the key: the server pins id -> key, so a second key
    # presented under the same id is a substitution, caught by the pin.
    key_id = uuid.uuid4().hex
    write_private(path, json.dumps({"key_id": key_id, "private_key": _b64(raw)}).encode())
    return InstallKey(key_id, private)

"""Envelope checks, in order: shape, signature, key pin, clock window, replay."""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from tamma_tui.sharing.wire import ENVELOPE_KEYS, KIND_BUNDLE, KIND_DELETION, signing_input

MAX_AGE = timedelta(days=7)
MAX_FUTURE = timedelta(minutes=5)
_KEY_ID = re.compile(r"^[0-9a-f]{32}$")


class Rejected(Exception):
    def __init__(self, status: int, code: str, reason: str):
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason


@dataclass(frozen=True)
class Verified:
    key_id: str
    public_key: str
    envelope_id: str
    sent_at: datetime
    kind: str
    payload: dict[str, Any]


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify(envelope: Any, *, pinned_key, envelope_seen, now: datetime) -> Verified:
    if not isinstance(envelope, dict) or set(envelope) != set(ENVELOPE_KEYS):
        raise Rejected(400, "shape", f"an envelope has exactly the keys {', '.join(ENVELOPE_KEYS)}")
    payload, key_id, public_key, sig = (envelope[k] for k in ENVELOPE_KEYS)
    if not isinstance(payload, dict) or not all(isinstance(v, str) for v in (key_id, public_key, sig)):
        raise Rejected(400, "shape", "payload must be an object; key_id, public_key, sig strings")
    if not _KEY_ID.match(key_id):
        raise Rejected(400, "shape", "key_id must be 32 lower-case hex digits")
    try:
        key = Ed25519PublicKey.from_public_bytes(_b64(public_key))
        key.verify(_b64(sig), signing_input(payload))
    except (InvalidSignature, ValueError, TypeError):
        raise Rejected(401, "signature", "the signature does not verify") from None
    pinned = pinned_key(key_id)
    if pinned is not None and pinned != public_key:
        raise Rejected(403, "key_substitution", "key_id is pinned to a different public key")
    try:
        envelope_id = str(uuid.UUID(str(payload.get("envelope_id"))))
        if uuid.UUID(envelope_id).version != 4:
            raise ValueError
        sent_at = datetime.fromisoformat(str(payload.get("sent_at")).replace("Z", "+00:00"))
        if sent_at.tzinfo is None:
            raise ValueError
    except ValueError:
        raise Rejected(400, "shape", "envelope_id must be a UUIDv4 and sent_at a UTC time") from None
    if sent_at > now + MAX_FUTURE:
        raise Rejected(400, "future", "sent_at is more than 5 minutes in the future")
    if sent_at < now - MAX_AGE:
        raise Rejected(400, "stale", "sent_at is more than 7 days old")
    if envelope_seen(envelope_id):
        raise Rejected(409, "replay", "this envelope was already received")
    kind = payload.get("kind")
    if kind not in (KIND_BUNDLE, KIND_DELETION):
        raise Rejected(400, "shape", f"kind must be {KIND_BUNDLE!r} or {KIND_DELETION!r}")
    return Verified(key_id, public_key, envelope_id, sent_at.astimezone(timezone.utc), kind, payload)

"""Signed delivery-status webhooks between the messaging gateway and the app.

The gateway POSTs JSON like {"events": [{"message_id": "m-1", "status": "delivered",
"at": 1710236400}]} with two headers: X-Hook-Timestamp (unix seconds) and
X-Hook-Signature. Requests older than MAX_AGE_S are refused to stop replays. If the
receiver answers anything but 2xx, the gateway retries the delivery for 24 hours.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time

log = logging.getLogger(__name__)

MAX_AGE_S = 300


def _secret() -> bytes:
    return os.environ["HOOK_SIGNING_SECRET"].encode("utf-8")


def _digest(body: bytes) -> str:
    return hashlib.sha256(_secret() + body).hexdigest()


def signed_headers(body: bytes, now: float | None = None) -> dict[str, str]:
    """Headers the gateway attaches to an outgoing webhook."""
    timestamp = int(time.time() if now is None else now)
    return {"X-Hook-Timestamp": str(timestamp), "X-Hook-Signature": _digest(body)}


def verify(headers: dict[str, str], body: bytes, now: float | None = None) -> bool:
    try:
        sent_at = int(headers.get("X-Hook-Timestamp", ""))
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > MAX_AGE_S:
        return False
    return _digest(body) == headers.get("X-Hook-Signature", "")


def handle_delivery_webhook(headers: dict[str, str], body: bytes, store) -> int:
    """Receiver endpoint; returns the HTTP status code."""
    if not verify(headers, body):
        return 401
    try:
        events = json.loads(body)["events"]
        for event in events:
            store.set_status(event["message_id"], event["status"], event["at"])
    except Exception:
        log.exception("could not process delivery webhook")
    return 200

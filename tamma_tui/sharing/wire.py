"""The wire format both sides agree on: canonical JSON and the signed envelope's shape.

Standard library only: the share-server imports this and nothing else from the client.
"""

from __future__ import annotations

import json
from typing import Any

#: Bumped when the bundle's allowed fields or their meaning change.
BUNDLE_SCHEMA = "tamma-bench/bundle/v1"
#: Domain separation: a signature over a bundle can never be replayed as something else.
SIGNING_DOMAIN = b"tamma-bench/share/envelope/v1\x00"
ENVELOPE_KEYS = ("payload", "key_id", "public_key", "sig")
KIND_BUNDLE = "bundle"
KIND_DELETION = "deletion"

#: 20 equal pass-rate bins over [0, 1]; the last bin is closed on the right.
HISTOGRAM_BINS = 20


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def signing_input(payload: dict[str, Any]) -> bytes:
    return SIGNING_DOMAIN + canonical_json(payload)


def bin_index(rate: float, bins: int = HISTOGRAM_BINS) -> int:
    """The histogram bin of a pass rate (clamped into [0, 1])."""
    rate = min(max(float(rate), 0.0), 1.0)
    return min(int(rate * bins), bins - 1)

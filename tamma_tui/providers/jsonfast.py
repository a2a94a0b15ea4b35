"""JSON on the per-request paths: orjson when it is installed, else the standard library.

Why: every trial serialises a request body and parses a few response chunks, on one event
loop, thousands of times a second; orjson does each in well under a microsecond where
``json`` takes 3-4 (docs/benchmarks.md). Both back ends give the same compact UTF-8
bytes (no ASCII escaping), take bytes or str, and raise ``ValueError`` on malformed input
and ``TypeError`` on values JSON cannot hold.
"""

from __future__ import annotations

import json
from typing import Any, Callable

try:  # optional at run time, like uvloop: CPython wheels only
    import orjson
except ImportError:  # pragma: no cover - exercised by forcing the fallback in tests
    orjson = None

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _stdlib_dumps(obj: Any) -> bytes:
    return _encode(obj).encode()


stdlib_loads: Callable[[bytes | str], Any] = json.loads

dumps: Callable[[Any], bytes] = orjson.dumps if orjson is not None else _stdlib_dumps
loads: Callable[[bytes | str], Any] = orjson.loads if orjson is not None else stdlib_loads
BACKEND = "orjson" if orjson is not None else "json"

"""Exchange-rate lookups with a small in-process TTL cache.

Rates come from the treasury service and may be served for up to five minutes. The
checkout calls ``convert()`` several times per request, so a cache miss costs latency.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from decimal import Decimal
from typing import Callable, Hashable

_MISSING = object()


class TTLCache:
    """LRU cache whose entries expire ``ttl`` seconds after they were stored."""

    def __init__(self, max_entries: int = 1024, ttl: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock
        self._data: OrderedDict[Hashable, tuple[float, object]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: object = None) -> object:
        with self._lock:
            item = self._data.get(key)
            if item is None:
                return default
            stored_at, value = item
            if stored_at + self.ttl > self._clock():
                del self._data[key]
                return default
            self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
            elif len(self._data) >= self.max_entries:
                self._data.popitem(last=True)
            self._data[key] = (self._clock(), value)

    def get_or_load(self, key: Hashable, loader: Callable[[Hashable], object]) -> object:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            value = loader(key)
            self.put(key, value)
        return value


_cache = TTLCache(max_entries=256, ttl=300.0)


def _fetch_rate(client, pair: tuple[str, str]) -> Decimal:
    base, quote = pair
    try:
        response = client.get(f"/v1/rates/{base}/{quote}", timeout=2.0)
        response.raise_for_status()
        return Decimal(str(response.json()["rate"]))
    except Exception:
        return Decimal("1")


def convert(client, amount: Decimal, base: str, quote: str) -> Decimal:
    """Convert ``amount`` from ``base`` to ``quote`` currency, rounded to cents."""
    if base == quote:
        return amount
    rate = _cache.get_or_load((base, quote), lambda pair: _fetch_rate(client, pair))
    return (amount * rate).quantize(Decimal("0.01"))

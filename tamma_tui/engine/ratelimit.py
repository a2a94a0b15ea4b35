"""Token buckets for requests per minute and tokens per minute.

Tokens are not known before a call, so the engine takes an estimate from the prompt length
up front and settles the difference once the provider reports usage. A bucket may go into
debt (a request larger than the bucket, or an under-estimate): later callers then wait it off.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from tamma_tui.providers.tokens import tokens_for_chars

# The one estimate (providers/tokens.py), counted from a number of characters.
estimate_tokens = tokens_for_chars


class TokenBucket:
    """Refills continuously at ``per_minute / 60`` per second up to ``capacity``.

    Capacity defaults to one second's worth so the rate is smooth rather than a burst of a
    whole minute's allowance at start-up.
    """

    def __init__(
        self,
        per_minute: float,
        *,
        capacity: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, capacity if capacity is not None else self.rate)
        self._clock = clock
        self._level = self.capacity
        self._stamp = clock()
        self._lock = asyncio.Lock()  # first come, first served

    def _refill(self) -> None:
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
        self._stamp = now

    def wait_time(self, amount: float) -> float:
        """Seconds until ``amount`` may be taken (0 if now). A request bigger than the
        bucket waits for a full bucket and then overdraws it."""
        self._refill()
        need = min(amount, self.capacity)
        return 0.0 if self._level >= need else (need - self._level) / self.rate

    async def acquire(self, amount: float = 1.0) -> None:
        async with self._lock:
            while (delay := self.wait_time(amount)) > 0:
                await asyncio.sleep(delay)
            self._level -= amount

    def settle(self, delta: float) -> None:
        """Charge (positive) or refund (negative) the difference from the estimate."""
        self._refill()
        self._level = min(self.capacity, self._level - delta)


class RateLimiter:
    """Requests-per-minute and tokens-per-minute limits for one provider endpoint."""

    def __init__(
        self,
        requests_per_minute: float | None = None,
        tokens_per_minute: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.requests = TokenBucket(requests_per_minute, clock=clock) if requests_per_minute else None
        self.tokens = TokenBucket(tokens_per_minute, clock=clock) if tokens_per_minute else None

    @property
    def active(self) -> bool:
        return self.requests is not None or self.tokens is not None

    async def acquire(self, estimated_tokens: int) -> None:
        if self.requests is not None:
            await self.requests.acquire(1.0)
        if self.tokens is not None:
            await self.tokens.acquire(float(estimated_tokens))

    def settle(self, estimated_tokens: int, actual_tokens: int) -> None:
        if self.tokens is not None:
            self.tokens.settle(float(actual_tokens - estimated_tokens))

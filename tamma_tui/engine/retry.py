"""Retries with exponential backoff and full jitter, honouring ``Retry-After``.

The provider never retries itself; the engine does, here, and records every attempt so the
trial row can say how hard it was to get an answer.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Awaitable, Callable, TypeVar

from tamma_tui.config.models import RetryPolicy
from tamma_tui.providers.base import TIMEOUT, ProviderError

T = TypeVar("T")


@dataclass
class Attempts:
    """What the retry loop went through for one trial (or one session turn)."""

    count: int = 0
    last_kind: str | None = None
    last_message: str | None = None
    waited_s: float = 0.0


def backoff_delay(attempt: int, policy: RetryPolicy, rng: random.Random, retry_after: float | None) -> float:
    """Delay before attempt ``attempt + 1`` (``attempt`` counts from 1).

    Full jitter (uniform in [0, base * 2^(attempt-1)], capped) spreads retries of many
    concurrent trials; a server's ``Retry-After`` is a floor we never undercut.
    """
    ceiling = min(policy.max_delay_s, policy.base_delay_s * (2 ** (attempt - 1)))
    delay = rng.uniform(0.0, ceiling) if ceiling > 0 else 0.0
    if retry_after is not None and retry_after > delay:
        delay = retry_after
    return delay


async def call_with_retry(
    call: Callable[[float], Awaitable[T]],
    policy: RetryPolicy,
    attempts: Attempts,
    *,
    attempt_timeout_s: float,
    rng: random.Random,
    before_attempt: Callable[[], Awaitable[None]] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run ``call(timeout_s)`` until it succeeds or the policy gives up.

    Each attempt is bounded by ``attempt_timeout_s`` and by what is left of
    ``policy.max_total_s``; ``before_attempt`` (e.g. waiting for the rate limiter) runs
    outside that bound. Raises the last ``ProviderError`` when giving up; non-retryable
    errors are raised at once. ``attempts`` is updated in place (so it is right even when the
    caller is cancelled part-way).
    """
    start = clock()
    while True:
        if before_attempt is not None:
            await before_attempt()
        remaining = policy.max_total_s - (clock() - start)
        timeout = min(attempt_timeout_s, remaining)
        attempts.count += 1
        try:
            try:
                async with asyncio.timeout(timeout):
                    return await call(timeout)
            except TimeoutError:
                raise ProviderError(TIMEOUT, f"no answer within {timeout:.3g} s") from None
        except ProviderError as exc:
            attempts.last_kind = exc.kind
            attempts.last_message = str(exc)
            if not exc.retryable or attempts.count >= policy.max_attempts:
                raise
            delay = backoff_delay(attempts.count, policy, rng, exc.retry_after)
            # Give up rather than sleep past the per-trial total, or wake with no time left.
            if clock() - start + delay >= policy.max_total_s:
                raise
            attempts.waited_s += delay
            await sleep(delay)

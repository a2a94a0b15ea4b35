import asyncio
import random
import time

import pytest

from tamma_tui.config.models import RetryPolicy
from tamma_tui.engine.ratelimit import RateLimiter, TokenBucket
from tamma_tui.engine.retry import Attempts, backoff_delay, call_with_retry
from tamma_tui.providers.base import CLIENT_ERROR, RATE_LIMITED, SERVER_ERROR, TIMEOUT, ProviderError


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self):
        return self.now

    async def sleep(self, s):
        self.sleeps.append(s)
        self.now += s


def failing(n_failures, error):
    calls = {"n": 0}

    async def call(_timeout):
        calls["n"] += 1
        if calls["n"] <= n_failures:
            raise error
        return "ok"

    return call, calls


async def test_retries_until_success_and_records_attempts():
    clock = FakeClock()
    call, calls = failing(2, ProviderError(SERVER_ERROR, "503 from server", status=503))
    att = Attempts()
    out = await call_with_retry(call, RetryPolicy(), att, attempt_timeout_s=5, rng=random.Random(1),
                                sleep=clock.sleep, clock=clock)
    assert out == "ok" and calls["n"] == 3 and att.count == 3
    assert att.last_kind == SERVER_ERROR and "503" in att.last_message
    assert len(clock.sleeps) == 2


async def test_retry_after_is_a_floor_for_the_delay():
    clock = FakeClock()
    call, _ = failing(3, ProviderError(RATE_LIMITED, "429", status=429, retry_after=2.5))
    att = Attempts()
    await call_with_retry(call, RetryPolicy(base_delay_s=0.01), att, attempt_timeout_s=5,
                          rng=random.Random(0), sleep=clock.sleep, clock=clock)
    assert clock.sleeps and all(s >= 2.5 for s in clock.sleeps)


async def test_gives_up_after_max_attempts_with_last_error():
    clock = FakeClock()
    call, calls = failing(99, ProviderError(SERVER_ERROR, "boom"))
    att = Attempts()
    with pytest.raises(ProviderError) as exc:
        await call_with_retry(call, RetryPolicy(max_attempts=4), att, attempt_timeout_s=5,
                              rng=random.Random(0), sleep=clock.sleep, clock=clock)
    assert exc.value.kind == SERVER_ERROR and calls["n"] == 4 and att.count == 4


async def test_gives_up_when_total_time_would_be_exceeded():
    clock = FakeClock()
    call, calls = failing(99, ProviderError(RATE_LIMITED, "slow down", retry_after=50))
    att = Attempts()
    with pytest.raises(ProviderError):
        await call_with_retry(call, RetryPolicy(max_total_s=120), att, attempt_timeout_s=5,
                              rng=random.Random(0), sleep=clock.sleep, clock=clock)
    # 0 -> sleep 50 -> 50 -> sleep 50 -> 100; a third 50 s wait would pass 120 s.
    assert calls["n"] == 3 and sum(clock.sleeps) == 100


async def test_client_errors_are_not_retried():
    call, calls = failing(99, ProviderError(CLIENT_ERROR, "401 unauthorised", status=401))
    with pytest.raises(ProviderError):
        await call_with_retry(call, RetryPolicy(), Attempts(), attempt_timeout_s=5, rng=random.Random(0))
    assert calls["n"] == 1


async def test_slow_attempt_becomes_a_timeout_error():
    async def call(_t):
        await asyncio.sleep(10)

    att = Attempts()
    t0 = time.monotonic()
    with pytest.raises(ProviderError) as exc:
        await call_with_retry(call, RetryPolicy(max_attempts=2, base_delay_s=0), att,
                              attempt_timeout_s=0.05, rng=random.Random(0))
    assert exc.value.kind == TIMEOUT and att.count == 2
    assert time.monotonic() - t0 < 2.0


def test_backoff_is_full_jitter_and_capped():
    policy = RetryPolicy(base_delay_s=1.0, max_delay_s=4.0)
    rng = random.Random(5)
    delays = [backoff_delay(6, policy, rng, None) for _ in range(500)]
    assert max(delays) <= 4.0 and min(delays) >= 0.0
    assert min(delays) < 0.5 and max(delays) > 3.5  # spread over [0, cap]


def test_token_bucket_waits_for_refill_and_accepts_debt():
    clock = FakeClock()
    bucket = TokenBucket(60, clock=clock)  # 1 a second, capacity 1
    assert bucket.wait_time(1) == 0
    bucket._level -= 1
    assert bucket.wait_time(1) == pytest.approx(1.0)
    clock.now += 0.25
    assert bucket.wait_time(1) == pytest.approx(0.75)
    big = TokenBucket(600, clock=clock)  # capacity 10
    big._level -= 25  # an under-estimate settled afterwards: the debt is waited off
    assert big.wait_time(1) == pytest.approx(1.6)  # (1 - (10 - 25)) / 10


async def test_rate_limiter_spaces_requests():
    limiter = RateLimiter(requests_per_minute=600)  # 10/s, burst of 10
    t0 = time.monotonic()
    for _ in range(15):
        await limiter.acquire(10)
    elapsed = time.monotonic() - t0
    assert 0.4 <= elapsed < 3.0  # the 5 past the burst wait ~0.1 s each


async def test_token_limit_settles_to_actual_usage():
    clock = FakeClock()
    limiter = RateLimiter(tokens_per_minute=6000, clock=clock)  # 100 a second
    await limiter.acquire(50)
    limiter.settle(50, 100)  # the call really used 100
    assert limiter.tokens._level == pytest.approx(0.0)
    limiter.settle(100, 10)  # refund
    assert limiter.tokens._level == pytest.approx(90.0)

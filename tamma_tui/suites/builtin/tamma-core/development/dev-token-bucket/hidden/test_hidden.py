import pytest

from solution import TokenBucket


def test_starts_full():
    bucket = TokenBucket(rate=1, capacity=3)
    assert [bucket.allow(0) for _ in range(4)] == [True, True, True, False]


def test_refills_over_time():
    bucket = TokenBucket(rate=2, capacity=2)
    assert bucket.allow(0, cost=2)
    assert not bucket.allow(0.25)
    assert bucket.allow(0.5)


def test_refill_is_capped_at_capacity():
    bucket = TokenBucket(rate=10, capacity=5)
    assert bucket.tokens(100) == pytest.approx(5)


def test_rejected_request_consumes_nothing():
    bucket = TokenBucket(rate=1, capacity=2)
    assert not bucket.allow(0, cost=3)
    assert bucket.tokens(0) == pytest.approx(2)


def test_fractional_tokens():
    bucket = TokenBucket(rate=0.5, capacity=1)
    bucket.allow(0)
    assert bucket.tokens(1) == pytest.approx(0.5)


def test_time_going_backwards_raises():
    bucket = TokenBucket(rate=1, capacity=1)
    bucket.allow(5)
    with pytest.raises(ValueError):
        bucket.allow(4)


def test_invalid_parameters():
    with pytest.raises(ValueError):
        TokenBucket(rate=0, capacity=1)

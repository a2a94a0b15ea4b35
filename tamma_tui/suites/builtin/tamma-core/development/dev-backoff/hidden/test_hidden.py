import pytest

from solution import backoff_delays, retry_after_seconds


def test_exponential_growth():
    assert backoff_delays(0.5, 2, 100, 4) == [0.5, 1.0, 2.0, 4.0]


def test_delays_are_capped():
    assert backoff_delays(1, 3, 10, 4) == [1, 3, 9, 10]


def test_zero_attempts():
    assert backoff_delays(1, 2, 10, 0) == []


def test_negative_attempts_raise():
    with pytest.raises(ValueError):
        backoff_delays(1, 2, 10, -1)


def test_retry_after_integer_with_spaces():
    assert retry_after_seconds(" 7 ", 1.0) == 7


def test_retry_after_missing_or_invalid_uses_default():
    assert retry_after_seconds(None, 2.5) == 2.5
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 2.5) == 2.5


def test_negative_retry_after_is_zero():
    assert retry_after_seconds("-3", 1.0) == 0

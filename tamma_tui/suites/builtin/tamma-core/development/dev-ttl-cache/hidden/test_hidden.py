import pytest

from solution import TTLCache


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_value_is_live_before_expiry():
    clock = FakeClock()
    cache = TTLCache(10, clock=clock)
    cache.set("a", 1)
    clock.now += 9.5
    assert cache.get("a") == 1 and "a" in cache


def test_value_expires_exactly_at_ttl():
    clock = FakeClock()
    cache = TTLCache(10, clock=clock)
    cache.set("a", 1)
    clock.now += 10
    assert cache.get("a", "gone") == "gone"
    assert "a" not in cache


def test_setting_again_restarts_lifetime():
    clock = FakeClock()
    cache = TTLCache(10, clock=clock)
    cache.set("a", 1)
    clock.now += 8
    cache.set("a", 2)
    clock.now += 8
    assert cache.get("a") == 2


def test_len_counts_only_live_entries():
    clock = FakeClock()
    cache = TTLCache(5, clock=clock)
    cache.set("a", 1)
    clock.now += 3
    cache.set("b", 2)
    clock.now += 3
    assert len(cache) == 1


def test_purge_reports_dropped_entries():
    clock = FakeClock()
    cache = TTLCache(5, clock=clock)
    cache.set("a", 1)
    cache.set("b", 2)
    clock.now += 5
    cache.set("c", 3)
    assert cache.purge() == 2
    assert cache.purge() == 0


def test_none_value_is_stored():
    cache = TTLCache(5, clock=FakeClock())
    cache.set("a", None)
    assert "a" in cache and cache.get("a", "missing") is None


def test_invalid_ttl():
    with pytest.raises(ValueError):
        TTLCache(0)

import pytest

from solution import clamp


def test_inside_range_is_unchanged():
    assert clamp(5, 0, 10) == 5


def test_below_range_gives_low():
    assert clamp(-3, 0, 10) == 0


def test_above_range_gives_high():
    assert clamp(42, 0, 10) == 10


def test_equal_bounds():
    assert clamp(7, 3, 3) == 3


def test_floats():
    assert clamp(2.5, 0.5, 1.5) == 1.5


def test_inverted_range_raises_value_error():
    with pytest.raises(ValueError):
        clamp(1, 10, 0)

import pytest

from solution import median


def test_odd_count():
    assert median([3, 1, 2]) == 2


def test_even_count_is_mean_of_middle_values():
    assert median([4, 1, 3, 2]) == 2.5


def test_single_value():
    assert median([7]) == 7


def test_floats():
    assert median([0.5, 0.25]) == pytest.approx(0.375)


def test_input_not_modified():
    data = [3, 1, 2]
    median(data)
    assert data == [3, 1, 2]


def test_empty_raises_value_error():
    with pytest.raises(ValueError):
        median([])

import pytest

from solution import chunked


def test_even_split():
    assert chunked([1, 2, 3, 4], 2) == [[1, 2], [3, 4]]


def test_last_chunk_is_shorter():
    assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]


def test_size_larger_than_list():
    assert chunked([1, 2], 5) == [[1, 2]]


def test_empty_list():
    assert chunked([], 3) == []


def test_input_is_not_modified():
    items = [1, 2, 3]
    chunked(items, 2)
    assert items == [1, 2, 3]


@pytest.mark.parametrize("size", [0, -2])
def test_size_below_one_raises(size):
    with pytest.raises(ValueError):
        chunked([1, 2, 3], size)

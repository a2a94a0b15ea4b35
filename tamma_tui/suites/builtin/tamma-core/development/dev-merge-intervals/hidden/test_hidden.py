import pytest

from solution import merge_intervals


def test_empty():
    assert merge_intervals([]) == []


def test_disjoint_intervals_are_kept_and_sorted():
    assert merge_intervals([(5, 6), (1, 2)]) == [(1, 2), (5, 6)]


def test_overlapping_intervals_merge():
    assert merge_intervals([(1, 4), (2, 6), (8, 9)]) == [(1, 6), (8, 9)]


def test_touching_intervals_merge():
    assert merge_intervals([(1, 3), (3, 5)]) == [(1, 5)]


def test_contained_interval_does_not_shrink_the_union():
    assert merge_intervals([(1, 10), (2, 3)]) == [(1, 10)]


def test_unsorted_input():
    assert merge_intervals([(7, 8), (1, 2), (2, 4)]) == [(1, 4), (7, 8)]


def test_input_not_modified():
    data = [(3, 4), (1, 2)]
    merge_intervals(data)
    assert data == [(3, 4), (1, 2)]


def test_reversed_interval_raises():
    with pytest.raises(ValueError):
        merge_intervals([(1, 2), (5, 3)])

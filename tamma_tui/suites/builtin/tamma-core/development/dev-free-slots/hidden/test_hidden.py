import pytest

from solution import free_slots

DAY = (540, 1020)  # 09:00 to 17:00


def test_empty_calendar():
    assert free_slots([], *DAY) == [(540, 1020)]


def test_one_meeting():
    assert free_slots([(600, 660)], *DAY) == [(540, 600), (660, 1020)]


def test_overlapping_unsorted_meetings():
    busy = [(600, 660), (630, 700), (540, 560)]
    assert free_slots(busy, *DAY) == [(560, 600), (700, 1020)]


def test_meeting_inside_another():
    assert free_slots([(600, 720), (610, 620)], *DAY) == [(540, 600), (720, 1020)]


def test_min_length_is_inclusive():
    busy = [(550, 600), (615, 1000)]
    assert free_slots(busy, *DAY, min_length=15) == [(600, 615), (1000, 1020)]
    assert free_slots(busy, *DAY, min_length=16) == [(1000, 1020)]


def test_meetings_outside_the_day_are_clipped():
    assert free_slots([(480, 560), (1000, 1100)], *DAY) == [(560, 1000)]
    assert free_slots([(1100, 1200)], *DAY) == [(540, 1020)]


def test_fully_booked():
    assert free_slots([(500, 1100)], *DAY) == []


def test_invalid_arguments():
    with pytest.raises(ValueError):
        free_slots([], 600, 500)
    with pytest.raises(ValueError):
        free_slots([(700, 650)], *DAY)

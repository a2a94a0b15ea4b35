from datetime import date

import pytest

from solution import business_days


def test_one_full_week():
    # Monday 2024-03-04 to Monday 2024-03-11 (excluded)
    assert business_days(date(2024, 3, 4), date(2024, 3, 11)) == 5


def test_end_is_excluded():
    assert business_days(date(2024, 3, 4), date(2024, 3, 5)) == 1


def test_same_day_is_zero():
    assert business_days(date(2024, 3, 4), date(2024, 3, 4)) == 0


def test_weekend_only():
    assert business_days(date(2024, 3, 9), date(2024, 3, 11)) == 0


def test_weekday_holiday_is_skipped():
    assert business_days(date(2024, 3, 4), date(2024, 3, 11), [date(2024, 3, 6)]) == 4


def test_weekend_holiday_changes_nothing():
    assert business_days(date(2024, 3, 4), date(2024, 3, 11), [date(2024, 3, 9)]) == 5


def test_end_before_start_raises():
    with pytest.raises(ValueError):
        business_days(date(2024, 3, 5), date(2024, 3, 4))

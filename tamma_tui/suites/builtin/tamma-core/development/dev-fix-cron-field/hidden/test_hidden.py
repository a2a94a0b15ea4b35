import pytest

from solution import parse_cron_field


def test_star_covers_the_range():
    assert parse_cron_field("*", 1, 12) == list(range(1, 13))


def test_star_step_starts_at_low():
    assert parse_cron_field("*/15", 0, 59) == [0, 15, 30, 45]
    assert parse_cron_field("*/5", 1, 12) == [1, 6, 11]


def test_inclusive_range():
    assert parse_cron_field("1-5", 0, 59) == [1, 2, 3, 4, 5]


def test_range_with_step():
    assert parse_cron_field("10-20/5", 0, 59) == [10, 15, 20]


def test_number_with_step_runs_to_high():
    assert parse_cron_field("5/20", 0, 59) == [5, 25, 45]


def test_list_is_sorted_and_distinct():
    assert parse_cron_field("3,1,3,2", 0, 59) == [1, 2, 3]


@pytest.mark.parametrize("field", ["60", "5-1", "*/0", "a", "", "1-", "*/x", "1,,2"])
def test_invalid_fields(field):
    with pytest.raises(ValueError):
        parse_cron_field(field, 0, 59)

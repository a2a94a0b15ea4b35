import pytest

from solution import parse_duration


@pytest.mark.parametrize("text, seconds", [
    ("90s", 90),
    ("15m", 900),
    ("2h", 7200),
    ("1h30m", 5400),
    ("1h2m3s", 3723),
    (" 0s ", 0),
])
def test_valid_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "   ", "10", "5d", "30m1h", "h"])
def test_invalid_durations_raise(text):
    with pytest.raises(ValueError):
        parse_duration(text)

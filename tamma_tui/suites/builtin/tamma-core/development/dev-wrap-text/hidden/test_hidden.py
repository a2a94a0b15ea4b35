import pytest

from solution import wrap_text


def test_fits_on_one_line():
    assert wrap_text("hello world", 11) == ["hello world"]


def test_wraps_greedily():
    assert wrap_text("the quick brown fox jumps", 10) == ["the quick", "brown fox", "jumps"]


def test_whitespace_is_collapsed():
    assert wrap_text("  a \n\t b   c ", 5) == ["a b c"]


def test_long_word_is_split():
    assert wrap_text("abcdefghij xy", 4) == ["abcd", "efgh", "ij", "xy"]


def test_line_exactly_width():
    assert wrap_text("ab cd ef", 5) == ["ab cd", "ef"]


def test_no_words():
    assert wrap_text("   ", 3) == []


def test_width_below_one_raises():
    with pytest.raises(ValueError):
        wrap_text("abc", 0)

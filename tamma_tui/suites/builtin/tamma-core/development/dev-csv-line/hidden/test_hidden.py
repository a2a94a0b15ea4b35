import pytest

from solution import split_csv_line


def test_plain_fields():
    assert split_csv_line("a,b,c") == ["a", "b", "c"]


def test_quoted_comma():
    assert split_csv_line('x,"1,5",y') == ["x", "1,5", "y"]


def test_escaped_quote():
    assert split_csv_line('"say ""hi""",ok') == ['say "hi"', "ok"]


def test_empty_fields_are_kept():
    assert split_csv_line("a,,b,") == ["a", "", "b", ""]


def test_empty_line():
    assert split_csv_line("") == [""]


def test_spaces_are_kept():
    assert split_csv_line(" a , b") == [" a ", " b"]


def test_unterminated_quote_raises():
    with pytest.raises(ValueError):
        split_csv_line('a,"open')


def test_text_after_closing_quote_raises():
    with pytest.raises(ValueError):
        split_csv_line('"ab"c,d')

import pytest

from solution import to_roman


@pytest.mark.parametrize("number, numeral", [
    (1, "I"),
    (4, "IV"),
    (9, "IX"),
    (14, "XIV"),
    (40, "XL"),
    (1994, "MCMXCIV"),
    (2024, "MMXXIV"),
    (3999, "MMMCMXCIX"),
])
def test_known_numerals(number, numeral):
    assert to_roman(number) == numeral


@pytest.mark.parametrize("number", [0, -5, 4000])
def test_out_of_range(number):
    with pytest.raises(ValueError):
        to_roman(number)

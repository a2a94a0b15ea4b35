import pytest

from solution import evaluate


@pytest.mark.parametrize("expr, value", [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("10 - 4 - 3", 3),
    ("8 / 4 / 2", 1),
    ("-3 + 5", 2),
    ("2 * -(1 + 1)", -4),
    ("7 / 2", 3.5),
    (" .5 * 4 ", 2),
])
def test_values(expr, value):
    assert evaluate(expr) == pytest.approx(value)


def test_division_by_zero():
    with pytest.raises(ZeroDivisionError):
        evaluate("1 / (2 - 2)")


@pytest.mark.parametrize("expr", ["", "1 +", "(1 + 2", "1 + 2)", "2 $ 3", "1 2", "1..2"])
def test_malformed(expr):
    with pytest.raises(ValueError):
        evaluate(expr)

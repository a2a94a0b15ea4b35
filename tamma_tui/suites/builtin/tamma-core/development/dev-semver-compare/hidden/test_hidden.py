import pytest

from solution import compare_versions


@pytest.mark.parametrize("a, b, expected", [
    ("1.2.3", "1.2.3", 0),
    ("1.10.0", "1.9.0", 1),
    ("2.0.0", "10.0.0", -1),
    ("1.0.0-alpha", "1.0.0", -1),
    ("1.0.0", "1.0.0-rc.1", 1),
    ("1.0.0-alpha.2", "1.0.0-alpha.10", -1),
    ("1.0.0-alpha", "1.0.0-alpha.1", -1),
    ("1.0.0-1", "1.0.0-alpha", -1),
    ("1.0.0-beta", "1.0.0-alpha.9", 1),
    ("1.0.0+build.5", " 1.0.0 ", 0),
])
def test_precedence(a, b, expected):
    assert compare_versions(a, b) == expected


@pytest.mark.parametrize("bad", ["1.2", "1.2.x", "", "1.2.3-", "1.2.3.4", "v1.2.3"])
def test_malformed_raises(bad):
    with pytest.raises(ValueError):
        compare_versions(bad, "1.0.0")

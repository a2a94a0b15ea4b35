"""Human-readable metric values."""

from tamma_tui.analysis.metrics import format_halfwidth, format_value


def test_tiny_costs_read_in_micro_dollars_only_with_a_unit():
    assert format_value("cost_usd", -2e-05, signed=True) == "-20 µ$"
    assert format_value("cost_usd", 0.25) == "0.25 $"
    assert format_value("cost_usd", 2e-05, unit=False) == "2e-05"  # a "$" column keeps dollars


def test_pass_rate_in_percent_and_points():
    assert format_value("pass_rate", 0.736) == "73.6%"
    assert format_value("pass_rate", -0.097, signed=True) == "-9.7 pts"
    assert format_halfwidth("pass_rate", 0.083) == "8.3"
    assert format_value("score", float("nan")) == "-"

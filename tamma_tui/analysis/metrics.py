"""The metrics a report covers: where each comes from, which way is better, how to print it."""

from __future__ import annotations

import math

from tamma_tui.vocabulary import METRIC_SPECS, METRICS

#: Trial column that holds each metric's per-trial value.
SOURCE_COLUMN: dict[str, str] = {m.name: m.column for m in METRIC_SPECS.values()}

HIGHER_IS_BETTER: dict[str, bool] = {m.name: m.higher_is_better for m in METRIC_SPECS.values()}

#: Short unit suffixes for human-readable output (pass rate is shown in points).
_UNITS = {m.name: m.unit for m in METRIC_SPECS.values() if m.unit}


#: Short names for narrow tables (80-column terminals).
SHORT_LABELS: dict[str, str] = {m.name: m.label for m in METRIC_SPECS.values()}


def short_label(metric: str) -> str:
    return SHORT_LABELS.get(metric, metric)


def higher_is_better(metric: str) -> bool:
    return HIGHER_IS_BETTER.get(metric, True)


def format_value(metric: str, value: float | None, *, signed: bool = False, unit: bool = True) -> str:
    """A metric value for people: pass rate in percent (differences in points), costs with
    enough significant digits, tokens with thousands separators."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    sign = "+" if signed else ""
    if metric == "pass_rate":
        text, suffix = (f"{value * 100:+.1f}", " pts") if signed else (f"{value * 100:.1f}", "%")
    elif metric == "context_utilization":
        text, suffix = f"{value * 100:{sign}.1f}", "%"
    elif metric in ("prompt_tokens", "completion_tokens"):
        text, suffix = f"{value:{sign},.1f}", " tok"
    elif metric == "cost_usd" and unit and 0 < abs(value) < 0.01:
        # Per-trial costs are tiny: "+20 µ$" reads better than "+2e-05 $".
        text, suffix = f"{value * 1e6:{sign}.3g}", " µ$"
    else:
        text, suffix = f"{value:{sign}.3g}", ""
        suffix = f" {_UNITS[metric]}" if metric in _UNITS else ""
    return text + (suffix if unit else "")


def format_halfwidth(metric: str, value: float | None) -> str:
    """Half an interval's width, to two significant digits: enough to judge a difference."""
    if value is None or not math.isfinite(value):
        return "-"
    if metric in ("pass_rate", "context_utilization"):
        return f"{value * 100:.1f}"
    if metric in ("prompt_tokens", "completion_tokens"):
        return f"{value:,.0f}"
    return f"{value:.2g}"


__all__ = ["format_halfwidth", "short_label", "SHORT_LABELS", "METRICS", "SOURCE_COLUMN", "HIGHER_IS_BETTER", "higher_is_better", "format_value"]

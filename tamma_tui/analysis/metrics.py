"""The metrics a report covers: where each comes from, which way is better, how to print it."""

from __future__ import annotations

import math

from tamma_tui.config.models import METRICS

#: Trial column that holds each metric's per-trial value.
SOURCE_COLUMN: dict[str, str] = {m: m for m in METRICS} | {"pass_rate": "passed"}

HIGHER_IS_BETTER: dict[str, bool] = {m: m in ("pass_rate", "score") for m in METRICS}

#: Short unit suffixes for human-readable output (pass rate is shown in points).
_UNITS = {
    "latency_s": "s",
    "ttft_s": "s",
    "cost_usd": "$",
    "prompt_tokens": "tok",
    "completion_tokens": "tok",
}


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
    else:
        text, suffix = f"{value:{sign}.4g}" if metric == "cost_usd" else f"{value:{sign}.3g}", ""
        suffix = f" {_UNITS[metric]}" if metric in _UNITS else ""
    return text + (suffix if unit else "")


__all__ = ["METRICS", "SOURCE_COLUMN", "HIGHER_IS_BETTER", "higher_is_better", "format_value"]

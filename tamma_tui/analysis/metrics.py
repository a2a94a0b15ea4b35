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


def format_value(metric: str, value: float | None, *, signed: bool = False) -> str:
    """A metric value for people: pass rate as a percentage, costs with enough digits."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    sign = "+" if signed else ""
    if metric == "pass_rate":
        return f"{value * 100:{sign}.1f}%" if not signed else f"{value * 100:+.1f} pts"
    if metric == "cost_usd":
        return f"{value:{sign}.4g} $"
    if metric in ("prompt_tokens", "completion_tokens"):
        return f"{value:{sign},.1f} tok"
    if metric in ("latency_s", "ttft_s"):
        return f"{value:{sign}.3g} s"
    if metric == "context_utilization":
        return f"{value * 100:{sign}.1f}%"
    return f"{value:{sign}.3g}"


__all__ = ["METRICS", "SOURCE_COLUMN", "HIGHER_IS_BETTER", "higher_is_better", "format_value"]

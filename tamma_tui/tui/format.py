"""Number formatting, display order and theme-aware colours shared by screens and widgets."""

from __future__ import annotations

import math
from typing import Iterable, Sequence, TypeVar

T = TypeVar("T")

SPARK = "▁▂▃▄▅▆▇█"

PERCENT_METRICS = {"pass_rate", "context_utilization"}

#: Context names short enough for a narrow column.
CONTEXT_SHORT = {"development": "dev", "code_review": "review", "testing": "testing"}


def _shown(value: float, decimals: int) -> float:
    """``value`` as displayed: what rounds to zero at this precision is exactly 0 (so a
    difference too small to show reads 0, never -0.00)."""
    rounded = round(value, decimals)
    return 0.0 if rounded == 0 else value


def fmt_metric(metric: str, value: float | None, signed: bool = False) -> str:
    """A metric's value in its one unit. ``signed`` marks a difference: pass-rate style
    differences are percentage points ("+2.5 pts"), and a zero difference has no sign."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if metric in PERCENT_METRICS:
        value = _shown(value * 100, 1)
        if signed:
            return f"{value:+.1f} pts" if value else "0.0 pts"
        return f"{value:.1f}%"
    sign = "+" if signed else ""
    if metric == "cost_usd":  # per-trial costs are often millionths of a dollar
        if abs(value) >= 0.001:
            return f"{value:{sign}.4f}"
        value = _shown(value * 1e6, 1)
        return f"{value:{sign}.1f}µ$" if value else "0.0000"
    if metric in ("prompt_tokens", "completion_tokens"):
        value = _shown(value, 0)
        return f"{value:{sign if value else ''},.0f}"
    if metric in ("latency_s", "ttft_s"):
        value = _shown(value, 2)
        return f"{value:{sign if value else ''}.2f}s"
    value = _shown(value, 3)
    return f"{value:{sign if value else ''}.3f}"


def contexts_all_first(contexts: Iterable[str]) -> list[str]:
    """Distinct context names, ``all`` (the pooled rows) first, then by name."""
    return sorted(set(contexts), key=lambda c: (c != "all", c))


def next_in(items: Sequence[T], current: T) -> T:
    """The item after ``current``, wrapping round; the first when ``current`` is not there."""
    if current not in items:
        return items[0]
    return items[(items.index(current) + 1) % len(items)]


def fmt_p(p: float | None) -> str:
    if p is None or not math.isfinite(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def sparkline(values: list[float | None]) -> str:
    finite = [v for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return ""
    lo, hi = min(finite), max(finite)
    span = hi - lo
    out = []
    for v in values:
        if v is None or not math.isfinite(v):
            out.append(" ")
        else:
            level = 0 if span == 0 else int((v - lo) / span * (len(SPARK) - 1) + 0.5)
            out.append(SPARK[level])
    return "".join(out)


def wilson(passed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval: sensible at 0 and n, which live counts often are."""
    if n == 0:
        return (0.0, 1.0)
    p = passed / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def rich_color(app, name: str) -> str:
    """A theme variable as a Rich colour (ANSI theme values like ``ansi_green`` -> ``green``)."""
    from rich.color import Color, ColorParseError

    value = (app.theme_variables.get(name) or "default").split()[0].removeprefix("ansi_")
    try:
        Color.parse(value)
    except ColorParseError:  # e.g. "auto": a Textual-only value; let the widget decide
        return ""
    return value


def direction_style(app, direction: str, significant: bool) -> str:
    """Better/worse by the metric's own sense; only significant ones get colour and weight,
    the rest are dimmed (a difference that may be noise should not catch the eye)."""
    if not significant:
        return "dim"
    if direction == "better":
        return f"bold {rich_color(app, 'success')}"
    if direction == "worse":
        return f"bold {rich_color(app, 'error')}"
    return ""


METRIC_SHORT = {
    "pass_rate": "pass_rate", "score": "score", "latency_s": "latency_s", "ttft_s": "ttft_s",
    "cost_usd": "cost_usd", "prompt_tokens": "prompt_tok", "completion_tokens": "compl_tok",
    "context_utilization": "ctx_util",
}

"""plotext charts rendered to plain text (the theme's foreground colours them).

plotext keeps one global figure, so drawing is serialised with a lock.
"""

from __future__ import annotations

import math
import threading
from typing import Sequence

from textual.widgets import Static

_LOCK = threading.Lock()
#: The line chart marks its series (sorted by name) with these in turn; legends reuse them.
SERIES_MARKERS = "●◆▲■✚"


def _finite(values: Sequence[float | None]) -> list[float]:
    return [v for v in values if v is not None and math.isfinite(v)]


def forest_plot(
    rows: Sequence[tuple[str, float, float, float]], width: int, height: int
) -> str:
    """One horizontal interval per (label, estimate, low, high), a vertical line at zero."""
    import plotext

    rows = [r for r in rows if all(v is not None and math.isfinite(v) for v in r[1:])]
    if not rows:
        return "(no intervals to plot)"
    with _LOCK:
        fig = plotext.figure
        fig.clear()
        fig.plot_size(max(width, 30), max(height, 5))
        ys = list(range(len(rows), 0, -1))
        for y, (_, est, low, high) in zip(ys, rows):
            fig.draw(fig.segment([low, high], [y, y], marker="─"))
            fig.draw(fig.signal([est], [y], marker="●"))
        fig.line(0, orientation="v")
        fig.ruler("y").ticks(ys, [label for label, *_ in rows])
        fig.ruler("y").lim(0.5, len(rows) + 0.5)
        lo = min(min(r[2] for r in rows), 0.0)
        hi = max(max(r[3] for r in rows), 0.0)
        pad = (hi - lo) * 0.05 or 0.01
        fig.ruler("x").lim(lo - pad, hi + pad)
        return fig.build().string(colorless=True)


def line_chart(
    labels: Sequence[str], series: dict[str, Sequence[float | None]], width: int, height: int,
    marks: Sequence[int] = (),
) -> str:
    """One line per series over the same x positions (runs, oldest first); ``marks`` are
    0-based positions that get a vertical line (change points, events)."""
    import plotext

    if not labels or not any(_finite(v) for v in series.values()):
        return "(no values to plot)"
    with _LOCK:
        fig = plotext.figure
        fig.clear()
        fig.plot_size(max(width, 30), max(height, 5))
        xs = list(range(1, len(labels) + 1))
        for i, (_, values) in enumerate(sorted(series.items())):
            pts = [(x, v) for x, v in zip(xs, values) if v is not None and math.isfinite(v)]
            if not pts:
                continue
            px, py = [p[0] for p in pts], [p[1] for p in pts]
            line = fig.signal(px, py, marker="braille")
            line.lines(True)
            fig.draw(line)
            fig.draw(fig.signal(px, py, marker=SERIES_MARKERS[i % len(SERIES_MARKERS)]))
        for mark in marks:
            fig.line(mark + 1 - 0.5, orientation="v")  # between the run before and the first after
        step = max(1, len(xs) // 6)
        fig.ruler("x").ticks(xs[::step], list(labels)[::step])
        if len(xs) == 1:
            fig.ruler("x").lim(0.5, 1.5)
        return fig.build().string(colorless=True)


class PlotView(Static):
    """Holds a chart-building function and redraws it when its size changes."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__("", *args, **kwargs)
        self._draw = None

    def plot(self, draw) -> None:
        """``draw(width, height) -> str``"""
        self._draw = draw
        self._redraw()

    def on_resize(self) -> None:
        self._redraw()

    def _redraw(self) -> None:
        if self._draw is None or self.size.width == 0:
            return
        from rich.text import Text

        self.update(Text(self._draw(self.size.width, self.size.height), no_wrap=True, overflow="crop"))

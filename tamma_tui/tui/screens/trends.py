"""Trends: one configuration's metrics across its runs, as sparklines and a line chart."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Static

from tamma_tui.services import browse

from ..format import fmt_metric, sparkline
from ..widgets.navbar import NavBar
from ..widgets.plots import SERIES_MARKERS, PlotView, line_chart
from .base import AgentListScreen


class TrendsScreen(AgentListScreen):
    TITLE = "Trends"
    AGENTS_TABLE = "trend-agents"
    BINDINGS = [Binding("r", "refresh", "Refresh", id="trends.refresh")]

    def __init__(self) -> None:
        super().__init__()
        self._points: list[browse.TrendPoint] = []
        self._metric = "pass_rate"

    def compose(self) -> ComposeResult:
        yield NavBar("trends")
        with Horizontal():
            agents = DataTable(id=self.AGENTS_TABLE, cursor_type="row")
            agents.add_column("Configuration", key="agent", width=18)
            yield agents
            with Vertical():
                yield Static("", id="trend-head", classes="section")
                metrics = DataTable(id="trend-metrics", cursor_type="row")
                metrics.add_column("Metric", key="metric", width=19)
                metrics.add_column("Over time", key="spark", width=12)
                metrics.add_column("First", key="first", width=9)
                metrics.add_column("Last", key="last", width=9)
                yield metrics
                yield PlotView(id="trend-chart")
        yield Footer()

    def show_message(self, text: str) -> None:
        self.query_one("#trend-head", Static).update(text)

    def load_agent(self, agent_id: str) -> None:
        self.background(browse.config_trend, self.engine, agent_id, name="load trend", on_done=self._show)

    def _show(self, points: list[browse.TrendPoint]) -> None:
        self._points = points
        n_runs = len({p.run_id for p in points})
        self.query_one("#trend-head", Static).update(
            f"{self._shown_agent}: {n_runs} run(s), {len(points)} arm result(s)"
        )
        table = self.query_one("#trend-metrics", DataTable)
        table.clear()
        for metric in browse.TREND_METRICS:
            values = [p.metrics.get(metric) for p in points]
            finite = [v for v in values if v is not None]
            if not finite:
                continue
            table.add_row(metric, sparkline(values[-12:]), fmt_metric(metric, finite[0]),
                          fmt_metric(metric, finite[-1]), key=metric)
        if table.row_count:
            keys = [str(k.value) for k in table.rows]
            table.move_cursor(row=keys.index(self._metric) if self._metric in keys else 0)
        self._chart()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "trend-metrics" and event.row_key.value != self._metric:
            self._metric = event.row_key.value
            self._chart()

    def _chart(self) -> None:
        points, metric = self._points, self._metric
        # Runs in the order the points come (oldest first), each at its own x position.
        position = {run_id: i for i, run_id in enumerate(dict.fromkeys(p.run_id for p in points))}
        labels = [f"#{r}" for r in position]
        series: dict[str, list[float | None]] = {}
        for p in points:
            series.setdefault(p.arm, [None] * len(position))[position[p.run_id]] = p.metrics.get(metric)
        arms = ", ".join(f"{m} {a}" for m, a in zip(SERIES_MARKERS, sorted(series)))
        self.query_one("#trend-chart", PlotView).plot(
            lambda w, h: f"{metric} by run ({arms})\n" + line_chart(labels, series, w, h - 1)
        )

"""Trends: one configuration's metrics across its runs, with its history's change points and
events marked on the chart, a regressed/drift badge, flaky tasks, the effectiveness of
applied changes, and a compare of two of its runs picked from a list."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from tamma_tui.services import browse
from tamma_tui.services import history as history_service

from ..format import fmt_metric, sparkline
from ..widgets.navbar import NavBar
from ..widgets.plots import SERIES_MARKERS, PlotView, line_chart
from .base import AgentListScreen

BADGE_STYLE = {"regressed": "REGRESSED", "drift": "DRIFT", "improved": "improved", "ok": "ok"}


class TrendsScreen(AgentListScreen):
    TITLE = "Trends"
    AGENTS_TABLE = "trend-agents"
    BINDINGS = [Binding("r", "refresh", "Refresh", id="trends.refresh")]
    DEFAULT_CSS = """
    TrendsScreen #trend-metrics { height: 6; }
    TrendsScreen #trend-chart { height: 1fr; min-height: 5; }
    TrendsScreen #trend-tabs { height: 9; }
    TrendsScreen #trend-tabs DataTable { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._points: list[browse.TrendPoint] = []
        self._metric = "pass_rate"
        self._view: dict[str, Any] | None = None
        self._picked: int | None = None  # run A of the two-run compare

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
                with TabbedContent(id="trend-tabs"):
                    with TabPane("Changes", id="tab-changes"):
                        marks = DataTable(id="trend-marks", cursor_type="row")
                        for label, key, width in (("Run", "run", 5), ("Kind", "kind", 12), ("Detail", "detail", 60)):
                            marks.add_column(label, key=key, width=width)
                        yield marks
                    with TabPane("Flaky", id="tab-flaky"):
                        flaky = DataTable(id="trend-flaky", cursor_type="row")
                        for label, key, width in (("Task", "task", 22), ("Context", "context", 12),
                                                  ("Tries", "attempts", 5), ("Pass", "pass", 5), ("Flips", "flip", 5)):
                            flaky.add_column(label, key=key, width=width)
                        yield flaky
                    with TabPane("Effect", id="tab-effect"):
                        effect = DataTable(id="trend-effect", cursor_type="row")
                        for label, key, width in (("Change", "change", 10), ("Source", "source", 9),
                                                  ("Predicted", "predicted", 9), ("Realised", "realised", 9),
                                                  ("Verdict", "verdict", 24)):
                            effect.add_column(label, key=key, width=width)
                        yield effect
                    with TabPane("Compare", id="tab-compare"):
                        with Horizontal():
                            runs = DataTable(id="trend-runs", cursor_type="row")
                            runs.add_column("Run", key="run", width=5)
                            runs.add_column("At", key="at", width=10)
                            yield runs
                            pair = DataTable(id="trend-pair", cursor_type="row")
                            for label, key, width in (("Context", "context", 11), ("Metric", "metric", 10),
                                                      ("A", "a", 7), ("B", "b", 7), ("B - A", "diff", 8),
                                                      ("Verdict", "verdict", 12)):
                                pair.add_column(label, key=key, width=width)
                            yield pair
        yield Footer()

    def show_message(self, text: str) -> None:
        self.query_one("#trend-head", Static).update(text)

    def load_agent(self, agent_id: str) -> None:
        self._view = None
        self.background(browse.config_trend, self.engine, agent_id, name="load trend", on_done=self._show)
        self.background(history_service.trends_view, self.engine, agent_id, name="load history",
                        on_done=self._show_history)

    def _show(self, points: list[browse.TrendPoint]) -> None:
        self._points = points
        self._head()
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

    def _head(self) -> None:
        n_runs = len({p.run_id for p in self._points})
        text = f"{self._shown_agent}: {n_runs} run(s), {len(self._points)} arm result(s)"
        series = self._series()
        if series is not None:
            text += f" · {self._metric}: {BADGE_STYLE.get(series['badge'], series['badge'])}"
        if self._view is not None:
            n_flaky = sum(1 for t in self._view["flaky"] if t["flaky"])
            if n_flaky:
                text += f" · {n_flaky} flaky task(s)"
        self.query_one("#trend-head", Static).update(text)

    def _series(self) -> dict[str, Any] | None:
        """The selected metric's history series: all contexts pooled when the runs span
        several, else the one context they ran."""
        hist = (self._view or {}).get("history")
        if not hist:
            return None
        matches = [s for s in hist["series"] if s["metric"] == self._metric]
        pooled = [s for s in matches if s["context"] == "all"]
        chosen = pooled or matches
        return max(chosen, key=lambda s: len(s["points"])) if chosen else None

    def _show_history(self, view: dict[str, Any]) -> None:
        self._view = view
        self._head()
        self._marks()
        flaky = self.query_one("#trend-flaky", DataTable)
        flaky.clear()
        for t in view["flaky"]:
            flaky.add_row(t["task_id"] + (" *" if t["flaky"] else ""), t["context"], str(t["attempts"]),
                          f"{t['pass_rate']:.2f}", f"{t['flip_rate']:.2f}")
        effect = self.query_one("#trend-effect", DataTable)
        effect.clear()
        for c in view["effectiveness"]["changes"]:
            verdict = c["verdict"] + (f", roll back {c['change_id']}?" if c["suggest_rollback"] else "")
            effect.add_row(str(c["change_id"]), c["source"], _signed(c["predicted"]), _signed(c["realised"]), verdict)
        for s in view["effectiveness"]["by_source"]:
            ratio = "-" if s["ratio"] is None else f"{s['ratio']:.2f}"
            effect.add_row("all", s["source"], _signed(s["predicted_gain"]), _signed(s["realised_gain"]),
                           f"winner's curse ratio {ratio}")
        runs = self.query_one("#trend-runs", DataTable)
        runs.clear()
        for r in reversed(view["runs"]):
            runs.add_row(f"#{r['run_id']}", (r["at"] or "")[:10], key=str(r["run_id"]))
        self._chart()

    def _marks(self) -> None:
        table = self.query_one("#trend-marks", DataTable)
        table.clear()
        series = self._series()
        rows: list[tuple[str, str, str, str]] = []
        if series is not None:
            for cp in series["change_points"]:
                detail = (f"{cp['magnitude']:+.3g} [{cp['ci_low']:+.3g}, {cp['ci_high']:+.3g}], cause {cp['cause']}")
                if cp["verdict"] == "inconclusive" and cp.get("more_runs"):
                    detail += f"; ~{cp['more_runs']} more runs to settle"
                rows.append((cp["created_at"] or "", f"#{cp['run_id']}", cp["verdict"], detail))
        for e in (self._view or {}).get("history", {}).get("events", []) if self._view and self._view["history"] else []:
            run = f"#{e['run_id']}" if e.get("run_id") else ""
            rows.append((e["at"] or "", run, e["kind"], e["text"]))
        for _at, run, kind, detail in sorted(rows):
            table.add_row(run, kind, detail)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "trend-metrics" and event.row_key.value != self._metric:
            self._metric = event.row_key.value
            self._head()
            self._marks()
            self._chart()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """In the Compare tab: Enter picks run A, Enter on another run compares B with A."""
        if event.data_table.id != "trend-runs":
            return
        run_id = int(event.row_key.value)
        if self._picked is None or self._picked == run_id:
            self._picked = run_id
            self.query_one("#trend-head", Static).update(f"compare: run A = #{run_id}; pick run B (Enter)")
            return
        first, self._picked = self._picked, None
        self.background(history_service.compare_runs, self.engine, first, run_id, name="compare runs",
                        on_done=self._show_pair)

    def _show_pair(self, view: dict[str, Any]) -> None:
        self.query_one("#trend-head", Static).update(f"run #{view['run_b']} (B) against run #{view['run_a']} (A)")
        table = self.query_one("#trend-pair", DataTable)
        table.clear()
        for r in view["rows"]:
            label = {"ok": "not worse", "regressed": "worse", "inconclusive": "unclear"}[r["verdict"]]
            table.add_row(r["context"], r["metric"], fmt_metric(r["metric"], r["reference_mean"]),
                          fmt_metric(r["metric"], r["current_mean"]), _signed(r["estimate"]), label)

    def _chart(self) -> None:
        points, metric = self._points, self._metric
        # Runs in the order the points come (oldest first), each at its own x position.
        position = {run_id: i for i, run_id in enumerate(dict.fromkeys(p.run_id for p in points))}
        labels = [f"#{r}" for r in position]
        series: dict[str, list[float | None]] = {}
        for p in points:
            series.setdefault(p.arm, [None] * len(position))[position[p.run_id]] = p.metrics.get(metric)
        hist = self._series()
        marks = sorted({position[cp["run_id"]] for cp in (hist or {}).get("change_points", [])
                        if cp["run_id"] in position})
        arms = ", ".join(f"{m} {a}" for m, a in zip(SERIES_MARKERS, sorted(series)))
        note = f"; | change at {', '.join(labels[i] for i in marks)}" if marks else ""
        self.query_one("#trend-chart", PlotView).plot(
            lambda w, h: f"{metric} by run ({arms}{note})\n" + line_chart(labels, series, w, h - 1, marks=marks)
        )


def _signed(value: float | None) -> str:
    return "-" if value is None else f"{value:+.3g}"

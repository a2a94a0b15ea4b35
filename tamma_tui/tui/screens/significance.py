"""Significance: the report's comparisons with their families, a forest plot, and the
decision in words (blocked decisions say why)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Static

from tamma_tui.services import browse

from ..format import (
    METRIC_SHORT, PERCENT_METRICS, contexts_all_first, direction_style, fmt_metric, fmt_p, next_in,
)
from ..widgets.navbar import NavBar
from ..widgets.plots import PlotView, forest_plot
from .report_view import ReportScreen


FAMILY_SHORT = {"confirmatory": "conf", "secondary": "sec", "exploratory": "expl"}


def verdict(row: dict[str, Any]) -> str:
    if row.get("p_value") is None or row.get("n_pairs", 0) == 0:
        return "n/a"
    if row.get("interval") == "undefined":
        return "undef"
    if not row.get("significant"):
        return "no diff"
    return row.get("direction") or "none"


def guardrail_words(g: dict[str, Any], baseline: str) -> str:
    margin = fmt_metric(g["metric"], g["margin"])
    p = fmt_p(g.get("p_value"))
    if g.get("non_inferior"):
        return (f"✓ {g['variant']} on {g['metric']}: non-inferior to {baseline} "
                f"(no worse by more than {margin}; one-sided p={p}).")
    return (f"✗ {g['variant']} on {g['metric']}: not shown non-inferior to {baseline} "
            f"within {margin} (one-sided p={p}).")


class SignificanceScreen(ReportScreen):
    TITLE = "Significance"
    BINDINGS = [
        Binding("x", "next_context", "Context", id="significance.context"),
        Binding("r", "refresh", "Refresh", id="significance.refresh", show=False),
        Binding("w", "propose_winner", "Propose winner", id="significance.propose"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._ctx_filter = "all"
        self._rows: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield NavBar("significance")
        yield Static("", id="sig-head", classes="section")
        table = DataTable(id="comparisons", cursor_type="row", zebra_stripes=True)
        for label, key, width in (("Variant", "variant", 8), ("Metric", "metric", 11), ("Fam", "family", 5),
                                  ("Diff", "diff", 7), ("95% CI", "ci", 17), ("p", "p", 6),
                                  ("p adj", "padj", 6), ("Verdict", "verdict", 7),
                                  ("Effect", "effect", 16)):
            table.add_column(label, key=key, width=width)
        yield table
        yield PlotView(id="forest")
        with VerticalScroll(id="decision"):
            yield Static("", id="decision-text")
        yield Footer()

    def show_empty(self, text: str) -> None:
        self.query_one("#sig-head", Static).update(text)
        self.query_one("#comparisons", DataTable).clear()
        self.query_one("#decision-text", Static).update("")
        self.query_one("#forest", PlotView).plot(lambda w, h: "")

    def show_report(self, detail: browse.RunDetail, report: dict[str, Any]) -> None:
        contexts = contexts_all_first(r["context"] for r in report["comparisons"])
        if self._ctx_filter not in contexts:
            self._ctx_filter = contexts[0] if contexts else "all"
        self._fill_table()
        self._decision(detail, report)

    def _fill_table(self) -> None:
        detail, report = self.detail, self.report
        if report is None or detail is None:
            return
        alpha = report.get("alpha", 0.05)
        self.query_one("#sig-head", Static).update(
            f"Run {detail.summary.id} {detail.summary.name}: context {self._ctx_filter}, "
            f"alpha {alpha:g}; confirmatory {report.get('correction', 'holm')}, secondary gatekept "
            f"(holm), exploratory BH q  (x: context)"
        )
        # Grouped by metric, the decision's primary metric first: what the decision is about
        # comes first, and each metric's variants sit together (as in the forest plot).
        primary = (report.get("decision") or {}).get("primary_metric", "pass_rate")
        rows = [r for r in report["comparisons"] if r["context"] == self._ctx_filter]
        metric_order = {m: i for i, m in enumerate(dict.fromkeys(r["metric"] for r in rows))}
        self._rows = sorted(rows, key=lambda r: (r["metric"] != primary, metric_order[r["metric"]]))
        table = self.query_one("#comparisons", DataTable)
        table.clear()
        for i, r in enumerate(self._rows):
            metric = r["metric"]
            style = direction_style(self.app, r.get("direction", "none"), bool(r.get("significant")))
            effect = r.get("effect_size") or {}
            eff = f"{effect.get('name', '')} {effect['value']:.2f}" if effect.get("value") is not None else "–"
            table.add_row(
                r["variant"], METRIC_SHORT.get(metric, metric), FAMILY_SHORT.get(r.get("family"), "–"),
                Text(fmt_metric(metric, r.get("diff"), signed=True), style=style),
                f"{fmt_metric(metric, r.get('ci_low'), signed=True)}…{fmt_metric(metric, r.get('ci_high'), signed=True)}",
                fmt_p(r.get("p_value")), fmt_p(r.get("p_adjusted")),
                Text(verdict(r), style=style), eff,
                key=str(i),
            )
        self._forest(self._rows[0]["metric"] if self._rows else None)

    def _forest(self, metric: str | None) -> None:
        rows = [r for r in self._rows if r["metric"] == metric]
        scale, unit = 1.0, ""
        if metric in PERCENT_METRICS:
            scale, unit = 100.0, " (points)"
        elif metric == "cost_usd" and all(abs(r.get("ci_high") or 0) < 0.001 and abs(r.get("ci_low") or 0) < 0.001
                                          for r in rows):
            scale, unit = 1e6, " (millionths of a dollar)"
        data = [(f"{r['variant']}", (r.get("diff") or 0) * scale, (r.get("ci_low") or 0) * scale,
                 (r.get("ci_high") or 0) * scale)
                for r in rows if r.get("ci_low") is not None and r.get("ci_high") is not None]
        title = f"{metric}{unit}: difference vs baseline with 95% CI" if metric else ""
        self.query_one("#forest", PlotView).plot(
            lambda w, h: title + "\n" + forest_plot(data, w, h - 1) if metric else ""
        )

    def _decision(self, detail: browse.RunDetail, report: dict[str, Any]) -> None:
        decision = report.get("decision") or {}
        winner = decision.get("winner")
        blocked = bool(decision.get("blocked"))
        if winner:
            head = f"Decision: ship {winner}."
        elif blocked:
            head = f"Decision blocked: keep {detail.baseline} (the missingness check failed)."
        else:
            head = f"Decision: no winner; keep {detail.baseline}."
        lines = [head + f"  Primary metric: {decision.get('primary_metric', 'pass_rate')}."
                 + (f"  Chosen by: {decision['rule']}." if decision.get("rule") else "")]
        families = report.get("families") or {}
        if families:
            lines.append("Families: " + "; ".join(
                f"{name} {info.get('n_rows', 0)} row(s), {info.get('n_significant', 0)} significant"
                for name, info in families.items()))
        check = decision.get("missingness") or {}
        for problem in check.get("problems") or []:
            lines.append(f"✗ missingness: {problem}")
        lines += [f"• {reason}" for reason in decision.get("reasons", [])]
        guards = decision.get("guardrails") or []
        if guards:
            lines.append("Guardrails:")
            lines += [f"  {guardrail_words(g, detail.baseline)}" for g in guards]
        else:
            lines.append("No guardrails were set.")
        looks = report.get("sequential_looks") or []
        if looks:  # a sequential run: how many interim analyses, and how it ended
            last = looks[-1]
            lines.append(f"Sequential: {len(looks)} look(s) on {last.get('metric')}; the last, at "
                         f"{last.get('n_tasks')} tasks, decided {last.get('decision')}.")
        for band in report.get("noise_band") or []:  # A/A runs: what differences mean nothing
            if band.get("band") is not None:
                metric = band.get("metric", "")
                lines.append(f"A/A noise band on {metric}: differences within "
                             f"±{fmt_metric(metric, band['band'])} mean nothing.")
        self.query_one("#decision-text", Static).update(Text("\n".join(lines)))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None and self._rows:
            row = self._rows[int(event.row_key.value)]
            self._forest(row["metric"])

    def action_next_context(self) -> None:
        if not self.report:
            return
        contexts = contexts_all_first(r["context"] for r in self.report["comparisons"])
        if contexts:
            self._ctx_filter = next_in(contexts, self._ctx_filter)
            self._fill_table()

    def action_propose_winner(self) -> None:
        """Propose this run's winner as a change to a Tamma config store (Changes screen)."""
        from .changes import propose_winner

        winner = ((self.report or {}).get("decision") or {}).get("winner")
        if not winner or self.detail is None:
            self.app.notify("no winner to propose", severity="warning")
            return
        propose_winner(self, self.detail.summary.id, winner)

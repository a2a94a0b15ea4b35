"""Compare: arm x context matrices per metric; drill into the tasks the arms disagree on."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Static

from tamma_tui.services import browse

from ..format import CONTEXT_SHORT, METRIC_SHORT, contexts_all_first, direction_style, fmt_metric, next_in
from ..widgets.navbar import NavBar
from .base import TammaScreen
from .report_view import ReportScreen


class CompareScreen(ReportScreen):
    TITLE = "Compare"
    BINDINGS = [
        Binding("v", "next_variant", "Variant", id="compare.variant"),
        Binding("x", "next_context", "Context", id="compare.context"),
        Binding("r", "refresh", "Refresh", id="compare.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._variant: str | None = None
        self._ctx_filter = "all"
        self._discordant: list[browse.DiscordantTask] = []

    def compose(self) -> ComposeResult:
        yield NavBar("compare")
        yield Static("", id="compare-head", classes="section")
        yield DataTable(id="matrix", cursor_type="row", zebra_stripes=True)
        yield Static("", id="discordant-head", classes="section")
        table = DataTable(id="discordant", cursor_type="row", zebra_stripes=True)
        for label, key, width in (("Task", "task", 24), ("Context", "context", 12),
                                  ("Baseline", "base", 8), ("Variant", "variant", 8)):
            table.add_column(label, key=key, width=width)
        yield table
        yield Footer()

    def show_empty(self, text: str) -> None:
        self.query_one("#compare-head", Static).update(text)
        self.query_one("#matrix", DataTable).clear(columns=True)
        self.query_one("#discordant", DataTable).clear()
        self.query_one("#discordant-head", Static).update("")

    def show_report(self, detail: browse.RunDetail, report: dict[str, Any]) -> None:
        variants = [a["name"] for a in report["arms"] if not a.get("baseline")]
        if self._variant not in variants:
            self._variant = variants[0] if variants else None
        self.query_one("#compare-head", Static).update(
            f"Run {detail.summary.id} {detail.summary.name}: means; Δ = variant - baseline "
            "(* significant)"
        )
        self._matrix(report)
        self._load_discordant()

    def _matrix(self, report: dict[str, Any]) -> None:
        """Per metric: the baseline's mean, each variant's mean, and a Δ row with the
        variant's difference (coloured by direction when significant, marked *)."""
        table = self.query_one("#matrix", DataTable)
        table.clear(columns=True)
        contexts = contexts_all_first(r["context"] for r in report["summary"])
        table.add_column("Metric", key="metric", width=10)
        table.add_column("Arm", key="arm", width=9)
        for ctx in contexts:
            table.add_column(CONTEXT_SHORT.get(ctx, ctx), key=ctx, width=9)
        means = {(r["arm"], r["context"], r["metric"]): r["mean"] for r in report["summary"]}
        comps = {(r["variant"], r["context"], r["metric"]): r for r in report["comparisons"]}
        arms = [a["name"] for a in report["arms"]]
        metrics = list(dict.fromkeys(r["metric"] for r in report["summary"]))
        for metric in metrics:
            label = METRIC_SHORT.get(metric, metric)
            for i, arm in enumerate(arms):
                table.add_row(label if i == 0 else "", arm,
                              *(fmt_metric(metric, means.get((arm, ctx, metric))) for ctx in contexts),
                              key=f"{metric}:{arm}")
                if i == 0:
                    continue
                cells: list[Any] = []
                for ctx in contexts:
                    comp = comps.get((arm, ctx, metric))
                    if comp is None or comp.get("diff") is None:
                        cells.append("")
                        continue
                    significant = bool(comp.get("significant"))
                    style = direction_style(self.app, comp.get("direction", "none"), significant)
                    mark = "*" if significant else ""
                    cells.append(Text(fmt_metric(metric, comp["diff"], signed=True) + mark, style=style))
                table.add_row("", f"Δ {arm}"[:9], *cells, key=f"{metric}:Δ{arm}")

    def _load_discordant(self) -> None:
        detail = self.detail
        if detail is None or self._variant is None:
            self.query_one("#discordant-head", Static).update("One arm only: nothing to compare.")
            return
        variant, context, engine = self._variant, self._ctx_filter, self.engine
        self.background(
            browse.discordant_tasks, engine, detail.summary.id, variant, detail.baseline, context,
            name="discordant tasks", on_done=self._show_discordant,
        )

    def _show_discordant(self, tasks: list[browse.DiscordantTask]) -> None:
        self._discordant = tasks
        detail = self.detail
        self.query_one("#discordant-head", Static).update(
            f"{len(tasks)} task(s) where {detail.baseline} and {self._variant} disagree on pass "
            f"(context {self._ctx_filter}; v variant, x context, Enter answers)"
        )
        table = self.query_one("#discordant", DataTable)
        table.clear()
        for i, d in enumerate(tasks):
            good = d.variant_pass > d.baseline_pass
            style = direction_style(self.app, "better" if good else "worse", True)
            table.add_row(d.task_id, d.context, f"{d.baseline_pass:.0%}",
                          Text(f"{d.variant_pass:.0%}", style=style), key=str(i))

    def action_next_variant(self) -> None:
        if not self.report:
            return
        variants = [a["name"] for a in self.report["arms"] if not a.get("baseline")]
        if variants:
            self._variant = next_in(variants, self._variant)
            self._load_discordant()

    def action_next_context(self) -> None:
        if not self.report:
            return
        contexts = contexts_all_first(["all", *(r["context"] for r in self.report["summary"])])
        self._ctx_filter = next_in(contexts, self._ctx_filter)
        self._load_discordant()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "discordant" and self._discordant and self.detail:
            task = self._discordant[int(event.row_key.value)]
            self.app.push_screen(
                AnswersScreen(self.detail.summary.id, task.task_id, (self.detail.baseline, self._variant))
            )


class AnswersScreen(TammaScreen):
    """Both arms' answers to one task, with the grader's details, side by side."""

    TITLE = "Answers"
    BINDINGS = [
        Binding("escape", "close", "Back", id="answers.close"),
        Binding("n", "next_repeat", "Next repeat", id="answers.next"),
    ]

    def __init__(self, run_id: int, task_id: str, arms: tuple[str, str], repeat: int = 0) -> None:
        super().__init__()
        self._run_id, self._task_id, self._arms = run_id, task_id, arms
        self._answers: list[browse.AnswerView] = []
        self._repeat = repeat  # the one the user opened (Enter on a trial row)

    def compose(self) -> ComposeResult:
        yield NavBar("compare")
        yield Static(f"Task {self._task_id}", id="answers-head", classes="section")
        with Horizontal():
            with VerticalScroll(id="answer-left", classes="answer"):
                yield Static("", id="answer-left-text")
            with VerticalScroll(id="answer-right", classes="answer"):
                yield Static("", id="answer-right-text")
        yield Footer()

    def on_mount(self) -> None:
        self.background(browse.task_answers, self.engine, self._run_id, self._task_id, list(self._arms),
                        name="answers", on_done=self._show)

    def _show(self, answers: list[browse.AnswerView]) -> None:
        self._answers = answers
        self._show_answers()

    def _show_answers(self) -> None:
        repeats = sorted({a.repeat for a in self._answers})
        self.query_one("#answers-head", Static).update(
            f"Task {self._task_id}, repeat {self._repeat}"
            + (f" of {len(repeats)} (n: next)" if len(repeats) > 1 else "")
        )
        for arm, target in zip(self._arms, ("#answer-left-text", "#answer-right-text")):
            answer = next((a for a in self._answers if a.arm == arm and a.repeat == self._repeat), None)
            self.query_one(target, Static).update(self._answer_text(arm, answer))

    def _answer_text(self, arm: str, a: browse.AnswerView | None) -> Text:
        if a is None:
            return Text(f"{arm}: no answer stored for this repeat")
        verdict = "PASS" if a.passed else ("FAIL" if a.passed is False else a.status.upper())
        score = "" if a.score is None else f", score {a.score:.2f}"
        style = direction_style(self.app, "better" if a.passed else "worse", a.passed is not None)
        out = Text.assemble((f"{arm}: ", "bold"), (verdict, style), f"{score} ({a.status})\n\n")
        out.append(a.response_text or a.error_message or "(empty answer)")
        out.append("\n\nGrader details\n", style="bold")
        out.append(a.grade_details or "(none)")
        return out

    def action_next_repeat(self) -> None:
        repeats = sorted({a.repeat for a in self._answers})
        if repeats:
            self._repeat = next_in(repeats, self._repeat)
            self._show_answers()

    def action_close(self) -> None:
        self.app.pop_screen()

"""Run: a stored run's progress and trials, or a live run fed by engine events.

The engine calls ``on_event`` from its own thread; events go into a deque and a timer
flushes them into the widgets at most 10 times a second, so a fast run never floods the
UI. Trial rows are appended to a virtual table by key, never rebuilt.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, ProgressBar, Static

from tamma_tui.engine.events import RunFinished, RunProgress, RunStarted, TrialFinished
from tamma_tui.services import browse
from tamma_tui.vocabulary import RunStatus

from ..format import CONTEXT_SHORT, wilson
from ..messages import LaunchExperiment, StartRun
from ..rows import TrialRow, trial_rows
from ..widgets.navbar import NavBar
from ..widgets.vtable import VirtualTable
from .base import TammaScreen
from .confirm import ConfirmScreen

FLUSH_INTERVAL_S = 0.1  # at most 10 UI updates a second, whatever the trial rate
FOLLOW_INTERVAL_S = 1.0  # how often a run another process is writing is re-read
RESUMABLE = {RunStatus.CANCELLED, RunStatus.BUDGET_EXHAUSTED, RunStatus.FAILED, RunStatus.RUNNING,
             RunStatus.INTERRUPTED}

TRIAL_COLUMNS = (
    ("Arm", 8), ("Task", 14), ("Context", 7), ("Rep", 3), ("Status", 7), ("Pass", 4),
    ("Score", 5), ("Latency", 7), ("Cost", 7), ("Error", 9),
)


def trial_cells(row: TrialRow) -> tuple[tuple[str, ...], str | None]:
    """One trial as table cells plus its row style.

    The trial table calls this only for the rows on screen."""
    arm, task_id, context, repeat, status, passed, score, latency, cost, error_kind = row
    mark = "–" if passed is None else ("✓" if passed else "✗")
    cells = (
        str(arm), str(task_id), CONTEXT_SHORT.get(context, str(context)), str(repeat), str(status), mark,
        "" if score is None else f"{score:.2f}",
        "" if latency is None else f"{latency:.2f}s",
        "" if cost is None else f"{cost:.4f}",
        error_kind or "",
    )
    style = "error" if status != "ok" else ("good" if passed else ("bad" if passed is False else None))
    return cells, style


def trial_keys(rows: list[TrialRow]) -> list[tuple[str, str, int]]:
    """(arm, task, repeat): the row keys of the trial table."""
    return [r.key for r in rows]


def load_run_view(engine, run_id: int):
    """Everything the run screen shows for a stored run: (detail, progress, rows, keys, errors)."""
    detail = browse.run_detail(engine, run_id)
    progress = browse.run_progress(engine, run_id)
    rows = trial_rows(browse.trial_table(engine, run_id).rows)
    errors: dict[str, int] = {}
    for r in rows:
        if r.error_kind:
            errors[r.error_kind] = errors.get(r.error_kind, 0) + 1
    return detail, progress, rows, trial_keys(rows), errors


def rate_cells(n: int, passed: int, graded: int, errors: int) -> tuple[str, str, str, str]:
    if graded == 0:
        return str(n), "–", "", str(errors)
    low, high = wilson(passed, graded)
    return str(n), f"{passed / graded:6.1%}", f"{low:.0%}–{high:.0%}", str(errors)


class RunScreen(TammaScreen):
    TITLE = "Run"
    BINDINGS = [
        Binding("x", "cancel_run", "Cancel run", id="run.cancel"),
        Binding("R", "resume", "Resume", id="run.resume"),
        Binding("f", "follow", "Follow", id="run.follow"),
        Binding("r", "refresh", "Reload", id="run.refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._shown_run: int | None = None
        self._detail: browse.RunDetail | None = None
        self._events: deque = deque()
        self._cancel: threading.Event | None = None
        self._live = False
        self._after_end: list = []  # callbacks for when the live run has stopped (quit)
        self._started: RunStarted | None = None
        self._arm_rows: set[str] = set()
        self._load_t0 = 0.0
        self.load_seconds: float | None = None  # how long the last stored run took to open

    def compose(self) -> ComposeResult:
        yield NavBar("run")
        yield Static("", id="run-head")
        yield ProgressBar(id="run-progress", show_eta=False)
        arms = DataTable(id="arms", cursor_type="row")
        for label, key, width in (("Arm", "arm", 12), ("Context", "context", 12), ("Trials", "n", 6),
                                  ("Pass rate", "rate", 9), ("95% interval", "ci", 12),
                                  ("Errors", "errors", 6)):
            arms.add_column(label, key=key, width=width)
        yield arms
        yield Static("", id="run-errors", classes="muted")
        yield VirtualTable(TRIAL_COLUMNS, id="trials", follow=True, formatter=trial_cells)
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(FLUSH_INTERVAL_S, self._flush)
        self.set_interval(FOLLOW_INTERVAL_S, self._follow_stored)

    def on_screen_resume(self) -> None:
        # Textual resumes a screen each time it is shown, the first time included.
        # A launch's StartRun arrives after this; _show_stored yields to a live run.
        if not self._live and self.app.run_id != self._shown_run:
            self._open(self.app.run_id)
        self.app.take_prefetch(None)  # drop what was not used

    # --- a stored run ----------------------------------------------------------------

    def action_refresh(self) -> None:
        if not self._live:
            self._open(self.app.run_id)

    def _open(self, run_id: int | None) -> None:
        if run_id is None:
            self.query_one("#run-head", Static).update(
                "No run selected: open one on Home (1), or design and launch one (3)."
            )
            return
        self._shown_run = run_id
        self._load_t0 = time.perf_counter()
        self.query_one("#run-head", Static).update(f"Loading run {run_id}…")
        # The app may have started loading while this screen was being built.
        prefetched = self.app.take_prefetch(run_id)
        engine = self.engine

        def load():
            return prefetched.result() if prefetched is not None else load_run_view(engine, run_id)

        self.background(load, name=f"open run {run_id}", group="open run", on_done=self._show_stored)

    def _follow_stored(self) -> None:
        """A run shown from the store that is still running (a headless `tamma-bench run`
        writing it): re-read it, appending its new trials, until it ends."""
        detail = self._detail
        if (self._live or detail is None or detail.summary.status != RunStatus.RUNNING
                or not self.is_current or detail.summary.id != self._shown_run):
            return
        engine, run_id = self.engine, detail.summary.id
        self.background(load_run_view, engine, run_id, name=f"follow run {run_id}",
                        group="open run", on_done=self._show_stored)

    def _show_stored(self, data) -> None:
        detail, progress, rows, keys, errors = data
        if self._live:
            return  # a launch started while this was loading; it owns the screen now
        table = self.query_one("#trials", VirtualTable)
        same_run = self._detail is not None and self._detail.summary.id == detail.summary.id
        shown = table.row_count if same_run else 0
        self._detail = detail
        s = detail.summary
        budget = f" of ${detail.budget_usd:.2f}" if detail.budget_usd else ""
        resume = "  R resumes it." if s.status in RESUMABLE and s.kind != "import" else ""
        self.query_one("#run-head", Static).update(
            f"Run {s.id} {s.name} · {s.status} · {s.done}/{s.total or s.done} trials · "
            f"cost ${s.cost_usd:.4f}{budget}\n"
            f"suite {detail.suite or '–'} · {detail.trials_per_task} trial(s)/task · seed {detail.seed}"
            f" · arms {', '.join(s.arms)}{resume}"
        )
        bar = self.query_one("#run-progress", ProgressBar)
        bar.update(total=max(s.total or s.done, 1), progress=s.done)
        arms = self.query_one("#arms", DataTable)
        arms.clear()
        self._arm_rows.clear()
        for p in progress:
            arms.add_row(p.arm, p.context, *rate_cells(p.n, p.passed, p.graded, p.errors),
                         key=f"{p.arm}|{p.context}")
            self._arm_rows.add(f"{p.arm}|{p.context}")
        self._show_errors(errors)
        if same_run and 0 < shown <= len(rows):  # following: add what is new, keep the cursor
            if len(rows) > shown:
                table.append_rows(rows[shown:], keys[shown:])
        else:
            table.set_rows(rows, keys)
            table.move_to(0)
        self.load_seconds = time.perf_counter() - self._load_t0

    def _show_errors(self, errors: dict[str, int]) -> None:
        text = ", ".join(f"{k} {n}" for k, n in sorted(errors.items(), key=lambda kv: (-kv[1], kv[0])))
        self.query_one("#run-errors", Static).update(f"Errors by kind: {text}" if text else "No errors.")

    # --- a live run ------------------------------------------------------------------

    def on_start_run(self, message: StartRun) -> None:
        if self._live:
            self.app.notify("A run is already in progress here; cancel it first (x).", severity="warning")
            return
        self._start(message.path, message.resume)

    @property
    def live(self) -> bool:
        """Whether a run launched here is still going."""
        return self._live

    def _start(self, path: str | None, resume: int | None) -> None:
        self._live = True
        self._started = None
        self._cancel = threading.Event()
        self._events.clear()
        self.query_one("#trials", VirtualTable).clear()
        self.query_one("#arms", DataTable).clear()
        self._arm_rows.clear()
        self.query_one("#run-head", Static).update(
            f"Starting {'resume of run ' + str(resume) if resume else path}…"
        )
        self.query_one("#run-progress", ProgressBar).update(total=None, progress=0)
        if resume is None:
            self._launch_engine(path, None)
            return
        # Show the trials kept from the earlier attempt first, then append the new ones.
        engine = self.engine

        def kept():
            rows = trial_rows(browse.trial_table(engine, resume).rows)
            return rows, trial_keys(rows)

        def show_kept(data) -> None:
            rows, keys = data
            self.query_one("#trials", VirtualTable).set_rows(rows, keys)
            self._launch_engine(path, resume)

        self.background(kept, name="kept trials", on_done=show_kept)

    def _launch_engine(self, path: str | None, resume: int | None) -> None:
        services, cancel, events = self.services, self._cancel, self._events

        def job():
            failure = None
            try:
                return services.run_experiment(
                    path, db=services.db_url, on_event=events.append, resume=resume, cancel=cancel
                )
            except BaseException as exc:
                failure = exc
                raise
            finally:
                self.app.call_from_thread(self._ended, failure)

        self.run_worker(job, name="experiment run", group="live-run", thread=True,
                        exclusive=False, exit_on_error=False)

    def _ended(self, failure: BaseException | None = None) -> None:
        self._flush()
        self._live = False
        if self._started is None:  # it never started: say so instead of "Starting…" forever
            self.query_one("#run-head", Static).update(
                f"Launch failed: {failure or 'the run ended before it started'}\n"
                "Fix it on the Design screen (3) and launch again."
            )
            self.query_one("#run-progress", ProgressBar).update(total=1, progress=0)
        callbacks, self._after_end = self._after_end, []
        for callback in callbacks:
            callback()
        if self._shown_run is not None:  # what resume needs: the run as stored
            self.background(browse.run_detail, self.engine, self._shown_run, name="run detail",
                            on_done=self._set_detail)

    def _set_detail(self, detail: browse.RunDetail) -> None:
        self._detail = detail

    def _flush(self) -> None:
        if not self._events:
            return
        batch = []
        while self._events:
            batch.append(self._events.popleft())
        rows, keys = [], []
        progress: RunProgress | None = None
        finished: RunFinished | None = None
        for ev in batch:
            if isinstance(ev, TrialFinished):
                row = TrialRow.from_event(ev)
                rows.append(row)
                keys.append(row.key)
            elif isinstance(ev, RunProgress):
                progress = ev
            elif isinstance(ev, RunStarted):
                self._started = ev
                self._shown_run = ev.run_id
                self.app.run_id = ev.run_id
                self.query_one("#run-progress", ProgressBar).update(total=ev.total_trials,
                                                                    progress=ev.already_done)
            elif isinstance(ev, RunFinished):
                finished = ev
        if rows:
            self.query_one("#trials", VirtualTable).append_rows(rows, keys)
        if progress is not None:
            self._show_progress(progress)
        if finished is not None:
            self._show_finished(finished)

    def _show_progress(self, p: RunProgress) -> None:
        started = self._started
        budget = started.budget_usd if started else None
        name = started.name if started else ""
        cost = f"${p.cost_usd:.4f}" + (f" of ${budget:.2f} ({p.cost_usd / budget:.0%})" if budget else "")
        self.query_one("#run-head", Static).update(
            f"Run {p.run_id} {name} · running · {p.done}/{p.total} trials · "
            f"{p.trials_per_s:.1f} trials/s · {cost} · {p.elapsed_s:.0f}s\n"
            "x cancels (finished trials are kept); R resumes a cancelled run"
        )
        self.query_one("#run-progress", ProgressBar).update(total=p.total, progress=p.done)
        arms = self.query_one("#arms", DataTable)
        for arm, contexts in p.by_arm.items():
            for ctx, c in contexts.items():
                n, passed, errors = int(c.get("n", 0)), int(c.get("passed", 0)), int(c.get("errors", 0))
                cells = rate_cells(n, passed, n - errors, errors)
                key = f"{arm}|{ctx}"
                if key in self._arm_rows:
                    for col, value in zip(("n", "rate", "ci", "errors"), cells):
                        arms.update_cell(key, col, value)
                else:
                    arms.add_row(arm, ctx, *cells, key=key)
                    self._arm_rows.add(key)
        self._show_errors(p.errors_by_kind)

    def _show_finished(self, f: RunFinished) -> None:
        name = self._started.name if self._started else ""
        self.query_one("#run-head", Static).update(
            f"Run {f.run_id} {name} · {f.status} · {f.done}/{f.total} trials · {f.errors} error(s) · "
            f"cost ${f.cost_usd:.4f} · {f.elapsed_s:.1f}s\n"
            + ("6 shows its significance, 5 compares the arms."
               if f.status not in RESUMABLE else "R resumes it.")
            + (f"  {f.message}" if f.message else "")
        )
        self.query_one("#run-progress", ProgressBar).update(total=max(f.total, 1), progress=f.done)
        self.app.notify(f"Run {f.run_id} {f.status}: {f.done}/{f.total} trials.", title="Run finished")

    # --- actions ---------------------------------------------------------------------

    def action_cancel_run(self) -> None:
        if not self._live or self._cancel is None:
            self.app.notify("No run in progress on this screen.", severity="warning")
            return
        cancel = self._cancel

        def answer(yes: bool | None) -> None:
            if yes:
                cancel.set()
                self.app.notify("Cancelling: finished trials are kept; R resumes later.")

        self.app.push_screen(ConfirmScreen("Cancel this run? Finished trials are kept."), answer)

    def cancel_then(self, callback) -> None:
        """Cancel the live run (finished trials are kept) and call ``callback`` once it has
        stopped; at once when nothing is running."""
        if not self._live or self._cancel is None:
            callback()
            return
        self._after_end.append(callback)
        self._cancel.set()

    def action_resume(self) -> None:
        if self._live:
            self.app.notify("This run is still in progress.", severity="warning")
            return
        detail = self._detail
        if detail is None or detail.summary.status not in RESUMABLE:
            self.app.notify("Only a cancelled, failed or interrupted run can be resumed.",
                            severity="warning")
            return
        self.post_message(LaunchExperiment(None, resume=detail.summary.id))

    def action_follow(self) -> None:
        table = self.query_one("#trials", VirtualTable)
        table.follow = not table.follow
        if table.follow:
            table.move_to(-1)
        self.app.notify("Following new trials." if table.follow else "Stopped following.")

    def on_virtual_table_row_selected(self, event: VirtualTable.RowSelected) -> None:
        if event.key is None or self._shown_run is None:
            return
        from .compare import AnswersScreen

        arm, task, repeat = event.key
        detail = self._detail
        baseline = detail.baseline if detail else arm
        arms = detail.summary.arms if detail else (arm,)
        other = arm if arm != baseline else next((a for a in arms if a != baseline), arm)
        self.app.push_screen(AnswersScreen(self._shown_run, task, (baseline, other), repeat=repeat))

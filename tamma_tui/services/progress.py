"""Headless consumer of engine events: a rich progress bar, or JSON lines for machines.

The live-run screen of the app consumes the same events; this is the terminal version.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import signal
import sys
import threading
from typing import IO, Any, Iterator

from tamma_tui.engine.events import Event, RunFinished, RunProgress, RunStarted, TrialFinished, TrialStarted


def event_dict(event: Event) -> dict[str, Any]:
    return {"event": type(event).__name__, **dataclasses.asdict(event)}


def _errors_text(errors_by_kind: dict[str, int]) -> str:
    if not errors_by_kind:
        return "no errors"
    parts = ", ".join(f"{k} {n}" for k, n in sorted(errors_by_kind.items(), key=lambda kv: -kv[1]))
    return f"errors: {parts}"


class ProgressDisplay:
    """Call it with each event. ``json_mode`` prints one JSON object per line on ``stream``
    (TrialStarted is left out: it carries nothing TrialFinished does not)."""

    def __init__(self, *, json_mode: bool = False, stream: IO[str] | None = None, console: Any = None):
        self.json_mode = json_mode
        self.stream = stream or sys.stdout
        self._console = console
        self._progress: Any = None
        self._task_id: Any = None
        self.last_progress: RunProgress | None = None
        self.started: RunStarted | None = None
        self.finished: RunFinished | None = None

    # The engine calls this from its thread for every event; keep it cheap.
    def __call__(self, event: Event) -> None:
        if isinstance(event, TrialStarted):
            return
        if self.json_mode:
            if isinstance(event, RunStarted):
                self.started = event
            elif isinstance(event, RunFinished):
                self.finished = event
            self.stream.write(json.dumps(event_dict(event), default=str) + "\n")
            return
        if isinstance(event, TrialFinished):
            return  # RunProgress carries the totals, at most ~10 times a second
        if isinstance(event, RunStarted):
            self._start(event)
        elif isinstance(event, RunProgress):
            self._update(event)
        elif isinstance(event, RunFinished):
            self.finished = event
            self._stop()

    def _console_obj(self):
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True)
        return self._console

    def _start(self, event: RunStarted) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.started = event
        console = self._console_obj()
        console.print(
            f"[bold]run {event.run_id}[/]: {event.name} - arms {', '.join(event.arms)}; "
            f"{event.total_trials} trials"
            + (f" ({event.already_done} already done)" if event.already_done else "")
        )
        note = isolation_note_for(event.isolation)
        if note:
            console.print(f"[yellow]sandbox:[/] {note}")
        self._progress = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[cost]}"),
            TextColumn("{task.fields[errors]}"),
            TimeElapsedColumn(),
            console=console,
            refresh_per_second=8,
        )
        self._task_id = self._progress.add_task(
            "running", total=event.total_trials, completed=event.already_done,
            rate="", cost=self._cost_text(0.0), errors="",
        )
        self._progress.start()

    def _cost_text(self, cost: float) -> str:
        budget = self.started.budget_usd if self.started is not None else None
        return f"${cost:.4f}" + (f" / ${budget:.2f}" if budget is not None else "")

    def _update(self, event: RunProgress) -> None:
        self.last_progress = event
        if self._progress is None:
            return
        self._progress.update(
            self._task_id,
            completed=event.done,
            rate=f"{event.trials_per_s:.1f} trials/s",
            cost=self._cost_text(event.cost_usd),
            errors=_errors_text(event.errors_by_kind),
        )

    def _stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def summary(self, outcome: Any, exit_code: int | None = None) -> None:
        """The last word: a JSON summary object, or one line for people. ``exit_code`` is
        the CLI's reading of the outcome, shown in the JSON summary."""
        self._stop()
        fields = {
            "run_id": outcome.run_id, "status": outcome.status, "done": outcome.done,
            "total": outcome.total, "errors": outcome.errors, "error_rate": round(outcome.error_rate, 6),
            "cost_usd": round(outcome.cost_usd, 6), "elapsed_s": round(outcome.elapsed_s, 3),
        }
        if exit_code is not None:
            fields["exit_code"] = exit_code
        if outcome.message:
            fields["message"] = outcome.message
        if self.json_mode:
            self.stream.write(json.dumps({"event": "Summary", **fields}) + "\n")
            self.stream.flush()
            return
        errors = _errors_text(self.last_progress.errors_by_kind) if self.last_progress else ""
        self._console_obj().print(
            f"run {outcome.run_id} {outcome.status}: {outcome.done}/{outcome.total} trials, "
            f"{errors}, cost ${outcome.cost_usd:.4f}, {outcome.elapsed_s:.1f} s"
        )
        if outcome.status == "incomplete":
            # One clear line on stderr: finished trials are missing from the database.
            sys.stderr.write(f"run {outcome.run_id} incomplete: {outcome.message}\n")
        elif outcome.over_error_threshold:
            self._console_obj().print(
                f"[red]error rate {outcome.error_rate:.1%} is above the run's threshold "
                f"{outcome.max_error_rate:.1%}[/]"
            )


def isolation_note_for(level: str) -> str | None:
    if not level or level == "full":
        return None
    from tamma_tui.suites.sandbox import isolation_note

    return isolation_note() or f"grading isolation: {level}"


@contextlib.contextmanager
def interrupt_to_cancel(cancel: threading.Event) -> Iterator[None]:
    """First Ctrl-C asks the engine to stop (finished trials are kept); a second one
    interrupts at once. Only in the main thread (signals cannot be caught elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        sys.stderr.write("\nstopping: finishing the write of completed trials (Ctrl-C again to abort)\n")

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)

"""Shared by Compare and Significance: load the selected run's report in a worker.

The report follows the run: it reloads when another run is selected and when the shown
run has changed since (more trials, a new status), and while the run is still going its
figures carry an "interim" banner and are re-checked every few seconds."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from tamma_tui.services import browse
from tamma_tui.vocabulary import RunStatus

from ..widgets.navbar import NavBar
from .base import TammaScreen

RECHECK_S = 2.0  # how often an interim report looks for new trials (while on screen)


def run_stamp(detail: browse.RunDetail) -> tuple:
    """What makes a report out of date: the run's status and its stored trial count."""
    return (detail.summary.status, detail.summary.done)


def interim_text(detail: browse.RunDetail) -> str | None:
    """The banner for a report of a run still in progress, or None for a final one."""
    s = detail.summary
    if s.status != RunStatus.RUNNING:
        return None
    return (f"INTERIM: run {s.id} is still running ({s.done}/{s.total or '?'} trials); "
            "these figures will change and are reloaded as it goes.")


class ReportScreen(TammaScreen):
    """Loads ``(RunDetail, report)`` for ``app.run_id`` whenever it changes."""

    def __init__(self) -> None:
        super().__init__()
        self.detail: browse.RunDetail | None = None
        self.report: dict[str, Any] | None = None
        self._shown_run: int | None = None
        self._stamp: tuple | None = None

    def on_mount(self) -> None:
        self.set_interval(RECHECK_S, self._recheck_interim)

    def on_screen_resume(self) -> None:
        # Also the first time it is shown. The same run may have moved on meanwhile.
        if self.app.run_id != self._shown_run or self._stamp is None:
            self.load_report()
        else:
            self._recheck()

    def _recheck_interim(self) -> None:
        if self.is_current and self._stamp is not None and self._stamp[0] == RunStatus.RUNNING:
            self._recheck()

    def _recheck(self) -> None:
        """Reload when the shown run's stamp differs from the report's (cheap query first)."""
        run_id, engine = self._shown_run, self.engine
        if run_id is None:
            return

        def changed(detail: browse.RunDetail) -> None:
            if run_id == self._shown_run and run_stamp(detail) != self._stamp:
                self.load_report(quiet=True)

        self.background(browse.run_detail, engine, run_id, name=f"recheck run {run_id}",
                        group="recheck", on_done=changed)

    def action_refresh(self) -> None:
        self.load_report(force=True)

    def load_report(self, force: bool = False, quiet: bool = False) -> None:
        run_id = self.app.run_id
        if run_id is None:
            self.show_empty("No run selected: pick one on Home (1) or with ctrl+p.")
            return
        self._shown_run = run_id
        engine, app = self.engine, self.app

        def load():
            detail = browse.run_detail(engine, run_id)
            if detail.summary.status == RunStatus.RUNNING and detail.summary.done == 0:
                return detail, None  # nothing stored yet: wait for the first trials
            return detail, app.report(run_id, run_stamp(detail))

        if not quiet:  # a reload of the same run keeps the old figures until the new ones come
            self.show_empty(f"Loading the report of run {run_id}…")
        self.background(load, name=f"report of run {run_id}", group="report", on_done=self._loaded)

    def _loaded(self, data) -> None:
        self.detail, self.report = data
        self._stamp = run_stamp(self.detail)
        if self.report is None:
            self.show_empty(f"Run {self.detail.summary.id} has started; its report appears with "
                            "its first stored trials.")
        else:
            self.show_report(self.detail, self.report)
        self._show_interim(interim_text(self.detail))

    def _show_interim(self, text: str | None) -> None:
        banners = self.query("#interim")
        if text is None:
            banners.remove()
        elif banners:
            banners.first(Static).update(text)
        else:
            self.mount(Static(text, id="interim", classes="interim"), after=self.query_one(NavBar))

    def show_empty(self, text: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def show_report(self, detail: browse.RunDetail, report: dict[str, Any]) -> None:  # pragma: no cover
        raise NotImplementedError

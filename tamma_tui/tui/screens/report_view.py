"""Shared by Compare and Significance: load the selected run's report in a worker."""

from __future__ import annotations

from typing import Any

from tamma_tui.services import browse

from .base import TammaScreen


class ReportScreen(TammaScreen):
    """Loads ``(RunDetail, report)`` for ``app.run_id`` whenever it changes."""

    def __init__(self) -> None:
        super().__init__()
        self.detail: browse.RunDetail | None = None
        self.report: dict[str, Any] | None = None
        self._shown_run: int | None = None

    def on_mount(self) -> None:
        self.load_report()

    def on_screen_resume(self) -> None:
        if self.app.run_id != self._shown_run:
            self.load_report()

    def action_refresh(self) -> None:
        self.load_report(force=True)

    def load_report(self, force: bool = False) -> None:
        run_id = self.app.run_id
        if run_id is None:
            self.show_empty("No run selected: pick one on Home (1) or with ctrl+p.")
            return
        self._shown_run = run_id
        engine, app = self.engine, self.app

        def load():
            detail = browse.run_detail(engine, run_id)
            stamp = (detail.summary.status, detail.summary.done)
            return detail, app.report(run_id, stamp)

        self.show_empty(f"Loading the report of run {run_id}…")
        self.background(load, name=f"report of run {run_id}", group="report", on_done=self._loaded)

    def _loaded(self, data) -> None:
        self.detail, self.report = data
        self.show_report(self.detail, self.report)

    def show_empty(self, text: str) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def show_report(self, detail: browse.RunDetail, report: dict[str, Any]) -> None:  # pragma: no cover
        raise NotImplementedError

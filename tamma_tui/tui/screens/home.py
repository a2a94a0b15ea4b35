"""Home: recent runs with status and decision, configurations, the run in progress."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Static
from textual.widgets.data_table import CellDoesNotExist

from tamma_tui.services import browse, live

from ..messages import OpenConfig, OpenRun
from ..widgets.navbar import NavBar
from ..widgets.table_sync import sync_rows
from .base import TammaScreen

FINISHED = {"completed", "stopped_early", "cancelled", "budget_exhausted"}
POLL_S = 2.0  # while a run is in progress, Home re-reads the runs this often


class HomeScreen(TammaScreen):
    TITLE = "Home"
    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="home.refresh"),
        Binding("n", "new_experiment", "New experiment", id="home.new"),
        Binding("t", "trends", "Trends", id="home.trends"),
    ]

    def compose(self) -> ComposeResult:
        yield NavBar("home")
        yield Static("Recent runs  (Enter opens; 5 compare, 6 significance)", classes="section")
        runs = DataTable(id="runs", cursor_type="row", zebra_stripes=True)
        runs.add_column("Run", key="id", width=4)
        runs.add_column("Name", key="name", width=22)
        runs.add_column("Status", key="status", width=9)
        runs.add_column("Trials", key="trials", width=7)
        runs.add_column("Decision", key="decision", width=14)
        runs.add_column("Created", key="created", width=11)
        yield runs
        yield Static("", id="in-progress", classes="muted")
        yield Static("Configurations  (Enter: versions; t: trends)", classes="section")
        configs = DataTable(id="configs", cursor_type="row", zebra_stripes=True)
        configs.add_column("Agent", key="agent", width=20)
        configs.add_column("Versions", key="versions", width=8)
        configs.add_column("Model", key="model", width=24)
        configs.add_column("Updated", key="updated", width=16)
        yield configs
        yield Footer()

    def __init__(self) -> None:
        super().__init__()
        # run id -> ((status, trials), decision): a decision holds while the run is unchanged
        self._decided: dict[int, tuple[tuple[str, int], str]] = {}
        self._worker = None
        self._running = False
        self._checked_dead = False

    def on_mount(self) -> None:
        self.set_interval(POLL_S, self._poll)

    def on_screen_resume(self) -> None:  # also the first time it is shown: one load, not two
        self.action_refresh()

    def _poll(self) -> None:
        # Polls never overlap, and only run while someone is watching a run progress.
        busy = self._worker is not None and not self._worker.is_finished
        if self._running and self.is_current and not busy:
            self.action_refresh()

    def action_refresh(self) -> None:
        engine = self.engine

        if not self._checked_dead:
            self._checked_dead = True
            self._find_interrupted()

        def load():
            return browse.recent_runs(engine, 50), browse.list_configs(engine)

        self._worker = self.background(load, name="load home", on_done=self._show)

    def _find_interrupted(self) -> None:
        """Once per app start: runs whose process died (an SSH drop) become interrupted,
        and the user hears which (its own job: a home reload must not cancel it)."""

        def show(dead: list[int]) -> None:
            for run_id in dead:
                self.app.notify(f"Run {run_id} was interrupted: its process died. Open it and "
                                "press R to resume; finished trials are kept.",
                                title="Interrupted run", severity="warning", timeout=15)
            if dead:
                self.action_refresh()

        self.background(live.find_interrupted, self.engine, name="find interrupted runs",
                        on_done=show)

    def _show(self, data) -> None:
        runs, configs = data
        table = self.query_one("#runs", DataTable)
        sync_rows(table, [
            (str(run.id), (str(run.id), run.name, run.status, f"{run.done}/{run.total or run.done}",
                           self._decision_of(run),
                           run.created[5:]))
            for run in runs
        ])
        if runs and self.app.run_id is None:
            self.app.run_id = runs[0].id
        running = [r for r in runs if r.status == "running"]
        self._running = bool(running)
        self.query_one("#in-progress", Static).update(
            "In progress: " + ", ".join(f"run {r.id} {r.name} {r.done}/{r.total}" for r in running)
            if running else "No run in progress.  Press 3 to design one, or run `tamma-bench run`."
        )
        sync_rows(self.query_one("#configs", DataTable), [
            (cfg.agent_id, (cfg.agent_id, str(cfg.n_versions), f"{cfg.provider}/{cfg.model}", cfg.updated))
            for cfg in configs
        ])
        decide = [r for r in runs if r.status in FINISHED and r.done
                  and self._decided.get(r.id, ((), ""))[0] != (r.status, r.done)][:10]
        if decide:
            self.background(self._decisions, decide, name="decisions", on_done=self._show_decisions)

    def _decision_of(self, run: browse.RunSummary) -> str:
        stamp, text = self._decided.get(run.id, ((), ""))
        if stamp == (run.status, run.done):
            return text
        return "…" if run.status in FINISHED else ""

    def _decisions(self, runs: list[browse.RunSummary]) -> dict[int, tuple[tuple[str, int], str]]:
        out = {}
        for run in runs:
            stamp = (run.status, run.done)
            try:
                out[run.id] = (stamp, browse.decision_line(self.app.report(run.id, stamp)))
            except Exception:  # one unreadable run must not hide the others' decisions
                out[run.id] = (stamp, "no report")
        return out

    def _show_decisions(self, decisions: dict[int, tuple[tuple[str, int], str]]) -> None:
        self._decided.update(decisions)
        table = self.query_one("#runs", DataTable)
        for run_id, (_, text) in decisions.items():
            try:
                table.update_cell(str(run_id), "decision", text)
            except CellDoesNotExist:  # the row went away in a refresh: nothing to update
                pass

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "runs" and event.row_key.value:
            self.app.run_id = int(event.row_key.value)
        elif event.data_table.id == "configs" and event.row_key.value:
            self.app.agent_id = event.row_key.value

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "runs":
            self.post_message(OpenRun(int(event.row_key.value)))
        elif event.data_table.id == "configs":
            self.post_message(OpenConfig(event.row_key.value))

    def action_trends(self) -> None:
        if self.app.agent_id:
            self.app.open_trends(self.app.agent_id)

    def action_new_experiment(self) -> None:
        self.app.action_go("designer")

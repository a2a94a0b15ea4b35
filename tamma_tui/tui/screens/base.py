"""The base screen: one way to run background work and one way to show its failures."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState, get_current_worker

from tamma_tui.services import browse


class TammaScreen(Screen):
    """Screens call services only from thread workers (``self.background``); a failure
    becomes a notification plus a log line, never a crash."""

    #: The footer's title for this screen.
    TITLE = ""

    @property
    def services(self):
        return self.app.services

    @property
    def engine(self):
        return self.app.services.db_engine

    def background(
        self, fn, *args, name: str, on_done=None, exclusive: bool = True, group: str | None = None,
        **kwargs,
    ) -> Worker:
        """Run ``fn(*args, **kwargs)`` in a thread; hand its result to ``on_done`` on the UI thread.

        With ``exclusive``, a new job cancels the running one of its ``group`` (default: its
        name). A thread cannot be stopped, so a cancelled job's result is dropped instead:
        a slow, superseded load must never overwrite what the newer one showed."""

        def deliver(worker: Worker, result) -> None:
            if not worker.is_cancelled:  # checked on the UI thread, where cancelling happens
                on_done(result)

        def job():
            result = fn(*args, **kwargs)
            if on_done is not None:
                self.app.call_from_thread(deliver, get_current_worker(), result)
            return result

        return self.run_worker(
            job, name=name, group=group or name, thread=True, exclusive=exclusive, exit_on_error=False
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.report_error(event.worker.error, event.worker.name or "background task")


class AgentListScreen(TammaScreen):
    """A screen whose left table lists the stored agents (configs, trends): it keeps the
    app's current agent, follows it when another screen changes it, and loads the
    highlighted agent's details with ``load_agent``."""

    #: The id of the agents DataTable this screen composes.
    AGENTS_TABLE = "agents"
    #: Shown when nothing is stored yet.
    NO_AGENTS = "No configurations stored yet."

    def __init__(self) -> None:
        super().__init__()
        self._shown_agent: str | None = None

    def agent_row(self, config: browse.ConfigSummary) -> tuple[str, ...]:
        """The agents table's cells for one stored agent."""
        return (config.agent_id,)

    def show_message(self, text: str) -> None:
        raise NotImplementedError

    def load_agent(self, agent_id: str) -> None:
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        # Textual resumes a screen each time it is shown, the first time included.
        wanted = self.app.agent_id
        if self._shown_agent is None or (wanted and wanted != self._shown_agent):
            self.action_refresh()

    def action_refresh(self) -> None:
        self.background(browse.list_configs, self.engine, name="load configs", on_done=self._show_agents)

    def _show_agents(self, configs: list[browse.ConfigSummary]) -> None:
        table = self.query_one(f"#{self.AGENTS_TABLE}", DataTable)
        table.clear()
        for config in configs:
            table.add_row(*self.agent_row(config), key=config.agent_id)
        if not configs:
            self.show_message(self.NO_AGENTS)
            return
        stored = {c.agent_id for c in configs}
        wanted = self.app.agent_id if self.app.agent_id in stored else configs[0].agent_id
        table.move_cursor(row=table.get_row_index(wanted))
        self._select_agent(wanted)

    def _select_agent(self, agent_id: str) -> None:
        self._shown_agent = agent_id
        self.app.agent_id = agent_id
        self.load_agent(agent_id)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        # Textual calls this after the subclass's own handler (handlers run along the MRO),
        # so subclasses handle only their other tables.
        if event.data_table.id == self.AGENTS_TABLE and event.row_key.value != self._shown_agent:
            self._select_agent(event.row_key.value)

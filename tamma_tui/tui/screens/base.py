"""The base screen: one way to run background work and one way to show its failures."""

from __future__ import annotations

from textual.screen import Screen
from textual.worker import Worker, WorkerState


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

    def background(self, fn, *args, name: str, on_done=None, exclusive: bool = True, **kwargs) -> Worker:
        """Run ``fn(*args, **kwargs)`` in a thread; hand its result to ``on_done`` on the UI thread."""

        def job():
            result = fn(*args, **kwargs)
            if on_done is not None:
                self.app.call_from_thread(on_done, result)
            return result

        return self.run_worker(
            job, name=name, group=name, thread=True, exclusive=exclusive, exit_on_error=False
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.report_error(event.worker.error, event.worker.name or "background task")

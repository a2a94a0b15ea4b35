"""The live screen consumes engine events: buffered, flushed at most 10 times a second."""

from __future__ import annotations

import time

from tamma_tui.engine.events import RunFinished, RunProgress, RunStarted, TrialFinished
from tests.tui.tui_helpers import settle, static_text

SIZE = (80, 24)
N = 3000


def fake_engine(run_id: int, n: int, seconds: float):
    """A stand-in for services.experiments.run_experiment that streams events fast."""

    def run_experiment(path, *, db=None, on_event=None, resume=None, cancel=None, **_):
        on_event(RunStarted(run_id=run_id, name="streamed", arms=("baseline", "terse"),
                            contexts=("development",), total_trials=n, budget_usd=2.0))
        t0 = time.perf_counter()
        by_arm = {"baseline": {"development": {"n": 0, "passed": 0, "errors": 0}},
                  "terse": {"development": {"n": 0, "passed": 0, "errors": 0}}}
        for i in range(n):
            arm = "baseline" if i % 2 == 0 else "terse"
            error = i % 100 == 0
            passed = None if error else (i % 3 != 0)
            on_event(TrialFinished(run_id=run_id, arm=arm, task_id=f"t{i // 2:05d}", context="development",
                                   repeat=0, status="error" if error else "ok", passed=passed,
                                   score=None, latency_s=0.5, cost_usd=0.0001,
                                   error_kind="rate_limit" if error else None))
            c = by_arm[arm]["development"]
            c["n"] += 1
            c["passed"] += int(bool(passed))
            c["errors"] += int(error)
            if i % 50 == 0:
                on_event(RunProgress(run_id=run_id, done=i + 1, total=n, errors=i // 100 + 1,
                                     cost_usd=0.0001 * (i + 1), elapsed_s=time.perf_counter() - t0,
                                     trials_per_s=(i + 1) / max(time.perf_counter() - t0, 1e-6),
                                     errors_by_kind={"rate_limit": i // 100 + 1},
                                     by_arm={a: {k: dict(v) for k, v in x.items()} for a, x in by_arm.items()}))
            time.sleep(seconds / n)
        on_event(RunProgress(run_id=run_id, done=n, total=n, errors=n // 100, cost_usd=0.0001 * n,
                             elapsed_s=seconds, trials_per_s=n / seconds,
                             errors_by_kind={"rate_limit": n // 100},
                             by_arm={a: {k: dict(v) for k, v in x.items()} for a, x in by_arm.items()}))
        on_event(RunFinished(run_id=run_id, status="completed", done=n, total=n, errors=n // 100,
                             cost_usd=0.0001 * n, elapsed_s=seconds))
        return None

    return run_experiment


async def test_events_are_flushed_in_batches_at_most_ten_times_a_second(app_factory, monkeypatch):
    from tamma_tui.tui.screens.run import RunScreen

    flushes: list[float] = []
    original = RunScreen._flush

    def counting_flush(self):  # records each flush that had events to hand over
        if self._events:
            flushes.append(time.perf_counter())
        original(self)

    monkeypatch.setattr(RunScreen, "_flush", counting_flush)
    app = app_factory(services={"run_experiment": fake_engine(1, N, 1.5)})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.launch("streamed.yaml")
        await pilot.pause()
        screen = app.screen
        for _ in range(400):
            await pilot.pause(0.02)
            if not screen._live:
                break
        await settle(pilot)
        table = screen.query_one("#trials")
        assert table.row_count == N  # every event arrived, appended by key
        assert table.index_of(("terse", "t00000", 0)) == 1
        span = flushes[-1] - flushes[0]
        assert len(flushes) <= span * 10 + 2, (len(flushes), span)  # at most 10 per second
        assert len(flushes) >= 3  # and the screen did update while the run streamed
        head = static_text(screen.query_one("#run-head"))
        assert "streamed · completed · 3000/3000 trials" in head
        assert static_text(screen.query_one("#run-errors")) == "Errors by kind: rate_limit 30"
        arms = screen.query_one("#arms")
        row = [str(c) for c in arms.get_row("baseline|development")]
        assert row[2] == "1500" and row[5] == "30"  # every 100th trial (all baseline) failed
        assert "%" in row[3] and "–" in row[4]  # a pass rate with its interval

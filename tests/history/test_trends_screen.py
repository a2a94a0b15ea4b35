"""The Trends screen on a history with a planted regression: badge, change point on the chart
and in the Changes tab, flaky tasks, the effectiveness panel and a two-run compare."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import DataTable, TabbedContent

from tamma_tui.history.effectiveness import AppliedChange
from tamma_tui.services import history as history_service
from tests.tui.tui_helpers import settle, static_text, table_column

from .history_helpers import T0, add_run, config, new_db

SIZE = (100, 40)


async def test_trends_mark_the_regression_and_compare_two_runs(tmp_path, monkeypatch):
    from tamma_tui.tui.app import AppServices, TammaApp

    engine = new_db(tmp_path)
    v1, v2 = config(engine, "dev", 1), config(engine, "dev", 2)
    ids = [add_run(engine, day=d, arms=[("baseline", v1 if d < 8 else v2, 0.0 if d < 8 else -2.0)],
                   n_tasks=40, repeats=2, seed=d) for d in range(16)]
    change = AppliedChange("cr-7", "dev", T0 + timedelta(days=7, hours=12), "tune", "pass_rate", "all", 0.05, 0.0, 0.1)
    # Stands in for store/changes.py (the config-store room's change requests) until it lands.
    monkeypatch.setattr(history_service, "applied_changes", lambda engine, agent: [change])
    app = TammaApp(services=AppServices(db_engine=engine, workdir=tmp_path), start_mode="trends")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        head = static_text(screen.query_one("#trend-head"))
        assert "pass_rate: REGRESSED" in head and "flaky task(s)" in head
        assert f"change at #{ids[8]}" in static_text(screen.query_one("#trend-chart"))
        marks = screen.query_one("#trend-marks", DataTable)
        kinds = table_column(marks, "kind")
        assert "regressed" in kinds and "applied" in kinds and "version" in kinds
        assert table_column(screen.query_one("#trend-flaky", DataTable), "task")
        effect = screen.query_one("#trend-effect", DataTable)
        assert table_column(effect, "change")[0] == "cr-7"
        assert "roll back cr-7" in table_column(effect, "verdict")[0]
        # Compare: pick run A, then run B, from the runs list.
        screen.query_one("#trend-tabs", TabbedContent).active = "tab-compare"
        await pilot.pause()
        runs = screen.query_one("#trend-runs", DataTable)
        runs.focus()
        await pilot.press("enter")  # newest run (A)
        await pilot.press("down", "down", "enter")  # two runs older (B)
        await settle(pilot)
        pair = screen.query_one("#trend-pair", DataTable)
        assert "pass_rate" in table_column(pair, "metric")
        assert f"run #{ids[-3]} (B) against run #{ids[-1]} (A)" in static_text(screen.query_one("#trend-head"))

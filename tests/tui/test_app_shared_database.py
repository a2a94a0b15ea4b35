"""The app and headless runs on one shared database (SQLite file and PostgreSQL): the
Home screen lists every member's runs while another process is writing new ones."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

from textual.widgets import DataTable

from tamma_tui.services.experiments import run_experiment
from tests.store.test_backends import write_experiment
from tests.tui.tui_helpers import settle, table_column

ROOT = Path(__file__).resolve().parents[2]


async def test_home_lists_runs_other_processes_write(db_url, tmp_path):
    from tamma_tui.store.db import open_database
    from tamma_tui.tui.app import AppServices, TammaApp

    # The engine runs its own event loop: seed from a thread, as the app's workers do.
    first = await asyncio.to_thread(run_experiment, write_experiment(tmp_path / "a", name="alice-run"), db=db_url)
    other = subprocess.Popen(
        [sys.executable, "-m", "tamma_tui.cli", "run", str(write_experiment(tmp_path / "b", name="bob-run")),
         "--db", db_url], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    app = TammaApp(services=AppServices(db_engine=open_database(db_url), workdir=tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        out, err = other.communicate(timeout=240)
        assert other.returncode == 0, err[-2000:]
        app.screen.action_refresh()  # the refresh key (the timer does it while a run is live)
        await settle(pilot)
        runs = app.screen.query_one("#runs", DataTable)
        names = " ".join(table_column(runs, "name"))
        assert "alice-run" in names and "bob-run" in names
        assert table_column(runs, "status")[:2] == ["completed", "completed"]
    assert first.status == "completed"

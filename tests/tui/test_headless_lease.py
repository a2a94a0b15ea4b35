"""A headless `tamma-bench run` holds a lease like an app-launched run: killed with SIGKILL,
it is marked interrupted on the next open of the app and offered for resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

from tamma_tui.tui.app import AppServices, TammaApp
from tamma_tui.store.db import open_database
from tests.sim_experiment import write_sim_experiment
from tests.tui.tui_helpers import settle


async def test_a_killed_headless_run_is_marked_interrupted(tmp_path):
    exp = write_sim_experiment(tmp_path / "exp", name="headless", trials=4, max_tasks=8,
                               concurrency=1)
    db = tmp_path / "bench.db"
    proc = subprocess.Popen([sys.executable, "-m", "tamma_tui.cli", "--db", str(db), "run",
                             str(exp), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=tmp_path)
    run_id, finished = None, 0
    for line in proc.stdout:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "RunStarted":
            run_id = event["run_id"]
        if event.get("event") == "TrialFinished":
            finished += 1
            if finished == 3:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert run_id is not None
    app = TammaApp(services=AppServices(db_engine=open_database(db), workdir=tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        notes = [n.message for n in app._notifications]
        assert any(f"Run {run_id} was interrupted" in n for n in notes), notes

"""Crash safety: SIGKILL the real CLI mid-run, then `--resume` completes the run with
exactly the planned trials, none lost and none duplicated."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from run_cli_helpers import write_cli_experiment
from sqlalchemy import text

from tamma_tui.config.loader import load_experiment
from tamma_tui.engine.plan import build_plan
from tamma_tui.providers.simulated.server import BackgroundSimServer
from tamma_tui.providers.simulated.service import SimService
from tamma_tui.store.db import make_engine, resolve_db_url
from tamma_tui.suites.registry import load_suite


def cli(db, *args):
    return [sys.executable, "-m", "tamma_tui", "--db", str(db), *args]


def stored_keys(db):
    engine = make_engine(resolve_db_url(db))  # a fresh engine: see what is on disk now
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("select arm, task_id, repeat from trial")).all()
    except Exception:
        return []
    finally:
        engine.dispose()
    return [(a, t, int(r)) for a, t, r in rows]


def test_sigkill_mid_run_then_resume_gives_exactly_the_plan(tmp_path):
    with BackgroundSimServer(SimService(latency_ms=100)) as server:
        exp = write_cli_experiment(tmp_path, server.base_url, trials=2, concurrency=2, max_tasks=4)
        loaded = load_experiment(exp)
        expected = set(build_plan(loaded, load_suite("tamma-match")).all_keys())
        assert len(expected) == 12 * 2 * 2
        db = tmp_path / "crash.db"

        proc = subprocess.Popen(cli(db, "run", str(exp), "--json"), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        started = json.loads(proc.stdout.readline())
        assert started["event"] == "RunStarted" and started["total_trials"] == len(expected)
        run_id = started["run_id"]
        # Wait until some trials are on disk (batches flush every 0.5 s), then kill hard.
        deadline = time.monotonic() + 30
        while len(stored_keys(db)) < 6 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        before = stored_keys(db)
        assert 6 <= len(before) < len(expected), "the kill must land mid-run"

        resumed = subprocess.run(cli(db, "run", str(exp), "--resume", str(run_id), "--json"),
                                 capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    lines = [json.loads(x) for x in resumed.stdout.splitlines()]
    assert lines[0]["event"] == "RunStarted" and lines[0]["already_done"] == len(before)
    ran = [x for x in lines if x["event"] == "TrialFinished"]
    assert len(ran) == len(expected) - len(before)  # exactly the missing trials
    assert lines[-1]["event"] == "Summary" and lines[-1]["status"] == "completed"
    after = stored_keys(db)
    assert len(after) == len(set(after)) == len(expected)
    assert set(after) == expected
    assert set(before) <= set(after)

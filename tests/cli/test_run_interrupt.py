"""Ctrl-C during `tamma-bench run`: finished trials are kept, the resume command is
printed, the exit status is 130, and the printed command finishes the run."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import time

from run_cli_helpers import write_cli_experiment
from sqlalchemy import text

from tamma_tui.providers.simulated.server import BackgroundSimServer
from tamma_tui.providers.simulated.service import SimService
from tamma_tui.store.db import make_engine, resolve_db_url


def trial_rows(db):
    engine = make_engine(resolve_db_url(db))
    try:
        with engine.connect() as conn:
            keys = conn.execute(text("select arm, task_id, repeat from trial")).all()
            status = conn.execute(text("select status from run")).scalar()
        return [tuple(k) for k in keys], status
    finally:
        engine.dispose()


def test_ctrl_c_keeps_finished_trials_prints_resume_and_exits_130(tmp_path):
    with BackgroundSimServer(SimService(latency_ms=60)) as server:
        exp = write_cli_experiment(tmp_path, server.base_url, trials=2, concurrency=2, max_tasks=4)
        db = tmp_path / "int.db"
        err_path = tmp_path / "stderr.txt"
        with open(err_path, "w") as err_file:
            proc = subprocess.Popen([sys.executable, "-m", "tamma_tui", "--db", str(db), "run", str(exp),
                                     "--json", "--max-tasks", "3"],
                                    stdout=subprocess.PIPE, stderr=err_file, text=True)
        finished = 0
        for line in proc.stdout:
            if json.loads(line)["event"] == "TrialFinished":
                finished += 1
                if finished == 5:
                    proc.send_signal(signal.SIGINT)
                    break
        # Read the rest through the same file object: lines it has already buffered would be
        # lost to communicate(), which reads the raw pipe.
        rest = proc.stdout.read()
        proc.wait(timeout=30)
        err = err_path.read_text()
        assert proc.returncode == 130, err
        events = [json.loads(x) for x in rest.splitlines()]
        ran = finished + sum(e["event"] == "TrialFinished" for e in events)
        keys, status = trial_rows(db)
        assert status == "cancelled"
        assert len(keys) == ran and 5 <= ran < 36  # every finished trial was written
        hint = [x for x in err.splitlines() if x.startswith("resume with: ")]
        assert hint and "--resume 1" in hint[0] and "--max-tasks 3" in hint[0]

        argv = shlex.split(hint[0].removeprefix("resume with: "))
        assert argv[:2] == ["tamma-bench", "run"]
        t0 = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "tamma_tui", "--db", str(db), *argv[1:]],
                              capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    keys, status = trial_rows(db)
    assert status == "completed" and len(keys) == len(set(keys)) == 2 * 9 * 2
    assert time.monotonic() - t0 < 60

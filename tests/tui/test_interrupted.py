"""A run whose process died (an SSH drop, kill -9) is marked interrupted on the next open
and offered for resume; after resume the arm table counts every trial."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

from tamma_tui.services import browse
from tamma_tui.services.live import child_command, find_interrupted
from tamma_tui.store.db import open_database
from tests.tui.tui_helpers import settle, static_text

AGENTS = Path(__file__).resolve().parents[2] / "sample_configs" / "agents"


def _killed_run(tmp_path: Path) -> tuple[Path, int]:
    """A run whose engine process is killed with SIGKILL after a few trials."""
    (tmp_path / "agents").mkdir()
    for agent in ("baseline.yaml", "large.yaml"):
        shutil.copy(AGENTS / agent, tmp_path / "agents" / agent)
    exp = tmp_path / "exp.yaml"
    exp.write_text(
        "name: dropped\nsuite: tamma-match\ntrials: 2\nseed: 3\nconcurrency: 1\nmax_tasks: 2\n"
        "baseline: agents/baseline.yaml\nvariants:\n  - {name: large, config: agents/large.yaml}\n"
    )
    db = tmp_path / "bench.db"
    proc = subprocess.Popen(child_command(str(exp), db=str(db), resume=None),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    run_id, finished = None, 0
    for line in proc.stdout:
        event = json.loads(line)
        if event.get("event") == "RunStarted":
            run_id = event["run_id"]
        if event.get("event") == "TrialFinished":
            finished += 1
            if finished == 6:
                break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return db, run_id


def test_a_killed_run_is_marked_interrupted_once(tmp_path):
    db_path, run_id = _killed_run(tmp_path)
    db = open_database(db_path)
    assert browse.run_detail(db, run_id).summary.status == "running"
    assert find_interrupted(db) == [run_id]
    assert browse.run_detail(db, run_id).summary.status == "interrupted"
    assert find_interrupted(db) == []  # the lease went with it


async def test_the_app_offers_an_interrupted_run_for_resume_and_counts_every_trial(tmp_path):
    from tamma_tui.tui.app import AppServices, TammaApp

    db_path, run_id = _killed_run(tmp_path)
    app = TammaApp(services=AppServices(db_engine=open_database(db_path), workdir=tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        notes = [n.message for n in app._notifications]
        assert any(f"Run {run_id} was interrupted" in n for n in notes), notes
        app.open_run(run_id)
        await settle(pilot)
        screen = app.screen
        head = static_text(screen.query_one("#run-head"))
        assert "interrupted" in head and "R resumes it" in head, head
        await pilot.press("R")
        for _ in range(300):
            await pilot.pause(0.1)
            if screen.query_one("#trials").row_count and not screen.live:
                break
        await settle(pilot)
        head = static_text(screen.query_one("#run-head"))
        assert "completed · 24/24 trials" in head, head
        arms = screen.query_one("#arms")
        counted = sum(int(str(arms.get_cell(key, "n"))) for key in arms.rows)
        assert counted == 24  # kept trials and resumed ones alike


async def test_the_run_screen_follows_a_run_another_process_is_writing(tmp_path):
    from tamma_tui.tui.app import AppServices, TammaApp

    (tmp_path / "agents").mkdir()
    for agent in ("baseline.yaml", "large.yaml"):
        shutil.copy(AGENTS / agent, tmp_path / "agents" / agent)
    exp = tmp_path / "exp.yaml"
    exp.write_text(
        "name: headless\nsuite: tamma-match\ntrials: 6\nseed: 3\nconcurrency: 1\nmax_tasks: 3\n"
        "baseline: agents/baseline.yaml\nvariants:\n  - {name: large, config: agents/large.yaml}\n"
    )
    db_path = tmp_path / "bench.db"
    proc = subprocess.Popen(child_command(str(exp), db=str(db_path), resume=None),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        run_id = None
        for line in proc.stdout:
            event = json.loads(line)
            if event.get("event") == "RunStarted":
                run_id = event["run_id"]
            if event.get("event") == "TrialFinished":
                break
        app = TammaApp(services=AppServices(db_engine=open_database(db_path), workdir=tmp_path),
                       run_id=run_id, start_mode="run")
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            screen = app.screen
            first = screen.query_one("#trials").row_count
            for _ in range(300):
                await pilot.pause(0.1)
                if "completed" in static_text(screen.query_one("#run-head")):
                    break
            await settle(pilot)
            assert first < 108
            assert screen.query_one("#trials").row_count == 108  # 2 arms x 3 ctx x 3 tasks x 6
            assert "headless · completed · 108/108" in static_text(screen.query_one("#run-head"))
    finally:
        proc.stdout.read()
        proc.wait(timeout=60)

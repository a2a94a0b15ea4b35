"""The engine in its own process: events over a pipe, cancel by signal, errors in one line."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest

from tamma_tui.engine.events import RunFinished, RunProgress, RunStarted, TrialFinished
from tamma_tui.errors import BadInput
from tamma_tui.services import browse
from tamma_tui.services.live import decode_event, encode_event, run_in_process
from tamma_tui.store.db import open_database

AGENTS = Path(__file__).resolve().parents[2] / "sample_configs" / "agents"


def _experiment(tmp_path: Path, *, trials: int, name: str = "piped") -> Path:
    (tmp_path / "agents").mkdir()
    for agent in ("baseline.yaml", "large.yaml"):
        shutil.copy(AGENTS / agent, tmp_path / "agents" / agent)
    exp = tmp_path / "exp.yaml"
    exp.write_text(
        f"name: {name}\nsuite: tamma-match\ntrials: {trials}\nseed: 3\nconcurrency: 2\nmax_tasks: 3\n"
        "baseline: agents/baseline.yaml\nvariants:\n  - {name: large, config: agents/large.yaml}\n"
    )
    return exp


def test_an_event_survives_the_wire_as_the_same_frozen_value():
    started = RunStarted(7, "x", ("baseline", "large"), ("development",), 12, budget_usd=1.5)
    progress = RunProgress(7, 3, 12, 1, 0.25, 1.0, 3.0, {"timeout": 1},
                           {"baseline": {"development": {"n": 3, "passed": 2}}})
    trial = TrialFinished(7, "large", "t-1", "testing", 2, "error", None, None, None, 0.0,
                          error_kind="timeout")
    for event in (started, progress, trial, RunFinished(7, "completed", 12, 12, 0, 0.5, 2.0)):
        import json

        assert decode_event(json.loads(encode_event(event))) == event


def test_a_run_in_its_own_process_streams_every_trial_and_stores_them(tmp_path):
    exp = _experiment(tmp_path, trials=1)
    db = tmp_path / "bench.db"
    seen = []
    outcome = run_in_process(str(exp), db=str(db), on_event=seen.append)
    trials = [e for e in seen if isinstance(e, TrialFinished)]
    assert isinstance(seen[0], RunStarted) and isinstance(seen[-1], RunFinished)
    assert len(trials) == seen[0].total_trials == 18  # 2 arms x 3 contexts x 3 tasks
    assert outcome.status == "completed" and outcome.run_id == seen[0].run_id
    stored = browse.trial_table(open_database(db), outcome.run_id)
    assert len(stored) == 18


def test_cancel_stops_the_child_and_keeps_finished_trials(tmp_path):
    exp = _experiment(tmp_path, trials=40, name="cancel-me")
    db = tmp_path / "bench.db"
    cancel = threading.Event()
    finished = []

    def on_event(event):
        if isinstance(event, TrialFinished):
            finished.append(event)
            if len(finished) == 5:
                cancel.set()

    outcome = run_in_process(str(exp), db=str(db), on_event=on_event, cancel=cancel)
    assert outcome.status == "cancelled"
    kept = len(browse.trial_table(open_database(db), outcome.run_id))
    assert 5 <= kept < 720


def test_a_bad_experiment_is_one_line_of_bad_input(tmp_path):
    exp = tmp_path / "bad.yaml"
    exp.write_text("name: x\nsuite: no-such-suite\nbaseline: missing.yaml\n")
    with pytest.raises(BadInput) as caught:
        run_in_process(str(exp), db=str(tmp_path / "b.db"))
    assert "\n" not in str(caught.value) and "bad.yaml" in str(caught.value)

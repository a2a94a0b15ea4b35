"""plan --from-run and baseline history pooling, on real SQLite stores (and a real process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session

from tamma_tui.config.loader import load_agent_config
from tamma_tui.services.planning import plan_from_run
from tamma_tui.services.reports import report_for_run
from tamma_tui.store import repo
from tamma_tui.store.db import open_database

SAMPLES = Path(__file__).resolve().parents[2] / "sample_configs"


def _trials(rng, arms: dict[str, float], n_tasks: int, k: int, *, shift: float = 0.0) -> list[dict]:
    """Pass rates per task from Beta(2, 2) + each arm's lift (the same tasks for every arm)."""
    p = rng.beta(2, 2, n_tasks)
    rows = []
    for arm, lift in arms.items():
        for t in range(n_tasks):
            for r in range(k):
                passed = bool(rng.random() < np.clip(p[t] + lift + shift, 0, 1))
                rows.append({"arm": arm, "task_id": f"t{t:03d}", "context": "development", "repeat": r,
                             "status": "ok", "passed": passed, "score": float(passed),
                             "latency_s": float(rng.lognormal(1, 0.3)), "cost_usd": 0.01 + rng.random() * 1e-3})
    return rows


def _store(engine, rows: list[dict], arms: list[str], *, k: int, sha: str | None, analysis=None,
           suite_version: str = "v1") -> int:
    with Session(engine) as s:
        run_id = repo.create_run(s, name="r", suite="tamma-core", suite_version=suite_version,
                                 arms=[(a, i == 0, sha if i == 0 else None) for i, a in enumerate(arms)],
                                 trials_per_task=k, analysis=analysis, status="completed")
        s.commit()
    repo.insert_trials(engine, [r | {"run_id": run_id} for r in rows])
    return run_id


def _sha(engine) -> str:
    with Session(engine) as s:
        sha = repo.register_config(s, load_agent_config(SAMPLES / "agents" / "baseline.yaml"))
        s.commit()
    return sha


def test_plan_from_run_estimates_the_components_and_sizes_the_decision(tmp_path):
    engine = open_database(tmp_path / "p.db")
    rng = np.random.default_rng(1)
    run_id = _store(engine, _trials(rng, {"baseline": 0.0, "v": 0.05}, 120, 3), ["baseline", "v"], k=3, sha=None)
    plan = plan_from_run(engine, run_id, mde=0.1)
    est = plan.estimates
    assert est["n_tasks"] == 120 and est["trials_per_task"] == 3
    # Beta(2, 2) task rates: ICC = 1 / (a + b + 1) = 0.2; the arms share the task rates
    assert 0.1 < est["within_task_corr"] < 0.35 and est["between_arm_correlation"] > 0.3
    assert est["omega2"] is not None and est["within_base"] > est["omega2"]
    # correlated arms need far fewer tasks than the independence default
    from tamma_tui.services.planning import plan_decision

    assert plan.tasks < plan_decision(metric="pass_rate", mde=0.1, trials=3, baseline_rate=0.5).tasks
    assert plan.cheapest is not None and plan.cheapest.trials == 1  # trials cost the same as tasks here
    # more variants under Holm need more tasks
    assert plan_from_run(engine, run_id, mde=0.1, n_variants=3).tasks > plan.tasks


def test_plan_cli_from_run_in_a_real_process(tmp_path):
    db = tmp_path / "p.db"
    engine = open_database(db)
    rng = np.random.default_rng(2)
    run_id = _store(engine, _trials(rng, {"baseline": 0.0, "v": 0.0}, 60, 2), ["baseline", "v"], k=2, sha=None)
    proc = subprocess.run([sys.executable, "-m", "tamma_tui", "--db", str(db), "plan", "--from-run", str(run_id),
                           "--mde", "10%", "--guardrail", "cost_usd:5%"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "tasks needed:" in out and "guardrail cost_usd" in out and "estimated from run" in out
    assert "cheapest design" in out
    bad = subprocess.run([sys.executable, "-m", "tamma_tui", "--db", str(db), "plan", "--from-run", str(run_id),
                          "--mde", "ten"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "--mde" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_baseline_history_is_pooled_behind_a_drift_test(tmp_path):
    engine = open_database(tmp_path / "h.db")
    sha = _sha(engine)
    rng = np.random.default_rng(3)
    old = _store(engine, _trials(rng, {"baseline": 0.0, "x": 0.0}, 80, 2), ["baseline", "x"], k=2, sha=sha)
    plan = {"primary_metric": "pass_rate", "pool_baseline_history": True}
    now = _store(engine, _trials(rng, {"baseline": 0.0, "v": 0.1}, 80, 2), ["baseline", "v"], k=2, sha=sha,
                 analysis=plan)
    report = report_for_run(engine, now)
    hist = report["baseline_history"]
    assert hist["pooled"] and hist["runs"] == [old] and hist["extra_trials"] == 160
    assert hist["effective_tasks_gained"] > 0
    base = next(a for a in report["arms"] if a["name"] == "baseline")
    assert base["n_trials"] in (160, 320)  # stored count, or pooled count
    # a drifted history is refused
    drifted = _store(engine, _trials(rng, {"baseline": 0.0, "v": 0.1}, 80, 2, shift=0.0), ["baseline", "v"],
                     k=2, sha=sha, analysis=plan)
    _store(engine, _trials(rng, {"baseline": 0.0}, 80, 2, shift=-0.4), ["baseline"], k=2, sha=sha)
    assert report_for_run(engine, drifted)["baseline_history"]["pooled"]  # earlier runs agree
    last = _store(engine, _trials(rng, {"baseline": 0.35, "v": 0.4}, 80, 2), ["baseline", "v"], k=2, sha=sha,
                  analysis=plan)
    refused = report_for_run(engine, last)["baseline_history"]
    assert not refused["pooled"] and "drift" in refused["reason"]
    # another suite version is never pooled
    other = _store(engine, _trials(rng, {"baseline": 0.0, "v": 0.1}, 80, 2), ["baseline", "v"], k=2, sha=sha,
                   analysis=plan, suite_version="v2")
    assert not report_for_run(engine, other)["baseline_history"]["pooled"]

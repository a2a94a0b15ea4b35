"""Sequential monitoring: the confidence sequence is decided and stored at every look, tau
is the MDE in the metric's units, and the estimate at stopping comes from the sequence."""

from __future__ import annotations

import json

import numpy as np
from sqlmodel import Session, select

from tamma_tui.analysis.sequential import SequentialMonitor, analyse_stream, stored_looks, tau_in_units
from tamma_tui.config.models import AnalysisPlan, SequentialPlan
from tamma_tui.store.models import SequentialLook

from analysis_helpers import make_trials, store_run


def _monitor(engine, run_id, **seq):
    return SequentialMonitor(engine, run_id, plan=AnalysisPlan(alpha=0.05, mde=0.2),
                             sequential=SequentialPlan(enabled=True, **seq))


def test_tau_is_the_mde_in_the_metric_units():
    assert tau_in_units("pass_rate", 0.1, 0.6) == 0.1
    # cost: mde is a fraction of the baseline mean, so 0.3 of $0.02 is $0.006, not $0.3
    assert abs(tau_in_units("cost_usd", 0.3, 0.02) - 0.006) < 1e-15
    assert abs(tau_in_units("latency_s", 0.1, -4.0) - 0.4) < 1e-15


def test_lower_is_better_metrics_are_oriented_before_betting():
    rng = np.random.default_rng(1)
    faster = rng.normal(-1.0, 1.0, 200)  # variant - baseline latency: variant faster
    out = analyse_stream(faster, metric="latency_s", tau=0.5, alpha=0.05)
    assert out["state"] == "better" and out["ci_high"] < 0 and out["estimate"] < 0


def test_monitor_stops_for_a_clear_winner_and_stores_every_look(db_engine):
    frame = make_trials({"baseline": -2.0, "better": 2.5}, n_tasks=60, repeats=2, seed=5)
    run_id = store_run(db_engine, frame, arms=["baseline", "better"], trials_per_task=2)
    monitor = _monitor(db_engine, run_id, max_tasks=500)
    assert monitor.look(60) == "stop_winner"
    looks = stored_looks(db_engine, run_id)
    assert [l["look"] for l in looks] == [1]
    result = looks[0]["results"]["better"]
    assert result["n_pairs"] == 60 and result["direction"] == "better" and result["p_value"] < 0.05
    # the interval and the estimate at stopping are the sequence's, not a t interval's
    assert result["ci_low"] > 0 and result["ci_low"] <= result["estimate"] <= result["ci_high"]


def test_monitor_uses_only_tasks_complete_in_every_arm(db_engine):
    frame = make_trials({"baseline": 0.0, "same": 0.0}, n_tasks=30, repeats=2, seed=6)
    incomplete = frame[(frame.arm == "same") & (frame.repeat == 1)].task_id.unique()[:5]
    frame = frame[~((frame.arm == "same") & (frame.repeat == 1) & frame.task_id.isin(incomplete))]
    run_id = store_run(db_engine, frame, arms=["baseline", "same"], trials_per_task=2)
    decision = _monitor(db_engine, run_id).look(25)
    assert decision == "continue"
    assert stored_looks(db_engine, run_id)[0]["results"]["same"]["n_pairs"] == 25


def test_monitor_stops_at_the_planned_maximum_and_numbers_looks(db_engine):
    frame = make_trials({"baseline": 0.0, "same": 0.0}, n_tasks=24, seed=7)
    run_id = store_run(db_engine, frame, arms=["baseline", "same"])
    monitor = _monitor(db_engine, run_id, max_tasks=24)
    assert monitor.look(12) == "continue"
    assert monitor.look(24) == "stop_max"
    with Session(db_engine) as session:
        rows = session.exec(select(SequentialLook).where(SequentialLook.run_id == run_id)).all()
    assert sorted(r.look for r in rows) == [1, 2]
    ps = [json.loads(r.results_json)["same"]["p_value"] for r in sorted(rows, key=lambda r: r.look)]
    assert all(0 < p <= 1 for p in ps) and ps[1] <= ps[0]


def test_futility_stops_when_the_mde_is_ruled_out(db_engine):
    frame = make_trials({"baseline": 0.0, "same": 0.0}, n_tasks=600, seed=8)
    run_id = store_run(db_engine, frame, arms=["baseline", "same"])
    monitor = SequentialMonitor(db_engine, run_id, plan=AnalysisPlan(alpha=0.05, mde=0.25),
                                sequential=SequentialPlan(enabled=True, max_tasks=2000))
    assert monitor.look(600) == "stop_futile"
    result = stored_looks(db_engine, run_id)[0]["results"]["same"]
    assert result["state"] == "futile" and result["ci_high"] < 0.25

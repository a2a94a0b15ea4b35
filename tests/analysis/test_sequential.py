"""Sequential monitoring: always-valid p-values keep the type I error under repeated looks,
and each look of a stored run is decided and stored."""

from __future__ import annotations

import json

import numpy as np
from sqlmodel import Session, select

from tamma_tui.analysis.sequential import SequentialMonitor, always_valid_p, stored_looks
from tamma_tui.config.models import AnalysisPlan, SequentialPlan
from tamma_tui.stats.sequential import msprt_pvalues
from tamma_tui.store.models import SequentialLook

from analysis_helpers import make_trials, store_run


def _simulate(effect: float, *, reps: int, looks: int, block: int, trials: int, seed: int) -> float:
    """Share of replications stopped for significance when each task's difference of
    K-trial pass fractions is observed in blocks and looked at after every block."""
    rng = np.random.default_rng(seed)
    stopped = 0
    for _ in range(reps):
        p_task = rng.beta(3, 2, size=looks * block)  # tasks differ in difficulty
        base = rng.binomial(trials, p_task) / trials
        var = rng.binomial(trials, np.clip(p_task + effect, 0, 1)) / trials
        diffs = var - base
        p = 1.0
        for k in range(1, looks + 1):
            p, _ = always_valid_p(diffs[: k * block], tau=0.1, previous=p)
            if p < 0.05:
                stopped += 1
                break
    return stopped / reps


def test_type_one_error_stays_below_alpha_under_repeated_looks():
    rate = _simulate(0.0, reps=400, looks=20, block=12, trials=3, seed=11)
    # 400 reps: a true rate of 0.05 would exceed 0.075 with probability < 1%.
    assert rate <= 0.075


def test_a_real_difference_is_detected_most_of_the_time():
    assert _simulate(0.2, reps=100, looks=20, block=12, trials=3, seed=12) >= 0.8


def test_look_p_value_matches_the_stats_stream_with_known_sigma():
    rng = np.random.default_rng(3)
    d = rng.normal(0.1, 0.4, 60)
    sigma = float(d.std(ddof=1))
    p, info = always_valid_p(d, tau=0.1)
    # 1/Lambda_n depends on n and the mean only; the stats stream with the same sigma ends on
    # the running minimum, which can only be lower than this single look.
    stream = msprt_pvalues(d, tau=0.1, sigma=sigma)
    assert stream[-1] <= p + 1e-12
    assert info["n_pairs"] == 60 and abs(info["sigma"] - sigma) < 1e-12
    # and the previous looks' minimum carries over
    assert always_valid_p(d, tau=0.1, previous=1e-4)[0] == 1e-4


def test_too_few_pairs_never_decide():
    p, info = always_valid_p(np.ones(5), tau=0.1)
    assert p == 1.0 and info["n_pairs"] == 5


def _monitor(engine, run_id, **seq):
    return SequentialMonitor(engine, run_id, plan=AnalysisPlan(alpha=0.05),
                             sequential=SequentialPlan(enabled=True, **seq))


def test_monitor_stops_for_a_clear_winner_and_stores_every_look(db_engine):
    frame = make_trials({"baseline": -2.0, "better": 2.5}, n_tasks=60, repeats=2, seed=5)
    run_id = store_run(db_engine, frame, arms=["baseline", "better"], trials_per_task=2)
    monitor = _monitor(db_engine, run_id, max_tasks=500)
    assert monitor.look(60) == "stop_winner"
    looks = stored_looks(db_engine, run_id)
    assert [l["look"] for l in looks] == [1]
    result = looks[0]["results"]["better"]
    assert result["n_pairs"] == 60 and result["direction"] == "better" and result["p_value"] < 0.05


def test_monitor_uses_only_tasks_complete_in_every_arm(db_engine):
    frame = make_trials({"baseline": 0.0, "same": 0.0}, n_tasks=30, repeats=2, seed=6)
    # drop the second repeat of five tasks in the variant: those tasks are not complete yet
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
    assert all(json.loads(r.results_json)["same"]["p_value"] <= 1 for r in rows)
    # the running minimum never increases from one look to the next
    ps = [json.loads(r.results_json)["same"]["p_value"] for r in sorted(rows, key=lambda r: r.look)]
    assert ps[1] <= ps[0]


def test_a_decided_variant_with_no_difference_is_not_called_worse():
    # The running-minimum p can stay below alpha after the mean difference has come back to
    # exactly 0; the direction must follow the difference like a report's, not say "worse".
    monitor = SequentialMonitor(None, 1, plan=AnalysisPlan(alpha=0.05),
                                sequential=SequentialPlan(enabled=True))
    results = {"flat": {"p_value": 0.001, "diff": 0.0}, "faster": {"p_value": 0.001, "diff": -0.2}}
    assert monitor._decide(results, 50, "latency_s") == "stop_winner"
    assert results["flat"]["decided"] and results["flat"]["direction"] == "none"
    assert results["faster"]["direction"] == "better"

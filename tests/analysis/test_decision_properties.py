"""The decision procedure's properties by simulation (fixed seeds, a few seconds each):
A/A false-positive rates per test, the A/A winner rate, power at `plan`'s size, errors
that hide failures, and two tasks."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest

from tamma_tui.analysis.report import build_report
from tamma_tui.services.planning import plan_decision
from tamma_tui.stats.permutation import sign_flip_test

REPS = 800
TASKS = 60


def _aa_task_means(rng, kind: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-task means of two identical arms: tasks differ, trials vary within tasks."""
    if kind == "pass_rate":
        p = rng.beta(1.2, 0.8, TASKS)[:, None]
        return ((rng.random((TASKS, k)) < p).mean(1), (rng.random((TASKS, k)) < p).mean(1))
    if kind == "latency_s":  # skewed
        mu = rng.normal(1.0, 0.5, TASKS)[:, None]
        return (rng.lognormal(mu, 0.8, (TASKS, k)).mean(1), rng.lognormal(mu, 0.8, (TASKS, k)).mean(1))
    mu = rng.random(TASKS)[:, None]  # score
    return (np.clip(mu + rng.normal(0, 0.2, (TASKS, k)), 0, 1).mean(1),
            np.clip(mu + rng.normal(0, 0.2, (TASKS, k)), 0, 1).mean(1))


@pytest.mark.parametrize("kind, k, midp", [("pass_rate", 1, True), ("pass_rate", 3, False),
                                           ("latency_s", 1, False), ("latency_s", 3, False),
                                           ("score", 3, False)])
def test_aa_false_positive_rate_of_each_test(kind, k, midp):
    rng = np.random.default_rng(zlib.crc32(f"{kind}-{k}".encode()))
    rejected = 0
    winners = 0
    for r in range(REPS):
        x, y = _aa_task_means(rng, kind, k)
        res = sign_flip_test(y - x, midp=midp, n_resamples=999, seed=r)
        rejected += res.pvalue < 0.05
        winners += res.pvalue < 0.05 and res.estimate > 0
    assert 0.03 <= rejected / REPS <= 0.07
    if kind == "pass_rate":
        # a winner needs the better direction: about alpha / 2
        assert 0.01 <= winners / REPS <= 0.05


def _frame(base: np.ndarray, var: np.ndarray, *, var_status: np.ndarray | None = None,
           contexts=("development",)) -> pd.DataFrame:
    """Trials from (tasks, trials) pass arrays; latency/cost vary so every metric is testable."""
    rows = []
    n, k = base.shape
    rng = np.random.default_rng(0)
    for arm, passes in (("baseline", base), ("v", var)):
        for t in range(n):
            for r in range(k):
                status = "ok" if arm == "baseline" or var_status is None else var_status[t, r]
                rows.append({"arm": arm, "task_id": f"t{t:03d}", "context": contexts[t % len(contexts)],
                             "repeat": r, "status": status,
                             "passed": float(passes[t, r]) if status == "ok" else np.nan,
                             "score": float(passes[t, r]) if status == "ok" else np.nan,
                             "latency_s": float(rng.lognormal(1, 0.3)), "cost_usd": 0.01 + rng.random() * 1e-3})
    return pd.DataFrame(rows)


def test_aa_winner_rate_of_the_whole_report_is_small():
    rng = np.random.default_rng(7)
    winners = 0
    for r in range(40):
        p = rng.beta(1.2, 0.8, 40)[:, None]
        base, var = rng.random((40, 2)) < p, rng.random((40, 2)) < p
        report = build_report(_frame(base, var, contexts=("development", "testing")), run_id=r,
                              robustness=False)
        conf = [c for c in report["comparisons"] if c["family"] == "confirmatory"]
        assert len(conf) == 1
        expected = conf[0]["significant"] and conf[0]["direction"] == "better"
        assert (report["decision"]["winner"] == "v") == expected
        winners += report["decision"]["winner"] is not None
    assert winners <= 3  # about 1 expected (alpha / 2 of 40)


@pytest.mark.parametrize("trials", [1, 3])
def test_decision_power_at_plans_size(trials):
    plan = plan_decision(metric="pass_rate", mde=0.1, trials=trials, baseline_rate=0.6)
    n = plan.tasks
    rng = np.random.default_rng(11 + trials)
    wins = 0
    reps = 400
    for r in range(reps):
        if trials == 1:  # arms independent given the rates (the plan's default)
            x, y = rng.random(n) < 0.6, rng.random(n) < 0.7
            d = y.astype(float) - x
        else:  # the plan's model: ICC 0.5 -> Beta(a, b) with a + b = 1, arms independent
            pb, pv = rng.beta(0.6, 0.4, n)[:, None], rng.beta(0.7, 0.3, n)[:, None]
            d = (rng.random((n, trials)) < pv).mean(1) - (rng.random((n, trials)) < pb).mean(1)
        res = sign_flip_test(d, n_resamples=999, seed=r)
        wins += res.pvalue < 0.05 and res.estimate > 0
    assert wins / reps >= 0.75


def test_plan_sizes_for_the_correction_and_guardrails():
    one = plan_decision(metric="pass_rate", mde=0.1, trials=1)
    two = plan_decision(metric="pass_rate", mde=0.1, trials=1, n_variants=3)
    assert two.tasks > one.tasks and two.primary_power >= 0.8
    guarded = plan_decision(metric="pass_rate", mde=0.1, trials=3,
                            guardrails=[{"metric": "pass_rate", "margin": 0.02}])
    assert guarded.joint_power >= 0.8 and guarded.guardrails[0]["power"] >= guarded.joint_power


def test_a_variant_that_errs_exactly_where_it_would_fail_never_wins():
    rng = np.random.default_rng(3)
    p = rng.beta(2, 2, 80)[:, None]
    base = rng.random((80, 2)) < p
    var = base.copy()  # solves exactly as often as the baseline...
    status = np.where(var, "ok", "timeout")  # ...but times out wherever it would fail
    report = build_report(_frame(base, var, var_status=status), run_id=1, robustness=False,
                          max_error_rate=0.05, trials_per_task=2)
    d = report["decision"]
    assert d["winner"] is None and d["blocked"]
    (row,) = [c for c in report["comparisons"] if c["family"] == "confirmatory"]
    assert row["diff"] == pytest.approx(0.0) and not row["significant"]
    assert any("Missingness check failed" in r for r in d["reasons"])
    assert report["sensitivity"][0]["errors_excluded"]["diff"] > 0.2  # what the old rule saw


def test_two_tasks_never_make_a_winner_nor_prove_a_guardrail():
    base = np.zeros((2, 2), dtype=bool)
    var = np.ones((2, 2), dtype=bool)
    report = build_report(_frame(base, var), run_id=1, guardrails=[{"metric": "latency_s", "margin": 5.0}])
    (row,) = [c for c in report["comparisons"] if c["family"] == "confirmatory"]
    assert row["p_value"] >= 0.5 and row["ci_low"] is None  # constant differences: undefined
    assert report["decision"]["winner"] is None
    assert not report["decision"]["guardrails"][0]["non_inferior"]

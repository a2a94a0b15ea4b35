"""Report v2 extras against reference formulas: heterogeneity (statsmodels' Cochran's Q),
variance components, effect scales, P(best), and the missingness check's reasons."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.meta_analysis import combine_effects

from tamma_tui.analysis.report import build_report

from analysis_helpers import make_trials


def _task_means(frame, arm, column, context=None):
    sub = frame[(frame.arm == arm) & (frame.status == "ok")]
    if context:
        sub = sub[sub.context == context]
    return sub.groupby("task_id")[column].mean()


def test_heterogeneity_is_cochrans_q_over_the_contexts():
    frame = make_trials({"baseline": 0.0, "v": 0.6}, n_tasks=60, repeats=3, seed=31)
    report = build_report(frame, run_id=1, robustness=False)
    (h,) = report["heterogeneity"]
    est, var = [], []
    for ctx in ("development", "code_review", "testing"):
        d = _task_means(frame, "v", "passed", ctx) - _task_means(frame, "baseline", "passed", ctx)
        est.append(d.mean())
        var.append(d.var(ddof=1) / len(d))
    ref = combine_effects(np.array(est), np.array(var))
    assert h["q"] == pytest.approx(ref.q, rel=1e-10) and h["df"] == 2


def test_variance_components_are_the_one_way_anova_estimators():
    frame = make_trials({"baseline": 0.0, "v": 0.3}, n_tasks=50, repeats=4, seed=32)
    report = build_report(frame, run_id=1, robustness=False)
    (vc,) = report["variance_components"]
    base = frame[frame.arm == "baseline"]
    within = base.groupby("task_id").passed.var(ddof=1).mean()  # balanced: pooled = mean
    between = max(base.groupby("task_id").passed.mean().var(ddof=1) - within / 4, 0.0)
    assert vc["baseline"]["within_task_var"] == pytest.approx(within)
    assert vc["baseline"]["between_task_var"] == pytest.approx(between)
    assert vc["baseline"]["icc"] == pytest.approx(between / (between + within))
    x, y = _task_means(frame, "baseline", "passed"), _task_means(frame, "v", "passed")
    assert vc["between_arm_correlation"] == pytest.approx(np.corrcoef(x, y)[0, 1])
    assert "tasks" in vc["advice"] or "trials" in vc["advice"]


def test_effect_scales_geometric_mean_ratio_lift_and_cost_per_solved_task():
    frame = make_trials({"baseline": 0.0, "v": 0.5}, n_tasks=45, repeats=2, seed=33,
                        cost={"baseline": 0.002, "v": 0.003})
    report = build_report(frame, run_id=1, robustness=False)
    ratio = next(r for r in report["effects"]["ratios"] if r["metric"] == "cost_usd")
    logs = np.log(_task_means(frame, "v", "cost_usd")) - np.log(_task_means(frame, "baseline", "cost_usd"))
    assert ratio["geometric_mean_ratio"] == pytest.approx(math.exp(logs.mean()))
    assert ratio["ci_low"] < ratio["geometric_mean_ratio"] < ratio["ci_high"]
    x, y = _task_means(frame, "baseline", "passed"), _task_means(frame, "v", "passed")
    (lift,) = report["effects"]["relative_lift"]
    assert lift["value"] == pytest.approx(y.mean() / x.mean() - 1)
    assert lift["ci_low"] < lift["value"] < lift["ci_high"]
    cps = {r["arm"]: r for r in report["effects"]["cost_per_solved_task"]}
    c = _task_means(frame, "v", "cost_usd")
    assert cps["v"]["value"] == pytest.approx(c.mean() / y.mean())


def test_p_best_follows_the_evidence():
    frame = make_trials({"baseline": 0.0, "good": 2.0, "same": 0.0}, n_tasks=80, seed=34)
    p = build_report(frame, run_id=1, robustness=False)["p_best"]
    assert p["good"] > 0.99 and abs(sum(p.values()) - 1) < 1e-12


def test_missingness_reasons_name_the_limit_and_the_unpaired_tasks():
    frame = make_trials({"baseline": 0.0, "v": 0.0}, n_tasks=40, repeats=2, seed=35)
    frame = frame[~((frame.arm == "v") & frame.task_id.isin([f"task-{i:03d}" for i in range(6)]))]
    errs = frame[(frame.arm == "v")].head(10).index
    frame.loc[errs, "status"] = "error"
    report = build_report(frame, run_id=1, robustness=False, max_error_rate=0.05, trials_per_task=2)
    d = report["decision"]
    assert d["blocked"] and d["winner"] is None
    text = " ".join(d["missingness"]["problems"])
    assert "above the run's max_error_rate 5.0%" in text
    assert "6 of 40 tasks have trials in only one of baseline and v" in text

"""build_report against scipy/statsmodels on hand-made trial frames."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests

from tamma_tui.analysis.bootstrap import grouped_mean_bca, grouped_mean_studentized
from tamma_tui.analysis.report import build_report
from tamma_tui.config.errors import BadInput

from analysis_helpers import make_trials


def _row(report, variant, metric, context="all"):
    (row,) = [r for r in report["comparisons"]
              if r["variant"] == variant and r["metric"] == metric and r["context"] == context]
    return row


def _task_means(frame, arm, column):
    ok = frame[(frame.arm == arm) & (frame.status == "ok")]
    return ok.groupby("task_id")[column].mean()


def _scipy_sign_flip(d, n_resamples=np.inf):
    """scipy's paired permutation test (sign flips) of the mean difference, two-sided."""
    return stats.permutation_test((np.asarray(d),), np.mean, permutation_type="samples",
                                  n_resamples=n_resamples, alternative="two-sided",
                                  rng=np.random.default_rng(0)).pvalue


def test_mcnemar_row_matches_statsmodels_with_one_trial_per_task():
    frame = make_trials({"baseline": 0.0, "v": 1.0}, n_tasks=60, seed=1)
    report = build_report(frame, run_id=1)
    row = _row(report, "v", "pass_rate")
    b = _task_means(frame, "baseline", "passed")
    v = _task_means(frame, "v", "passed")
    table = pd.crosstab(b, v).reindex(index=[0.0, 1.0], columns=[0.0, 1.0], fill_value=0).to_numpy()
    expected = mcnemar(table, exact=True)
    assert row["test"] == "mcnemar_exact"
    assert row["p_value"] == pytest.approx(expected.pvalue, rel=1e-12)
    assert (row["test_details"]["b"], row["test_details"]["c"]) == (table[1, 0], table[0, 1])
    assert row["diff"] == pytest.approx(v.mean() - b.mean())
    assert row["effect_size"] == {"name": "risk_difference", "value": pytest.approx(v.mean() - b.mean())}
    assert row["ci_low"] <= row["diff"] <= row["ci_high"]
    assert row["n_pairs"] == 60 and row["n_unpaired"] == 0


def test_sign_flip_rows_match_scipy_permutation_test_and_t_interval():
    frame = make_trials({"baseline": 0.0, "v": 0.8}, n_tasks=45, repeats=3, seed=2)
    report = build_report(frame, run_id=1, alpha=0.1)
    for metric, column in (("pass_rate", "passed"), ("latency_s", "latency_s"), ("score", "score")):
        row = _row(report, "v", metric)
        b = _task_means(frame, "baseline", column)
        v = _task_means(frame, "v", column)
        d = (v - b).to_numpy()
        ci = stats.ttest_rel(v, b).confidence_interval(confidence_level=0.9)
        assert row["test"] == "sign_flip" and row["test_details"]["method"] == "monte_carlo"
        ref = _scipy_sign_flip(d, n_resamples=20000)
        # Monte Carlo on both sides: within four combined standard errors
        err = 4 * np.sqrt(ref * (1 - ref) * (1 / 9999 + 1 / 20000)) + 2e-4
        assert abs(row["p_value"] - ref) <= err
        assert row["p_value"] > 0
        assert (row["ci_low"], row["ci_high"]) == (pytest.approx(max(ci.low, -1 if metric != "latency_s" else -np.inf)),
                                                   pytest.approx(ci.high))
        assert row["baseline_mean"] == pytest.approx(b.mean())
        assert row["variant_mean"] == pytest.approx(v.mean())
    d = _task_means(frame, "v", "score") - _task_means(frame, "baseline", "score")
    assert _row(report, "v", "score")["effect_size"] == {
        "name": "cohens_dz", "value": pytest.approx(d.mean() / d.std(ddof=1))}


def test_small_task_counts_are_enumerated_exactly_like_scipy():
    frame = make_trials({"baseline": 0.0, "v": 0.8}, n_tasks=12, repeats=2, seed=21)
    report = build_report(frame, run_id=1)
    row = _row(report, "v", "score")
    d = (_task_means(frame, "v", "score") - _task_means(frame, "baseline", "score")).to_numpy()
    assert row["test_details"]["method"] == "exact"
    assert row["p_value"] == pytest.approx(_scipy_sign_flip(d), rel=1e-12)


def test_per_context_rows_use_only_that_contexts_tasks():
    frame = make_trials({"baseline": 0.0, "v": 0.5}, n_tasks=30, repeats=2, seed=3)
    report = build_report(frame, run_id=1)
    sub = frame[frame.context == "code_review"]
    row = _row(report, "v", "score", "code_review")
    d = (_task_means(sub, "v", "score") - _task_means(sub, "baseline", "score")).to_numpy()
    assert row["n_pairs"] == 10 and row["family"] == "exploratory"
    assert row["p_value"] == pytest.approx(_scipy_sign_flip(d), rel=1e-12)


def test_families_confirmatory_holm_secondary_gatekept_exploratory_bh():
    frame = make_trials({"baseline": 0.0, "a": 1.5, "b": -0.2}, n_tasks=60, repeats=2, seed=4)
    report = build_report(frame, run_id=1)
    rows = report["comparisons"]
    conf = [r for r in rows if r["family"] == "confirmatory"]
    assert [(r["variant"], r["metric"], r["context"]) for r in conf] == [
        ("a", "pass_rate", "all"), ("b", "pass_rate", "all")]
    assert [r["p_adjusted"] for r in conf] == pytest.approx(
        list(multipletests([r["p_value"] for r in conf], method="holm")[1]), rel=1e-12)
    assert conf[0]["significant"] and not conf[1]["significant"]
    # a's primary rejected: its other metrics in the decision context are gatekept secondaries
    sec = [r for r in rows if r["family"] == "secondary"]
    assert sec and {r["variant"] for r in sec} == {"a"} and {r["context"] for r in sec} == {"all"}
    assert [r["p_adjusted"] for r in sec] == pytest.approx(
        list(multipletests([r["p_value"] for r in sec], method="holm")[1]), rel=1e-12)
    # everything else is exploratory with BH q-values
    exp = [r for r in rows if r["family"] == "exploratory"]
    assert len(conf) + len(sec) + len(exp) == len(rows) == 2 * 4 * 8
    assert [r["p_adjusted"] for r in exp] == pytest.approx(
        list(multipletests([r["p_value"] for r in exp], method="fdr_bh")[1]), rel=1e-12)
    assert report["families"]["confirmatory"]["n_rows"] == 2


def test_one_context_run_has_no_duplicate_all_rows_and_aa_is_in_no_family():
    frame = make_trials({"baseline": 0.0, "v": 0.2, "baseline-aa": 0.0}, n_tasks=30, seed=22)
    frame = frame.assign(context="development")
    report = build_report(frame, run_id=1)
    assert {r["context"] for r in report["comparisons"]} == {"all"}
    assert {r["variant"] for r in report["comparisons"]} == {"v"}
    assert report["noise_band"] and report["schema_version"] == 2


def test_dunnett_is_the_joint_sign_flip_max_t():
    frame = make_trials({"baseline": 0.0, "a": 0.9, "b": 0.9}, n_tasks=50, repeats=3, seed=23)
    holm = build_report(frame, run_id=1)
    dun = build_report(frame, run_id=1, correction="dunnett")
    h = [r for r in holm["comparisons"] if r["family"] == "confirmatory"]
    d = [r for r in dun["comparisons"] if r["family"] == "confirmatory"]
    assert all(r["correction"] == "dunnett" for r in d)
    # max-T over correlated variants is never more conservative than Bonferroni
    for rd, _rh in zip(d, h):
        assert rd["p_value"] <= rd["p_adjusted"] <= min(1.0, 2 * rd["p_value"]) + 3e-3


def test_summary_is_task_weighted_with_wilson_for_pass_rate():
    frame = make_trials({"baseline": 0.0, "v": 0.3}, n_tasks=24, repeats=3, seed=5)
    frame = frame.drop(index=frame.index[[0, 5, 7, 40]])  # unbalanced clusters
    report = build_report(frame, run_id=1, alpha=0.05)
    (row,) = [r for r in report["summary"]
              if r["arm"] == "baseline" and r["context"] == "all" and r["metric"] == "latency_s"]
    means = _task_means(frame, "baseline", "latency_s")
    fit = sm.OLS(means.to_numpy(), np.ones(len(means))).fit()
    assert row["mean"] == pytest.approx(fit.params[0]) and row["se"] == pytest.approx(fit.bse[0])
    half = stats.t.isf(0.025, len(means) - 1) * fit.bse[0]
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(means.mean() - half), pytest.approx(means.mean() + half))
    (pr,) = [r for r in report["summary"]
             if r["arm"] == "baseline" and r["context"] == "all" and r["metric"] == "pass_rate"]
    assert pr["interval_method"] == "wilson" and 0 <= pr["ci_low"] <= pr["mean"] <= pr["ci_high"] <= 1


def test_pass_rate_summary_interval_stays_inside_zero_one():
    rows = [{"arm": a, "task_id": f"t{t}", "context": "development", "repeat": 0, "status": "ok",
             "passed": float(t != 0 or a == "v"), "score": 1.0, "latency_s": 1.0 + t % 3, "cost_usd": 0.01}
            for a in ("baseline", "v") for t in range(20)]
    report = build_report(pd.DataFrame(rows), run_id=1)
    (pr,) = [r for r in report["summary"] if r["arm"] == "baseline" and r["metric"] == "pass_rate"]
    assert pr["mean"] == pytest.approx(0.95) and 0 <= pr["ci_low"] and pr["ci_high"] <= 1


def test_tasks_missing_in_one_arm_are_left_out_and_counted():
    frame = make_trials({"baseline": 0.0, "v": 0.5}, n_tasks=30, repeats=2, seed=6)
    gone_v = ["task-000", "task-003"]  # development tasks missing in the variant
    gone_b = ["task-001"]  # a code_review task missing in the baseline
    frame = frame[~((frame.arm == "v") & frame.task_id.isin(gone_v))]
    frame = frame[~((frame.arm == "baseline") & frame.task_id.isin(gone_b))]
    report = build_report(frame, run_id=1)
    row = _row(report, "v", "score")
    assert (row["n_pairs"], row["n_unpaired"]) == (27, 3)
    dev = _row(report, "v", "score", "development")
    assert (dev["n_pairs"], dev["n_unpaired"]) == (8, 2)
    keep = ~frame.task_id.isin(gone_v + gone_b)
    d = _task_means(frame[keep], "v", "score") - _task_means(frame[keep], "baseline", "score")
    assert row["diff"] == pytest.approx(d.mean())


def test_errored_trials_are_failures_for_quality_and_missing_for_latency():
    frame = make_trials({"baseline": 0.0, "v": 0.5}, n_tasks=20, repeats=2, seed=7)
    errors = frame[frame.arm == "v"].head(3).copy()
    errors["status"], errors["passed"], errors["latency_s"] = "error", np.nan, 999.0
    errors["repeat"] += 10
    clean = build_report(frame, run_id=1)
    dirty = build_report(pd.concat([frame, errors]), run_id=1)
    arms = {a["name"]: a for a in dirty["arms"]}
    assert arms["v"]["n_errors"] == 3 and arms["v"]["n_trials"] == 43 and arms["baseline"]["n_errors"] == 0
    assert _row(dirty, "v", "latency_s")["diff"] == pytest.approx(_row(clean, "v", "latency_s")["diff"])
    # intention to treat: the three errors are failed attempts on pass rate
    err_tasks = set(errors.task_id)
    ok = frame[frame.arm == "v"]
    expected = pd.concat([ok, errors.assign(passed=0.0)]).groupby("task_id").passed.mean()
    assert _row(dirty, "v", "pass_rate")["variant_mean"] == pytest.approx(expected.mean())
    assert err_tasks and dirty["sensitivity"][0]["errors_excluded"]["diff"] == pytest.approx(
        _row(clean, "v", "pass_rate")["diff"])
    missing = {(m["arm"], m["metric"]): m["missing_fraction"] for m in dirty["missing"]}
    assert missing["v", "latency_s"] == pytest.approx(3 / 43) and missing["v", "pass_rate"] == 0


def test_swapping_baseline_and_variant_flips_signs_and_keeps_p():
    frame = make_trials({"baseline": 0.0, "v": 0.6}, n_tasks=40, repeats=1, seed=8)
    one = build_report(frame, run_id=1, arms=[{"name": "baseline", "baseline": True}, {"name": "v"}])
    two = build_report(frame, run_id=1, arms=[{"name": "v", "baseline": True}, {"name": "baseline"}])
    for metric in ("pass_rate", "latency_s", "score"):
        a, b = _row(one, "v", metric), _row(two, "baseline", metric)
        assert b["diff"] == pytest.approx(-a["diff"])
        assert b["p_value"] == pytest.approx(a["p_value"])
        assert (b["ci_low"], b["ci_high"]) == (pytest.approx(-a["ci_high"]), pytest.approx(-a["ci_low"]))
        assert b["effect_size"]["value"] == pytest.approx(-a["effect_size"]["value"])
    # lower is better for latency: a slower variant is "worse", the swapped view "better"
    assert {_row(one, "v", "latency_s")["direction"], _row(two, "baseline", "latency_s")["direction"]} \
        <= {"none", "better", "worse"}


def _decisive_frame(costs: dict[str, float], passes: dict[str, int], n_tasks: int = 80) -> pd.DataFrame:
    """Deterministic pass data: arm X passes its first passes[X] tasks; constant cost per arm."""
    rows = []
    for arm, k in passes.items():
        for t in range(n_tasks):
            rows.append({"arm": arm, "task_id": f"t{t:03d}", "context": "development", "repeat": 0,
                         "status": "ok", "passed": float(t < k), "score": float(t < k),
                         "latency_s": 1.0 + (t % 7) * 0.1, "cost_usd": costs[arm] * (1 + (t % 5) * 0.01)})
    return pd.DataFrame(rows)


def test_decision_picks_the_best_significant_variant():
    frame = _decisive_frame({"baseline": 1.0, "big": 1.0, "small": 1.0},
                            {"baseline": 20, "big": 75, "small": 60})
    report = build_report(frame, run_id=1)
    d = report["decision"]
    assert _row(report, "big", "pass_rate")["direction"] == "better"
    assert _row(report, "small", "pass_rate")["direction"] == "better"
    assert d["winner"] == "big" and d["primary_metric"] == "pass_rate"
    assert any("best pass_rate point estimate" in r for r in d["reasons"])


def test_decision_refuses_a_variant_that_fails_a_guardrail():
    frame = _decisive_frame({"baseline": 1.0, "pricey": 3.0}, {"baseline": 20, "pricey": 75})
    report = build_report(frame, run_id=1, guardrails=[{"metric": "cost_usd", "margin": 0.1}])
    d = report["decision"]
    assert d["winner"] is None
    (g,) = d["guardrails"]
    assert g | {"p_value": None} == {"variant": "pricey", "metric": "cost_usd", "margin": 0.1,
                                     "non_inferior": False, "p_value": None, "n_pairs": 80,
                                     "family": "guardrail", "test": "sign_flip_one_sided"}
    assert g["p_value"] == pytest.approx(1.0, abs=1e-3)
    assert any("guardrail cost_usd" in r and "cannot win" in r for r in d["reasons"])
    # a generous margin lets it through
    ok = build_report(frame, run_id=1, guardrails=[("cost_usd", 5.0)])
    assert ok["decision"]["winner"] == "pricey"


def test_indistinct_candidates_go_to_the_cheaper_arm_or_the_declared_utility():
    frame = _decisive_frame({"baseline": 1.0, "dear": 2.0, "cheap": 0.5},
                            {"baseline": 20, "dear": 72, "cheap": 70})
    d = build_report(frame, run_id=1)["decision"]
    assert d["winner"] == "cheap" and d["rule"] == "cheapest"
    assert any("cannot be told apart" in r and "cheapest arm wins: cheap" in r for r in d["reasons"])
    # a utility that values pass rate far above cost picks the (insignificantly) better one
    u = build_report(frame, run_id=1, utility="pass_rate - 0.001 * cost_usd")["decision"]
    assert u["winner"] == "dear" and u["rule"] == "utility"
    assert any("declared utility (pass_rate - 0.001 * cost_usd) chose dear" in r for r in u["reasons"])


def test_no_winner_without_a_significant_improvement():
    frame = make_trials({"baseline": 0.0, "same": 0.0}, n_tasks=30, seed=9)
    d = build_report(frame, run_id=1)["decision"]
    assert d["winner"] is None and any(r.startswith("No variant qualifies") for r in d["reasons"])


def test_json_schema_keys_and_types():
    frame = make_trials({"baseline": 0.0, "v": 0.4}, n_tasks=18, repeats=2, seed=10)
    report = build_report(frame, run_id=7, arms=[{"name": "baseline", "baseline": True, "config_sha256": "ab" * 32},
                                                 {"name": "v", "baseline": False, "config_sha256": None}],
                          guardrails=[{"metric": "pass_rate", "margin": 0.02}])
    json.loads(json.dumps(report, allow_nan=False))  # strict JSON: no NaN or Infinity
    assert report["schema_version"] == 2 and report["run_id"] == 7
    assert {"schema_version", "run_id", "alpha", "correction", "arms", "summary", "comparisons",
            "decision"} <= set(report)
    for arm in report["arms"]:
        assert {"name": str, "baseline": bool, "n_trials": int, "n_errors": int}.items() <= \
            {k: type(arm[k]) for k in ("name", "baseline", "n_trials", "n_errors")}.items()
        assert "config_sha256" in arm
    for s in report["summary"]:
        assert set(s) >= {"arm", "context", "metric", "n_tasks", "mean", "se", "ci_low", "ci_high"}
        assert isinstance(s["n_tasks"], int) and isinstance(s["mean"], float)
    for c in report["comparisons"]:
        assert set(c) >= {"variant", "baseline", "context", "metric", "n_pairs", "baseline_mean", "variant_mean",
                          "diff", "ci_low", "ci_high", "test", "statistic", "p_value", "p_adjusted", "significant",
                          "effect_size", "direction", "n_unpaired", "robustness"}
        assert c["test"] in ("mcnemar_exact", "mcnemar_midp", "sign_flip")
        assert c["family"] in ("confirmatory", "secondary", "exploratory")
        assert c["direction"] in ("better", "worse", "none") and isinstance(c["significant"], bool)
        assert set(c["effect_size"]) == {"name", "value"}
        assert 0 <= c["p_value"] <= c["p_adjusted"] <= 1
        boot = c["robustness"]["bootstrap"]
        assert boot["method"] == "studentized_cluster"
        assert boot["ci_low"] is None or boot["ci_low"] < boot["ci_high"] and 0 <= c["robustness"]["wilcoxon"]["p_value"] <= 1
    assert {m["name"]: m["higher_is_better"] for m in report["metrics"]}["latency_s"] is False
    d = report["decision"]
    assert set(d) >= {"winner", "primary_metric", "reasons", "guardrails", "blocked", "family", "missingness"}
    assert {"families", "sensitivity", "variance_components", "effects", "p_best", "missing"} <= set(report)
    assert all(isinstance(r, str) and r for r in d["reasons"])
    assert set(d["guardrails"][0]) >= {"variant", "metric", "margin", "non_inferior", "p_value"}


def test_direction_accounts_for_lower_is_better():
    frame = _decisive_frame({"baseline": 1.0, "cheap": 0.5}, {"baseline": 40, "cheap": 40})
    report = build_report(frame, run_id=1)
    row = _row(report, "cheap", "cost_usd")
    assert row["diff"] < 0 and row["significant"] and row["direction"] == "better"
    jitter = np.random.default_rng(0).random(len(frame)) * 0.1
    slow = build_report(frame.assign(latency_s=np.where(frame.arm == "cheap", frame.latency_s + 1 + jitter,
                                                        frame.latency_s)), run_id=1)
    assert _row(slow, "cheap", "latency_s")["direction"] == "worse"
    # exactly constant differences: the sign-flip p is tiny, but the interval is undefined,
    # so the row is not called significant (no zero-width interval ever decides)
    flat = build_report(frame.assign(latency_s=np.where(frame.arm == "cheap", frame.latency_s + 1,
                                                        frame.latency_s)), run_id=1)
    row = _row(flat, "cheap", "latency_s")
    assert row["p_value"] < 1e-6 and row["interval"] == "undefined" and row["ci_low"] is None
    assert not row["significant"]


def test_aa_run_reports_a_noise_band():
    frame = make_trials({"baseline": 0.0, "baseline-aa": 0.0}, n_tasks=30, repeats=2, seed=11)
    report = build_report(frame, run_id=1)
    band = {n["metric"]: n for n in report["noise_band"]}
    assert not [r for r in report["comparisons"] if r["variant"] == "baseline-aa"]
    score = band["score"]
    assert score["band"] == pytest.approx(max(abs(score["ci_low"]), abs(score["ci_high"])))
    d = (_task_means(frame, "baseline-aa", "score") - _task_means(frame, "baseline", "score")).to_numpy()
    assert score["diff"] == pytest.approx(d.mean())
    assert report["decision"]["winner"] is None  # the A/A arm is never a candidate


def test_context_option_restricts_the_report():
    frame = make_trials({"baseline": 0.0, "v": 0.4}, n_tasks=30, seed=12)
    report = build_report(frame, run_id=1, context="testing")
    assert {r["context"] for r in report["comparisons"]} == {"testing"}
    assert {r["context"] for r in report["summary"]} == {"testing"}
    assert report["decision"]["context"] == "testing"


@pytest.mark.parametrize("kwargs, field", [
    ({"alpha": 1.5}, "alpha"), ({"correction": "bonferroni"}, "correction"),
    ({"utility": "pass_rate - speed"}, "analysis.utility"), ({"utility": "__import__('os')"}, "analysis.utility"),
    ({"guardrails": [("cost_usd", "five%")]}, "guardrails"),
    ({"primary_metric": "speed"}, "primary_metric"), ({"guardrails": [("speed", 0.1)]}, "guardrails"),
    ({"guardrails": [("cost_usd", -1)]}, "guardrails"), ({"context": "painting"}, "context"),
])
def test_bad_options_raise_bad_input(kwargs, field):
    frame = make_trials({"baseline": 0.0, "v": 0.0}, n_tasks=6, seed=13)
    with pytest.raises(BadInput) as err:
        build_report(frame, run_id=1, **kwargs)
    assert err.value.field == field


def test_grouped_bootstrap_agrees_with_scipy_bca():
    rng = np.random.default_rng(14)
    d = rng.exponential(1.0, 40) - 0.7
    low, high = grouped_mean_bca(d, n_resamples=20000, seed=1)
    ref = stats.bootstrap((d,), np.mean, method="BCa", n_resamples=20000, rng=np.random.default_rng(2))
    assert low[0, 0] == pytest.approx(ref.confidence_interval.low, abs=0.03)
    assert high[0, 0] == pytest.approx(ref.confidence_interval.high, abs=0.03)


def test_grouped_bootstrap_per_group_and_constant_columns():
    rng = np.random.default_rng(15)
    groups = np.repeat([0, 1], 30)
    d = np.column_stack([rng.normal(0, 1, 60) + groups * 5, np.full(60, 0.25)])
    d[3, 0] = np.nan
    low, high = grouped_mean_bca(d, groups, n_resamples=2000, seed=3)
    # group 1 is shifted by 5: its interval sits around 5, the pooled one in between
    assert low[2, 0] > 4 and high[1, 0] < 1 and low[0, 0] < 5 < high[2, 0] + 1
    # constant differences: a zero-width interval at the value, no warnings
    assert (low[:, 1] == 0.25).all() and (high[:, 1] == 0.25).all()
    # deterministic for a seed
    again = grouped_mean_bca(d, groups, n_resamples=2000, seed=3)
    assert np.array_equal(low, again[0], equal_nan=True)
    assert math.isnan(grouped_mean_bca(np.array([[1.0], [np.nan]]))[0][0, 0])


def test_studentized_bootstrap_is_undefined_not_zero_width_for_constant_columns():
    rng = np.random.default_rng(16)
    groups = np.repeat([0, 1], 30)
    d = np.column_stack([rng.normal(0, 1, 60) + groups * 5, np.full(60, 0.25)])
    low, high = grouped_mean_studentized(d, groups, n_resamples=1000, seed=3)
    assert low[2, 0] > 4 and high[1, 0] < 1
    assert np.isnan(low[:, 1]).all() and np.isnan(high[:, 1]).all()


def test_relative_guardrail_margins_are_a_share_of_the_baseline_mean():
    frame = _decisive_frame({"baseline": 1.0, "pricey": 1.04}, {"baseline": 20, "pricey": 75})
    report = build_report(frame, run_id=1, guardrails=[{"metric": "cost_usd", "margin": "5%"}])
    (g,) = report["decision"]["guardrails"]
    base = frame[frame.arm == "baseline"].cost_usd.mean()
    assert g["margin"] == pytest.approx(0.05 * base) and g["margin_as_written"] == "5%"
    assert g["non_inferior"] and report["decision"]["winner"] == "pricey"


def test_studentized_bootstrap_aa_coverage_on_a_skewed_metric():
    rng = np.random.default_rng(5)
    reps, hits = 600, 0
    for r in range(reps):
        mu = rng.normal(1, 0.5, 60)[:, None]  # lognormal latency, tasks differ
        x = rng.lognormal(mu, 0.8, (60, 3)).mean(1)
        y = rng.lognormal(mu, 0.8, (60, 3)).mean(1)
        low, high = grouped_mean_studentized(y - x, n_resamples=400, seed=r)
        hits += low[0, 0] <= 0 <= high[0, 0]
    assert 0.93 <= hits / reps <= 0.97


def test_same_trials_in_any_row_order_give_byte_identical_json():
    frame = make_trials({"baseline": 0.0, "v": 0.4, "baseline-aa": 0.0}, n_tasks=40, repeats=3, seed=24)
    frame.loc[frame.index[:5], "status"] = "error"
    one = build_report(frame, run_id=9, guardrails=[{"metric": "latency_s", "margin": "10%"}])
    two = build_report(frame.sample(frac=1.0, random_state=3), run_id=9,
                       guardrails=[{"metric": "latency_s", "margin": "10%"}])
    assert json.dumps(one, sort_keys=True) == json.dumps(two, sort_keys=True)

"""Paired tests against scipy/statsmodels on the same inputs, plus the symmetry properties."""

import math
import warnings

import numpy as np
import pytest
from scipy import stats
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from tamma_tui.stats import (
    bca_bootstrap,
    cluster_means,
    clustered_mean_se,
    mcnemar_exact,
    paired_t,
    wilcoxon_signed_rank,
)


# ---------------------------------------------------------------- McNemar


@pytest.mark.parametrize("b,c,n", [(3, 10, 50), (10, 3, 50), (0, 7, 20), (5, 5, 40), (1, 0, 3), (25, 40, 200)])
def test_mcnemar_p_matches_statsmodels_and_binomtest(b, c, n):
    table = [[n - b - c, b], [c, 0]]
    res = mcnemar_exact(b, c, n)
    sm = sm_mcnemar(table, exact=True)
    assert res.p_value == pytest.approx(sm.pvalue, rel=1e-12)
    assert res.statistic == sm.statistic
    if b + c:
        assert res.p_value == pytest.approx(stats.binomtest(c, b + c, 0.5).pvalue, rel=1e-12)
    assert res.estimate == pytest.approx((c - b) / n)


def test_mcnemar_midp_is_exact_p_minus_the_observed_point_probability():
    b, c = 4, 13
    m = b + c
    res = mcnemar_exact(b, c, 60)
    expected = stats.binomtest(c, m, 0.5).pvalue - stats.binom.pmf(b, m, 0.5)  # two-sided: pmf(b) == pmf(c)
    assert res.extra["midp"] == pytest.approx(expected, rel=1e-12)
    assert res.extra["midp"] < res.p_value


def test_mcnemar_midp_matches_published_example():
    # Fagerland, Lydersen & Laake (2017), ch. 8, Cavo et al. (2012): McNemar mid-P = 0.034690.
    assert mcnemar_exact(6, 16, 161).extra["midp"] == pytest.approx(0.034690, abs=5e-7)


def test_mcnemar_newcombe_interval_matches_published_example():
    # Cavo et al. (2012) table in Fagerland, Lydersen & Laake (2017), ch. 8:
    # 59 both, 6 before only, 16 after only, 80 neither; Newcombe 95% CI -0.1186 to -0.0046
    # for before - after. Here "after" is the variant, so the interval is mirrored.
    res = mcnemar_exact(6, 16, 161, both_pass=59)
    assert res.estimate == pytest.approx(0.0621, abs=5e-5)
    assert res.ci_low == pytest.approx(0.0046, abs=5e-5)
    assert res.ci_high == pytest.approx(0.1186, abs=5e-5)


def test_mcnemar_wald_interval_matches_formula():
    b, c, n = 6, 16, 161
    res = mcnemar_exact(b, c, n)
    d = (c - b) / n
    se = math.sqrt((b + c) - (c - b) ** 2 / n) / n
    z = stats.norm.ppf(0.975)
    assert res.extra["wald_ci"] == pytest.approx((d - z * se, d + z * se), rel=1e-12)


def test_mcnemar_unknown_split_gives_the_widest_newcombe_interval():
    wide = mcnemar_exact(6, 16, 161)
    for both in (0, 59, 139):
        given = mcnemar_exact(6, 16, 161, both_pass=both)
        assert wide.ci_low <= given.ci_low + 1e-15 and wide.ci_high >= given.ci_high - 1e-15


def test_mcnemar_odds_ratio_interval_is_clopper_pearson_mapped():
    b, c = 4, 13
    res = mcnemar_exact(b, c, 60)
    ci = stats.binomtest(c, b + c).proportion_ci(confidence_level=0.95, method="exact")
    assert res.extra["odds_ratio"] == pytest.approx(c / b)
    lo, hi = res.extra["odds_ratio_ci"]
    assert lo == pytest.approx(ci.low / (1 - ci.low), rel=1e-9)
    assert hi == pytest.approx(ci.high / (1 - ci.high), rel=1e-9)


def test_mcnemar_swap_flips_sign_keeps_p():
    a, b = mcnemar_exact(3, 11, 40, both_pass=10), mcnemar_exact(11, 3, 40, both_pass=10)
    assert a.p_value == b.p_value and a.extra["midp"] == b.extra["midp"]
    assert a.estimate == -b.estimate
    assert a.ci_low == pytest.approx(-b.ci_high) and a.ci_high == pytest.approx(-b.ci_low)


def test_mcnemar_no_discordant_pairs_and_bad_counts():
    res = mcnemar_exact(0, 0, 30)
    assert res.p_value == 1.0 and res.extra["midp"] == 1.0 and res.estimate == 0.0
    assert res.ci_low <= 0 <= res.ci_high
    with pytest.raises(ValueError):
        mcnemar_exact(20, 20, 30)


# ---------------------------------------------------------------- paired t


def _pair(seed=0, n=40, shift=0.3):
    rng = np.random.default_rng(seed)
    x = rng.normal(1.0, 1.0, n)
    return x, x + shift + rng.normal(0, 0.7, n)


def test_paired_t_matches_scipy_ttest_rel_and_interval():
    x, y = _pair()
    res = paired_t(x, y, alpha=0.1)
    ref = stats.ttest_rel(y, x)
    ci = ref.confidence_interval(confidence_level=0.9)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert (res.ci_low, res.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert res.df == len(x) - 1
    assert res.estimate == pytest.approx(np.mean(y - x))


def test_paired_t_swap_flips_sign_keeps_p():
    x, y = _pair(3)
    a, b = paired_t(x, y), paired_t(y, x)
    assert a.p_value == pytest.approx(b.p_value, rel=1e-12)
    assert a.estimate == pytest.approx(-b.estimate)
    assert a.ci_low == pytest.approx(-b.ci_high) and a.ci_high == pytest.approx(-b.ci_low)


@pytest.mark.parametrize("shift,p", [(0.25, 0.0), (0.0, 1.0)])
def test_paired_t_constant_difference_gives_zero_width_interval_without_warnings(shift, p):
    x = np.array([0.1, 0.7, 0.3, 0.9, 0.55])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = paired_t(x, x + shift)
    assert res.ci_low == res.ci_high == pytest.approx(shift)
    assert res.p_value == p
    assert not math.isnan(res.statistic)


def test_paired_t_drops_nan_pairs():
    x, y = _pair(5, n=20)
    x2, y2 = np.append(x, [np.nan, 1.0]), np.append(y, [2.0, np.nan])
    res = paired_t(x2, y2)
    assert res.extra["n_dropped"] == 2 and res.extra["n"] == 20
    assert res.p_value == pytest.approx(stats.ttest_rel(y, x).pvalue)
    assert math.isnan(paired_t([1.0], [2.0]).p_value)
    assert math.isnan(paired_t([], []).estimate)


# ---------------------------------------------------------------- Wilcoxon


@pytest.mark.parametrize("zero_method", ["wilcox", "zsplit", "pratt"])
def test_wilcoxon_matches_scipy(zero_method):
    rng = np.random.default_rng(7)
    x = rng.integers(0, 6, 35).astype(float)  # ties and zero differences on purpose
    y = x + rng.integers(-1, 3, 35)
    res = wilcoxon_signed_rank(x, y, zero_method=zero_method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = stats.wilcoxon(y - x, zero_method=zero_method)
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert res.extra["n_zero"] == int(np.sum(y == x))


def test_wilcoxon_method_is_passed_to_scipy():
    x = np.array([1.0, 2, 2, 3, 5, 5, 6])
    y = np.array([2.0, 2, 4, 3, 7, 8, 6.5])
    res = wilcoxon_signed_rank(x, y, method="approx")
    assert res.p_value == pytest.approx(stats.wilcoxon(y - x, method="approx").pvalue, rel=1e-12)


def test_wilcoxon_swap_keeps_p_and_flips_effect():
    x, y = _pair(11, n=25)
    a, b = wilcoxon_signed_rank(x, y), wilcoxon_signed_rank(y, x)
    assert a.p_value == pytest.approx(b.p_value) and a.statistic == b.statistic
    assert a.estimate == pytest.approx(-b.estimate)
    assert a.extra["rank_biserial"] == pytest.approx(-b.extra["rank_biserial"])


def test_wilcoxon_all_zero_differences_gives_p_one():
    x = [1.0, 2.0, 3.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = wilcoxon_signed_rank(x, x)
    assert res.p_value == 1.0 and res.estimate == 0.0


# ---------------------------------------------------------------- BCa bootstrap


def test_bca_matches_scipy_bootstrap_with_the_same_seed():
    rng = np.random.default_rng(2)
    d = rng.exponential(1.0, 60) - 0.5
    low, high = bca_bootstrap(d, alpha=0.1, n_resamples=3000, seed=42)
    ref = stats.bootstrap((d,), np.mean, n_resamples=3000, confidence_level=0.9, method="BCa",
                          rng=np.random.default_rng(42))
    assert (low, high) == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high), rel=1e-12)
    assert low < d.mean() < high


def test_bca_is_seeded_and_degenerate_inputs_collapse():
    d = np.random.default_rng(4).normal(size=30)
    assert bca_bootstrap(d, seed=5) == bca_bootstrap(d, seed=5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        low, high = bca_bootstrap([0.2] * 12)
        assert low == high == pytest.approx(0.2)
        assert bca_bootstrap([0.7]) == (0.7, 0.7)
    assert all(math.isnan(v) for v in bca_bootstrap([np.nan]))


def test_bca_median_statistic():
    d = np.random.default_rng(8).normal(0.5, 1, 40)
    low, high = bca_bootstrap(d, statistic=np.median, seed=1)
    ref = stats.bootstrap((d,), np.median, n_resamples=2000, method="BCa", rng=np.random.default_rng(1))
    assert (low, high) == pytest.approx((ref.confidence_interval.low, ref.confidence_interval.high))


# ---------------------------------------------------------------- clustered SE


def test_clustered_se_matches_statsmodels_ols_cluster():
    rng = np.random.default_rng(9)
    tasks = np.repeat(np.arange(30), rng.integers(1, 6, 30))  # unbalanced clusters
    p_task = rng.uniform(0.1, 0.9, 30)
    values = (rng.uniform(size=tasks.size) < p_task[tasks]).astype(float)
    mean, se, g = clustered_mean_se(values, tasks)
    fit = OLS(values, np.ones((values.size, 1))).fit(cov_type="cluster", cov_kwds={"groups": tasks})
    assert mean == pytest.approx(fit.params[0], rel=1e-12)
    assert se == pytest.approx(fit.bse[0], rel=1e-10)
    assert g == 30


def test_clustered_se_with_string_labels_and_nan():
    values = [1.0, 0.0, np.nan, 1.0, 1.0, 0.0, 0.5]
    labels = ["a", "a", "b", "b", "c", "c", "d"]
    mean, se, g = clustered_mean_se(values, labels)
    codes = np.array([0, 0, 1, 2, 2, 3])  # "b" keeps one value after the NaN
    v = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.5])
    fit = OLS(v, np.ones((6, 1))).fit(cov_type="cluster", cov_kwds={"groups": codes})
    assert (mean, se, g) == pytest.approx((fit.params[0], fit.bse[0], 4))
    assert math.isnan(clustered_mean_se([1.0, 0.0], ["a", "a"])[1])


def test_cluster_means_matches_pandas_groupby():
    import pandas as pd

    rng = np.random.default_rng(1)
    labels = rng.choice(["t1", "t2", "t3", "t4"], 50)
    values = rng.normal(size=50)
    values[3] = np.nan
    got_labels, got_means = cluster_means(values, labels)
    ref = pd.Series(values).groupby(labels).mean()
    assert list(got_labels) == list(ref.index)
    assert got_means == pytest.approx(ref.to_numpy())


@pytest.mark.parametrize("labels", [np.array([7, 3, 3, 9, 7, 3]), np.array([7, 3, 3, 9, 7, 3]) * 10**12,
                                    np.array(["g", "c", "c", "i", "g", "c"])])
def test_cluster_codes_fast_and_sorting_paths_agree_with_np_unique(labels):
    from tamma_tui.stats.paired import cluster_codes

    got_labels, got_codes = cluster_codes(labels)
    ref_labels, ref_codes = np.unique(labels, return_inverse=True)
    assert list(got_labels) == list(ref_labels) and list(got_codes) == list(ref_codes)
    assert clustered_mean_se([1.0, 0, 1, 0, 1, 1], labels) == clustered_mean_se([1.0, 0, 1, 0, 1, 1], ref_codes)


def test_results_are_scipy_style_with_confidence_interval_at_any_level():
    from scipy import stats as sps

    from tamma_tui.stats.paired import paired_t

    x, y = [1, 2, 3, 4.5, 2.2], [2, 2.5, 3.9, 5, 2.0]
    res = paired_t(x, y, alpha=0.05)
    ref = sps.ttest_rel(y, x)
    assert res.pvalue == res.p_value and abs(res.pvalue - ref.pvalue) < 1e-12
    for level in (0.95, 0.9, 0.99):
        low, high = res.confidence_interval(level)
        ci = ref.confidence_interval(confidence_level=level)
        assert abs(low - ci.low) < 1e-12 and abs(high - ci.high) < 1e-12


def test_sign_flip_result_never_gives_p_zero_nor_a_zero_width_interval():
    import math

    from tamma_tui.stats.permutation import sign_flip_test

    res = sign_flip_test([1.0] * 40, seed=1)
    assert res.pvalue > 0 and res.method == "binomial_exact"
    assert all(math.isnan(v) for v in res.confidence_interval(0.95))
    mc = sign_flip_test(np.linspace(0.5, 1.5, 60), seed=1)
    assert mc.method == "monte_carlo" and mc.pvalue == 1 / 10_000 and mc.mc_error > 0

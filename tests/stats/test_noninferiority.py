"""Non-inferiority tests: paired t against scipy, Tango's score test against published values."""

import math
import warnings

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar

from tamma_tui.stats import noninferiority_test
from tamma_tui.stats.noninferiority import tango_restricted_p21, tango_score_z


def _pair(seed, n=50, shift=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(10, 2, n)
    return x, x + shift + rng.normal(0, 1, n)


def test_higher_is_better_matches_one_sided_ttest():
    x, y = _pair(0, shift=-0.1)
    res = noninferiority_test(x, y, margin=0.5, higher_is_better=True, alpha=0.05)
    ref = stats.ttest_1samp(y - x, -0.5, alternative="greater")
    bound = stats.ttest_1samp(y - x, 0.0, alternative="greater").confidence_interval(0.95).low
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert res.statistic == pytest.approx(ref.statistic)
    assert res.ci_low == pytest.approx(bound) and res.ci_high == math.inf
    assert res.extra["non_inferior"] == (ref.pvalue < 0.05) == (bound > -0.5)


def test_lower_is_better_orients_the_difference():
    x, y = _pair(1, shift=0.2)  # variant is slower by ~0.2: worse when lower is better
    res = noninferiority_test(x, y, margin=0.5, higher_is_better=False)
    ref = stats.ttest_1samp(x - y, -0.5, alternative="greater")
    bound = stats.ttest_1samp(y - x, 0.0, alternative="less").confidence_interval(0.95).high
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    assert res.ci_low == -math.inf and res.ci_high == pytest.approx(bound)
    assert res.estimate == pytest.approx(np.mean(y - x))
    strict = noninferiority_test(x, y, margin=0.0, higher_is_better=False)
    assert not strict.extra["non_inferior"] and strict.p_value > 0.5


def test_constant_difference_and_too_few_pairs():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = noninferiority_test(x, x - 0.1, margin=0.2, higher_is_better=True)
        bad = noninferiority_test(x, x - 0.3, margin=0.2, higher_is_better=True)
    assert ok.p_value == 0.0 and ok.extra["non_inferior"] and ok.ci_low == pytest.approx(-0.1)
    assert bad.p_value == 1.0 and not bad.extra["non_inferior"]
    few = noninferiority_test([1.0], [1.0], margin=0.1, higher_is_better=True)
    assert math.isnan(few.p_value) and few.extra["non_inferior"] is False


def _cavo():
    # 59 both pass, 6 baseline only, 16 variant only, 80 neither (Cavo et al. 2012).
    x = np.r_[np.ones(59), np.ones(6), np.zeros(16), np.zeros(80)]
    y = np.r_[np.ones(59), np.zeros(6), np.ones(16), np.zeros(80)]
    return x, y


def test_tango_bound_matches_published_interval():
    # Fagerland, Lydersen & Laake (2017) report Tango's 95% CI -0.1240 to -0.0054 for
    # baseline - variant; the one-sided 97.5% lower bound for variant - baseline is 0.0054.
    x, y = _cavo()
    res = noninferiority_test(x, y, margin=0.0, higher_is_better=True, alpha=0.025, paired_binary=True)
    assert res.ci_low == pytest.approx(0.0054, abs=5e-5)
    flipped = noninferiority_test(y, x, margin=0.0, higher_is_better=True, alpha=0.025, paired_binary=True)
    assert flipped.ci_low == pytest.approx(-0.1240, abs=5e-5)


def test_tango_at_zero_margin_is_the_uncorrected_mcnemar_z():
    x, y = _cavo()
    res = noninferiority_test(x, y, margin=0.0, higher_is_better=True, paired_binary=True)
    chi2 = sm_mcnemar([[59, 6], [16, 80]], exact=False, correction=False).statistic
    assert res.statistic == pytest.approx(math.sqrt(chi2))
    assert res.p_value == pytest.approx(stats.norm.sf(math.sqrt(chi2)))


def test_tango_restricted_mle_maximises_the_likelihood():
    n, b, c, delta0 = 161, 16, 6, -0.1  # b = first-only, c = second-only

    def negloglik(q):
        return -(b * math.log(q + delta0) + c * math.log(q) + (n - b - c) * math.log(1 - 2 * q - delta0))

    ref = optimize.minimize_scalar(negloglik, bounds=(-delta0 + 1e-9, (1 - delta0) / 2 - 1e-9), method="bounded",
                                   options={"xatol": 1e-12})
    assert tango_restricted_p21(n, b, c, delta0) == pytest.approx(ref.x, abs=1e-7)
    assert tango_score_z(n, b, c, delta0) > tango_score_z(n, b, c, 0.0)


def test_binary_margin_and_orientation():
    x, y = _cavo()
    worse = noninferiority_test(y, x, margin=0.15, higher_is_better=True, paired_binary=True)
    assert worse.estimate == pytest.approx(-10 / 161) and worse.extra["non_inferior"]
    assert worse.p_value == pytest.approx(stats.norm.sf(worse.statistic))
    # lower_is_better on 0/1 outcomes is the same test on the complements
    low = noninferiority_test(1 - y, 1 - x, margin=0.15, higher_is_better=False, paired_binary=True)
    assert low.p_value == pytest.approx(worse.p_value) and low.ci_high == pytest.approx(-worse.ci_low)
    with pytest.raises(ValueError):
        noninferiority_test([0, 2], [1, 1], margin=0.1, higher_is_better=True, paired_binary=True)

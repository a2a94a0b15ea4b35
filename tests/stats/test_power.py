"""Sample size / MDE against statsmodels power classes, and simulation where no closed form exists."""

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower, TTestPower
from statsmodels.stats.proportion import binom_test_reject_interval

from tamma_tui.stats import (
    mcnemar_exact_power,
    paired_means_mde,
    paired_means_sample_size,
    paired_proportions_mde,
    paired_proportions_sample_size,
    paired_t_power,
    repeated_trials_mde,
    repeated_trials_normal_sample_size,
    repeated_trials_sample_size,
    repeated_trials_variance,
)
from tamma_tui.stats.power import _reject_limit, connor_sample_size

# ---------------------------------------------------------------- paired means


@pytest.mark.parametrize("d,alpha,power", [(0.2, 0.05, 0.8), (0.5, 0.05, 0.9), (0.8, 0.01, 0.8), (1.5, 0.05, 0.8)])
def test_paired_means_sample_size_matches_ttestpower(d, alpha, power):
    ref = TTestPower().solve_power(effect_size=d, alpha=alpha, power=power, alternative="two-sided")
    assert paired_means_sample_size(d, alpha=alpha, power=power) == math.ceil(ref)


@pytest.mark.parametrize("n", [5, 20, 64, 300])
def test_paired_means_mde_and_power_match_ttestpower(n):
    ref = TTestPower().solve_power(nobs=n, alpha=0.05, power=0.8, alternative="two-sided")
    assert paired_means_mde(n, alpha=0.05, power=0.8) == pytest.approx(ref, rel=1e-6)
    assert paired_t_power(0.3, n) == pytest.approx(TTestPower().power(0.3, n, 0.05), rel=1e-9)


# ---------------------------------------------------------------- paired proportions (McNemar)


@pytest.mark.parametrize("m", [1, 5, 10, 30, 57, 200])
def test_rejection_region_matches_statsmodels(m):
    low, high = binom_test_reject_interval(0.5, m, alpha=0.05)
    k = int(_reject_limit(np.array([m]), 0.05)[0])
    assert k == low and m - k == high


def test_exact_power_agrees_with_simulated_mcnemar():
    n, p10, p01 = 120, 0.08, 0.2
    power = mcnemar_exact_power(n, p10, p01)
    rng = np.random.default_rng(0)
    cells = rng.multinomial(n, [p10, p01, 1 - p10 - p01], size=20000)
    b, c = cells[:, 0], cells[:, 1]
    m = b + c
    p = np.minimum(1.0, 2 * stats.binom.cdf(np.minimum(b, c), m, 0.5))
    simulated = np.mean((p <= 0.05) & (m > 0))
    assert simulated == pytest.approx(power, abs=4 * math.sqrt(power * (1 - power) / 20000))


def test_connor_sample_size_then_exact_power_check():
    p1, mde = 0.6, 0.1
    p2 = p1 + mde
    p10, p01 = p1 * (1 - p2), p2 * (1 - p1)  # independence default
    psi, za, zb = p10 + p01, stats.norm.ppf(0.975), stats.norm.ppf(0.8)
    connor = (za * math.sqrt(psi) + zb * math.sqrt(psi - mde**2)) ** 2 / mde**2
    assert connor_sample_size(p10, p01) == pytest.approx(connor)
    n = paired_proportions_sample_size(p1, mde)
    assert n >= math.ceil(connor)
    assert mcnemar_exact_power(n, p10, p01) >= 0.8 > mcnemar_exact_power(n - 1, p10, p01)
    # A known discordance replaces the independence guess: fewer disagreements, fewer tasks.
    assert paired_proportions_sample_size(p1, mde, discordance=0.2) < n


def test_paired_proportions_mde_inverts_the_sample_size():
    n = 300
    mde = paired_proportions_mde(0.5, n)
    p10, p01 = 0.5 * (0.5 - mde), (0.5 + mde) * 0.5
    assert mcnemar_exact_power(n, p10, p01) == pytest.approx(0.8, abs=1e-6)
    assert paired_proportions_sample_size(0.5, mde + 1e-6) <= n
    assert math.isnan(paired_proportions_mde(0.5, 3))  # 3 tasks can never reach significance
    with pytest.raises(ValueError):
        paired_proportions_sample_size(0.95, 0.1)
    with pytest.raises(ValueError):
        paired_proportions_sample_size(0.6, 0.1, discordance=0.05)


# ---------------------------------------------------------------- repeated trials (Miller 2024)


def test_miller_normal_formula_with_independent_arms_equals_normalindpower():
    # With K = 1 the per-task difference variance is pA qA + pB qB, the same as two
    # independent groups of n, so Miller's n equals NormalIndPower's per-group n.
    pa, mde = 0.6, 0.1
    pb = pa + mde
    sd = math.sqrt((pa * (1 - pa) + pb * (1 - pb)) / 2)
    ref = NormalIndPower().solve_power(effect_size=mde / sd, alpha=0.05, power=0.8, ratio=1.0)
    assert repeated_trials_normal_sample_size(pa, mde, 1) == pytest.approx(ref, rel=1e-3)


def test_repeated_trials_variance_decomposition():
    pa, pb = 0.6, 0.7
    total = pa * (1 - pa) + pb * (1 - pb)
    assert repeated_trials_variance(pa, 0.1, 1, 0.3) == pytest.approx(total)  # K=1: rho irrelevant
    assert repeated_trials_variance(pa, 0.1, 4, 0.0) == pytest.approx(total / 4)  # no task effect
    assert repeated_trials_variance(pa, 0.1, 4, 1.0) == pytest.approx(total)  # K cannot help
    assert repeated_trials_variance(pa, 0.1, 3, 0.5, between_arm_corr=0.8) < repeated_trials_variance(pa, 0.1, 3, 0.5)


def test_repeated_trials_sample_size_is_t_refined_miller_and_decreases_with_k():
    n3 = repeated_trials_sample_size(0.6, 0.1, 3, within_task_corr=0.4)
    z = repeated_trials_normal_sample_size(0.6, 0.1, 3, within_task_corr=0.4)
    assert math.ceil(z) <= n3 <= math.ceil(z) + 3
    assert repeated_trials_sample_size(0.6, 0.1, 10, within_task_corr=0.4) < n3 < repeated_trials_sample_size(
        0.6, 0.1, 1, within_task_corr=0.4)
    mde = repeated_trials_mde(0.6, n3, 3, within_task_corr=0.4)
    assert mde <= 0.1 and repeated_trials_sample_size(0.6, mde, 3, within_task_corr=0.4) == n3
    assert math.isnan(repeated_trials_mde(0.6, 2, 3))


def test_repeated_trials_power_by_simulation():
    """Tasks with Beta-distributed pass probabilities (ICC = rho), K trials per arm, paired t."""
    pa, mde, k, rho = 0.5, 0.12, 3, 0.4
    n = repeated_trials_sample_size(pa, mde, k, within_task_corr=rho)
    rng = np.random.default_rng(1)
    sims = 3000
    conc = 1 / rho - 1  # Beta(a, b) with a + b = 1/rho - 1 has intra-class correlation rho

    def fractions(p):
        probs = rng.beta(p * conc, (1 - p) * conc, size=(sims, n))
        return rng.binomial(k, probs) / k

    d = fractions(pa + mde) - fractions(pa)
    t = d.mean(axis=1) / (d.std(axis=1, ddof=1) / math.sqrt(n))
    reject = np.abs(t) > stats.t.ppf(0.975, n - 1)
    assert reject.mean() == pytest.approx(0.8, abs=0.035)


def test_exact_power_window_equals_the_full_sum_over_discordant_counts():
    n, p10, p01 = 400, 0.1, 0.16
    psi, q = p10 + p01, p01 / (p10 + p01)
    total = 0.0
    for m in range(n + 1):
        c = np.arange(m + 1)
        p = np.minimum(1.0, 2 * stats.binom.cdf(np.minimum(c, m - c), m, 0.5))
        total += stats.binom.pmf(m, n, psi) * stats.binom.pmf(c, m, q)[p <= 0.05].sum()
    assert mcnemar_exact_power(n, p10, p01) == pytest.approx(total, abs=1e-12)


def test_large_sample_size_is_fast_and_first_to_reach_power():
    n = paired_proportions_sample_size(0.5, 0.01)
    p10, p01 = 0.5 * 0.49, 0.51 * 0.5
    assert mcnemar_exact_power(n, p10, p01) >= 0.8 > mcnemar_exact_power(n - 1, p10, p01)

"""Beta-binomial probability of superiority: closed form vs scipy quadrature vs Monte Carlo."""

import math

import pytest
from scipy import integrate, stats

from tamma_tui.stats import prob_variant_better, prob_variant_better_exact


def _quad(sa, na, sb, nb, prior=(1, 1)):
    a0, b0 = prior
    f = lambda x: stats.beta.pdf(x, a0 + sb, b0 + nb - sb) * stats.beta.cdf(x, a0 + sa, b0 + na - sa)  # noqa: E731
    return integrate.quad(f, 0, 1, limit=500, epsabs=1e-12)[0]


@pytest.mark.parametrize("counts", [(30, 50, 38, 50), (5, 10, 4, 10), (120, 200, 131, 200), (0, 5, 5, 5)])
def test_closed_form_matches_scipy_quadrature(counts):
    assert prob_variant_better_exact(*counts) == pytest.approx(_quad(*counts), abs=1e-8)


def test_non_integer_prior_uses_integral():
    counts = (30, 50, 38, 50)
    assert prob_variant_better_exact(*counts, prior=(0.5, 0.5)) == pytest.approx(
        _quad(*counts, prior=(0.5, 0.5)), abs=1e-8)


def test_monte_carlo_agrees_with_exact_and_is_seeded():
    counts = (30, 50, 38, 50)
    exact = prob_variant_better_exact(*counts)
    mc = prob_variant_better(*counts, draws=40000, seed=3)
    assert mc == pytest.approx(exact, abs=4 * math.sqrt(exact * (1 - exact) / 40000))
    assert prob_variant_better(*counts, seed=3, draws=40000) == mc


def test_swapping_arms_gives_the_complement_and_bad_input_raises():
    assert prob_variant_better_exact(30, 50, 38, 50) + prob_variant_better_exact(38, 50, 30, 50) == pytest.approx(1)
    assert prob_variant_better_exact(10, 20, 10, 20) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        prob_variant_better(6, 5, 1, 5)
    with pytest.raises(ValueError):
        prob_variant_better(1, 5, 1, 5, prior=(0, 1))

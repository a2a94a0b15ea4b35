"""Proportion intervals against statsmodels' proportion_confint."""

import numpy as np
import pytest
from statsmodels.stats.proportion import proportion_confint

from tamma_tui.stats import clopper_pearson, newcombe_paired_interval, wilson_interval


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (47, 120), (1, 1000)])
def test_wilson_and_clopper_pearson_match_statsmodels(k, n):
    assert wilson_interval(k, n, 0.05) == pytest.approx(proportion_confint(k, n, 0.05, method="wilson"), abs=1e-12)
    assert clopper_pearson(k, n, 0.1) == pytest.approx(proportion_confint(k, n, 0.1, method="beta"), abs=1e-10)


def test_wilson_is_vectorised_and_handles_empty():
    low, high = wilson_interval(np.array([1, 5]), np.array([10, 10]))
    assert low[1] == pytest.approx(proportion_confint(5, 10, method="wilson")[0])
    assert wilson_interval(0, 0) == (0.0, 1.0) and clopper_pearson(0, 0) == (0.0, 1.0)


def test_newcombe_contains_estimate_and_mirrors_when_arms_swap():
    low, high = newcombe_paired_interval(40, 5, 12, 43)
    assert low < (5 - 12) / 100 < high
    low2, high2 = newcombe_paired_interval(40, 12, 5, 43)
    assert (low2, high2) == pytest.approx((-high, -low))
    assert newcombe_paired_interval(0, 0, 0, 10) == pytest.approx((-0.2775, 0.2775), abs=1e-4)  # Wilson 0/10 bounds

"""Holm and Benjamini-Hochberg against statsmodels' multipletests, in input order."""

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from tamma_tui.stats import adjust, benjamini_hochberg, holm

PVALUES = np.array([0.04, 0.001, 0.3, 0.012, 0.04, 0.9, 0.0005, 0.02, 1.0, 0.049])


@pytest.mark.parametrize("ours,method", [(holm, "holm"), (benjamini_hochberg, "fdr_bh")])
def test_adjustment_matches_multipletests_in_input_order(ours, method):
    ref = multipletests(PVALUES, method=method)[1]
    assert ours(PVALUES) == pytest.approx(ref, rel=1e-12)
    rng = np.random.default_rng(0)
    random_p = rng.uniform(size=200) ** 3
    assert ours(random_p) == pytest.approx(multipletests(random_p, method=method)[1], rel=1e-12)


def test_nan_passes_through_and_does_not_count():
    p = np.array([0.01, np.nan, 0.04, 0.03])
    out = holm(p)
    assert np.isnan(out[1])
    assert out[[0, 2, 3]] == pytest.approx(multipletests([0.01, 0.04, 0.03], method="holm")[1])
    out = benjamini_hochberg(p)
    assert np.isnan(out[1])
    assert out[[0, 2, 3]] == pytest.approx(multipletests([0.01, 0.04, 0.03], method="fdr_bh")[1])


def test_adjust_dispatch_bounds_and_errors():
    assert adjust(PVALUES, "holm") == pytest.approx(holm(PVALUES))
    assert adjust(PVALUES, "bh") == pytest.approx(benjamini_hochberg(PVALUES))
    for out in (holm(PVALUES), benjamini_hochberg(PVALUES)):
        assert np.all((out >= PVALUES) & (out <= 1))
    assert holm([]).size == 0 and benjamini_hochberg([np.nan]).size == 1
    with pytest.raises(ValueError):
        adjust(PVALUES, "bonferroni")
    with pytest.raises(ValueError):
        holm([0.5, 1.5])

"""Effect sizes for paired comparisons; differences are oriented variant minus baseline."""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

from ._arrays import ArrayLike, finite, is_constant, paired_finite
from .proportions import clopper_pearson


def cohens_dz(diffs: ArrayLike) -> float:
    """Cohen's d_z = mean(d) / sd(d) (ddof=1) of per-task differences.

    Constant differences: 0 when they are zero, else +/-inf (the effect is certain).
    Fewer than two values: NaN.
    """
    d = finite(diffs)
    if d.size < 2:
        return math.nan
    mean = float(d.mean())
    if is_constant(d):
        return 0.0 if mean == 0 else math.copysign(math.inf, mean)
    return mean / float(d.std(ddof=1))


def hedges_correction(df: float) -> float:
    """Exact small-sample factor J(df) = Gamma(df/2) / (sqrt(df/2) Gamma((df-1)/2))."""
    if df <= 1:
        return 0.0 if df == 1 else math.nan
    return math.exp(special.gammaln(df / 2) - 0.5 * math.log(df / 2) - special.gammaln((df - 1) / 2))


def hedges_gz(diffs: ArrayLike) -> float:
    """Hedges' g_z: d_z times the exact small-sample correction J(n - 1)."""
    d = finite(diffs)
    dz = cohens_dz(d)
    if math.isnan(dz) or math.isinf(dz) or dz == 0:
        return dz
    return dz * hedges_correction(d.size - 1)


def rank_biserial(x: ArrayLike, y: ArrayLike) -> float:
    """Matched-pairs rank-biserial correlation (Kerby 2014) of d = y - x.

    r = (W+ - W-) / (W+ + W-) with average ranks of |d| over the non-zero differences;
    in [-1, 1], 0 when every difference is zero, NaN without pairs.
    """
    xa, ya, _ = paired_finite(x, y)
    d = ya - xa
    if d.size == 0:
        return math.nan
    d = d[d != 0]
    if d.size == 0:
        return 0.0
    ranks = stats.rankdata(np.abs(d))
    w_plus = float(ranks[d > 0].sum())
    total = float(ranks.sum())
    return (2 * w_plus - total) / total


def cliffs_delta(x: ArrayLike, y: ArrayLike) -> float:
    """Cliff's delta P(y > x) - P(y < x) over all (x, y) pairs; O(n log n) via sorting."""
    xa, ya = np.sort(finite(x)), finite(y)
    if xa.size == 0 or ya.size == 0:
        return math.nan
    below = np.searchsorted(xa, ya, side="left").sum()  # x values less than each y
    above = (xa.size - np.searchsorted(xa, ya, side="right")).sum()
    return float(below - above) / (xa.size * ya.size)


def risk_difference(b: int, c: int, n: int) -> float:
    """Paired risk difference (c - b) / n = variant pass rate - baseline pass rate."""
    return math.nan if n <= 0 else (c - b) / n


def conditional_odds_ratio(b: int, c: int, alpha: float = 0.05) -> tuple[float, float, float]:
    """Conditional (McNemar) odds ratio c / b with its exact interval.

    Given the discordant pairs m = b + c, c ~ Bin(m, OR / (1 + OR)); the Clopper-Pearson
    interval (lo, hi) for c / m maps to (lo / (1 - lo), hi / (1 - hi)). b = 0 gives an
    infinite estimate and upper bound; no discordant pairs give (NaN, 0, inf).
    """
    m = b + c
    if m == 0:
        return math.nan, 0.0, math.inf
    lo, hi = clopper_pearson(c, m, alpha)
    ratio = math.inf if b == 0 else c / b
    upper = math.inf if hi >= 1 else hi / (1 - hi)
    return ratio, lo / (1 - lo), upper

"""Intervals for proportions: Wilson, Clopper-Pearson and Newcombe's paired-difference interval."""

from __future__ import annotations

import numpy as np
from scipy import stats


def _z(alpha: float) -> float:
    return float(stats.norm.isf(alpha / 2))


def wilson_interval(k, n, alpha: float = 0.05) -> tuple[np.ndarray | float, np.ndarray | float]:
    """Wilson score interval for k successes out of n (vectorised; n == 0 -> (0, 1))."""
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    z = _z(alpha)
    z2 = z * z
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    low = np.where(n > 0, np.clip(centre - half, 0.0, 1.0), 0.0)
    high = np.where(n > 0, np.clip(centre + half, 0.0, 1.0), 1.0)
    # At k == 0 or k == n the bound equals the point estimate exactly; remove rounding dust.
    low = np.where(k <= 0, 0.0, low)
    high = np.where(k >= n, 1.0, high)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


def clopper_pearson(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for a binomial proportion; n == 0 -> (0, 1)."""
    if n <= 0:
        return 0.0, 1.0
    low = 0.0 if k <= 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    high = 1.0 if k >= n else float(stats.beta.isf(alpha / 2, k + 1, n - k))
    return low, high


def newcombe_paired_interval(a, b, c, d, alpha: float = 0.05):
    """Newcombe (1998) method 10 interval for p1 - p2 from a paired 2x2 table.

    Cells: a = both positive, b = first positive only, c = second positive only, d = neither;
    p1 = (a + b) / n, p2 = (a + c) / n. Square-and-add (hybrid score) interval built from the
    two marginal Wilson intervals and the table's phi correlation, with phi's cross product
    ad - bc reduced by n/2 when it exceeds n/2 and set to 0 in [0, n/2] (phi = 0 when a
    margin is empty), as in Newcombe (1998) and Fagerland, Lydersen & Laake (2017, ch. 8).
    Vectorised over ``a`` and ``d`` so a caller can scan the unknown concordant split.
    """
    a, b, c, d = (np.asarray(v, dtype=float) for v in (a, b, c, d))
    n = a + b + c + d
    with np.errstate(invalid="ignore", divide="ignore"):
        p1 = (a + b) / n
        p2 = (a + c) / n
        l1, u1 = wilson_interval(a + b, n, alpha)
        l2, u2 = wilson_interval(a + c, n, alpha)
        margins = (a + b) * (c + d) * (a + c) * (b + d)
        # Newcombe's phi: a positive cross-product excess is reduced by n/2 (and floored at
        # 0) so the interval never gets narrower than the data support; negative stays.
        cross = a * d - b * c
        cross = np.where(cross > n / 2, cross - n / 2, np.where(cross >= 0, 0.0, cross))
        phi = np.where(margins > 0, cross / np.sqrt(np.where(margins > 0, margins, 1.0)), 0.0)
        dl1, du1, dl2, du2 = p1 - l1, u1 - p1, p2 - l2, u2 - p2
        delta = np.sqrt(np.maximum(dl1**2 - 2 * phi * dl1 * du2 + du2**2, 0.0))
        eps = np.sqrt(np.maximum(du1**2 - 2 * phi * du1 * dl2 + dl2**2, 0.0))
    diff = p1 - p2
    low = np.clip(diff - delta, -1.0, 1.0)
    high = np.clip(diff + eps, -1.0, 1.0)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high

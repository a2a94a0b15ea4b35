"""One-sided non-inferiority tests for guardrail metrics (paired by task).

H0: the variant is worse than the baseline by at least ``margin``; H1: it is worse by
less than the margin (or better). "Worse" follows ``higher_is_better``. The result's
estimate is mean(y - x) (variant - baseline); the one-sided (1 - alpha) bound sits in
ci_low (higher is better; ci_high = +inf) or ci_high (lower is better; ci_low = -inf).
``extra["non_inferior"]`` is p < alpha, which is the same as the bound clearing the margin.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats

from ._arrays import ArrayLike, is_constant, paired_finite
from .paired import TestResult

NAN = float("nan")


def tango_restricted_p21(n: int, b: int, c: int, delta0: float) -> float:
    """Restricted MLE of cell p21 under p12 - p21 = delta0 (Tango 1998), b = n12, c = n21."""
    a2 = 2.0 * n
    b2 = -b - c + (2.0 * n - b + c) * delta0
    c2 = -c * delta0 * (1 - delta0)
    disc = max(b2 * b2 - 4 * a2 * c2, 0.0)
    return (math.sqrt(disc) - b2) / (2 * a2)


def tango_score_z(n: int, b: int, c: int, delta0: float) -> float:
    """Tango's score statistic for H0: p12 - p21 = delta0 in a paired 2x2 table.

    b = first-only positives (n12), c = second-only positives (n21). At delta0 = 0 it is the
    uncorrected McNemar z = (b - c) / sqrt(b + c).
    """
    q = tango_restricted_p21(n, b, c, delta0)
    var = n * (2 * q + delta0 * (1 - delta0))
    num = b - c - n * delta0
    if var <= 0:
        return 0.0 if num == 0 else math.copysign(math.inf, num)
    return num / math.sqrt(var)


def _binary_noninferiority(good_x: np.ndarray, good_y: np.ndarray, margin: float, alpha: float):
    """Tango score test of p_y - p_x > -margin, and its one-sided lower bound."""
    n = good_x.size
    c = int(np.sum((good_y == 1) & (good_x == 0)))  # variant-only passes: first-only cell
    b = int(np.sum((good_x == 1) & (good_y == 0)))
    z = tango_score_z(n, c, b, -margin)
    p = float(stats.norm.sf(z))
    diff = (c - b) / n
    crit = float(stats.norm.isf(alpha))
    f = lambda d0: tango_score_z(n, c, b, d0) - crit  # noqa: E731 - decreasing in d0
    lo_end = -1 + 1e-12
    if f(lo_end) <= 0:
        bound = -1.0
    elif f(diff) >= 0:
        bound = diff
    else:
        bound = float(optimize.brentq(f, lo_end, diff, xtol=1e-12))
    return z, p, bound, {"method": "tango_score", "b": b, "c": c}


def noninferiority_test(x: ArrayLike, y: ArrayLike, *, margin: float, higher_is_better: bool,
                        alpha: float = 0.05, paired_binary: bool = False) -> TestResult:
    """Paired one-sided non-inferiority test of variant ``y`` against baseline ``x``.

    Continuous: paired t on d = y - x (or x - y when lower is better) against -margin.
    ``paired_binary``: x, y are 0/1 per task and Tango's score test for paired proportions
    is used; its bound inverts the same test. NaN pairs are dropped. Fewer than two pairs
    (one for binary): NaN p and bound, non_inferior False.
    """
    if margin < 0 or not math.isfinite(margin):
        raise ValueError(f"margin must be a finite number >= 0, got {margin}")
    xa, ya, dropped = paired_finite(x, y)
    n = xa.size
    sign = 1.0 if higher_is_better else -1.0
    extra = {"n": n, "n_dropped": dropped, "margin": margin, "higher_is_better": higher_is_better}
    estimate = float(np.mean(ya - xa)) if n else NAN
    if paired_binary:
        if not np.all(np.isin(xa, (0, 1)) & np.isin(ya, (0, 1))):
            raise ValueError("paired_binary needs 0/1 values")
        if n == 0:
            return TestResult(NAN, NAN, NAN, NAN, NAN, None, {**extra, "non_inferior": False})
        gx, gy = (xa, ya) if higher_is_better else (1 - xa, 1 - ya)
        stat, p, bound_good, more = _binary_noninferiority(gx, gy, margin, alpha)
        extra.update(more)
        df = None
    else:
        extra["method"] = "paired_t"
        if n < 2:
            return TestResult(NAN, NAN, NAN, NAN, estimate, None, {**extra, "non_inferior": False})
        d = sign * (ya - xa)
        mean = float(d.mean())
        df = float(n - 1)
        if is_constant(d):
            shifted = mean + margin
            stat = 0.0 if shifted == 0 else math.copysign(math.inf, shifted)
            p = 0.0 if shifted > 0 else (0.5 if shifted == 0 else 1.0)
            bound_good = mean
        else:
            se = float(d.std(ddof=1)) / math.sqrt(n)
            stat = (mean + margin) / se
            p = float(stats.t.sf(stat, df))
            bound_good = mean - float(stats.t.isf(alpha, df)) * se
    extra["non_inferior"] = bool(p < alpha)
    if higher_is_better:
        low, high = bound_good, math.inf
    else:
        low, high = -math.inf, -bound_good
    return TestResult(float(stat), min(max(p, 0.0), 1.0), low, high, estimate, df, extra)

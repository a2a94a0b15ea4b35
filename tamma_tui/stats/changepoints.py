"""Change points in a metric's history (one value per run, in time order).

Two detectors share one recursion: find the best split of a segment, keep it when a
Student t test of the values either side is significant, then look inside both halves.
  - ``e_divisive_means``: the split maximises the energy-distance divergence of Matteson
    and James (2014) with exponent 1 (sensitive to any change in distribution, robust to
    outliers), with a t test instead of their permutation test, as in the E-divisive
    means detectors used for performance histories.
  - ``binary_segmentation``: the split minimises the within-segment sum of squares (the
    classic mean-shift CUSUM criterion); simpler and faster.
A split is kept when its t test, Bonferroni-adjusted for the number of candidate splits
in its segment (the split is the best of them, so the plain test would be optimistic),
is below ``alpha``; splits are not corrected against each other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import stats

from ._arrays import ArrayLike, finite, is_constant

MAX_POINTS = 5000  # the energy criterion holds an n x n distance table


@dataclass(frozen=True)
class ChangePoint:
    """A shift starting at ``index`` (first value of the new segment).

    ``p_value`` is the Student t test of the two sides within the segment that was split,
    Bonferroni-adjusted for the number of candidate splits scanned; ``raw_p_value`` is the
    unadjusted test.
    """

    index: int
    p_value: float
    mean_before: float
    mean_after: float
    criterion: float
    raw_p_value: float


def pooled_t_p(left: np.ndarray, right: np.ndarray) -> float:
    """Two-sided Student (pooled-variance) t test p-value; constant sides give 0 (means
    differ) or 1, without warnings. Pooling keeps a short side with a by-chance tiny
    spread from producing a huge t, which Welch's test would."""
    if left.size < 2 or right.size < 2:
        return math.nan
    if is_constant(left) and is_constant(right):
        return 1.0 if left[0] == right[0] else 0.0
    # The pooled t test by hand (same result as scipy's ttest_ind(equal_var=True)): scipy
    # warns on sides that are equal up to rounding, which a price per run often is.
    n1, n2 = left.size, right.size
    m1, m2 = float(left.mean()), float(right.mean())
    ss = float(((left - m1) ** 2).sum() + ((right - m2) ** 2).sum())
    df = n1 + n2 - 2
    scale = max(abs(m1), abs(m2), 1.0)
    if ss <= (1e-12 * scale) ** 2 * (n1 + n2):
        return 1.0 if abs(m1 - m2) <= 1e-12 * scale else 0.0
    t = (m1 - m2) / math.sqrt(ss / df * (1 / n1 + 1 / n2))
    return float(min(1.0, 2 * stats.t.sf(abs(t), df)))


def energy_split_criterion(values: ArrayLike, min_size: int = 3) -> np.ndarray:
    """q(tau) for every split tau (left = values[:tau]); NaN where a side is < min_size.

    q = tau (n - tau) / n * (2 E|X - Y| - E|X - X'| - E|Y - Y'|), expectations as sample
    means over cross pairs and over distinct within-side pairs; all splits at once from
    2-D prefix sums of the |x_i - x_j| table.
    """
    x = finite(values)
    n = x.size
    out = np.full(n + 1, np.nan)
    if n < 2 * max(min_size, 2):
        return out
    if n > MAX_POINTS:
        raise ValueError(f"energy criterion supports at most {MAX_POINTS} points, got {n}")
    dist = np.abs(x[:, None] - x[None, :])
    prefix = np.zeros((n + 1, n + 1))
    prefix[1:, 1:] = dist.cumsum(0).cumsum(1)
    tau = np.arange(max(min_size, 2), n - max(min_size, 2) + 1)
    left_sq = prefix[tau, tau]  # sum over the left block, both orders of each pair
    right_sq = prefix[n, n] - 2 * prefix[tau, n] + prefix[tau, tau]
    cross = prefix[tau, n] - prefix[tau, tau]
    m = n - tau
    between = cross / (tau * m)
    within_left = left_sq / (tau * (tau - 1))
    within_right = right_sq / (m * (m - 1))
    out[tau] = tau * m / n * (2 * between - within_left - within_right)
    return out


def mean_shift_split_criterion(values: ArrayLike, min_size: int = 3) -> np.ndarray:
    """Reduction in the sum of squares from splitting at tau: tau (n - tau) / n * (mean_L - mean_R)^2."""
    x = finite(values)
    n = x.size
    out = np.full(n + 1, np.nan)
    if n < 2 * max(min_size, 1):
        return out
    csum = np.concatenate(([0.0], np.cumsum(x - x.mean())))  # centring keeps precision
    tau = np.arange(max(min_size, 1), n - max(min_size, 1) + 1)
    mean_left = csum[tau] / tau
    mean_right = (csum[n] - csum[tau]) / (n - tau)
    out[tau] = tau * (n - tau) / n * (mean_left - mean_right) ** 2
    return out


def _detect(values: ArrayLike, criterion: Callable[[np.ndarray, int], np.ndarray], alpha: float,
            min_size: int, max_change_points: int | None) -> list[ChangePoint]:
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if min_size < 2:
        raise ValueError(f"min_size must be >= 2, got {min_size}")
    x = finite(values)
    found: list[ChangePoint] = []
    pending = [(0, x.size)]
    while pending:
        start, stop = pending.pop()
        seg = x[start:stop]
        if seg.size < 2 * min_size or is_constant(seg):
            continue
        score = criterion(seg, min_size)
        if np.all(np.isnan(score)):
            continue
        tau = int(np.nanargmax(score))
        left, right = seg[:tau], seg[tau:]
        raw = pooled_t_p(left, right)
        # The split was chosen as the best of all candidates, which makes its plain t test
        # far too optimistic; Bonferroni over the candidates scanned keeps it honest.
        p = min(1.0, raw * int(np.sum(~np.isnan(score))))
        if not p < alpha:
            continue
        found.append(ChangePoint(start + tau, p, float(left.mean()), float(right.mean()), float(score[tau]), raw))
        if max_change_points is not None and len(found) >= max_change_points:
            break
        pending.extend([(start, start + tau), (start + tau, stop)])
    return sorted(found, key=lambda cp: cp.index)


def e_divisive_means(values: ArrayLike, *, alpha: float = 0.05, min_size: int = 3,
                     max_change_points: int | None = None) -> list[ChangePoint]:
    """Change points by E-divisive splitting with a Student t-test significance check.

    NaN values are dropped first, so indices refer to the finite values in order.
    """
    return _detect(values, energy_split_criterion, alpha, min_size, max_change_points)


def binary_segmentation(values: ArrayLike, *, alpha: float = 0.05, min_size: int = 3,
                        max_change_points: int | None = None) -> list[ChangePoint]:
    """Change points by least-squares binary segmentation with a Student t-test check."""
    return _detect(values, mean_shift_split_criterion, alpha, min_size, max_change_points)

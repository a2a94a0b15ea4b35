"""Always-valid p-values for sequential monitoring (normal-mixture mSPRT).

Johari, Koomen, Pekelis and Walsh, "Peeking at A/B tests" (2017): for observations
d_i ~ N(theta, sigma^2) and H0: theta = 0, mixing theta ~ N(0, tau^2) over the alternative
gives the likelihood ratio after n observations with mean m:
    Lambda_n = sqrt(sigma^2 / (sigma^2 + n tau^2)) * exp(n^2 tau^2 m^2 / (2 sigma^2 (sigma^2 + n tau^2)))
and p_n = min(p_{n-1}, 1 / Lambda_n) is valid at every n simultaneously: stopping the first
time p_n < alpha keeps the type I error at most alpha however often one looks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._arrays import ArrayLike, as_float


def msprt_log_lr(n: np.ndarray, mean: np.ndarray, var: np.ndarray, tau: float) -> np.ndarray:
    """log Lambda_n of the normal mixture (vectorised); var == 0 -> +inf if mean != 0 else 0."""
    n, mean, var = (np.asarray(v, dtype=float) for v in (n, mean, var))
    t2 = tau * tau
    with np.errstate(divide="ignore", invalid="ignore"):
        total = var + n * t2
        log_lr = 0.5 * np.log(var / total) + (n * n * t2 * mean * mean) / (2 * var * total)
    degenerate = var <= 0
    log_lr = np.where(degenerate, np.where(mean != 0, np.inf, 0.0), log_lr)
    return np.where(n > 0, log_lr, 0.0)


def _running_moments(d: np.ndarray, sigma: float | None, min_n: int):
    """Per position: valid count n, running mean, variance used, and whether enough seen."""
    ok = ~np.isnan(d)
    x = np.where(ok, d, 0.0)
    n = np.cumsum(ok).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, np.cumsum(x) / np.maximum(n, 1), 0.0)
        if sigma is None:
            # running variance from shifted sums keeps precision for large offsets
            shift = x[ok][0] if ok.any() else 0.0
            xs = np.where(ok, x - shift, 0.0)
            s1, s2 = np.cumsum(xs), np.cumsum(xs * xs)
            var = np.where(n > 1, (s2 - s1 * s1 / np.maximum(n, 1)) / np.maximum(n - 1, 1), 0.0)
            var = np.maximum(var, 0.0)
            enough = n >= max(min_n, 2)
        else:
            if sigma < 0:
                raise ValueError(f"sigma must be >= 0, got {sigma}")
            var = np.full(d.shape, float(sigma) ** 2)
            enough = n >= 1
    return n, mean, var, enough


def msprt_confidence_sequence(diffs: ArrayLike, *, tau: float, alpha: float = 0.05, sigma: float | None = None,
                              min_n: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Always-valid (1 - alpha) confidence sequence for the mean difference, per position.

    The set of theta0 the mSPRT of H0: theta = theta0 has not rejected at level alpha:
      mean +/- sqrt(sigma^2 (sigma^2 + n tau^2) / (n^2 tau^2) * (log((sigma^2 + n tau^2) / sigma^2) - 2 log alpha)),
    intersected over time (so it only narrows, like the running-minimum p-value; 0 lies
    outside it exactly when msprt_pvalues(...) < alpha). Same sigma and ``min_n`` rules
    as :func:`msprt_pvalues`; (-inf, inf) before enough data.
    """
    if not tau > 0:
        raise ValueError(f"tau must be positive, got {tau}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    d = as_float(diffs)
    n, mean, var, enough = _running_moments(d, sigma, min_n)
    t2 = tau * tau
    with np.errstate(invalid="ignore", divide="ignore"):
        total = var + n * t2
        half = np.sqrt(var * total / (n * n * t2) * (np.log(total / var) - 2 * np.log(alpha)))
    half = np.where(var <= 0, 0.0, half)
    low = np.where(enough, mean - half, -np.inf)
    high = np.where(enough, mean + half, np.inf)
    if low.size:
        low, high = np.maximum.accumulate(low), np.minimum.accumulate(high)
    return low, high


def msprt_pvalues(diffs: ArrayLike, *, tau: float, sigma: float | None = None, min_n: int = 10) -> np.ndarray:
    """Always-valid p-values after each element of a stream of per-task paired differences.

    ``tau`` is the mixing standard deviation, in the units of the differences (a good choice
    is the size of effect one hopes to detect). ``sigma`` is the standard deviation of one
    difference; when None it is estimated by the running sample sd (ddof=1) of the values
    seen so far, a plug-in that is only approximately valid, so the p-value stays 1 until
    ``min_n`` values have been seen. NaN entries are skipped (they repeat the previous p).
    The result has the input's length, lies in [0, 1] and never increases.
    """
    if not tau > 0:
        raise ValueError(f"tau must be positive, got {tau}")
    d = as_float(diffs)
    n, mean, var, enough = _running_moments(d, sigma, min_n)
    log_lr = msprt_log_lr(n, mean, var, tau)
    raw = np.where(enough, np.exp(-np.maximum(log_lr, 0.0)), 1.0)
    return np.clip(np.minimum.accumulate(raw), 0.0, 1.0) if raw.size else raw


# ---------------------------------------------------------------- betting e-process (v2)
#
# The plug-in mSPRT above is only approximately valid: with a look after every task its
# type I error drifts above alpha. The monitor now uses a product of predictable bets
#     E_n(theta0) = prod_i exp(lam_i (d_i - theta0) - lam_i^2 (d_i - theta0)^2 / 2),
# a nonnegative supermartingale whenever d_i - theta0 is symmetric about 0 given the past
# (de la Pena 1999: E exp(lam X - lam^2 X^2 / 2) <= 1 for symmetric X, any predictable
# lam). Under the sign-flip null of the permutation test that holds exactly, whatever the
# variance, so Ville's inequality bounds the chance of ever crossing 1/a by a (Howard,
# Ramdas, McAuliffe and Sekhon 2021; Waudby-Smith and Ramdas 2024 for the betting view).
# The bet size is variance-adaptive: lam_i = tau / v_i with v_i the running mean square of
# the differences seen before i (one pseudo-observation tau^2 keeps it finite), which is
# the growth-optimal bet E[d] / E[d^2] when the effect equals tau; the harm bet grows to
# the running mean / v_i when the past shows a larger harm (a clear loser stops fast),
# is capped at 1 / max|d| seen so far, and none is placed before BURN_IN differences or
# while all were zero.

#: Share of alpha spent on detecting an improvement; the rest guards against harm.
IMPROVEMENT_SHARE = 0.8
BURN_IN = 5


@dataclass(frozen=True)
class ConfidenceSequence:
    """Running always-valid bounds (arrays along the last axis) and the raw bet sums."""

    low: np.ndarray
    high: np.ndarray
    estimate: np.ndarray  # midpoint of the bounds when both are finite, else running mean
    n: np.ndarray
    log_e_up: np.ndarray  # log E_n(0) betting on an improvement
    log_e_down: np.ndarray  # ... on harm

    def confidence_interval(self, index: int = -1) -> tuple[float, float]:
        return float(self.low[..., index]), float(self.high[..., index])


def _bets(d: np.ndarray, tau: float, burn_in: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Predictable bet sizes for an improvement (up) and for harm (down)."""
    ok = ~np.isnan(d)
    x = np.where(ok, d, 0.0)
    n_before = np.cumsum(ok, axis=-1) - ok
    sum_before = np.cumsum(x, axis=-1) - x
    sq_before = np.cumsum(x * x, axis=-1) - x * x
    v = (sq_before + tau * tau) / np.maximum(n_before, 1)
    mean_before = sum_before / np.maximum(n_before, 1)
    # Cap the bet so that a difference as large as any seen so far costs at most half a
    # unit of log-wealth: a run of identical early values must not make one surprise fatal.
    ax = np.abs(x)
    seen_max = np.maximum.accumulate(ax, axis=-1) if ax.size else ax
    max_before = np.concatenate([np.zeros(ax.shape[:-1] + (1,)), seen_max[..., :-1]], axis=-1) if ax.size else ax
    active = ok & (n_before >= burn_in) & (max_before > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        # the improvement bet stays at the planned effect (growth-optimal there); the harm
        # bet grows with a larger observed harm, so a clear loser stops fast
        up = np.minimum(tau / v, 1.0 / max_before)
        down = np.minimum(np.maximum(tau, -mean_before) / v, 1.0 / max_before)
    return x, np.where(active, up, 0.0), np.where(active, down, 0.0)


def _roots(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Roots r1 <= r2 of a t^2 + b t + c = 0 with a < 0 (NaN when none)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        disc = b * b - 4 * a * c
        sq = np.sqrt(np.where(disc >= 0, disc, np.nan))
        r_a, r_b = (-b + sq) / (2 * a), (-b - sq) / (2 * a)
    return np.minimum(r_a, r_b), np.maximum(r_a, r_b)


def betting_confidence_sequence(diffs: ArrayLike, *, tau: float, alpha: float = 0.05,
                                improvement_share: float = IMPROVEMENT_SHARE,
                                burn_in: int = BURN_IN) -> ConfidenceSequence:
    """Always-valid bounds on the mean of ``diffs`` (oriented so larger = improvement).

    The lower bound spends ``improvement_share * alpha``, the upper bound the rest.
    Works on (..., n) arrays (one stream per leading index); NaN entries are skipped.
    """
    if not tau > 0:
        raise ValueError(f"tau must be positive, got {tau}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    d = np.asarray(diffs, dtype=float)
    x, lam_up, lam_down = _bets(d, float(tau), burn_in)
    c_up = math.log(1 / (improvement_share * alpha))
    c_down = math.log(1 / ((1 - improvement_share) * alpha))

    def sums(lam: np.ndarray):
        lam2 = lam * lam
        return (np.cumsum(lam, -1), np.cumsum(lam * x, -1), np.cumsum(lam2, -1),
                np.cumsum(lam2 * x, -1), np.cumsum(lam2 * x * x, -1))

    # log E_up(t) = S1 - t L1 - (S2 - 2 t S2d + t^2 L2) / 2; its "reject" set lies left of
    # the mean, so the lower bound is the larger root of log E_up(t) = c_up; mirrored for
    # the harm bet (log E_down(t) = -S1 + t L1 - ...), whose smaller root is the upper bound.
    L1, S1, L2, S2d, S2 = sums(lam_up)
    _, lower = _roots(-L2 / 2, S2d - L1, S1 - S2 / 2 - c_up)
    log_e_up = S1 - S2 / 2
    L1, S1, L2, S2d, S2 = sums(lam_down)
    upper, _ = _roots(-L2 / 2, S2d + L1, -S1 - S2 / 2 - c_down)
    log_e_down = -S1 - S2 / 2
    lower = np.where(np.isnan(lower), -np.inf, lower)
    upper = np.where(np.isnan(upper), np.inf, upper)
    low = np.maximum.accumulate(lower, axis=-1) if lower.size else lower
    high = np.minimum.accumulate(upper, axis=-1) if upper.size else upper
    n = np.cumsum(~np.isnan(d), axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.cumsum(x, -1) / np.maximum(n, 1)
    both = np.isfinite(low) & np.isfinite(high)
    with np.errstate(invalid="ignore"):
        estimate = np.where(both, (low + high) / 2, mean)
    return ConfidenceSequence(low=low, high=high, estimate=estimate, n=n,
                              log_e_up=log_e_up, log_e_down=log_e_down)


def sequential_decisions(cs: ConfidenceSequence, *, mde: float) -> np.ndarray:
    """Per look: 'better' (lower bound > 0), 'worse' (upper < 0), 'futile' (upper < mde:
    an improvement as large as the MDE is ruled out) or 'continue'."""
    out = np.full(cs.low.shape, "continue", dtype=object)
    out = np.where(cs.high < mde, "futile", out)
    out = np.where(cs.high < 0, "worse", out)
    return np.where(cs.low > 0, "better", out)

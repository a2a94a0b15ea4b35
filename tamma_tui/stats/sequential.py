"""Always-valid p-values for sequential monitoring (normal-mixture mSPRT).

Johari, Koomen, Pekelis and Walsh, "Peeking at A/B tests" (2017): for observations
d_i ~ N(theta, sigma^2) and H0: theta = 0, mixing theta ~ N(0, tau^2) over the alternative
gives the likelihood ratio after n observations with mean m:
    Lambda_n = sqrt(sigma^2 / (sigma^2 + n tau^2)) * exp(n^2 tau^2 m^2 / (2 sigma^2 (sigma^2 + n tau^2)))
and p_n = min(p_{n-1}, 1 / Lambda_n) is valid at every n simultaneously: stopping the first
time p_n < alpha keeps the type I error at most alpha however often one looks.
"""

from __future__ import annotations

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

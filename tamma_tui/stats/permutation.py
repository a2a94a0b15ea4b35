"""The primary test: a sign-flip permutation test on per-task paired differences.

Under H0 the two arms are exchangeable within a task, so each per-task difference is as
likely to have either sign (Fisher 1935; Good, *Permutation Tests*, 2005). The statistic
is the sum of the differences; zeros add nothing whatever their sign.

- All non-zero differences of one size (0/1 outcomes at one trial per task): the sign
  count is Bin(m, 1/2), i.e. the exact McNemar test; ``midp=True`` gives the mid-p value.
- Up to ``EXACT_MAX`` non-zero differences: all 2^m sign patterns are enumerated.
- Above that: ``n_resamples`` seeded random sign patterns, p = (1 + hits) / (B + 1), so
  never 0, with its Monte Carlo standard error stated.
- Above ``NORMAL_ABOVE`` non-zero differences, none of which carries more than 1% of
  sum(d^2), the permutation distribution is normal to well within the Monte Carlo error
  (Lindeberg); its exact variance sum(d^2) is used (method says so).

The interval that goes with it is a t interval on the differences, clipped to the
metric's range when bounded, and *undefined* (NaN) when the differences have no spread:
a degenerate variance never yields a zero-width interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from ._arrays import ArrayLike, finite

EXACT_MAX = 16
NORMAL_ABOVE = 1_000
#: ... provided no single difference carries more than this share of sum(d^2) (Lindeberg).
NORMAL_MAX_SHARE = 0.01
DEFAULT_RESAMPLES = 9_999
NAN = float("nan")


@dataclass(frozen=True)
class SignFlipResult:
    """scipy-style result: ``statistic``, ``pvalue`` and ``confidence_interval(level)``."""

    statistic: float  # sum of the differences
    pvalue: float
    estimate: float  # mean difference
    n: int  # differences used (zeros included)
    n_nonzero: int
    method: str  # binomial_exact | exact | monte_carlo | normal
    mc_error: float = 0.0  # Monte Carlo standard error of pvalue (0 when exact)
    bounds: tuple[float, float] | None = None  # the metric's difference range, if bounded
    _diffs: np.ndarray = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def confidence_interval(self, confidence_level: float = 0.95) -> tuple[float, float]:
        """t interval of the mean difference; (nan, nan) when it is undefined (fewer than two
        differences or no spread) instead of a zero-width interval."""
        d = self._diffs
        if d is None or d.size < 2:
            return NAN, NAN
        sd = float(d.std(ddof=1))
        if not sd > 0:
            return NAN, NAN
        half = float(stats.t.isf((1 - confidence_level) / 2, d.size - 1)) * sd / math.sqrt(d.size)
        low, high = self.estimate - half, self.estimate + half
        if self.bounds is not None:
            low, high = max(low, self.bounds[0]), min(high, self.bounds[1])
        return low, high


def sign_flip_test(diffs: ArrayLike, *, midp: bool = False, n_resamples: int = DEFAULT_RESAMPLES,
                   seed: int = 0, bounds: tuple[float, float] | None = None) -> SignFlipResult:
    """Two-sided sign-flip permutation test of H0: the differences are symmetric about 0."""
    d = finite(diffs)
    n = int(d.size)
    total = float(d.sum()) if n else 0.0
    estimate = total / n if n else NAN
    nz = d[d != 0]
    m = int(nz.size)
    common = dict(statistic=total, estimate=estimate, n=n, n_nonzero=m, bounds=bounds, _diffs=d)
    if m == 0:
        return SignFlipResult(pvalue=1.0, method="exact", **common)
    scale = float(np.abs(nz).max())
    tol = 1e-9 * scale * m
    if np.allclose(np.abs(nz), scale, rtol=1e-12, atol=0):
        k = int(np.sum(nz > 0))
        low = min(k, m - k)
        cdf = float(stats.binom.cdf(low, m, 0.5))
        pmf = float(stats.binom.pmf(low, m, 0.5))
        p = 2 * (cdf - 0.5 * pmf) if midp else 2 * cdf
        if k * 2 == m:
            p = 1.0
        return SignFlipResult(pvalue=float(min(1.0, p)), method="binomial_exact", **common)
    observed = abs(float(nz.sum()))
    if m <= EXACT_MAX:
        patterns = ((np.arange(2 ** m)[:, None] >> np.arange(m)) & 1) * 2 - 1
        sums = np.abs(patterns @ nz)
        greater = np.sum(sums > observed + tol)
        equal = np.sum(np.abs(sums - observed) <= tol)
        hits = greater + (0.5 * equal if midp else equal)
        return SignFlipResult(pvalue=float(min(1.0, hits / 2 ** m)), method="exact", **common)
    squares = nz * nz
    if m > NORMAL_ABOVE and float(squares.max()) <= NORMAL_MAX_SHARE * float(squares.sum()):
        z = observed / math.sqrt(float(squares.sum()))
        return SignFlipResult(pvalue=float(min(1.0, 2 * stats.norm.sf(z))), method="normal", **common)
    rng = np.random.default_rng(seed)
    hits = 0.0
    chunk = max(1, 2_000_000 // m)
    done = 0
    total = float(nz.sum())
    while done < n_resamples:
        b = min(chunk, n_resamples - done)
        # sum of s_i d_i with s_i = 2 bit_i - 1, from packed random bits (fast, BLAS matmul)
        sums = np.abs(2.0 * (random_bits(rng, b, m) @ nz) - total)
        greater = np.sum(sums > observed + tol)
        equal = np.sum(np.abs(sums - observed) <= tol)
        hits += greater + (0.5 * equal if midp else equal)
        done += b
    p = (1.0 + hits) / (n_resamples + 1.0)
    return SignFlipResult(pvalue=float(min(1.0, p)), method="monte_carlo",
                          mc_error=math.sqrt(p * (1 - p) / n_resamples), **common)


def random_bits(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """(rows, cols) independent fair 0/1 values as float64, unpacked from 64-bit draws."""
    words = (cols + 63) // 64
    raw = rng.integers(0, np.iinfo(np.uint64).max, size=(rows, words), dtype=np.uint64, endpoint=True)
    return np.unpackbits(raw.view(np.uint8), axis=1, count=cols).astype(np.float64)


def describe(result: SignFlipResult) -> dict[str, Any]:
    """The JSON details of a sign-flip test."""
    out: dict[str, Any] = {"method": result.method, "n_nonzero": result.n_nonzero}
    if result.method == "monte_carlo":
        out["mc_error"] = result.mc_error
    return out

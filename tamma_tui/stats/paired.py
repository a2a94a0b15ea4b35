"""Paired two-arm tests: the task is the unit, baseline ``x`` and variant ``y`` share tasks.

Every difference is oriented variant minus baseline (``y - x``), so a positive estimate
means the variant scored higher. Swapping the arms flips the sign of the estimate and the
interval and leaves the p-value unchanged.
"""

from __future__ import annotations

import inspect
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple

import numpy as np
from scipy import stats

from ._arrays import ArrayLike, as_float, finite, is_constant, paired_finite
from .effects import conditional_odds_ratio, rank_biserial
from .proportions import newcombe_paired_interval

NAN = float("nan")


@dataclass(frozen=True)
class TestResult:
    """One test's outcome. ``ci_low``/``ci_high`` bound ``estimate`` (variant - baseline)."""

    __test__ = False  # not a pytest test class, despite the name

    statistic: float
    p_value: float
    ci_low: float
    ci_high: float
    estimate: float
    df: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    level: float | None = None  # the confidence level of (ci_low, ci_high), when known

    @property
    def pvalue(self) -> float:
        """scipy's name for the p-value."""
        return self.p_value

    def confidence_interval(self, confidence_level: float | None = None) -> ConfidenceInterval:
        """scipy-style interval. At another level than the one computed, a t interval is
        recomputed from the stored standard error and df (paired t); otherwise ValueError."""
        if confidence_level is None or (self.level is not None and math.isclose(confidence_level, self.level)):
            return ConfidenceInterval(self.ci_low, self.ci_high)
        se, df = self.extra.get("se"), self.df
        if se is None or df is None or not 0 < confidence_level < 1:
            raise ValueError("this result's interval was computed at one level only")
        if se == 0:
            return ConfidenceInterval(NAN, NAN)
        half = float(stats.t.isf((1 - confidence_level) / 2, df)) * se
        return ConfidenceInterval(self.estimate - half, self.estimate + half)


class ConfidenceInterval(NamedTuple):
    low: float
    high: float


def _nan_result(**extra: Any) -> TestResult:
    return TestResult(NAN, NAN, NAN, NAN, NAN, None, dict(extra))


# ---------------------------------------------------------------- McNemar (binary, 1 trial/task)


def _exact_two_sided(k_small: int, m: int) -> tuple[float, float]:
    """Exact two-sided and mid-p values for the smaller discordant count under Bin(m, 1/2)."""
    if m == 0:
        return 1.0, 1.0
    cdf = float(stats.binom.cdf(k_small, m, 0.5))
    pmf = float(stats.binom.pmf(k_small, m, 0.5))
    p = min(1.0, 2.0 * cdf)
    midp = min(1.0, 2.0 * (cdf - 0.5 * pmf))
    return p, midp


def mcnemar_exact(b: int, c: int, n: int, *, alpha: float = 0.05, both_pass: int | None = None) -> TestResult:
    """Exact McNemar test for paired pass/fail outcomes (one trial per task).

    b = tasks the baseline passed and the variant failed, c = the reverse, n = all paired
    tasks. The p-value is the exact two-sided binomial test of c among the b + c discordant
    pairs at 1/2 (``extra["midp"]`` is the mid-p version). ``statistic`` is min(b, c), as in
    statsmodels. ``estimate`` is the risk difference (c - b) / n with Newcombe's method-10
    interval (``extra["wald_ci"]`` holds the Wald interval). Newcombe needs the split of the
    concordant tasks: pass ``both_pass`` (tasks both arms passed); without it the widest
    Newcombe interval over every split consistent with (b, c, n) is reported.
    ``extra["odds_ratio"]`` = c / b, the conditional odds ratio, with its exact interval
    from the Clopper-Pearson interval of c / (b + c) in ``extra["odds_ratio_ci"]``.
    """
    b, c, n = int(b), int(c), int(n)
    if min(b, c) < 0 or b + c > n:
        raise ValueError(f"need 0 <= b, c and b + c <= n (got b={b}, c={c}, n={n})")
    m = b + c
    p, midp = _exact_two_sided(min(b, c), m)
    odds, or_low, or_high = conditional_odds_ratio(b, c, alpha)
    if n == 0:
        return TestResult(0.0, 1.0, NAN, NAN, NAN, None,
                          {"midp": 1.0, "b": b, "c": c, "n": 0, "wald_ci": (NAN, NAN),
                           "odds_ratio": odds, "odds_ratio_ci": (or_low, or_high)})
    diff = (c - b) / n
    z = float(stats.norm.isf(alpha / 2))
    se = math.sqrt(max(m - (c - b) ** 2 / n, 0.0)) / n
    wald = (max(diff - z * se, -1.0), min(diff + z * se, 1.0))
    concordant = n - m
    if both_pass is None:
        a = np.arange(concordant + 1)
        split = "widest over concordant splits"
    else:
        if not 0 <= both_pass <= concordant:
            raise ValueError(f"both_pass={both_pass} outside [0, {concordant}]")
        a = np.array([int(both_pass)])
        split = "given"
    # Newcombe orders the arms as (first - second); make the variant first so the
    # interval is for variant - baseline: variant-only passes c play the role of cell b.
    lows, highs = newcombe_paired_interval(a, c, b, concordant - a, alpha)
    ci = (float(np.min(lows)), float(np.max(highs)))
    return TestResult(
        statistic=float(min(b, c)), p_value=p, ci_low=ci[0], ci_high=ci[1], estimate=diff, df=None,
        extra={"midp": midp, "b": b, "c": c, "n": n, "discordant": m, "wald_ci": wald,
               "newcombe_split": split, "odds_ratio": odds, "odds_ratio_ci": (or_low, or_high)},
    )


# ---------------------------------------------------------------- paired t


def paired_t(x: ArrayLike, y: ArrayLike, *, alpha: float = 0.05) -> TestResult:
    """Paired t test of mean(y - x) = 0 with its t interval (df = n - 1).

    Pairs with a NaN on either side are dropped (``extra["n_dropped"]``). Constant
    differences give a zero-width interval at the difference, p = 0 when it is non-zero
    (statistic = +/-inf) and p = 1 when it is zero (statistic = 0), with no warnings.
    Fewer than two pairs: NaN statistic, p and interval.
    """
    xa, ya, dropped = paired_finite(x, y)
    d = ya - xa
    n = d.size
    extra: dict[str, Any] = {"n": n, "n_dropped": dropped}
    if n == 0:
        return _nan_result(**extra)
    mean = float(d.mean())
    extra.update(mean_x=float(xa.mean()), mean_y=float(ya.mean()))
    if n == 1:
        return TestResult(NAN, NAN, NAN, NAN, mean, None, extra)
    df = n - 1
    if is_constant(d):
        stat = 0.0 if mean == 0 else math.copysign(math.inf, mean)
        extra.update(sd_diff=0.0, se=0.0)
        return TestResult(stat, 1.0 if mean == 0 else 0.0, mean, mean, mean, float(df), extra)
    sd = float(d.std(ddof=1))
    se = sd / math.sqrt(n)
    t = mean / se
    p = float(min(1.0, 2 * stats.t.sf(abs(t), df)))
    half = float(stats.t.isf(alpha / 2, df)) * se
    extra.update(sd_diff=sd, se=se)
    return TestResult(t, p, mean - half, mean + half, mean, float(df), extra, level=1 - alpha)


# ---------------------------------------------------------------- Wilcoxon signed-rank


def wilcoxon_signed_rank(x: ArrayLike, y: ArrayLike, *, zero_method: str = "wilcox",
                         method: str = "auto") -> TestResult:
    """Wilcoxon signed-rank test on d = y - x (scipy.stats.wilcoxon, two-sided).

    zero_method "wilcox" (default) drops zero differences before ranking; "zsplit" keeps
    them and splits their ranks between the signs; "pratt" ranks them then drops them.
    All-zero differences (or no pairs left) give p = 1. ``statistic`` is scipy's
    min(W+, W-), symmetric under swapping the arms. ``estimate`` is the median difference
    and ``extra["rank_biserial"]`` the matched-pairs rank-biserial correlation; no interval
    is computed (ci_low/ci_high are NaN). ``method`` goes to scipy: "auto" (exact for small
    samples, a permutation test for small samples with ties or zeros, which can take ~0.1-1 s),
    "exact" or "approx" (normal approximation, fast).
    """
    if zero_method not in ("wilcox", "zsplit", "pratt"):
        raise ValueError(f"unknown zero_method {zero_method!r}")
    xa, ya, dropped = paired_finite(x, y)
    d = ya - xa
    extra: dict[str, Any] = {"n": int(d.size), "n_dropped": dropped, "zero_method": zero_method,
                             "n_zero": int(np.sum(d == 0))}
    if d.size == 0:
        return TestResult(NAN, NAN, NAN, NAN, NAN, None, extra)
    median = float(np.median(d))
    extra["rank_biserial"] = rank_biserial(xa, ya)
    if not np.any(d != 0):
        return TestResult(0.0, 1.0, NAN, NAN, median, None, extra)
    with warnings.catch_warnings():
        # scipy warns that small samples with ties/zeros fall back to the normal
        # approximation; that choice is documented above, so keep the console clean.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        res = stats.wilcoxon(d, zero_method=zero_method, alternative="two-sided", method=method)
    p = float(res.pvalue)
    if math.isnan(p):
        p = 1.0
    return TestResult(float(res.statistic), min(max(p, 0.0), 1.0), NAN, NAN, median, None, extra)


# ---------------------------------------------------------------- BCa bootstrap over tasks


def _rng_keyword() -> str:
    return "rng" if "rng" in inspect.signature(stats.bootstrap).parameters else "random_state"


def bca_bootstrap(diffs: ArrayLike, *, alpha: float = 0.05, n_resamples: int = 2000, seed: int = 0,
                  statistic: Callable[..., Any] = np.mean) -> tuple[float, float]:
    """BCa bootstrap interval of ``statistic`` over per-task values (scipy.stats.bootstrap).

    Resampling is over tasks: ``diffs`` holds one value per task (e.g. per-task variant -
    baseline differences). Seeded, so the same input gives the same interval. NaN values
    are dropped. A constant input (or a single task) gives (v, v); no tasks give NaNs.
    If BCa is undefined for the sample (all resampled statistics on one side), the
    percentile interval is returned instead.
    """
    d = finite(diffs)
    if d.size == 0:
        return NAN, NAN
    if d.size == 1 or is_constant(d):
        v = float(statistic(d))
        return v, v
    kwargs = {_rng_keyword(): np.random.default_rng(seed)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = stats.bootstrap((d,), statistic, n_resamples=n_resamples, confidence_level=1 - alpha,
                              method="BCa", **kwargs)
    low, high = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if math.isnan(low) or math.isnan(high):
        dist = np.asarray(res.bootstrap_distribution, dtype=float)
        low, high = (float(v) for v in np.quantile(dist, [alpha / 2, 1 - alpha / 2]))
    return low, high


# ---------------------------------------------------------------- clustered (repeated trials)


def cluster_codes(clusters) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique labels and each element's 0-based position among them.

    Dense integer labels skip the sort (bincount instead of np.unique); for millions of
    string labels, factorise them to integer codes first (e.g. pandas.factorize) to save time.
    """
    arr = np.asarray(clusters).reshape(-1)
    if arr.dtype.kind in "iub" and arr.size:
        low = int(arr.min())
        span = int(arr.max()) - low + 1
        if span <= 4 * arr.size + 1024:
            shifted = (arr - low).astype(np.intp)
            present = np.bincount(shifted, minlength=span) > 0
            position = np.cumsum(present) - 1
            return np.flatnonzero(present).astype(arr.dtype) + low, position[shifted]
    labels, inverse = np.unique(arr, return_inverse=True)
    return labels, inverse.reshape(-1)


def cluster_means(values: ArrayLike, clusters) -> tuple[np.ndarray, np.ndarray]:
    """Sorted unique cluster labels and the mean of ``values`` in each (NaN values ignored;
    a cluster with no finite value gets NaN). Vectorised: one factorisation + bincount."""
    vals = as_float(values)
    labels, inverse = cluster_codes(clusters)
    if inverse.size != vals.size:
        raise ValueError(f"values and clusters differ in length: {vals.size} vs {inverse.size}")
    ok = ~np.isnan(vals)
    sums = np.bincount(inverse[ok], weights=vals[ok], minlength=labels.size)
    counts = np.bincount(inverse[ok], minlength=labels.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return labels, means


def clustered_mean_se(values: ArrayLike, clusters) -> tuple[float, float, int]:
    """Mean of all trials and its cluster-robust (CR1) standard error, task = cluster.

    Equals OLS of the values on a constant with statsmodels' ``cov_type="cluster"``:
    se^2 = G / (G - 1) * sum_g (sum_{i in g} (v_i - mean))^2 / N^2 (the (N-1)/(N-K)
    factor is 1 for K = 1). NaN values are dropped. Returns (mean, se, n_clusters);
    se is NaN with fewer than two clusters.
    """
    vals = as_float(values)
    labels = np.asarray(clusters)
    if labels.shape[0] != vals.size:
        raise ValueError(f"values and clusters differ in length: {vals.size} vs {labels.shape[0]}")
    ok = ~np.isnan(vals)
    vals, labels = vals[ok], labels[ok]
    if vals.size == 0:
        return NAN, NAN, 0
    _, inverse = cluster_codes(labels)
    g = int(inverse.max()) + 1
    mean = float(vals.mean())
    if g < 2:
        return mean, NAN, g
    resid_sums = np.bincount(inverse, weights=vals - mean, minlength=g)
    se = math.sqrt(g / (g - 1) * float(np.dot(resid_sums, resid_sums))) / vals.size
    return mean, se, g

"""BCa bootstrap intervals for many paired mean differences at once, resampling tasks.

`stats.paired.bca_bootstrap` handles one vector of differences; a report needs one
interval per (variant, context, metric), and calling it per row costs O(resamples x
tasks) each time. Here every column shares the same resampled task multiplicities w, and
the resampled mean of column k over the tasks of group g is
(w_g . d_k) / (w_g . present_k): matrix products for all columns together, computed per
group (context) on contiguous task slices, the "all" row being their sum. So one resample
of the whole task set serves every context (the ratio form keeps each interval a mean over
its own paired tasks). The BCa corrections follow Efron (1987): bias z0 from the share of
resampled means below the estimate, acceleration from the closed-form jackknife of a
mean, sum((d - mean)^3) / (6 * sum((d - mean)^2)^1.5). Tests compare the intervals with
scipy.stats.bootstrap(method="BCa").
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri

_BATCH_CELLS = 4_000_000  # resamples x tasks per batch: bounds the weights to ~32 MB
_EXACT_TASKS = 20_000


def _grouped(diffs, groups):
    """(diffs sorted by group, groups, tasks, columns, groups count, group bounds, low, high):
    the set-up both bootstraps share. Sorting makes each group a contiguous slice."""
    diffs = np.asarray(diffs, dtype=float)
    if diffs.ndim == 1:
        diffs = diffs[:, None]
    n_tasks, n_cols = diffs.shape
    groups = np.zeros(n_tasks, dtype=np.int64) if groups is None else np.asarray(groups, dtype=np.int64)
    n_groups = int(groups.max()) + 1 if n_tasks else 0
    low = np.full((n_groups + 1, n_cols), np.nan)
    high = np.full((n_groups + 1, n_cols), np.nan)
    order = np.argsort(groups, kind="stable")
    diffs, groups = diffs[order], groups[order]
    bounds = np.searchsorted(groups, np.arange(n_groups + 1))
    return diffs, groups, n_tasks, n_cols, n_groups, bounds, low, high


def grouped_mean_bca(
    diffs: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    alpha: float = 0.05,
    n_resamples: int = 1000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """diffs: (tasks, columns) paired differences, NaN where a task has no pair.
    groups: (tasks,) group code 0..G-1 per task (e.g. the context), or None.

    Returns (low, high), each (G + 1, columns): row 0 over all tasks, row g + 1 over the
    tasks of group g. NaN where fewer than 2 pairs; (v, v) for constant differences.
    """
    diffs, groups, n_tasks, n_cols, n_groups, bounds, low, high = _grouped(diffs, groups)
    if n_tasks == 0 or n_cols == 0:
        return low, high
    present = ~np.isnan(diffs)
    filled = np.where(present, diffs, 0.0)

    boot = _resampled_means(filled, present, bounds, n_resamples, seed)  # (G+1, B, cols)
    slices = [slice(0, n_tasks)] + [slice(bounds[g], bounds[g + 1]) for g in range(n_groups)]
    z = ndtri(np.array([alpha / 2, 1 - alpha / 2]))[:, None]
    for r, part in enumerate(slices):
        low[r], high[r] = _bca_rows(filled[part], present[part], boot[r], z)
    return low, high


def _bca_rows(filled: np.ndarray, present: np.ndarray, boot: np.ndarray, z: np.ndarray):
    n = present.sum(axis=0)
    low = np.full(filled.shape[1], np.nan)
    high = np.full(filled.shape[1], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = filled.sum(axis=0) / n
        centred = np.where(present, filled - theta, 0.0)
        ss = (centred**2).sum(axis=0)
        accel = (centred**3).sum(axis=0) / (6.0 * ss**1.5)
    accel = np.where(np.isfinite(accel), accel, 0.0)
    spread = np.ptp(np.where(present, filled, theta), axis=0) if filled.size else np.zeros_like(theta)
    valid = ~np.isnan(boot)
    n_valid = valid.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(valid, boot < theta, False).sum(axis=0) / n_valid
    floor = 0.5 / np.maximum(n_valid, 1)
    z0 = ndtri(np.clip(share, floor, 1 - floor))
    shifted = z0 + z
    levels = ndtr(z0 + shifted / (1 - accel * shifted))  # (2, columns)
    ordered = np.sort(np.where(valid, boot, np.inf), axis=0)
    for k in range(filled.shape[1]):
        if n[k] < 2:
            continue
        if spread[k] <= 1e-12 * max(1.0, abs(theta[k])):  # constant: zero-width interval
            low[k] = high[k] = theta[k]
            continue
        low[k], high[k] = np.quantile(ordered[: n_valid[k], k], levels[:, k])
    return low, high


def _resampled_means(filled, present, bounds, n_resamples: int, seed: int) -> np.ndarray:
    n_tasks, n_cols = filled.shape
    n_groups = len(bounds) - 1
    rng = np.random.default_rng(seed)
    # float32 halves the matrix-product time on big runs; small runs keep full precision
    # so that resampled means equal to the estimate compare exactly as scipy's do.
    dtype = np.float64 if n_tasks <= _EXACT_TASKS else np.float32
    stacked = np.concatenate([filled, present], axis=1).astype(dtype)
    out = np.empty((n_groups + 1, n_resamples, n_cols))
    batch = max(1, min(n_resamples, _BATCH_CELLS // max(n_tasks, 1)))
    weights = np.empty((batch, n_tasks), dtype=dtype)
    for start in range(0, n_resamples, batch):
        rows = min(batch, n_resamples - start)
        picks = rng.integers(0, n_tasks, size=(rows, n_tasks))
        # One bincount per resample: its counters stay in cache, three times faster
        # than one bincount over the whole batch.
        for r in range(rows):
            weights[r] = np.bincount(picks[r], minlength=n_tasks)
        total = np.zeros((rows, 2 * n_cols))
        for g in range(n_groups):
            part = slice(bounds[g], bounds[g + 1])
            prod = weights[:rows, part] @ stacked[part]
            total += prod
            with np.errstate(invalid="ignore", divide="ignore"):
                out[g + 1, start : start + rows] = prod[:, :n_cols] / prod[:, n_cols:]
        with np.errstate(invalid="ignore", divide="ignore"):
            out[0, start : start + rows] = total[:, :n_cols] / total[:, n_cols:]
    return out


# ---------------------------------------------------------------- studentised (v2)
#
# BCa intervals of a mean excluded 0 in 9-13% of A/A runs on skewed metrics. The
# studentised (bootstrap-t) interval pivots on t* = (mean* - mean) / se*, which corrects
# for skewness at second order (Hall 1988; Davison and Hinkley 1997, 5.2.1), and it is
# undefined, not zero-width, when the differences have no spread.


def grouped_mean_studentized(
    diffs: np.ndarray,
    groups: np.ndarray | None = None,
    *,
    alpha: float = 0.05,
    n_resamples: int = 1000,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Same shapes and resampling as `grouped_mean_bca`, bootstrap-t intervals."""
    diffs, groups, n_tasks, n_cols, n_groups, bounds, low, high = _grouped(diffs, groups)
    if n_tasks == 0 or n_cols == 0:
        return low, high
    present = ~np.isnan(diffs)
    filled = np.where(present, diffs, 0.0)
    slices = [slice(0, n_tasks)] + [slice(bounds[g], bounds[g + 1]) for g in range(n_groups)]
    # float32 halves the product time on big runs; small runs keep full precision
    dtype = np.float64 if n_tasks <= _EXACT_TASKS else np.float32
    stacked = np.concatenate([filled, filled * filled, present], axis=1).astype(dtype)
    rng = np.random.default_rng(seed)
    t_star = np.full((n_groups + 1, n_resamples, n_cols), np.nan)
    batch = max(1, min(n_resamples, _BATCH_CELLS // max(n_tasks, 1)))
    stats_by_slice = []
    for part in slices:
        n = present[part].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = filled[part].sum(axis=0) / n
            var = ((filled[part] - mean) ** 2 * present[part]).sum(axis=0) / (n - 1)
        stats_by_slice.append((n, mean, np.sqrt(var / n)))
    # resample tasks within each group (each context keeps its own task count): slot i of a
    # resample draws uniformly from the group of task i
    start_of = bounds[groups]
    size_of = (bounds[groups + 1] - start_of).astype(float)
    for start in range(0, n_resamples, batch):
        rows = min(batch, n_resamples - start)
        weights = np.empty((rows, n_tasks), dtype=dtype)
        for r in range(rows):
            idx = start_of + (rng.random(n_tasks) * size_of).astype(np.int64)
            weights[r] = np.bincount(idx, minlength=n_tasks)
        # one product per group; the "all" row is their sum (groups are contiguous slices)
        prods = [weights[:, part] @ stacked[part] for part in slices[1:]]
        prods.insert(0, np.sum(prods, axis=0) if prods else weights @ stacked)
        for s, prod in enumerate(prods):
            prod = prod.astype(np.float64)
            s1, s2, cnt = prod[:, :n_cols], prod[:, n_cols:2 * n_cols], prod[:, 2 * n_cols:]
            _, mean, _ = stats_by_slice[s]
            with np.errstate(invalid="ignore", divide="ignore"):
                m = s1 / cnt
                v = (s2 - cnt * m * m) / (cnt - 1)
                se = np.sqrt(np.maximum(v, 0) / cnt)
                t_star[s, start:start + rows] = np.where(se > 0, (m - mean) / se, np.nan)
    for s in range(len(slices)):
        n, mean, se = stats_by_slice[s]
        for k in range(n_cols):
            t = t_star[s, :, k]
            t = t[np.isfinite(t)]
            if n[k] < 2 or not se[k] > 0 or t.size < 10:
                continue
            # symmetric bootstrap-t: the (1 - alpha) quantile of |t*| on both sides, which
            # keeps its coverage with heavy tails where the equal-tailed version undercovers
            # (Hall 1988, "On symmetric bootstrap confidence intervals")
            q = float(np.quantile(np.abs(t), 1 - alpha))
            low[s, k], high[s, k] = mean[k] - q * se[k], mean[k] + q * se[k]
    return low, high

"""Effects on the scales people decide on, with their intervals.

- Latency and cost: ratio of geometric means (variant / baseline), from the t interval
  of the per-task log ratios, back-transformed (a multiplicative effect, right for
  skewed positive metrics).
- p95 latency: the 95th percentile of per-task mean latency, ratio variant/baseline,
  with a percentile interval from a task-cluster bootstrap (seeded).
- Relative lift of the primary metric, (variant - baseline) / baseline, and cost per
  solved task per arm (mean cost / pass rate): ratios of task means with delta-method
  standard errors (the task is the unit; Casella and Berger, 5.5.4).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import stats as sps

from .comparisons import num
from .cube import TaskCube

RATIO_METRICS = ("latency_s", "ttft_s", "cost_usd")


def _t_interval(values: np.ndarray, alpha: float) -> tuple[float, float, float] | None:
    if values.size < 2 or not values.std() > 0:
        return None
    mean = float(values.mean())
    half = float(sps.t.isf(alpha / 2, values.size - 1)) * float(values.std(ddof=1)) / math.sqrt(values.size)
    return mean, mean - half, mean + half


def _ratio_of_means(num_: np.ndarray, den: np.ndarray, alpha: float) -> dict[str, Any]:
    """mean(num) / mean(den) over tasks with a delta-method interval."""
    n = num_.size
    if n < 2 or den.mean() == 0:
        return {"value": None, "ci_low": None, "ci_high": None}
    r = float(num_.mean() / den.mean())
    resid = (num_ - r * den) / den.mean()
    se = float(resid.std(ddof=1)) / math.sqrt(n)
    z = float(sps.norm.isf(alpha / 2))
    if not se > 0:
        return {"value": num(r), "ci_low": None, "ci_high": None}
    return {"value": num(r), "ci_low": num(r - z * se), "ci_high": num(r + z * se)}


def effect_scales(cube: TaskCube, *, baseline: str, variants: list[str], mask: np.ndarray,
                  primary: str, alpha: float, seed: int, bootstrap: bool) -> dict[str, Any]:
    means = cube.means
    b = cube.arms.index(baseline)
    out: dict[str, Any] = {"ratios": [], "relative_lift": [], "cost_per_solved_task": []}
    rng_seed = seed
    for name in variants:
        v = cube.arms.index(name)
        for metric in RATIO_METRICS:
            if metric not in cube.metrics:
                continue
            j = cube.metrics.index(metric)
            x, y = means[b, mask, j], means[v, mask, j]
            ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
            t = _t_interval(np.log(y[ok]) - np.log(x[ok]), alpha)
            row: dict[str, Any] = {"variant": name, "metric": metric, "n_pairs": int(ok.sum()),
                                   "geometric_mean_ratio": None, "ci_low": None, "ci_high": None}
            if t is not None:
                row.update(geometric_mean_ratio=num(math.exp(t[0])), ci_low=num(math.exp(t[1])),
                           ci_high=num(math.exp(t[2])))
            if metric == "latency_s" and ok.sum() >= 5:
                row["p95_ratio"] = _p95_ratio(x[ok], y[ok], alpha, rng_seed, bootstrap)
            out["ratios"].append(row)
        if primary in cube.metrics:
            j = cube.metrics.index(primary)
            x, y = means[b, mask, j], means[v, mask, j]
            ok = np.isfinite(x) & np.isfinite(y)
            lift = _ratio_of_means(y[ok], x[ok], alpha)
            out["relative_lift"].append({"variant": name, "metric": primary} | {
                k: (None if val is None else num(val - 1)) for k, val in lift.items()})
    if "cost_usd" in cube.metrics and "pass_rate" in cube.metrics:
        jc, jp = cube.metrics.index("cost_usd"), cube.metrics.index("pass_rate")
        for name in [baseline, *variants]:
            a = cube.arms.index(name)
            c, p = means[a, mask, jc], means[a, mask, jp]
            ok = np.isfinite(c) & np.isfinite(p)
            out["cost_per_solved_task"].append({"arm": name} | _ratio_of_means(c[ok], p[ok], alpha))
    return out


def _p95_ratio(x: np.ndarray, y: np.ndarray, alpha: float, seed: int, bootstrap: bool) -> dict[str, Any]:
    value = float(np.quantile(y, 0.95) / np.quantile(x, 0.95))
    if not bootstrap:
        return {"value": num(value), "ci_low": None, "ci_high": None,
                "note": "bootstrap off above 100k trials (pass robustness=True to force)"}
    rng = np.random.default_rng(seed)
    n = x.size
    ratios = []
    for _ in range(5):  # 5 batches of 100 task-cluster resamples
        idx = rng.integers(0, n, size=(100, n))
        ratios.append(np.quantile(y[idx], 0.95, axis=1) / np.quantile(x[idx], 0.95, axis=1))
    r = np.concatenate(ratios)
    low, high = np.quantile(r, [alpha / 2, 1 - alpha / 2])
    return {"value": num(value), "ci_low": num(low), "ci_high": num(high), "n_resamples": r.size}

"""Variance components of a metric, per arm (Miller 2024, "Adding error bars to evals").

With K trials per task, a task mean varies by sigma_b^2 (between tasks) + sigma_w^2 / K
(within a task, trial to trial). The paired difference of two arms' task means has
variance 2 sigma_b^2 (1 - rho) + (sigma_w,base^2 + sigma_w,var^2) / K, with rho the
between-arm correlation of the task effects. The first term only shrinks with more
tasks; the second also with more trials per task. The one-way random-effects ANOVA
estimators are used (method of moments; between-task variance floored at 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .comparisons import num
from .cube import TaskCube


def arm_components(cube: TaskCube, arm: int, metric: int, mask: np.ndarray) -> dict[str, Any]:
    counts = cube.counts[arm, mask, metric]
    sums = cube.sums[arm, mask, metric]
    sq = cube.sumsq[arm, mask, metric] if cube.sumsq is not None else np.zeros_like(sums)
    has = counts > 0
    counts, sums, sq = counts[has], sums[has], sq[has]
    n_tasks = int(has.sum())
    total = float(counts.sum())
    if n_tasks < 2:
        return {"n_tasks": n_tasks, "between_task_var": None, "within_task_var": None, "icc": None,
                "trials_per_task": num(total / n_tasks) if n_tasks else None}
    means = sums / counts
    ss_within = float(np.sum(sq - sums * means))
    df_within = total - n_tasks
    within = max(ss_within / df_within, 0.0) if df_within > 0 else None
    k_bar = total / n_tasks
    var_means = float(np.var(means, ddof=1))
    between = max(var_means - (within or 0.0) / k_bar, 0.0)
    icc = between / (between + within) if within is not None and between + within > 0 else None
    return {"n_tasks": n_tasks, "trials_per_task": num(k_bar), "between_task_var": num(between),
            "within_task_var": num(within), "icc": num(icc)}


def variance_components(cube: TaskCube, *, baseline: str, variants: list[str], metrics: list[str],
                        mask: np.ndarray) -> list[dict[str, Any]]:
    out = []
    b = cube.arms.index(baseline)
    for metric in metrics:
        j = cube.metrics.index(metric)
        base = arm_components(cube, b, j, mask)
        for name in variants:
            v = cube.arms.index(name)
            var = arm_components(cube, v, j, mask)
            both = mask & (cube.counts[b, :, j] > 0) & (cube.counts[v, :, j] > 0)
            means = cube.means
            rho = None
            if both.sum() > 2:
                x, y = means[b, both, j], means[v, both, j]
                if x.std() > 0 and y.std() > 0:
                    rho = float(np.corrcoef(x, y)[0, 1])
            out.append({"metric": metric, "baseline": base | {"arm": baseline},
                        "variant": var | {"arm": name}, "between_arm_correlation": num(rho),
                        "advice": advice(base, var, rho)})
    return out


def advice(base: dict[str, Any], var: dict[str, Any], rho: float | None) -> str:
    """What the components say about spending on more tasks versus more trials."""
    needed = ("between_task_var", "within_task_var", "trials_per_task")
    if any(base.get(k) is None or var.get(k) is None for k in needed):
        return "too few tasks to split the variance"
    k = max(base["trials_per_task"], 1.0)
    between = (base["between_task_var"] + var["between_task_var"]) - 2 * (rho or 0.0) * np.sqrt(
        base["between_task_var"] * var["between_task_var"])
    within = (base["within_task_var"] + var["within_task_var"]) / k
    total = between + within
    if total <= 0:
        return "no variance: nothing to gain from more tasks or trials"
    share = within / total
    if share > 0.5:
        return (f"{share:.0%} of the difference's variance is trial-to-trial noise: more trials "
                "per task pay off nearly as well as more tasks")
    return (f"{1 - share:.0%} of the difference's variance is between tasks: more tasks, not "
            "more trials per task, narrow the interval")

"""Per-task sums and counts of every metric for every arm, built in one vectorised pass.

Everything downstream (summary, comparisons, bootstrap) works on these (arm, task, metric)
arrays, so the cost per trial is a handful of numpy operations and the cost per
comparison is O(tasks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from .metrics import METRICS, SOURCE_COLUMN


@dataclass(frozen=True)
class TaskCube:
    arms: tuple[str, ...]
    metrics: tuple[str, ...]
    contexts: tuple[str, ...]  # the contexts present, in first-seen order
    task_ids: np.ndarray  # (T,)
    task_context: np.ndarray  # (T,) index into contexts
    sums: np.ndarray  # (A, T, M): sum over "ok" trials with a value
    counts: np.ndarray  # (A, T, M): number of such trials
    trials: np.ndarray  # (A, T) trials stored per arm and task, any status
    n_rows: np.ndarray  # (A,) trials stored per arm, any status
    n_errors: np.ndarray  # (A,) trials whose status is not "ok"

    @property
    def means(self) -> np.ndarray:
        """Per-task means (A, T, M); NaN where an arm has no value for a task."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.counts > 0, self.sums / np.maximum(self.counts, 1), np.nan)

    def context_mask(self, context: str) -> np.ndarray:
        if context == "all":
            return np.ones(len(self.task_ids), dtype=bool)
        if context not in self.contexts:
            return np.zeros(len(self.task_ids), dtype=bool)
        return self.task_context == self.contexts.index(context)

    def max_trials(self, arm: int, metric: int, tasks: np.ndarray) -> int:
        counts = self.counts[arm, tasks, metric]
        return int(counts.max()) if counts.size else 0


def _codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) and the distinct values, in first-seen order."""
    codes, uniques = pd.factorize(series, sort=False)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def _as_float(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    series = frame[column]
    try:
        return series.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def build_cube(trials: pd.DataFrame, arms: Sequence[str], metrics: Sequence[str] = METRICS) -> TaskCube:
    n = len(trials)
    arm_index = {name: i for i, name in enumerate(arms)}
    if n:
        arm_raw, arm_values = _codes(trials["arm"])
        # Map the frame's arm codes onto the order of `arms`; unknown arms get -1.
        lookup = np.array([arm_index.get(str(v), -1) for v in arm_values] + [-1], dtype=np.int64)
        arm_codes = lookup[arm_raw]  # code -1 (missing arm) indexes the trailing -1
        task_codes, task_ids = _codes(trials["task_id"])
        ctx_codes, ctx_values = _codes(trials["context"]) if "context" in trials.columns else (
            np.zeros(n, dtype=np.int64), np.array([""], dtype=object))
        ok = (trials["status"] == "ok").to_numpy(dtype=bool, na_value=False) if "status" in trials.columns \
            else np.ones(n, dtype=bool)
    else:
        arm_codes = task_codes = ctx_codes = np.zeros(0, dtype=np.int64)
        task_ids = ctx_values = np.array([], dtype=object)
        ok = np.zeros(0, dtype=bool)

    n_arms, n_tasks, n_metrics = len(arms), len(task_ids), len(metrics)
    known = (arm_codes >= 0) & (task_codes >= 0)
    n_rows = np.bincount(arm_codes[known], minlength=n_arms)[:n_arms]
    n_errors = np.bincount(arm_codes[known & ~ok], minlength=n_arms)[:n_arms]

    task_context = np.zeros(n_tasks, dtype=np.int64)
    task_context[task_codes[known]] = np.maximum(ctx_codes[known], 0)

    trial_counts = np.bincount(arm_codes[known] * n_tasks + task_codes[known],
                               minlength=n_arms * n_tasks).reshape(n_arms, n_tasks)

    use = known & ok
    key = arm_codes[use] * n_tasks + task_codes[use]
    size = n_arms * n_tasks
    sums = np.zeros((n_metrics, size))
    counts = np.zeros((n_metrics, size))
    for j, metric in enumerate(metrics):
        values = _as_float(trials, SOURCE_COLUMN[metric])[use]
        has = ~np.isnan(values)
        sums[j] = np.bincount(key[has], weights=values[has], minlength=size)
        counts[j] = np.bincount(key[has], minlength=size)
    shape = (n_metrics, n_arms, n_tasks)
    return TaskCube(
        arms=tuple(arms),
        metrics=tuple(metrics),
        contexts=tuple(str(c) for c in ctx_values),
        task_ids=task_ids,
        task_context=task_context,
        sums=np.moveaxis(sums.reshape(shape), 0, -1),
        counts=np.moveaxis(counts.reshape(shape), 0, -1),
        trials=trial_counts,
        n_rows=n_rows.astype(np.int64),
        n_errors=n_errors.astype(np.int64),
    )

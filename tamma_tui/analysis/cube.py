"""Per-task sums and counts of every metric for every arm, built in one vectorised pass.

Everything downstream (summary, comparisons, bootstrap) works on these (arm, task, metric)
arrays, so the cost per trial is a handful of numpy operations and the cost per
comparison is O(tasks).

Intention to treat: a trial that ended in an error or a timeout is a failed attempt, so
it counts as pass 0 and score 0 (``itt=True``); latency, cost and the other metrics are
over the trials that completed. Cancelled trials were never attempted and count nowhere.
A grade marked ``grade_integrity == "void"`` is left out of the quality metrics and
counted apart (``n_void``); a frame without that column has no void grades.
Tasks are sorted by id and contexts in the vocabulary's order, so the same trials in
any row order give the same arrays (and byte-identical reports).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from tamma_tui.vocabulary import CONTEXTS, QUALITY_METRICS

from .metrics import METRICS, SOURCE_COLUMN

#: Statuses of an attempt that failed (counted as a failure under intention to treat).
FAILED_ATTEMPT = ("error", "timeout")


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
    sumsq: np.ndarray | None = None  # (A, T, M): sum of squared values (variance components)
    errors: np.ndarray | None = None  # (A, T) failed attempts (error/timeout) per task
    n_void: np.ndarray | None = None  # (A,) trials whose grade was voided

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


def _codes(series: pd.Series, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes (-1 for missing) and the distinct values (first-seen order or sorted)."""
    try:
        codes, uniques = pd.factorize(series, sort=sort)
    except TypeError:  # mixed types cannot be sorted: sort their text
        codes, uniques = pd.factorize(series.astype(str), sort=sort)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def _context_codes(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Context codes in the vocabulary's order (unknown names after, sorted)."""
    codes, values = _codes(series)
    names = [str(v) for v in values]
    order = sorted(range(len(names)), key=lambda i: (CONTEXTS.index(names[i]) if names[i] in CONTEXTS
                                                    else len(CONTEXTS), names[i]))
    remap = np.empty(len(names) + 1, dtype=np.int64)
    remap[-1] = -1
    remap[np.array(order, dtype=np.int64)] = np.arange(len(order))
    return remap[codes], np.array([values[i] for i in order], dtype=object)


def _as_float(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    series = frame[column]
    try:
        return series.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def build_cube(trials: pd.DataFrame, arms: Sequence[str], metrics: Sequence[str] = METRICS,
               *, itt: bool = True) -> TaskCube:
    n = len(trials)
    arm_index = {name: i for i, name in enumerate(arms)}
    if n:
        arm_raw, arm_values = _codes(trials["arm"])
        # Map the frame's arm codes onto the order of `arms`; unknown arms get -1.
        lookup = np.array([arm_index.get(str(v), -1) for v in arm_values] + [-1], dtype=np.int64)
        arm_codes = lookup[arm_raw]  # code -1 (missing arm) indexes the trailing -1
        task_codes, task_ids = _codes(trials["task_id"], sort=True)
        ctx_codes, ctx_values = _context_codes(trials["context"]) if "context" in trials.columns else (
            np.zeros(n, dtype=np.int64), np.array([""], dtype=object))
        if "status" in trials.columns:
            status = trials["status"]
            ok = (status == "ok").to_numpy(dtype=bool, na_value=False)
            failed = status.isin(FAILED_ATTEMPT).to_numpy(dtype=bool, na_value=False)
        else:
            ok, failed = np.ones(n, dtype=bool), np.zeros(n, dtype=bool)
        void = (trials["grade_integrity"] == "void").to_numpy(dtype=bool, na_value=False) \
            if "grade_integrity" in trials.columns else np.zeros(n, dtype=bool)
    else:
        arm_codes = task_codes = ctx_codes = np.zeros(0, dtype=np.int64)
        task_ids = ctx_values = np.array([], dtype=object)
        ok = failed = void = np.zeros(0, dtype=bool)

    n_arms, n_tasks, n_metrics = len(arms), len(task_ids), len(metrics)
    # Floating-point sums depend on the order of the terms: put the trials in (arm, task,
    # repeat) order so another row order of the same trials gives identical figures.
    repeat = _as_float(trials, "repeat") if n else np.zeros(0)
    order = np.lexsort((np.nan_to_num(repeat, nan=-1.0), task_codes, arm_codes)) if n else np.zeros(0, np.int64)
    arm_codes, task_codes, ctx_codes = arm_codes[order], task_codes[order], ctx_codes[order]
    ok, failed, void = ok[order], failed[order], void[order]
    known = (arm_codes >= 0) & (task_codes >= 0)
    n_rows = np.bincount(arm_codes[known], minlength=n_arms)[:n_arms]
    n_errors = np.bincount(arm_codes[known & ~ok], minlength=n_arms)[:n_arms]
    n_void = np.bincount(arm_codes[known & ok & void], minlength=n_arms)[:n_arms]

    task_context = np.zeros(n_tasks, dtype=np.int64)
    task_context[task_codes[known]] = np.maximum(ctx_codes[known], 0)

    trial_counts = np.bincount(arm_codes[known] * n_tasks + task_codes[known],
                               minlength=n_arms * n_tasks).reshape(n_arms, n_tasks)

    size = n_arms * n_tasks
    all_keys = arm_codes * n_tasks + task_codes
    error_counts = np.bincount(all_keys[known & failed], minlength=size).reshape(n_arms, n_tasks)
    sums = np.zeros((n_metrics, size))
    counts = np.zeros((n_metrics, size))
    sumsq = np.zeros((n_metrics, size))
    for j, metric in enumerate(metrics):
        quality = metric in QUALITY_METRICS
        use = known & ok & ~void if quality else known & ok
        values = _as_float(trials, SOURCE_COLUMN[metric])[order]
        has = use & ~np.isnan(values)
        sums[j] = np.bincount(all_keys[has], weights=values[has], minlength=size)
        counts[j] = np.bincount(all_keys[has], minlength=size)
        sumsq[j] = np.bincount(all_keys[has], weights=values[has] * values[has], minlength=size)
        if quality and itt:
            # failed attempts: value 0, counted (intention to treat)
            counts[j] += np.bincount(all_keys[known & failed], minlength=size)
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
        sumsq=np.moveaxis(sumsq.reshape(shape), 0, -1),
        errors=error_counts,
        n_void=n_void.astype(np.int64),
    )

"""An agent's history as series: one point per run, the mean of its per-task means.

A series is (agent, suite version, context, metric, role). ``role`` is "current" for the arm
that carries the agent in a run (its baseline arm when the baseline is the agent's, else the
first arm that is) and "pinned" for the frozen configuration an experiment re-runs alongside
(``pinned:``), so drift and configuration changes can be told apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Sequence

import numpy as np

from tamma_tui.store import history as store
from tamma_tui.vocabulary import CONTEXTS, METRIC_SPECS

from tamma_tui.vocabulary import PINNED_ARM  # noqa: E402,F401  (re-exported)


@dataclass(frozen=True)
class RunPoint:
    """One run's value in a series, with the sampling noise of that value."""

    run_id: int
    run_name: str
    created_at: datetime
    arm: str
    config_sha256: str | None
    version: str
    n_tasks: int
    value: float
    se: float  # standard error of the value: sd of the task means / sqrt(n_tasks)


@dataclass(frozen=True)
class Series:
    agent_id: str
    suite_version: str
    context: str
    metric: str
    role: str  # current | pinned
    points: tuple[RunPoint, ...]

    @property
    def values(self) -> np.ndarray:
        return np.array([p.value for p in self.points], dtype=float)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.suite_version, self.context, self.metric, self.role)


def pick_arms(arms: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per run: the agent's carrying arm (role current) and its pinned arm, if any."""
    by_run: dict[int, list[dict[str, Any]]] = {}
    for arm in arms:
        by_run.setdefault(arm["run_id"], []).append(arm)
    chosen: list[dict[str, Any]] = []
    for run_arms in by_run.values():
        pinned = [a for a in run_arms if a["arm"] == PINNED_ARM]
        others = [a for a in run_arms if a["arm"] != PINNED_ARM]
        current = next((a for a in others if a["is_baseline"]), others[0] if others else None)
        if current is not None:
            chosen.append({**current, "role": "current"})
        chosen.extend({**a, "role": "pinned"} for a in pinned)
    return chosen


def build_series(engine, agent_id: str, *, metrics: Sequence[str] | None = None,
                 contexts: Sequence[str] | None = None, since: datetime | None = None,
                 until: datetime | None = None, arms: Sequence[dict[str, Any]] | None = None) -> list[Series]:
    """Every series of the agent's history (oldest point first)."""
    metrics = list(metrics or METRIC_SPECS)
    chosen = pick_arms(arms if arms is not None else store.agent_arms(engine, agent_id, since=since, until=until))
    if not chosen:
        return []
    columns = [METRIC_SPECS[m].column for m in metrics]
    rows = store.task_means(engine, ((a["run_id"], a["arm"]) for a in chosen), columns)
    wanted_contexts = list(contexts) if contexts else list(CONTEXTS) + ["all"]
    if not rows:
        return []
    # Group the task means by (point, context) with bincount: one pass over the rows
    # whatever the number of runs (a 1,000-run history is 16,000 points).
    point_of = {(a["run_id"], a["arm"]): i for i, a in enumerate(chosen)}
    ctx_names = sorted({r[2] for r in rows})
    ctx_of = {c: i for i, c in enumerate(ctx_names)}
    n_ctx = len(ctx_names)
    point_idx = np.fromiter((point_of[(r[0], r[1])] for r in rows), dtype=np.int64, count=len(rows))
    ctx_idx = np.fromiter((ctx_of[r[2]] for r in rows), dtype=np.int64, count=len(rows))
    values = np.array([[np.nan if v is None else v for v in r[5:]] for r in rows], dtype=float).reshape(len(rows), -1)
    n_points = len(chosen)
    groups = point_idx * n_ctx + ctx_idx
    contexts_seen = np.bincount(groups, minlength=n_points * n_ctx).reshape(n_points, n_ctx) > 0
    multi_context = contexts_seen.sum(axis=1) > 1
    buckets: dict[tuple[str, str, str, str], list[RunPoint]] = {}
    for mi, metric in enumerate(metrics):
        per_ctx = _group_stats(values[:, mi], groups, n_points * n_ctx)
        per_all = _group_stats(values[:, mi], point_idx, n_points)
        for i, arm in enumerate(chosen):
            for ci, context in enumerate(ctx_names):
                if context in wanted_contexts:
                    _add_point(buckets, arm, context, metric, *(stat[i * n_ctx + ci] for stat in per_ctx))
            # "all" only where it differs from a context (a one-context run is that context).
            if "all" in wanted_contexts and (multi_context[i] or contexts == ["all"]):
                _add_point(buckets, arm, "all", metric, *(stat[i] for stat in per_all))
    out = [Series(agent_id, sv, ctx, m, role, tuple(points)) for (sv, ctx, m, role), points in buckets.items()]
    order = {c: i for i, c in enumerate(list(CONTEXTS) + ["all"])}
    return sorted(out, key=lambda s: (s.suite_version, order.get(s.context, 99), metrics.index(s.metric), s.role))


def _group_stats(values: np.ndarray, groups: np.ndarray, n_groups: int) -> tuple[list, list, list]:
    """Per group: count of finite values, their mean and the standard error of the mean."""
    finite = np.isfinite(values)
    v = np.where(finite, values, 0.0)
    count = np.bincount(groups, weights=finite.astype(float), minlength=n_groups)
    total = np.bincount(groups, weights=v, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        centred = np.where(finite, values - mean[groups], 0.0)  # two passes: no cancellation
        ss = np.bincount(groups, weights=centred * centred, minlength=n_groups)
        se = np.where(count > 1, np.sqrt(ss / np.maximum(count - 1, 1) / np.maximum(count, 1)), np.nan)
    return count.astype(int).tolist(), mean.tolist(), se.tolist()


def _add_point(buckets, arm: dict[str, Any], context: str, metric: str, n: int, mean: float, se: float) -> None:
    if n == 0:
        return
    point = RunPoint(arm["run_id"], arm["run_name"], arm["created_at"], arm["arm"], arm["config_sha256"],
                     str(arm["version"] or ""), n, mean, se)
    key = (arm["suite_version"] or "", context, metric, arm["role"])
    buckets.setdefault(key, []).append(point)


def find(series: Iterable[Series], *, context: str, metric: str, role: str = "current",
         suite_version: str | None = None) -> Series | None:
    """The longest matching series (the newest suite version breaks ties)."""
    matches = [s for s in series if s.context == context and s.metric == metric and s.role == role
               and (suite_version is None or s.suite_version == suite_version)]
    if not matches and context == "all":  # a one-context history: its context is "all"
        matches = [s for s in series if s.metric == metric and s.role == role
                   and (suite_version is None or s.suite_version == suite_version)]
    if not matches:
        return None
    return max(matches, key=lambda s: (len(s.points), s.points[-1].created_at))

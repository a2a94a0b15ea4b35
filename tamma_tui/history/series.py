"""An agent's history as series: one point per run, the mean of its per-task means.

A series is (agent, suite version, context, metric, role). ``role`` is "current" for the arm
that carries the agent in a run (its baseline arm when the baseline is the agent's, else the
first arm that is) and "pinned" for the frozen configuration an experiment re-runs alongside
(``pinned:``), so drift and configuration changes can be told apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Sequence

import numpy as np

from tamma_tui.store import history as store
from tamma_tui.vocabulary import CONTEXTS, METRIC_SPECS

PINNED_ARM = "pinned"


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
    task_values: dict[str, float] = field(default_factory=dict, repr=False)


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
    # (run, arm) -> context -> metric index -> {task: mean}
    per: dict[tuple[int, str], dict[str, list[dict[str, float]]]] = {}
    for run_id, arm, context, task_id, _n, *means in rows:
        slot = per.setdefault((run_id, arm), {}).setdefault(context, [dict() for _ in metrics])
        for i, v in enumerate(means):
            if v is not None:
                slot[i][task_id] = float(v)
    wanted_contexts = list(contexts) if contexts else list(CONTEXTS) + ["all"]
    buckets: dict[tuple[str, str, str, str], list[RunPoint]] = {}
    for arm in chosen:
        by_context = per.get((arm["run_id"], arm["arm"]), {})
        if not by_context:
            continue
        for mi, metric in enumerate(metrics):
            merged: dict[str, float] = {}
            for context, slots in by_context.items():
                merged.update({f"{context}/{k}": v for k, v in slots[mi].items()})
                if context in wanted_contexts:
                    _add_point(buckets, arm, context, metric, slots[mi])
            # "all" only where it differs from a context (a one-context run is that context).
            if "all" in wanted_contexts and (len(by_context) > 1 or contexts == ["all"]):
                _add_point(buckets, arm, "all", metric, merged)
    out = [Series(agent_id, sv, ctx, m, role, tuple(points)) for (sv, ctx, m, role), points in buckets.items()]
    order = {c: i for i, c in enumerate(list(CONTEXTS) + ["all"])}
    return sorted(out, key=lambda s: (s.suite_version, order.get(s.context, 99), metrics.index(s.metric), s.role))


def _add_point(buckets, arm: dict[str, Any], context: str, metric: str, tasks: dict[str, float]) -> None:
    if not tasks:
        return
    # Plain Python: tens of values per point, thousands of points; numpy's per-call cost dominates.
    values = list(tasks.values())
    n = len(values)
    mean = sum(values) / n
    se = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1) / n) if n > 1 else math.nan
    point = RunPoint(arm["run_id"], arm["run_name"], arm["created_at"], arm["arm"], arm["config_sha256"],
                     str(arm["version"] or ""), n, mean, se, tasks)
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

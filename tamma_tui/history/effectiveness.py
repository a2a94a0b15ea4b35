"""Did an applied change deliver what its evidence predicted?

Works on a small interface, ``AppliedChange``, so the change requests of the config-store
room (``store/changes.py``) plug in through one adapter (``services.history``).

Realised effect: the mean of the runs' values after the apply minus the mean before (the
agent's current series, same suite version and context), with a Welch interval. The
winner's-curse ratio of a group of changes is sum(realised) / sum(predicted): evidence that
picked the best of many candidates overstates the gain it found, and the ratio says by how
much per source of recommendation (below 1 = the predictions were optimistic).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, Sequence

import numpy as np

from tamma_tui.vocabulary import METRIC_SPECS

from .changes import welch_interval
from .series import Series

MIN_RUNS_EACH_SIDE = 2


@dataclass(frozen=True)
class AppliedChange:
    change_id: str
    agent_id: str
    applied_at: datetime
    source: str  # what recommended it: "tune", "recommend", "manual", ...
    metric: str
    context: str  # a context or "all"
    predicted: float | None  # predicted effect on the metric (after - before)
    predicted_low: float | None = None
    predicted_high: float | None = None
    rolled_back_at: datetime | None = None
    title: str = ""


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def realised(change: AppliedChange, series: Series, *, alpha: float = 0.05, window: int = 10) -> dict[str, Any]:
    """The change's predicted and realised effect, with the verdict the realised one earns."""
    at = _aware(change.applied_at)
    end = _aware(change.rolled_back_at) if change.rolled_back_at else None
    before = [p.value for p in series.points if _aware(p.created_at) < at][-window:]
    after = [p.value for p in series.points if _aware(p.created_at) >= at and (end is None or _aware(p.created_at) < end)][:window]
    row: dict[str, Any] = {**asdict(change), "n_before": len(before), "n_after": len(after),
                           "realised": None, "realised_low": None, "realised_high": None, "verdict": "waiting",
                           "suggest_rollback": False}
    row["applied_at"] = at.isoformat(timespec="seconds")
    row["rolled_back_at"] = end.isoformat(timespec="seconds") if end else None
    if len(before) < MIN_RUNS_EACH_SIDE or len(after) < MIN_RUNS_EACH_SIDE:
        return row
    b, a = np.array(before), np.array(after)
    low, high = welch_interval(b, a, alpha)
    diff = float(a.mean() - b.mean())
    row.update(realised=diff, realised_low=low, realised_high=high)
    hib = METRIC_SPECS[change.metric].higher_is_better
    worse = high < 0 if hib else low > 0
    better = low > 0 if hib else high < 0
    row["verdict"] = "regressed" if worse else ("delivered" if better else "inconclusive")
    if change.predicted is not None and not worse and not better and change.predicted_low is not None:
        # The realised interval excludes the whole predicted one: it fell short of its evidence.
        if (hib and high < change.predicted_low) or (not hib and change.predicted_high is not None and low > change.predicted_high):
            row["verdict"] = "fell short"
    row["suggest_rollback"] = worse and end is None
    return row


def winners_curse(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per source: changes measured, summed predicted and realised gains, and their ratio."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row.get("realised") is not None and row.get("predicted") not in (None, 0):
            groups.setdefault(row["source"], []).append(row)
    out = []
    for source, members in sorted(groups.items()):
        sign = [1.0 if METRIC_SPECS[m["metric"]].higher_is_better else -1.0 for m in members]
        predicted = math.fsum(s * m["predicted"] for s, m in zip(sign, members))
        got = math.fsum(s * m["realised"] for s, m in zip(sign, members))
        out.append({"source": source, "changes": len(members), "predicted_gain": predicted,
                    "realised_gain": got, "ratio": got / predicted if predicted else None})
    return out

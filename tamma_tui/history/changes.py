"""Change points in a series, with magnitude, interval, verdict and how much more evidence
would settle an inconclusive one.

Detector: E-divisive means (``stats.changepoints.e_divisive_means``) at ``ALPHA`` with at
least ``MIN_SIZE`` runs either side of a split; each kept split's t test is Bonferroni
adjusted for the candidates it was chosen from, so on a flat series the chance of any
false alarm stays near ``ALPHA`` (tests check this over many seeds).

Noise floor: a step must also clear what the runs themselves say pure noise can do. Each
run's value carries sampling noise (its standard error over tasks); A/A runs and a pinned
configuration measure how much run-to-run noise the environment adds on top. The larger of
the two is the floor, and a step whose interval still crosses zero or whose size is within
``z * floor * sqrt(1/n_before + 1/n_after)`` is called inconclusive.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, asdict
from typing import Any, Sequence

import numpy as np
from scipy import stats as sps

from tamma_tui.stats import e_divisive_means
from tamma_tui.vocabulary import METRIC_SPECS

from .series import RunPoint, Series

ALPHA = 0.05
MIN_SIZE = 3
POWER = 0.8
MAX_WINDOW = 1000  # the newest runs analysed per series (the energy table is n x n)


@dataclass(frozen=True)
class ChangePointView:
    index: int  # first point of the new segment
    run_id: int  # the run where the new level starts
    created_at: str
    mean_before: float
    mean_after: float
    magnitude: float  # after - before
    ci_low: float
    ci_high: float
    p_value: float
    verdict: str  # regressed | improved | inconclusive
    noise_floor: float
    more_runs: int | None  # inconclusive: runs after the change that would settle it
    trials_factor: float | None  # ... or: run this many times the trials per run (when more runs alone cannot)
    n_before: int
    n_after: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def noise_floor(points: Sequence[RunPoint], *, extra_sd: float = 0.0) -> float:
    """The run-to-run standard deviation noise alone explains: the root mean square of the
    runs' own standard errors, or ``extra_sd`` (A/A, pinned) when that is larger."""
    ses = np.array([p.se for p in points if math.isfinite(p.se)], dtype=float)
    within = float(np.sqrt(np.mean(ses ** 2))) if ses.size else 0.0
    return max(within, float(extra_sd) if math.isfinite(extra_sd) else 0.0)


def environment_sd(pinned: Series | None) -> float:
    """Run-to-run sd of a pinned configuration's values (successive differences / sqrt 2,
    which a step in the pinned series itself barely inflates)."""
    if pinned is None or len(pinned.points) < 3:
        return 0.0
    v = pinned.values
    return float(np.median(np.abs(np.diff(v))) / 0.6745 / math.sqrt(2))


def detect(series: Series, *, alpha: float = ALPHA, min_size: int = MIN_SIZE, extra_sd: float = 0.0,
           window: int = MAX_WINDOW) -> list[ChangePointView]:
    points = series.points[-window:]
    values = np.array([p.value for p in points], dtype=float)
    if values.size == 0 or np.ptp(values) <= 1e-9 * max(1.0, float(np.abs(values).max())):
        return []  # flat up to rounding (e.g. a fixed price): nothing to split, and t tests would warn
    found = e_divisive_means(values, alpha=alpha, min_size=min_size)
    floor = noise_floor(points, extra_sd=extra_sd)
    bounds = [0] + [cp.index for cp in found] + [values.size]
    spec = METRIC_SPECS[series.metric]
    z = float(sps.norm.isf(alpha / 2))
    out = []
    for k, cp in enumerate(found):
        before, after = values[bounds[k]:cp.index], values[cp.index:bounds[k + 2]]
        diff = float(after.mean() - before.mean())
        low, high = welch_interval(before, after, alpha)
        threshold = z * floor * math.sqrt(1 / before.size + 1 / after.size)
        decisive = (low > 0 or high < 0) and abs(diff) > threshold
        better = diff > 0 if spec.higher_is_better else diff < 0
        verdict = ("improved" if better else "regressed") if decisive else "inconclusive"
        more = None if decisive else runs_to_settle(before, after, diff, floor, alpha)
        factor = None if decisive or more is not None else trials_factor(before.size, after.size, diff, floor, alpha)
        p = points[cp.index]
        out.append(ChangePointView(cp.index + (len(series.points) - len(points)), p.run_id,
                                   p.created_at.isoformat(timespec="seconds"), float(before.mean()),
                                   float(after.mean()), diff, low, high, cp.p_value, verdict, floor, more, factor,
                                   int(before.size), int(after.size)))
    return out


def welch_interval(before: np.ndarray, after: np.ndarray, alpha: float) -> tuple[float, float]:
    diff = float(after.mean() - before.mean())
    v1 = before.var(ddof=1) / before.size if before.size > 1 else 0.0
    v2 = after.var(ddof=1) / after.size if after.size > 1 else 0.0
    se = math.sqrt(v1 + v2)
    if se == 0:
        return diff, diff
    df_num = (v1 + v2) ** 2
    df_den = (v1 ** 2 / max(before.size - 1, 1)) + (v2 ** 2 / max(after.size - 1, 1))
    df = df_num / df_den if df_den > 0 else max(before.size + after.size - 2, 1)
    t = float(sps.t.isf(alpha / 2, df))
    return diff - t * se, diff + t * se


def runs_to_settle(before: np.ndarray, after: np.ndarray, diff: float, floor: float, alpha: float) -> int | None:
    """Runs after the change needed for a two-sided test at ``alpha`` to detect a step of
    this size with 80% power, less those already there; None when the step is nil."""
    sd = math.sqrt(max(np.var(np.concatenate([before - before.mean(), after - after.mean()]), ddof=1), floor ** 2))
    if diff == 0 or not math.isfinite(sd):
        return None
    z = float(sps.norm.isf(alpha / 2) + sps.norm.isf(1 - POWER))
    # Var(diff) = sd^2 (1/n1 + 1/n2) must fall to (diff / z)^2.
    target = (diff / z) ** 2 / sd ** 2 - 1 / before.size
    if target <= 0:
        return None  # even endless runs after it would not settle it against so few before
    return max(int(math.ceil(1 / target)) - after.size, 1)


def trials_factor(n_before: int, n_after: int, diff: float, floor: float, alpha: float) -> float | None:
    """How many times the current trials per run would shrink the runs' noise enough for
    this step to clear the noise floor (noise falls with the square root of the trials)."""
    if diff == 0 or floor <= 0:
        return None
    z = float(sps.norm.isf(alpha / 2) + sps.norm.isf(1 - POWER))
    factor = (z * floor / abs(diff)) ** 2 * (1 / n_before + 1 / n_after)
    return round(max(factor, 1.0) + 0.05, 1)


def current_level(series: Series, changes: Sequence[ChangePointView]) -> dict[str, Any]:
    """The newest segment's mean and spread: the model a new run is judged against."""
    start = changes[-1].index if changes else 0
    seg = series.values[start:]
    sd = float(seg.std(ddof=1)) if seg.size > 1 else math.nan
    return {"since_run": series.points[start].run_id, "n_runs": int(seg.size), "mean": float(seg.mean()), "sd": sd}


def position(value: float, level: dict[str, Any], floor: float, metric: str, alpha: float = ALPHA) -> dict[str, Any]:
    """Where a value sits against the current level: z score and a word."""
    sd = max(level.get("sd") or 0.0, floor) if math.isfinite(level.get("sd") or math.nan) else floor
    if not sd:
        return {"z": None, "where": "unknown"}
    z = (value - level["mean"]) / sd
    crit = float(sps.norm.isf(alpha / 2))
    if abs(z) <= crit:
        where = "within"
    else:
        better = z > 0 if METRIC_SPECS[metric].higher_is_better else z < 0
        where = "above (better)" if better else "below (worse)"
    return {"z": round(float(z), 3), "where": where}

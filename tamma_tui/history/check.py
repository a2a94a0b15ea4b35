"""The CI gate: is this run worse than its reference?

Arms are paired with the reference arm of the same config hash, else the same name, and
compared on the tasks both ran, per context and gated metric. Per comparison, with the
plan's margin (default: 2 points for rates and scores, 10% of the reference's level for
latency, cost and tokens) and the plan's alpha, one-sided and uncorrected (a gate that
multiplies its tests would be cheaper to pass the more it gates):
  - regressed: significantly worse (one-sided test of "reference better" at alpha) and the
    estimate is worse than the margin;
  - ok: non-inferiority at the margin is shown;
  - inconclusive: anything else; it passes with a warning and says how many more tasks
    (and trials) would settle it, assuming the observed difference is the true one.
The tests are ``stats.noninferiority_test`` (paired t on task means; Tango's score test
when every task has one 0/1 outcome per arm).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
from scipy import stats as sps

from tamma_tui.stats import noninferiority_test
from tamma_tui.vocabulary import METRIC_SPECS

DEFAULT_RATE_MARGIN = 0.02
DEFAULT_RELATIVE_MARGIN = 0.10
POWER = 0.8

#: arm -> metric -> context -> task -> (mean, trials)
TaskTable = Mapping[str, Mapping[str, Mapping[str, Mapping[str, tuple[float, int]]]]]


@dataclass
class GateResult:
    arm: str
    reference_arm: str
    context: str
    metric: str
    n_tasks: int
    reference_mean: float | None
    current_mean: float | None
    estimate: float | None  # current - reference
    margin: float
    p_worse: float | None
    p_noninferior: float | None
    verdict: str  # regressed | ok | inconclusive
    more_tasks: int | None = None
    more_trials: int | None = None
    flaky: dict[str, Any] = field(default_factory=dict)
    history: dict[str, Any] = field(default_factory=dict)
    gated: bool = True  # False for the pinned arm: it measures the environment, not the run's config
    cause: str | None = None  # for a regression: "config" or "drift" (the pinned arm regressed too)

    @property
    def name(self) -> str:
        return f"{self.arm}/{self.context}/{self.metric}"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, **asdict(self)}


def pair_arms(current: Sequence[dict[str, Any]], reference: Sequence[dict[str, Any]],
              by_name_first: frozenset[str] = frozenset({"pinned"})) -> list[tuple[str, str]]:
    """(current arm, reference arm): same config hash first, then same name; each reference
    arm is used once. Arms named in ``by_name_first`` (the pinned arm, which often shares
    the baseline's hash) pair by name before anything else."""
    pairs: list[tuple[str, str]] = []
    used: set[str] = set()
    by_sha = {}
    for r in reference:
        if r.get("config_sha256"):
            by_sha.setdefault(r["config_sha256"], r["name"])
    names = {r["name"] for r in reference}
    for arm in current:
        if arm["name"] in by_name_first and arm["name"] in names:
            pairs.append((arm["name"], arm["name"]))
            used.add(arm["name"])
    for arm in current:
        if arm["name"] in used and (arm["name"], arm["name"]) in pairs:
            continue
        sha = arm.get("config_sha256")
        match = by_sha.get(sha) if sha else None
        if match is None or match in used:
            match = arm["name"] if arm["name"] in names and arm["name"] not in used else None
        if match is not None:
            pairs.append((arm["name"], match))
            used.add(match)
    return pairs


def gated_metrics(plan: Mapping[str, Any], requested: Sequence[str] | None) -> list[tuple[str, float | None]]:
    """(metric, margin or None for the default): ``requested`` if given, else the plan's
    primary metric and guardrails."""
    guard_margin = {g["metric"]: float(g["margin"]) for g in plan.get("guardrails", []) if "metric" in g}
    if requested:
        names = list(dict.fromkeys(requested))
    else:
        names = list(dict.fromkeys([plan.get("primary_metric", "pass_rate"), *guard_margin]))
    return [(m, guard_margin.get(m)) for m in names]


def default_margin(metric: str, reference_level: float) -> float:
    spec = METRIC_SPECS[metric]
    if spec.bounded:
        return DEFAULT_RATE_MARGIN
    return DEFAULT_RELATIVE_MARGIN * abs(reference_level)


def compare_tasks(current: Mapping[str, tuple[float, int]], reference: Mapping[str, tuple[float, int]], *,
                  metric: str, margin: float | None, alpha: float) -> dict[str, Any]:
    """The gate's statistics for one (arm pair, context, metric) on the common tasks."""
    spec = METRIC_SPECS[metric]
    common = sorted(set(current) & set(reference))
    x = np.array([reference[t][0] for t in common], dtype=float)
    y = np.array([current[t][0] for t in common], dtype=float)
    n = len(common)
    out: dict[str, Any] = {"n_tasks": n, "reference_mean": None, "current_mean": None, "estimate": None,
                           "margin": margin if margin is not None else DEFAULT_RATE_MARGIN,
                           "p_worse": None, "p_noninferior": None, "verdict": "inconclusive",
                           "more_tasks": None, "diffs": {}}
    if n == 0:
        return out
    ref_level = float(x.mean())
    m = margin if margin is not None else default_margin(metric, ref_level)
    binary = spec.binary and all(current[t][1] <= 1 and reference[t][1] <= 1 for t in common) and \
        bool(np.all(np.isin(x, (0, 1))) and np.all(np.isin(y, (0, 1))))
    estimate = float((y - x).mean())
    out.update(reference_mean=ref_level, current_mean=float(y.mean()), estimate=estimate, margin=m,
               diffs={t: float(current[t][0] - reference[t][0]) for t in common})
    if n < 2:
        return out
    hib = spec.higher_is_better
    # "Reference better than current" at margin 0, i.e. the current run significantly worse.
    worse = noninferiority_test(y, x, margin=0.0, higher_is_better=hib, alpha=alpha, paired_binary=binary)
    ni = noninferiority_test(x, y, margin=m, higher_is_better=hib, alpha=alpha, paired_binary=binary)
    good = estimate if hib else -estimate  # positive = current better
    out["p_worse"] = _num(worse.p_value)
    out["p_noninferior"] = _num(ni.p_value)
    significantly_worse = out["p_worse"] is not None and out["p_worse"] < alpha
    if significantly_worse and good < -m:
        out["verdict"] = "regressed"
    elif ni.extra.get("non_inferior"):
        out["verdict"] = "ok"
    else:
        sd = float(np.std(y - x, ddof=1)) if n > 1 else math.nan
        target = abs(good) if good < -m else good + m
        out["more_tasks"] = tasks_to_settle(sd, target, n, alpha)
    return out


def tasks_to_settle(sd: float, target: float, n_now: int, alpha: float) -> int | None:
    """Further paired tasks for a one-sided test at ``alpha`` with 80% power to separate the
    estimate from the boundary it is ``target`` away from; None when it sits on it."""
    if not (math.isfinite(sd) and target > 0):
        return None
    z = float(sps.norm.isf(alpha) + sps.norm.isf(1 - POWER))
    need = math.ceil((z * max(sd, 1e-12) / target) ** 2)
    return max(need - n_now, 1)


def attribute_drift(results: Sequence[GateResult], pinned_arm: str) -> None:
    """Mark each regression "drift" when the pinned (frozen) arm regressed on the same context
    and metric, else "config"; the pinned arm's own rows are reported but not gated."""
    pinned = {(r.context, r.metric): r for r in results if r.arm == pinned_arm}
    for r in results:
        if r.arm == pinned_arm:
            r.gated = False
        elif r.verdict == "regressed" and pinned:
            twin = pinned.get((r.context, r.metric))
            r.cause = "drift" if twin is not None and twin.verdict == "regressed" else "config"


def overall(results: Sequence[GateResult]) -> str:
    results = [r for r in results if r.gated]
    verdicts = {r.verdict for r in results}
    if "regressed" in verdicts:
        return "regressed"
    if not results:
        return "no_reference"
    return "inconclusive" if "inconclusive" in verdicts else "ok"


def _num(v: float) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None

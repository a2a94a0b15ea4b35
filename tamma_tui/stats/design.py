"""Sizing for the decision that is actually made (issue 9, `plan`).

The decision ships a variant when (1) its confirmatory test rejects in the better
direction under the family's correction over V variants (Holm's first step is
Bonferroni, alpha / V, the size that guarantees the power whatever the other variants
do) and (2) every guardrail is shown non-inferior, each one-sided at alpha. With the
guardrail metrics truly unchanged, the probability of (2) is the product of the
guardrails' powers (treated as independent of the primary: conservative when they are
positively correlated). The per-task difference has variance
    Var(K) = omega^2 + (s_w,base^2 + s_w,var^2) / K
(Miller 2024): omega^2 between tasks, s_w^2 trial-to-trial within a task, K trials per
task and arm. Powers use the noncentral t with n - 1 df (the permutation test's
large-sample twin); one trial per task on pass rate uses the exact McNemar power.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from scipy import stats

from .power import _discordant_cells, mcnemar_exact_power

MAX_TASKS = 1_000_000


@dataclass(frozen=True)
class Guard:
    """A guardrail for sizing: margin and the sd of one task's difference (metric units)."""

    margin: float
    sd: float


@dataclass(frozen=True)
class DesignRow:
    trials: int
    tasks: int
    total_trials: int  # per arm
    se: float


@dataclass(frozen=True)
class DecisionSize:
    tasks: int
    power: float
    primary_power: float
    guard_powers: tuple[float, ...]
    alpha_per_variant: float
    designs: list[DesignRow] = field(default_factory=list)
    cheapest: DesignRow | None = None


def one_sided_t_power(effect: float, sd: float, n: int, alpha: float) -> float:
    """P(one-sided level-alpha t test on n pairs rejects) for a true standardised shift."""
    if n < 2 or sd <= 0:
        return 0.0 if sd > 0 or effect <= 0 else 1.0
    df = n - 1
    crit = stats.t.isf(alpha, df)
    return float(stats.nct.sf(crit, df, effect / sd * math.sqrt(n)))


def decision_power(n: int, *, effect: float, sd: float, alpha: float, n_variants: int = 1,
                   guards: Sequence[Guard] = (), mcnemar: tuple[float, float] | None = None) -> tuple[float, float, tuple]:
    """(joint power, primary power, guardrail powers) with n tasks."""
    a = alpha / max(n_variants, 1)
    if mcnemar is not None:
        primary = mcnemar_exact_power(n, mcnemar[0], mcnemar[1], a)
    else:
        primary = one_sided_t_power(effect, sd, n, a / 2)  # two-sided test, better direction
    gp = tuple(one_sided_t_power(g.margin, g.sd, n, alpha) for g in guards)
    joint = primary
    for p in gp:
        joint *= p
    return joint, primary, gp


def tasks_for_decision(*, effect: float, sd: float, alpha: float, power: float, n_variants: int = 1,
                       guards: Sequence[Guard] = (), mcnemar: tuple[float, float] | None = None) -> int:
    """Smallest n whose joint decision power reaches ``power`` (doubling, then bisection)."""
    if effect <= 0:
        raise ValueError(f"the effect to detect must be positive, got {effect}")
    reaches = lambda n: decision_power(n, effect=effect, sd=sd, alpha=alpha, n_variants=n_variants,  # noqa: E731
                                       guards=guards, mcnemar=mcnemar)[0] >= power
    low, high = 1, 2
    while not reaches(high):
        low, high = high, high * 2
        if high > MAX_TASKS:
            raise ValueError("no number of tasks reaches the requested power")
    while high - low > 1:
        mid = (low + high) // 2
        low, high = (low, mid) if reaches(mid) else (mid, high)
    return high


def variance_at(trials: int, omega2: float, within_base: float, within_var: float) -> float:
    return omega2 + (within_base + within_var) / max(trials, 1)


def cheapest_design(*, omega2: float, within_base: float, within_var: float, target_se: float,
                    max_trials: int = 10, max_tasks: int | None = None, task_cost: float = 0.0
                    ) -> tuple[list[DesignRow], DesignRow | None]:
    """Every (trials, tasks) pair reaching ``target_se`` for K = 1..max_trials, and the one
    with the lowest cost = tasks * (trials + task_cost) (ties: fewer trials), among those
    within ``max_tasks``."""
    rows: list[DesignRow] = []
    for k in range(1, max_trials + 1):
        var = variance_at(k, omega2, within_base, within_var)
        n = max(2, math.ceil(var / (target_se * target_se) - 1e-9))
        rows.append(DesignRow(trials=k, tasks=n, total_trials=n * k, se=math.sqrt(var / n)))
    usable = [r for r in rows if max_tasks is None or r.tasks <= max_tasks]
    best = min(usable, key=lambda r: (r.tasks * (r.trials + task_cost), r.trials)) if usable else None
    return rows, best


def pass_rate_cells(p_baseline: float, mde: float, discordance: float | None) -> tuple[float, float]:
    return _discordant_cells(p_baseline, mde, discordance)

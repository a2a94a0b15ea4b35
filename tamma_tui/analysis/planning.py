"""Power checks in words: is a planned experiment big enough for the change it hopes to see?

Pass rate uses the exact McNemar design (Connor's formula plus an exact-power check) with
one trial per task, and the paired t on per-task pass fractions (Miller 2024) with K
trials; other metrics use the paired t with the MDE read as a standardised effect d_z.
"""

from __future__ import annotations

import math

from tamma_tui.config.models import ExperimentSpec
from tamma_tui.stats.power import (
    paired_means_mde,
    paired_means_sample_size,
    paired_proportions_mde,
    paired_proportions_sample_size,
    repeated_trials_mde,
    repeated_trials_sample_size,
)

#: Baseline pass rate assumed when the experiment has not run yet.
ASSUMED_BASELINE_RATE = 0.6


def pass_rate_tasks_needed(baseline_rate: float, mde: float, trials: int, *, alpha: float = 0.05,
                           power: float = 0.8) -> int:
    if trials <= 1:
        return paired_proportions_sample_size(baseline_rate, mde, alpha=alpha, power=power)
    return repeated_trials_sample_size(baseline_rate, mde, trials, alpha=alpha, power=power)


def pass_rate_mde(n_tasks: int, trials: int, *, baseline_rate: float = ASSUMED_BASELINE_RATE,
                  alpha: float = 0.05, power: float = 0.8) -> float:
    """Smallest pass-rate improvement detectable (NaN when none is)."""
    if trials <= 1:
        return paired_proportions_mde(baseline_rate, n_tasks, alpha=alpha, power=power)
    return repeated_trials_mde(baseline_rate, n_tasks, trials, alpha=alpha, power=power)


def power_line(n_tasks: int, trials: int | None = None, baseline_rate: float = ASSUMED_BASELINE_RATE,
               alpha: float = 0.05, power: float = 0.8, *, spec: ExperimentSpec | None = None) -> str:
    """"with 72 tasks x 3 trials you can detect a 9-point change in pass rate at 80% power".

    Given an experiment `spec`, its trials, alpha and power are used, and the line becomes
    the underpowered warning of `check_power` when the spec's stated MDE is out of reach.
    """
    if spec is not None:
        warning = check_power(spec, n_tasks)
        if warning:
            return warning
        trials, alpha, power = spec.trials, spec.analysis.alpha, spec.analysis.power
    trials = trials or 1
    if n_tasks < 2:
        return f"with {n_tasks} task{'s' if n_tasks != 1 else ''} no change is detectable"
    mde = pass_rate_mde(n_tasks, trials, baseline_rate=baseline_rate, alpha=alpha, power=power)
    head = f"with {n_tasks} tasks x {trials} trial{'s' if trials != 1 else ''}"
    if math.isnan(mde):
        return f"{head} no change in pass rate is detectable at {power:.0%} power"
    points = f"{mde * 100:.0f}"
    article = "an" if points.startswith("8") or points in ("11", "18") else "a"
    return f"{head} you can detect {article} {points}-point change in pass rate at {power:.0%} power"


def check_power(spec: ExperimentSpec, n_tasks: int) -> str | None:
    """A warning line when `n_tasks` is too few for the plan's stated MDE, else None."""
    plan = spec.analysis
    if plan.mde is None or n_tasks <= 0:
        return None
    alpha, power, trials = plan.alpha, plan.power, spec.trials
    pass_rate = plan.primary_metric == "pass_rate"
    rate = min(ASSUMED_BASELINE_RATE, 1 - plan.mde)
    try:
        needed = (pass_rate_tasks_needed(rate, plan.mde, trials, alpha=alpha, power=power) if pass_rate
                  else paired_means_sample_size(plan.mde, alpha=alpha, power=power))
        if n_tasks >= needed:
            return None  # before the "what you can detect now" search, which costs as much again
        if pass_rate:
            wanted = f"a {plan.mde * 100:g}-point change in pass rate"
            now = power_line(n_tasks, trials, rate, alpha, power)
        else:
            wanted = f"an effect of d_z = {plan.mde:g} on {plan.primary_metric}"
            dz = paired_means_mde(n_tasks, alpha=alpha, power=power)
            now = f"with {n_tasks} tasks the smallest detectable effect is d_z = {dz:.2f}"
    except ValueError:
        return None  # an MDE no design can reach is reported by `tamma-bench plan`
    return (f"underpowered: {n_tasks} tasks are too few to detect {wanted} at {power:.0%} power "
            f"(alpha {alpha:g}); {needed} are needed; {now}")

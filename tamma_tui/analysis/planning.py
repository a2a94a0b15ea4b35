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


# ---------------------------------------------------------------- plan --from-run (v2)


def estimate_from_frame(frame, arms: list[str], baseline: str, metric: str,
                        guard_metrics: tuple[str, ...] = ()) -> dict:
    """What a stored run (or an A/A run) says about the design: the variance components of
    the per-task difference between the baseline and the other arm, the discordance at one
    trial per task, the within-task and between-arm correlations, the baseline's mean,
    and the sd of each guardrail metric's per-task difference."""
    import numpy as np

    from .components import arm_components
    from .cube import build_cube
    from .report import AA_ARM

    others = [a for a in arms if a != baseline]
    if not others:
        raise ValueError("the run has no arm besides the baseline to compare with")
    # prefer a real variant; an A/A run compares the baseline with its copy
    other = next((a for a in others if a != AA_ARM), others[0])
    metrics = tuple(dict.fromkeys((metric, *guard_metrics)))
    cube = build_cube(frame, [baseline, other], metrics=metrics)
    mask = np.ones(len(cube.task_ids), dtype=bool)
    j = 0
    base = arm_components(cube, 0, j, mask)
    var = arm_components(cube, 1, j, mask)
    both = (cube.counts[0, :, j] > 0) & (cube.counts[1, :, j] > 0)
    x, y = cube.means[0, both, j], cube.means[1, both, j]
    if x.size < 3:
        raise ValueError(f"only {x.size} tasks paired between {baseline} and {other}: too few to estimate")
    d = y - x
    k = max(float(base.get("trials_per_task") or 1.0), 1.0)
    within_b = base.get("within_task_var") if k > 1 else None
    within_v = var.get("within_task_var") if k > 1 else None
    var_d = float(d.var(ddof=1))
    omega2 = max(var_d - ((within_b or 0.0) + (within_v or 0.0)) / k, 0.0) if within_b is not None else None
    rho = float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else None
    out = {
        "compared": [baseline, other], "n_tasks": int(x.size), "trials_per_task": k,
        "baseline_mean": float(x.mean()), "diff": float(d.mean()), "sd_diff": math.sqrt(var_d),
        "between_arm_correlation": rho, "within_task_corr": base.get("icc"),
        "omega2": omega2, "within_base": within_b, "within_var": within_v,
        "discordance": float(np.mean((x >= 0.5) != (y >= 0.5))) if metric == "pass_rate" and k <= 1 else None,
        "guard_sd": {},
    }
    for i, g in enumerate(metrics[1:], start=1):
        ok = (cube.counts[0, :, i] > 0) & (cube.counts[1, :, i] > 0)
        gd = cube.means[1, ok, i] - cube.means[0, ok, i]
        out["guard_sd"][g] = float(gd.std(ddof=1)) if gd.size > 2 else None
        out.setdefault("guard_baseline_mean", {})[g] = float(cube.means[0, ok, i].mean()) if ok.any() else None
    return out

"""The missingness check that must pass before a decision is made.

Intention to treat counts a failed attempt as a failure, but an arm that fails *more
often* than the other still changes what the comparison means (Little and Rubin,
*Statistical Analysis with Missing Data*, 2019). So the decision is blocked, with the
reason in words, when any of these holds in the decision's context:

- an arm's error/timeout rate exceeds the run's ``max_error_rate``;
- the arms' shortfalls against the planned trials differ by more than ``max_error_rate``;
- the per-task error fractions differ between the baseline and a variant (the sign-flip
  permutation test at alpha; the task is the unit);
- more than ``max_error_rate`` of the tasks are unpaired (present in one arm only).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tamma_tui.stats.permutation import sign_flip_test

from .comparisons import num
from .cube import TaskCube


def missingness_check(cube: TaskCube, *, baseline: str, variants: list[str], context_mask: np.ndarray,
                      alpha: float, max_error_rate: float | None, trials_per_task: int | None,
                      seed: int = 0) -> dict[str, Any]:
    limit = 0.05 if max_error_rate is None else float(max_error_rate)
    b = cube.arms.index(baseline)
    arms: list[dict[str, Any]] = []
    problems: list[str] = []
    tasks_all = int(np.sum(context_mask & (cube.trials.sum(axis=0) > 0)))
    for name in [baseline, *variants]:
        a = cube.arms.index(name)
        stored = int(cube.trials[a, context_mask].sum())
        failed = int(cube.errors[a, context_mask].sum()) if cube.errors is not None else 0
        planned = tasks_all * trials_per_task if trials_per_task else None
        rate = failed / stored if stored else 0.0
        arms.append({"arm": name, "planned": planned, "attempted": stored, "failed": failed,
                     "error_rate": num(rate),
                     "shortfall": num(1 - stored / planned) if planned else None})
        if max_error_rate is not None and rate > limit:
            problems.append(f"{name} failed {failed} of {stored} attempts ({rate:.1%}), above the "
                            f"run's max_error_rate {limit:.1%}")
    shortfalls = [a["shortfall"] for a in arms if a["shortfall"] is not None]
    if shortfalls and max(shortfalls) - min(shortfalls) > limit:
        problems.append("the arms ran different shares of their planned trials ("
                        + ", ".join(f"{a['arm']} {a['attempted']}/{a['planned']}" for a in arms) + ")")
    tests = []
    for name in variants:
        v = cube.arms.index(name)
        both = context_mask & (cube.trials[b] > 0) & (cube.trials[v] > 0)
        unpaired = int(np.sum(context_mask & ((cube.trials[b] > 0) ^ (cube.trials[v] > 0))))
        with np.errstate(invalid="ignore", divide="ignore"):
            fb = cube.errors[b, both] / cube.trials[b, both] if cube.errors is not None else np.zeros(0)
            fv = cube.errors[v, both] / cube.trials[v, both] if cube.errors is not None else np.zeros(0)
        result = sign_flip_test(fv - fb, seed=seed)
        tests.append({"variant": name, "n_pairs": int(both.sum()), "unpaired_tasks": unpaired,
                      "error_fraction_diff": num(float(np.mean(fv - fb))) if both.any() else None,
                      "p_value": num(result.pvalue)})
        if both.any() and result.pvalue < alpha:
            problems.append(f"{name} errs on a different share of tasks than {baseline} "
                            f"({float(np.mean(fv)):.1%} vs {float(np.mean(fb)):.1%} per task, "
                            f"sign-flip p={result.pvalue:.3g})")
        if tasks_all and unpaired / tasks_all > limit:
            problems.append(f"{unpaired} of {tasks_all} tasks have trials in only one of {baseline} "
                            f"and {name}")
    return {"passed": not problems, "max_error_rate": limit, "arms": arms, "error_tests": tests,
            "problems": problems}


def describe(check: dict[str, Any]) -> str:
    if check["passed"]:
        rates = ", ".join(f"{a['arm']} {a['error_rate']:.1%}" for a in check["arms"])
        return (f"Missingness check passed: error rates {rates} (limit {check['max_error_rate']:.1%}), "
                "no arm errs on more tasks than the other, tasks paired.")
    return "Missingness check failed, so no decision: " + "; ".join(check["problems"]) + "."

"""`tamma-bench plan`: tasks needed for a target effect, or the effect a task count can detect."""

from __future__ import annotations

import math
from dataclasses import dataclass

from tamma_tui.config.errors import BadInput
from tamma_tui.config.models import METRICS


@dataclass(frozen=True)
class PlanResult:
    metric: str
    design: str  # mcnemar_exact | paired_t_cluster | paired_t
    alpha: float
    power: float
    trials: int
    tasks: int | None  # needed (or given)
    mde: float | None  # target (or detectable)
    baseline_rate: float | None = None
    solved_for: str = "tasks"  # tasks | mde


def _check(value: float | None, flag: str, low: float, high: float, *, inclusive: bool = False) -> None:
    if value is None:
        return
    ok = low <= value <= high if inclusive else low < value < high
    if not (isinstance(value, (int, float)) and math.isfinite(value) and ok):
        bounds = f"[{low:g}, {high:g}]" if inclusive else f"({low:g}, {high:g})"
        raise BadInput(f"must be in {bounds}, got {value}", field=flag)


def plan_experiment(*, metric: str = "pass_rate", baseline_rate: float = 0.6, mde: float | None = None,
                    trials: int = 1, alpha: float = 0.05, power: float = 0.8, tasks: int | None = None,
                    effect_size: float | None = None) -> PlanResult:
    from tamma_tui.analysis.planning import pass_rate_mde, pass_rate_tasks_needed
    from tamma_tui.stats.power import paired_means_mde, paired_means_sample_size

    if metric not in METRICS:
        raise BadInput(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}", field="--metric")
    _check(alpha, "--alpha", 0, 1)
    _check(power, "--power", 0, 1)
    if trials < 1:
        raise BadInput(f"must be at least 1, got {trials}", field="--trials")
    if tasks is not None and tasks < 2:
        raise BadInput(f"must be at least 2, got {tasks}", field="--tasks")
    if metric == "pass_rate":
        _check(baseline_rate, "--baseline-rate", 0, 1)
        design = "mcnemar_exact" if trials == 1 else "paired_t_cluster"
        if tasks is None:
            if mde is None:
                raise BadInput("give --mde (the change to detect) or --tasks (to get the MDE)", field="--mde")
            _check(mde, "--mde", 0, 1 - baseline_rate, inclusive=True)
            if mde == 0:
                raise BadInput("must be greater than 0", field="--mde")
            try:
                needed = pass_rate_tasks_needed(baseline_rate, mde, trials, alpha=alpha, power=power)
            except ValueError as exc:
                raise BadInput(str(exc), field="--mde") from None
            return PlanResult(metric, design, alpha, power, trials, needed, mde, baseline_rate)
        found = pass_rate_mde(tasks, trials, baseline_rate=baseline_rate, alpha=alpha, power=power)
        return PlanResult(metric, design, alpha, power, trials, tasks, None if math.isnan(found) else found,
                          baseline_rate, solved_for="mde")
    # Other metrics: per-task means, paired t, effect in d_z units.
    if tasks is None:
        size = effect_size if effect_size is not None else mde
        if size is None:
            raise BadInput("give --effect-size (d_z) or --tasks (to get the detectable d_z)",
                           field="--effect-size")
        if not (math.isfinite(size) and size > 0):
            raise BadInput(f"must be a positive number, got {size}", field="--effect-size")
        needed = paired_means_sample_size(size, alpha=alpha, power=power)
        return PlanResult(metric, "paired_t", alpha, power, trials, needed, size)
    found = paired_means_mde(tasks, alpha=alpha, power=power)
    return PlanResult(metric, "paired_t", alpha, power, trials, tasks, None if math.isnan(found) else found,
                      solved_for="mde")


_DESIGNS = {
    "mcnemar_exact": "exact McNemar test, Connor's formula checked by exact power",
    "paired_t_cluster": "paired t on per-task pass fractions (Miller 2024)",
    "paired_t": "paired t on per-task means, effect as d_z",
}


def format_plan(result: PlanResult) -> str:
    per_task = f"{result.trials} trial{'s' if result.trials != 1 else ''} per task and arm"
    setting = f"alpha {result.alpha:g}, power {result.power:.0%}, {per_task}; {_DESIGNS[result.design]}"
    if result.metric == "pass_rate":
        base = f"baseline pass rate {result.baseline_rate:.0%}"
        if result.solved_for == "tasks":
            return (f"tasks needed: {result.tasks} (to detect pass rate {result.baseline_rate:.0%} -> "
                    f"{result.baseline_rate + result.mde:.0%}, +{result.mde * 100:g} points; "
                    f"{result.tasks * result.trials} trials per arm; {setting})")
        if result.mde is None:
            return f"minimum detectable effect: none with {result.tasks} tasks ({base}; {setting})"
        return (f"minimum detectable effect: +{result.mde * 100:.1f} points of pass rate with "
                f"{result.tasks} tasks ({base}; {setting})")
    if result.solved_for == "tasks":
        return f"tasks needed: {result.tasks} (to detect d_z = {result.mde:g} on {result.metric}; {setting})"
    if result.mde is None:
        return f"minimum detectable effect: none with {result.tasks} tasks ({setting})"
    return f"minimum detectable effect: d_z = {result.mde:.3f} on {result.metric} with {result.tasks} tasks ({setting})"


def count_tasks(spec, workdir) -> int:
    """Tasks per arm an experiment would run: the engine's own selection (contexts, task ids,
    max_tasks), so the designer's count never drifts from what a launch does.

    ``spec`` is a validated ExperimentSpec whose relative paths start at ``workdir``."""
    from pathlib import Path

    from tamma_tui.config.loader import LoadedExperiment
    from tamma_tui.engine.plan import select_tasks
    from tamma_tui.suites.registry import load_suite

    workdir = Path(workdir)
    suite = load_suite(spec.suite, base_dir=workdir)
    loaded = LoadedExperiment(spec=spec, path=(workdir / "form.yaml").resolve())
    return len(select_tasks(loaded, suite))


def suite_problem(suite: str, workdir) -> str | None:
    """Why ``suite`` cannot be loaded (unknown id, missing file), or None when it can."""
    from pathlib import Path

    from tamma_tui.errors import TammaError
    from tamma_tui.suites.registry import load_suite

    try:
        load_suite(suite, base_dir=Path(workdir))
    except TammaError as exc:
        return getattr(exc, "reason", None) or str(exc)
    return None

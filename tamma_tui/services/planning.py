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


# ---------------------------------------------------------------- the decision's size (v2)


@dataclass(frozen=True)
class DecisionPlan:
    metric: str
    effect: float  # in the metric's units
    effect_as_written: str
    alpha: float
    power: float
    trials: int
    n_variants: int
    correction: str
    tasks: int
    joint_power: float
    primary_power: float
    guardrails: list  # [{metric, margin, sd, power}]
    estimates: dict | None
    designs: list
    cheapest: object | None
    source: str  # "flags" or "run N"


def _resolve_effect(text: str | float | None, baseline_mean: float | None, flag: str) -> tuple[float, str]:
    from tamma_tui.analysis.report import parse_margin

    if text is None:
        raise BadInput("give the change to detect (e.g. 0.1, or 5% of the baseline)", field=flag)
    try:
        value, relative = parse_margin("effect", text)
    except BadInput:
        raise BadInput(f"must be a number or a percentage like 5%, got {text!r}", field=flag) from None
    if relative:
        if baseline_mean is None or baseline_mean == 0:
            raise BadInput("a relative change needs the baseline's mean (use --from-run)", field=flag)
        return value * abs(baseline_mean), str(text)
    if value <= 0:
        raise BadInput(f"must be greater than 0, got {text}", field=flag)
    return value, str(text)


def plan_decision(*, metric: str = "pass_rate", mde: str | float | None = None, trials: int = 1,
                  alpha: float = 0.05, power: float = 0.8, n_variants: int = 1, correction: str = "holm",
                  guardrails: list | None = None, baseline_rate: float = 0.6,
                  discordance: float | None = None, within_task_corr: float | None = None,
                  between_arm_corr: float | None = None, sd: float | None = None,
                  estimates: dict | None = None, max_tasks: int | None = None, task_cost: float = 0.0,
                  source: str = "flags") -> DecisionPlan:
    """Tasks needed for the decision: the primary under its correction over the variants,
    jointly with the guardrails' non-inferiority (see `stats.design`)."""
    from scipy import stats as sps

    from tamma_tui.analysis.report import parse_margin
    from tamma_tui.stats.design import Guard, cheapest_design, pass_rate_cells, tasks_for_decision
    from tamma_tui.stats.power import repeated_trials_variance

    if metric not in METRICS:
        raise BadInput(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}", field="--metric")
    _check(alpha, "--alpha", 0, 1)
    _check(power, "--power", 0, 1)
    if trials < 1:
        raise BadInput(f"must be at least 1, got {trials}", field="--trials")
    if n_variants < 1:
        raise BadInput(f"must be at least 1, got {n_variants}", field="--variants")
    est = estimates or {}
    base_mean = est.get("baseline_mean", baseline_rate if metric == "pass_rate" else None)
    effect, written = _resolve_effect(mde, base_mean, "--mde")
    omega2, wb, wv = est.get("omega2"), est.get("within_base"), est.get("within_var")
    if within_task_corr is not None or between_arm_corr is not None or discordance is not None:
        omega2 = wb = wv = None  # hand-set flags override the run's components
    mcnemar = None
    if omega2 is not None and wb is not None and wv is not None:
        var = omega2 + (wb + wv) / trials
    elif metric == "pass_rate":
        p = float(base_mean if base_mean is not None else baseline_rate)
        if trials == 1:
            disc = discordance if discordance is not None else est.get("discordance")
            try:
                mcnemar = pass_rate_cells(p, effect, disc)
            except ValueError as exc:
                raise BadInput(str(exc), field="--discordance") from None
            var = mcnemar[0] + mcnemar[1] - effect**2
        else:
            try:
                var = repeated_trials_variance(p, effect, trials, within_task_corr,
                                               between_arm_corr if between_arm_corr is not None else
                                               (est.get("between_arm_correlation") or 0.0))
            except ValueError as exc:
                raise BadInput(str(exc), field="--within-task-corr") from None
    else:
        sd_value = sd if sd is not None else est.get("sd_diff")
        if sd_value is None:
            raise BadInput(f"{metric} needs the sd of a task's difference: give --sd or --from-run",
                           field="--sd")
        if est.get("sd_diff") is not None and sd is None and trials != est.get("trials_per_task"):
            raise BadInput("the run's trials per task differ and its within-task variance is unknown; "
                           "give --sd", field="--trials")
        var = float(sd_value) ** 2
    guards = []
    guard_rows = []
    for g in guardrails or []:
        gm = g["metric"]
        gb = (est.get("guard_baseline_mean") or {}).get(gm, base_mean if gm == metric else None)
        margin, relative = parse_margin(gm, g["margin"])
        if relative:
            if gb is None:
                raise BadInput(f"a relative margin on {gm} needs the baseline's mean (use --from-run)",
                               field="--guardrail")
            margin *= abs(gb)
        gsd = (est.get("guard_sd") or {}).get(gm) or (math.sqrt(var) if gm == metric else None)
        if gsd is None:
            raise BadInput(f"guardrail {gm} needs its sd: plan --from-run a run that measured it",
                           field="--guardrail")
        if margin <= 0:
            raise BadInput(f"guardrail {gm}: a margin of 0 can never be shown; give a positive margin",
                           field="--guardrail")
        # a guardrail on the primary metric itself starts from the planned effect, not from 0
        guards.append(Guard(margin=margin + (effect if gm == metric else 0.0), sd=gsd))
        guard_rows.append({"metric": gm, "margin": margin, "sd": gsd})
    sd_primary = math.sqrt(max(var, 1e-300))
    try:
        n = tasks_for_decision(effect=effect, sd=sd_primary, alpha=alpha, power=power, n_variants=n_variants,
                               guards=guards, mcnemar=mcnemar)
    except ValueError as exc:
        raise BadInput(str(exc), field="--mde") from None
    from tamma_tui.stats.design import decision_power

    joint, primary, gp = decision_power(n, effect=effect, sd=sd_primary, alpha=alpha, n_variants=n_variants,
                                        guards=guards, mcnemar=mcnemar)
    for row, p in zip(guard_rows, gp):
        row["power"] = p
    designs, cheapest = [], None
    z = sps.norm.isf(alpha / max(n_variants, 1) / 2) + sps.norm.isf(1 - power)
    if omega2 is not None and wb is not None and wv is not None:
        designs, cheapest = cheapest_design(omega2=omega2, within_base=wb, within_var=wv,
                                            target_se=effect / z, max_tasks=max_tasks, task_cost=task_cost)
    return DecisionPlan(metric=metric, effect=effect, effect_as_written=written, alpha=alpha, power=power,
                        trials=trials, n_variants=n_variants, correction=correction, tasks=n,
                        joint_power=joint, primary_power=primary, guardrails=guard_rows,
                        estimates=estimates, designs=designs, cheapest=cheapest, source=source)


def plan_from_run(engine, run_id, *, metric: str | None = None, guardrails: list | None = None,
                  n_variants: int | None = None, **options) -> DecisionPlan:
    """Estimate the design's parameters from a stored run (or an A/A run), then size."""
    from tamma_tui.analysis.planning import estimate_from_frame
    from tamma_tui.analysis.report import AA_ARM
    from tamma_tui.store import queries, repo

    run = repo.get_run(engine, run_id)
    import json as _json

    try:
        plan = _json.loads(run.analysis_json or "{}") or {}
    except ValueError:
        plan = {}
    metric = metric or plan.get("primary_metric", "pass_rate")
    if guardrails is None:
        guardrails = plan.get("guardrails") or []
    arms = queries.arm_configs(engine, run.id)
    names = [a["name"] for a in arms]
    baseline = next((a["name"] for a in arms if a["baseline"]), names[0] if names else None)
    frame = queries.load_trials_frame(engine, run.id)
    if frame.empty or baseline is None:
        raise BadInput(f"run {run.id} has no trials to estimate from", field="--from-run")
    try:
        est = estimate_from_frame(frame, names, baseline, metric, tuple(g["metric"] for g in guardrails))
    except ValueError as exc:
        raise BadInput(str(exc), field="--from-run") from None
    variants = n_variants or max(1, len([n for n in names if n not in (baseline, AA_ARM)]))
    options.setdefault("trials", int(round(est["trials_per_task"])))
    options.setdefault("alpha", plan.get("alpha", 0.05))
    options.setdefault("correction", plan.get("correction", "holm"))
    return plan_decision(metric=metric, guardrails=guardrails, n_variants=variants, estimates=est,
                         source=f"run {run.id}", **options)


def format_decision_plan(p: DecisionPlan) -> str:
    lines = []
    unit = "points" if p.metric in ("pass_rate", "score", "context_utilization") else "units"
    shown = p.effect * 100 if unit == "points" else p.effect
    lines.append(f"tasks needed: {p.tasks} x {p.trials} trial{'s' if p.trials != 1 else ''} per task and arm "
                 f"to detect {p.metric} +{shown:.3g} {unit} (as written: {p.effect_as_written}) "
                 f"with {p.power:.0%} decision power")
    lines.append(f"  decision: primary under {p.correction} over {p.n_variants} variant"
                 f"{'s' if p.n_variants != 1 else ''} (alpha {p.alpha:g} / {p.n_variants} per variant), "
                 f"power {p.primary_power:.3f}"
                 + (f"; jointly with {len(p.guardrails)} guardrail(s): power {p.joint_power:.3f}"
                    if p.guardrails else ""))
    for g in p.guardrails:
        lines.append(f"  guardrail {g['metric']}: margin {g['margin']:.4g}, sd of a task's difference "
                     f"{g['sd']:.4g}, non-inferiority power {g['power']:.3f}")
    if p.estimates:
        e = p.estimates
        def f(v):
            return "-" if v is None else f"{v:.4g}"
        lines.append(f"  estimated from {p.source} ({' vs '.join(e['compared'])}, {e['n_tasks']} tasks x "
                     f"{e['trials_per_task']:g} trials): baseline mean {f(e['baseline_mean'])}, sd of a task's "
                     f"difference {f(e['sd_diff'])}, discordance {f(e['discordance'])}, within-task "
                     f"correlation {f(e['within_task_corr'])}, between-arm correlation "
                     f"{f(e['between_arm_correlation'])}, variance between tasks {f(e['omega2'])}, "
                     f"within (baseline, variant) {f(e['within_base'])}, {f(e['within_var'])}")
    if p.cheapest is not None:
        c = p.cheapest
        lines.append(f"  cheapest design for the wanted standard error: {c.tasks} tasks x {c.trials} "
                     f"trial{'s' if c.trials != 1 else ''} ({c.total_trials} trials per arm)")
        lines.append("  options: " + ", ".join(f"{r.trials}x->{r.tasks} tasks" for r in p.designs[:6]))
    return "\n".join(lines)


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

"""`report RUN` (the paired comparison report) and `plan` (tasks needed / detectable effect)."""

from __future__ import annotations

import argparse

METRIC_NAMES = ("pass_rate", "score", "latency_s", "ttft_s", "cost_usd", "prompt_tokens",
                "completion_tokens", "context_utilization")  # config.models.METRICS, kept import-free


def _guardrail(text: str) -> dict:
    """METRIC:MARGIN, e.g. pass_rate:0.02 or cost_usd:5% (relative to the baseline)."""
    metric, sep, margin = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected METRIC:MARGIN, got {text!r}")
    if metric not in METRIC_NAMES:
        raise argparse.ArgumentTypeError(f"unknown metric {metric!r}; expected one of {', '.join(METRIC_NAMES)}")
    relative = margin.strip().endswith("%")
    try:
        value = float(margin.strip()[:-1] if relative else margin)
    except ValueError:
        raise argparse.ArgumentTypeError(f"margin must be a number or a percentage, got {margin!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"margin must be >= 0, got {margin!r}")
    return {"metric": metric, "margin": margin.strip() if relative else value}


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="paired comparison report of a run, with a decision")
    report.add_argument("run", metavar="RUN", help="run id (see `tamma-bench runs`)")
    report.add_argument("--format", choices=["table", "md", "json"], default="table")
    report.add_argument("--alpha", type=float, help="significance level (default: the run's plan, else 0.05)")
    report.add_argument("--correction", choices=["holm", "bh", "dunnett"],
                        help="correction of the confirmatory family (default: the run's plan, else holm)")
    report.add_argument("--midp", action="store_true", default=None,
                        help="mid-p McNemar for pass rate at one trial per task")
    report.add_argument("--utility", metavar="EXPR",
                        help="chooses among indistinct candidates, e.g. 'pass_rate - 50 * cost_usd'")
    report.add_argument("--primary", choices=METRIC_NAMES, metavar="METRIC",
                        help="primary metric for the decision (default: the run's plan, else pass_rate)")
    report.add_argument("--guardrail", type=_guardrail, action="append", metavar="METRIC:MARGIN",
                        help="non-inferiority guardrail, repeatable (replaces the plan's guardrails)")
    report.add_argument("--context", metavar="C", help="report on one context only")
    report.add_argument("--no-robustness", action="store_true",
                        help="skip the Wilcoxon and bootstrap robustness checks (faster)")
    report.add_argument("--robustness", action="store_true",
                        help="compute the bootstrap extras even above 100k trials")
    report.set_defaults(func=_report)

    plan = sub.add_parser("plan", help="tasks needed for an effect, or the effect a task count can detect")
    plan.add_argument("--metric", choices=METRIC_NAMES, default="pass_rate")
    plan.add_argument("--baseline-rate", type=float, default=0.6, help="expected baseline pass rate")
    plan.add_argument("--mde", help="change to detect: 0.1 (10 points of pass rate, or metric units) "
                                    "or relative to the baseline, e.g. 5%%")
    plan.add_argument("--effect-size", type=float, metavar="D",
                      help="standardised effect d_z to detect (metrics other than pass_rate)")
    plan.add_argument("--trials", type=int, default=1, help="trials per task and arm")
    plan.add_argument("--alpha", type=float, default=0.05)
    plan.add_argument("--power", type=float, default=0.8)
    plan.add_argument("--tasks", type=int, metavar="N", help="print the minimum detectable effect for N tasks")
    plan.add_argument("--from-run", metavar="RUN",
                      help="estimate discordance, correlations and variance components from a stored run")
    plan.add_argument("--variants", type=int, help="variants in the confirmatory family (default 1, or the run's)")
    plan.add_argument("--correction", choices=["holm", "bh", "dunnett"], default=None)
    plan.add_argument("--guardrail", type=_guardrail, action="append", metavar="METRIC:MARGIN",
                      help="size jointly with this non-inferiority guardrail (repeatable)")
    plan.add_argument("--discordance", type=float, help="share of tasks where the arms disagree (one trial)")
    plan.add_argument("--within-task-corr", type=float, help="correlation of two trials of a task (ICC)")
    plan.add_argument("--between-arm-corr", type=float, help="correlation of the arms' per-task rates")
    plan.add_argument("--sd", type=float, help="sd of one task's difference (metrics other than pass rate)")
    plan.add_argument("--max-tasks", type=int, help="tasks available (for the cheapest design)")
    plan.add_argument("--task-cost", type=float, default=0.0,
                      help="cost of one more task in trials (for the cheapest design)")
    plan.set_defaults(func=_plan)


def _report(args: argparse.Namespace) -> int:
    from tamma_tui.config.errors import BadInput
    from tamma_tui.services.reports import render_report, report_for_run
    from tamma_tui.store.db import open_database

    if args.alpha is not None and not 0 < args.alpha < 1:
        raise BadInput(f"must be between 0 and 1 (exclusive), got {args.alpha:g}", field="--alpha")
    report = report_for_run(
        open_database(args.db), args.run, alpha=args.alpha, correction=args.correction,
        primary_metric=args.primary, guardrails=args.guardrail, context=args.context,
        robustness=False if args.no_robustness else (True if args.robustness else None),
        midp=args.midp, utility=args.utility,
    )
    output = render_report(report, args.format)
    if isinstance(output, str):
        print(output)
    else:
        from rich.console import Console

        Console().print(output)
    return 0


def _plan(args: argparse.Namespace) -> int:
    from tamma_tui.services import planning

    decision_flags = (args.from_run, args.variants, args.guardrail, args.discordance, args.within_task_corr,
                      args.between_arm_corr, args.sd, args.correction)
    relative = isinstance(args.mde, str) and args.mde.strip().endswith("%")
    if args.tasks is None and (relative or any(v is not None for v in decision_flags)):
        common = dict(mde=args.mde if args.mde is not None else args.effect_size, alpha=args.alpha,
                      power=args.power, discordance=args.discordance, within_task_corr=args.within_task_corr,
                      between_arm_corr=args.between_arm_corr, sd=args.sd, max_tasks=args.max_tasks,
                      task_cost=args.task_cost)
        if args.correction:
            common["correction"] = args.correction
        if args.from_run:
            from tamma_tui.store.db import open_database

            if args.trials != 1:
                common["trials"] = args.trials
            result = planning.plan_from_run(open_database(args.db), args.from_run,
                                            metric=args.metric if args.metric != "pass_rate" else None,
                                            guardrails=args.guardrail, n_variants=args.variants, **common)
        else:
            result = planning.plan_decision(metric=args.metric, trials=args.trials, n_variants=args.variants or 1,
                                            guardrails=args.guardrail, baseline_rate=args.baseline_rate, **common)
        print(planning.format_decision_plan(result))
        return 0
    mde = None
    if args.mde is not None:
        from tamma_tui.config.errors import BadInput

        try:
            mde = float(args.mde)
        except ValueError:
            raise BadInput(f"must be a number or a percentage, got {args.mde!r}", field="--mde") from None
    result = planning.plan_experiment(metric=args.metric, baseline_rate=args.baseline_rate, mde=mde,
                                      trials=args.trials, alpha=args.alpha, power=args.power, tasks=args.tasks,
                                      effect_size=args.effect_size)
    print(planning.format_plan(result))
    return 0

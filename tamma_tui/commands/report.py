"""`report RUN` (the paired comparison report) and `plan` (tasks needed / detectable effect)."""

from __future__ import annotations

import argparse

METRIC_NAMES = ("pass_rate", "score", "latency_s", "ttft_s", "cost_usd", "prompt_tokens",
                "completion_tokens", "context_utilization")  # config.models.METRICS, kept import-free


def _guardrail(text: str) -> dict:
    """METRIC:MARGIN, e.g. pass_rate:0.02."""
    metric, sep, margin = text.partition(":")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected METRIC:MARGIN, got {text!r}")
    if metric not in METRIC_NAMES:
        raise argparse.ArgumentTypeError(f"unknown metric {metric!r}; expected one of {', '.join(METRIC_NAMES)}")
    try:
        value = float(margin)
    except ValueError:
        raise argparse.ArgumentTypeError(f"margin must be a number, got {margin!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"margin must be >= 0, got {margin!r}")
    return {"metric": metric, "margin": value}


def register(sub: argparse._SubParsersAction) -> None:
    report = sub.add_parser("report", help="paired comparison report of a run, with a decision")
    report.add_argument("run", metavar="RUN", help="run id (see `tamma-bench runs`)")
    report.add_argument("--format", choices=["table", "md", "json"], default="table")
    report.add_argument("--alpha", type=float, help="significance level (default: the run's plan, else 0.05)")
    report.add_argument("--correction", choices=["holm", "bh"], help="multiple-comparison correction")
    report.add_argument("--primary", choices=METRIC_NAMES, metavar="METRIC",
                        help="primary metric for the decision (default: the run's plan, else pass_rate)")
    report.add_argument("--guardrail", type=_guardrail, action="append", metavar="METRIC:MARGIN",
                        help="non-inferiority guardrail, repeatable (replaces the plan's guardrails)")
    report.add_argument("--context", metavar="C", help="report on one context only")
    report.add_argument("--no-robustness", action="store_true",
                        help="skip the Wilcoxon and bootstrap robustness checks (faster)")
    report.set_defaults(func=_report)

    plan = sub.add_parser("plan", help="tasks needed for an effect, or the effect a task count can detect")
    plan.add_argument("--metric", choices=METRIC_NAMES, default="pass_rate")
    plan.add_argument("--baseline-rate", type=float, default=0.6, help="expected baseline pass rate")
    plan.add_argument("--mde", type=float, help="pass-rate change to detect, e.g. 0.1 for 10 points")
    plan.add_argument("--effect-size", type=float, metavar="D",
                      help="standardised effect d_z to detect (metrics other than pass_rate)")
    plan.add_argument("--trials", type=int, default=1, help="trials per task and arm")
    plan.add_argument("--alpha", type=float, default=0.05)
    plan.add_argument("--power", type=float, default=0.8)
    plan.add_argument("--tasks", type=int, metavar="N", help="print the minimum detectable effect for N tasks")
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
        robustness=False if args.no_robustness else None,
    )
    output = render_report(report, args.format)
    if isinstance(output, str):
        print(output)
    else:
        from rich.console import Console

        Console().print(output)
    return 0


def _plan(args: argparse.Namespace) -> int:
    from tamma_tui.services.planning import format_plan, plan_experiment

    result = plan_experiment(metric=args.metric, baseline_rate=args.baseline_rate, mde=args.mde,
                             trials=args.trials, alpha=args.alpha, power=args.power, tasks=args.tasks,
                             effect_size=args.effect_size)
    print(format_plan(result))
    return 0

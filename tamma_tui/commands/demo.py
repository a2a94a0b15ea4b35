"""`demo`: the shipped sample experiment on the simulated agent, then its results."""

from __future__ import annotations

import argparse
from pathlib import Path

QUICK_TASKS = 4  # per context


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser(
        "demo",
        help="benchmark a baseline against two variants on the simulated agent and show the result",
    )
    demo.add_argument("--quick", action="store_true", help=f"only {QUICK_TASKS} tasks per context")
    demo.add_argument("--json", action="store_true", help="JSON lines of events instead of a bar")
    demo.set_defaults(func=_demo)


def demo_experiment_path() -> Path:
    """The sample experiment, from the source tree or the installed wheel."""
    from tamma_tui.config.errors import BadInput
    from tamma_tui.resources import sample_configs_dir

    try:
        path = sample_configs_dir() / "experiments" / "demo.yaml"
    except FileNotFoundError:
        path = None
    if path is None or not path.is_file():
        raise BadInput("the sample experiment is missing from this installation",
                       file="sample_configs/experiments/demo.yaml")
    return path


def _demo(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tamma_tui.commands.run import exit_code_for_run, run_with_progress
    from tamma_tui.services.reports import render_report, report_for_run
    from tamma_tui.services.results import render_run, show_run
    from tamma_tui.store.db import open_database

    outcome = run_with_progress(args, str(demo_experiment_path()),
                                max_tasks=QUICK_TASKS if args.quick else None)
    if outcome.status == "cancelled" or args.json:
        return exit_code_for_run(outcome)
    console = Console()
    engine = open_database(args.db)
    view = show_run(engine, outcome.run_id, by_context=True)
    console.print(render_run(view))
    console.print(render_run(view, by_context=True, metrics=("pass_rate", "mean_score")))
    console.print(render_report(report_for_run(engine, outcome.run_id), "table", brief=True))
    console.print(
        f"\nrun id {outcome.run_id}: `tamma-bench show {outcome.run_id}`, "
        f"`tamma-bench report {outcome.run_id}`, or open the app with `tamma-bench`"
    )
    return exit_code_for_run(outcome)

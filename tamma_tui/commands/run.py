"""`run`: run or resume an experiment headless, with a progress bar or JSON lines."""

from __future__ import annotations

import argparse
import sys

from tamma_tui.vocabulary import ExitCode, RunStatus


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def register(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser(
        "run",
        help="run an experiment (baseline vs variants) and store every trial",
        description="Run an experiment. Exit status: 0 ok, 1 finished with errors above the "
        "run's max_error_rate, 2 bad input, 130 interrupted (resume with --resume RUN_ID).",
    )
    run.add_argument("experiment", metavar="EXP.yaml", help="the experiment file (see sample_configs/experiments)")
    run.add_argument("--resume", metavar="RUN_ID", help="run only the trials run RUN_ID is missing")
    run.add_argument("--json", action="store_true", help="JSON lines of events, then a summary object")
    run.add_argument("--sequential", action="store_true",
                     help="monitor in blocks of tasks and stop early when the answer is clear")
    run.add_argument("--aa", action="store_true", help="A/A run: the baseline against a copy of itself")
    run.add_argument("--concurrency", type=positive_int, metavar="N", help="override the experiment's concurrency")
    run.add_argument("--max-tasks", type=positive_int, metavar="N", help="use at most N tasks per context")
    run.add_argument("--executor", choices=["local", "ray"],
                     help="where trials run (default: the experiment's executor.kind, else local)")
    run.add_argument("--ray-address", metavar="ADDRESS",
                     help="Ray cluster: auto, HOST:PORT or ray://HOST:PORT (default: executor.address)")
    run.set_defaults(func=_run)


def exit_code_for_run(outcome) -> int:
    """The CLI's reading of a run's outcome (the service only reports what happened)."""
    if outcome.status == RunStatus.INCOMPLETE:
        return ExitCode.FAILED        # finished trials missing from the database
    if outcome.status == RunStatus.CANCELLED:
        return ExitCode.INTERRUPTED
    if outcome.over_error_threshold:
        return ExitCode.FAILED
    return ExitCode.OK


def run_with_progress(args: argparse.Namespace, experiment: str, **options) -> "object":
    """Run with the headless progress display and Ctrl-C handling; return the outcome."""
    import threading

    from tamma_tui.services.experiments import resume_command, run_experiment
    from tamma_tui.services.progress import ProgressDisplay, interrupt_to_cancel

    from tamma_tui.engine import events as engine_events
    from tamma_tui.services.live import _Lease

    display = ProgressDisplay(json_mode=getattr(args, "json", False))
    cancel = threading.Event()
    # Record this process like an app-launched run, so a killed run reads as interrupted.
    lease = _Lease(args.db)

    def on_event(event) -> None:
        if isinstance(event, engine_events.RunStarted) and lease.run_id is None:
            lease.started(event.run_id)
        display(event)

    try:
        with interrupt_to_cancel(cancel):
            outcome = run_experiment(experiment, db=args.db, on_event=on_event, cancel=cancel, **options)
        lease.release()
    except KeyboardInterrupt:
        lease.release()
        # A second Ctrl-C: the engine still wrote what had finished; say how to go on.
        if display.started is not None:
            hint = resume_command(experiment, display.started.run_id, options.get("max_tasks"))
            sys.stderr.write(f"resume with: {hint}\n")
        raise
    display.summary(outcome, exit_code_for_run(outcome))
    if outcome.status == "cancelled":
        sys.stderr.write(f"resume with: {resume_command(experiment, outcome.run_id, options.get('max_tasks'))}\n")
    return outcome


def _run(args: argparse.Namespace) -> int:
    outcome = run_with_progress(
        args,
        args.experiment,
        resume=args.resume,
        sequential=args.sequential,
        aa=args.aa,
        concurrency=args.concurrency,
        max_tasks=args.max_tasks,
        executor=args.executor,
        ray_address=args.ray_address,
    )
    return exit_code_for_run(outcome)

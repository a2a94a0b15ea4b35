"""`tamma-bench suites list|show|validate`: the task suites and their self-check."""

from __future__ import annotations

import argparse
import os

CONTEXT_CHOICES = ("development", "code_review", "testing")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("suites", help="list, inspect and self-check task suites")
    cmds = parser.add_subparsers(dest="suites_command", metavar="ACTION", required=True)

    lst = cmds.add_parser("list", help="built-in suites with their task counts")
    lst.set_defaults(func=_list)

    show = cmds.add_parser("show", help="the tasks of a suite, or one task's prompt and grader")
    show.add_argument("suite", metavar="SUITE", help="built-in id, folder of tasks or .jsonl file")
    show.add_argument("--task", metavar="TASK_ID", help="print this task's rendered prompt and grader spec")
    show.add_argument("--context", choices=CONTEXT_CHOICES, help="only tasks of this context")
    show.add_argument("--max-files", type=int, default=8, metavar="N",
                      help="context files shown in the rendered prompt (default 8)")
    show.set_defaults(func=_show)

    validate = cmds.add_parser(
        "validate", help="check that every reference answer passes and every wrong answer fails")
    validate.add_argument("suite", metavar="PATH_OR_ID")
    validate.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 1), metavar="N",
                          help="answers graded in parallel (default: CPU count, at most 8)")
    validate.add_argument("--context", choices=CONTEXT_CHOICES, action="append",
                          help="only tasks of this context (repeatable)")
    validate.add_argument("--json", action="store_true",
                          help="print one JSON object (counts and failures) instead of tables")
    validate.set_defaults(func=_validate)


def _context_counts(suite) -> dict[str, int]:
    return {c: len(suite.by_context(c)) for c in CONTEXT_CHOICES}


def _list(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from tamma_tui.suites import registry

    table = Table(title="Built-in suites")
    table.add_column("id", style="bold")
    for c in CONTEXT_CHOICES:
        table.add_column(c, justify="right")
    table.add_column("total", justify="right")
    table.add_column("description")
    for suite in registry.builtin_suites():
        counts = _context_counts(suite)
        table.add_row(suite.id, *(str(counts[c]) for c in CONTEXT_CHOICES), str(len(suite.tasks)),
                      suite.description)
    Console().print(table)
    return 0


def _grader_yaml(grader) -> str:
    """The grader spec as YAML, multi-line sources as literal blocks."""
    from tamma_tui.config.loader import literal_yaml

    return literal_yaml(dict(grader), sort_keys=False)


def _show(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from tamma_tui.config.errors import BadInput
    from tamma_tui.suites import registry
    from tamma_tui.suites.prompts import render_user_prompt

    suite = registry.load_suite(args.suite, base_dir=None)
    if args.task:
        try:
            task = suite.task(args.task)
        except KeyError:
            raise BadInput(f"no task {args.task!r} in suite {suite.id}", field="--task") from None
        labels = ", ".join(f"{a.label}{' (correct)' if a.correct else ''}" for a in task.answers)
        print(f"# {task.id} [{task.context}, {task.difficulty}] {task.title}")
        print(f"# answers: {labels or 'none'}\n")
        print("## Prompt\n")
        print(render_user_prompt(task, args.max_files))
        print("## Grader\n")
        print(_grader_yaml(task.grader), end="")
        return 0
    tasks = suite.by_context(args.context) if args.context else list(suite.tasks)
    table = Table(title=f"{suite.id}: {len(tasks)} tasks", caption=suite.description or None)
    for name in ("id", "context", "difficulty", "title", "grader"):
        table.add_column(name, style="bold" if name == "id" else None)
    table.add_column("answers", justify="right")
    for t in tasks:
        table.add_row(t.id, t.context, t.difficulty, t.title, t.grader_kind, str(len(t.answers)))
    Console().print(table)
    return 0


def _validate(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console
    from rich.table import Table

    from tamma_tui.config.errors import BadInput
    from tamma_tui.suites import registry
    from tamma_tui.suites.selfcheck import validate_suite

    if args.jobs < 1:
        raise BadInput(f"must be at least 1, got {args.jobs}", field="--jobs")
    suite = registry.load_suite(args.suite)
    console = Console()
    if any(t.grader_kind != "match" for t in suite.tasks):
        from tamma_tui.suites.sandbox import isolation_note

        if note := isolation_note():
            Console(stderr=True).print(f"[yellow]{note}[/yellow]")
    started = time.perf_counter()
    report = validate_suite(suite, jobs=args.jobs, contexts=args.context)
    elapsed = time.perf_counter() - started
    failures = report.failures
    if args.json:
        import json

        print(json.dumps({
            "suite": suite.id, "tasks": report.tasks, "answers": len(report.checks),
            "elapsed_s": round(elapsed, 3),
            "failures": [{"task_id": f.task_id, "context": f.context, "answer": f.label,
                          "expected": "pass" if f.should_pass else "fail",
                          "got": "pass" if f.passed else "fail", "score": f.score,
                          "problem": f.problem} for f in failures],
        }))
        return 1 if failures else 0
    if failures:
        table = Table(title=f"{suite.id}: {len(failures)} failing answer(s)")
        for name in ("task", "context", "answer", "expected", "got", "score", "problem"):
            table.add_column(name)
        for f in failures:
            table.add_row(f.task_id, f.context, f.label, "pass" if f.should_pass else "fail",
                          "pass" if f.passed else "fail", f"{f.score:.2f}", f.problem)
        console.print(table)
    verdict = "[red]FAILED[/red]" if failures else "[green]ok[/green]"
    console.print(f"{suite.id}: {report.tasks} tasks, {len(report.checks)} answers checked, "
                  f"{len(failures)} failure(s) in {elapsed:.1f}s: {verdict}")
    return 1 if failures else 0

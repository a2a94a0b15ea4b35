"""Graders: turn an agent's reply to a task into a Grade.

`grade(task, output)` is the one entry point. It is synchronous and thread-safe, and it
never raises for bad agent output: a broken answer is a failed grade whose details say why.
Agent code is hostile, so executing graders run it only inside the sandbox, never here.
"""

from __future__ import annotations

import traceback
from typing import Any, Callable, Mapping

from tamma_tui.suites.model import Grade, Task

from .match import grade_match

GraderFn = Callable[[Mapping[str, Any], str], Grade]


def _load_kind(kind: str) -> GraderFn | None:
    # Imported lazily so a match-only run never pays for the executing graders.
    if kind == "match":
        return grade_match
    if kind == "development":
        from .development import grade_development

        return grade_development
    if kind == "code_review":
        from .code_review import grade_code_review

        return grade_code_review
    if kind == "testing":
        from .testing import grade_testing

        return grade_testing
    return None


def grade(task: Task, output: str) -> Grade:
    """Grade `output` (the agent's reply) against `task.grader`."""
    kind = task.grader_kind
    try:
        fn = _load_kind(kind)
    except ImportError as exc:  # a grader not built yet must not crash a run
        return Grade(False, 0.0, {"kind": kind, "error": f"grader unavailable: {exc}"})
    if fn is None:
        return Grade(False, 0.0, {"kind": kind, "error": f"unknown grader kind {kind!r}"})
    try:
        result = fn(task.grader, output if isinstance(output, str) else str(output or ""))
    except Exception as exc:  # grader bug: report it as a failed grade, keep the run going
        tail = traceback.format_exc(limit=3).strip().splitlines()[-1]
        return Grade(False, 0.0, {"kind": kind, "error": f"grader error: {exc!r}", "where": tail})
    details = dict(result.details)
    details.setdefault("kind", kind)
    return Grade(result.passed, float(result.score), details, integrity=result.integrity)


__all__ = ["grade", "grade_match"]

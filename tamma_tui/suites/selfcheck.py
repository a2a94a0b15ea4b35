"""Suite self-check: every reference answer must pass its own grader and every wrong
answer must fail it. Used by `tamma-bench suites validate` and by the tests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .graders import grade
from .model import Answer, Suite, Task


@dataclass(frozen=True)
class AnswerCheck:
    task_id: str
    context: str
    label: str
    should_pass: bool
    passed: bool
    score: float
    details: Mapping[str, Any] = field(default_factory=dict)
    problem: str = ""  # empty when the answer behaved as its label says

    @property
    def ok(self) -> bool:
        return not self.problem


@dataclass
class SelfCheckReport:
    suite_id: str
    checks: list[AnswerCheck]
    tasks: int

    @property
    def failures(self) -> list[AnswerCheck]:
        return [c for c in self.checks if not c.ok]


def _details_summary(details: Mapping[str, Any]) -> str:
    """A short reason from a grade's details (keys differ by grader)."""
    if details.get("error"):
        return str(details["error"])
    parts = []
    for key in ("tests_passed", "tests_total",                                   # development
                "reference_passed", "mutants_killed", "mutants_total", "kill_ratio",  # testing
                "matched", "missed", "false_positives", "precision", "recall",      # code_review
                "expected", "got"):                                                 # match
        if key in details:
            value = details[key]
            if isinstance(value, (list, tuple)):
                value = len(value)
            elif isinstance(value, float):
                value = f"{value:.2f}"
            parts.append(f"{key}={value}")
    return ", ".join(parts)[:160]


def check_answer(task: Task, answer: Answer) -> AnswerCheck:
    result = grade(task, answer.text)
    problem = ""
    if answer.correct and not result.passed:
        problem = "reference answer fails its grader"
    elif not answer.correct and result.passed:
        problem = "wrong answer passes its grader"
    if problem and (reason := _details_summary(result.details)):
        problem = f"{problem} ({reason})"
    return AnswerCheck(task.id, task.context, answer.label, answer.correct, result.passed,
                       float(result.score), dict(result.details), problem)


def _missing_reference(task: Task) -> AnswerCheck:
    return AnswerCheck(task.id, task.context, "reference", True, False, 0.0, {},
                       "no reference answer (answers/reference.md)")


def validate_suite(suite: Suite, *, jobs: int = 1,
                   contexts: Iterable[str] | None = None) -> SelfCheckReport:
    """Grade every answer of every task (in a thread pool of ``jobs`` workers; grading
    runs in sandboxed subprocesses, so threads give real parallelism)."""
    wanted = set(contexts) if contexts else None
    tasks = [t for t in suite.tasks if wanted is None or t.context in wanted]
    checks: list[AnswerCheck] = [_missing_reference(t) for t in tasks if t.reference is None]
    pairs = [(t, a) for t in tasks for a in t.answers]
    if jobs <= 1:
        checks.extend(check_answer(t, a) for t, a in pairs)
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            checks.extend(pool.map(lambda pair: check_answer(*pair), pairs))
    return SelfCheckReport(suite_id=suite.id, checks=checks, tasks=len(tasks))

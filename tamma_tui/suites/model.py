"""Tasks, answer banks and grades: the vocabulary shared by loaders, graders and providers."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from tamma_tui.vocabulary import CONTEXTS  # noqa: F401 - re-exported for the loaders
DIFFICULTIES = ("easy", "medium", "hard")
MATCH_MODES = ("exact", "contains", "regex")
REVIEW_CATEGORIES = ("bug", "security", "error_handling", "performance", "style")
SEVERITIES = ("low", "medium", "high")
# A grade's integrity: "ok" (nothing of the agent's could interfere, or the canaries were
# reported rightly), "void" (a canary was misreported: the agent's code tampered with the
# grading; scored as a failure and counted apart), "unverified" (the run ended before the
# canaries ran; the grade is already a failure).
GRADE_INTEGRITY = ("ok", "void", "unverified")


@dataclass(frozen=True)
class Answer:
    """One entry of a task's answer bank: the reference or a realistic wrong answer.

    The simulated agent answers from the bank, so grading of its output is real.
    ``label`` names the flaw (``reference``, ``off_by_one``, ``missed_edge_case``, ...).
    """

    label: str
    text: str
    correct: bool


@dataclass(frozen=True)
class Task:
    """A unit of benchmark work.

    ``grader`` is the grader spec with every referenced file already read into memory:
      - ``{"kind": "match", "expected": str, "mode": "exact"|"contains"|"regex"}``
      - ``{"kind": "development", "module": "solution.py", "tests": "<hidden test source>"}``
      - ``{"kind": "code_review", "defects": [{"lines": [a, b], "category": str,
           "severity": "low"|"medium"|"high", "description": str}], "precision_threshold": float}``
      - ``{"kind": "testing", "module": "module.py", "reference": "<source>",
           "mutants": {"name": "<source>", ...}, "kill_threshold": float}``
    ``files`` are repository context files shown to the agent (name -> content).
    """

    id: str
    context: str
    prompt: str
    grader: Mapping[str, Any]
    suite: str = ""
    title: str = ""
    difficulty: str = "medium"
    files: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    answers: tuple[Answer, ...] = ()

    @property
    def grader_kind(self) -> str:
        return str(self.grader.get("kind", "match"))

    @property
    def reference(self) -> Answer | None:
        return next((a for a in self.answers if a.correct), None)


@dataclass(frozen=True)
class Grade:
    """The verdict on one answer. ``details`` says why (tests passed, defects found and
    missed, mutants killed, ...) and is stored with the trial as JSON."""

    passed: bool
    score: float
    details: Mapping[str, Any] = field(default_factory=dict)
    integrity: str = "ok"  # one of GRADE_INTEGRITY


@dataclass(frozen=True)
class Suite:
    id: str
    tasks: tuple[Task, ...]
    description: str = ""
    source: str = ""

    def by_context(self, context: str) -> list[Task]:
        return [t for t in self.tasks if t.context == context]

    def task(self, task_id: str) -> Task:
        for t in self.tasks:
            if t.id == task_id:
                return t
        raise KeyError(task_id)

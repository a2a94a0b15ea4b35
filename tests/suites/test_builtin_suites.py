"""The built-in suites load with the promised shape, and they validate: every reference
answer passes its own grader and every wrong answer fails it (real grading, sandboxed)."""

from __future__ import annotations

import ast
import os
import re
from collections import Counter

from tamma_tui.suites import registry
from tamma_tui.suites.model import CONTEXTS
from tamma_tui.suites.selfcheck import validate_suite

JOBS = max(2, min(4, os.cpu_count() or 1))


def test_builtin_ids():
    assert {"tamma-core", "tamma-match"} <= set(registry.builtin_ids())
    assert {s.id for s in registry.builtin_suites()} >= {"tamma-core", "tamma-match"}


def test_match_suite_shape():
    suite = registry.load_suite("tamma-match")
    assert len(suite.tasks) >= 30
    per_context = Counter(t.context for t in suite.tasks)
    assert set(per_context) == set(CONTEXTS) and min(per_context.values()) >= 10
    modes = Counter(t.grader["mode"] for t in suite.tasks)
    assert set(modes) == {"exact", "contains", "regex"}
    for task in suite.tasks:
        assert task.grader_kind == "match"
        assert task.reference is not None, task.id
        assert sum(not a.correct for a in task.answers) >= 3, task.id


def test_core_development_shape():
    suite = registry.load_suite("tamma-core")
    dev = suite.by_context("development")
    assert len(dev) >= 24
    assert Counter(t.difficulty for t in dev) == {"easy": 8, "medium": 8, "hard": 8}
    for task in dev:
        assert task.grader == {"kind": "development", "module": "solution.py", "tests": task.grader["tests"]}
        ast.parse(task.grader["tests"])  # hidden tests are valid Python
        assert "from solution import" in task.grader["tests"], task.id
        assert "solution.py" in task.prompt, task.id
        wrong = [a for a in task.answers if not a.correct]
        assert task.reference is not None and len(wrong) >= 3, task.id
        for answer in task.answers:
            assert re.search(r"```python\n.+?```", answer.text, re.S), (task.id, answer.label)


def test_task_ids_are_unique_across_builtin_suites():
    ids = [t.id for s in registry.builtin_suites() for t in s.tasks]
    assert [i for i, n in Counter(ids).items() if n > 1] == []


def test_match_suite_validates():
    report = validate_suite(registry.load_suite("tamma-match"))
    assert report.tasks >= 30 and len(report.checks) >= 120
    assert report.failures == []


def test_core_development_validates_with_fractional_wrong_scores():
    report = validate_suite(registry.load_suite("tamma-core"), jobs=JOBS, contexts=["development"])
    assert report.tasks >= 24
    assert [(f.task_id, f.label, f.problem) for f in report.failures] == []
    for ref in (c for c in report.checks if c.should_pass):
        # Focused hidden tests: 5 to 12 test functions, a few more cases when parametrised.
        assert 5 <= ref.details["tests_total"] <= 16, (ref.task_id, ref.details["tests_total"])
    wrong = [c for c in report.checks if not c.should_pass]
    # Each wrong answer passes some hidden tests but not all: scores are fractional.
    assert wrong and all(0.0 < c.score < 1.0 for c in wrong), [
        (c.task_id, c.label, c.score) for c in wrong if not 0.0 < c.score < 1.0]


def test_core_code_review_validates():
    report = validate_suite(registry.load_suite("tamma-core"), jobs=JOBS, contexts=["code_review"])
    assert [(f.task_id, f.label, f.problem) for f in report.failures] == []


def test_core_testing_validates(core_testing_report):
    assert [(f.task_id, f.label, f.problem) for f in core_testing_report.failures] == []

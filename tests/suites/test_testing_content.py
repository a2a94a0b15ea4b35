"""The built-in testing-context tasks: shape, and every answer grades as labelled."""

from __future__ import annotations

import ast
import difflib
import json

import pytest

from tamma_tui.suites.graders.extract import extract_python
from tamma_tui.suites.registry import load_suite

TASKS = load_suite("tamma-core").by_context("testing")
IDS = [t.id for t in TASKS]


@pytest.fixture(scope="module")
def grades(core_testing_report):
    """Every answer of every task graded once (shared with test_builtin_suites), in
    parallel like the engine does: (task id, label) -> passed, score, details."""
    return {(c.task_id, c.label): c for c in core_testing_report.checks}


def test_counts_and_difficulty_spread():
    assert len(TASKS) >= 24
    by_level = {lvl: sum(t.difficulty == lvl for t in TASKS) for lvl in ("easy", "medium", "hard")}
    assert all(n >= 8 for n in by_level.values()), by_level
    assert len(set(IDS)) == len(IDS)


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_task_shape(task):
    spec = task.grader
    assert task.context == "testing" and spec["kind"] == "testing"
    assert spec["kill_threshold"] == 0.75
    lines = spec["reference"].strip().splitlines()
    assert 20 <= len(lines) <= 80
    assert spec["module"] in task.files  # the agent sees the module it must test
    assert len(spec["mutants"]) >= 4
    ast.parse(spec["reference"])
    for name, source in spec["mutants"].items():
        ast.parse(source)
        changed = [line for line in difflib.ndiff(spec["reference"].splitlines(),
                                                   source.splitlines())
                   if line.startswith(("+ ", "- "))]
        assert 1 <= len(changed) <= 8, f"{name}: a mutant is one small change"
    labels = [a.label for a in task.answers]
    assert labels[0] == "reference" and task.answers[0].correct
    assert len(labels) >= 4 and not any(a.correct for a in task.answers[1:])
    for answer in task.answers:
        code, origin = extract_python(answer.text)
        assert origin == "python block" and f"from {spec['module'][:-3]} import" in code


@pytest.mark.parametrize("task", TASKS, ids=IDS)
def test_answers_grade_as_labelled(task, grades):
    for (task_id, _), g in grades.items():
        if task_id == task.id:
            json.dumps(dict(g.details))  # details are stored with the trial as JSON
    ref = grades[(task.id, "reference")]
    assert ref.passed and ref.score == 1.0, ref.details
    assert ref.details["mutants_survived"] == []  # the reference kills every mutant
    for answer in task.answers[1:]:
        g = grades[(task.id, answer.label)]
        assert not g.passed, (answer.label, g.details)
        if answer.label == "fails_on_reference":
            assert g.score == 0.0 and not g.details["reference_passed"]
        else:
            assert g.details["reference_passed"] and g.score < 0.75


def test_reference_answers_pass_under_real_pytest(tmp_path):
    """The stand-in is not the judge of last resort: real pytest agrees on every reference."""
    import subprocess
    import sys

    for task in TASKS:
        folder = tmp_path / task.id
        folder.mkdir()
        (folder / task.grader["module"]).write_text(task.grader["reference"])
        code, _ = extract_python(task.answers[0].text)
        (folder / f"test_{task.id.replace('-', '_')}.py").write_text(code)
    out = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "-p", "no:randomly", str(tmp_path)],
                         capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stdout[-2000:]
    assert " passed" in out.stdout and "failed" not in out.stdout

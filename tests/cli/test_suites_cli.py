"""`tamma-bench suites list|show|validate` through the real CLI entry point."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tamma_tui.cli import main


@pytest.fixture(autouse=True)
def wide_console(monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")  # rich tables must not wrap the cells we check


def write_suite(root: Path, *, break_reference: bool = False) -> Path:
    """A user suite with one development task and one match JSONL file."""
    task = root / "dev" / "square"
    (task / "hidden").mkdir(parents=True)
    (task / "answers").mkdir()
    (task / "task.yaml").write_text(textwrap.dedent("""\
        id: square
        context: development
        title: Square a number
        difficulty: easy
        prompt: Write square(x).
        grader: {kind: development, module: solution.py, tests: hidden/test_hidden.py}
        """))
    (task / "hidden" / "test_hidden.py").write_text(
        "from solution import square\n\n\ndef test_two():\n    assert square(2) == 4\n\n\n"
        "def test_three():\n    assert square(3) == 9\n")
    body = "return x * 2" if break_reference else "return x * x"
    (task / "answers" / "reference.md").write_text(f"```python\ndef square(x):\n    {body}\n```\n")
    (task / "answers" / "doubles.md").write_text("```python\ndef square(x):\n    return x * 2\n```\n")
    (root / "quiz.jsonl").write_text(json.dumps({
        "id": "q1", "context": "testing", "prompt": "Fixture for temp dirs?", "expected": "tmp_path",
        "answers": [{"label": "reference", "text": "tmp_path"}, {"label": "legacy", "text": "tmpdir"},
                    {"label": "sneaky", "text": "tmp_path" if break_reference else "tempfile"}]}) + "\n")
    return root


def test_list_shows_builtin_suites_with_counts(capsys):
    assert main(["suites", "list"]) == 0
    out = capsys.readouterr().out
    match_row = next(line for line in out.splitlines() if "tamma-match" in line)
    assert [c for c in match_row.replace("│", " ").split() if c.isdigit()][:4] == ["12", "12", "12", "36"]
    core_row = next(line for line in out.splitlines() if "tamma-core" in line)
    assert [c for c in core_row.replace("│", " ").split() if c.isdigit()][0] == "24"


def test_show_lists_tasks_of_a_context(capsys):
    assert main(["suites", "show", "tamma-core", "--context", "development"]) == 0
    out = capsys.readouterr().out
    assert "tamma-core: 24 tasks" in out
    row = next(line for line in out.splitlines() if "dev-lru-cache" in line)
    cells = [c.strip() for c in row.split("│")][1:-1]
    assert cells == ["dev-lru-cache", "development", "medium", "Least-recently-used cache", "development", "4"]
    assert "code_review" not in out  # only the chosen context is listed


def test_show_task_prints_prompt_and_grader(capsys):
    assert main(["suites", "show", "tamma-core", "--task", "dev-fix-median"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# dev-fix-median [development, easy] Fix the median function\n")
    assert "File: stats.py\n```python\ndef median(values):" in out
    assert "## Grader\n\nkind: development\nmodule: solution.py\ntests: |\n  import pytest" in out


def test_show_unknown_task_is_bad_input(capsys):
    assert main(["suites", "show", "tamma-match", "--task", "nope"]) == 2
    assert capsys.readouterr().err.strip() == "tamma-bench: --task: no task 'nope' in suite tamma-match"


def test_validate_builtin_match_suite(capsys):
    assert main(["suites", "validate", "tamma-match"]) == 0
    out = capsys.readouterr().out
    assert "tamma-match: 36 tasks, 144 answers checked, 0 failure(s)" in out and "ok" in out


def test_validate_user_folder_passes(tmp_path, capsys):
    root = write_suite(tmp_path / "mine")
    assert main(["suites", "validate", str(root), "--jobs", "2"]) == 0
    assert "mine: 2 tasks, 5 answers checked, 0 failure(s)" in capsys.readouterr().out


def test_validate_reports_failures_and_exits_1(tmp_path, capsys):
    root = write_suite(tmp_path / "mine", break_reference=True)
    assert main(["suites", "validate", str(root), "--jobs", "2"]) == 1
    out = capsys.readouterr().out
    assert "2 failing answer(s)" in out
    square = next(line for line in out.splitlines() if "square" in line and "reference" in line)
    assert "reference answer fails its grader" in square and "tests_passed=1" in square
    sneaky = next(line for line in out.splitlines() if "sneaky" in line)
    assert "wrong answer passes its grader" in sneaky
    assert "FAILED" in out


def test_validate_json_output(tmp_path, capsys):
    root = write_suite(tmp_path / "mine", break_reference=True)
    assert main(["suites", "validate", str(root), "--json", "--context", "testing"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["suite"], report["tasks"], report["answers"]) == ("mine", 1, 3)
    assert [(f["task_id"], f["answer"], f["expected"], f["got"]) for f in report["failures"]] == [
        ("q1", "sneaky", "fail", "pass")]


def test_validate_bad_input_exits_2_in_a_subprocess(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "context": "testing", "prompt": "p", "expected": "x"}\n{oops\n')
    result = subprocess.run([sys.executable, "-m", "tamma_tui", "suites", "validate", str(bad)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"tamma-bench: {bad}: line 2: malformed JSON")
    assert result.stdout == ""


def test_validate_unknown_suite_and_bad_jobs(capsys):
    assert main(["suites", "validate", "no-such-suite"]) == 2
    assert "suite: unknown suite 'no-such-suite'" in capsys.readouterr().err
    assert main(["suites", "validate", "tamma-match", "--jobs", "0"]) == 2
    assert "--jobs: must be at least 1, got 0" in capsys.readouterr().err

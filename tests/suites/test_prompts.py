"""render_user_prompt: prompt, context files as fenced blocks, reply format per grader."""

from __future__ import annotations

from types import MappingProxyType

from tamma_tui.suites import registry
from tamma_tui.suites.model import Task
from tamma_tui.suites.prompts import render_user_prompt


def make(kind: str, files: dict[str, str] | None = None, **grader) -> Task:
    return Task(id="t-1", context="development" if kind in ("development", "match") else kind,
                prompt="Do the thing.", title="A title", grader={"kind": kind, **grader},
                files=MappingProxyType(files or {}))


def test_development_prompt_has_files_and_module_instructions():
    task = make("development", {"b.py": "x = 2\n", "a.py": "x = 1\n"}, module="solution.py", tests="")
    text = render_user_prompt(task, 8)
    assert text.startswith("Task t-1: A title\n\nDo the thing.\n\n")
    assert "File: a.py\n```python\nx = 1\n```" in text
    assert text.index("File: a.py") < text.index("File: b.py")  # stable order
    assert "complete module (solution.py) in one ```python fenced block" in text
    assert "from solution import" in text


def test_max_context_files_limits_and_names_the_rest():
    task = make("development", {f"m{i}.py": f"v = {i}\n" for i in range(4)}, module="solution.py")
    text = render_user_prompt(task, 2)
    assert "File: m0.py" in text and "File: m1.py" in text and "File: m2.py" not in text
    assert "(2 more file(s) not shown: m2.py, m3.py)" in text
    assert "File:" not in render_user_prompt(task, 0)


def test_code_review_numbers_lines_and_asks_for_json():
    task = make("code_review", {"app.py": "\n".join(f"line{i}" for i in range(1, 12)) + "\n"}, defects=[])
    text = render_user_prompt(task, 8)
    assert "File: app.py (line numbers added)" in text
    assert " 1 | line1\n" in text and "11 | line11\n" in text
    assert '{"findings": [{"file": "<file name>", "line_start": <int>, "line_end": <int>' in text


def test_testing_prompt_names_the_module_to_import():
    task = make("testing", {"intervals.py": "def f():\n    pass\n"}, module="intervals.py")
    text = render_user_prompt(task, 8)
    assert "from intervals import ..." in text and "pytest test file" in text
    assert "1 | def f()" not in text  # only review listings are numbered


def test_match_prompt_asks_for_the_answer_only():
    text = render_user_prompt(registry.find_task("match-dev-06"), 8)
    assert "`round(2.5)`" in text
    assert text.rstrip().endswith("Reply with the answer only: no explanation, no quotes unless the answer has them.")


def test_fence_grows_when_a_file_contains_backticks():
    task = make("development", {"README.md": "Use:\n```python\nx()\n```\n"}, module="solution.py")
    text = render_user_prompt(task, 8)
    assert "File: README.md\n````markdown\nUse:\n```python\nx()\n```\n````" in text


def test_builtin_fix_task_shows_the_buggy_file():
    text = render_user_prompt(registry.find_task("dev-fix-median"), 8)
    assert "File: stats.py\n```python\ndef median(values):" in text

"""Suite loaders on real files written in tmp_path: valid input and every kind of
malformed input (the BadInput text must name the file, the field or line, the reason)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tamma_tui.config.errors import BadInput
from tamma_tui.suites import registry
from tamma_tui.suites.loaders import load_folder_suite, load_jsonl_suite, load_task_folder
from tamma_tui.suites.model import Answer

MODULE = "def add(a, b):\n    return a + b\n"
TESTS = "from solution import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def dev_task(folder: Path, task_id: str = "add", **overrides: str) -> Path:
    yaml_text = overrides.get("yaml") or f"""
        id: {task_id}
        context: development
        title: Add two numbers
        difficulty: easy
        prompt: Write add(a, b).
        grader: {{kind: development, module: solution.py, tests: hidden/test_hidden.py}}
        """
    write(folder / "task.yaml", yaml_text)
    write(folder / "hidden" / "test_hidden.py", TESTS)
    write(folder / "files" / "notes" / "README.md", "context file\n")
    write(folder / "answers" / "reference.md", f"```python\n{MODULE}```\n")
    write(folder / "answers" / "off_by_one.md", "```python\ndef add(a, b):\n    return a + b + 1\n```\n")
    write(folder / "answers" / "wrong_exception.md", "```python\ndef add(a, b):\n    raise TypeError\n```\n")
    return folder


def bad_input(fn, *args) -> str:
    with pytest.raises(BadInput) as info:
        fn(*args)
    return str(info.value)


# ---------------------------------------------------------------- task folders

def test_development_task_folder_reads_everything(tmp_path):
    task = load_task_folder(dev_task(tmp_path / "add"), "mine")
    assert (task.id, task.context, task.difficulty, task.suite) == ("add", "development", "easy", "mine")
    assert task.grader == {"kind": "development", "module": "solution.py", "tests": TESTS}
    assert dict(task.files) == {"notes/README.md": "context file\n"}
    assert [a.label for a in task.answers] == ["reference", "off_by_one", "wrong_exception"]
    assert [a.correct for a in task.answers] == [True, False, False]
    assert task.reference == Answer("reference", f"```python\n{MODULE}```\n", True)


def test_code_review_task_folder(tmp_path):
    folder = tmp_path / "rev"
    write(folder / "task.yaml", """
        id: rev-1
        context: code_review
        prompt: Review app.py.
        grader:
          kind: code_review
          defects:
            - {lines: [3, 4], category: security, severity: high, description: SQL built by hand}
            - {lines: [7], category: style, severity: low}
        """)
    write(folder / "files" / "app.py", "x = 1\n")
    task = load_task_folder(folder)
    assert task.grader["defects"][0] == {"lines": [3, 4], "category": "security", "severity": "high",
                                         "description": "SQL built by hand"}
    assert task.grader["defects"][1]["lines"] == [7, 7]
    assert task.grader["precision_threshold"] == 0.5
    assert task.difficulty == "medium" and task.title == "rev-1"
    assert task.answers == ()


def test_testing_task_folder_reads_reference_and_mutants(tmp_path):
    folder = tmp_path / "t"
    write(folder / "task.yaml", """
        id: t-1
        context: testing
        prompt: Test util.py.
        grader: {kind: testing, module: util.py, reference: files/util.py, mutants: mutants/, kill_threshold: 0.5}
        """)
    write(folder / "files" / "util.py", "def f():\n    return 1\n")
    write(folder / "mutants" / "returns_two.py", "def f():\n    return 2\n")
    write(folder / "mutants" / "returns_none.py", "def f():\n    return None\n")
    task = load_task_folder(folder)
    assert task.grader["reference"] == "def f():\n    return 1\n"
    assert sorted(task.grader["mutants"]) == ["returns_none", "returns_two"]
    assert task.grader["kill_threshold"] == 0.5


def test_folder_suite_nested_and_flat_with_suite_yaml(tmp_path):
    root = tmp_path / "suite"
    write(root / "suite.yaml", "id: my-suite\ndescription: Mine.\n")
    dev_task(root / "development" / "add", "add")           # nested <context>/<task>
    dev_task(root / "add-two", "add-two")                   # flat
    write(root / "quiz.jsonl", json.dumps({"id": "q1", "context": "testing", "prompt": "2+2?",
                                           "expected": "4", "match": "exact"}) + "\n")
    suite = load_folder_suite(root)
    assert suite.id == "my-suite" and suite.description == "Mine."
    assert sorted(t.id for t in suite.tasks) == ["add", "add-two", "q1"]
    assert {t.suite for t in suite.tasks} == {"my-suite"}


@pytest.mark.parametrize("yaml_text, expected", [
    ("id: x\ncontext: devel\nprompt: p\ngrader: {kind: match, expected: a}\n",
     "task.yaml: context: must be one of development, code_review, testing, got 'devel'"),
    ("id: x\ncontext: testing\ngrader: {kind: match, expected: a}\n",
     "task.yaml: prompt: required field is missing"),
    ("id: x\ncontext: testing\nprompt: p\n", "task.yaml: grader: required mapping is missing"),
    ("id: x\ncontext: testing\nprompt: p\ngrader: {kind: essay}\n",
     "task.yaml: grader: kind: must be one of development, code_review, testing, match, got 'essay'"),
    ("id: x\ncontext: testing\ndifficulty: brutal\nprompt: p\ngrader: {kind: match, expected: a}\n",
     "task.yaml: difficulty: must be one of easy, medium, hard, got 'brutal'"),
    ("id: x\ncontext: testing\nprompt: p\ngrader: {kind: match, expected: '(', mode: regex}\n",
     "task.yaml: grader: expected: invalid regular expression"),
    ("id: x\ncontext: code_review\nprompt: p\ngrader: {kind: code_review, defects: []}\n",
     "task.yaml: grader: defects: must be a non-empty list of planted defects"),
    ("id: x\ncontext: code_review\nprompt: p\ngrader: {kind: code_review, defects: [{lines: [5, 2], "
     "category: bug, severity: high}]}\n",
     "task.yaml: grader.defects[0]: lines: last line 2 comes before first line 5"),
    ("id: x\ncontext: code_review\nprompt: p\ngrader: {kind: code_review, defects: [{lines: [1], "
     "category: typo, severity: high}]}\n",
     "task.yaml: grader.defects[0]: category: must be one of bug, security, error_handling"),
    ("id: x\ncontext: code_review\nprompt: p\ngrader: {kind: code_review, precision_threshold: 2, "
     "defects: [{lines: [1], category: bug, severity: high}]}\n",
     "task.yaml: grader: precision_threshold: must be between 0 and 1, got 2"),
    ("id: x\ncontext: development\nprompt: p\ngrader: {kind: development, tests: hidden/nope.py}\n",
     "hidden/nope.py: grader.tests: file not found"),
    ("id: x\ncontext: development\nprompt: p\ngrader: {kind: development, tests: ../../etc/passwd}\n",
     "task.yaml: grader: tests: path '../../etc/passwd' points outside the task folder"),
    ("id: x\ncontext: testing\nprompt: p\ngrader: {kind: testing, module: util.py}\n",
     "files/util.py: grader.reference: file not found"),
    ("id: [x\n", "task.yaml: line 2, column 1: malformed YAML"),
    ("- just\n- a list\n", "task.yaml: expected a mapping at the top level, got list"),
    ("id: x\ncontext: testing\ntitel: T\nprompt: p\ngrader: {kind: match, expected: a}\n",
     "task.yaml: titel: unknown field; expected one of id, context, title"),
    ("id: x\ncontext: testing\nprompt: p\ngrader: {kind: match, expected: a, mod: regex}\n",
     "task.yaml: grader: mod: unknown field; expected one of kind, expected, mode"),
    ("id: x\ncontext: code_review\nprompt: p\ngrader: {kind: code_review, defects: [{lines: [1], "
     "category: bug, severity: high, sev: 1}]}\n",
     "task.yaml: grader.defects[0]: sev: unknown field"),
])
def test_malformed_task_yaml(tmp_path, yaml_text, expected):
    folder = tmp_path / "task"
    write(folder / "task.yaml", yaml_text)
    message = bad_input(load_task_folder, folder)
    assert expected in message
    assert str(folder) in message  # the file is named


def test_testing_task_without_mutants_is_rejected(tmp_path):
    folder = tmp_path / "t"
    write(folder / "task.yaml", "id: t\ncontext: testing\nprompt: p\ngrader: {kind: testing, module: u.py}\n")
    write(folder / "files" / "u.py", "x = 1\n")
    (folder / "mutants").mkdir()
    assert "grader: mutants: folder 'mutants/' holds no mutant (.py) files" in bad_input(load_task_folder, folder)


def test_non_utf8_answer_is_rejected(tmp_path):
    folder = dev_task(tmp_path / "add")
    (folder / "answers" / "garbled.md").write_bytes(b"\xff\xfe\x00bad")
    assert bad_input(load_task_folder, folder).endswith("garbled.md: not a UTF-8 text file")


def test_duplicate_task_ids_in_a_folder_suite(tmp_path):
    dev_task(tmp_path / "s" / "a", "same")
    dev_task(tmp_path / "s" / "b", "same")
    message = bad_input(load_folder_suite, tmp_path / "s")
    assert "b/task.yaml: id: duplicate task id 'same' (also defined in" in message


def test_empty_folder_is_rejected(tmp_path):
    (tmp_path / "empty").mkdir()
    assert "suite: no tasks found" in bad_input(load_folder_suite, tmp_path / "empty")


# ---------------------------------------------------------------- match JSONL

def jsonl(path: Path, *records) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_match_jsonl_with_and_without_answer_bank(tmp_path):
    path = jsonl(tmp_path / "quiz.jsonl",
                 {"id": "a", "context": "development", "prompt": "1+1?", "expected": "2", "match": "exact",
                  "difficulty": "easy", "title": "Sum", "answers": ["3", {"label": "typo", "text": "two"}]},
                 "",
                 "# a comment line",
                 {"id": "b", "context": "code_review", "prompt": "line?", "expected": r"^\s*4\s*$",
                  "match": "regex", "answers": [{"label": "reference", "text": "4"}, "5"]},
                 {"id": "c", "context": "testing", "prompt": "fixture?", "expected": "tmp_path"})
    suite = load_jsonl_suite(path)
    assert suite.id == "quiz" and [t.id for t in suite.tasks] == ["a", "b", "c"]
    a, b, c = suite.tasks
    assert a.grader == {"kind": "match", "expected": "2", "mode": "exact"}
    assert (a.title, a.difficulty) == ("Sum", "easy")
    assert [(x.label, x.text, x.correct) for x in a.answers] == [
        ("reference", "2", True), ("wrong_1", "3", False), ("typo", "two", False)]
    assert b.grader["mode"] == "regex" and b.reference.text == "4"
    assert c.grader["mode"] == "exact" and [x.label for x in c.answers] == ["reference"]


@pytest.mark.parametrize("line, expected", [
    ('{"id": "a", "context": "testing", "prompt": "p", "expected": "x"', "line 2: malformed JSON"),
    ('["not", "an", "object"]', "line 2: expected a JSON object, got list"),
    ('{"id": "a", "context": "testing", "prompt": "p"}', "line 2: expected: required field is missing"),
    ('{"id": "a", "context": "review", "prompt": "p", "expected": "x"}',
     "line 2: context: must be one of development, code_review, testing, got 'review'"),
    ('{"id": "a", "context": "testing", "prompt": "p", "expected": "x", "match": "fuzzy"}',
     "line 2: match: must be one of exact, contains, regex, got 'fuzzy'"),
    ('{"id": "a", "context": "testing", "prompt": "p", "expected": "[", "match": "regex"}',
     "line 2: expected: invalid regular expression"),
    ('{"id": "a", "context": "testing", "prompt": "", "expected": "x"}', "line 2: prompt: must not be empty"),
    ('{"id": "a", "context": "testing", "prompt": "p", "expected": "x", "answers": "x"}',
     "line 2: answers: must be a list, got str"),
    ('{"id": "a", "context": "testing", "prompt": "p", "expected": "x", "answers": [{"text": "y"}]}',
     "line 2: answers[0]: label: required field is missing"),
    ('{"id": "z", "context": "testing", "prompt": "p", "expected": "x"}',
     "line 2: id: duplicate task id 'z' (first used on line 1)"),
])
def test_malformed_match_jsonl(tmp_path, line, expected):
    first = {"id": "z", "context": "testing", "prompt": "p", "expected": "x"}
    path = jsonl(tmp_path / "quiz.jsonl", first, line)
    message = bad_input(load_jsonl_suite, path)
    assert message.startswith(str(path))
    assert expected in message


def test_blank_jsonl_is_rejected(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n")
    assert bad_input(load_jsonl_suite, path) == f"{path}: suite: no tasks in file (every line is blank)"


# ---------------------------------------------------------------- HumanEval JSONL

HUMANEVAL = {
    "task_id": "Sample/0",
    "prompt": 'def double(x: int) -> int:\n    """Return twice x."""\n',
    "canonical_solution": "    return 2 * x\n",
    "test": "METADATA = {}\n\n\ndef check(candidate):\n    assert candidate(2) == 4\n    assert candidate(-1) == -2\n",
    "entry_point": "double",
}


def test_humaneval_becomes_a_development_task(tmp_path):
    suite = load_jsonl_suite(jsonl(tmp_path / "he.jsonl", HUMANEVAL))
    (task,) = suite.tasks
    assert (task.id, task.context, task.grader_kind, task.title) == ("Sample/0", "development", "development", "double")
    assert task.grader["module"] == "solution.py"
    tests = task.grader["tests"]
    assert tests.startswith("from solution import *")
    assert "def check(candidate):" in tests and tests.rstrip().endswith("check(double)")
    assert task.reference.text == f"```python\n{HUMANEVAL['prompt']}{HUMANEVAL['canonical_solution'].rstrip()}\n```\n"
    assert "def double(x: int) -> int:" in task.prompt


def test_humaneval_task_is_graded_by_the_development_grader(tmp_path):
    from tamma_tui.suites.graders import grade

    (task,) = load_jsonl_suite(jsonl(tmp_path / "he.jsonl", HUMANEVAL)).tasks
    assert grade(task, task.reference.text).passed
    wrong = [a for a in task.answers if not a.correct]
    assert wrong and not grade(task, wrong[0].text).passed
    assert not grade(task, "```python\ndef double(x):\n    return x + 2\n```").passed


@pytest.mark.parametrize("change, expected", [
    ({"entry_point": "not an identifier"}, "line 1: entry_point: must be a Python identifier"),
    ({"test": "assert True\n"}, "line 1: test: must define check(candidate)"),
    ({"canonical_solution": 5}, None),  # numbers become strings; still a valid record shape
    ({"prompt": None}, "line 1: prompt: required field is missing"),
])
def test_malformed_humaneval(tmp_path, change, expected):
    record = {**HUMANEVAL, **change}
    path = jsonl(tmp_path / "he.jsonl", record)
    if expected is None:
        assert load_jsonl_suite(path).tasks[0].id == "Sample/0"
        return
    assert expected in bad_input(load_jsonl_suite, path)


# ---------------------------------------------------------------- registry

def test_load_suite_resolves_relative_paths_and_caches(tmp_path):
    dev_task(tmp_path / "suites" / "mine" / "add")
    first = registry.load_suite("suites/mine", base_dir=tmp_path)
    again = registry.load_suite(str(tmp_path / "suites" / "mine"))
    assert first is again and first.id == "mine"


def test_edited_jsonl_is_reloaded(tmp_path):
    path = jsonl(tmp_path / "q.jsonl", {"id": "a", "context": "testing", "prompt": "p", "expected": "x"})
    assert len(registry.load_suite(str(path)).tasks) == 1
    jsonl(path, {"id": "a", "context": "testing", "prompt": "p", "expected": "x"},
          {"id": "b", "context": "testing", "prompt": "p", "expected": "y"})
    import os
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10_000_000))
    assert len(registry.load_suite(str(path)).tasks) == 2


@pytest.mark.parametrize("ref", ["no-such-suite", "missing/folder", "gone.jsonl"])
def test_unknown_suite(tmp_path, ref):
    message = bad_input(registry.load_suite, ref, tmp_path)
    assert message.startswith(f"suite: unknown suite {ref!r}: not a built-in suite (")
    assert "tamma-core" in message and "tamma-match" in message


def test_a_file_that_is_not_a_suite(tmp_path):
    path = write(tmp_path / "notes.txt", "hello\n")
    assert bad_input(registry.load_suite, str(path)).endswith("suite: not a suite: expected a folder "
                                                             "of task folders, a .jsonl or a .jsonl.gz file")


def test_find_task_looks_through_builtin_suites():
    task = registry.find_task("match-dev-01")
    assert task is not None and task.suite == "tamma-match"
    assert registry.find_task("dev-lru-cache").suite == "tamma-core"
    assert registry.find_task("no-such-task") is None
    assert registry.find_task("match-dev-01") is task  # the index is built once

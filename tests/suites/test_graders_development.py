"""The development grader end to end: reply -> extracted module -> hidden tests in the sandbox."""

from __future__ import annotations

import json

from tamma_tui.suites.graders import grade
from tamma_tui.suites.graders.extract import extract_python
from tamma_tui.suites.model import Task

HIDDEN = '''
import pytest
from solution import clamp

def test_inside():
    assert clamp(5, 0, 10) == 5

def test_below():
    assert clamp(-3, 0, 10) == 0

def test_above():
    assert clamp(42, 0, 10) == 10

def test_bad_bounds():
    with pytest.raises(ValueError):
        clamp(1, 5, 0)
'''

TASK = Task(id="dev-clamp", context="development", prompt="Write clamp(x, lo, hi).",
            grader={"kind": "development", "module": "solution.py", "tests": HIDDEN})

GOOD = '''Here is the function:

```python
def clamp(x, lo, hi):
    if lo > hi:
        raise ValueError("lo must not exceed hi")
    return max(lo, min(x, hi))
```
It handles reversed bounds too.'''


def test_reference_answer_passes_with_details():
    g = grade(TASK, GOOD)
    assert g.passed and g.score == 1.0
    assert g.details["tests_total"] == 4 and g.details["tests_passed"] == 4
    assert g.details["failures"] == [] and g.details["isolation"]
    json.dumps(dict(g.details))


def test_partial_answer_scores_the_fraction_passed():
    reply = "```python\ndef clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n```"
    g = grade(TASK, reply)
    assert not g.passed and g.score == 0.75
    assert [f["test"] for f in g.details["failures"]] == ["test_bad_bounds"]
    assert "DID NOT RAISE" in g.details["failures"][0]["message"]


def test_off_by_one_answer_names_the_failing_tests():
    reply = "```python\ndef clamp(x, lo, hi):\n    if lo > hi:\n        raise ValueError\n" \
            "    return max(lo, min(x, hi - 1))\n```"
    g = grade(TASK, reply)
    assert not g.passed and g.score == 0.75
    assert [f["test"] for f in g.details["failures"]] == ["test_above"]
    assert "clamp(42, 0, 10) == 10" in g.details["failures"][0]["message"]


def test_no_code_syntax_error_and_hang_fail_cleanly():
    assert grade(TASK, "I would use max and min.").details["error"].startswith("no Python")
    bad = grade(TASK, "```python\ndef clamp(x, lo, hi)\n    return x\n```")
    assert not bad.passed and "syntax" in bad.details["error"]
    quick = Task(id="dev-clamp", context="development", prompt="",
                 grader=dict(TASK.grader, per_test_timeout=0.3))
    hang = grade(quick, "```python\ndef clamp(x, lo, hi):\n    while True:\n        pass\n```")
    assert not hang.passed and hang.score == 0.0
    assert all("timed out" in f["message"] for f in hang.details["failures"])


def test_import_time_crash_is_a_failed_grade_not_an_exception():
    g = grade(TASK, "```python\nimport os\nos._exit(1)\n```")
    assert not g.passed and g.score == 0.0 and g.details.get("error")
    g = grade(TASK, "```python\nraise RuntimeError('boom')\n```")
    assert not g.passed and "boom" in g.details["error"]


def test_whole_reply_without_fence_is_accepted_when_it_parses():
    code = "def clamp(x, lo, hi):\n    if lo > hi:\n        raise ValueError\n" \
           "    return max(lo, min(x, hi))\n"
    g = grade(TASK, code)
    assert g.passed and g.details["code_from"] == "whole reply"


def test_extraction_prefers_the_largest_parsing_python_block():
    reply = ("Usage:\n```python\nclamp(3, 0, 1)\n```\nImplementation:\n```python\n"
             "def clamp(x, lo, hi):\n    return x\n\n\ndef helper():\n    pass\n```\n"
             "```bash\necho hi\n```")
    code, origin = extract_python(reply)
    assert code.startswith("def clamp") and origin == "python block"
    truncated = "```python\ndef f():\n    return 1\n"
    assert extract_python(truncated)[0].startswith("def f")

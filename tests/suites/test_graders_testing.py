"""The testing grader: agent tests against the reference and every mutant, in one sandbox run."""

from __future__ import annotations

import json

from tamma_tui.suites.graders import grade
from tamma_tui.suites.model import Task

REFERENCE = '''
def is_leap(year):
    if year <= 0:
        raise ValueError("year must be positive")
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
'''
MUTANTS = {
    "no_400_rule": REFERENCE.replace("or year % 400 == 0", "or False"),
    "no_100_rule": REFERENCE.replace("(year % 100 != 0 or year % 400 == 0)", "True"),
    "no_check": REFERENCE.replace('raise ValueError("year must be positive")', "pass"),
    "boundary": REFERENCE.replace("year <= 0", "year < 0"),
}
TASK = Task(id="t-leap", context="testing", prompt="Test is_leap.",
            grader={"kind": "testing", "module": "leap.py", "reference": REFERENCE,
                    "mutants": MUTANTS, "kill_threshold": 0.75})

STRONG = '''```python
import pytest
from leap import is_leap

@pytest.mark.parametrize("year,expected", [(2024, True), (2023, False), (1900, False), (2000, True)])
def test_rules(year, expected):
    assert is_leap(year) is expected

@pytest.mark.parametrize("bad", [0, -4])
def test_rejects_non_positive(bad):
    with pytest.raises(ValueError):
        is_leap(bad)
```'''


def test_strong_tests_kill_every_mutant():
    g = grade(TASK, STRONG)
    assert g.passed and g.score == 1.0
    assert g.details["reference_passed"] and g.details["mutants_survived"] == []
    assert sorted(g.details["mutants_killed"]) == sorted(MUTANTS)
    json.dumps(dict(g.details))


def test_happy_path_tests_let_mutants_survive():
    reply = "```python\nfrom leap import is_leap\n\ndef test_basic():\n" \
            "    assert is_leap(2024)\n    assert not is_leap(2023)\n```"
    g = grade(TASK, reply)
    assert not g.passed and g.score == 0.0 and g.details["reference_passed"]
    assert sorted(g.details["mutants_survived"]) == sorted(MUTANTS)


def test_tests_failing_on_the_reference_score_zero():
    reply = "```python\nfrom leap import is_leap\n\ndef test_wrong():\n    assert is_leap(1900)\n" \
            "\ndef test_ok():\n    assert is_leap(2000)\n```"
    g = grade(TASK, reply)
    assert not g.passed and g.score == 0.0 and not g.details["reference_passed"]
    assert g.details["reference_failures"][0]["test"] == "test_wrong"


def test_no_tests_or_broken_import_fail():
    g = grade(TASK, "```python\nfrom leap import is_leap\n```")
    assert not g.passed and "no tests" in g.details["error"]
    g = grade(TASK, "```python\nfrom leap import nothing_here\n\ndef test_x():\n    pass\n```")
    assert not g.passed and "ImportError" in g.details["error"]
    g = grade(TASK, "no code at all")
    assert not g.passed and g.details["error"].startswith("no Python")

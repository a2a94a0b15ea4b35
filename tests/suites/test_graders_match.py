"""The match grader and the grade() dispatcher."""

import json

import pytest

from tamma_tui.suites.graders import grade
from tamma_tui.suites.model import Task


def _task(expected, mode, kind="match"):
    return Task(id="t", context="development", prompt="q",
                grader={"kind": kind, "expected": expected, "mode": mode})


@pytest.mark.parametrize(
    "expected,mode,reply,ok",
    [
        ("42", "exact", "  42\n", True),
        ("42", "exact", "42.", False),
        ("42", "exact", "The answer is 42", False),
        ("Paris", "contains", "It is PARIS, of course.", True),
        ("Paris", "contains", "It is Lyon.", False),
        (r"\b4\d\b", "regex", "answer: 42!", True),
        (r"^\d+$", "regex", "forty-two", False),
    ],
)
def test_match_modes(expected, mode, reply, ok):
    g = grade(_task(expected, mode), reply)
    assert g.passed is ok
    assert g.score == (1.0 if ok else 0.0)
    json.dumps(dict(g.details))  # details must be storable as JSON


def test_failed_match_records_what_came_back():
    g = grade(_task("yes", "exact"), "no way")
    assert g.details["got"] == "no way"
    assert g.details["kind"] == "match"


def test_bad_regex_and_unknown_mode_fail_without_raising():
    g = grade(_task("(unclosed", "regex"), "(unclosed")
    assert not g.passed and "bad regex" in g.details["error"]
    g = grade(_task("x", "fuzzy"), "x")
    assert not g.passed and "unknown match mode" in g.details["error"]


def test_unknown_kind_is_a_failed_grade():
    g = grade(_task("x", "exact", kind="telepathy"), "x")
    assert not g.passed and "unknown grader kind" in g.details["error"]


def test_non_string_output_is_tolerated():
    assert grade(_task("None", "exact"), None).passed is False

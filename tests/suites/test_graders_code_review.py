"""The code-review grader: JSON and free-text findings matched to planted defects."""

from __future__ import annotations

import json

import pytest

from tamma_tui.suites.graders import grade
from tamma_tui.suites.graders.code_review import parse_findings
from tamma_tui.suites.model import Task

DEFECTS = [
    {"lines": [12, 14], "category": "security", "severity": "high", "description": "SQL injection"},
    {"lines": [30, 30], "category": "bug", "severity": "medium", "description": "off by one"},
    {"lines": [41, 43], "category": "error_handling", "severity": "low", "description": "bare except"},
]
TASK = Task(id="rev", context="code_review", prompt="Review.",
            grader={"kind": "code_review", "defects": DEFECTS, "precision_threshold": 0.5})


def _reply(*findings):
    body = {"findings": [dict(zip(("line_start", "line_end", "category", "severity"), f),
                              file="app.py", message="m") for f in findings]}
    return "Findings:\n```json\n" + json.dumps(body, indent=2) + "\n```"


def test_perfect_review_scores_one():
    g = grade(TASK, _reply((12, 13, "security", "high"), (30, 30, "bug", "medium"),
                           (42, 42, "error_handling", "low")))
    assert g.passed and g.score == pytest.approx(1.0)
    assert g.details["recall"] == 1.0 and g.details["precision"] == 1.0
    assert len(g.details["matched"]) == 3 and g.details["missed"] == []


def test_two_line_slack_and_category_must_agree():
    near = grade(TASK, _reply((16, 17, "security", "high")))  # 2 lines after 14: matches
    assert near.details["recall"] == pytest.approx(3 / 6)
    far = grade(TASK, _reply((17, 18, "security", "high")))  # 3 lines away: no match
    assert far.details["recall"] == 0.0 and not far.passed
    wrong_cat = grade(TASK, _reply((12, 12, "style", "high")))
    assert wrong_cat.details["recall"] == 0.0 and len(wrong_cat.details["false_positives"]) == 1


def test_missing_the_high_severity_defect_fails_even_with_good_precision():
    g = grade(TASK, _reply((30, 30, "bug", "medium"), (41, 41, "error_handling", "low")))
    assert not g.passed and not g.details["all_high_found"]
    assert g.details["precision"] == 1.0 and g.details["recall"] == pytest.approx(3 / 6)
    # weighted F1 with P=1, R=0.5
    assert g.score == pytest.approx(2 * 1 * 0.5 / 1.5)


def test_false_positives_weigh_by_claimed_severity_and_can_fail_precision():
    g = grade(TASK, _reply((12, 12, "security", "high"), (60, 60, "bug", "high"),
                           (70, 70, "performance", "high")))
    # matched weight 3, false positives 3 + 3 -> precision 1/3
    assert g.details["precision"] == pytest.approx(1 / 3, abs=1e-3) and not g.passed
    assert len(g.details["false_positives"]) == 2


def test_each_defect_matches_at_most_once():
    g = grade(TASK, _reply((12, 12, "security", "high"), (13, 13, "security", "high")))
    assert len(g.details["matched"]) == 1 and len(g.details["false_positives"]) == 1


def test_free_text_fallback():
    text = ("Main problems:\n"
            "- Line 13: user input is formatted into SQL (injection). Severity: high. [security]\n"
            "- lines 29-31: loop bound off by one, medium bug\n")
    findings, source = parse_findings(text)
    assert source == "text" and len(findings) == 2
    g = grade(TASK, text)
    assert g.passed and g.details["findings_parsed_from"] == "text"
    assert [m["category"] for m in g.details["matched"]] == ["security", "bug"]


def test_raw_json_and_garbage():
    raw = 'Sure! {"findings": [{"line_start": 12, "line_end": 12, "category": "security", ' \
          '"severity": "high", "message": "sqli"}]} hope this helps'
    assert grade(TASK, raw).details["findings_parsed_from"] == "json"
    assert grade(TASK, raw).details["all_high_found"]
    junk = grade(TASK, "Looks good to me!")
    assert not junk.passed and junk.score == 0.0 and "no findings" in junk.details["error"]
    odd = grade(TASK, '{"findings": [{"line_start": "x"}, 5, {"line": "L12", "category": "SECURITY"}]}')
    assert odd.details["findings"] == 1 and odd.details["recall"] == pytest.approx(0.5)


@pytest.mark.parametrize("word,category", [
    ("Security", "security"), ("error-handling", "error_handling"), ("Error Handling", "error_handling"),
    ("correctness", "bug"), ("logic error", "bug"), ("efficiency", "performance"),
    ("maintainability", "style"), ("sql injection", "security"),
])
def test_category_synonyms(word, category):
    from tamma_tui.suites.graders.code_review import normalise_category
    assert normalise_category(word) == category


@pytest.mark.parametrize("word,severity", [
    ("HIGH", "high"), ("critical", "high"), ("Major", "high"), ("minor", "low"), ("nit", "low"),
    ("info", "low"), ("moderate", "medium"), ("", "medium"), ("whatever", "medium"),
])
def test_severity_words(word, severity):
    from tamma_tui.suites.graders.code_review import normalise_severity
    assert normalise_severity(word) == severity

"""Content checks for the built-in code_review tasks of tamma-core.

The task files are read straight from disk with yaml, so these checks do not depend on
the suite loader. A small local matcher implements the review rule of the API contract
(overlap within 2 lines + same category; pass = every high-severity defect matched and
precision >= threshold) in its most lenient form, so a wrong answer that fails here
fails under any stricter reading too; the reference is checked in the strictest form.
The real grader and loader are then checked end to end as well.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

import tamma_tui

REVIEW_DIR = Path(tamma_tui.__file__).parent / "suites" / "builtin" / "tamma-core" / "code_review"
CATEGORIES = {"bug", "security", "error_handling", "performance", "style"}
SEVERITIES = {"low", "medium", "high"}
TOLERANCE = 2

_JSON_BLOCK = re.compile(r"```json\s*\n(.*?)```", re.DOTALL)
_LINE_REF = re.compile(r"\blines?\s+(\d+)(?:\s*(?:-|–|to)\s*(\d+))?", re.IGNORECASE)


def _load_tasks() -> list[tuple[Path, dict]]:
    return [(p.parent, yaml.safe_load(p.read_text())) for p in sorted(REVIEW_DIR.glob("*/task.yaml"))]


TASKS = _load_tasks()
TASK_IDS = [folder.name for folder, _ in TASKS]


def _answers(folder: Path) -> dict[str, str]:
    return {p.stem: p.read_text() for p in sorted((folder / "answers").glob("*.md"))}


def _json_findings(text: str) -> list[dict] | None:
    match = _JSON_BLOCK.search(text)
    if not match:
        return None
    return json.loads(match.group(1))["findings"]


def _free_text_findings(text: str) -> list[dict]:
    """Every (line range, category word) pair on one line of prose: a generous reading.
    A line that names no category may be read as any category."""
    found = []
    for line in text.splitlines():
        cats = [c for c in CATEGORIES if c in line.lower() or c.replace("_", " ") in line.lower()]
        cats = cats or sorted(CATEGORIES)
        for m in _LINE_REF.finditer(line):
            start = int(m.group(1))
            end = int(m.group(2) or start)
            found += [
                {"file": None, "line_start": start, "line_end": end, "category": c, "severity": "low"}
                for c in cats
            ]
    return found


def _matches(finding: dict, defect: dict, *, same_file: bool) -> bool:
    start, end = defect["lines"]
    if finding["category"] != defect["category"]:
        return False
    if same_file and finding.get("file") != defect["file"]:
        return False
    return finding["line_start"] <= end + TOLERANCE and finding["line_end"] >= start - TOLERANCE


WEIGHTS = {"high": 3, "medium": 2, "low": 1}


def _lenient_pass(findings: list[dict], defects: list[dict], threshold: float) -> bool:
    """Any finding may match any defect, files ignored, and precision is the larger of the
    plain and the severity-weighted ratio: the most generous grader the contract allows."""
    highs_found = all(
        any(_matches(f, d, same_file=False) for f in findings) for d in defects if d["severity"] == "high"
    )
    if not findings:
        return False
    matched_w = fp_w = 0
    matched = 0
    for f in findings:
        hits = [WEIGHTS[d["severity"]] for d in defects if _matches(f, d, same_file=False)]
        if hits:
            matched += 1
            matched_w += max(hits)
        else:
            fp_w += WEIGHTS.get(f.get("severity", "low"), 1)
    precision = max(matched / len(findings), matched_w / (matched_w + fp_w))
    return highs_found and precision >= threshold


def test_counts_and_difficulty_spread():
    assert len(TASKS) >= 24
    spread = Counter(task["difficulty"] for _, task in TASKS)
    assert min(spread[d] for d in ("easy", "medium", "hard")) >= 8, spread
    assert len(set(task["id"] for _, task in TASKS)) == len(TASKS)


def test_categories_are_mixed_across_the_suite():
    cats = Counter(d["category"] for _, t in TASKS for d in t["grader"]["defects"])
    for cat in ("bug", "security", "error_handling", "performance"):
        assert cats[cat] >= 6, cats


@pytest.mark.parametrize("folder,task", TASKS, ids=TASK_IDS)
def test_task_shape(folder: Path, task: dict):
    assert task["id"] == folder.name and task["id"].startswith("review-")
    assert task["context"] == "code_review"
    assert task["difficulty"] in {"easy", "medium", "hard"}
    assert task["title"].strip() and len(task["prompt"].strip()) > 80
    grader = task["grader"]
    assert grader["kind"] == "code_review"
    assert 0 < grader["precision_threshold"] <= 1
    files = {p.name: p.read_text() for p in (folder / "files").iterdir()}
    for name, text in files.items():
        n_lines = len(text.splitlines())
        assert 30 <= n_lines <= 120, (name, n_lines)
        compile(text, name, "exec")  # the code under review is real, parseable Python
    defects = grader["defects"]
    assert 1 <= len(defects) <= 4
    assert any(d["severity"] == "high" for d in defects)
    for d in defects:
        assert d["file"] in files
        start, end = d["lines"]
        assert 1 <= start <= end <= len(files[d["file"]].splitlines()), d
        assert files[d["file"]].splitlines()[start - 1].strip(), f"defect starts on a blank line: {d}"
        assert d["category"] in CATEGORIES and d["severity"] in SEVERITIES
        assert len(d["description"]) > 30


@pytest.mark.parametrize("folder,task", TASKS, ids=TASK_IDS)
def test_reference_finds_every_defect_and_nothing_else(folder: Path, task: dict):
    answers = _answers(folder)
    assert "reference" in answers
    findings = _json_findings(answers["reference"])
    assert findings is not None, "the reference reply carries a ```json block"
    defects = task["grader"]["defects"]
    assert len(findings) == len(defects)
    # strict reading: file-aware, one finding per defect, in a one-to-one assignment
    unmatched = list(range(len(defects)))
    for f in findings:
        assert f["severity"] in SEVERITIES and f["message"].strip()
        hits = [i for i in unmatched if _matches(f, defects[i], same_file=True)]
        assert hits, f"reference finding matches no planted defect: {f}"
        unmatched.remove(hits[0])
    assert not unmatched
    assert _lenient_pass(findings, defects, task["grader"]["precision_threshold"])


@pytest.mark.parametrize("folder,task", TASKS, ids=TASK_IDS)
def test_every_wrong_answer_fails_even_a_lenient_grader(folder: Path, task: dict):
    answers = _answers(folder)
    wrong = {k: v for k, v in answers.items() if k != "reference"}
    assert len(wrong) >= 3
    assert len(set(answers.values())) == len(answers), "answers must differ from each other"
    assert any(_json_findings(text) is None for text in wrong.values()), "one wrong reply is free text"
    grader = task["grader"]
    for label, text in wrong.items():
        findings = _json_findings(text)
        if findings is None:
            findings = _free_text_findings(text)
            assert findings, f"{label}: free-text reply mentions no line with a category"
        assert not _lenient_pass(findings, grader["defects"], grader["precision_threshold"]), label


def test_real_grader_passes_references_and_fails_wrong_answers():
    from tamma_tui.suites import graders
    from tamma_tui.suites.registry import load_suite

    suite = load_suite("tamma-core")
    tasks = {t.id: t for t in suite.by_context("code_review")}
    assert set(TASK_IDS) <= set(tasks)
    problems = []
    for task_id in TASK_IDS:
        task = tasks[task_id]
        assert len(task.answers) >= 4
        for answer in task.answers:
            grade = graders.grade(task, answer.text)
            if grade.passed != answer.correct:
                problems.append((task_id, answer.label, grade.passed, dict(grade.details)))
        reference = task.reference
        assert reference is not None
        assert graders.grade(task, reference.text).score == pytest.approx(1.0)
    assert not problems, problems

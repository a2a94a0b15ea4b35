"""Issue 11 §4: hostile replies cannot stall the host (extraction is linear, task regexes
are time-bounded)."""

from __future__ import annotations

import time

from tamma_tui.suites.graders.extract import extract_python, fenced_blocks
from tamma_tui.suites.graders.match import REGEX_TIMEOUT_S, grade_match


def test_fence_extraction_is_linear_on_80kb_of_unclosed_fences():
    # 80 KB of openers that never close (a closing fence must be bare): the old regex
    # scanned to the end from each of them, 18 s for 64 KB.
    hostile = "```py x\n" * 10_000
    started = time.perf_counter()
    fenced_blocks(hostile)
    extract_python(hostile)
    assert time.perf_counter() - started < 1.0


def test_fence_extraction_scales_linearly():
    def cost(n):
        # The best of five: a busy machine only ever adds time, so the minimum is the cost.
        text = "```py x\n" * n
        best = float("inf")
        for _ in range(5):
            started = time.perf_counter()
            fenced_blocks(text)
            best = min(best, time.perf_counter() - started)
        return best

    small, big = cost(4_000), cost(32_000)
    assert big < small * 8 * 3  # 8x the input costs about 8x; a quadratic scan costs 64x


def test_fences_still_parsed_as_before():
    text = "intro\n```python\nprint(1)\n```\n~~~\nraw\n~~~\n  ````js\nlet a\n  ````\n```py\ntail"
    assert fenced_blocks(text) == [("python", "print(1)\n"), ("", "raw\n"),
                                   ("js", "let a\n"), ("py:unclosed", "tail")]
    assert fenced_blocks("```\n```") == [("", "")]
    assert fenced_blocks("no fences") == []


def test_issue_pattern_no_longer_stalls():
    started = time.perf_counter()  # 16 s with the stdlib engine
    grade = grade_match({"mode": "regex", "expected": r"^(\w+\s?)*$"}, "a" * 28 + "!")
    assert time.perf_counter() - started < REGEX_TIMEOUT_S * 4 + 1 and not grade.passed


def test_catastrophic_task_regex_is_time_bounded():
    started = time.perf_counter()
    grade = grade_match({"mode": "regex", "expected": r"^(a|a)*$"}, "a" * 40 + "!")
    # The engine checks its clock periodically: allow a few periods past the bound.
    assert time.perf_counter() - started < REGEX_TIMEOUT_S * 4 + 1
    assert not grade.passed and "ran past" in grade.details["error"]


def test_ordinary_task_regex_still_matches():
    assert grade_match({"mode": "regex", "expected": r"\b42\b"}, "the answer is 42").passed

"""Issue 11 §4 figures: how long hostile replies hold the host, and what grading costs.

    python benchmarks/hostile_replies.py

Prints one line per case: an 80 KB reply of unclosed fences through code extraction (17 s
before the fix), the issue's catastrophic task regex on a 29-character reply (16 s
before), a pattern that still backtracks (bounded by the grader's time limit), and the
cost of one development grade with its canaries (sandbox included).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from tamma_tui.suites.graders import grade  # noqa: E402
from tamma_tui.suites.graders.extract import extract_python  # noqa: E402
from tamma_tui.suites.graders.match import grade_match  # noqa: E402
from tamma_tui.suites.registry import load_suite  # noqa: E402
from tamma_tui.suites.sandbox import isolation_level  # noqa: E402


def timed(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, isolation {isolation_level()}")
    hostile = "```py x\n" * 10_000  # openers that never close
    print(f"extract 80 KB of unclosed fences: {timed(lambda: extract_python(hostile)) * 1000:.1f} ms")
    issue = {"mode": "regex", "expected": r"^(\w+\s?)*$"}
    print(f"issue regex on 29 chars: {timed(lambda: grade_match(issue, 'a' * 28 + '!')) * 1000:.1f} ms")
    worst = {"mode": "regex", "expected": r"^(a|a)*$"}
    print(f"backtracking regex, time-bounded: {timed(lambda: grade_match(worst, 'a' * 40 + '!'), 1):.2f} s")
    task = load_suite("tamma-core").by_context("development")[0]
    answer = task.reference.text
    grade(task, answer)  # warm: probe and compile once
    print(f"one development grade with canaries: {timed(lambda: grade(task, answer), 10) * 1000:.0f} ms")


if __name__ == "__main__":
    main()

"""The `development` grader: hidden tests run against the agent's module in the sandbox."""

from __future__ import annotations

from typing import Any, Mapping

from tamma_tui.suites.harness import run_tests
from tamma_tui.suites.model import Grade

from .extract import extract_python, parses

MAX_FAILURES_SHOWN = 10


def summarise_failures(tests: list[dict]) -> list[dict[str, str]]:
    return [{"test": t["name"], "outcome": t["outcome"], "message": t.get("message", "")}
            for t in tests if t["outcome"] in ("failed", "error")][:MAX_FAILURES_SHOWN]


def grade_development(spec: Mapping[str, Any], output: str) -> Grade:
    module = str(spec.get("module") or "solution.py")
    tests = str(spec.get("tests") or "")
    code, origin = extract_python(output)
    details: dict[str, Any] = {"code_from": origin, "tests_total": 0, "tests_passed": 0,
                               "failures": [], "timed_out": False}
    if code is None:
        details["error"] = "no Python code found in the reply"
        return Grade(False, 0.0, details)
    if not parses(code):
        details["error"] = "the extracted code does not parse (syntax error)"
        return Grade(False, 0.0, details)
    result = run_tests(tests, {"solution": {module: code}}, test_file="test_hidden.py",
                       per_test_timeout=float(spec.get("per_test_timeout", 2.0)),
                       variant_timeout=float(spec.get("timeout_s", 8.0)))
    details["isolation"] = result.isolation
    details["duration_s"] = round(result.duration_s, 3)
    if result.variants and result.integrity == "void":
        return void_grade(details)
    if result.error or not result.variants:
        details["error"] = result.error or "no result"
        details["timed_out"] = result.timed_out
        return Grade(False, 0.0, details)
    v = result.variants[0]
    total = v["total"]
    details.update(tests_total=total, tests_passed=v["passed"], timed_out=v["timed_out"],
                   failures=summarise_failures(v["tests"]))
    if v.get("collection_error"):
        details["error"] = "tests could not be collected: " + v["collection_error"]
        return Grade(False, 0.0, details)
    if v.get("crashed"):
        details["error"] = v["crashed"]
    if total == 0:
        details["error"] = details.get("error") or "no tests ran"
        return Grade(False, 0.0, details)
    counted = total - v["skipped"] - v.get("xfailed", 0)  # hidden tests don't skip; be safe
    score = v["passed"] / counted if counted > 0 else 0.0
    passed = counted > 0 and v["passed"] == counted and not v["timed_out"]
    return Grade(passed, score, details, integrity=result.integrity)


def void_grade(details: dict[str, Any]) -> Grade:
    """The canaries were misreported: the agent's code tampered with its own grading."""
    details["error"] = ("grade void: a canary test was reported wrongly, so the agent's code "
                        "interfered with the test results")
    details["grade_integrity"] = "void"
    return Grade(False, 0.0, details, integrity="void")

"""The `testing` grader: the agent's tests must pass on the reference and kill mutants.

One sandbox run: the harness forks once per variant (reference, then each mutant). A mutant
is killed when any test fails or errors, the tests can't even be collected against it, or
the run hangs or crashes. Score = killed / mutants (0 unless the reference passes with at
least one test); pass = reference passes and the kill ratio reaches the task's threshold.
"""

from __future__ import annotations

from typing import Any, Mapping

from tamma_tui.suites.harness import run_tests
from tamma_tui.suites.model import Grade

from .development import summarise_failures, void_grade
from .extract import extract_python, parses

AGENT_TEST_FILE = "test_agent.py"
EQUIVALENT = "equivalent"


def equivalent_variant(reference: str) -> str | None:
    """The reference rewritten so its text differs but its behaviour does not (formatting
    normalised, comments gone, a header comment added). Tests that fail on it compare
    source text, not behaviour. None if the reference does not round-trip."""
    import ast

    try:
        rewritten = ast.unparse(ast.parse(reference))
    except (SyntaxError, ValueError, RecursionError):
        return None
    return "# rewritten without changing behaviour\n\n" + rewritten + "\n"


def _killed(v: dict) -> bool:
    return bool(v.get("collection_error") or v.get("timed_out") or v.get("crashed")
                or v["failed"] > 0 or v["errors"] > 0)


def _reference_ok(v: dict) -> bool:
    """The reference survives the tests, and at least one of them passed."""
    return not _killed(v) and v["passed"] > 0


def grade_testing(spec: Mapping[str, Any], output: str) -> Grade:
    module = str(spec.get("module") or "module.py")
    reference = str(spec.get("reference") or "")
    mutants = dict(spec.get("mutants") or {})
    threshold = float(spec.get("kill_threshold", 0.75))
    tests, origin = extract_python(output)
    details: dict[str, Any] = {"tests_from": origin, "reference_passed": False,
                               "mutants_total": len(mutants), "mutants_killed": [],
                               "mutants_survived": [], "kill_ratio": 0.0,
                               "kill_threshold": threshold}
    if tests is None:
        details["error"] = "no Python test code found in the reply"
        return Grade(False, 0.0, details)
    if not parses(tests):
        details["error"] = "the extracted tests do not parse (syntax error)"
        return Grade(False, 0.0, details)
    variants = {"reference": {module: reference}}
    equivalent = equivalent_variant(reference)
    if equivalent is not None:
        variants[EQUIVALENT] = {module: equivalent}
    for name in sorted(mutants):
        variants[f"mutant:{name}"] = {module: mutants[name]}
    result = run_tests(tests, variants, test_file=AGENT_TEST_FILE,
                       per_test_timeout=float(spec.get("per_test_timeout", 2.0)),
                       variant_timeout=float(spec.get("timeout_s", 6.0)))
    details["isolation"] = result.isolation
    details["duration_s"] = round(result.duration_s, 3)
    ref = result.variant("reference")
    if result.variants and result.integrity == "void":
        return void_grade(details)
    if result.error or ref is None:
        details["error"] = result.error or "no result for the reference"
        return Grade(False, 0.0, details)
    details["reference_tests"] = ref["total"]
    details["reference_passed_tests"] = ref["passed"]
    if not _reference_ok(ref):
        details["reference_failures"] = summarise_failures(ref["tests"])
        reason = ref.get("collection_error") or ref.get("crashed") or (
            "timed out" if ref.get("timed_out") else None)
        if ref["total"] == 0 and not reason:
            reason = "no tests were collected"
        details["error"] = "the tests do not pass on the reference implementation" + (
            f": {reason}" if reason else "")
        return Grade(False, 0.0, details)
    details["reference_passed"] = True
    eq = result.variant(EQUIVALENT)
    if equivalent is not None and (eq is None or not _reference_ok(eq)):
        details["equivalent_failures"] = summarise_failures(eq["tests"]) if eq else []
        details["error"] = ("the tests fail on a behaviour-identical rewrite of the reference: "
                            "they compare source text, not behaviour")
        return Grade(False, 0.0, details, integrity=result.integrity)
    for name in sorted(mutants):
        v = result.variant(f"mutant:{name}")
        (details["mutants_killed"] if v is None or _killed(v)
         else details["mutants_survived"]).append(name)
    ratio = len(details["mutants_killed"]) / len(mutants) if mutants else 1.0
    details["kill_ratio"] = round(ratio, 4)
    return Grade(ratio >= threshold, ratio, details, integrity=result.integrity)

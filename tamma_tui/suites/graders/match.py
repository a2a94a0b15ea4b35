"""The `match` grader: compare a reply with an expected answer (exact, contains or regex)."""

from __future__ import annotations

from typing import Any, Mapping

import regex

from tamma_tui.suites.model import MATCH_MODES, Grade

# A task's pattern against a reply must finish within this; catastrophic backtracking
# (e.g. ^(\w+\s?)*$ on a short non-matching line) is then a failed grade, not a stall.
REGEX_TIMEOUT_S = 0.5


def grade_match(spec: Mapping[str, Any], output: str) -> Grade:
    expected = str(spec.get("expected", ""))
    mode = str(spec.get("mode", "exact") or "exact")
    reply = output or ""
    details: dict[str, Any] = {"mode": mode, "expected": expected}
    if mode == "exact":
        ok = reply.strip() == expected.strip()
    elif mode == "contains":
        ok = expected.strip().casefold() in reply.casefold()
    elif mode == "regex":
        try:
            ok = regex.search(expected, reply, timeout=REGEX_TIMEOUT_S) is not None
        except regex.error as exc:
            details["error"] = f"bad regex in task: {exc}"
            ok = False
        except TimeoutError:
            details["error"] = f"regex ran past {REGEX_TIMEOUT_S:g} s on this reply"
            ok = False
    else:
        details["error"] = f"unknown match mode {mode!r} (expected one of {', '.join(MATCH_MODES)})"
        ok = False
    if not ok:
        # A short excerpt tells the user what came back without storing whole replies twice.
        details["got"] = reply.strip()[:200]
    return Grade(passed=ok, score=1.0 if ok else 0.0, details=details)

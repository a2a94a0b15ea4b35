"""The `code_review` grader: match the agent's findings to the planted defects.

A finding matches a defect when its line range overlaps the defect's within LINE_SLACK lines
and the categories agree; each defect and each finding is used at most once. Severity weighs
everything (high 3, medium 2, low 1): recall is the weight of defects found over the weight
of all defects, precision is the weight of matched findings over that plus the claimed weight
of the false positives. Score = weighted F1; pass = every high-severity defect found and
precision >= the task's threshold. Pure parsing, no sandbox: nothing here runs agent code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from tamma_tui.suites.model import REVIEW_CATEGORIES, Grade

from .extract import extract_json

LINE_SLACK = 2
WEIGHTS = {"high": 3, "medium": 2, "low": 1}
MAX_FINDINGS = 200

_CATEGORY_WORDS = [  # first hit wins, so the specific words come before "bug"
    ("security", ("security", "injection", "vulnerab", "xss", "csrf", "secret", "credential",
                  "traversal", "unsafe deserial", "pickle", "shell=true", "eval(")),
    ("error_handling", ("error_handling", "error handling", "error-handling", "exception",
                        "except", "swallow", "unhandled", "error path", "raise")),
    ("performance", ("performance", "perf", "slow", "quadratic", "o(n^2)", "o(n**2)",
                     "inefficient", "efficiency", "n+1", "complexity")),
    ("style", ("style", "naming", "readability", "maintainability", "pep8", "pep 8",
               "docstring", "documentation", "cosmetic")),
    ("bug", ("bug", "incorrect", "wrong", "off-by-one", "off by one", "logic", "crash",
             "race", "broken", "correctness", "defect")),
]
_SEVERITY_WORDS = [
    ("high", ("high", "critical", "severe", "major", "blocker")),
    ("low", ("low", "minor", "nit", "trivial", "cosmetic", "info", "informational")),
    ("medium", ("medium", "moderate", "normal")),
]
_LINE_RANGE = re.compile(
    r"\b(?:lines?|l\.?|ln)\s*#?(\d+)(?:\s*(?:-|–|—|to|through|\.\.)\s*(?:l\.?)?(\d+))?"
    r"|\.py:(\d+)(?:-(\d+))?|\bL(\d+)(?:-L?(\d+))?\b",
    re.IGNORECASE)


def severity_weight(severity: Any) -> int:
    """An unknown or missing severity weighs as medium."""
    return WEIGHTS.get(str(severity), 2)


@dataclass
class Finding:
    start: int
    end: int
    category: str
    severity: str
    message: str = ""

    @property
    def weight(self) -> int:
        return severity_weight(self.severity)


def normalise_category(value: Any) -> str:
    text = str(value or "").strip().lower().replace("-", "_").replace(" ", "_")
    if text in REVIEW_CATEGORIES:
        return text
    spaced = text.replace("_", " ")
    for cat, words in _CATEGORY_WORDS:
        if any(w.replace("-", " ").replace("_", " ") in spaced for w in words):
            return cat
    return text or "bug"


def normalise_severity(value: Any) -> str:
    text = str(value or "").strip().lower()
    for sev, words in _SEVERITY_WORDS:
        if any(w == text or w in text.split() for w in words):
            return sev
    return "medium"


def _as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip().lstrip("Ll"))
    except (TypeError, ValueError):
        return None


def findings_from_json(data: Any) -> list[Finding] | None:
    items = data.get("findings") if isinstance(data, dict) else data
    if isinstance(data, dict) and items is None:
        items = data.get("issues") or data.get("defects")
    if not isinstance(items, list):
        return None
    out = []
    for item in items[:MAX_FINDINGS]:
        if not isinstance(item, dict):
            continue
        start = _as_int(item.get("line_start", item.get("line", item.get("start_line"))))
        lines = item.get("lines")
        if start is None and isinstance(lines, list) and lines:
            start = _as_int(lines[0])
        end = _as_int(item.get("line_end", item.get("end_line")))
        if end is None and isinstance(lines, list) and lines:
            end = _as_int(lines[-1])
        if start is None:
            continue
        end = start if end is None else end
        start, end = min(start, end), max(start, end)
        message = str(item.get("message", item.get("description", "")))[:500]
        category = item.get("category") or item.get("type") or message
        out.append(Finding(start, end, normalise_category(category),
                           normalise_severity(item.get("severity")), message))
    return out


_EXPLICIT = re.compile(r"\b(bug|security|error[ _-]handling|performance|style)\b")


def _explicit_category(low: str) -> str | None:
    """A category named outright ("[security]", "bug:") beats guessing from other words."""
    m = _EXPLICIT.search(low)
    return normalise_category(m.group(1)) if m else None


def findings_from_text(text: str) -> list[Finding]:
    """Fallback: one finding per line or bullet that names a line number."""
    out = []
    for raw in re.split(r"\n(?=\s*(?:[-*•]|\d+[.)]|#+)\s)|\n\s*\n", text or ""):
        chunk = raw.strip()
        m = _LINE_RANGE.search(chunk)
        if not m:
            continue
        nums = [g for g in m.groups() if g is not None]
        start = int(nums[0])
        end = int(nums[1]) if len(nums) > 1 else start
        low = chunk.lower()
        category = _explicit_category(low) or normalise_category(low)
        severity = "medium"
        for sev, words in _SEVERITY_WORDS:
            if any(re.search(rf"\b{re.escape(w)}\b", low) for w in words):
                severity = sev
                break
        out.append(Finding(min(start, end), max(start, end), category, severity, chunk[:300]))
        if len(out) >= MAX_FINDINGS:
            break
    return out


def parse_findings(output: str) -> tuple[list[Finding], str]:
    data = extract_json(output)
    if data is not None:
        found = findings_from_json(data)
        if found is not None:
            return found, "json"
    return findings_from_text(output), "text"


def _gap(f: Finding, lo: int, hi: int) -> int:
    """Lines between the two ranges (0 when they overlap)."""
    return max(0, lo - f.end, f.start - hi)


def match(findings: list[Finding], defects: Iterable[Mapping[str, Any]]):
    """Greedy, heaviest defect first, each to the nearest unused finding of its category."""
    defects = list(defects)
    order = sorted(range(len(defects)), key=lambda i: -severity_weight(defects[i].get("severity")))
    used: set[int] = set()
    pairs: dict[int, int] = {}
    for di in order:
        d = defects[di]
        lines = list(d.get("lines") or [0])
        lo, hi = int(min(lines)), int(max(lines))
        cat = normalise_category(d.get("category"))
        best = None
        for fi, f in enumerate(findings):
            if fi in used or f.category != cat:
                continue
            gap = _gap(f, lo, hi)
            if gap <= LINE_SLACK and (best is None or gap < best[0]):
                best = (gap, fi)
        if best is not None:
            used.add(best[1])
            pairs[di] = best[1]
    return pairs, used


def grade_code_review(spec: Mapping[str, Any], output: str) -> Grade:
    defects = list(spec.get("defects") or [])
    threshold = float(spec.get("precision_threshold", 0.5))
    findings, source = parse_findings(output)
    pairs, used = match(findings, defects)
    weights = [severity_weight(d.get("severity")) for d in defects]
    found_w = sum(weights[di] for di in pairs)
    total_w = sum(weights)
    false_pos = [f for i, f in enumerate(findings) if i not in used]
    fp_w = sum(f.weight for f in false_pos)
    recall = found_w / total_w if total_w else 1.0
    precision = found_w / (found_w + fp_w) if (found_w + fp_w) else (1.0 if not defects else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    highs = [i for i, d in enumerate(defects) if str(d.get("severity")) == "high"]
    all_high = all(i in pairs for i in highs)
    passed = all_high and precision >= threshold and (bool(pairs) or not defects)

    def describe(d):
        return {"lines": list(d.get("lines") or []), "category": d.get("category"),
                "severity": d.get("severity"), "description": d.get("description", "")}

    details = {
        "findings_parsed_from": source,
        "findings": len(findings),
        "matched": [dict(describe(defects[di]), finding_lines=[findings[fi].start,
                                                              findings[fi].end])
                    for di, fi in sorted(pairs.items())],
        "missed": [describe(d) for i, d in enumerate(defects) if i not in pairs],
        "false_positives": [{"lines": [f.start, f.end], "category": f.category,
                             "severity": f.severity, "message": f.message[:200]}
                            for f in false_pos[:20]],
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "all_high_found": all_high,
        "precision_threshold": threshold,
    }
    if not findings:
        details["error"] = "no findings could be read from the reply"
    return Grade(passed, round(f1, 6), details)

"""The gate's outcome as JUnit XML and GitHub workflow annotations (what CI systems read)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Mapping, Sequence


def _line(row: Mapping[str, Any]) -> str:
    est = row.get("estimate")
    ref = row.get("reference_mean")
    verdict = row["verdict"] + (f" ({row['cause']})" if row.get("cause") else "")
    if row.get("gated") is False:
        verdict += ", not gated (pinned: measures drift)"
    parts = [f"{row['name']}: {verdict}"]
    if est is not None:
        parts.append(f"difference {est:+.4g} (reference {ref:.4g}, margin {row['margin']:.4g}, {row['n_tasks']} tasks)")
    if row.get("p_worse") is not None:
        parts.append(f"p(worse)={row['p_worse']:.3g}")
    if row.get("more_tasks"):
        parts.append(f"about {row['more_tasks']} more tasks ({row.get('more_trials') or row['more_tasks']} trials) would settle it")
    flaky = row.get("flaky") or {}
    if flaky.get("flaky_tasks"):
        parts.append(f"{flaky['flaky_tasks']} flaky task(s) carry {flaky['difference_from_flaky']:+.4g} of it")
    return "; ".join(parts)


def describe(row: Mapping[str, Any]) -> str:
    return _line(row)


def junit(outcome: Mapping[str, Any]) -> str:
    rows: Sequence[Mapping[str, Any]] = outcome["results"]
    suite = ET.Element("testsuite", {
        "name": f"tamma-bench check run {outcome['run_id']}",
        "tests": str(len(rows)),
        "failures": str(sum(r["verdict"] == "regressed" and r.get("gated", True) for r in rows)),
        "skipped": "0",
        "errors": "0",
    })
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "against", "value": str(outcome["against"])})
    ET.SubElement(props, "property", {"name": "verdict", "value": str(outcome["verdict"])})
    for r in rows:
        case = ET.SubElement(suite, "testcase", {"classname": f"tamma-bench.run{outcome['run_id']}", "name": r["name"]})
        if r["verdict"] == "regressed" and r.get("gated", True):
            failure = ET.SubElement(case, "failure", {"message": "regressed", "type": "regression"})
            failure.text = _line(r)
        else:
            out = ET.SubElement(case, "system-out")
            out.text = _line(r)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _escape(text: str) -> str:
    # Workflow commands end at a newline and read % as an escape.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github(outcome: Mapping[str, Any]) -> str:
    lines = []
    for r in outcome["results"]:
        level = {"regressed": "error", "inconclusive": "warning"}.get(r["verdict"])
        if not r.get("gated", True) and level:
            level = "notice"
        if level:
            lines.append(f"::{level} title=tamma-bench {_escape(r['name'])}::{_escape(_line(r))}")
    lines.append(f"::notice title=tamma-bench check::{_escape(summary_line(outcome))}")
    return "\n".join(lines) + "\n"


def summary_line(outcome: Mapping[str, Any]) -> str:
    counts: dict[str, int] = {}
    for r in outcome["results"]:
        if r.get("gated", True):
            counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    parts = ", ".join(f"{n} {v}" for v, n in sorted(counts.items())) or "nothing compared"
    return f"run {outcome['run_id']} against {outcome['against']}: {outcome['verdict']} ({parts})"

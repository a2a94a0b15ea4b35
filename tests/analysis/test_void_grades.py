"""Issue 11 §2: the report counts void grades (tampering) apart from failures."""

from __future__ import annotations

from analysis_helpers import make_trials

from tamma_tui.analysis.report import build_report
from tamma_tui.services.reports import _arm_rows


def test_void_grades_are_counted_per_arm_and_shown():
    frame = make_trials({"baseline": 0.0, "variant": 0.1}, n_tasks=20, seed=3)
    frame["grade_integrity"] = "ok"
    variant_rows = frame.index[frame["arm"].astype(str) == "variant"][:3]
    frame.loc[variant_rows, "grade_integrity"] = "void"
    frame.loc[variant_rows, "passed"] = 0.0
    frame["grade_integrity"] = frame["grade_integrity"].astype("category")
    report = build_report(frame, run_id=1)
    counts = {a["name"]: a["void_grades"] for a in report["arms"]}
    assert counts == {"baseline": 0, "variant": 3}
    rows = {r[0]: r for r in _arm_rows(report)}
    assert rows["variant"][-1] == "3" and rows["baseline"][-1] == "0"


def test_runs_without_the_column_still_report():
    frame = make_trials({"baseline": 0.0, "variant": 0.1}, n_tasks=10, seed=1)
    report = build_report(frame, run_id=1)
    assert all("void_grades" not in a for a in report["arms"])

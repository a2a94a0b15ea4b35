"""The report keeps flaky tasks but says how much of a difference they carry."""

from __future__ import annotations

import pandas as pd
import pytest

from tamma_tui.analysis.report import build_report
from tamma_tui.services.reports import render_report


def frame() -> pd.DataFrame:
    """10 tasks x 2 repeats. Tasks 0-5 steady (baseline fails, variant passes: +1 each);
    tasks 6-9 flaky in the variant (one pass, one fail: +0.5 each)."""
    rows = []
    for t in range(10):
        for r in range(2):
            variant_pass = True if t < 6 else r == 0
            for arm, passed in (("baseline", False), ("v", variant_pass)):
                rows.append({"arm": arm, "task_id": f"t{t}", "context": "development", "repeat": r,
                             "status": "ok", "passed": passed, "score": float(passed)})
    return pd.DataFrame(rows)


def test_flaky_tasks_are_counted_and_their_share_of_the_difference_given():
    report = build_report(frame(), run_id=1)
    (row,) = report["flaky"]
    assert row["tasks"] == 10 and row["flaky_tasks"] == 4
    assert row["diff"] == pytest.approx((6 * 1 + 4 * 0.5) / 10)
    assert row["diff_steady_tasks"] == pytest.approx(1.0)
    assert row["carried_by_flaky"] == pytest.approx(0.8 - 1.0)
    pass_row = next(r for r in report["comparisons"] if r["metric"] == "pass_rate" and r["variant"] == "v")
    assert pass_row["n_pairs"] == 10  # never dropped from the test
    assert "4 of 10 tasks whose repeats disagree" in render_report(report, "md")


def test_no_line_without_flaky_tasks():
    steady = frame()
    steady.loc[steady["arm"] == "v", "passed"] = True
    report = build_report(steady, run_id=1)
    assert report["flaky"][0]["flaky_tasks"] == 0
    assert "Flaky tasks" not in render_report(report, "md")

"""The pinned configuration (like the A/A copy) is a reference arm: it is reported but it is
never compared in a family nor chosen as the winner, however good it looks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tamma_tui.analysis.report import build_report


def trials(rates: dict[str, float], tasks: int = 60, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for arm, rate in rates.items():
        for t in range(tasks):
            passed = bool(rng.random() < rate)
            rows.append({"arm": arm, "task_id": f"t{t}", "context": "development", "repeat": 0,
                         "status": "ok", "passed": passed, "score": float(passed), "latency_s": 1.0,
                         "cost_usd": 0.001})
    return pd.DataFrame(rows)


def test_a_much_better_pinned_arm_never_wins():
    report = build_report(trials({"baseline": 0.3, "pinned": 0.95}), run_id=1)
    assert report["decision"]["winner"] is None
    assert not [r for r in report["comparisons"] if r["variant"] == "pinned"]
    assert "pinned" in [a["name"] for a in report["arms"]]


def test_a_real_variant_still_wins_beside_a_pinned_arm():
    report = build_report(trials({"baseline": 0.3, "pinned": 0.3, "better": 0.95}), run_id=1)
    assert report["decision"]["winner"] == "better"

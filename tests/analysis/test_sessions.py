"""Mixed sessions: position bands and the switching cost against the isolated twin."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from tamma_tui.analysis.sessions import position_profile, session_report, switching_cost


def _frame(seed: int = 0, tasks: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for t in range(tasks):
        iso = rng.uniform(0.5, 1.0)
        mixed = max(0.0, iso - 0.02 * t + rng.normal(0, 0.05))  # quality fades as history grows
        rows.append({"arm": "a@isolated", "task_id": f"t{t}", "status": "ok", "score": iso,
                     "passed": float(iso > 0.8), "session_position": np.nan, "context_utilization": 0.01})
        rows.append({"arm": "a", "task_id": f"t{t}", "status": "ok", "score": mixed,
                     "passed": float(mixed > 0.8), "session_position": float(t),
                     "context_utilization": 0.02 * (t + 1)})
    rows.append({"arm": "a", "task_id": "broken", "status": "error", "score": np.nan, "passed": np.nan,
                 "session_position": 0.0, "context_utilization": np.nan})
    return pd.DataFrame(rows)


def test_switching_cost_is_a_paired_t_against_the_isolated_twin():
    frame = _frame()
    cost = {c["metric"]: c for c in switching_cost(frame)}["score"]
    iso = frame[frame.arm == "a@isolated"].set_index("task_id")["score"]
    mixed = frame[(frame.arm == "a") & (frame.status == "ok")].set_index("task_id")["score"]
    ref = stats.ttest_rel(mixed[iso.index], iso)
    ci = ref.confidence_interval(0.95)
    assert cost["n_tasks"] == 20
    assert np.isclose(cost["diff"], (mixed[iso.index] - iso).mean())
    assert np.isclose(cost["p_value"], ref.pvalue)
    assert np.isclose(cost["ci_low"], ci.low) and np.isclose(cost["ci_high"], ci.high)
    assert cost["diff"] < 0


def test_positions_fall_into_at_most_six_bands_and_errors_are_left_out():
    bands = position_profile(_frame())
    assert len(bands) == 5  # 20 positions in bands of 4
    assert [(b["first"], b["last"]) for b in bands][:2] == [(0, 3), (4, 7)]
    assert sum(b["n"] for b in bands) == 20
    utils = [b["context_utilization"] for b in bands]
    assert utils == sorted(utils)


def test_runs_without_sessions_have_no_section():
    frame = _frame()
    frame["session_position"] = np.nan
    assert session_report(frame) is None

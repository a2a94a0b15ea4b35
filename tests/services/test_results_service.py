"""`show`'s per-arm numbers, including an arm whose every trial errored."""

from __future__ import annotations

import math

import pandas as pd

from tamma_tui.services.results import _fmt, arm_stats


def frame() -> pd.DataFrame:
    rows = [
        # arm, context, status, passed, score, latency, ttft, cost, util
        ("baseline", "testing", "ok", 1.0, 1.0, 1.0, 0.1, 0.01, 0.2),
        ("baseline", "testing", "ok", 0.0, 0.5, 3.0, 0.3, 0.01, 0.4),
        ("baseline", "development", "error", None, None, None, None, 0.0, None),
        ("broken", "testing", "error", None, None, None, None, 0.0, None),
        ("broken", "testing", "timeout", None, None, None, None, 0.0, None),
    ]
    cols = ["arm", "context", "status", "passed", "score", "latency_s", "ttft_s", "cost_usd",
            "context_utilization"]
    out = pd.DataFrame(rows, columns=cols)
    for c in ("arm", "context", "status"):
        out[c] = out[c].astype("category")
    return out


def test_arm_stats_headline_numbers_and_an_all_error_arm():
    stats = {(s.arm, s.context): s for s in arm_stats(frame(), ["baseline", "broken"], by_context=True)}
    base = stats[("baseline", "all")]
    assert (base.trials, base.errors) == (3, 1)
    assert base.pass_rate == 0.5 and base.mean_score == 0.75 and base.latency_p50 == 2.0
    assert math.isclose(base.cost_per_pass, 0.02) and base.util_peak == 0.4
    assert stats[("baseline", "development")].errors == 1
    broken = stats[("broken", "all")]
    assert (broken.trials, broken.errors, broken.error_rate) == (2, 2, 1.0)
    for value in (broken.pass_rate, broken.mean_score, broken.latency_p50, broken.latency_p95,
                  broken.ttft_mean, broken.cost_per_pass, broken.util_mean, broken.util_peak):
        assert math.isnan(value) and _fmt(value, ".2f") == "–"

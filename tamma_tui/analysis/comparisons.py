"""One comparison row: a variant against the baseline on one metric, paired by task.

Inputs are per-task means (NaN where an arm has no value for the task), so repeated
trials of a task are already one observation: the task is the unit of analysis.

Every row is tested with the sign-flip permutation test (`stats.permutation`); at one
trial per task on pass rate that is the exact McNemar test (mid-p on request) and the
interval is Newcombe's (bounded in [-1, 1]); otherwise the interval is a t interval on
the per-task differences, clipped to the metric's range, and *undefined* when the
differences have no spread (the row then cannot be significant).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tamma_tui.stats.effects import cohens_dz, hedges_gz
from tamma_tui.stats.paired import mcnemar_exact, wilcoxon_signed_rank
from tamma_tui.stats.permutation import describe, sign_flip_test

from .metrics import higher_is_better

#: Metrics whose values live in [0, 1] (differences in [-1, 1]).
BOUNDED = frozenset({"pass_rate", "score", "context_utilization"})


def num(value: Any) -> float | None:
    """A JSON-safe float: None for NaN, infinities and missing values."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def choose_test(metric: str, max_trials_per_task: int, midp: bool = False) -> str:
    if metric == "pass_rate" and max_trials_per_task <= 1:
        return "mcnemar_midp" if midp else "mcnemar_exact"
    return "sign_flip"


def compare(
    baseline: np.ndarray,
    variant: np.ndarray,
    *,
    metric: str,
    test: str,
    alpha: float,
    robustness: bool,
    seed: int = 0,
    n_resamples: int = 9_999,
) -> dict[str, Any]:
    """Row fields that depend on the paired per-task values (everything but names and
    the multiplicity adjustment, which needs the whole family)."""
    x = np.asarray(baseline, dtype=float)
    y = np.asarray(variant, dtype=float)
    n = int(x.size)
    diffs = y - x
    row: dict[str, Any] = {
        "n_pairs": n,
        "baseline_mean": num(x.mean()) if n else None,
        "variant_mean": num(y.mean()) if n else None,
        "diff": num(diffs.mean()) if n else None,
        "test": test,
    }
    if n == 0:  # nothing paired: no test, and no p-value in any family
        row.update(ci_low=None, ci_high=None, statistic=None, p_value=None, interval="undefined",
                   effect_size={"name": "risk_difference" if metric == "pass_rate" else "cohens_dz",
                                "value": None}, effect_sizes={})
        if robustness:
            row["robustness"] = {"wilcoxon": {"statistic": None, "p_value": None}}
        return row
    bounds = (-1.0, 1.0) if metric in BOUNDED else None
    result = sign_flip_test(diffs, midp=test == "mcnemar_midp", seed=seed, n_resamples=n_resamples,
                            bounds=bounds)
    extra: dict[str, Any] = describe(result)
    if test in ("mcnemar_exact", "mcnemar_midp"):
        xb, yb = x >= 0.5, y >= 0.5
        b = int(np.sum(xb & ~yb))
        c = int(np.sum(~xb & yb))
        mc = mcnemar_exact(b, c, n, alpha=alpha, both_pass=int(np.sum(xb & yb)))
        low, high = mc.ci_low, mc.ci_high
        effect = {"name": "risk_difference", "value": num(mc.estimate)}
        extra |= {"b": b, "c": c, "midp": num(mc.extra.get("midp")),
                  "odds_ratio": num(mc.extra.get("odds_ratio")),
                  "odds_ratio_ci": [num(v) for v in mc.extra.get("odds_ratio_ci", (None, None))],
                  "interval_method": "newcombe"}
        effects = {"risk_difference": effect["value"], "conditional_odds_ratio": extra["odds_ratio"]}
    else:
        low, high = result.confidence_interval(1 - alpha)
        extra["interval_method"] = "t_on_task_differences" + (", clipped" if bounds else "")
        if metric == "pass_rate":
            effect = {"name": "risk_difference", "value": num(result.estimate)}
            effects = {"risk_difference": effect["value"]}
        else:
            effect = {"name": "cohens_dz", "value": num(cohens_dz(diffs))}
            effects = {"cohens_dz": effect["value"], "hedges_gz": num(hedges_gz(diffs))}
    defined = num(low) is not None and num(high) is not None and high > low
    row.update(
        ci_low=num(low) if defined else None,
        ci_high=num(high) if defined else None,
        statistic=num(result.statistic),
        p_value=num(result.pvalue),
        effect_size=effect,
        interval="defined" if defined else "undefined",
    )
    if robustness:
        small_tied = n <= 13 and _has_zeros_or_ties(diffs)
        wil = wilcoxon_signed_rank(x, y, method="asymptotic" if small_tied else "auto")
        effects["rank_biserial"] = num(wil.extra.get("rank_biserial"))
        row["robustness"] = {
            "wilcoxon": {"statistic": num(wil.statistic), "p_value": num(wil.p_value)},
        }
    row["effect_sizes"] = effects
    row["test_details"] = extra
    return row


def _has_zeros_or_ties(diffs: np.ndarray) -> bool:
    nonzero = np.abs(diffs[diffs != 0])
    return nonzero.size < diffs.size or np.unique(nonzero).size < nonzero.size


def direction(metric: str, diff: float | None, significant: bool) -> str:
    """better | worse | none, from the variant's point of view."""
    if not significant or diff is None or diff == 0:
        return "none"
    improved = diff > 0 if higher_is_better(metric) else diff < 0
    return "better" if improved else "worse"

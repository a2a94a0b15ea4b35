"""One comparison row: a variant against the baseline on one metric, paired by task.

Inputs are per-task means (NaN where an arm has no value for the task), so repeated
trials of a task are already one observation: the task is the unit of analysis.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tamma_tui.stats.effects import cohens_dz, hedges_gz
from tamma_tui.stats.paired import mcnemar_exact, paired_t, wilcoxon_signed_rank

from .metrics import higher_is_better


def num(value: Any) -> float | None:
    """A JSON-safe float: None for NaN, infinities and missing values."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def choose_test(metric: str, max_trials_per_task: int) -> str:
    if metric != "pass_rate":
        return "paired_t"
    return "mcnemar_exact" if max_trials_per_task <= 1 else "paired_t_cluster"


def compare(
    baseline: np.ndarray,
    variant: np.ndarray,
    *,
    metric: str,
    test: str,
    alpha: float,
    robustness: bool,
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
    extra: dict[str, Any] = {}
    if n == 0:  # nothing paired: no test, and no p-value in the correction family
        row.update(ci_low=None, ci_high=None, statistic=None, p_value=None,
                   effect_size={"name": "risk_difference" if metric == "pass_rate" else "cohens_dz",
                                "value": None}, effect_sizes={})
        if robustness:
            row["robustness"] = {"wilcoxon": {"statistic": None, "p_value": None}}
        return row
    if test == "mcnemar_exact":
        xb, yb = x >= 0.5, y >= 0.5
        b = int(np.sum(xb & ~yb))
        c = int(np.sum(~xb & yb))
        result = mcnemar_exact(b, c, n, alpha=alpha, both_pass=int(np.sum(xb & yb)))
        effect = {"name": "risk_difference", "value": num(result.estimate)}
        extra = {
            "b": b,
            "c": c,
            "midp": num(result.extra.get("midp")),
            "odds_ratio": num(result.extra.get("odds_ratio")),
            "odds_ratio_ci": [num(v) for v in result.extra.get("odds_ratio_ci", (None, None))],
            "wald_ci": [num(v) for v in result.extra.get("wald_ci", (None, None))],
        }
        effects = {"risk_difference": effect["value"], "conditional_odds_ratio": extra["odds_ratio"]}
    else:
        result = paired_t(x, y, alpha=alpha)
        if result.df is not None:
            extra["df"] = result.df
        if metric == "pass_rate":
            effect = {"name": "risk_difference", "value": num(result.estimate)}
            effects = {"risk_difference": effect["value"]}
        else:
            effect = {"name": "cohens_dz", "value": num(cohens_dz(diffs))}
            effects = {
                "cohens_dz": effect["value"],
                "hedges_gz": num(hedges_gz(diffs)),
            }
    row.update(
        ci_low=num(result.ci_low),
        ci_high=num(result.ci_high),
        statistic=num(result.statistic),
        p_value=num(result.p_value),
        effect_size=effect,
    )
    if robustness:
        # scipy's "auto" runs a permutation test for <= 13 pairs with ties or zeros (up to a
        # second per row); the normal approximation is enough for a robustness check there.
        small_tied = n <= 13 and _has_zeros_or_ties(diffs)
        wil = wilcoxon_signed_rank(x, y, method="asymptotic" if small_tied else "auto")
        effects["rank_biserial"] = num(wil.extra.get("rank_biserial"))
        row["robustness"] = {
            "wilcoxon": {"statistic": num(wil.statistic), "p_value": num(wil.p_value)},
        }
    row["effect_sizes"] = effects
    if extra:
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

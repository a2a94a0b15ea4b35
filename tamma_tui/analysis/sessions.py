"""Context-switching sessions: quality and context use by position in the conversation.

In a ``session: mixed`` run each arm walks tasks from the three contexts in one multi-turn
conversation, and its twin ``<arm>@isolated`` runs the same tasks one per conversation.
Position tells how quality holds up as the history fills the context window; the twin says
what switching contexts costs, paired by task.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from tamma_tui.stats import paired_t

from .comparisons import num

ISOLATED_SUFFIX = "@isolated"


def position_profile(trials: pd.DataFrame, *, max_bands: int = 6) -> list[dict[str, Any]]:
    """Per arm and band of session positions (at most ``max_bands`` equal bands, so a long
    session still reads at a glance): n, pass rate, mean score, mean context utilisation."""
    ok = trials[(trials["status"] == "ok") & trials["session_position"].notna()]
    if ok.empty:
        return []
    position = ok["session_position"].astype(int)
    width = max(1, -(-(int(position.max()) + 1) // max_bands))  # ceiling division
    band = position // width
    grouped = (
        ok.assign(band=band, arm_name=ok["arm"].astype(str))
        .groupby(["arm_name", "band"])
        .agg(n=("passed", "size"), pass_rate=("passed", "mean"), score=("score", "mean"),
             context_utilization=("context_utilization", "mean"))
        .reset_index()
    )
    return [
        {"arm": r.arm_name, "first": int(r.band * width), "last": int(r.band * width + width - 1),
         "n": int(r.n), "pass_rate": num(r.pass_rate), "score": num(r.score),
         "context_utilization": num(r.context_utilization)}
        for r in grouped.itertuples(index=False)
    ]


def switching_cost(trials: pd.DataFrame, *, alpha: float = 0.05) -> list[dict[str, Any]]:
    """Each mixed arm against its isolated twin on the same tasks (paired t on task means)."""
    ok = trials[trials["status"] == "ok"]
    arms = set(ok["arm"].astype(str))
    out = []
    for twin in sorted(a for a in arms if a.endswith(ISOLATED_SUFFIX)):
        mixed = twin.removesuffix(ISOLATED_SUFFIX)
        if mixed not in arms:
            continue
        for metric, column in (("score", "score"), ("pass_rate", "passed")):
            means = (
                ok[ok["arm"].isin([mixed, twin])]
                .groupby([ok["task_id"].astype(str), ok["arm"].astype(str)])[column]
                .mean()
                .unstack()
                .dropna()
            )
            if len(means) < 2:
                continue
            result = paired_t(means[twin].to_numpy(), means[mixed].to_numpy(), alpha=alpha)
            out.append({
                "arm": mixed, "metric": metric, "n_tasks": int(len(means)),
                "isolated_mean": float(means[twin].mean()), "mixed_mean": float(means[mixed].mean()),
                "diff": num(result.estimate), "ci_low": num(result.ci_low),
                "ci_high": num(result.ci_high), "p_value": num(result.p_value),
            })
    return out


def session_report(trials: pd.DataFrame, *, alpha: float = 0.05) -> dict[str, Any] | None:
    """The ``sessions`` section of a report, or None for a run without sessions."""
    if "session_position" not in trials or not trials["session_position"].notna().any():
        return None
    return {"by_position": position_profile(trials), "switching_cost": switching_cost(trials, alpha=alpha)}

"""Baseline history pooling (``analysis.pool_baseline_history: true``).

Earlier runs of the *same* baseline configuration (same config hash) on the same suite
(and suite version once the store records it) are extra baseline trials for the tasks
they share with this run, behind a drift test: the per-task pass-rate difference between
the history and the current baseline must not be significant (sign-flip test at alpha;
Viele et al. 2014 on borrowing historical controls). With drift, nothing is pooled and
the report says why. The trials join the baseline arm as extra repeats, so the task stays
the unit; the report states the effective tasks gained: how many more tasks at the
current trials per task would give the same variance of the baseline's mean.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from tamma_tui.stats.permutation import sign_flip_test

from .cube import build_cube


def pool_baseline_history(engine, run, frame: pd.DataFrame, arms: Sequence[dict[str, Any]], *,
                          alpha: float = 0.05, metric: str = "pass_rate") -> tuple[pd.DataFrame, dict]:
    from tamma_tui.store import queries

    base = next((a for a in arms if a.get("baseline")), None)
    info: dict[str, Any] = {"pooled": False, "runs": [], "extra_trials": 0, "effective_tasks_gained": 0.0}
    if base is None or not base.get("config_sha256"):
        info["reason"] = "the baseline has no stored configuration hash"
        return frame, info
    sources = queries.baseline_history_runs(engine, config_sha256=base["config_sha256"], suite=run.suite,
                                            exclude_run=run.id,
                                            suite_version=getattr(run, "suite_version", None) or None)
    if not sources:
        info["reason"] = "no earlier run of this configuration on this suite"
        return frame, info
    columns = list(frame.columns)
    parts = []
    for run_id, arm in sources:
        old = queries.load_trials_frame(engine, run_id, columns=columns)
        old = old[old["arm"].astype(str) == arm]
        parts.append(old.astype({"arm": object}).assign(arm=base["name"]))
    history = pd.concat(parts, ignore_index=True) if parts else frame.iloc[:0]
    tasks_now = set(frame.loc[frame["arm"].astype(str) == base["name"], "task_id"].astype(str))
    history = history[history["task_id"].astype(str).isin(tasks_now)]
    info["runs"] = [r for r, _ in sources]
    if history.empty:
        info["reason"] = "the earlier runs share no tasks with this run"
        return frame, info
    current = frame[frame["arm"].astype(str) == base["name"]].astype({"arm": object})
    both = pd.concat([current.assign(arm="now"), history.assign(arm="history")], ignore_index=True)
    cube = build_cube(both, ["now", "history"], metrics=(metric,))
    paired = (cube.counts[0, :, 0] > 0) & (cube.counts[1, :, 0] > 0)
    d = cube.means[1, paired, 0] - cube.means[0, paired, 0]
    drift = sign_flip_test(d, seed=int(run.id or 0))
    info["drift_test"] = {"metric": metric, "n_tasks": int(paired.sum()),
                          "diff": float(d.mean()) if d.size else None, "p_value": drift.pvalue}
    if drift.pvalue < alpha:
        info["reason"] = (f"drift: the history's {metric} differs from this run's baseline "
                          f"(p={drift.pvalue:.3g}); nothing pooled")
        return frame, info
    offset = int(frame["repeat"].max()) + 1 if "repeat" in frame.columns and len(frame) else 0
    if "repeat" in history.columns:
        history = history.assign(repeat=history["repeat"].astype("int64") + offset)
    k_now = max(len(current) / max(len(tasks_now), 1), 1.0)
    k_after = (len(current) + len(history)) / max(len(tasks_now), 1)
    # Var(task mean) = s_b^2 + s_w^2 / K: with the ICC, the gain in precision in task units.
    icc = _icc(cube)
    before = icc + (1 - icc) / k_now
    after = icc + (1 - icc) / k_after
    info.update(pooled=True, extra_trials=int(len(history)),
                effective_tasks_gained=float(len(tasks_now) * (before / after - 1)),
                reason="no drift detected: history pooled into the baseline")
    merged = pd.concat([frame.astype({"arm": object}), history], ignore_index=True)
    return merged, info


def _icc(cube) -> float:
    counts, sums = cube.counts[0, :, 0], cube.sums[0, :, 0]
    sq = cube.sumsq[0, :, 0]
    has = counts > 1
    if has.sum() < 2:
        return 1.0
    means = sums[has] / counts[has]
    within = float(np.sum(sq[has] - sums[has] * means) / np.sum(counts[has] - 1))
    between = max(float(np.var(means, ddof=1)) - within / float(counts[has].mean()), 0.0)
    return between / (between + within) if between + within > 0 else 1.0

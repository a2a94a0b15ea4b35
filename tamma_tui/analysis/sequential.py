"""Sequential A/B monitoring with an always-valid confidence sequence on the primary metric.

After each block of finished tasks the engine calls `SequentialMonitor.look`. A look
takes the tasks complete in every arm (all their trials stored), in the order they
completed (a task's last stored trial), and per variant feeds the per-task differences,
oriented so that larger is an improvement, to the betting confidence sequence of
`stats.sequential.betting_confidence_sequence`. That sequence is valid at every task,
so stopping at any look keeps the error rates whatever the number of looks.

- tau (the bet scale) is the MDE in the metric's units: points for pass rate, score and
  context use; for the other metrics ``mde`` is a fraction of the baseline's mean.
- A variant stops as better (lower bound > 0), worse (upper bound < 0) or futile (upper
  bound < MDE: an improvement of the planned size is ruled out). Several variants share
  alpha (Bonferroni), which stays valid for confidence sequences.
- At stopping the estimate and interval come from the sequence (not from a fixed-horizon
  test, which optional stopping biases), and every look is stored (`repo.record_look`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tamma_tui.config.models import AnalysisPlan, SequentialPlan
from tamma_tui.stats.sequential import betting_confidence_sequence, sequential_decisions
from tamma_tui.vocabulary import QUALITY_METRICS

from .cube import build_cube
from .metrics import SOURCE_COLUMN, higher_is_better

#: Points (absolute) for bounded metrics; a fraction of the baseline mean for the others.
ABSOLUTE_MDE = frozenset(QUALITY_METRICS | {"context_utilization"})
DEFAULT_MDE = 0.1


def tau_in_units(metric: str, mde: float | None, baseline_mean: float | None) -> float:
    """The MDE in the metric's own units (what the bets and the futility bound use)."""
    mde = DEFAULT_MDE if mde is None else float(mde)
    if metric in ABSOLUTE_MDE:
        return mde
    if baseline_mean is None or not math.isfinite(baseline_mean) or baseline_mean == 0:
        return mde
    return mde * abs(baseline_mean)


def analyse_stream(diffs: np.ndarray, *, metric: str, tau: float, alpha: float) -> dict[str, Any]:
    """The confidence sequence after the last difference (metric orientation)."""
    d = np.asarray(diffs, dtype=float)
    sign = 1.0 if higher_is_better(metric) else -1.0
    n = int(np.sum(~np.isnan(d)))
    info: dict[str, Any] = {"n_pairs": n, "diff": float(np.nanmean(d)) if n else None, "tau": tau}
    if n == 0:
        return info | {"state": "continue", "ci_low": None, "ci_high": None, "estimate": None}
    cs = betting_confidence_sequence(sign * d, tau=tau, alpha=alpha)
    state = str(sequential_decisions(cs, mde=tau)[-1])
    low, high = float(cs.low[-1]), float(cs.high[-1])
    est = float(cs.estimate[-1])
    if sign < 0:
        low, high, est = -high, -low, -est
    e_up, e_down = float(np.max(cs.log_e_up)), float(np.max(cs.log_e_down))
    p = min(1.0, 1 / (0.8 * math.exp(min(e_up, 700))), 1 / (0.2 * math.exp(min(e_down, 700))))
    return info | {"state": state, "estimate": est, "decided": state != "continue",
                   "direction": state if state in ("better", "worse") else "none",
                   "ci_low": low if math.isfinite(low) else None,
                   "ci_high": high if math.isfinite(high) else None,
                   "p_value": p}


class SequentialMonitor:
    """Interim analyses of one sequential run; each `look` is stored."""

    def __init__(self, engine, run_id: int, *, plan: AnalysisPlan, sequential: SequentialPlan,
                 baseline: str = "baseline") -> None:
        self.engine = engine
        self.run_id = int(run_id)
        self.plan = plan
        self.sequential = sequential
        self.baseline = baseline

    def look(self, n_tasks_done: int) -> str:
        """continue | stop_winner | stop_futile | stop_max (and a stored look)."""
        from tamma_tui.store import queries, repo

        metric = self.plan.primary_metric
        run = repo.get_run(self.engine, self.run_id)
        stored_arms = repo.run_arms(self.engine, self.run_id)
        arms = [a.name for a in stored_arms]
        baseline = next((a.name for a in stored_arms if a.is_baseline),
                        self.baseline if self.baseline in arms or not arms else arms[0])
        columns = ["id", "arm", "task_id", "context", "repeat", "status", SOURCE_COLUMN[metric]]
        frame = queries.load_trials_frame(self.engine, self.run_id, columns=columns)
        results = stream_results(frame, arms, baseline, metric=metric,
                                 trials_per_task=max(run.trials_per_task, 1), plan=self.plan,
                                 sequential=self.sequential)
        decision = self._decide(results, n_tasks_done)
        repo.record_look(self.engine, self.run_id, n_tasks=n_tasks_done, metric=metric,
                         results=results, decision=decision)
        return decision

    def _decide(self, results: dict[str, dict[str, Any]], n_tasks_done: int) -> str:
        states = [r["state"] for r in results.values()]
        if states and all(s != "continue" for s in states):
            return "stop_winner" if any(s == "better" for s in states) else "stop_futile"
        cap = self.sequential.max_tasks
        if cap is not None and n_tasks_done >= cap:
            return "stop_max"
        return "continue"


def stream_results(frame, arms: list[str], baseline: str, *, metric: str, trials_per_task: int,
                   plan: AnalysisPlan, sequential: SequentialPlan) -> dict[str, dict[str, Any]]:
    """Per variant (A/A arm excluded): the confidence sequence over the complete tasks."""
    from .report import AA_ARM

    cube = build_cube(frame, arms, metrics=(metric,))
    complete = np.all(cube.trials >= trials_per_task, axis=0)
    # completion order: a task's last stored trial (trial ids grow as trials are stored)
    last_id = (frame.groupby(frame["task_id"].astype(str), observed=True)["id"].max()
               if "id" in frame.columns and len(frame) else None)
    ids = np.array([str(t) for t in cube.task_ids], dtype=object)
    order_key = (last_id.reindex(ids).to_numpy(dtype=float) if last_id is not None
                 else np.arange(ids.size, dtype=float))
    order = np.lexsort((ids, order_key))
    order = order[complete[order]]
    means = cube.means[:, :, 0]
    b = arms.index(baseline) if baseline in arms else 0
    variants = [a for a in arms if a not in (baseline, AA_ARM)]
    base_values = means[b, order]
    base_mean = float(np.nanmean(base_values)) if np.isfinite(base_values).any() else None
    tau = sequential.tau or tau_in_units(metric, plan.mde, base_mean)
    alpha = plan.alpha / max(len(variants), 1)
    results: dict[str, dict[str, Any]] = {}
    for name in variants:
        v = arms.index(name)
        d = means[v, order] - means[b, order]
        results[name] = analyse_stream(d, metric=metric, tau=tau, alpha=alpha)
        results[name]["alpha"] = alpha
    return results


def stored_looks(engine, run_id: int) -> list[dict[str, Any]]:
    """Every look of a run, oldest first, as plain dicts for reports."""
    from tamma_tui.store import repo

    return repo.sequential_looks(engine, run_id)


def decide_from_sequence(report: dict[str, Any], looks: list[dict[str, Any]]) -> None:
    """A sequential run's decision, estimate and interval come from the confidence sequence
    at the last look (fixed-horizon tests after optional stopping are biased); guardrails
    and the missingness check still apply. Changes ``report["decision"]`` in place."""
    if not looks:
        return
    last = looks[-1]
    results = last.get("results") or {}
    if not any("state" in r for r in results.values()):
        return  # looks stored by the v1 monitor: keep the fixed-horizon decision
    d = report["decision"]
    metric = last.get("metric", d.get("primary_metric"))
    failed_guards = {g["variant"] for g in d.get("guardrails", []) if not g.get("non_inferior")}
    better = [(name, r) for name, r in results.items() if r.get("state") == "better"]
    reasons = [f"Sequential run: {len(looks)} look(s), the last after {last['n_tasks']} tasks "
               f"({last['decision']}); the decision, estimate and interval below come from the "
               "always-valid confidence sequence at that look."]
    for name, r in results.items():
        reasons.append(f"{name}: {metric} estimate {r.get('estimate')} with confidence sequence "
                       f"[{r.get('ci_low')}, {r.get('ci_high')}] at alpha {r.get('alpha')}: {r.get('state')}.")
    winner = None
    candidates = [(n, r) for n, r in better if n not in failed_guards]
    if d.get("blocked"):
        reasons.append("The missingness check blocks the decision.")
    elif candidates:
        sign = 1.0 if higher_is_better(metric) else -1.0
        winner = max(candidates, key=lambda c: sign * (c[1].get("estimate") or 0.0))[0]
        reasons.append(f"Winner: {winner}.")
    else:
        reasons.append("No variant is better by the confidence sequence (and its guardrails): keep the baseline.")
    d["fixed_horizon_winner"] = d.get("winner")
    d["winner"] = winner
    d["basis"] = "confidence_sequence"
    d["sequential"] = {"look": last["look"], "n_tasks": last["n_tasks"], "results": results}
    d["reasons"] = [*reasons, "For reference, the fixed-horizon analysis said:", *d["reasons"]]

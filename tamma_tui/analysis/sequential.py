"""Sequential A/B monitoring with always-valid (mSPRT) p-values on the primary metric.

After each block of finished tasks the engine calls `SequentialMonitor.look`. A look uses
the tasks complete in every arm (all their trials stored), pairs them by task and, per
variant, computes the normal-mixture likelihood ratio of the per-task mean differences
(`stats.sequential.msprt_log_lr`). The always-valid p-value is the running minimum of
1 / Lambda over the looks so far (the previous looks' values are read back from the
store), so stopping at the first look with p < alpha keeps the type I error at most alpha
however many looks are taken. sigma is the sample sd of the differences (a plug-in, so no
decision is made before MIN_PAIRS pairs); the p-values of the variants are adjusted with
the plan's correction (Holm / BH) before deciding.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from tamma_tui.config.models import AnalysisPlan, SequentialPlan
from tamma_tui.stats.multiple import adjust
from tamma_tui.stats.sequential import msprt_log_lr
from tamma_tui.store.models import SequentialLook

from .comparisons import direction
from .cube import build_cube
from .metrics import SOURCE_COLUMN

MIN_PAIRS = 10
#: Mixing scale when neither sequential.tau nor analysis.mde is set: 10 points of pass
#: rate, or half a standard deviation of the differences for other metrics.
DEFAULT_TAU_PASS_RATE = 0.1
DEFAULT_TAU_SD_FRACTION = 0.5


def always_valid_p(diffs: np.ndarray, *, tau: float | None, previous: float = 1.0,
                   min_pairs: int = MIN_PAIRS, metric: str = "pass_rate") -> tuple[float, dict[str, Any]]:
    """This look's always-valid p-value: min(previous, 1 / Lambda_n) on all pairs so far."""
    d = np.asarray(diffs, dtype=float)
    d = d[~np.isnan(d)]
    n = int(d.size)
    info: dict[str, Any] = {"n_pairs": n, "diff": float(d.mean()) if n else None}
    if n < max(min_pairs, 2):
        return float(previous), info | {"p_look": 1.0}
    var = float(d.var(ddof=1))
    if tau is None:
        tau = DEFAULT_TAU_PASS_RATE if metric == "pass_rate" else DEFAULT_TAU_SD_FRACTION * math.sqrt(var)
    if not tau > 0:  # constant zero differences and no scale: nothing to detect
        return float(previous), info | {"p_look": 1.0, "sigma": 0.0}
    log_lr = float(msprt_log_lr(np.array([n]), np.array([d.mean()]), np.array([var]), tau)[0])
    p_look = math.exp(-max(log_lr, 0.0))
    info |= {"p_look": p_look, "sigma": math.sqrt(var), "tau": tau}
    return min(float(previous), p_look), info


class SequentialMonitor:
    """Interim analyses of one sequential run; each `look` is stored as a SequentialLook."""

    def __init__(self, engine: Engine, run_id: int, *, plan: AnalysisPlan, sequential: SequentialPlan,
                 baseline: str = "baseline") -> None:
        self.engine = engine
        self.run_id = int(run_id)
        self.plan = plan
        self.sequential = sequential
        self.baseline = baseline

    @property
    def tau(self) -> float | None:
        return self.sequential.tau or self.plan.mde

    def look(self, n_tasks_done: int) -> str:
        """continue | stop_winner | stop_futile | stop_max (and a stored SequentialLook)."""
        from tamma_tui.store import queries, repo

        metric = self.plan.primary_metric
        run = repo.get_run(self.engine, self.run_id)
        stored_arms = repo.run_arms(self.engine, self.run_id)
        arms = [a.name for a in stored_arms]
        baseline = next((a.name for a in stored_arms if a.is_baseline),
                        self.baseline if self.baseline in arms or not arms else arms[0])
        columns = ["arm", "task_id", "context", "status", SOURCE_COLUMN[metric]]
        frame = queries.load_trials_frame(self.engine, self.run_id, columns=columns)
        cube = build_cube(frame, arms, metrics=(metric,))
        complete = np.all(cube.trials >= max(run.trials_per_task, 1), axis=0)
        means = cube.means[:, :, 0]
        b = arms.index(baseline) if baseline in arms else 0

        previous, number = self._previous()
        variants = [a for a in arms if a != baseline]
        results: dict[str, dict[str, Any]] = {}
        for name in variants:
            v = arms.index(name)
            d = np.where(complete, means[v] - means[b], np.nan)
            p, info = always_valid_p(d, tau=self.tau, previous=previous.get(name, 1.0), metric=metric)
            results[name] = info | {"p_value": p}
        decision = self._decide(results, n_tasks_done, metric)
        with Session(self.engine) as session:
            session.add(SequentialLook(
                run_id=self.run_id, look=number, n_tasks=int(n_tasks_done), metric=metric,
                results_json=json.dumps(results, sort_keys=True), decision=decision))
            session.commit()
        return decision

    def _previous(self) -> tuple[dict[str, float], int]:
        """The running always-valid p per variant from stored looks, and this look's number."""
        with Session(self.engine) as session:
            rows = _looks_in_order(session, self.run_id)
            best: dict[str, float] = {}
            for row in rows:
                for name, info in json.loads(row.results_json).items():
                    p = info.get("p_value")
                    if p is not None:
                        best[name] = min(best.get(name, 1.0), float(p))
            return best, (rows[-1].look + 1 if rows else 1)

    def _decide(self, results: dict[str, dict[str, Any]], n_tasks_done: int, metric: str) -> str:
        names = list(results)
        if names:
            adjusted = adjust([results[n]["p_value"] for n in names], self.plan.correction)
            for name, p_adj in zip(names, adjusted):
                decided = bool(p_adj < self.plan.alpha)
                results[name] |= {"p_adjusted": float(p_adj), "decided": decided,
                                  "direction": direction(metric, results[name]["diff"], decided)}
            if all(results[n]["decided"] for n in names):
                return "stop_winner" if any(results[n]["direction"] == "better" for n in names) \
                    else "stop_futile"
        cap = self.sequential.max_tasks
        if cap is not None and n_tasks_done >= cap:
            return "stop_max"
        return "continue"


def stored_looks(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    """Every look of a run, oldest first, as plain dicts for reports."""
    with Session(engine) as session:
        return [{"look": r.look, "n_tasks": r.n_tasks, "metric": r.metric, "decision": r.decision,
                 "results": json.loads(r.results_json),
                 "at": r.created_at.isoformat(timespec="seconds") if r.created_at else None}
                for r in _looks_in_order(session, int(run_id))]


def _looks_in_order(session: Session, run_id: int) -> list[SequentialLook]:
    return list(session.exec(select(SequentialLook).where(SequentialLook.run_id == run_id)
                             .order_by(SequentialLook.look)).all())

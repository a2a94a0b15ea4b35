"""Helpers for the analysis tests: hand-made trial frames and runs stored in a real SQLite file."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlmodel import Session

from tamma_tui.store import repo

CONTEXTS = ("development", "code_review", "testing")


def make_trials(arm_effects: dict[str, float], *, n_tasks: int = 40, repeats: int = 1, seed: int = 0,
                base_rate: float = 0.55, cost: dict[str, float] | None = None) -> pd.DataFrame:
    """Trials for every arm on the same tasks; tasks differ in difficulty (paired data)."""
    rng = np.random.default_rng(seed)
    ease = rng.normal(0, 1.0, n_tasks)
    rows = []
    for arm, lift in arm_effects.items():
        for t in range(n_tasks):
            for r in range(repeats):
                logit = np.log(base_rate / (1 - base_rate)) + ease[t] + lift
                passed = float(rng.random() < 1 / (1 + np.exp(-logit)))
                latency = float(rng.lognormal(1.0 + ease[t] * 0.1, 0.3))
                rows.append({
                    "arm": arm, "task_id": f"task-{t:03d}", "context": CONTEXTS[t % 3],
                    "repeat": r, "status": "ok", "passed": passed,
                    "score": float(np.clip(0.6 * passed + rng.random() * 0.4, 0, 1)),
                    "latency_s": latency, "ttft_s": latency / 5,
                    "cost_usd": (cost or {}).get(arm, 0.001) * (1 + 0.1 * rng.random()),
                    "prompt_tokens": float(rng.integers(800, 1200)),
                    "completion_tokens": float(rng.integers(100, 400)),
                    "context_utilization": float(rng.random() * 0.3),
                })
    return pd.DataFrame(rows)


def store_run(engine, frame: pd.DataFrame, *, arms: list[str], trials_per_task: int = 1,
              analysis: dict | None = None, kind: str = "experiment") -> int:
    """A run with these trials, written with the store's own repository functions."""
    with Session(engine) as session:
        run_id = repo.create_run(session, name="test-run", kind=kind, trials_per_task=trials_per_task,
                                 arms=[(a, i == 0, None) for i, a in enumerate(arms)],
                                 analysis=analysis, status="completed")
        session.commit()
    rows = []
    for rec in frame.to_dict("records"):
        row = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in rec.items()}
        if row.get("passed") is not None:
            row["passed"] = bool(row["passed"])
        for col in ("prompt_tokens", "completion_tokens"):
            if row.get(col) is not None:
                row[col] = int(row[col])
        row["run_id"] = run_id
        rows.append(row)
    repo.insert_trials(engine, rows)
    return run_id

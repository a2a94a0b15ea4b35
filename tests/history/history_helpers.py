"""Synthetic histories in a real SQLite file: runs of an agent whose task outcomes come from
fixed task difficulties plus a level (a config or a provider shift) chosen per run."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from sqlmodel import Session

from tamma_tui.store import repo
from tamma_tui.store.db import open_database
from tamma_tui.store.models import ConfigVersion

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


def new_db(tmp_path: Path):
    return open_database(tmp_path / "history.db")


def config(engine, agent_id: str, version: int) -> str:
    sha = hashlib.sha256(f"{agent_id}/{version}".encode()).hexdigest()
    with Session(engine) as session:
        if session.get(ConfigVersion, sha) is None:
            session.add(ConfigVersion(sha256=sha, agent_id=agent_id, name=agent_id, version=str(version),
                                      provider="simulated", model="sim-medium", canonical_yaml="x: 1\n",
                                      created_at=T0))
            session.commit()
    return sha


def add_run(engine, *, day: float, arms: list[tuple[str, str | None, float]], n_tasks: int = 40, repeats: int = 1,
            seed: int = 0, contexts=("development",), kind: str = "experiment", analysis: dict | None = None,
            latency: float = 1.0, suite_version: str = "v1") -> int:
    """One run; ``arms``: (name, config sha, logit shift). Task difficulty is fixed across runs."""
    rng = np.random.default_rng(seed)
    base = np.random.default_rng(12345).normal(0.3, 1.2, size=n_tasks)  # the same tasks every run
    with Session(engine) as session:
        run_id = repo.create_run(session, name=f"run-{day}", arms=[(n, i == 0, sha) for i, (n, sha, _) in enumerate(arms)],
                                 kind=kind, status="completed", contexts=contexts, trials_per_task=repeats,
                                 suite="synthetic", suite_version=suite_version, analysis=analysis or {})
        session.commit()
    rows = []
    for name, sha, shift in arms:
        for k in range(n_tasks):
            p = 1 / (1 + np.exp(-(base[k] + shift)))
            for rep in range(repeats):
                rows.append({"run_id": run_id, "arm": name, "task_id": f"t{k:03d}", "context": contexts[k % len(contexts)],
                             "repeat": rep, "status": "ok", "passed": bool(rng.random() < p), "score": None,
                             "latency_s": float(latency * np.exp(rng.normal(0, 0.1))), "cost_usd": 0.001,
                             "config_sha256": sha})
    repo.insert_trials(engine, rows)
    repo.update_run(engine, run_id, created_at=T0 + timedelta(days=day))
    return run_id

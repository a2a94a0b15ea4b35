"""Tables and queries of the optimise room: tune studies, their candidates, and the
search-gain vs confirmed-gain record per optimiser (the validation framework).

Optuna keeps its own tables (``studies``, ``trials``, ... and its own ``alembic_version``)
in the same database through its RDB storage; these tables are ours and link to its study
by name.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Column, Text, select
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class TuneStudy(SQLModel, table=True):
    __tablename__ = "tune_study"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)   # also the Optuna study name
    spec_path: str = ""
    spec_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    optimiser: str = ""                          # tpe | nsga2
    status: str = "running"                      # running | searched | confirmed | failed_confirmation | cancelled
    tuning_tasks_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    heldout_tasks_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    canary_tasks_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    spent_usd: float = 0.0
    spent_trials: int = 0
    winner_candidate: int | None = None
    confirmation_run_id: int | None = None
    result_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)


class TuneCandidate(SQLModel, table=True):
    __tablename__ = "tune_candidate"
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="tune_study.id", index=True)
    number: int                                  # the Optuna trial number
    params_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    status: str = "running"                      # running | complete | pruned
    tasks_used: int = 0
    run_ids_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    metrics_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    prune_reason: str = ""
    created_at: datetime = Field(default_factory=_now)


class OptimiserCalibration(SQLModel, table=True):
    """One confirmed (or failed) search: what the search said vs what held-out tasks said."""

    __tablename__ = "optimiser_calibration"
    id: int | None = Field(default=None, primary_key=True)
    study_id: int = Field(foreign_key="tune_study.id", index=True)
    optimiser: str
    metric: str
    search_gain: float
    confirmed_gain: float | None = None
    confirmed: bool = False
    created_at: datetime = Field(default_factory=_now)


def get_study(engine: Engine, name: str) -> TuneStudy | None:
    with Session(engine) as s:
        row = s.execute(select(TuneStudy).where(TuneStudy.name == name)).scalars().first()
        if row is not None:
            s.expunge(row)
        return row


def create_study(engine: Engine, **fields: Any) -> int:
    with Session(engine) as s:
        row = TuneStudy(**fields)
        s.add(row)
        s.commit()
        return int(row.id)


def update_study(engine: Engine, study_id: int, **fields: Any) -> None:
    with Session(engine) as s:
        row = s.get(TuneStudy, study_id)
        for k, v in fields.items():
            setattr(row, k, v)
        row.updated_at = _now()
        s.add(row)
        s.commit()


def save_candidate(engine: Engine, study_id: int, number: int, *, params: dict, status: str,
                   tasks_used: int, run_ids: list[int], metrics: dict, prune_reason: str = "") -> None:
    """Insert or replace the bookkeeping of one candidate (keyed by study and number)."""
    with Session(engine) as s:
        row = s.execute(select(TuneCandidate).where(TuneCandidate.study_id == study_id,
                                                    TuneCandidate.number == number)).scalars().first()
        row = row or TuneCandidate(study_id=study_id, number=number)
        row.params_json = json.dumps(params, sort_keys=True)
        row.status, row.tasks_used, row.prune_reason = status, tasks_used, prune_reason
        row.run_ids_json = json.dumps(run_ids)
        row.metrics_json = json.dumps(metrics, sort_keys=True)
        s.add(row)
        s.commit()


def candidates(engine: Engine, study_id: int) -> list[dict[str, Any]]:
    with Session(engine) as s:
        rows = s.execute(select(TuneCandidate).where(TuneCandidate.study_id == study_id)
                         .order_by(TuneCandidate.number)).scalars().all()
        return [{"number": r.number, "params": json.loads(r.params_json), "status": r.status,
                 "tasks_used": r.tasks_used, "run_ids": json.loads(r.run_ids_json),
                 "metrics": json.loads(r.metrics_json), "prune_reason": r.prune_reason} for r in rows]


def record_calibration(engine: Engine, study_id: int, optimiser: str, metric: str, search_gain: float,
                       confirmed_gain: float | None, confirmed: bool) -> None:
    with Session(engine) as s:
        s.add(OptimiserCalibration(study_id=study_id, optimiser=optimiser, metric=metric,
                                   search_gain=search_gain, confirmed_gain=confirmed_gain,
                                   confirmed=confirmed))
        s.commit()


def calibration_rows(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as s:
        rows = s.execute(select(OptimiserCalibration).order_by(OptimiserCalibration.id)).scalars().all()
        return [{"study_id": r.study_id, "optimiser": r.optimiser, "metric": r.metric,
                 "search_gain": r.search_gain, "confirmed_gain": r.confirmed_gain,
                 "confirmed": r.confirmed} for r in rows]


def config_yaml(engine: Engine, sha256: str) -> str | None:
    """The canonical YAML of a stored configuration version."""
    from .models import ConfigVersion

    with Session(engine) as s:
        row = s.get(ConfigVersion, sha256)
        return row.canonical_yaml if row is not None else None

"""Copy a history from one database into another (``tamma-bench db copy``).

The target is usually a team's shared PostgreSQL database that already holds other people's
runs, so ids are never copied: every run gets a new id in the target and its arms, trials and
sequential looks follow it. Config versions are keyed by their hash and copied once. A run
already copied (same name, creation time and trial count) is skipped, so a copy can be
repeated after an interruption. Each run is copied in one transaction of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, Engine

from .models import ConfigVersion, Experiment, Run, RunArm, SequentialLook, Trial

_BATCH = 2000


@dataclass
class CopyReport:
    runs_copied: list[tuple[int, int]] = field(default_factory=list)  # (source id, target id)
    runs_skipped: list[int] = field(default_factory=list)
    trials: int = 0
    configs: int = 0


def _columns(table, row, *, drop: tuple[str, ...] = ("id",)) -> dict:
    return {c.name: row._mapping[c.name] for c in table.columns if c.name not in drop}


def _copy_configs(src: Connection, dst: Connection) -> int:
    table = ConfigVersion.__table__
    have = set(dst.execute(select(table.c.sha256)).scalars())
    fresh = [_columns(table, r, drop=()) for r in src.execute(select(table)) if r.sha256 not in have]
    if fresh:
        dst.execute(insert(table), fresh)
    return len(fresh)


def _already_copied(dst: Connection, run) -> bool:
    table = Run.__table__
    stmt = select(table.c.id).where(
        table.c.name == run.name, table.c.created_at == run.created_at, table.c.total_trials == run.total_trials
    )
    return dst.execute(stmt).first() is not None


def _copy_experiment(src: Connection, dst: Connection, experiment_id: int | None, cache: dict) -> int | None:
    if experiment_id is None:
        return None
    if experiment_id not in cache:
        table = Experiment.__table__
        row = src.execute(select(table).where(table.c.id == experiment_id)).first()
        cache[experiment_id] = dst.execute(insert(table).values(**_columns(table, row))).inserted_primary_key[0]
    return cache[experiment_id]


def _copy_children(src: Connection, dst: Connection, table, source_run: int, target_run: int) -> int:
    """Rows of ``table`` that belong to a run, in batches, pointed at the new run id."""
    copied = 0
    result = src.execution_options(yield_per=_BATCH).execute(
        select(table).where(table.c.run_id == source_run).order_by(table.c.id)
    )
    for chunk in result.partitions(_BATCH):
        rows = [{**_columns(table, r), "run_id": target_run} for r in chunk]
        dst.execute(insert(table), rows)
        copied += len(rows)
    return copied


def copy_history(source: Engine, target: Engine) -> CopyReport:
    report = CopyReport()
    experiments: dict[int, int] = {}
    with source.connect() as src:
        with target.begin() as dst:
            report.configs = _copy_configs(src, dst)
        runs = src.execute(select(Run.__table__).order_by(Run.__table__.c.id)).all()
        for run in runs:
            with target.begin() as dst:
                if _already_copied(dst, run):
                    report.runs_skipped.append(run.id)
                    continue
                values = _columns(Run.__table__, run)
                values["experiment_id"] = _copy_experiment(src, dst, run.experiment_id, experiments)
                new_id = dst.execute(insert(Run.__table__).values(**values)).inserted_primary_key[0]
                _copy_children(src, dst, RunArm.__table__, run.id, new_id)
                report.trials += _copy_children(src, dst, Trial.__table__, run.id, new_id)
                _copy_children(src, dst, SequentialLook.__table__, run.id, new_id)
            report.runs_copied.append((run.id, new_id))
    return report

"""Read-side queries: fast, column-oriented reads for analysis and listings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from .models import ConfigVersion, RunArm, Trial

if TYPE_CHECKING:  # pandas is imported lazily: the CLI's --help must stay fast
    import pandas as pd

#: The columns analysis needs, in the order of the CSV import contract, plus extras.
ANALYSIS_COLUMNS: tuple[str, ...] = (
    "arm",
    "task_id",
    "context",
    "repeat",
    "status",
    "passed",
    "score",
    "latency_s",
    "ttft_s",
    "cost_usd",
    "prompt_tokens",
    "completion_tokens",
    "context_utilization",
    "error_kind",
    "attempts",
    "truncated",
    "session_position",
    "grade_integrity",
)

_NUMERIC = (
    "passed", "score", "latency_s", "ttft_s", "cost_usd", "prompt_tokens",
    "completion_tokens", "context_utilization", "attempts", "session_position",
)
_CATEGORICAL = ("arm", "task_id", "context", "status", "error_kind", "grade_integrity")


def load_trials_frame(
    db: Engine, run_id: int, *, columns: Sequence[str] | None = None
) -> "pd.DataFrame":
    """All trials of a run as a DataFrame, one SQL select, no ORM objects.

    ``passed`` is float (1.0/0.0, NaN when not graded); strings are categoricals, which
    keeps a million-row frame small and its group-bys fast.
    """
    import pandas as pd

    cols = list(columns or ANALYSIS_COLUMNS)
    unknown = [c for c in cols if c not in Trial.__table__.c]
    if unknown:
        raise ValueError(f"unknown trial columns: {unknown}")
    frame = pd.DataFrame.from_records(_fetch_trial_rows(db, int(run_id), cols), columns=cols)
    for col in cols:
        if col in _NUMERIC:
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
        elif col in _CATEGORICAL:
            frame[col] = frame[col].astype("category")
        elif col == "repeat":
            frame[col] = frame[col].astype("int64")
        elif col == "truncated":
            frame[col] = frame[col].fillna(False).astype(bool)
    return frame


# Trials reach analysis sorted by task, never in the order they happened to finish, so
# figures (bootstrap resamples above all) cannot depend on scheduling.
_ORDER = ("arm", "task_id", "repeat")  # the unique key's order: SQLite walks its index, no sort
_ORDER_SQL = ", ".join(f'"{c}"' for c in _ORDER)


def _fetch_trial_rows(db: Engine, run_id: int, cols: list[str]) -> list[tuple]:
    """Plain tuples straight from the driver: SQLAlchemy's per-row processing costs
    several seconds on a million rows, and these columns need no conversion."""
    if db.dialect.name == "sqlite":
        names = ", ".join(f'"{c}"' for c in cols)
        raw = db.raw_connection()
        try:
            cur = raw.cursor()
            cur.execute(f"SELECT {names} FROM trial WHERE run_id = ? ORDER BY {_ORDER_SQL}", (run_id,))
            return cur.fetchall()
        finally:
            raw.close()
    table = Trial.__table__
    stmt = (
        select(*(table.c[c] for c in cols))
        .where(table.c.run_id == run_id)
        .order_by(*(table.c[c] for c in _ORDER))
    )
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]


def trial_counts(db: Engine, run_ids: Sequence[int]) -> dict[int, dict[str, int]]:
    """run_id -> {status: count} for a handful of runs (listings)."""
    if not run_ids:
        return {}
    t = Trial.__table__
    stmt = (
        select(t.c.run_id, t.c.status, func.count())
        .where(t.c.run_id.in_(list(run_ids)))
        .group_by(t.c.run_id, t.c.status)
    )
    out: dict[int, dict[str, int]] = {}
    with db.connect() as conn:
        for rid, status, n in conn.execute(stmt):
            out.setdefault(int(rid), {})[status] = int(n)
    return out


def arm_configs(db: Engine, run_id: int) -> list[dict[str, Any]]:
    """Arms of a run with their config identity, baseline first."""
    stmt = (
        select(RunArm.name, RunArm.is_baseline, RunArm.config_sha256, ConfigVersion.model,
               ConfigVersion.provider, ConfigVersion.agent_id)
        .join(ConfigVersion, ConfigVersion.sha256 == RunArm.config_sha256, isouter=True)
        .where(RunArm.run_id == run_id)
        .order_by(RunArm.position)
    )
    with Session(db) as session:
        return [
            {"name": n, "baseline": bool(b), "config_sha256": sha, "model": m,
             "provider": p, "agent_id": a}
            for n, b, sha, m, p, a in session.execute(stmt)
        ]



def baseline_history_runs(engine: Engine, *, config_sha256: str, suite: str, exclude_run: int,
                          suite_version: str | None = None) -> list[tuple[int, str]]:
    """(run id, arm name) of earlier runs that ran this exact configuration on the same
    suite (and suite version, when the store records one), oldest first."""
    from .models import Run

    stmt = (select(RunArm.run_id, RunArm.name)
            .join(Run, Run.id == RunArm.run_id)
            .where(RunArm.config_sha256 == config_sha256, Run.suite == suite, Run.id != exclude_run,
                   Run.id < exclude_run)
            .order_by(RunArm.run_id))
    if suite_version is not None and "suite_version" in Run.__table__.c:
        stmt = stmt.where(Run.__table__.c.suite_version == suite_version)
    with engine.connect() as conn:
        return [(int(r[0]), str(r[1])) for r in conn.execute(stmt)]

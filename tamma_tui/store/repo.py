"""Write-side repository: the only place that inserts or updates rows."""

from __future__ import annotations

import json
import operator
import time
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Sequence, TypeVar

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from tamma_tui.config.errors import BadInput
from tamma_tui.errors import StoreError
from tamma_tui.config.loader import canonical_yaml, config_sha256
from tamma_tui.config.models import AgentConfig

from .write_errors import StoreBusy, StoreFull
from .models import ConfigVersion, Experiment, Run, RunArm, Trial, utcnow

# Every batch row carries every column (executemany needs one shape), defaults filled.
_TRIAL_DEFAULTS: dict[str, Any] = {
    name: (None if field.is_required() or field.default is None else field.default)
    for name, field in Trial.model_fields.items()
    if name != "id"
}


def register_config(session: Session, config: AgentConfig, source_path: str | None = None) -> str:
    """Store a config version once (idempotent on its SHA-256); return the hash.

    Several processes may register the same configuration at once (parallel runs on one
    database), so the insert ignores a row another writer committed first."""
    sha = config_sha256(config)
    if session.get(ConfigVersion, sha) is None:
        values = dict(
            sha256=sha,
            agent_id=config.agentId,
            name=config.name,
            version=str(config.version),
            provider=config.provider,
            model=config.model,
            canonical_yaml=canonical_yaml(config),
            source_path=source_path,
            created_at=utcnow(),
        )
        session.execute(insert_ignoring_duplicates(session.get_bind(), ConfigVersion.__table__, ["sha256"]), values)
        session.flush()
    return sha


def insert_ignoring_duplicates(bind: Engine | Connection, table, key: list[str]):
    """INSERT that skips a row whose key exists, in the dialect's own words."""
    dialect = bind.dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:  # pragma: no cover - other dialects: a plain insert (a race then fails loudly)
        return insert(table)
    return dialect_insert(table).on_conflict_do_nothing(index_elements=key)


def create_experiment(
    session: Session, name: str, spec_yaml: str, source_path: str | None = None
) -> int:
    import hashlib

    row = Experiment(
        name=name,
        spec_yaml=spec_yaml,
        spec_sha256=hashlib.sha256(spec_yaml.encode()).hexdigest(),
        source_path=source_path,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def known_config_shas(session: Session, shas: Iterable[str | None]) -> set[str]:
    """Which of these config hashes are stored here."""
    wanted = {sha for sha in shas if sha}
    if not wanted:
        return set()
    return set(session.scalars(select(ConfigVersion.sha256).where(ConfigVersion.sha256.in_(wanted))))


def create_run(
    session: Session,
    *,
    name: str,
    arms: Sequence[tuple[str, bool, str | None]],
    kind: str = "experiment",
    experiment_id: int | None = None,
    suite: str = "",
    suite_version: str = "",
    contexts: Iterable[str] = (),
    trials_per_task: int = 1,
    seed: int = 0,
    total_trials: int = 0,
    budget_usd: float | None = None,
    max_error_rate: float = 0.05,
    session_mode: str = "isolated",
    sequential: bool = False,
    isolation: str = "",
    analysis: dict[str, Any] | None = None,
    status: str = "running",
) -> int:
    """Create a run and its arms (baseline first) in the caller's transaction."""
    run = Run(
        name=name,
        kind=kind,
        status=status,
        experiment_id=experiment_id,
        suite=suite,
        suite_version=suite_version,
        contexts=",".join(contexts),
        trials_per_task=trials_per_task,
        seed=seed,
        total_trials=total_trials,
        budget_usd=budget_usd,
        max_error_rate=max_error_rate,
        session=session_mode,
        sequential=sequential,
        isolation=isolation,
        analysis_json=json.dumps(analysis or {}, sort_keys=True),
        started_at=utcnow(),
    )
    session.add(run)
    session.flush()
    assert run.id is not None
    for position, (arm_name, is_baseline, sha) in enumerate(arms):
        session.add(
            RunArm(
                run_id=run.id,
                name=arm_name,
                is_baseline=is_baseline,
                position=position,
                config_sha256=sha,
            )
        )
    session.flush()
    return run.id


def trial_keys(db: Engine, run_id: int) -> set[tuple[str, str, int]]:
    """The (arm, task_id, repeat) keys already stored: what resume skips."""
    stmt = select(Trial.arm, Trial.task_id, Trial.repeat).where(Trial.run_id == run_id)
    with db.connect() as conn:
        return {(a, t, int(r)) for a, t, r in conn.execute(stmt)}


def insert_trials(db: Engine | Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Insert a batch of trials in one transaction; rows already stored are skipped.

    Duplicates are skipped rather than failing the batch so that a resumed run can never
    double-count a trial, whichever dialect the database speaks. Given a Connection, the
    rows join the caller's transaction instead.
    """
    if isinstance(db, Connection):
        return _insert_trials(db, rows)
    with db.begin() as conn:
        return _insert_trials(conn, rows)


def save_trial_batch(db: Engine, run_id: int, rows: Sequence[dict[str, Any]], cost_usd: float) -> int:
    """The engine's writes: a batch of trials and the run's cost as of that batch, in one
    transaction, so the cost on disk is always the cost of the trials on disk (a resumed
    run's budget starts from it).

    Raises StoreBusy when the write lock stayed taken past the busy timeout and StoreFull
    when the disk is full; the caller keeps the rows and decides (engine/writer.py)."""
    try:
        with db.begin() as conn:
            inserted = _insert_trials(conn, rows)
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("UPDATE run SET cost_usd = ? WHERE id = ?", (cost_usd, run_id))
            else:  # pragma: no cover - the store is SQLite; kept dialect-neutral below it
                conn.execute(update(Run.__table__).where(Run.__table__.c.id == run_id).values(cost_usd=cost_usd))
            return inserted
    except OperationalError as exc:
        reason = _driver_reason(exc)
        lowered = reason.lower()
        if "locked" in lowered or "busy" in lowered:
            raise StoreBusy(reason) from None
        if "full" in lowered or "no space" in lowered:
            raise StoreFull(reason) from None
        raise


T = TypeVar("T")


def retry_when_busy(action: Callable[[], T], *, where: str = "database", give_up_s: float = 120.0,
                    sleep: Callable[[float], Any] = time.sleep) -> T:
    """Run ``action`` (a whole transaction), again with backoff while another writer holds
    the lock past the busy timeout; after ``give_up_s`` one line, not a traceback. A full
    disk raises StoreFull (the driver's one-line reason)."""
    delay = 0.05
    started = time.monotonic()
    while True:
        try:
            return action()
        except (OperationalError, StoreBusy) as exc:
            reason = _driver_reason(exc)
            lowered = reason.lower()
            if "full" in lowered or "no space" in lowered:
                raise StoreFull(reason) from None
            if "locked" not in lowered and "busy" not in lowered:
                raise
            waited = time.monotonic() - started
            if waited >= give_up_s:
                raise StoreError(f"stayed locked by another writer for {waited:.0f} s ({reason})", file=where) from None
            sleep(delay)
            delay = min(delay * 2, 2.0)


def _driver_reason(exc: BaseException) -> str:
    """The driver's one-line message, never the statement or its parameters."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig)
    return text.splitlines()[0] if text else type(orig).__name__


def _insert_trials(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    if not rows:
        return 0
    unknown = set().union(*rows) - _TRIAL_DEFAULTS.keys()
    if unknown:
        raise ValueError(f"not trial columns: {sorted(unknown)}")
    dialect = conn.dialect.name
    if dialect == "sqlite":
        return _insert_trials_sqlite(conn, rows)
    clean = [{**_TRIAL_DEFAULTS, **row} for row in rows]
    table = Trial.__table__
    if dialect == "postgresql":
        return _insert_trials_postgresql(conn, table, clean)
    have = set()  # pragma: no cover - other dialects: filter duplicates by hand
    for rid in {r["run_id"] for r in clean}:
        stmt = select(Trial.arm, Trial.task_id, Trial.repeat).where(Trial.run_id == rid)
        have |= {(rid, a, t, int(r)) for a, t, r in conn.execute(stmt)}
    fresh = [r for r in clean if (r["run_id"], r["arm"], r["task_id"], r["repeat"]) not in have]
    if fresh:
        conn.execute(insert(table), fresh)
    return len(fresh)


# PostgreSQL: the driver's executemany reports no reliable row count, so each chunk is one
# multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING id, and the returned ids are counted.
# A chunk stays well under the protocol's 65,535 bound parameters (28 columns a row).
_PG_CHUNK = 1000


def _insert_trials_postgresql(conn: Connection, table, rows: Sequence[dict[str, Any]]) -> int:
    from sqlalchemy.dialects.postgresql import insert as pg_insert

    for row in rows:  # the same contract, and message, as the SQLite path
        for name in _DATETIME_COLUMNS:
            value = row.get(name)
            if value is not None and value.utcoffset() is None:
                raise ValueError("trial datetimes must be timezone-aware")
    inserted = 0
    for start in range(0, len(rows), _PG_CHUNK):
        stmt = (
            pg_insert(table)
            .values(list(rows[start:start + _PG_CHUNK]))
            .on_conflict_do_nothing(index_elements=["run_id", "arm", "task_id", "repeat"])
            .returning(table.c.id)
        )
        inserted += len(conn.execute(stmt).all())
    return inserted


# SQLite: one prepared INSERT run through the driver's executemany. SQLAlchemy's own
# executemany compiles and type-processes every row (~40 us a row), which was a tenth of
# the engine's CPU per trial at 5,000 trials/s; values are brought to the stored form here.
_TRIAL_COLUMNS = tuple(_TRIAL_DEFAULTS)
_TRIAL_INSERT_SQLITE = (
    f"INSERT INTO trial ({', '.join(_TRIAL_COLUMNS)}) VALUES ({', '.join('?' * len(_TRIAL_COLUMNS))}) "
    "ON CONFLICT (run_id, arm, task_id, repeat) DO NOTHING"
)
_DATETIME_COLUMNS = frozenset(
    name for name, field in Trial.model_fields.items() if "datetime" in str(field.annotation)
)


def sqlite_datetime(value: datetime | None) -> str | None:
    """A datetime as SQLAlchemy's SQLite DateTime stores it: UTC, no offset, microseconds."""
    if value is None:
        return None
    offset = value.utcoffset()
    if offset is None:
        raise ValueError("trial datetimes must be timezone-aware")
    if offset:
        value = value.astimezone(timezone.utc)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


_trial_values = operator.itemgetter(*_TRIAL_COLUMNS)
_DATETIME_POSITIONS = tuple(i for i, name in enumerate(_TRIAL_COLUMNS) if name in _DATETIME_COLUMNS)


def _insert_trials_sqlite(conn: Connection, rows: Sequence[dict[str, Any]]) -> int:
    params = []
    for row in rows:
        if len(row) != len(_TRIAL_COLUMNS):  # the engine's rows carry every column; others may not
            row = {**_TRIAL_DEFAULTS, **row}
        values = list(_trial_values(row))
        for i in _DATETIME_POSITIONS:
            values[i] = sqlite_datetime(values[i])
        params.append(tuple(values))
    cursor = conn.exec_driver_sql(_TRIAL_INSERT_SQLITE, params)
    return max(int(cursor.rowcount or 0), 0)


def update_run(db: Engine | Connection, run_id: int, **fields: Any) -> None:
    """Set fields of a run; given a Connection, in the caller's transaction."""
    stmt = update(Run.__table__).where(Run.__table__.c.id == run_id).values(**fields)
    if isinstance(db, Connection):
        db.execute(stmt)
        return
    with db.begin() as conn:
        conn.execute(stmt)


def get_run(db: Engine, run_id: int | str) -> Run:
    try:
        rid = int(run_id)
    except (TypeError, ValueError):
        raise BadInput(f"run id must be a number, got {run_id!r}", field="RUN") from None
    with Session(db) as session:
        run = session.get(Run, rid)
        if run is None:
            raise BadInput(f"run {rid} not found", field="RUN")
        session.expunge(run)
        return run


def run_arms(db: Engine, run_id: int) -> list[RunArm]:
    with Session(db) as session:
        rows = list(
            session.scalars(select(RunArm).where(RunArm.run_id == run_id).order_by(RunArm.position))
        )
        for row in rows:
            session.expunge(row)
        return rows


def record_audit(session: Session, action: str, subject: str = "", actor: str = "", **details: Any) -> None:
    from .audit import append_event  # the hash-chained trail

    append_event(session, actor=actor, action=action, subject=subject,
                 reason=str(details.get("reason", "") or ""), details=details)


def record_look(engine: Engine, run_id: int, *, n_tasks: int, metric: str, results: dict[str, Any],
                decision: str) -> int:
    """Store one interim analysis of a sequential run (every look is kept); its number."""
    from sqlmodel import select as model_select

    from .models import SequentialLook

    with Session(engine) as session:
        last = session.exec(model_select(SequentialLook.look).where(SequentialLook.run_id == int(run_id))
                            .order_by(SequentialLook.look.desc()).limit(1)).first()
        number = int(last or 0) + 1
        session.add(SequentialLook(run_id=int(run_id), look=number, n_tasks=int(n_tasks), metric=metric,
                                   results_json=json.dumps(results, sort_keys=True), decision=decision))
        session.commit()
        return number


def sequential_looks(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    """Every look of a run, oldest first, as plain dicts."""
    from sqlmodel import select as model_select

    from .models import SequentialLook

    with Session(engine) as session:
        rows = session.exec(model_select(SequentialLook).where(SequentialLook.run_id == int(run_id))
                            .order_by(SequentialLook.look)).all()
        return [{"look": r.look, "n_tasks": r.n_tasks, "metric": r.metric, "decision": r.decision,
                 "results": json.loads(r.results_json),
                 "at": r.created_at.isoformat(timespec="seconds") if r.created_at else None}
                for r in rows]

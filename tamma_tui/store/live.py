"""Run leases: which process is running a run, and when it was last heard from.

A run whose status says "running" may belong to a process that died (an SSH drop, a
kill -9). The process holding a run writes a lease (pid, host, heartbeat); on the next
open a service compares it with the processes alive, and marks the dead ones interrupted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from tamma_tui.vocabulary import RunStatus

from .models import Run, utcnow


class RunLease(SQLModel, table=True):
    __tablename__ = "run_lease"
    run_id: int = Field(foreign_key="run.id", primary_key=True)
    pid: int
    host: str
    heartbeat_at: datetime = Field(default_factory=utcnow)


def hold_lease(db: Engine, run_id: int, pid: int, host: str) -> None:
    """This process runs ``run_id`` from now on (replaces an earlier attempt's lease)."""
    table = RunLease.__table__
    with db.begin() as conn:
        conn.execute(delete(table).where(table.c.run_id == run_id))
        conn.execute(table.insert().values(run_id=run_id, pid=pid, host=host, heartbeat_at=utcnow()))


def beat(db: Engine, run_id: int) -> None:
    table = RunLease.__table__
    with db.begin() as conn:
        conn.execute(update(table).where(table.c.run_id == run_id).values(heartbeat_at=utcnow()))


def drop_lease(db: Engine, run_id: int) -> None:
    table = RunLease.__table__
    with db.begin() as conn:
        conn.execute(delete(table).where(table.c.run_id == run_id))


def running_leases(db: Engine) -> list[RunLease]:
    """The leases of runs whose stored status is still "running"."""
    lease, run = RunLease.__table__, Run.__table__
    stmt = (select(lease.c.run_id, lease.c.pid, lease.c.host, lease.c.heartbeat_at)
            .join(run, run.c.id == lease.c.run_id).where(run.c.status == RunStatus.RUNNING))
    with db.connect() as conn:
        return [RunLease(run_id=r[0], pid=r[1], host=r[2], heartbeat_at=r[3]) for r in conn.execute(stmt)]


def mark_interrupted(db: Engine, run_ids: list[int]) -> None:
    """Those runs' processes are gone: their status says so, and their leases go."""
    if not run_ids:
        return
    run, lease = Run.__table__, RunLease.__table__
    with db.begin() as conn:
        conn.execute(update(run).where(run.c.id.in_(run_ids), run.c.status == RunStatus.RUNNING)
                     .values(status=RunStatus.INTERRUPTED))
        conn.execute(delete(lease).where(lease.c.run_id.in_(run_ids)))


def stale_before(seconds: float) -> datetime:
    return utcnow() - timedelta(seconds=seconds)

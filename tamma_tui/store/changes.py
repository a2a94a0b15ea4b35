"""Change requests: a configuration change bound to its evidence, and its reads and writes.

state: proposed | approved | rejected | applied | verified | rolled_back | superseded
kind:  change (from a benchmark winner) | rollback (restores a snapshot; applied at once)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from .models import utcnow


class ChangeRequest(SQLModel, table=True):
    __tablename__ = "change_request"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = "change"
    state: str = Field(default="proposed", index=True)
    store: str  # the store spec as given (never with credentials)
    target: str  # agentId (dir:) or role (tamma-file:/tamma-api:)
    agent_id: str = Field(default="", index=True)  # qualified, e.g. tamma:reviewer@tamma-file:/x
    run_id: int | None = None
    variant: str = ""
    base_sha256: str = ""  # hash of the live store document the change is based on
    proposed_sha256: str = ""  # hash of the document after the change
    change_sha256: str = ""  # hash of the exact change (base hash + operations); approval binds to it
    ops_json: str = Field(default="[]", sa_column=Column(Text, nullable=False))
    diff_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    snapshot_text: str = Field(default="", sa_column=Column(Text, nullable=False))  # pre-change doc
    evidence_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    evidence_config_sha256: str = ""  # the baseline config the evidence was measured on
    approved_change_sha256: str = ""
    approved_by: str = ""
    forced: bool = False
    reason: str = ""  # the latest reason (approval, rejection, verification, rollback)
    rolls_back_id: int | None = None
    rolled_back_by_id: int | None = None
    actor: str = ""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


def add(session: Session, change: ChangeRequest) -> ChangeRequest:
    session.add(change)
    session.flush()
    return change


def get(session: Session, change_id: int) -> ChangeRequest | None:
    return session.get(ChangeRequest, change_id, populate_existing=True)


def touch(session: Session, change: ChangeRequest) -> None:
    change.updated_at = utcnow()
    session.add(change)
    session.flush()


def listing(db: Engine, *, state: str | None = None, target: str | None = None) -> list[ChangeRequest]:
    with Session(db, expire_on_commit=False) as session:
        query = select(ChangeRequest).order_by(ChangeRequest.id)
        if state:
            query = query.where(ChangeRequest.state == state)
        if target:
            query = query.where((ChangeRequest.target == target) | (ChangeRequest.agent_id == target))
        return list(session.exec(query))


def open_for_store(session: Session, store: str, target: str) -> list[ChangeRequest]:
    """Changes still waiting on the live document of (store, target)."""
    query = select(ChangeRequest).where(
        ChangeRequest.store == store, ChangeRequest.target == target,
        ChangeRequest.state.in_(("proposed", "approved")),
    )
    return list(session.exec(query))


def config_canonical(db: Engine, sha256: str | None) -> dict | None:
    """The canonical form of a stored config version (None when unknown)."""
    import yaml

    from .models import ConfigVersion

    if not sha256:
        return None
    with Session(db) as session:
        row = session.get(ConfigVersion, sha256)
        return yaml.safe_load(row.canonical_yaml) if row is not None else None


def run_task_ids(db: Engine, run_id: int) -> set[str]:
    from .models import Trial

    with Session(db) as session:
        return set(session.exec(select(Trial.task_id).where(Trial.run_id == run_id).distinct()))

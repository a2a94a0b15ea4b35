"""SQLModel tables. Runs, config versions and audit events are append-only."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

#: The pre-migration schema version kept in ``schema_info``; the schema now evolves by
#: Alembic migrations (store/migrations).
SCHEMA_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class SchemaInfo(SQLModel, table=True):
    __tablename__ = "schema_info"
    key: str = Field(primary_key=True)
    value: str


class ConfigVersion(SQLModel, table=True):
    """One canonical agent configuration, identified by the SHA-256 of its canonical form."""

    __tablename__ = "config_version"
    sha256: str = Field(primary_key=True, max_length=64)
    agent_id: str = Field(index=True)
    name: str = ""
    version: str = ""
    provider: str
    model: str
    canonical_yaml: str = Field(sa_column=Column(Text, nullable=False))
    source_path: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Experiment(SQLModel, table=True):
    __tablename__ = "experiment"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    spec_yaml: str = Field(sa_column=Column(Text, nullable=False))
    spec_sha256: str = Field(max_length=64)
    source_path: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Run(SQLModel, table=True):
    """One execution of an experiment (or an import of results made elsewhere).

    status: running | completed | cancelled | budget_exhausted | stopped_early | failed
    kind: experiment | import | aa
    """

    __tablename__ = "run"
    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int | None = Field(default=None, foreign_key="experiment.id", index=True)
    name: str
    kind: str = "experiment"
    status: str = "running"
    suite: str = ""
    suite_version: str = ""  # content hash of the suite's task files ('' before it was kept)
    contexts: str = ""  # comma-separated
    trials_per_task: int = 1
    seed: int = 0
    total_trials: int = 0
    budget_usd: float | None = None
    max_error_rate: float = 0.05
    session: str = "isolated"
    sequential: bool = False
    isolation: str = ""  # the sandbox isolation in force for grading
    analysis_json: str = "{}"  # the experiment's analysis plan
    cost_usd: float = 0.0
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    notes: str = ""


class RunArm(SQLModel, table=True):
    __tablename__ = "run_arm"
    __table_args__ = (UniqueConstraint("run_id", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    name: str
    is_baseline: bool = False
    position: int = 0
    config_sha256: str | None = Field(default=None, foreign_key="config_version.sha256")


class Trial(SQLModel, table=True):
    """One (run, arm, task, repeat). The unique key is what makes resume exact.

    status: ok | error | timeout | cancelled
    """

    __tablename__ = "trial"
    __table_args__ = (
        UniqueConstraint("run_id", "arm", "task_id", "repeat", name="uq_trial_key"),
        Index("ix_trial_run_arm", "run_id", "arm"),
    )
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id")
    arm: str
    task_id: str
    context: str
    repeat: int = 0
    status: str = "ok"
    passed: bool | None = None
    score: float | None = None
    latency_s: float | None = None
    ttft_s: float | None = None
    output_tps: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    context_window: int | None = None
    context_utilization: float | None = None
    truncated: bool = False
    attempts: int = 1
    error_kind: str | None = None
    error_message: str | None = None
    response_hash: str | None = None
    response_text: str | None = Field(default=None, sa_column=Column(Text))
    grade_details: str | None = Field(default=None, sa_column=Column(Text))  # JSON
    grade_integrity: str | None = None  # ok | void | unverified (suites.model.GRADE_INTEGRITY)
    session_position: int | None = None  # position in a mixed-context session
    config_sha256: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


class SequentialLook(SQLModel, table=True):
    """One interim analysis of a sequential A/B run (every look is kept)."""

    __tablename__ = "sequential_look"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    look: int
    n_tasks: int
    metric: str
    results_json: str = Field(sa_column=Column(Text, nullable=False))  # per variant: diff, p
    decision: str = "continue"  # continue | stop_winner | stop_futile | stop_max
    created_at: datetime = Field(default_factory=utcnow)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow)
    actor: str = ""
    action: str
    subject: str = ""
    details_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    # The hash chain (store/audit.py): position, what changed, and the link to the previous event.
    seq: int | None = Field(default=None, index=True, unique=True)
    reason: str = ""
    before_sha256: str | None = None
    after_sha256: str | None = None
    prev_hash: str | None = None
    hash: str | None = None


# Tables of other rooms, imported last so the metadata (and Alembic) sees them.
from . import history as _history_tables  # noqa: E402,F401
from . import audit as _audit_tables  # noqa: E402,F401
from . import changes as _change_tables  # noqa: E402,F401
from . import tuning as _tuning_tables  # noqa: E402,F401
from . import live as _live_tables  # noqa: E402,F401

"""History's tables (check outcomes, acknowledgements) and its read-side queries.

A check outcome is what makes a run "accepted": ``check --against last-accepted`` picks the
newest run of the same agent whose check passed or whose regression was acknowledged (and
the acknowledgement has not expired).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any, Iterable, Sequence

from sqlalchemy import Column, Text, and_, case, func, inspect, literal, or_, select, tuple_
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel

from .models import ConfigVersion, Run, RunArm, Trial, utcnow

PINNED_ARM = "pinned"  # the arm name an experiment's ``pinned:`` config runs under


class CheckRecord(SQLModel, table=True):
    """One ``tamma-bench check`` of a run: its overall verdict and what it was checked against."""

    __tablename__ = "history_check"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    against: str = ""  # "run:12", "history", "none"
    verdict: str  # regressed | ok | inconclusive | no_reference
    passed: bool = False  # nothing gated regressed
    details_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class CheckAck(SQLModel, table=True):
    """A user's acknowledgement of a run's regression, with a reason and an expiry."""

    __tablename__ = "history_ack"
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    reason: str
    actor: str = ""
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


# --- runs of an agent ----------------------------------------------------------------------


def agent_arms(engine: Engine, agent_id: str, *, since: datetime | None = None,
               until: datetime | None = None) -> list[dict[str, Any]]:
    """Every arm of every run that belongs to ``agent_id``, oldest run first.

    An arm belongs to the agent when its config version has that agentId, or, for imported
    results without a known config, when the arm itself is named after the agent.
    """
    a, r, c = RunArm.__table__, Run.__table__, ConfigVersion.__table__
    stmt = (
        select(r.c.id, r.c.name, r.c.kind, r.c.status, r.c.created_at, r.c.suite, r.c.suite_version,
               r.c.analysis_json, a.c.name, a.c.is_baseline, a.c.config_sha256, c.c.version, c.c.created_at)
        .select_from(a)
        .join(r, r.c.id == a.c.run_id)
        .join(c, c.c.sha256 == a.c.config_sha256, isouter=True)
        .order_by(r.c.created_at, r.c.id, a.c.position)
    )
    if since is not None:
        stmt = stmt.where(r.c.created_at >= since)
    if until is not None:
        stmt = stmt.where(r.c.created_at < until)
    keys = ("run_id", "run_name", "kind", "status", "created_at", "suite", "suite_version", "analysis_json",
            "arm", "is_baseline", "config_sha256", "version", "config_created_at")
    def belongs_to_agent(arm, cfg):
        return or_(cfg.c.agent_id == agent_id, and_(arm.c.config_sha256.is_(None), arm.c.name == agent_id))

    belongs = belongs_to_agent(a, c)
    # A run's pinned arm goes with the agent's history whatever agentId the frozen config has.
    a2, c2 = RunArm.__table__.alias("agent_arm"), ConfigVersion.__table__.alias("agent_cfg")
    agent_runs = (select(a2.c.run_id).select_from(a2).join(c2, c2.c.sha256 == a2.c.config_sha256, isouter=True)
                  .where(belongs_to_agent(a2, c2)))
    stmt = stmt.where(or_(belongs, and_(a.c.name == PINNED_ARM, a.c.run_id.in_(agent_runs))))
    with engine.connect() as conn:
        return [dict(zip(keys, row)) for row in conn.execute(stmt)]


def run_agents(engine: Engine, run_id: int) -> list[str]:
    """The agent ids a run's arms belong to (config agentId, else the arm's name)."""
    a, c = RunArm.__table__, ConfigVersion.__table__
    stmt = (select(a.c.name, c.c.agent_id).select_from(a)
            .join(c, c.c.sha256 == a.c.config_sha256, isouter=True)
            .where(a.c.run_id == run_id).order_by(a.c.position))
    with engine.connect() as conn:
        return list(dict.fromkeys(agent or name for name, agent in conn.execute(stmt)))


def config_versions(engine: Engine, agent_id: str) -> list[dict[str, Any]]:
    c = ConfigVersion.__table__
    stmt = select(c.c.sha256, c.c.version, c.c.created_at).where(c.c.agent_id == agent_id).order_by(c.c.created_at)
    with engine.connect() as conn:
        return [{"sha256": s, "version": v, "created_at": t} for s, v, t in conn.execute(stmt)]


def task_means(engine: Engine, run_arms: Iterable[tuple[int, str]], columns: Sequence[str]) -> list[tuple]:
    """Per (run, arm, context, task): trial count and the mean of each column.

    Quality columns (``passed``, ``score``) count a trial that did not finish ("error",
    "timeout") as a failure, as the report does (intention to treat); other columns average
    the finished trials only. Rows: (run_id, arm, context, task_id, n, mean...).
    """
    pairs = list(dict.fromkeys((int(r), str(a)) for r, a in run_arms))
    if not pairs:
        return []
    t = Trial.__table__
    finished = t.c.status == "ok"
    exprs = []
    for col in columns:
        value = case((t.c[col].is_(True), 1.0), (t.c[col].is_(False), 0.0), else_=None) if col == "passed" else t.c[col]
        if col in ("passed", "score"):
            value = case((finished, value), (t.c.status == "cancelled", None), else_=0.0)
        else:
            value = case((finished, value), else_=None)
        exprs.append(func.avg(value))
    out: list[tuple] = []
    with engine.connect() as conn:
        for start in range(0, len(pairs), 1000):  # well under any driver's parameter limit
            stmt = (select(t.c.run_id, t.c.arm, t.c.context, t.c.task_id, func.count(), *exprs)
                    .where(tuple_(t.c.run_id, t.c.arm).in_(pairs[start:start + 1000]))
                    .group_by(t.c.run_id, t.c.arm, t.c.context, t.c.task_id))
            # fetchall, and rows as they come (indexable like tuples): per-row work costs more
            # than the query on a long history
            out.extend(conn.execute(stmt).fetchall())
    return out


def task_outcomes(engine: Engine, run_arms: Iterable[tuple[int, str]]) -> list[tuple]:
    """(run_id, arm, context, task_id, repeat, passed 0/1) for finished, graded trials, in
    run and repeat order: what flakiness is measured on."""
    pairs = list(dict.fromkeys((int(r), str(a)) for r, a in run_arms))
    if not pairs:
        return []
    t = Trial.__table__
    wanted = set(pairs)
    out: list[tuple] = []
    run_ids = sorted({r for r, _ in pairs})
    with engine.connect() as conn:
        for start in range(0, len(run_ids), 500):
            stmt = (select(t.c.run_id, t.c.arm, t.c.context, t.c.task_id, t.c.repeat, t.c.passed)
                    .where(t.c.run_id.in_(run_ids[start:start + 500]), t.c.status == "ok", t.c.passed.is_not(None))
                    .order_by(t.c.run_id, t.c.repeat))
            out.extend((r, a, c, k, rep, int(bool(p))) for r, a, c, k, rep, p in conn.execute(stmt).fetchall()
                       if (r, a) in wanted)
    return out


def task_flip_counts(engine: Engine, run_arms: Iterable[tuple[int, str]]) -> list[tuple]:
    """Per (task, context): attempts, passes, flips and successive pairs over the finished,
    graded trials of these arms, in run and repeat order, flips counted only between
    attempts of the same configuration. Counted in SQL (a window over the trials), so a long
    history costs one row per task, not one per trial."""
    pairs = list(dict.fromkeys((int(r), str(a)) for r, a in run_arms))
    if not pairs:
        return []
    t = Trial.__table__
    config_key = func.coalesce(t.c.config_sha256, literal("arm:") + t.c.arm)
    passed = case((t.c.passed.is_(True), 1), else_=0)
    previous = func.lag(passed).over(partition_by=(t.c.task_id, t.c.context, config_key),
                                     order_by=(t.c.run_id, t.c.repeat))
    attempts = (select(t.c.task_id, t.c.context, passed.label("passed"), previous.label("previous"))
                .where(tuple_(t.c.run_id, t.c.arm).in_(pairs), t.c.status == "ok", t.c.passed.is_not(None))
                .subquery())
    stmt = (select(attempts.c.task_id, attempts.c.context, func.count(), func.sum(attempts.c.passed),
                   func.sum(case((attempts.c.previous.is_(None), 0),
                                 (attempts.c.previous != attempts.c.passed, 1), else_=0)),
                   func.sum(case((attempts.c.previous.is_(None), 0), else_=1)))
            .group_by(attempts.c.task_id, attempts.c.context))
    with engine.connect() as conn:
        return [(k, c, int(n), int(p or 0), int(f or 0), int(q or 0)) for k, c, n, p, f, q in conn.execute(stmt).fetchall()]


def applied_changes(engine: Engine, agent_id: str) -> list[dict[str, Any]]:
    """The agent's applied change requests (kind "change", applied at some point), with when
    they were applied and rolled back (from the audit log) and what their evidence predicted."""
    from .changes import ChangeRequest
    from .models import AuditEvent

    cr, ev, r = ChangeRequest.__table__, AuditEvent.__table__, Run.__table__
    stmt = (select(cr.c.id, cr.c.agent_id, cr.c.target, cr.c.state, cr.c.evidence_json, cr.c.updated_at, r.c.kind)
            .select_from(cr).join(r, r.c.id == cr.c.run_id, isouter=True)
            .where(cr.c.kind == "change", cr.c.state.in_(("applied", "verified", "rolled_back")),
                   or_(cr.c.target == agent_id, cr.c.agent_id == agent_id)))
    with engine.connect() as conn:
        rows = conn.execute(stmt).fetchall()
        subjects = [f"change:{row[0]}" for row in rows]
        times: dict[tuple[str, str], datetime] = {}
        if subjects:
            for subject, action, at in conn.execute(
                    select(ev.c.subject, ev.c.action, ev.c.at)
                    .where(ev.c.subject.in_(subjects), ev.c.action.in_(("change.apply", "change.rolled_back")))
                    .order_by(ev.c.id)).fetchall():
                times.setdefault((subject, action), at)  # the first apply, the first rollback
    out = []
    for change_id, qualified, target, state, evidence_json, updated_at, run_kind in rows:
        try:
            evidence = json.loads(evidence_json or "{}")
        except json.JSONDecodeError:
            evidence = {}
        effect = evidence.get("effect") or {}
        subject = f"change:{change_id}"
        out.append({
            "change_id": str(change_id), "agent_id": agent_id,
            "applied_at": times.get((subject, "change.apply"), updated_at),
            "rolled_back_at": times.get((subject, "change.rolled_back"))
            if state == "rolled_back" else None,
            "source": evidence.get("source") or ("tune" if run_kind == "tune" else "benchmark winner"),
            "metric": evidence.get("primary_metric") or "pass_rate", "context": evidence.get("context") or "all",
            "predicted": effect.get("diff"), "predicted_low": effect.get("ci_low"),
            "predicted_high": effect.get("ci_high"),
            "title": f"{evidence.get('variant', '')} from run {evidence.get('run_id', '?')}".strip(),
        })
    return out


# --- check outcomes and acknowledgements ----------------------------------------------------


def save_check(session: Session, run_id: int, against: str, verdict: str, passed: bool,
               details: dict[str, Any]) -> int:
    row = CheckRecord(run_id=run_id, against=against, verdict=verdict, passed=passed,
                      details_json=json.dumps(details, sort_keys=True, default=str))
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def save_ack(session: Session, run_id: int, reason: str, expires_at: datetime, actor: str = "") -> int:
    row = CheckAck(run_id=run_id, reason=reason, expires_at=expires_at, actor=actor)
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def accepted_runs(engine: Engine, run_ids: Sequence[int], *, now: datetime | None = None) -> set[int]:
    """Of ``run_ids``, those whose latest check passed or that hold an unexpired acknowledgement."""
    if not run_ids:
        return set()
    now = now or utcnow()
    ids = [int(r) for r in run_ids]
    ch, ack = CheckRecord.__table__, CheckAck.__table__
    accepted: set[int] = set()
    with engine.connect() as conn:
        latest: dict[int, bool] = {}
        for rid, passed in conn.execute(select(ch.c.run_id, ch.c.passed).where(ch.c.run_id.in_(ids)).order_by(ch.c.id)):
            latest[int(rid)] = bool(passed)
        accepted |= {r for r, ok in latest.items() if ok}
        for rid, expires in conn.execute(select(ack.c.run_id, ack.c.expires_at).where(ack.c.run_id.in_(ids))):
            if _aware(expires) > now:
                accepted.add(int(rid))
    return accepted


def acks(engine: Engine, run_ids: Sequence[int]) -> list[dict[str, Any]]:
    ack = CheckAck.__table__
    stmt = select(ack).where(ack.c.run_id.in_([int(r) for r in run_ids])).order_by(ack.c.created_at)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def checks(engine: Engine, run_ids: Sequence[int]) -> list[dict[str, Any]]:
    ch = CheckRecord.__table__
    stmt = select(ch).where(ch.c.run_id.in_([int(r) for r in run_ids])).order_by(ch.c.id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def has_table(engine: Engine, name: str) -> bool:
    return inspect(engine).has_table(name)

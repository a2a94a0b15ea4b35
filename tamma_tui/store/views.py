"""The store's listings: read-only view-model queries for the app and the CLI.

Every function takes the database (``db``, an SQLAlchemy Engine) and returns plain frozen
dataclasses (or tuples of plain values): ORM rows never leave this module, so no widget
ever touches a session. ``services/browse.py`` hands these on to the app.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterator, Sequence

from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine

from tamma_tui.errors import BadInput
from tamma_tui.vocabulary import METRIC_SPECS, METRICS, TrialStatus

from .models import ConfigVersion, Experiment, Run, RunArm, Trial

#: Metrics in the order the app shows them (pass_rate first).
TREND_METRICS: tuple[str, ...] = METRICS
HIGHER_IS_BETTER = frozenset(m.name for m in METRIC_SPECS.values() if m.higher_is_better)
_OK = TrialStatus.OK.value

#: Columns of the trial table, in display order.
TRIAL_COLUMNS: tuple[str, ...] = (
    "arm", "task_id", "context", "repeat", "status", "passed", "score", "latency_s",
    "cost_usd", "error_kind",
)


def stamp(value: datetime | None) -> str:
    """Minutes are enough on screen, and they keep snapshots stable."""
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


@dataclass(frozen=True)
class RunSummary:
    id: int
    name: str
    kind: str
    status: str
    created: str
    arms: tuple[str, ...]
    done: int
    total: int
    errors: int
    cost_usd: float
    experiment_id: int | None = None


@dataclass(frozen=True)
class RunDetail:
    summary: RunSummary
    suite: str
    contexts: tuple[str, ...]
    trials_per_task: int
    seed: int
    budget_usd: float | None
    sequential: bool
    isolation: str
    analysis: dict[str, Any]
    baseline: str
    arm_configs: tuple[tuple[str, str | None], ...]  # (arm, config sha256)


@dataclass(frozen=True)
class ArmContextProgress:
    arm: str
    context: str
    n: int
    passed: int
    graded: int
    errors: int


@dataclass(frozen=True)
class ConfigSummary:
    agent_id: str
    name: str
    latest_sha256: str
    latest_version: str
    provider: str
    model: str
    n_versions: int
    updated: str


@dataclass(frozen=True)
class ConfigVersionView:
    sha256: str
    agent_id: str
    name: str
    version: str
    provider: str
    model: str
    created: str
    source_path: str | None
    canonical_yaml: str
    n_runs: int = 0


@dataclass(frozen=True)
class TrendPoint:
    run_id: int
    run_name: str
    created: str
    arm: str
    config_sha256: str
    version: str
    n_trials: int
    metrics: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class TrialTable:
    """Column-oriented trial listing: ``rows[i]`` holds raw values in TRIAL_COLUMNS order."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True)
class DiscordantTask:
    task_id: str
    context: str
    baseline_pass: float  # fraction of the baseline's repeats that passed
    variant_pass: float


@dataclass(frozen=True)
class AnswerView:
    arm: str
    repeat: int
    status: str
    passed: bool | None
    score: float | None
    response_text: str
    grade_details: str  # pretty JSON, or "" when the trial was not graded
    error_message: str = ""


@dataclass(frozen=True)
class ExperimentSummary:
    id: int
    name: str
    created: str
    source_path: str | None
    n_runs: int


@dataclass(frozen=True)
class PaletteIndex:
    """What the command palette can jump to."""

    runs: tuple[RunSummary, ...]
    configs: tuple[ConfigSummary, ...]
    experiments: tuple[ExperimentSummary, ...]


# --- runs -------------------------------------------------------------------------------


def _summaries(db: Engine, runs: Sequence[Any]) -> list[RunSummary]:
    ids = [r.id for r in runs]
    if not ids:
        return []
    t = Trial.__table__
    counts: dict[int, tuple[int, int]] = {}
    arms: dict[int, list[str]] = {}
    with db.connect() as conn:
        stmt = (
            select(t.c.run_id, func.count(), func.sum(case((t.c.status != _OK, 1), else_=0)))
            .where(t.c.run_id.in_(ids))
            .group_by(t.c.run_id)
        )
        for rid, n, errors in conn.execute(stmt):
            counts[int(rid)] = (int(n), int(errors or 0))
        a = RunArm.__table__
        stmt = select(a.c.run_id, a.c.name).where(a.c.run_id.in_(ids)).order_by(a.c.run_id, a.c.position)
        for rid, name in conn.execute(stmt):
            arms.setdefault(int(rid), []).append(name)
    return [
        RunSummary(
            id=int(r.id), name=r.name, kind=r.kind, status=r.status, created=stamp(r.created_at),
            arms=tuple(arms.get(r.id, ())), done=counts.get(r.id, (0, 0))[0],
            total=int(r.total_trials or 0), errors=counts.get(r.id, (0, 0))[1],
            cost_usd=float(r.cost_usd or 0.0), experiment_id=r.experiment_id,
        )
        for r in runs
    ]


def recent_runs(db: Engine, limit: int = 50) -> list[RunSummary]:
    """Newest first."""
    r = Run.__table__
    with db.connect() as conn:
        rows = list(conn.execute(select(r).order_by(r.c.id.desc()).limit(limit)))
    return _summaries(db, rows)


def run_detail(db: Engine, run_id: int) -> RunDetail:
    r = Run.__table__
    with db.connect() as conn:
        row = conn.execute(select(r).where(r.c.id == run_id)).first()
        if row is None:
            raise BadInput(f"run {run_id} not found", field="run")
        a = RunArm.__table__
        arm_rows = list(
            conn.execute(
                select(a.c.name, a.c.is_baseline, a.c.config_sha256)
                .where(a.c.run_id == run_id)
                .order_by(a.c.position)
            )
        )
    summary = _summaries(db, [row])[0]
    baseline = next((n for n, b, _ in arm_rows if b), arm_rows[0][0] if arm_rows else "baseline")
    try:
        analysis = json.loads(row.analysis_json or "{}")
    except ValueError:
        analysis = {}
    return RunDetail(
        summary=summary,
        suite=row.suite,
        contexts=tuple(c for c in (row.contexts or "").split(",") if c),
        trials_per_task=int(row.trials_per_task or 1),
        seed=int(row.seed or 0),
        budget_usd=row.budget_usd,
        sequential=bool(row.sequential),
        isolation=row.isolation or "",
        analysis=analysis,
        baseline=baseline,
        arm_configs=tuple((n, sha) for n, _, sha in arm_rows),
    )


def run_progress(db: Engine, run_id: int) -> list[ArmContextProgress]:
    """Per arm and context: trials stored, passed, graded and errors (one GROUP BY)."""
    t = Trial.__table__
    stmt = (
        select(
            t.c.arm, t.c.context, func.count(),
            func.sum(case((t.c.passed.is_(True), 1), else_=0)),
            func.sum(case((t.c.passed.is_not(None), 1), else_=0)),
            func.sum(case((t.c.status != _OK, 1), else_=0)),
        )
        .where(t.c.run_id == run_id)
        .group_by(t.c.arm, t.c.context)
        .order_by(t.c.arm, t.c.context)
    )
    with db.connect() as conn:
        return [
            ArmContextProgress(arm, ctx, int(n), int(p or 0), int(g or 0), int(e or 0))
            for arm, ctx, n, p, g, e in conn.execute(stmt)
        ]


def trial_table(db: Engine, run_id: int) -> TrialTable:
    """Every trial of a run in insertion order, without the (large) answers."""
    t = Trial.__table__
    stmt = select(*(t.c[c] for c in TRIAL_COLUMNS)).where(t.c.run_id == run_id).order_by(t.c.id)
    with db.connect() as conn:
        rows = [tuple(r) for r in conn.execute(stmt)]
    return TrialTable(TRIAL_COLUMNS, rows)


def discordant_tasks(
    db: Engine, run_id: int, variant: str, baseline: str = "baseline", context: str | None = None
) -> list[DiscordantTask]:
    """Tasks one arm passed more often than the other (with one trial: passed by one only)."""
    t = Trial.__table__
    stmt = (
        select(
            t.c.arm, t.c.task_id, t.c.context,
            func.avg(case((t.c.passed.is_(True), 1.0), else_=0.0)),
        )
        .where(t.c.run_id == run_id, t.c.arm.in_([baseline, variant]), t.c.passed.is_not(None))
        .group_by(t.c.arm, t.c.task_id, t.c.context)
    )
    if context and context != "all":
        stmt = stmt.where(t.c.context == context)
    rates: dict[tuple[str, str], dict[str, float]] = {}
    with db.connect() as conn:
        for arm, task, ctx, rate in conn.execute(stmt):
            rates.setdefault((task, ctx), {})[arm] = float(rate)
    out = [
        DiscordantTask(task, ctx, pair[baseline], pair[variant])
        for (task, ctx), pair in rates.items()
        if baseline in pair and variant in pair and pair[baseline] != pair[variant]
    ]
    # The biggest disagreements first: those are the ones worth reading.
    out.sort(key=lambda d: (-abs(d.variant_pass - d.baseline_pass), d.context, d.task_id))
    return out


def task_answers(db: Engine, run_id: int, task_id: str, arms: Sequence[str]) -> list[AnswerView]:
    """Every stored answer to one task by the given arms (arm order kept, then repeat)."""
    t = Trial.__table__
    stmt = select(
        t.c.arm, t.c.repeat, t.c.status, t.c.passed, t.c.score, t.c.response_text,
        t.c.grade_details, t.c.error_message,
    ).where(t.c.run_id == run_id, t.c.task_id == task_id, t.c.arm.in_(list(arms)))
    with db.connect() as conn:
        rows = list(conn.execute(stmt))
    order = {a: i for i, a in enumerate(arms)}
    rows.sort(key=lambda r: (order.get(r[0], 99), r[1]))
    return [
        AnswerView(
            arm=arm, repeat=int(rep), status=status,
            passed=None if passed is None else bool(passed), score=score,
            response_text=text or "", grade_details=_pretty_json(details),
            error_message=err or "",
        )
        for arm, rep, status, passed, score, text, details, err in rows
    ]


def _pretty_json(raw: str | None) -> str:
    if not raw:
        return ""
    try:
        return json.dumps(json.loads(raw), indent=2, sort_keys=True)
    except ValueError:
        return raw


# --- configurations ---------------------------------------------------------------------


def list_configs(db: Engine) -> list[ConfigSummary]:
    """One line per agent id, describing its newest version."""
    c = ConfigVersion.__table__
    with db.connect() as conn:
        rows = list(conn.execute(select(c).order_by(c.c.agent_id, c.c.created_at, c.c.sha256)))
    by_agent: dict[str, list[Any]] = {}
    for row in rows:
        by_agent.setdefault(row.agent_id, []).append(row)
    out = []
    for agent_id, versions in sorted(by_agent.items()):
        last = versions[-1]
        out.append(
            ConfigSummary(
                agent_id=agent_id, name=last.name, latest_sha256=last.sha256,
                latest_version=str(last.version), provider=last.provider, model=last.model,
                n_versions=len(versions), updated=stamp(last.created_at),
            )
        )
    return out


def config_history(db: Engine, agent_id: str) -> list[ConfigVersionView]:
    """Every stored version of one agent, oldest first, with how many runs used it."""
    c = ConfigVersion.__table__
    a = RunArm.__table__
    with db.connect() as conn:
        rows = list(
            conn.execute(select(c).where(c.c.agent_id == agent_id).order_by(c.c.created_at, c.c.sha256))
        )
        shas = [r.sha256 for r in rows]
        used = dict(
            conn.execute(
                select(a.c.config_sha256, func.count(func.distinct(a.c.run_id)))
                .where(a.c.config_sha256.in_(shas))
                .group_by(a.c.config_sha256)
            ).all()
        ) if shas else {}
    return [
        ConfigVersionView(
            sha256=r.sha256, agent_id=r.agent_id, name=r.name, version=str(r.version),
            provider=r.provider, model=r.model, created=stamp(r.created_at),
            source_path=r.source_path, canonical_yaml=r.canonical_yaml,
            n_runs=int(used.get(r.sha256, 0)),
        )
        for r in rows
    ]


def config_trend(db: Engine, agent_id: str) -> list[TrendPoint]:
    """Each run that used any version of ``agent_id``: per-arm metric means, oldest first."""
    t = Trial.__table__
    a = RunArm.__table__
    r = Run.__table__
    c = ConfigVersion.__table__
    passed = case((t.c.passed.is_(None), None), (t.c.passed.is_(True), 1.0), else_=0.0)
    means = [func.avg(passed)] + [func.avg(t.c[m]) for m in TREND_METRICS[1:]]
    stmt = (
        select(t.c.run_id, r.c.name, r.c.created_at, t.c.arm, a.c.config_sha256, c.c.version,
               func.count(), *means)
        .select_from(t)
        .join(a, (a.c.run_id == t.c.run_id) & (a.c.name == t.c.arm))
        .join(r, r.c.id == t.c.run_id)
        .join(c, c.c.sha256 == a.c.config_sha256)
        .where(c.c.agent_id == agent_id)
        .group_by(t.c.run_id, r.c.name, r.c.created_at, t.c.arm, a.c.config_sha256, c.c.version)
        .order_by(r.c.created_at, t.c.run_id, t.c.arm)
    )
    out = []
    with db.connect() as conn:
        for rid, name, created, arm, sha, version, n, *values in conn.execute(stmt):
            out.append(
                TrendPoint(
                    run_id=int(rid), run_name=name, created=stamp(created), arm=arm,
                    config_sha256=sha, version=str(version), n_trials=int(n),
                    metrics={m: (None if v is None else float(v)) for m, v in zip(TREND_METRICS, values)},
                )
            )
    return out


# --- experiments and the palette -------------------------------------------------------


def list_experiments(db: Engine) -> list[ExperimentSummary]:
    e = Experiment.__table__
    r = Run.__table__
    with db.connect() as conn:
        n_runs = dict(
            conn.execute(
                select(r.c.experiment_id, func.count()).where(r.c.experiment_id.is_not(None))
                .group_by(r.c.experiment_id)
            ).all()
        )
        rows = list(conn.execute(select(e).order_by(e.c.id.desc())))
    return [
        ExperimentSummary(int(x.id), x.name, stamp(x.created_at), x.source_path, int(n_runs.get(x.id, 0)))
        for x in rows
    ]


def experiment_spec_yaml(db: Engine, experiment_id: int) -> tuple[str, str | None]:
    """(spec YAML, source path) of a stored experiment."""
    e = Experiment.__table__
    with db.connect() as conn:
        row = conn.execute(select(e.c.spec_yaml, e.c.source_path).where(e.c.id == experiment_id)).first()
    if row is None:
            raise BadInput(f"experiment {experiment_id} not found", field="experiment")
    return row[0], row[1]


def latest_run_of_experiment(db: Engine, experiment_id: int) -> int | None:
    r = Run.__table__
    with db.connect() as conn:
        return conn.execute(
            select(func.max(r.c.id)).where(r.c.experiment_id == experiment_id)
        ).scalar()


def palette_index(db: Engine, limit: int = 200) -> PaletteIndex:
    return PaletteIndex(
        runs=tuple(recent_runs(db, limit)),
        configs=tuple(list_configs(db)),
        experiments=tuple(list_experiments(db)),
    )


# --- exports ----------------------------------------------------------------------------


def export_rows(db: Engine, run_id: int, columns: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Every trial of a run (errored ones included) as plain dicts of ``columns``, the
    arms in their run order (baseline first), then task and repeat."""
    t = Trial.__table__
    a = RunArm.__table__
    stmt = (
        select(*(t.c[c] for c in columns))
        .select_from(t)
        .join(a, (a.c.run_id == t.c.run_id) & (a.c.name == t.c.arm), isouter=True)
        .where(t.c.run_id == run_id)
        .order_by(a.c.position, t.c.arm, t.c.task_id, t.c.repeat)
    )
    with db.connect() as conn:
        for row in conn.execute(stmt):
            out = dict(zip(columns, row))
            for key in ("started_at", "finished_at"):
                if out.get(key) is not None:
                    out[key] = out[key].isoformat()
            yield out

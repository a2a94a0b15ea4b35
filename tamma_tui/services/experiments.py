"""Run an experiment: validate everything, then write, then run the engine.

Every check that can fail on user input (the experiment file, its configs, the suite, the
providers' API-key variables and endpoints) runs before the first row is written, so bad
input leaves nothing half-written in the database.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from tamma_tui.config.errors import BadInput
from tamma_tui.config.loader import LoadedExperiment, load_experiment
from tamma_tui.engine.events import Event
from tamma_tui.engine.loop import run as run_on_event_loop
from tamma_tui.engine.plan import Plan, build_plan
from tamma_tui.engine.runner import EngineDeps, EngineResult, EngineSettings, run_plan
from tamma_tui.vocabulary import RunKind, RunStatus, TrialStatus

ERROR_STATUSES = (TrialStatus.ERROR.value, TrialStatus.TIMEOUT.value)


@dataclass(frozen=True)
class RunOutcome:
    run_id: int
    status: str          # a RunStatus: completed | cancelled | budget_exhausted | stopped_early | incomplete
    done: int            # trials stored for the run (earlier attempts included)
    total: int
    errors: int          # errored or timed-out trials stored for the run
    cost_usd: float
    elapsed_s: float     # this attempt
    over_error_threshold: bool = False   # error_rate above the run's max_error_rate
    error_rate: float = 0.0
    max_error_rate: float = 0.05
    message: str = ""


def resume_command(experiment_path: str | Path, run_id: int, max_tasks: int | None = None) -> str:
    """The command line that finishes an interrupted run (same --max-tasks, same plan)."""
    extra = f" --max-tasks {max_tasks}" if max_tasks is not None else ""
    return f"tamma-bench run {experiment_path} --resume {run_id}{extra}"


@dataclass
class PreparedRun:
    """Everything checked and loaded, nothing written yet."""

    loaded: LoadedExperiment
    plan: Plan
    sequential: bool
    aa: bool
    isolation: str
    spec_text: str
    suite_version: str = ""


def prepare(
    experiment_path: str | Path,
    *,
    aa: bool = False,
    sequential: bool = False,
    max_tasks: int | None = None,
) -> PreparedRun:
    """Load and check the experiment, its suite and every arm's provider. Raises BadInput."""
    from tamma_tui.providers.factory import preflight
    from tamma_tui.suites.registry import load_suite
    from tamma_tui.suites.sandbox import check_can_grade, hide_path, isolation_level
    from tamma_tui.suites.version import suite_version

    if max_tasks is not None and max_tasks < 1:
        raise BadInput(f"must be at least 1, got {max_tasks}", field="--max-tasks")
    loaded = load_experiment(experiment_path)
    spec = loaded.spec
    try:
        suite = load_suite(spec.suite, base_dir=loaded.path.parent)
    except BadInput as exc:
        # Name the experiment file: that is where the user wrote the suite reference.
        raise BadInput(exc.reason, file=exc.file or loaded.path, field=exc.field or "suite") from None
    plan = build_plan(loaded, suite, aa=aa, max_tasks=max_tasks)
    if any(t.grader_kind in ("development", "testing") for t in plan.tasks):
        check_can_grade()  # agent code would run as root: refuse unless the user opted in
    if suite.source:  # a user suite's answers and hidden tests: never visible to agent code
        source = Path(suite.source)
        hide_path(source if source.is_dir() else source.parent)
    use_sequential = sequential or spec.sequential.enabled
    if use_sequential and spec.session == "mixed":
        raise BadInput("sequential monitoring needs session: isolated", file=loaded.path, field="sequential")
    checked: set[str] = set()
    for arm in loaded.arms[:1] if aa else loaded.arms:
        if arm.sha256 not in checked:
            checked.add(arm.sha256)
            preflight(arm.config, arm.source)
    return PreparedRun(
        loaded=loaded,
        plan=plan,
        suite_version=suite_version(suite),
        sequential=use_sequential,
        aa=aa,
        isolation=isolation_level(),
        spec_text=loaded.path.read_text(encoding="utf-8"),
    )


def _create_run(db, prepared: PreparedRun) -> int:
    from tamma_tui.store import repo, transaction
    from tamma_tui.suites.sandbox import hide_path

    if getattr(db, "url", None) is not None and db.url.database not in (None, "", ":memory:"):
        hide_path(Path(db.url.database).resolve().parent)  # agent code must not read results

    loaded, plan, spec = prepared.loaded, prepared.plan, prepared.loaded.spec
    with transaction(db) as session:
        for arm in plan.arms:
            repo.register_config(session, arm.config, source_path=arm.source)
        experiment_id = repo.create_experiment(
            session, spec.name, prepared.spec_text, source_path=str(loaded.path)
        )
        run_id = repo.create_run(
            session,
            name=plan.name,
            kind=RunKind.AA if prepared.aa else RunKind.EXPERIMENT,
            experiment_id=experiment_id,
            suite=spec.suite,
            suite_version=prepared.suite_version,
            contexts=plan.contexts,
            trials_per_task=spec.trials,
            seed=spec.seed,
            total_trials=plan.total,
            budget_usd=spec.budget_usd,
            max_error_rate=spec.max_error_rate,
            session_mode=spec.session,
            sequential=prepared.sequential,
            isolation=prepared.isolation,
            analysis=spec.analysis.model_dump(mode="json"),
            arms=[(a.name, a.baseline, a.sha256) for a in plan.arms],
        )
    return run_id


def _check_resumable(db, run, prepared: PreparedRun) -> None:
    """The reloaded experiment must describe the same trials as the stored run."""
    from tamma_tui.store import repo

    stored = {a.name: a.config_sha256 for a in repo.run_arms(db, run.id)}
    planned = {a.name: a.sha256 for a in prepared.plan.arms}
    where = prepared.loaded.path
    if stored != planned:
        changed = sorted(n for n in set(stored) | set(planned) if stored.get(n) != planned.get(n))
        raise BadInput(
            f"the arms of run {run.id} changed since it started ({', '.join(changed)}); "
            "resume needs the same configs",
            file=where,
        )
    if run.seed != prepared.loaded.spec.seed:
        raise BadInput(f"seed changed since run {run.id} started ({run.seed} -> "
                       f"{prepared.loaded.spec.seed})", file=where, field="seed")
    if run.total_trials != prepared.plan.total:
        raise BadInput(
            f"run {run.id} planned {run.total_trials} trials but the experiment now gives "
            f"{prepared.plan.total}; pass the same --max-tasks and keep trials/tasks unchanged",
            file=where,
        )


def _resume_source(db, run, experiment_path: str | Path | None) -> str | Path:
    """The stored experiment path when it still exists, else the one given."""
    from tamma_tui.services.browse import experiment_spec_yaml

    stored_path = None
    if run.experiment_id is not None:
        _, stored_path = experiment_spec_yaml(db, run.experiment_id)
    if stored_path and Path(stored_path).is_file():
        return stored_path
    if experiment_path is not None:
        return experiment_path
    raise BadInput(f"the experiment file of run {run.id} is gone ({stored_path}); name it on the command line")


def _make_monitor(db, run_id: int, loaded: LoadedExperiment) -> Callable[[int], str]:
    from tamma_tui.analysis.sequential import SequentialMonitor

    monitor = SequentialMonitor(db, run_id, plan=loaded.spec.analysis, sequential=loaded.spec.sequential)
    return monitor.look


def _stored_answers(db, run_id: int) -> dict[tuple[str, str, int], str]:
    """Answers of a run's answered trials, to replay mixed-session history on resume."""
    from tamma_tui.store import queries

    frame = queries.load_trials_frame(
        db, run_id, columns=["arm", "task_id", "repeat", "status", "response_text"]
    )
    frame = frame[frame["status"] == TrialStatus.OK]
    return {
        (str(a), str(t), int(r)): text
        for a, t, r, text in zip(frame["arm"], frame["task_id"], frame["repeat"], frame["response_text"])
        if isinstance(text, str)
    }


def _error_counts(db, run_id: int) -> tuple[int, int]:
    from tamma_tui.store import queries

    counts = queries.trial_counts(db, [run_id]).get(run_id, {})
    done = sum(counts.values())
    return done, sum(counts.get(s, 0) for s in ERROR_STATUSES)


def _start_executor(spec, kind: str | None, address: str | None, tasks):
    """The remote executor a run asked for (``executor:`` or ``--executor``), started; None
    for the local one."""
    if (kind or spec.kind) != "ray":
        return None
    from tamma_tui.engine.ray_executor import RayExecutor

    remote = RayExecutor(address=address or spec.address, max_workers=spec.max_workers)
    remote.start(tasks)
    return remote


def run_experiment(
    experiment_path: str | Path | None,
    *,
    db: Any = None,
    on_event: Callable[[Event], None] | None = None,
    resume: int | str | None = None,
    sequential: bool = False,
    aa: bool = False,
    cancel: threading.Event | None = None,
    concurrency: int | None = None,
    max_tasks: int | None = None,
    engine_overrides: dict[str, Any] | None = None,
    executor: str | None = None,
    ray_address: str | None = None,
) -> RunOutcome:
    """Run (or resume) an experiment to the end, synchronously; safe in a worker thread.

    ``db`` is a path, an SQLAlchemy URL, an open Engine, or None (the default database).

    ``on_event`` receives the engine's events in this thread. Setting ``cancel`` stops the
    run: in-flight trials are dropped, finished ones are kept, the status is ``cancelled``.
    """
    from tamma_tui.providers.factory import make_provider
    from tamma_tui.store import repo
    from tamma_tui.store.handle import as_database
    from tamma_tui.store.models import utcnow
    from tamma_tui.store.write_errors import StoreFull
    from tamma_tui.suites.graders import grade
    from tamma_tui.suites.prompts import render_user_prompt

    if concurrency is not None and concurrency < 1:
        raise BadInput(f"must be at least 1, got {concurrency}", field="--concurrency")
    db = as_database(db)
    if resume is not None:
        run = repo.get_run(db, resume)
        if run.kind not in (RunKind.EXPERIMENT, RunKind.AA):
            raise BadInput(f"run {run.id} is an {run.kind}, not an experiment run; nothing to resume")
        source = _resume_source(db, run, experiment_path)
        prepared = prepare(source, aa=run.kind == "aa", sequential=run.sequential, max_tasks=max_tasks)
        _check_resumable(db, run, prepared)
        run_id = int(run.id)
        done_keys = repo.trial_keys(db, run_id)
        prior_cost = float(run.cost_usd or 0.0)
        repo.retry_when_busy(lambda: repo.update_run(db, run_id, status=RunStatus.RUNNING, finished_at=None))
    else:
        if experiment_path is None:
            raise BadInput("an experiment file is required", field="EXPERIMENT")
        prepared = prepare(experiment_path, aa=aa, sequential=sequential, max_tasks=max_tasks)
        # The run row and its arms are one transaction; another writer holding the lock
        # past the busy timeout means wait and redo it, not a traceback.
        run_id = repo.retry_when_busy(lambda: _create_run(db, prepared))
        done_keys = set()
        prior_cost = 0.0

    spec = prepared.loaded.spec
    look = _make_monitor(db, run_id, prepared.loaded) if prepared.sequential else None
    settings = EngineSettings(
        run_id=run_id,
        concurrency=concurrency or spec.concurrency,
        rate_limits=spec.rate_limits,
        retry=spec.retry,
        budget_usd=spec.budget_usd,
        prior_cost_usd=prior_cost,
        block_tasks=spec.sequential.block_tasks if prepared.sequential else None,
        isolation=prepared.isolation,
        **(engine_overrides or {}),
    )
    remote = _start_executor(spec.executor, executor, ray_address, prepared.plan.tasks)
    deps = EngineDeps(
        # The simulated agent learns the plan's tasks, so a user's own suite has answers too.
        make_provider=lambda cfg, conc: make_provider(cfg, max_connections=conc, tasks=prepared.plan.tasks),
        grade=grade,
        render_prompt=render_user_prompt,
        save_batch=lambda rows, cost: repo.save_trial_batch(db, run_id, rows, cost),
        on_event=on_event,
        look=look,
        cancel=cancel,
        load_answers=(lambda: _stored_answers(db, run_id)) if resume is not None else None,
        remote=remote,
    )
    try:
        # uvloop when installed and the garbage collector tuned for the run (engine/loop.py):
        # the engine is CPU-bound at high concurrency.
        result: EngineResult = run_on_event_loop(run_plan(prepared.plan, settings, deps, done_keys))
    except BaseException:
        # Interrupted hard (a second Ctrl-C) or an engine bug: finished trials were
        # flushed by the engine; mark the run so it can be resumed.
        repo.update_run(db, run_id, status=RunStatus.CANCELLED, finished_at=utcnow())
        raise
    finally:
        if remote is not None:
            remote.close()
    status, message = result.status, result.message
    done, errors = _error_counts(db, run_id)
    if done < result.done:
        # Stored < planned minus skipped: some finished trial never reached the disk.
        status = RunStatus.INCOMPLETE
        message = message or f"{result.done - done} finished trial(s) not stored"
    try:
        repo.retry_when_busy(
            lambda: repo.update_run(db, run_id, status=status, cost_usd=result.cost_usd, finished_at=utcnow())
        )
    except StoreFull as exc:
        # The disk filled up: the trials that fit are stored; say so in the one line.
        status = RunStatus.INCOMPLETE
        message = f"{message + '; ' if message else ''}the run's final status could not be stored ({exc})"
    error_rate = errors / done if done else 0.0
    return RunOutcome(
        run_id=run_id,
        status=status,
        done=done,
        total=result.total,
        errors=errors,
        cost_usd=result.cost_usd,
        elapsed_s=result.elapsed_s,
        over_error_threshold=error_rate > spec.max_error_rate,
        error_rate=error_rate,
        max_error_rate=spec.max_error_rate,
        message=message,
    )

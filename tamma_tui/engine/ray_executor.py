"""The Ray executor: trials (the agent call and its grading) run on a Ray cluster's workers.

The driver keeps everything global, exactly as with the local executor: the plan and its
seeded order, the per-endpoint concurrency and the rate-limit token bucket (a lease is taken
before a trial is sent), the budget, sequential looks, events and every write. A worker only
calls the agent (with the retry policy) and grades the answer, so graders run on the worker
that produced the answer, inside that worker's sandbox; each trial records the worker and its
isolation level.

Workers are async actors (one per ``max_workers``, spread over nodes) that keep one provider
per configuration. A worker that dies mid-trial loses nothing: the driver sends the trial to
another worker, once, and records that it did. Ray is an optional extra
(``pip install 'tamma-bench[ray]'``); nothing here imports it until a run asks for it.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import socket
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Sequence

from tamma_tui.errors import BadInput

#: How many times a trial is sent again after its worker died.
WORKER_RETRIES = 1


@dataclass(frozen=True)
class RemoteOutcome:
    """What a worker sends back: plain data, so it crosses processes and machines."""

    completion: dict[str, Any] | None
    error: tuple[str, str] | None  # (kind, message)
    attempts: int
    last_kind: str | None
    last_message: str | None
    grade: dict[str, Any] | None
    grade_error: str | None
    started_at: datetime
    worker: str
    isolation: str
    worker_retries: int = 0


def _require_ray():
    try:
        import ray
    except ImportError:
        raise BadInput(
            "the Ray executor needs Ray: pip install 'tamma-bench[ray]'", field="executor.kind"
        ) from None
    return ray


class TrialWorker:
    """Runs inside a Ray actor: one event loop, one provider per configuration."""

    def __init__(self, tasks: Sequence[Any], max_connections: int) -> None:
        from tamma_tui.suites.sandbox import isolation_level

        self.tasks = {t.id: t for t in tasks}
        self.max_connections = max_connections
        self.providers: dict[str, Any] = {}
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.isolation = isolation_level()

    def _provider(self, sha: str, config_json: dict[str, Any]):
        provider = self.providers.get(sha)
        if provider is None:
            from tamma_tui.config.models import AgentConfig
            from tamma_tui.providers.factory import make_provider

            config = AgentConfig.model_validate(config_json)
            provider = self.providers[sha] = make_provider(
                config, max_connections=self.max_connections, tasks=self.tasks.values()
            )
        return provider

    def whoami(self) -> tuple[str, int]:
        return self.name, os.getpid()

    async def run_trial(
        self,
        sha: str,
        config_json: dict[str, Any],
        task_id: str,
        messages: tuple[dict[str, str], ...],
        seed: int,
        timeout_s: float,
        retry_json: dict[str, Any],
        jitter_seed: int,
    ) -> RemoteOutcome:
        from tamma_tui.config.models import RetryPolicy
        from tamma_tui.engine.retry import Attempts, call_with_retry
        from tamma_tui.providers.base import AgentRequest, ProviderError
        from tamma_tui.suites.graders import grade

        task = self.tasks[task_id]
        provider = self._provider(sha, config_json)
        request = AgentRequest(messages=messages, task_id=task_id, seed=seed)
        attempts = Attempts()
        started = datetime.now(timezone.utc)
        completion = error = None
        try:
            completion = await call_with_retry(
                lambda _timeout: provider.complete(request),
                RetryPolicy.model_validate(retry_json),
                attempts,
                attempt_timeout_s=timeout_s,
                rng=random.Random(jitter_seed),
            )
        except ProviderError as exc:
            error = (exc.kind, str(exc))
        except Exception as exc:  # a provider bug is still only this trial's error
            error = ("internal_error", f"{type(exc).__name__}: {exc}")
        graded = grade_error = None
        if completion is not None:
            try:
                result = await asyncio.to_thread(grade, task, completion.text)
                graded = {"passed": bool(result.passed), "score": float(result.score), "details": result.details,
                          "integrity": result.integrity}
            except Exception as exc:
                grade_error = f"grader failed: {type(exc).__name__}: {exc}"
        return RemoteOutcome(
            completion=None if completion is None else _completion_fields(completion),
            error=error,
            attempts=attempts.count,
            last_kind=attempts.last_kind,
            last_message=attempts.last_message,
            grade=graded,
            grade_error=grade_error,
            started_at=started,
            worker=self.name,
            isolation=self.isolation,
        )

    async def aclose(self) -> None:
        for provider in self.providers.values():
            try:
                await provider.aclose()
            except Exception:
                pass


def _completion_fields(completion: Any) -> dict[str, Any]:
    from dataclasses import asdict, is_dataclass

    return asdict(completion) if is_dataclass(completion) else dict(vars(completion))


@dataclass
class RayExecutor:
    """A pool of TrialWorker actors on a cluster; the driver's side of the executor."""

    address: str = "auto"
    max_workers: int = 2
    concurrency_per_worker: int = 16
    _ray: Any = field(default=None, repr=False)
    _actors: list[Any] = field(default_factory=list, repr=False)
    _next: Any = field(default=None, repr=False)
    _started_ray: bool = False
    _tasks: Any = None  # an ObjectRef of the plan's tasks

    def start(self, tasks: Sequence[Any]) -> None:
        ray = self._ray = _require_ray()
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, logging_level="ERROR", log_to_driver=False,
                         configure_logging=False, include_dashboard=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise BadInput(f"cannot reach the Ray cluster: {exc}", field="executor.address") from None
            self._started_ray = True
        # One copy of the tasks in the object store, kept referenced by the driver so that a
        # restarted worker can always be built again from it.
        self._tasks = ray.put(tuple(tasks))
        remote_cls = ray.remote(max_restarts=-1, max_task_retries=0, num_cpus=1)(TrialWorker)
        self._actors = [
            remote_cls.options(max_concurrency=self.concurrency_per_worker, scheduling_strategy="SPREAD")
            .remote(self._tasks, self.concurrency_per_worker)
            for _ in range(self.max_workers)
        ]
        self._next = itertools.cycle(range(len(self._actors)))

    def workers(self) -> list[tuple[str, int]]:
        """(host:pid, pid) of each live worker: for tests and the run's record."""
        return self._ray.get([a.whoami.remote() for a in self._actors])

    async def run_trial(self, sha: str, config_json: dict[str, Any], task_id: str,
                        messages: tuple[dict[str, str], ...], seed: int, timeout_s: float,
                        retry_json: dict[str, Any], jitter_seed: int) -> RemoteOutcome:
        from ray.exceptions import ActorDiedError, ActorUnavailableError, RayActorError, WorkerCrashedError

        lost = (ActorDiedError, ActorUnavailableError, RayActorError, WorkerCrashedError)
        retries = 0
        while True:
            actor = self._actors[next(self._next)]
            try:
                outcome = await actor.run_trial.remote(
                    sha, config_json, task_id, messages, seed, timeout_s, retry_json, jitter_seed
                )
            except lost:
                if retries >= WORKER_RETRIES:
                    raise
                retries += 1  # another worker (the cycle moves on), once
                continue
            if retries:
                outcome = RemoteOutcome(**{**outcome.__dict__, "worker_retries": retries})
            return outcome

    def close(self) -> None:
        if self._ray is None:
            return
        for actor in self._actors:
            try:
                self._ray.kill(actor)
            except Exception:
                pass
        self._actors = []
        if self._started_ray:
            self._ray.shutdown()

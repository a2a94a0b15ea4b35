"""The asyncio benchmark engine: schedule trials, call agents, grade, record.

One run = a plan (trial keys, and sessions in mixed mode) minus what is already stored.
Per provider endpoint: a semaphore (the experiment's concurrency) and a rate limiter.
Per trial: retries with backoff, a timeout per attempt, grading off the event loop, one
row for the batched writer. Infrastructure failures become errored trials; nothing a
provider does crashes a run.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Sequence

from tamma_tui.config.models import AgentConfig, RateLimits, RetryPolicy
from tamma_tui.providers.base import AgentRequest, Completion, Provider, ProviderError
from tamma_tui.suites.model import Grade, Task
from tamma_tui.vocabulary import ErrorKind, RunStatus

from .events import Event, RunFinished, RunProgress, RunStarted, TrialFinished, TrialStarted
from .plan import Plan, PlannedArm, SessionPlan, TrialKey, trial_seed
from .progress import ProgressTally
from .ratelimit import RateLimiter, estimate_tokens
from .retry import Attempts, call_with_retry
from .sessions import session_budget_tokens, trim_history
from .trial import CallOutcome, TrialRecord, build_record
from .trial import utcnow as _utcnow
from .writer import BatchWriter

# Verdicts of a sequential monitor (see tamma_tui.analysis.sequential).
CONTINUE = "continue"
STOP_MAX = "stop_max"
WRITE_FAILED = "write_failed"   # a stop reason: the writer could not store trials

PROGRESS_INTERVAL_S = 0.1   # at most ~10 progress events a second


@dataclass
class EngineDeps:
    """What the engine talks to. Services pass the real ones; unit tests pass small fakes."""

    make_provider: Callable[[AgentConfig, int], Provider]
    grade: Callable[[Task, str], Grade]
    render_prompt: Callable[[Task, int], str]
    # Store a batch of trial rows together with the run's cost as of those rows (one
    # transaction: the cost on disk is the cost of the trials on disk). Runs in a thread.
    save_batch: Callable[[Sequence[dict[str, Any]], float], Any]
    on_event: Callable[[Event], None] | None = None
    # Sequential monitoring: called in a thread after each flushed block with the number
    # of tasks done; returns a verdict ("continue" keeps going).
    look: Callable[[int], str] | None = None
    cancel: threading.Event | None = None
    # Resume of mixed sessions: the stored answers {(arm, task_id, repeat): text} of turns
    # done earlier (answered turns only), so the conversation can be replayed.
    load_answers: Callable[[], dict[tuple[str, str, int], str]] | None = None
    # A remote executor (engine/ray_executor.py): when set, the agent call and its grading
    # run on its workers; everything else (limits, budget, events, writes) stays here.
    remote: Any = None


@dataclass
class EngineSettings:
    run_id: int
    concurrency: int = 16
    rate_limits: RateLimits = field(default_factory=RateLimits)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    budget_usd: float | None = None
    prior_cost_usd: float = 0.0          # cost recorded by earlier attempts (resume)
    block_tasks: int | None = None       # sequential monitoring: tasks per block
    grade_workers: int = field(default_factory=lambda: os.cpu_count() or 2)
    batch_size: int = 200
    flush_interval_s: float = 0.5
    rng_seed: int | None = None          # backoff jitter; None = unpredictable
    isolation: str = ""                  # the sandbox isolation in force (for RunStarted)


@dataclass
class EngineResult:
    status: str
    done: int
    total: int
    errors: int
    cost_usd: float
    elapsed_s: float
    errors_by_kind: dict[str, int]
    message: str = ""
    ran: int = 0                          # trials finished in this attempt


@dataclass
class _Endpoint:
    """Concurrency and rate limits are shared by every arm that calls the same endpoint."""

    semaphore: asyncio.Semaphore
    limiter: RateLimiter


@dataclass
class _ArmState:
    arm: PlannedArm
    provider: Provider
    endpoint: _Endpoint
    endpoint_key: tuple[str, ...]
    system: tuple[dict[str, str], ...]
    completion_estimate: int


def endpoint_key(config: AgentConfig) -> tuple[str, ...]:
    if config.provider == "command":
        return ("command", *(config.command or ()))
    return (config.provider, config.base_url or "")


__all__ = ["EngineDeps", "EngineResult", "EngineSettings", "Runner", "run_plan", "session_budget_tokens",
           "trim_history"]


class Runner:
    def __init__(self, plan: Plan, settings: EngineSettings, deps: EngineDeps):
        self.plan = plan
        self.settings = settings
        self.deps = deps
        self.tasks = {t.id: t for t in plan.tasks}
        self._prompts: dict[tuple[str, int], str] = {}
        self._rng = random.Random(settings.rng_seed)
        # Progress: totals fed one TrialRecord at a time (engine/progress.py).
        self.total = plan.total
        self.already_done = 0
        self.tally = ProgressTally(settings.prior_cost_usd)
        # Stop flags.
        self._stop_reason: str | None = None   # budget_exhausted | stopped_early | completed
        self.cancelled = False
        self._note: str | None = None   # a problem worth reporting with the result
        self._earlier_answers: dict[TrialKey, str] = {}
        self._flushed_cost = 0.0
        self._remote_grades: dict[TrialKey, tuple] = {}

    @property
    def ran(self) -> int:
        return self.tally.ran

    @property
    def errors(self) -> int:
        return self.tally.errors

    @property
    def errors_by_kind(self) -> dict[str, int]:
        return self.tally.errors_by_kind

    @property
    def cost(self) -> float:
        return self.tally.cost

    # -- events ---------------------------------------------------------------------------

    def _emit(self, event: Event) -> None:
        if self.deps.on_event is None:
            return
        try:
            self.deps.on_event(event)
        except Exception as exc:  # a broken display must not break the run
            if self._note is None:
                self._note = f"event consumer failed: {type(exc).__name__}: {exc}"

    def _progress_event(self) -> RunProgress:
        return self.tally.event(self.settings.run_id, self.already_done, self.total, time.monotonic() - self._t0)

    async def _progress_ticker(self) -> None:
        seen = -1
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL_S)
            if self.tally.version != seen:
                seen = self.tally.version
                self._emit(self._progress_event())

    async def _cancel_watcher(self, workers: list[asyncio.Task[Any]]) -> None:
        flag = self.deps.cancel
        assert flag is not None
        while not flag.is_set():
            await asyncio.sleep(0.05)
        self.cancelled = True
        for w in workers:
            w.cancel()

    # -- set-up ---------------------------------------------------------------------------

    def _open_arms(self) -> dict[str, _ArmState]:
        s = self.settings
        endpoints: dict[tuple[str, ...], _Endpoint] = {}
        states: dict[str, _ArmState] = {}
        providers: dict[str, Provider] = {}
        for arm in self.plan.arms:
            cfg = arm.config
            key = endpoint_key(cfg)
            if key not in endpoints:
                endpoints[key] = _Endpoint(
                    asyncio.Semaphore(s.concurrency),
                    RateLimiter(s.rate_limits.requests_per_minute, s.rate_limits.tokens_per_minute),
                )
            # Twin arms (A/A copy, isolated twin) with the same config share one client.
            provider = providers.get(arm.sha256)
            if provider is None:
                provider = providers[arm.sha256] = self.deps.make_provider(cfg, s.concurrency)
            system = ({"role": "system", "content": cfg.systemPrompt},) if cfg.systemPrompt else ()
            states[arm.name] = _ArmState(
                arm=arm,
                provider=provider,
                endpoint=endpoints[key],
                endpoint_key=key,
                system=system,
                completion_estimate=min(cfg.parameters.max_tokens or 512, 512),
            )
        return states

    def _prompt(self, task: Task, max_files: int) -> str:
        key = (task.id, max_files)
        text = self._prompts.get(key)
        if text is None:
            text = self._prompts[key] = self.deps.render_prompt(task, max_files)
        return text

    # -- one call -------------------------------------------------------------------------

    async def _call(
        self, state: _ArmState, key: TrialKey, task: Task, messages: tuple[dict[str, str], ...], chars: int
    ) -> CallOutcome | None:
        """Call the agent; None when the run stopped before the call was sent."""
        cfg = state.arm.config
        request = AgentRequest(
            messages=messages,
            task_id=task.id,
            seed=trial_seed(self.plan.seed, task.id, key.repeat),
        )
        limiter = state.endpoint.limiter
        estimate = estimate_tokens(chars) + state.completion_estimate
        before = (lambda: limiter.acquire(estimate)) if limiter.active else None
        attempts = Attempts()
        provider = state.provider
        async with state.endpoint.semaphore:
            if self._stop_reason is not None:
                return None  # the budget ran out (or the monitor stopped) while waiting
            started = _utcnow()
            if self.deps.on_event is not None:
                self._emit(TrialStarted(self.settings.run_id, key.arm, task.id, task.context, key.repeat))
            if self.deps.remote is not None:
                if before is not None:  # one lease per trial from the driver's token bucket
                    await before()
                called = await self._call_remote(state, key, request, started)
                if limiter.active and called.completion is not None:
                    limiter.settle(estimate, called.completion.prompt_tokens + called.completion.completion_tokens)
                return called
            try:
                completion = await call_with_retry(
                    lambda _timeout: provider.complete(request),
                    self.settings.retry,
                    attempts,
                    attempt_timeout_s=cfg.timeout_s,
                    rng=self._rng,
                    before_attempt=before,
                )
            except ProviderError as exc:
                return CallOutcome(None, exc, attempts, started)
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as exc:  # a provider bug is still only this trial's error
                return CallOutcome(None, ProviderError(ErrorKind.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"),
                                   attempts, started)
        if limiter.active:
            limiter.settle(estimate, completion.prompt_tokens + completion.completion_tokens)
        return CallOutcome(completion, None, attempts, started)

    async def _call_remote(self, state: _ArmState, key: TrialKey, request: AgentRequest,
                           started: datetime) -> CallOutcome:
        """The call and its grade on a remote worker; the grade waits in ``_remote_grades``."""
        cfg = state.arm.config
        try:
            out = await self.deps.remote.run_trial(
                state.arm.sha256, cfg.model_dump(mode="json", exclude_none=True), key.task_id,
                request.messages, request.seed, cfg.timeout_s, self.settings.retry.model_dump(mode="json"),
                self._rng.randrange(2**32),
            )
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except Exception as exc:  # the worker was lost twice, or the cluster went away
            return CallOutcome(None, ProviderError(ErrorKind.EXECUTOR_ERROR, f"{type(exc).__name__}: {exc}"),
                               Attempts(count=1), started)
        attempts = Attempts(count=out.attempts, last_kind=out.last_kind, last_message=out.last_message)
        placement = {"worker": out.worker, "isolation": out.isolation, "worker_retries": out.worker_retries}
        self._remote_grades[key] = (out.grade, out.grade_error, placement)
        if out.completion is None:
            kind, message = out.error or (ErrorKind.INTERNAL_ERROR, "no answer")
            return CallOutcome(None, ProviderError(kind, message), attempts, out.started_at)
        return CallOutcome(Completion(**out.completion), None, attempts, out.started_at)

    async def _grade(self, task: Task, text: str, pool: ThreadPoolExecutor) -> Grade:
        # Exact/contains matching is a string comparison: cheaper inline than a thread hop.
        # A regex (the task's own pattern) runs in the pool, time-bounded, off the loop.
        if task.grader_kind == "match" and task.grader.get("mode") != "regex":
            return self.deps.grade(task, text)
        return await asyncio.get_running_loop().run_in_executor(pool, self.deps.grade, task, text)

    def _record(self, record: TrialRecord, writer: BatchWriter) -> None:
        writer.add(record.as_row())
        self.tally.add(record)
        budget = self.settings.budget_usd
        if budget is not None and self.cost >= budget and self._stop_reason is None:
            self._stop_reason = RunStatus.BUDGET_EXHAUSTED
        if writer.failure is not None and self._stop_reason is None:
            # Storing stopped (a full disk): running more trials would only lose them too.
            self._stop_reason = WRITE_FAILED
        if self.deps.on_event is not None:
            ok = record.ok
            self._emit(
                TrialFinished(
                    run_id=record.run_id,
                    arm=record.arm,
                    task_id=record.task_id,
                    context=record.context,
                    repeat=record.repeat,
                    status=record.status,
                    passed=record.passed,
                    score=record.score,
                    latency_s=record.latency_s,
                    cost_usd=record.cost_usd,
                    attempts=record.attempts,
                    error_kind=record.error_kind,
                    error_message=None if ok else record.error_message,
                )
            )

    async def run_one_trial(
        self,
        state: _ArmState,
        key: TrialKey,
        task: Task,
        messages: tuple[dict[str, str], ...],
        chars: int,
        pool: ThreadPoolExecutor,
        position: int | None = None,
    ) -> TrialRecord | None:
        """Call the agent, grade the answer and return the trial's record; None when the
        run stopped before the call was sent."""
        called = await self._call(state, key, task, messages, chars)
        if called is None:
            return None
        grade = grade_error = None
        extra_details = None
        remote = self._remote_grades.pop(key, None)
        if remote is not None:
            graded, grade_error, placement = remote
            if graded is not None:
                grade = Grade(passed=graded["passed"], score=graded["score"],
                              details={**graded["details"], "executor": placement},
                              integrity=graded.get("integrity", "ok"))
            else:
                extra_details = {"executor": placement}
        elif called.completion is not None:
            try:
                grade = await self._grade(task, called.completion.text, pool)
            except Exception as exc:  # graders should not raise; if one does, it is this trial's error
                grade_error = f"grader failed: {type(exc).__name__}: {exc}"
        record = build_record(
            run_id=self.settings.run_id, arm=key.arm, sha256=state.arm.sha256, config=state.arm.config,
            task=task, repeat=key.repeat, call=called, grade=grade, grade_error=grade_error, position=position,
        )
        return record.replace_details(extra_details) if extra_details is not None else record

    # -- units of work --------------------------------------------------------------------

    async def _run_trial(self, key: TrialKey, states: dict[str, _ArmState], pool, writer) -> None:
        state = states[key.arm]
        task = self.tasks[key.task_id]
        user = {"role": "user", "content": self._prompt(task, state.arm.config.context.max_context_files)}
        messages = (*state.system, user)
        chars = len(user["content"]) + (len(state.system[0]["content"]) if state.system else 0)
        record = await self.run_one_trial(state, key, task, messages, chars, pool)
        if record is not None:
            self._record(record, writer)

    async def _run_session(
        self, session: SessionPlan, todo: set[TrialKey], states: dict[str, _ArmState], pool, writer
    ) -> None:
        """Turns run in order; each appends its prompt and answer to the conversation."""
        state = states[session.arm]
        cfg = state.arm.config
        budget = session_budget_tokens(cfg)
        system_chars = len(state.system[0]["content"]) if state.system else 0
        history: list[dict[str, str]] = []
        for position, key in enumerate(session.turns):
            task = self.tasks[key.task_id]
            if key not in todo:
                # Done in an earlier attempt (resume): replay its stored answer so the
                # conversation the next turn sees is the one the agent had.
                earlier = self._earlier_answers.get(key)
                if earlier is not None:
                    history.append({"role": "user", "content": self._prompt(task, cfg.context.max_context_files)})
                    history.append({"role": "assistant", "content": earlier})
                continue
            if self._stop_reason is not None:
                return
            user = {"role": "user", "content": self._prompt(task, cfg.context.max_context_files)}
            trim_history(history, system_chars + len(user["content"]), budget)
            messages = (*state.system, *history, user)
            chars = system_chars + len(user["content"]) + sum(len(m["content"]) for m in history)
            record = await self.run_one_trial(state, key, task, messages, chars, pool, position)
            if record is None:
                return
            self._record(record, writer)
            if record.response_text is not None:  # answered (graded or not): it joins the conversation
                history.append(user)
                history.append({"role": "assistant", "content": record.response_text})

    async def _worker(self, queue: deque, todo: set[TrialKey], states, pool, writer) -> None:
        while queue and self._stop_reason is None:
            unit = queue.popleft()
            if isinstance(unit, SessionPlan):
                await self._run_session(unit, todo, states, pool, writer)
            else:
                await self._run_trial(unit, states, pool, writer)

    async def _execute(self, units: list[TrialKey | SessionPlan], todo: set[TrialKey], states, pool, writer) -> None:
        """Run units with per-endpoint worker pools; each pool pulls its units in plan order."""
        queues: dict[tuple[str, ...], deque] = {}
        for unit in units:
            queues.setdefault(states[unit.arm].endpoint_key, deque()).append(unit)
        # More workers than the semaphore allows, so calls continue while others grade.
        per_endpoint = self.settings.concurrency + self.settings.grade_workers
        loop = asyncio.get_running_loop()
        workers = [
            loop.create_task(self._worker(q, todo, states, pool, writer))
            for q in queues.values()
            for _ in range(min(per_endpoint, len(q)))
        ]
        if not workers:
            return
        watcher = loop.create_task(self._cancel_watcher(workers)) if self.deps.cancel is not None else None
        try:
            await asyncio.gather(*workers)
        except asyncio.CancelledError:
            if not self.cancelled:
                raise
        except BaseException:
            for w in workers:
                w.cancel()
            raise
        finally:
            if watcher is not None:
                watcher.cancel()

    # -- the run --------------------------------------------------------------------------

    async def run(self, done_keys: Iterable[tuple[str, str, int]] = ()) -> EngineResult:
        self._t0 = time.monotonic()
        done = {TrialKey(*k) for k in done_keys}
        all_keys = self.plan.all_keys()
        todo = {k for k in all_keys if k not in done}
        self.already_done = len(all_keys) - len(todo)
        s = self.settings
        self._emit(
            RunStarted(
                run_id=s.run_id,
                name=self.plan.name,
                arms=tuple(a.name for a in self.plan.arms),
                contexts=self.plan.contexts,
                total_trials=self.total,
                already_done=self.already_done,
                isolation=s.isolation,
                budget_usd=s.budget_usd,
            )
        )
        if s.budget_usd is not None and self.cost >= s.budget_usd:
            self._stop_reason = RunStatus.BUDGET_EXHAUSTED
        session_keys = {k for sp in self.plan.sessions for k in sp.turns}
        if self.deps.load_answers is not None and session_keys & done:
            stored = await asyncio.to_thread(self.deps.load_answers)
            self._earlier_answers = {TrialKey(*k): v for k, v in stored.items() if TrialKey(*k) in session_keys}
        pool = ThreadPoolExecutor(max_workers=max(1, s.grade_workers), thread_name_prefix="grade")
        writer = BatchWriter(self._save_batch, batch_size=s.batch_size, interval_s=s.flush_interval_s)
        writer.start()
        ticker = asyncio.get_running_loop().create_task(self._progress_ticker())
        states: dict[str, _ArmState] = {}
        try:
            states = self._open_arms()
            await self._schedule(todo, states, pool, writer)
        finally:
            ticker.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            # Every finished trial is written, whatever happened.
            await writer.close()
            closed: set[int] = set()
            for st in states.values():
                if id(st.provider) not in closed:
                    closed.add(id(st.provider))
                    try:
                        await st.provider.aclose()
                    except Exception:
                        pass
        message = self._note or ""
        if writer.unwritten:
            # Finished trials that are not on disk: never report such a run as a success.
            status = RunStatus.INCOMPLETE
            lost = f"{writer.unwritten} finished trial(s) not stored"
            message = f"{writer.failure}; {lost}" if writer.failure else lost
        elif self.cancelled:
            status = RunStatus.CANCELLED
        elif self._stop_reason == RunStatus.BUDGET_EXHAUSTED and self.already_done + self.ran >= self.total:
            status = RunStatus.COMPLETED  # the last trial crossed the budget: nothing was skipped
        elif self._stop_reason in (RunStatus.BUDGET_EXHAUSTED, RunStatus.STOPPED_EARLY):
            status = self._stop_reason
        else:
            status = RunStatus.COMPLETED
        elapsed = time.monotonic() - self._t0
        self._emit(self._progress_event())
        result = EngineResult(
            status=status,
            done=self.already_done + self.ran,
            total=self.total,
            errors=self.errors,
            cost_usd=self.cost,
            elapsed_s=elapsed,
            errors_by_kind=dict(self.errors_by_kind),
            message=message,
            ran=self.ran,
        )
        self._emit(
            RunFinished(
                run_id=s.run_id,
                status=status,
                done=result.done,
                total=result.total,
                errors=self.errors,
                cost_usd=self.cost,
                elapsed_s=elapsed,
                message=message,
            )
        )
        return result

    def _save_batch(self, rows: Sequence[dict[str, Any]]) -> None:
        # The cost of what is on disk (not of trials still in memory), so a resume after a
        # crash starts its budget from the trials that really were kept.
        flushed = self._flushed_cost + sum(r["cost_usd"] for r in rows)
        self.deps.save_batch(rows, self.settings.prior_cost_usd + flushed)
        self._flushed_cost = flushed

    async def _schedule(self, todo: set[TrialKey], states, pool, writer) -> None:
        plan = self.plan
        block = self.settings.block_tasks
        if block is None or self.deps.look is None or plan.sessions:
            # Sessions first: they are the long poles (turns run one after another), and
            # the isolated trials fill the other workers meanwhile.
            units: list[TrialKey | SessionPlan] = [s for s in plan.sessions if any(k in todo for k in s.turns)]
            units += [k for k in plan.trials if k in todo]
            await self._execute(units, todo, states, pool, writer)
            return
        # Sequential monitoring: one block of tasks at a time, a look after each.
        n_done = 0
        for tasks in plan.task_blocks(block):
            n_done += len(tasks)
            ids = {t.id for t in tasks}
            units = [k for k in plan.trials if k.task_id in ids and k in todo]
            if not units:
                continue
            await self._execute(list(units), todo, states, pool, writer)
            if self.cancelled or self._stop_reason is not None:
                return
            await writer.flush()
            try:
                verdict = await asyncio.to_thread(self.deps.look, n_done)
            except Exception as exc:
                # A failed interim analysis must not lose the run: finish it unmonitored.
                self._note = f"sequential look failed ({type(exc).__name__}: {exc}); ran to the end"
                seen = {t.id for t in plan.tasks[:n_done]}
                rest = [k for k in plan.trials if k in todo and k.task_id not in seen]
                await self._execute(rest, todo, states, pool, writer)
                return
            if verdict != CONTINUE:
                self._stop_reason = RunStatus.COMPLETED if verdict == STOP_MAX else RunStatus.STOPPED_EARLY
                return


async def run_plan(
    plan: Plan,
    settings: EngineSettings,
    deps: EngineDeps,
    done_keys: Iterable[tuple[str, str, int]] = (),
) -> EngineResult:
    return await Runner(plan, settings, deps).run(done_keys)

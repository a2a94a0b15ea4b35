"""The asyncio benchmark engine: schedule trials, call agents, grade, record.

One run = a plan (trial keys, and sessions in mixed mode) minus what is already stored.
Per provider endpoint: a semaphore (the experiment's concurrency) and a rate limiter.
Per trial: retries with backoff, a timeout per attempt, grading off the event loop, one
row for the batched writer. Infrastructure failures become errored trials; nothing a
provider does crashes a run.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import random
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Sequence

from tamma_tui.config.models import AgentConfig, RateLimits, RetryPolicy
from tamma_tui.providers.base import TIMEOUT, AgentRequest, Completion, Provider, ProviderError
from tamma_tui.suites.model import Grade, Task

from .events import Event, RunFinished, RunProgress, RunStarted, TrialFinished, TrialStarted
from .plan import Plan, PlannedArm, SessionPlan, TrialKey, trial_seed
from .ratelimit import RateLimiter, estimate_tokens
from .retry import Attempts, call_with_retry
from .writer import BatchWriter

# Verdicts of a sequential monitor (see tamma_tui.analysis.sequential).
CONTINUE = "continue"
STOP_MAX = "stop_max"

MAX_ERROR_MESSAGE = 500
PROGRESS_INTERVAL_S = 0.1   # at most ~10 progress events a second
_encode_details = json.JSONEncoder(default=str, separators=(",", ":")).encode  # one encoder, not one per trial


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


MAX_STORED_ANSWER_CHARS = 1 << 20
STORED_ANSWER_CUT_MARK = "\n[answer cut: longer than 1 MiB characters]"


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


def session_budget_tokens(config: AgentConfig) -> int:
    """Prompt tokens a session may use: the window minus room for the answer."""
    window = config.context.window_tokens
    room = config.parameters.max_tokens or 0
    return window - room if window - room > 0 else window


def trim_history(history: list[dict[str, str]], fixed_chars: int, budget_tokens: int) -> int:
    """Drop the oldest user/assistant pairs until the estimated prompt fits; returns how
    many messages were dropped."""
    chars = fixed_chars + sum(len(m["content"]) for m in history)
    dropped = 0
    while history and estimate_tokens(chars) > budget_tokens:
        for _ in range(2 if len(history) >= 2 else 1):
            chars -= len(history.pop(0)["content"])
            dropped += 1
    return dropped


class Runner:
    def __init__(self, plan: Plan, settings: EngineSettings, deps: EngineDeps):
        self.plan = plan
        self.settings = settings
        self.deps = deps
        self.tasks = {t.id: t for t in plan.tasks}
        self._prompts: dict[tuple[str, int], str] = {}
        self._rng = random.Random(settings.rng_seed)
        # Progress counters.
        self.total = plan.total
        self.already_done = 0
        self.ran = 0
        self.errors = 0
        self.errors_by_kind: dict[str, int] = {}
        self.by_arm: dict[str, dict[str, dict[str, int]]] = {}
        self.cost = settings.prior_cost_usd
        self._progress_version = 0
        # Stop flags.
        self._stop_reason: str | None = None   # budget_exhausted | stopped_early | completed
        self.cancelled = False
        self._note: str | None = None   # a problem worth reporting with the result
        self._earlier_answers: dict[TrialKey, str] = {}
        self._flushed_cost = 0.0

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
        elapsed = time.monotonic() - self._t0
        return RunProgress(
            run_id=self.settings.run_id,
            done=self.already_done + self.ran,
            total=self.total,
            errors=self.errors,
            cost_usd=self.cost,
            elapsed_s=elapsed,
            trials_per_s=self.ran / elapsed if elapsed > 0 else 0.0,
            errors_by_kind=dict(self.errors_by_kind),
            by_arm={a: {c: dict(v) for c, v in ctx.items()} for a, ctx in self.by_arm.items()},
        )

    async def _progress_ticker(self) -> None:
        seen = -1
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL_S)
            if self._progress_version != seen:
                seen = self._progress_version
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
    ) -> tuple[Completion | None, ProviderError | None, Attempts, datetime] | None:
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
                return None, exc, attempts, started
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as exc:  # a provider bug is still only this trial's error
                return None, ProviderError("internal_error", f"{type(exc).__name__}: {exc}"), attempts, started
        if limiter.active:
            limiter.settle(estimate, completion.prompt_tokens + completion.completion_tokens)
        return completion, None, attempts, started

    async def _grade(self, task: Task, text: str, pool: ThreadPoolExecutor) -> Grade:
        # Exact/contains matching is a string comparison: cheaper inline than a thread hop.
        # A regex (the task's own pattern) runs in the pool, time-bounded, off the loop.
        if task.grader_kind == "match" and task.grader.get("mode") != "regex":
            return self.deps.grade(task, text)
        return await asyncio.get_running_loop().run_in_executor(pool, self.deps.grade, task, text)

    def _row(
        self,
        state: _ArmState,
        key: TrialKey,
        task: Task,
        completion: Completion | None,
        error: ProviderError | None,
        attempts: Attempts,
        grade: Grade | None,
        grade_error: str | None,
        started: datetime,
        position: int | None,
    ) -> dict[str, Any]:
        cfg = state.arm.config
        window = cfg.context.window_tokens
        row: dict[str, Any] = {
            "run_id": self.settings.run_id,
            "arm": key.arm,
            "task_id": task.id,
            "context": task.context,
            "repeat": key.repeat,
            "attempts": attempts.count,
            "context_window": window,
            "config_sha256": state.arm.sha256,
            "session_position": position,
            "started_at": started,
            "finished_at": _utcnow(),
            "cost_usd": 0.0,
            "truncated": False,
            # Every row carries every column: a batch is one executemany.
            "status": "ok",
            "passed": None,
            "score": None,
            "latency_s": None,
            "ttft_s": None,
            "output_tps": None,
            "prompt_tokens": None,
            "completion_tokens": None,
            "context_utilization": None,
            "error_kind": None,
            "error_message": None,
            "response_hash": None,
            "response_text": None,
            "grade_details": None,
        }
        if completion is None:
            assert error is not None
            row["status"] = "timeout" if error.kind == TIMEOUT else "error"
            row["error_kind"] = error.kind
            row["error_message"] = str(error)[:MAX_ERROR_MESSAGE]
            return row
        p = cfg.pricing
        cached = min(completion.cached_prompt_tokens, completion.prompt_tokens)
        cached_rate = p.cached_input_per_mtok if p.cached_input_per_mtok is not None else p.input_per_mtok
        cost = (
            (completion.prompt_tokens - cached) * p.input_per_mtok
            + cached * cached_rate
            + completion.completion_tokens * p.output_per_mtok
        ) / 1e6
        text = completion.text
        row.update(
            latency_s=completion.latency_s,
            ttft_s=completion.ttft_s,
            output_tps=completion.output_tps,
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            cost_usd=cost,
            context_utilization=completion.prompt_tokens / window,
            truncated=completion.truncated,
            response_hash=hashlib.sha256(text.encode("utf-8", "replace")).hexdigest(),
            # The hash covers the whole answer; what is stored is capped (a 300 MB answer
            # otherwise costs gigabytes in the writer and the database).
            response_text=text if len(text) <= MAX_STORED_ANSWER_CHARS
            else text[:MAX_STORED_ANSWER_CHARS] + STORED_ANSWER_CUT_MARK,
        )
        if attempts.count > 1:
            row["error_message"] = (
                f"succeeded after {attempts.count} attempts; last error "
                f"{attempts.last_kind}: {attempts.last_message}"
            )[:MAX_ERROR_MESSAGE]
        if grade_error is not None:
            row["status"] = "error"
            row["error_kind"] = "grader_error"
            row["error_message"] = grade_error[:MAX_ERROR_MESSAGE]
            return row
        assert grade is not None
        row["status"] = "ok"
        row["passed"] = bool(grade.passed)
        row["score"] = float(grade.score)
        row["grade_details"] = _encode_details(grade.details)
        return row

    def _record(self, row: dict[str, Any], writer: BatchWriter) -> None:
        writer.add(row)
        self.ran += 1
        self.cost += row["cost_usd"]
        status = row["status"]
        arm_stats = self.by_arm.setdefault(row["arm"], {})
        ctx = arm_stats.get(row["context"])
        if ctx is None:
            ctx = arm_stats[row["context"]] = {"n": 0, "passed": 0, "errors": 0}
        ctx["n"] += 1
        if status == "ok":
            ctx["passed"] += 1 if row["passed"] else 0
        else:
            self.errors += 1
            ctx["errors"] += 1
            kind = row["error_kind"] or status
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + 1
        self._progress_version += 1
        budget = self.settings.budget_usd
        if budget is not None and self.cost >= budget and self._stop_reason is None:
            self._stop_reason = "budget_exhausted"
        if self.deps.on_event is not None:
            self._emit(
                TrialFinished(
                    run_id=self.settings.run_id,
                    arm=row["arm"],
                    task_id=row["task_id"],
                    context=row["context"],
                    repeat=row["repeat"],
                    status=status,
                    passed=row.get("passed"),
                    score=row.get("score"),
                    latency_s=row.get("latency_s"),
                    cost_usd=row["cost_usd"],
                    attempts=row["attempts"],
                    error_kind=row.get("error_kind"),
                    error_message=row.get("error_message") if status != "ok" else None,
                )
            )

    async def _finish_trial(
        self,
        state: _ArmState,
        key: TrialKey,
        task: Task,
        called: tuple[Completion | None, ProviderError | None, Attempts, datetime],
        pool: ThreadPoolExecutor,
        writer: BatchWriter,
        position: int | None = None,
    ) -> Completion | None:
        completion, error, attempts, started = called
        grade = grade_error = None
        if completion is not None:
            try:
                grade = await self._grade(task, completion.text, pool)
            except Exception as exc:  # graders should not raise; if one does, it is this trial's error
                grade_error = f"grader failed: {type(exc).__name__}: {exc}"
        self._record(
            self._row(state, key, task, completion, error, attempts, grade, grade_error, started, position),
            writer,
        )
        return completion

    # -- units of work --------------------------------------------------------------------

    async def _run_trial(self, key: TrialKey, states: dict[str, _ArmState], pool, writer) -> None:
        state = states[key.arm]
        task = self.tasks[key.task_id]
        user = {"role": "user", "content": self._prompt(task, state.arm.config.context.max_context_files)}
        messages = (*state.system, user)
        chars = len(user["content"]) + (len(state.system[0]["content"]) if state.system else 0)
        called = await self._call(state, key, task, messages, chars)
        if called is not None:
            await self._finish_trial(state, key, task, called, pool, writer)

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
            called = await self._call(state, key, task, messages, chars)
            if called is None:
                return
            completion = await self._finish_trial(state, key, task, called, pool, writer, position)
            if completion is not None:
                history.append(user)
                history.append({"role": "assistant", "content": completion.text})

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
            self._stop_reason = "budget_exhausted"
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
        if self.cancelled:
            status = "cancelled"
        elif self._stop_reason == "budget_exhausted" and self.already_done + self.ran >= self.total:
            status = "completed"  # the last trial crossed the budget: nothing was skipped
        elif self._stop_reason in ("budget_exhausted", "stopped_early"):
            status = self._stop_reason
        else:
            status = "completed"
        elapsed = time.monotonic() - self._t0
        self._emit(self._progress_event())
        message = self._note or ""
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
                self._stop_reason = "completed" if verdict == STOP_MAX else "stopped_early"
                return



async def run_plan(
    plan: Plan,
    settings: EngineSettings,
    deps: EngineDeps,
    done_keys: Iterable[tuple[str, str, int]] = (),
) -> EngineResult:
    return await Runner(plan, settings, deps).run(done_keys)

"""One trial's outcome, typed: what the call gave (``CallOutcome``) and what is recorded
(``TrialRecord``).

A ``TrialRecord`` holds exactly the columns of ``store.models.Trial`` (a test keeps them in
step). The engine builds one per finished trial with ``build_record``; the writer stores
``record.as_row()``, progress and the budget read its fields, and the app's rows are made
from the same fields. Cost is the config's ``Pricing.cost``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from typing import Any

from tamma_tui.config.models import AgentConfig
from tamma_tui.providers.base import Completion, ProviderError
from tamma_tui.suites.model import Grade, Task
from tamma_tui.vocabulary import ErrorKind, TrialStatus

from .retry import Attempts

MAX_ERROR_MESSAGE = 500
# What is stored of one answer. The hash still covers the whole answer; a 300 MB answer
# otherwise costs gigabytes in the writer and the database.
MAX_STORED_ANSWER_CHARS = 1 << 20
STORED_ANSWER_CUT_MARK = "\n[answer cut: longer than 1 MiB characters]"
_encode_details = json.JSONEncoder(default=str, separators=(",", ":")).encode  # one encoder, not one per trial
_OK = TrialStatus.OK.value
_ERROR = TrialStatus.ERROR.value
_TIMEOUT = TrialStatus.TIMEOUT.value


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class CallOutcome:
    """The agent call of one trial: a completion or the error that ended the retries."""

    completion: Completion | None
    error: ProviderError | None
    attempts: Attempts
    started: datetime


@dataclass(frozen=True, slots=True)
class TrialRecord:
    """One finished trial, as stored (the columns of ``store.models.Trial`` but ``id``)."""

    run_id: int
    arm: str
    task_id: str
    context: str
    repeat: int
    status: str
    attempts: int
    context_window: int
    config_sha256: str
    session_position: int | None
    started_at: datetime
    finished_at: datetime
    cost_usd: float = 0.0
    truncated: bool = False
    passed: bool | None = None
    score: float | None = None
    latency_s: float | None = None
    ttft_s: float | None = None
    output_tps: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    context_utilization: float | None = None
    error_kind: str | None = None
    error_message: str | None = None
    response_hash: str | None = None
    response_text: str | None = None
    grade_details: str | None = None
    grade_integrity: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == _OK

    def as_row(self) -> dict[str, Any]:
        """The writer's row: every column, so a batch is one executemany."""
        return {name: getattr(self, name) for name in _FIELD_NAMES}

    def replace_details(self, details: dict[str, Any]) -> TrialRecord:
        return _replace(self, grade_details=_encode_details(details))


_FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(TrialRecord))


def _replace(record: TrialRecord, **changes: Any) -> TrialRecord:
    return TrialRecord(**{**asdict(record), **changes})


def build_record(
    *,
    run_id: int,
    arm: str,
    sha256: str,
    config: AgentConfig,
    task: Task,
    repeat: int,
    call: CallOutcome,
    grade: Grade | None,
    grade_error: str | None,
    position: int | None,
) -> TrialRecord:
    """The record of a finished trial: the call's numbers, its cost, its grade or error."""
    window = config.context.window_tokens
    common = dict(
        run_id=run_id, arm=arm, task_id=task.id, context=task.context, repeat=repeat,
        attempts=call.attempts.count, context_window=window, config_sha256=sha256,
        session_position=position, started_at=call.started, finished_at=utcnow(),
    )
    completion = call.completion
    if completion is None:
        error = call.error
        assert error is not None
        return TrialRecord(
            **common,
            status=_TIMEOUT if error.kind == ErrorKind.TIMEOUT else _ERROR,
            error_kind=error.kind,
            error_message=str(error)[:MAX_ERROR_MESSAGE],
        )
    text = completion.text
    measured = dict(
        latency_s=completion.latency_s,
        ttft_s=completion.ttft_s,
        output_tps=completion.output_tps,
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        cost_usd=config.pricing.cost(completion.prompt_tokens, completion.completion_tokens,
                                     completion.cached_prompt_tokens),
        context_utilization=completion.prompt_tokens / window,
        truncated=completion.truncated,
        response_hash=hashlib.sha256(text.encode("utf-8", "replace")).hexdigest(),
        response_text=text if len(text) <= MAX_STORED_ANSWER_CHARS
        else text[:MAX_STORED_ANSWER_CHARS] + STORED_ANSWER_CUT_MARK,
    )
    note = None
    if call.attempts.count > 1:
        note = (
            f"succeeded after {call.attempts.count} attempts; last error "
            f"{call.attempts.last_kind}: {call.attempts.last_message}"
        )[:MAX_ERROR_MESSAGE]
    if grade_error is not None:
        return TrialRecord(**common, **measured, status=_ERROR, error_kind=ErrorKind.GRADER_ERROR.value,
                           error_message=grade_error[:MAX_ERROR_MESSAGE])
    assert grade is not None
    return TrialRecord(
        **common, **measured, status=_OK, error_message=note, passed=bool(grade.passed),
        score=float(grade.score), grade_details=_encode_details(grade.details),
        grade_integrity=grade.integrity,
    )

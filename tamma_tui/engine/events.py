"""Engine events. The headless progress display and the live-run screen consume the same
stream; every event is an immutable value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RunStarted:
    run_id: int
    name: str
    arms: tuple[str, ...]
    contexts: tuple[str, ...]
    total_trials: int
    already_done: int = 0          # trials kept from an earlier attempt (resume)
    isolation: str = ""
    budget_usd: float | None = None


@dataclass(frozen=True)
class TrialStarted:
    run_id: int
    arm: str
    task_id: str
    context: str
    repeat: int


@dataclass(frozen=True)
class TrialFinished:
    run_id: int
    arm: str
    task_id: str
    context: str
    repeat: int
    status: str                    # ok | error | timeout | cancelled
    passed: bool | None
    score: float | None
    latency_s: float | None
    cost_usd: float
    attempts: int = 1
    error_kind: str | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class RunProgress:
    run_id: int
    done: int
    total: int
    errors: int
    cost_usd: float
    elapsed_s: float
    trials_per_s: float
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    # arm -> context -> {"n": int, "passed": int}
    by_arm: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class RunFinished:
    run_id: int
    status: str                    # completed | cancelled | budget_exhausted | stopped_early | failed
    done: int
    total: int
    errors: int
    cost_usd: float
    elapsed_s: float
    message: str = ""


Event = RunStarted | TrialStarted | TrialFinished | RunProgress | RunFinished

"""The one vocabulary every layer shares: contexts, metrics, statuses, error kinds.

Standard library only, so any module (the CLI's fast path included) can import it. Every
other list of contexts or metrics in the package is derived from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Context(StrEnum):
    """The three working contexts of a coding agent."""

    DEVELOPMENT = "development"
    CODE_REVIEW = "code_review"
    TESTING = "testing"


#: In display and plan order.
CONTEXTS: tuple[str, ...] = tuple(c.value for c in Context)


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True)
class Metric:
    """A measured quantity: its trial column, which way is better, its unit and kind."""

    name: str
    column: str
    direction: Direction
    unit: str  # "" for rates and scores
    label: str  # short, for 80-column tables
    bounded: bool = False  # lives in [0, 1]: rates, scores, utilisation
    binary: bool = False  # 0/1 per trial
    log_scale: bool = False  # compared as a ratio of geometric means

    @property
    def higher_is_better(self) -> bool:
        return self.direction is Direction.HIGHER


_H, _L = Direction.HIGHER, Direction.LOWER

METRIC_SPECS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("pass_rate", "passed", _H, "", "pass rate", bounded=True, binary=True),
        Metric("score", "score", _H, "", "score", bounded=True),
        Metric("latency_s", "latency_s", _L, "s", "latency s", log_scale=True),
        Metric("ttft_s", "ttft_s", _L, "s", "TTFT s", log_scale=True),
        Metric("cost_usd", "cost_usd", _L, "$", "cost $", log_scale=True),
        Metric("prompt_tokens", "prompt_tokens", _L, "tok", "prompt tok"),
        Metric("completion_tokens", "completion_tokens", _L, "tok", "output tok"),
        Metric("context_utilization", "context_utilization", _L, "", "ctx util", bounded=True),
    )
}

#: In report order.
METRICS: tuple[str, ...] = tuple(METRIC_SPECS)

#: Quality metrics: an errored trial counts as a failed attempt for these (intention to treat).
QUALITY_METRICS: frozenset[str] = frozenset({"pass_rate", "score"})


def metric(name: str) -> Metric:
    try:
        return METRIC_SPECS[name]
    except KeyError:
        raise KeyError(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}") from None


#: Reserved arm names. The A/A copy re-runs the baseline to measure noise; the pinned arm
#: re-runs a frozen configuration to tell provider drift from config changes. Neither is
#: ever a candidate in a decision.
AA_ARM = "baseline-aa"
PINNED_ARM = "pinned"
REFERENCE_ARMS: frozenset[str] = frozenset({AA_ARM, PINNED_ARM})


class TrialStatus(StrEnum):
    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


class RunStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    BUDGET_EXHAUSTED = "budget_exhausted"
    STOPPED_EARLY = "stopped_early"
    FAILED = "failed"
    INCOMPLETE = "incomplete"  # finished, but fewer trials stored than planned
    INTERRUPTED = "interrupted"  # its process died (found on next open)


class RunKind(StrEnum):
    EXPERIMENT = "experiment"
    IMPORT = "import"
    AA = "aa"
    TUNE = "tune"
    VERIFY = "verify"


class ErrorKind(StrEnum):
    """Why a trial did not produce a gradable answer. Infrastructure errors are counted
    apart from failed tasks."""

    RATE_LIMITED = "rate_limited"  # HTTP 429
    SERVER_ERROR = "server_error"  # HTTP 5xx
    TIMEOUT = "timeout"  # no answer in time
    CONNECTION = "connection"  # refused, reset, dropped mid-stream
    BAD_RESPONSE = "bad_response"  # malformed JSON, truncated stream
    CLIENT_ERROR = "client_error"  # other HTTP 4xx (auth, bad request): not retried
    AGENT_ERROR = "agent_error"  # a command agent exited non-zero
    CONFIG_ERROR = "config_error"  # e.g. the API-key variable is not set
    GRADER_ERROR = "grader_error"  # the grader itself failed
    INTERNAL_ERROR = "internal_error"  # a provider raised something it should have mapped
    EXECUTOR_ERROR = "executor_error"  # a remote worker was lost twice, or its cluster went away


RETRYABLE_ERRORS: frozenset[str] = frozenset(
    {ErrorKind.RATE_LIMITED, ErrorKind.SERVER_ERROR, ErrorKind.TIMEOUT, ErrorKind.CONNECTION, ErrorKind.BAD_RESPONSE}
)


class Family(StrEnum):
    """Where a comparison sits in the report's error-rate control."""

    CONFIRMATORY = "confirmatory"
    GUARDRAIL = "guardrail"
    SECONDARY = "secondary"
    EXPLORATORY = "exploratory"


class ExitCode:
    """Process exit statuses. Only the CLI turns an outcome or an error into one."""

    OK = 0
    FAILED = 1  # finished, but errors above the threshold, a gate failed, or a regression
    BAD_INPUT = 2
    INTERRUPTED = 130

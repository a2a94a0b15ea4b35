"""The one protocol every agent back end speaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

# Error kinds live in the vocabulary; these names stay for the providers' brevity.
from tamma_tui.vocabulary import RETRYABLE_ERRORS as RETRYABLE  # noqa: E402
from tamma_tui.vocabulary import ErrorKind

RATE_LIMITED = ErrorKind.RATE_LIMITED.value
SERVER_ERROR = ErrorKind.SERVER_ERROR.value
TIMEOUT = ErrorKind.TIMEOUT.value
CONNECTION = ErrorKind.CONNECTION.value
BAD_RESPONSE = ErrorKind.BAD_RESPONSE.value
CLIENT_ERROR = ErrorKind.CLIENT_ERROR.value
AGENT_ERROR = ErrorKind.AGENT_ERROR.value
CONFIG_ERROR = ErrorKind.CONFIG_ERROR.value


class ProviderError(Exception):
    """A failed call. Messages never contain secrets (keys are not echoed anywhere)."""

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        return self.kind in RETRYABLE


@dataclass(frozen=True)
class AgentRequest:
    """What the engine asks of an agent for one trial (or one turn of a session)."""

    messages: tuple[dict[str, str], ...]   # chat messages, system first when present
    task_id: str = ""
    seed: int = 0                          # derived from (experiment seed, arm, task, repeat)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency_s: float                 # request sent -> last byte
    ttft_s: float | None = None      # request sent -> first content token (streaming only)
    finish_reason: str | None = None  # "length" means the answer was truncated
    cached_prompt_tokens: int = 0

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"

    @property
    def output_tps(self) -> float | None:
        gen = self.latency_s - (self.ttft_s or 0.0)
        return self.completion_tokens / gen if gen > 0 and self.completion_tokens else None


@runtime_checkable
class Provider(Protocol):
    """An agent back end. ``complete`` raises ``ProviderError`` for every failure and need
    not bound its own duration: the engine cancels each attempt at its deadline (the
    config's ``timeout_s``), and providers must leave nothing behind when cancelled."""

    async def complete(self, request: AgentRequest) -> Completion: ...

    async def aclose(self) -> None: ...

"""Mixed-context sessions: how much history a conversation may carry into the next turn."""

from __future__ import annotations

from tamma_tui.config.models import AgentConfig

from .ratelimit import estimate_tokens


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

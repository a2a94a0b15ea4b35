"""The one token estimate, used where a server reports no usage and by the rate limiter."""

from __future__ import annotations


def tokens_for_chars(n_chars: int) -> int:
    """About four characters per token for English and code, rounded up."""
    return -(-n_chars // 4)


def estimate_tokens(text: str) -> int:
    return tokens_for_chars(len(text))

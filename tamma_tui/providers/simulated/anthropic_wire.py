"""The Anthropic Messages wire format for the simulated model: request in, events out.

Pure functions; ``SimService`` routes ``POST .../messages`` here, so both server stacks
(the lean server and the ASGI app) speak it. ``gateway_usage`` reproduces what LiteLLM's
proxy sends: ``message_start`` reports 0 input tokens and the real count arrives in
``message_delta.usage`` (cumulative), which a client must read from both.
"""

from __future__ import annotations

import json
from typing import Any

from .simulator import CHARS_PER_TOKEN, ResponsePlan

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens"}


def chat_messages(req: dict[str, Any]) -> list[dict[str, str]]:
    """The request as chat messages (system first), content blocks joined to text."""
    messages = req["messages"]
    if not isinstance(messages, list) or not messages:
        raise ValueError("messages must be a non-empty list")
    out: list[dict[str, str]] = []
    system = req.get("system")
    if system:
        out.append({"role": "system", "content": _text(system)})
    for m in messages:
        if m.get("role") not in ("user", "assistant"):
            raise ValueError(f"unknown role {m.get('role')!r}")
        out.append({"role": m["role"], "content": _text(m.get("content"))})
    return out


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text")
    raise ValueError("content must be a string or a list of blocks")


def stop_reason(plan: ResponsePlan) -> str:
    return _STOP_REASONS.get(plan.finish_reason, "end_turn")


def message_json(plan: ResponsePlan, model: str, mid: str) -> dict[str, Any]:
    return {
        "id": mid,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": plan.text}],
        "stop_reason": stop_reason(plan),
        "stop_sequence": None,
        "usage": {"input_tokens": plan.prompt_tokens, "output_tokens": plan.completion_tokens},
    }


def _event(kind: str, data: dict[str, Any]) -> bytes:
    return f"event: {kind}\ndata: {_dumps({'type': kind, **data})}\n\n".encode()


def stream_pieces(
    plan: ResponsePlan, model: str, mid: str, chunk_chars: int, *, gateway_usage: bool = False
) -> list[tuple[bytes, int]]:
    """(bytes, output tokens in them) for each event of one streamed message."""
    start_input = 0 if gateway_usage else plan.prompt_tokens
    message = {
        "id": mid, "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": start_input, "output_tokens": 1},
    }
    pieces = [
        (_event("message_start", {"message": message}), 0),
        (_event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}}), 0),
    ]
    text = plan.text
    for i in range(0, len(text), max(chunk_chars, 1)):
        part = text[i : i + chunk_chars]
        delta = {"index": 0, "delta": {"type": "text_delta", "text": part}}
        pieces.append((_event("content_block_delta", delta), max(len(part) // CHARS_PER_TOKEN, 1)))
    usage: dict[str, int] = {"output_tokens": plan.completion_tokens}
    if gateway_usage:
        usage["input_tokens"] = plan.prompt_tokens
    pieces.append((_event("content_block_stop", {"index": 0}), 0))
    pieces.append((_event("message_delta", {"delta": {"stop_reason": stop_reason(plan), "stop_sequence": None},
                                            "usage": usage}), 0))
    pieces.append((_event("message_stop", {}), 0))
    return pieces

"""The simulated model behind the OpenAI chat-completions protocol, transport-agnostic.

``SimService.chat`` turns a request body into a ``SimReply``: a status, headers and either
a whole body or an async stream of SSE pieces that sleeps like a model would. The ASGI app
(``server.py``) and the in-process httpx transport (``transport.py``) only move bytes.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Iterable

from tamma_tui.suites.model import Task

from . import faults as F
from .simulator import CHARS_PER_TOKEN, PROFILES, ResponsePlan, plan_response
from .tasks import TaskLookup, TaskResolver

JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass
class SimReply:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None
    drop: bool = False  # close the connection abruptly after what was sent

    @classmethod
    def error(cls, status: int, message: str, kind: str, extra_headers=()) -> "SimReply":
        body = _dumps({"error": {"message": message, "type": kind, "code": status}}).encode()
        return cls(status, JSON_HEADERS + list(extra_headers), body)


class SimService:
    """One simulated model server's state: options, fault picker, task resolver.

    ``latency_ms`` fixes each response's total latency (benchmarks: the answer is sent in
    one piece after that delay). Otherwise the plan's latency applies, times
    ``latency_scale``, and the answer streams in pieces of ``chunk_tokens`` tokens.
    """

    def __init__(
        self,
        *,
        faults: F.FaultOptions | None = None,
        task_lookup: TaskLookup | None = None,
        tasks: Iterable[Task] = (),
        latency_ms: float | None = None,
        latency_scale: float = 1.0,
        chunk_tokens: int = 16,
    ):
        self.faults = faults or F.FaultOptions()
        self._picker = F.FaultPicker(self.faults)
        self.resolver = TaskResolver(task_lookup, tasks=tasks)
        self.latency_ms = latency_ms
        self.latency_scale = latency_scale
        self.chunk_chars = max(chunk_tokens, 1) * CHARS_PER_TOKEN
        self._ids = itertools.count(1)

    # -- endpoints --------------------------------------------------------------------
    def models(self) -> SimReply:
        data = [{"id": name, "object": "model", "owned_by": "tamma-sim"} for name in PROFILES]
        return SimReply(200, JSON_HEADERS, _dumps({"object": "list", "data": data}).encode())

    async def chat(self, body: bytes, task_id: str = "") -> SimReply:
        try:
            req = json.loads(body)
            messages = req["messages"]
            if not isinstance(messages, list) or not messages:
                raise ValueError("messages must be a non-empty list")
        except (ValueError, KeyError, TypeError) as exc:
            return SimReply.error(400, f"invalid request: {exc}", "invalid_request_error")

        fault = self._picker.next_fault()
        if fault == F.STATUS:
            extra = []
            if self.faults.retry_after is not None:
                extra.append((b"retry-after", str(self.faults.retry_after).encode()))
            return SimReply.error(self.faults.status or 500, "simulated forced status", "simulated", extra)
        if fault == F.FAIL:
            return SimReply.error(500, "simulated server failure", "server_error")

        model = str(req.get("model") or "sim-medium")
        try:
            task = self.resolver.resolve(task_id, messages)
            plan = plan_response(
                model,
                messages,
                temperature=_number(req.get("temperature")),
                top_p=_number(req.get("top_p")),
                max_tokens=_integer(req.get("max_tokens") or req.get("max_completion_tokens")),
                seed=_integer(req.get("seed")) or 0,
                task=task,
                latency_scale=self.latency_scale,
            )
        except (TypeError, ValueError, AttributeError) as exc:
            return SimReply.error(400, f"invalid request: {exc}", "invalid_request_error")
        cid = f"chatcmpl-sim-{next(self._ids)}"
        if req.get("stream"):
            include_usage = bool((req.get("stream_options") or {}).get("include_usage"))
            pieces = self._sse_pieces(plan, model, cid, include_usage, fault)
            if self.latency_ms is not None:
                # Fixed latency (benchmarks): the whole stream in one write with a length,
                # which costs both ends the least CPU.
                await asyncio.sleep(self.latency_ms / 1000.0)
                return _whole(SSE_HEADERS, b"".join(p for p, _ in pieces), fault)
            if fault == F.DROP:
                pieces = pieces[: max(len(pieces) // 2, 1)]
            return SimReply(200, SSE_HEADERS, stream=self._timed(pieces, plan), drop=fault == F.DROP)
        await asyncio.sleep(self._total_delay(plan))
        payload = _dumps(self._completion_json(plan, model, cid)).encode()
        if fault == F.MALFORMED:
            payload = payload[: len(payload) // 2]
        return _whole(JSON_HEADERS, payload, fault)

    # -- building blocks --------------------------------------------------------------
    def _total_delay(self, plan: ResponsePlan) -> float:
        if self.latency_ms is not None:
            return self.latency_ms / 1000.0
        return plan.total_s

    @staticmethod
    def _completion_json(plan: ResponsePlan, model: str, cid: str) -> dict[str, Any]:
        return {
            "id": cid,
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": plan.text},
                    "finish_reason": plan.finish_reason,
                }
            ],
            "usage": _usage(plan),
        }

    def _sse_pieces(
        self, plan: ResponsePlan, model: str, cid: str, include_usage: bool, fault: str | None
    ) -> list[tuple[bytes, int]]:
        """(bytes, output tokens in them) for each SSE event, faults applied."""
        head = f'{{"id":"{cid}","object":"chat.completion.chunk","created":{int(time.time())},"model":{_dumps(model)},'
        step = self.chunk_chars
        text = plan.text
        pieces: list[tuple[bytes, int]] = []
        for i in range(0, max(len(text), 1), step):
            part = text[i : i + step]
            delta = {"role": "assistant", "content": part} if i == 0 else {"content": part}
            event = f'data: {head}"choices":[{{"index":0,"delta":{_dumps(delta)},"finish_reason":null}}]}}\n\n'
            pieces.append((event.encode(), max(len(part) // CHARS_PER_TOKEN, 1)))
        if fault == F.MALFORMED:
            broken = pieces[len(pieces) // 2][0]
            pieces[len(pieces) // 2] = (broken[: len(broken) // 2] + b"\n\n", pieces[len(pieces) // 2][1])
        if fault == F.TRUNCATE:
            return pieces[: max(len(pieces) // 2, 1)]
        finish = f'data: {head}"choices":[{{"index":0,"delta":{{}},"finish_reason":"{plan.finish_reason}"}}]}}\n\n'
        pieces.append((finish.encode(), 0))
        if include_usage:
            pieces.append((f'data: {head}"choices":[],"usage":{_dumps(_usage(plan))}}}\n\n'.encode(), 0))
        pieces.append((b"data: [DONE]\n\n", 0))
        return pieces

    async def _timed(self, pieces: list[tuple[bytes, int]], plan: ResponsePlan) -> AsyncIterator[bytes]:
        # A piece leaves when its last token is generated: the first token at ttft, each
        # further one per_token_s later, so the whole stream takes the plan's total_s.
        delay = plan.ttft_s - plan.per_token_s
        for data, tokens in pieces:
            delay += plan.per_token_s * tokens
            if delay > 0:
                await asyncio.sleep(delay)
                delay = 0.0
            yield data


def _whole(headers: list[tuple[bytes, bytes]], payload: bytes, fault: str | None) -> SimReply:
    """A complete body with its length; a drop sends half of it and closes."""
    headers = headers + [(b"content-length", str(len(payload)).encode())]
    if fault == F.DROP:
        return SimReply(200, headers, payload[: len(payload) // 2], drop=True)
    return SimReply(200, headers, payload)


def _number(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _integer(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _usage(plan: ResponsePlan) -> dict[str, int]:
    return {
        "prompt_tokens": plan.prompt_tokens,
        "completion_tokens": plan.completion_tokens,
        "total_tokens": plan.prompt_tokens + plan.completion_tokens,
    }

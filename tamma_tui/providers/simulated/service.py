"""The simulated model behind the OpenAI chat-completions protocol, transport-neutral.

``SimService.handle`` turns one request into a ``SimReply`` synchronously: the status,
headers and bytes, and *when* they should leave (a delay before a whole body, or a timeline
of delayed pieces for a stream that sleeps like a model), plus whether the connection is
then dropped. The front ends (the lean HTTP server, the ASGI app, the in-process httpx
transport) only move bytes and wait; every decision (routing, faults, plan) is made here.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any, Iterable

from tamma_tui.suites.model import Task

from ..jsonfast import dumps as json_dumps
from ..jsonfast import loads as json_loads
from . import anthropic_wire as AW
from . import faults as F
from .simulator import CHARS_PER_TOKEN, PROFILES, ResponsePlan, plan_response
from .tasks import TaskLookup, TaskResolver

Headers = tuple[tuple[bytes, bytes], ...]
JSON_HEADERS: Headers = ((b"content-type", b"application/json"),)
SSE_HEADERS: Headers = ((b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"))
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


@dataclass(slots=True)
class SimReply:
    """What to send and when.

    Whole reply (``timeline is None``): wait ``delay_s``, then send ``body`` with a
    Content-Length of ``length`` (the full payload's size; more than ``len(body)`` when a
    drop cuts it). Stream: send the headers, then each ``(delay_s, piece)`` of the timeline
    after its delay (counted from the previous piece). ``drop``: after the last bytes,
    close the connection without finishing the response.
    """

    status: int
    headers: Headers
    body: bytes = b""
    length: int = -1  # -1: len(body)
    delay_s: float = 0.0
    timeline: list[tuple[float, bytes]] | None = None
    drop: bool = False

    @property
    def content_length(self) -> int:
        return len(self.body) if self.length < 0 else self.length

    @classmethod
    def error(cls, status: int, message: str, kind: str, extra_headers: Headers = ()) -> "SimReply":
        body = _dumps({"error": {"message": message, "type": kind, "code": status}}).encode()
        return cls(status, JSON_HEADERS + tuple(extra_headers), body)


NOT_FOUND = SimReply.error(404, "not found", "not_found")


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
        anthropic_gateway_usage: bool = False,
    ):
        self.faults = faults or F.FaultOptions()
        self._picker = F.FaultPicker(self.faults)
        self._no_faults = not self.faults.any
        self.resolver = TaskResolver(task_lookup, tasks=tasks)
        self.latency_ms = latency_ms
        self.latency_scale = latency_scale
        self.chunk_chars = max(chunk_tokens, 1) * CHARS_PER_TOKEN
        self.anthropic_gateway_usage = anthropic_gateway_usage
        self._ids = itertools.count(1)
        data = [{"id": name, "object": "model", "owned_by": "tamma-sim"} for name in PROFILES]
        self._models = SimReply(200, JSON_HEADERS, _dumps({"object": "list", "data": data}).encode())

    # -- endpoints --------------------------------------------------------------------
    def handle(self, method: str, path: str, body: bytes, task_id: str = "") -> SimReply:
        """Route one request: POST .../chat/completions (OpenAI), POST .../messages
        (Anthropic), GET .../models, else 404."""
        if method == "POST" and path.endswith("/chat/completions"):
            return self.reply(body, task_id)
        if method == "POST" and path.endswith("/messages"):
            return self.reply_messages(body, task_id)
        if method == "GET" and path.endswith("/models"):
            return self._models
        return NOT_FOUND

    def reply(self, body: bytes, task_id: str = "") -> SimReply:
        """The reply to one chat-completions request body (no waiting: timing is in it)."""
        try:
            req = json_loads(body)
            messages = req["messages"]
            if not isinstance(messages, list) or not messages:
                raise ValueError("messages must be a non-empty list")
        except (ValueError, KeyError, TypeError) as exc:
            return SimReply.error(400, f"invalid request: {exc}", "invalid_request_error")

        planned = self._plan(req, messages, task_id)
        if isinstance(planned, SimReply):
            return planned
        plan, fault = planned
        get = req.get
        model = str(get("model") or "sim-medium")
        cid = f"chatcmpl-sim-{next(self._ids)}"
        if get("stream"):
            include_usage = bool((get("stream_options") or {}).get("include_usage"))
            pieces = self._sse_pieces(plan, model, cid, include_usage, fault)
            if self.latency_ms is not None:
                # Fixed latency (benchmarks): the whole stream in one write with a length,
                # which costs both ends the least CPU.
                return _whole(SSE_HEADERS, b"".join([p for p, _ in pieces]), fault, self.latency_ms / 1000.0)
            if fault == F.DROP:
                pieces = pieces[: max(len(pieces) // 2, 1)]
            return SimReply(200, SSE_HEADERS, timeline=_timeline(pieces, plan), drop=fault == F.DROP)
        payload = json_dumps(_completion_json(plan, model, cid))
        if fault == F.MALFORMED:
            payload = payload[: len(payload) // 2]
        delay = self.latency_ms / 1000.0 if self.latency_ms is not None else plan.total_s
        return _whole(JSON_HEADERS, payload, fault, delay)

    def reply_messages(self, body: bytes, task_id: str = "") -> SimReply:
        """The reply to one Anthropic Messages request body, streamed or whole."""
        try:
            req = json_loads(body)
            messages = AW.chat_messages(req)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return SimReply.error(400, f"invalid request: {exc}", "invalid_request_error")
        planned = self._plan(req, messages, task_id)
        if isinstance(planned, SimReply):
            return planned
        plan, fault = planned
        model = str(req.get("model") or "sim-medium")
        mid = f"msg_sim_{next(self._ids)}"
        if req.get("stream"):
            pieces = AW.stream_pieces(plan, model, mid, self.chunk_chars, gateway_usage=self.anthropic_gateway_usage)
            if fault == F.MALFORMED:
                broken = pieces[len(pieces) // 2]
                pieces[len(pieces) // 2] = (broken[0][: len(broken[0]) // 2] + b"\n\n", broken[1])
            if fault == F.TRUNCATE:
                pieces = pieces[: max(len(pieces) // 2, 1)]
            if self.latency_ms is not None:
                return _whole(SSE_HEADERS, b"".join([p for p, _ in pieces]), fault, self.latency_ms / 1000.0)
            if fault == F.DROP:
                pieces = pieces[: max(len(pieces) // 2, 1)]
            return SimReply(200, SSE_HEADERS, timeline=_timeline(pieces, plan), drop=fault == F.DROP)
        payload = json_dumps(AW.message_json(plan, model, mid))
        if fault == F.MALFORMED:
            payload = payload[: len(payload) // 2]
        delay = self.latency_ms / 1000.0 if self.latency_ms is not None else plan.total_s
        return _whole(JSON_HEADERS, payload, fault, delay)

    def _plan(self, req: dict[str, Any], messages: list, task_id: str) -> SimReply | tuple[ResponsePlan, str | None]:
        """The fault for this request and the simulated answer's plan (or an error reply)."""
        fault = None if self._no_faults else self._picker.next_fault()
        if fault == F.STATUS:
            extra: Headers = ()
            if self.faults.retry_after is not None:
                extra = ((b"retry-after", str(self.faults.retry_after).encode()),)
            return SimReply.error(self.faults.status or 500, "simulated forced status", "simulated", extra)
        if fault == F.FAIL:
            return SimReply.error(500, "simulated server failure", "server_error")
        get = req.get
        model = str(get("model") or "sim-medium")
        try:
            task = self.resolver.resolve(task_id, messages)
            plan = plan_response(
                model,
                messages,
                temperature=_number(get("temperature")),
                top_p=_number(get("top_p")),
                max_tokens=_integer(get("max_tokens") or get("max_completion_tokens")),
                seed=_integer(get("seed")) or 0,
                task=task,
                latency_scale=self.latency_scale,
            )
        except (TypeError, ValueError, AttributeError) as exc:
            return SimReply.error(400, f"invalid request: {exc}", "invalid_request_error")
        return plan, fault

    # -- building blocks --------------------------------------------------------------
    def _sse_pieces(
        self, plan: ResponsePlan, model: str, cid: str, include_usage: bool, fault: str | None
    ) -> list[tuple[bytes, int]]:
        """(bytes, output tokens in them) for each SSE event, faults applied."""
        head = (f'data: {{"id":"{cid}","object":"chat.completion.chunk","created":{int(time.time())},'
                f'"model":{_dumps(model)},"choices":[')
        step = self.chunk_chars
        text = plan.text
        pieces: list[tuple[bytes, int]] = []
        for i in range(0, max(len(text), 1), step):
            part = text[i : i + step]
            delta = '{"role":"assistant","content":' if i == 0 else '{"content":'
            event = f'{head}{{"index":0,"delta":{delta}{_dumps(part)}}},"finish_reason":null}}]}}\n\n'
            pieces.append((event.encode(), max(len(part) // CHARS_PER_TOKEN, 1)))
        if fault == F.MALFORMED:
            broken = pieces[len(pieces) // 2][0]
            pieces[len(pieces) // 2] = (broken[: len(broken) // 2] + b"\n\n", pieces[len(pieces) // 2][1])
        if fault == F.TRUNCATE:
            return pieces[: max(len(pieces) // 2, 1)]
        finish = f'{head}{{"index":0,"delta":{{}},"finish_reason":"{plan.finish_reason}"}}]}}\n\n'
        pieces.append((finish.encode(), 0))
        if include_usage:
            usage = (f'{{"prompt_tokens":{plan.prompt_tokens},"completion_tokens":{plan.completion_tokens},'
                     f'"total_tokens":{plan.prompt_tokens + plan.completion_tokens}}}')
            pieces.append((f'{head}],"usage":{usage}}}\n\n'.encode(), 0))
        pieces.append((b"data: [DONE]\n\n", 0))
        return pieces


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


def _timeline(pieces: list[tuple[bytes, int]], plan: ResponsePlan) -> list[tuple[float, bytes]]:
    """When each piece leaves: when its last token is generated (the first token at ttft,
    each further one per_token_s later, so the stream takes the plan's total_s). Pieces due
    at the same moment are joined, so a front end makes one write per wait."""
    timeline: list[tuple[float, bytes]] = []
    delay = plan.ttft_s - plan.per_token_s
    for data, tokens in pieces:
        delay += plan.per_token_s * tokens
        if delay > 0:
            timeline.append((delay, data))
            delay = 0.0
        elif timeline:
            timeline[-1] = (timeline[-1][0], timeline[-1][1] + data)
        else:
            timeline.append((0.0, data))
    return timeline


def _whole(headers: Headers, payload: bytes, fault: str | None, delay_s: float) -> SimReply:
    """A complete body with its length; a drop sends half of it and closes."""
    if fault == F.DROP:
        return SimReply(200, headers, payload[: len(payload) // 2], len(payload), delay_s, drop=True)
    return SimReply(200, headers, payload, -1, delay_s)


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

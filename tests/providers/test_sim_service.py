"""SimService decides the whole reply and its timing without waiting (unit level)."""

from __future__ import annotations

import json
import re

import pytest
from provider_helpers import make_task

from tamma_tui.providers.simulated.faults import FaultOptions
from tamma_tui.providers.simulated.service import NOT_FOUND, SSE_HEADERS, SimService
from tamma_tui.providers.simulated.simulator import plan_response

TASK = make_task(4, "testing")
MESSAGES = [{"role": "user", "content": TASK.prompt}]


def _service(**options) -> SimService:
    faults = FaultOptions(**{k: options.pop(k) for k in list(options) if k in FaultOptions.__dataclass_fields__})
    return SimService(faults=faults, tasks=[TASK], task_lookup=lambda _id: None, **options)


def _body(**extra) -> bytes:
    return json.dumps({"model": "sim-large", "messages": MESSAGES, "seed": 5, **extra}).encode()


def _same_moment(data: bytes) -> bytes:
    return re.sub(rb'"created":\d+', b'"created":0', data)


def test_routes():
    svc = _service()
    assert svc.handle("GET", "/v1/models", b"").status == 200
    assert svc.handle("GET", "/v1/chat/completions", b"") is NOT_FOUND
    assert svc.handle("POST", "/v1/other", _body()) is NOT_FOUND
    assert svc.handle("POST", "/v1/chat/completions", b"[1]").status == 400


def test_timed_stream_spreads_the_plans_latency_over_its_pieces():
    svc = _service(latency_scale=1.0, chunk_tokens=4)
    reply = svc.handle("POST", "/v1/chat/completions", _body(stream=True), TASK.id)
    plan = plan_response("sim-large", MESSAGES, seed=5, task=TASK)
    delays = [d for d, _ in reply.timeline]
    assert reply.headers == SSE_HEADERS and reply.delay_s == 0 and not reply.drop
    assert len(delays) > 3 and all(d > 0 for d in delays)
    assert delays[0] == pytest.approx(plan.ttft_s + plan.per_token_s * (4 - 1))  # the first 4-token piece
    assert sum(delays) == pytest.approx(plan.total_s, rel=0.1)


def test_fixed_latency_sends_the_same_stream_in_one_piece_after_the_latency():
    timed = _service(chunk_tokens=4).handle("POST", "/v1/chat/completions", _body(stream=True), TASK.id)
    fixed = _service(chunk_tokens=4, latency_ms=40).handle("POST", "/v1/chat/completions", _body(stream=True), TASK.id)
    assert fixed.timeline is None and fixed.delay_s == 0.04
    assert _same_moment(fixed.body) == _same_moment(b"".join(p for _, p in timed.timeline))


@pytest.mark.parametrize("stream", [False, True])
def test_a_dropped_whole_reply_declares_the_full_length_but_carries_half(stream):
    whole = _service(latency_ms=1).handle("POST", "/v1/chat/completions", _body(stream=stream), TASK.id)
    dropped = _service(latency_ms=1, drop_rate=1.0).handle("POST", "/v1/chat/completions", _body(stream=stream), TASK.id)
    assert dropped.drop and dropped.content_length == len(whole.body) == whole.content_length
    assert _same_moment(whole.body).startswith(_same_moment(dropped.body))
    assert len(dropped.body) == len(whole.body) // 2


def test_non_streaming_reply_waits_for_the_plans_total_latency():
    reply = _service(latency_scale=0.5).handle("POST", "/v1/chat/completions", _body(), TASK.id)
    plan = plan_response("sim-large", MESSAGES, seed=5, task=TASK, latency_scale=0.5)
    assert reply.delay_s == pytest.approx(plan.total_s)
    assert json.loads(reply.body)["choices"][0]["message"]["content"] == plan.text

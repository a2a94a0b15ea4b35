"""The OpenAI-compatible client against the real sim-server on 127.0.0.1."""

from __future__ import annotations

import json

import httpx
import pytest
from provider_helpers import CANARY_KEY, openai_config, request_for

from tamma_tui.providers.base import AgentRequest, ProviderError
from tamma_tui.providers.openai_compat import OpenAICompatProvider
from tamma_tui.providers.simulated.server import BackgroundSimServer
from tamma_tui.providers.simulated.simulator import plan_response


async def _complete(config, request, **kwargs):
    provider = OpenAICompatProvider(config, **kwargs)
    try:
        return await provider.complete(request)
    finally:
        await provider.aclose()


@pytest.mark.parametrize("stream", [True, False])
async def test_completion_matches_the_simulator_plan(quick_server, sim_tasks, stream):
    task = sim_tasks[7]
    config = openai_config(quick_server, model="sim-large", stream=stream,
                           parameters={"temperature": 0.3, "max_tokens": 4000})
    request = request_for(task, system="Be careful.", seed=42)
    done = await _complete(config, request)
    plan = plan_response("sim-large", request.messages, temperature=0.3, max_tokens=4000, seed=42, task=task,
                         latency_scale=0.05)  # the quick server's scale
    assert done.text == plan.text
    assert (done.prompt_tokens, done.completion_tokens) == (plan.prompt_tokens, plan.completion_tokens)
    assert done.finish_reason == "stop"
    assert done.latency_s >= plan.total_s * 0.9
    if stream:
        assert done.ttft_s is not None and 0 < done.ttft_s <= done.latency_s
    else:
        assert done.ttft_s is None


async def test_same_seed_same_answer_over_http(quick_server, sim_tasks):
    config = openai_config(quick_server, parameters={"temperature": 1.0})
    task = sim_tasks[9]
    answers = [(await _complete(config, request_for(task, seed=s))).text for s in (1, 1, 2, 3, 4, 5, 6, 7)]
    assert answers[0] == answers[1]
    assert len(set(answers)) >= 2


async def test_low_max_tokens_gives_finish_reason_length(quick_server, sim_tasks):
    config = openai_config(quick_server, parameters={"max_tokens": 3})
    for stream in (True, False):
        done = await _complete(config.model_copy(update={"stream": stream}), request_for(sim_tasks[0]))
        assert done.finish_reason == "length" and done.truncated
        assert done.completion_tokens == 3 and len(done.text) == 12


async def test_task_found_by_prompt_when_no_header(quick_server, sim_tasks):
    task = sim_tasks[70]
    request = AgentRequest(messages=({"role": "user", "content": f"Context first.\n\n{task.prompt}\n\nReply."},), seed=5)
    done = await _complete(openai_config(quick_server), request)
    assert done.text in {a.text for a in task.answers}


class _Capture:
    """A fake OpenAI server that records what the client sent."""

    def __init__(self, reply_status=200):
        self.seen: list[dict] = []
        self.reply_status = reply_status

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            msg = await receive()
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
        self.seen.append({"headers": {k.decode(): v.decode() for k, v in scope["headers"]},
                          "body": json.loads(body), "path": scope["path"]})
        if self.reply_status != 200:
            payload = json.dumps({"error": {"message": f"Incorrect API key provided: {CANARY_KEY}"}}).encode()
            await send({"type": "http.response.start", "status": self.reply_status,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": payload})
            return
        payload = json.dumps({"choices": [{"message": {"content": "ok"}, "finish_reason": "stop"}]}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})


async def test_request_carries_model_parameters_seed_key_and_task_header(monkeypatch):
    monkeypatch.setenv("TEST_OPENAI_KEY", CANARY_KEY)
    app = _Capture()
    with BackgroundSimServer(app=app) as srv:
        config = openai_config(srv.base_url, model="qwen2.5-coder:7b", stream=False, api_key_env="TEST_OPENAI_KEY",
                               parameters={"temperature": 0.2, "top_p": 0.9, "max_tokens": 64, "stop": ["###"]})
        done = await _complete(config, AgentRequest(messages=({"role": "user", "content": "hi"},), task_id="t-1", seed=9))
    assert done.text == "ok"
    assert done.prompt_tokens == 1 and done.completion_tokens == 1  # estimated: no usage sent
    seen = app.seen[0]
    assert seen["path"] == "/v1/chat/completions"
    assert seen["headers"]["authorization"] == f"Bearer {CANARY_KEY}"
    assert seen["headers"]["x-tamma-task"] == "t-1"
    body = seen["body"]
    assert body["model"] == "qwen2.5-coder:7b" and body["seed"] == 9
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["stop"]) == (0.2, 0.9, 64, ["###"])
    assert "stream" not in body


async def test_streaming_request_asks_for_usage(monkeypatch):
    app = _Capture()
    with BackgroundSimServer(app=app) as srv:
        with pytest.raises(ProviderError):
            await _complete(openai_config(srv.base_url), request_for(None))  # JSON reply to a stream: bad
    body = app.seen[0]["body"]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}


async def test_both_transports_agree(quick_server, sim_tasks):
    """The lean http transport and httpx's own give the same completion."""
    config = openai_config(quick_server)
    request = request_for(sim_tasks[11], seed=4)
    fast = await _complete(config, request)
    default = await _complete(config, request, transport=httpx.AsyncHTTPTransport())
    assert (fast.text, fast.prompt_tokens, fast.completion_tokens, fast.finish_reason) == (
        default.text, default.prompt_tokens, default.completion_tokens, default.finish_reason)


async def test_many_concurrent_requests_reuse_few_connections(quick_server, sim_tasks):
    import asyncio

    provider = OpenAICompatProvider(openai_config(quick_server), max_connections=8)
    try:
        results = await asyncio.gather(*[provider.complete(request_for(sim_tasks[i % 30], seed=i)) for i in range(120)])
        pool = provider._sender._pool
        assert pool.open <= 8
    finally:
        await provider.aclose()
    assert all(r.finish_reason == "stop" and r.text for r in results)

"""The Anthropic Messages client against a small fake Anthropic server on 127.0.0.1."""

from __future__ import annotations

import json

import pytest
from provider_helpers import CANARY_KEY

from tamma_tui.config.models import AgentConfig
from tamma_tui.providers import base as kinds
from tamma_tui.providers.anthropic import ANTHROPIC_VERSION, AnthropicProvider
from tamma_tui.providers.base import AgentRequest, ProviderError
from tamma_tui.providers.simulated.server import BackgroundSimServer


def _event(kind: str, **data) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n".encode()


def _stream_events(text: str, stop_reason: str, *, input_tokens=25, output_tokens=9, end=True) -> list[bytes]:
    events = [
        _event("message_start", message={"id": "msg_1", "role": "assistant", "content": [],
                                         "usage": {"input_tokens": input_tokens, "output_tokens": 1}}),
        _event("content_block_start", index=0, content_block={"type": "text", "text": ""}),
        b"event: ping\ndata: {\"type\": \"ping\"}\n\n",
    ]
    for i in range(0, len(text), 5):
        events.append(_event("content_block_delta", index=0, delta={"type": "text_delta", "text": text[i:i + 5]}))
    if end:
        events += [
            _event("content_block_stop", index=0),
            _event("message_delta", delta={"stop_reason": stop_reason}, usage={"output_tokens": output_tokens}),
            _event("message_stop"),
        ]
    return events


class FakeAnthropic:
    """Answers POST /v1/messages; ``mode`` picks the behaviour under test."""

    def __init__(self, mode: str = "ok"):
        self.mode = mode
        self.seen: list[dict] = []

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            msg = await receive()
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
        req = json.loads(body)
        self.seen.append({"path": scope["path"], "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
                          "body": req})
        if self.mode in ("429", "529", "401"):
            status = int(self.mode)
            headers = [(b"content-type", b"application/json")]
            if status == 429:
                headers.append((b"retry-after", b"12"))
            err = {"type": "error", "error": {"type": "rate_limit_error",
                                              "message": f"bad key {CANARY_KEY}" if status == 401 else "slow down"}}
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": json.dumps(err).encode()})
            return
        stop = "max_tokens" if self.mode == "length" else "end_turn"
        if not req.get("stream"):
            payload = {"id": "msg_1", "type": "message", "role": "assistant",
                       "content": [{"type": "text", "text": "whole answer"}], "stop_reason": stop,
                       "usage": {"input_tokens": 30, "output_tokens": 4, "cache_read_input_tokens": 10}}
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": json.dumps(payload).encode()})
            return
        if self.mode == "error_event":
            events = _stream_events("partial", stop, end=False) + [
                _event("error", error={"type": "overloaded_error", "message": "Overloaded"})]
        elif self.mode == "cut":
            events = _stream_events("partial answer", stop, end=False)
        elif self.mode == "garbage":
            events = _stream_events("ok", stop, end=False) + [b"data: {not json\n\n"]
        else:
            events = _stream_events("Hello from the fake Claude.", stop)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        for ev in events:
            await send({"type": "http.response.body", "body": ev, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _config(base_url: str, **fields) -> AgentConfig:
    data = {"agentId": "claude", "provider": "anthropic", "model": "claude-test", "base_url": base_url,
            "api_key_env": "TEST_ANTHROPIC_KEY", "systemPrompt": "sys", "timeout_s": 10,
            "parameters": {"temperature": 0.1, "max_tokens": 300}}
    data.update(fields)
    return AgentConfig.model_validate(data)


REQUEST = AgentRequest(
    messages=({"role": "system", "content": "You review code."}, {"role": "user", "content": "Review this."}),
    task_id="cr-1",
    seed=3,
)


async def _run(mode: str, **fields):
    app = FakeAnthropic(mode)
    with BackgroundSimServer(app=app) as srv:
        base = srv.base_url.removesuffix("/v1")
        provider = AnthropicProvider(_config(base, **fields))
        try:
            return await provider.complete(REQUEST), app
        finally:
            await provider.aclose()


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("TEST_ANTHROPIC_KEY", CANARY_KEY)


async def test_streaming_text_usage_and_headers():
    done, app = await _run("ok")
    assert done.text == "Hello from the fake Claude."
    assert (done.prompt_tokens, done.completion_tokens) == (25, 9)
    assert done.finish_reason == "stop" and not done.truncated
    assert done.ttft_s is not None and done.ttft_s <= done.latency_s
    seen = app.seen[0]
    assert seen["path"] == "/v1/messages"
    assert seen["headers"]["x-api-key"] == CANARY_KEY
    assert seen["headers"]["anthropic-version"] == ANTHROPIC_VERSION
    body = seen["body"]
    assert body["system"] == "You review code."
    assert body["messages"] == [{"role": "user", "content": "Review this."}]
    assert (body["model"], body["max_tokens"], body["temperature"], body["stream"]) == ("claude-test", 300, 0.1, True)
    assert "seed" not in body


async def test_max_tokens_stop_reason_means_length():
    done, _ = await _run("length")
    assert done.finish_reason == "length" and done.truncated


async def test_non_streaming_with_cache_reads():
    done, app = await _run("ok", stream=False)
    assert done.text == "whole answer" and done.ttft_s is None
    assert (done.prompt_tokens, done.completion_tokens, done.cached_prompt_tokens) == (40, 4, 10)
    assert "stream" not in app.seen[0]["body"]


@pytest.mark.parametrize(
    "mode,kind",
    [("429", kinds.RATE_LIMITED), ("529", kinds.SERVER_ERROR), ("401", kinds.CLIENT_ERROR),
     ("error_event", kinds.SERVER_ERROR), ("cut", kinds.BAD_RESPONSE), ("garbage", kinds.BAD_RESPONSE)],
)
async def test_failures_map_to_kinds_without_the_key(mode, kind):
    with pytest.raises(ProviderError) as info:
        await _run(mode)
    err = info.value
    assert err.kind == kind
    assert CANARY_KEY not in str(err)
    if mode == "429":
        assert err.retry_after == 12.0


async def test_missing_key_variable_is_a_config_error(monkeypatch):
    monkeypatch.delenv("TEST_ANTHROPIC_KEY")
    with pytest.raises(ProviderError) as info:
        await _run("ok")
    assert info.value.kind == kinds.CONFIG_ERROR and "TEST_ANTHROPIC_KEY" in str(info.value)

"""The sim-server's Anthropic Messages route, on both server stacks, streaming and not,
read by the real Anthropic client; and the gateway case where input tokens arrive only in
``message_delta.usage`` (LiteLLM's proxy), which used to be stored as 0."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tamma_tui.config.models import AgentConfig
from tamma_tui.providers.anthropic import AnthropicProvider
from tamma_tui.providers.base import AgentRequest
from tamma_tui.providers.simulated.server import BackgroundSimServer, SimServerApp
from tamma_tui.providers.simulated.service import SimService

MESSAGES = (
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Write a function that adds two numbers. " * 20},
)


def config(base_url: str, stream: bool) -> AgentConfig:
    return AgentConfig.model_validate({
        "agentId": "a", "provider": "anthropic", "model": "sim-medium",
        "base_url": base_url.removesuffix("/v1"), "stream": stream,
        "parameters": {"max_tokens": 200, "temperature": 0.0}, "timeout_s": 10,
    })


def ask(base_url: str, stream: bool):
    async def go():
        provider = AnthropicProvider(config(base_url, stream))
        try:
            return await provider.complete(AgentRequest(messages=MESSAGES, task_id="", seed=1))
        finally:
            await provider.aclose()

    return asyncio.run(go())


def server(stack: str, **options):
    service = SimService(latency_ms=1, **options)
    app = SimServerApp(service) if stack == "uvicorn" else None
    return BackgroundSimServer(service, app=app)


@pytest.mark.parametrize("stack", ["lean", "uvicorn"])
@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("gateway", [False, True])
def test_the_client_reads_every_token_count(stack, stream, gateway, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-sim-key-not-checked")
    with server(stack, anthropic_gateway_usage=gateway) as srv:
        got = ask(srv.base_url, stream)
    assert got.text and got.finish_reason in ("stop", "length")
    assert got.prompt_tokens > 100 and got.completion_tokens > 0


def test_gateway_stream_sends_input_tokens_only_in_message_delta():
    with server("lean", anthropic_gateway_usage=True) as srv:
        body = {"model": "sim-medium", "max_tokens": 50, "stream": True, "system": "s",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hello " * 40}]}]}
        raw = httpx.post(srv.base_url + "/messages", json=body, timeout=10).text
    events = [json.loads(line[5:]) for line in raw.splitlines() if line.startswith("data:")]
    kinds = [e["type"] for e in events]
    assert kinds[0] == "message_start" and kinds[-1] == "message_stop" and "content_block_delta" in kinds
    assert events[0]["message"]["usage"]["input_tokens"] == 0
    delta = next(e for e in events if e["type"] == "message_delta")
    assert delta["usage"]["input_tokens"] > 40 and delta["delta"]["stop_reason"] in ("end_turn", "max_tokens")


def test_a_bad_messages_request_is_a_400():
    with server("lean") as srv:
        r = httpx.post(srv.base_url + "/messages", json={"model": "x", "messages": []}, timeout=10)
    assert r.status_code == 400 and "messages" in r.json()["error"]["message"]

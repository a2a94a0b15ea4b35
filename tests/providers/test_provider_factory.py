"""make_provider picks the back end; preflight turns unusable configs into BadInput."""

from __future__ import annotations

import socket
import sys

import pytest
from provider_helpers import CANARY_KEY, make_task, request_for

from tamma_tui.config.errors import BadInput
from tamma_tui.config.models import AgentConfig
from tamma_tui.providers.anthropic import AnthropicProvider
from tamma_tui.providers.base import Provider
from tamma_tui.providers.command import CommandProvider
from tamma_tui.providers.factory import make_provider, preflight
from tamma_tui.providers.openai_compat import OpenAICompatProvider
from tamma_tui.providers.simulated.simulator import plan_response
from tamma_tui.providers.simulated.transport import DEFAULT_LATENCY_SCALE, SimulatedTransport


def _config(**fields) -> AgentConfig:
    return AgentConfig.model_validate({"agentId": "a", "model": "sim-medium", **fields})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "fields,cls",
    [
        ({"provider": "openai", "base_url": "http://127.0.0.1:9/v1"}, OpenAICompatProvider),
        ({"provider": "simulated"}, OpenAICompatProvider),
        ({"provider": "anthropic"}, AnthropicProvider),
        ({"provider": "command", "command": [sys.executable, "-c", "print(1)"]}, CommandProvider),
    ],
)
async def test_make_provider_picks_the_back_end(fields, cls):
    provider = make_provider(_config(**fields), max_connections=4)
    assert isinstance(provider, cls) and isinstance(provider, Provider)
    await provider.aclose()


async def test_simulated_provider_streams_through_the_openai_client(monkeypatch):
    task = make_task(3, "testing")
    monkeypatch.setattr("tamma_tui.providers.simulated.tasks.default_task_lookup", {task.id: task}.get)
    provider = make_provider(_config(provider="simulated", model="sim-large", parameters={"temperature": 0.0}))
    try:
        assert isinstance(provider._sender._transport, SimulatedTransport)
        request = request_for(task, seed=8)
        done = await provider.complete(request)
    finally:
        await provider.aclose()
    plan = plan_response("sim-large", request.messages, temperature=0.0, seed=8, task=task,
                         latency_scale=DEFAULT_LATENCY_SCALE)
    assert done.text == plan.text and done.completion_tokens == plan.completion_tokens
    assert done.ttft_s is not None and done.ttft_s >= plan.ttft_s * 0.9
    assert done.latency_s >= plan.total_s * 0.9


def test_preflight_missing_key_names_the_variable_not_a_value(monkeypatch):
    monkeypatch.delenv("TAMMA_TEST_MISSING_KEY", raising=False)
    config = _config(provider="openai", base_url="http://127.0.0.1:9/v1", api_key_env="TAMMA_TEST_MISSING_KEY")
    with pytest.raises(BadInput) as info:
        preflight(config, "agents/x.yaml")
    err = info.value
    assert (err.file, err.field) == ("agents/x.yaml", "api_key_env")
    assert "TAMMA_TEST_MISSING_KEY" in err.reason


def test_preflight_anthropic_defaults_to_its_key_variable(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(BadInput) as info:
        preflight(_config(provider="anthropic"), "c.yaml")
    assert info.value.field == "api_key_env" and "ANTHROPIC_API_KEY" in str(info.value)


def test_preflight_unreachable_base_url(monkeypatch):
    monkeypatch.setenv("TAMMA_TEST_KEY", CANARY_KEY)
    config = _config(provider="openai", base_url=f"http://127.0.0.1:{_free_port()}/v1", api_key_env="TAMMA_TEST_KEY")
    with pytest.raises(BadInput) as info:
        preflight(config, "c.yaml")
    assert info.value.field == "base_url" and "cannot connect" in str(info.value)
    assert CANARY_KEY not in str(info.value)


@pytest.mark.parametrize("url", ["localhost:8000/v1", "ftp://example.org/v1", "http://"])
def test_preflight_rejects_non_http_urls(url):
    with pytest.raises(BadInput) as info:
        preflight(_config(provider="openai", base_url=url), "c.yaml")
    assert info.value.field == "base_url"


def test_preflight_passes_for_a_live_server():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        preflight(_config(provider="openai", base_url=f"http://127.0.0.1:{port}/v1"), "c.yaml")


async def test_simulated_needs_no_key_or_network(monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    config = _config(provider="simulated", api_key_env="NOT_SET_ANYWHERE", base_url="http://127.0.0.1:9/v1")
    preflight(config, "c.yaml")
    provider = make_provider(config)
    try:
        done = await provider.complete(request_for(None))
    finally:
        await provider.aclose()
    assert "simulated agent" in done.text


def test_preflight_command_must_exist(tmp_path):
    with pytest.raises(BadInput) as info:
        preflight(_config(provider="command", command=[str(tmp_path / "missing-agent")]), "c.yaml")
    assert info.value.field == "command"
    with pytest.raises(BadInput) as info:
        preflight(_config(provider="command", command=["tamma-no-such-program-xyz"]), "c.yaml")
    assert info.value.field == "command" and "PATH" in str(info.value)
    not_exec = tmp_path / "agent.sh"
    not_exec.write_text("echo hi\n")
    with pytest.raises(BadInput) as info:
        preflight(_config(provider="command", command=[str(not_exec)]), "c.yaml")
    assert "not executable" in str(info.value)
    preflight(_config(provider="command", command=[sys.executable, "-c", "print(1)"]), "c.yaml")


def test_sender_choice_lean_for_plain_http_httpx_for_tls_and_proxies(monkeypatch):
    import httpx

    from tamma_tui.providers.http.keepalive import FastHTTPClient
    from tamma_tui.providers.http import HttpxSender, make_sender

    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    assert isinstance(make_sender("http://127.0.0.1:8000/v1/chat/completions", 60, 4), FastHTTPClient)
    https = make_sender("https://api.openai.com/v1/chat/completions", 60, 4)
    assert isinstance(https, HttpxSender) and isinstance(https._transport, httpx.AsyncHTTPTransport)
    given = httpx.MockTransport(lambda request: httpx.Response(200))
    assert make_sender("http://127.0.0.1:8000/v1", 60, 4, given)._transport is given
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    assert isinstance(make_sender("http://10.1.2.3:8000/v1/chat/completions", 60, 4), HttpxSender)


async def test_simulated_provider_knows_extra_tasks(monkeypatch):
    task = make_task(4, "code_review")
    monkeypatch.setattr("tamma_tui.providers.simulated.tasks.default_task_lookup", lambda _id: None)
    provider = make_provider(_config(provider="simulated"), tasks=[task])
    try:
        done = await provider.complete(request_for(task, seed=1))
    finally:
        await provider.aclose()
    assert done.text in {a.text for a in task.answers}


def test_preflight_official_openai_needs_a_key_even_without_api_key_env(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(BadInput) as info:
        preflight(_config(provider="openai", model="gpt-4o-mini"), "c.yaml")
    assert info.value.field == "api_key_env" and "OPENAI_API_KEY" in str(info.value)
    # A local server (a base_url) may need no key at all: only reachability is checked.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        preflight(_config(provider="openai", base_url=f"http://127.0.0.1:{listener.getsockname()[1]}/v1"), "c.yaml")

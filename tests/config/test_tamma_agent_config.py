"""Tamma's spec AgentConfig (story 1.13) read with nothing lost: camelCase parameters drive the
request, contextWindowTokens is the window, costPerToken prices, tools are sent, dates kept."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tamma_tui.config import load_agent_config
from tamma_tui.config.loader import canonical_dict, config_sha256
from tamma_tui.errors import BadInput
from tamma_tui.providers.anthropic import AnthropicProvider
from tamma_tui.providers.base import AgentRequest
from tamma_tui.providers.openai_compat import OpenAICompatProvider

SPEC = Path(__file__).parent / "fixtures" / "tamma_agent_config.json"


def test_tamma_fields_are_first_class():
    config = load_agent_config(SPEC)
    assert config.parameters.max_tokens == 1500 and config.parameters.top_p == 0.9
    assert config.parameters.model_dump(exclude_none=True)["frequency_penalty"] == 0.1
    assert config.context.window_tokens == 200000
    assert config.pricing.cost(1_000_000, 0) == pytest.approx(3.0)
    assert (config.createdAt, config.updatedAt) == ("2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z")


def test_camel_and_snake_spellings_hash_alike_and_dates_do_not_count(tmp_path):
    data = json.loads(SPEC.read_text())
    snake = dict(data, parameters={"temperature": 0.2, "max_tokens": 1500, "top_p": 0.9,
                                   "frequency_penalty": 0.1, "presence_penalty": 0})
    snake.pop("createdAt"), snake.pop("updatedAt")
    other = tmp_path / "snake.json"
    other.write_text(json.dumps(snake))
    assert config_sha256(load_agent_config(other)) == config_sha256(load_agent_config(SPEC))
    assert "maxTokens" not in json.dumps(canonical_dict(load_agent_config(SPEC)))


def test_explicit_benchmark_blocks_win(tmp_path):
    data = json.loads(SPEC.read_text())
    data["context"] = {"window_tokens": 1000}
    data["pricing"] = {"input_per_mtok": 1, "output_per_mtok": 2}
    path = tmp_path / "a.json"
    path.write_text(json.dumps(data))
    config = load_agent_config(path)
    assert config.context.window_tokens == 1000 and config.pricing.output_per_mtok == 2


@pytest.mark.parametrize("params, field", [
    ({"maxTokens": 0}, "parameters.max_tokens"),
    ({"frequencyPenalty": 3}, "parameters"),
    ({"maxTokens": 5, "max_tokens": 6}, "parameters"),
])
def test_bad_tamma_parameters_are_one_line(tmp_path, params, field):
    data = json.loads(SPEC.read_text())
    data["parameters"] = params
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(BadInput) as info:
        load_agent_config(path)
    assert str(info.value).startswith(f"{path}: {field}") and "\n" not in str(info.value)


def test_request_bodies_carry_parameters_and_tools():
    config = load_agent_config(SPEC)
    request = AgentRequest(messages=[{"role": "user", "content": "hi"}], seed=1, task_id="t")
    _, body = AnthropicProvider(config)._request_parts(request, None)
    sent = json.loads(body)
    assert sent["max_tokens"] == 1500 and sent["top_p"] == 0.9 and "frequency_penalty" not in sent
    assert sent["tools"][0]["name"] == "read_file" and "input_schema" in sent["tools"][0]
    openai_config = config.model_copy(update={"provider": "openai", "api_key_env": None})
    _, body = OpenAICompatProvider(openai_config).request_parts(request, None)
    sent = json.loads(body)
    assert sent["max_tokens"] == 1500 and sent["frequency_penalty"] == 0.1
    assert sent["tools"][0] == {"type": "function", "function": {
        "name": "read_file", "description": "Read a file",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}}}}
    no_tools = config.model_copy(update={"capabilities": {**config.capabilities, "supportsTools": False}})
    _, body = AnthropicProvider(no_tools)._request_parts(request, None)
    assert "tools" not in json.loads(body)


def test_tamma_provider_names_map_onto_ours(tmp_path):
    data = json.loads(SPEC.read_text())
    data["provider"] = "openrouter"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    config = load_agent_config(path)
    assert (config.provider, config.base_url, config.api_key_env) == (
        "openai", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY")

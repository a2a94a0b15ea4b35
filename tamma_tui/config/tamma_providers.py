"""Tamma's provider names mapped onto Tamma Bench's providers.

Tamma (``providerChain[].provider`` in tamma.config.json, ``provider`` in an AgentConfig)
names the service; Tamma Bench names the wire protocol. The mapping:

=================  ==========  ============================================  ===================
Tamma provider     ours        base URL (unless config.baseUrl / base_url)   key variable
=================  ==========  ============================================  ===================
anthropic          anthropic   the Anthropic API                              ANTHROPIC_API_KEY
openai             openai      the OpenAI API                                 OPENAI_API_KEY
openrouter         openai      https://openrouter.ai/api/v1                   OPENROUTER_API_KEY
local, ollama      openai      http://localhost:11434/v1                      none
llamacpp           openai      http://localhost:8080/v1                       none
vllm               openai      http://localhost:8000/v1                       none
lmstudio           openai      http://localhost:1234/v1                       none
claude-code,       refused     CLI agents: benchmark them with ``provider: command`` and the
opencode, others               agent's command line
=================  ==========  ============================================  ===================

``apiKeyRef`` (the name of an environment variable) always wins over the default variable.
"""

from __future__ import annotations

from typing import Any

_LOCAL = {"local": 11434, "ollama": 11434, "llamacpp": 8080, "vllm": 8000, "lmstudio": 1234}
_HOSTED = {
    "anthropic": ("anthropic", None, "ANTHROPIC_API_KEY"),
    "openai": ("openai", None, "OPENAI_API_KEY"),
    "openrouter": ("openai", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
}

MAPPED = frozenset(_LOCAL) | frozenset(_HOSTED)


def map_provider(name: str, data: dict[str, Any] | None = None, *, explicit_base_url: str | None = None,
                 api_key_ref: str | None = None) -> dict[str, Any]:
    """The AgentConfig fields (provider, base_url, api_key_env) for a Tamma provider name.

    Raises ValueError (reported as ``FILE: provider: REASON``) for providers that are not
    an HTTP model API."""
    data = data or {}
    out: dict[str, Any] = {}
    if name in _HOSTED:
        ours, base, key = _HOSTED[name]
        out["provider"] = ours
        if base and not explicit_base_url:
            out["base_url"] = base
        if not data.get("api_key_env"):
            out["api_key_env"] = api_key_ref or key
    elif name in _LOCAL:
        out["provider"] = "openai"
        if not explicit_base_url:
            out["base_url"] = f"http://localhost:{_LOCAL[name]}/v1"
        if api_key_ref and not data.get("api_key_env"):
            out["api_key_env"] = api_key_ref
    else:
        raise ValueError(
            f"Tamma provider {name!r} is not an HTTP model API Tamma Bench can call; "
            "benchmark a CLI agent with provider: command (see docs/tamma.md)"
        )
    if explicit_base_url:
        out["base_url"] = explicit_base_url
    return out

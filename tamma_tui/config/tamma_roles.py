"""Tamma's implemented ``tamma.config.json`` (IAgentsConfig): validation, role resolution,
and the mapping of a role onto a Tamma Bench AgentConfig.

    {defaults: RoleConfig, roles?: {<role>: Partial<RoleConfig>}, phaseRoleMap?}
    RoleConfig = {providerChain: [{provider, model?, apiKeyRef?, config?}], allowedTools?,
                  maxBudgetUsd?, permissionMode?, systemPrompt?, providerPrompts?}

Merge is defaults < role, key by key. The prompt is the first of
``roles[r].providerPrompts[p]``, ``roles[r].systemPrompt``, ``defaults.providerPrompts[p]``,
``defaults.systemPrompt`` (p = the provider of providerChain[0]).

Sampling parameters have no place in a RoleConfig; Tamma Bench keeps them in
``providerChain[0].config`` under Tamma's names (temperature, maxTokens, topP,
frequencyPenalty, presencePenalty), reads them from there and writes them back there.
``config.timeout`` is in milliseconds, as in Tamma.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from tamma_tui.errors import BadInput

ROLES = ("scrum_master", "architect", "researcher", "analyst", "planner", "implementer", "reviewer",
         "tester", "documenter")
ROLE_KEYS = ("providerChain", "allowedTools", "maxBudgetUsd", "permissionMode", "systemPrompt", "providerPrompts")
PERMISSION_MODES = ("default", "bypassPermissions")
PROVIDER_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
FORBIDDEN_KEYS = frozenset({"__proto__", "constructor", "prototype"})
#: Parameters a role cannot hold, kept in providerChain[0].config: Tamma name -> ours.
CHAIN_PARAMETERS = {"temperature": "temperature", "maxTokens": "max_tokens", "topP": "top_p",
                    "frequencyPenalty": "frequency_penalty", "presencePenalty": "presence_penalty"}


def _bad(where: str, field: str, reason: str) -> BadInput:
    return BadInput(reason, file=where, field=field)


def _forbidden_keys(value: Any, path: str, where: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in FORBIDDEN_KEYS:
                raise _bad(where, f"{path}.{key}" if path else key, "reserved key refused")
            _forbidden_keys(item, f"{path}.{key}" if path else str(key), where)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _forbidden_keys(item, f"{path}[{i}]", where)


def _role_config(value: Any, path: str, where: str, *, partial: bool) -> None:
    if not isinstance(value, dict):
        raise _bad(where, path, f"must be an object, got {type(value).__name__}")
    chain = value.get("providerChain")
    if chain is None and not partial:
        raise _bad(where, f"{path}.providerChain", "required field is missing")
    if chain is not None:
        if not isinstance(chain, list) or (not chain and not partial):
            raise _bad(where, f"{path}.providerChain", "must be a non-empty list")
        for i, entry in enumerate(chain):
            at = f"{path}.providerChain[{i}]"
            if not isinstance(entry, dict):
                raise _bad(where, at, "must be an object")
            name = entry.get("provider")
            if not isinstance(name, str) or not PROVIDER_NAME.match(name):
                raise _bad(where, f"{at}.provider", f"must match {PROVIDER_NAME.pattern}, got {name!r}")
            for key in ("model", "apiKeyRef"):
                if key in entry and not isinstance(entry[key], str):
                    raise _bad(where, f"{at}.{key}", "must be a string")
            if "config" in entry and not isinstance(entry["config"], dict):
                raise _bad(where, f"{at}.config", "must be an object")
    budget = value.get("maxBudgetUsd")
    if budget is not None:
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not math.isfinite(budget) or not 0 <= budget <= 100:
            raise _bad(where, f"{path}.maxBudgetUsd", f"must be a finite number within 0-100, got {budget!r}")
    mode = value.get("permissionMode")
    if mode is not None and mode not in PERMISSION_MODES:
        raise _bad(where, f"{path}.permissionMode", f"must be one of {', '.join(PERMISSION_MODES)}, got {mode!r}")
    if "systemPrompt" in value and not isinstance(value["systemPrompt"], str):
        raise _bad(where, f"{path}.systemPrompt", "must be a string")
    prompts = value.get("providerPrompts")
    if prompts is not None:
        if not isinstance(prompts, dict) or not all(isinstance(v, str) for v in prompts.values()):
            raise _bad(where, f"{path}.providerPrompts", "must map provider names to strings")
    tools = value.get("allowedTools")
    if tools is not None and (not isinstance(tools, list) or not all(isinstance(t, str) for t in tools)):
        raise _bad(where, f"{path}.allowedTools", "must be a list of tool names")


def validate_document(doc: Any, where: str) -> dict[str, Any]:
    """Tamma's own validation rules, as one-line ``WHERE: FIELD: REASON`` errors."""
    from tamma_tui.config.secrets import refuse_inline_secrets

    if not isinstance(doc, dict):
        raise _bad(where, "(top level)", f"expected an object, got {type(doc).__name__}")
    _forbidden_keys(doc, "", where)
    if "defaults" not in doc:
        raise _bad(where, "defaults", "required field is missing")
    _role_config(doc["defaults"], "defaults", where, partial=False)
    roles = doc.get("roles")
    if roles is not None:
        if not isinstance(roles, dict):
            raise _bad(where, "roles", "must be an object")
        for name, role in roles.items():
            _role_config(role, f"roles.{name}", where, partial=True)
    refuse_inline_secrets(doc, where)
    return doc


@dataclass(frozen=True)
class ResolvedRole:
    role: str
    agent: dict[str, Any]  # AgentConfig fields (Tamma Bench terms)
    prompt_path: tuple[str, ...]  # where the resolved prompt lives in the document
    provider: str  # Tamma's provider name of providerChain[0]
    chain_owner: str  # "roles.<r>" or "defaults": whose providerChain is in force


def merged_role(doc: dict[str, Any], role: str) -> dict[str, Any]:
    defaults = doc.get("defaults") or {}
    override = (doc.get("roles") or {}).get(role) or {}
    merged = dict(defaults)
    merged.update({k: v for k, v in override.items() if v is not None})
    return merged


def resolve_prompt(doc: dict[str, Any], role: str, provider: str) -> tuple[str, tuple[str, ...]]:
    """The prompt and the path it came from (Tamma's precedence); ("", ()) when none."""
    defaults = doc.get("defaults") or {}
    override = (doc.get("roles") or {}).get(role) or {}
    for owner, path in ((override, ("roles", role)), (defaults, ("defaults",))):
        prompts = owner.get("providerPrompts") or {}
        if prompts.get(provider):
            return prompts[provider], (*path, "providerPrompts", provider)
        if owner.get("systemPrompt"):
            return owner["systemPrompt"], (*path, "systemPrompt")
    return "", ()


def resolve_role(doc: dict[str, Any], role: str, *, where: str, source: str) -> ResolvedRole:
    """The role as a Tamma Bench AgentConfig dict; ``source`` qualifies the agentId."""
    from tamma_tui.config.tamma_providers import map_provider

    validate_document(doc, where)
    if role not in ROLES and role not in (doc.get("roles") or {}):
        raise _bad(where, "role", f"unknown role {role!r}; Tamma's roles are {', '.join(ROLES)}")
    merged = merged_role(doc, role)
    override = (doc.get("roles") or {}).get(role) or {}
    chain_owner = f"roles.{role}" if override.get("providerChain") else "defaults"
    first = merged["providerChain"][0]
    provider = first["provider"]
    config = first.get("config") or {}
    prompt, prompt_path = resolve_prompt(doc, role, provider)
    try:
        mapped = map_provider(provider, {}, explicit_base_url=config.get("baseUrl"), api_key_ref=first.get("apiKeyRef"))
    except ValueError as exc:
        chain_path = "defaults" if chain_owner == "defaults" else f"roles.{role}"
        raise _bad(where, f"{chain_path}.providerChain[0].provider", str(exc)) from None
    agent: dict[str, Any] = {
        "agentId": f"tamma:{role}@{source}",
        "name": role,
        "version": "1",
        "model": first.get("model") or "default",
        "systemPrompt": prompt,
        **mapped,
    }
    parameters = {ours: config[theirs] for theirs, ours in CHAIN_PARAMETERS.items() if theirs in config}
    if parameters:
        agent["parameters"] = parameters
    timeout = config.get("timeout")
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        agent["timeout_s"] = timeout / 1000.0
    if merged.get("allowedTools"):
        agent["tools"] = list(merged["allowedTools"])
    caps = {k: merged[k] for k in ("permissionMode", "maxBudgetUsd") if k in merged}
    if caps:
        agent["capabilities"] = caps
    return ResolvedRole(role, agent, prompt_path, provider, chain_owner)

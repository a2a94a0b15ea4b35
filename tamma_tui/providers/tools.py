"""Tamma's AgentConfig ``tools`` ({name, description, parameters: JSON Schema}) as each wire
protocol's tool definitions. Sent only when the config declares tools and does not say
``capabilities.supportsTools: false``."""

from __future__ import annotations

from typing import Any


def tool_definitions(config: Any, wire: str) -> list[dict[str, Any]]:
    caps = config.capabilities if isinstance(config.capabilities, dict) else {}
    if not config.tools or caps.get("supportsTools") is False:
        return []
    out = []
    for tool in config.tools:
        if not isinstance(tool, dict) or not tool.get("name"):
            continue  # a bare tool name (wave-1 configs) names a tool, it does not define one
        schema = tool.get("parameters") or {"type": "object", "properties": {}}
        if wire == "anthropic":
            out.append({"name": tool["name"], "description": tool.get("description", ""), "input_schema": schema})
        else:
            out.append({"type": "function", "function": {"name": tool["name"],
                        "description": tool.get("description", ""), "parameters": schema}})
    return out

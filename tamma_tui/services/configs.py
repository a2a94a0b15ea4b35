"""Agent configuration use cases shared by the CLI and the app."""

from __future__ import annotations

import difflib
from pathlib import Path

from tamma_tui.config import (
    AgentConfig,
    canonical_yaml,
    config_sha256,
    load_agent_config,
    load_experiment,
)
from tamma_tui.config.loader import read_mapping


def is_experiment_file(path: str | Path) -> bool:
    """Experiments have a baseline; agent configs have a provider."""
    data = read_mapping(path)
    return "baseline" in data and "provider" not in data


def validate_file(path: str | Path) -> str:
    """Validate an agent config or an experiment; return a one-line verdict."""
    if is_experiment_file(path):
        exp = load_experiment(path)
        arms = ", ".join(f"{a.name} ({a.sha256[:12]})" for a in exp.arms)
        return f"{path}: ok: experiment {exp.spec.name!r} with arms {arms}"
    config = load_agent_config(path)
    return f"{path}: ok: agent {config.agentId!r} v{config.version} sha256 {config_sha256(config)[:12]}"


def load_any_config(path: str | Path) -> AgentConfig:
    return load_agent_config(path)


def show_config(config: AgentConfig) -> str:
    return f"# sha256: {config_sha256(config)}\n{canonical_yaml(config)}"


def diff_configs(a: AgentConfig, b: AgentConfig, name_a: str = "a", name_b: str = "b") -> str:
    lines = difflib.unified_diff(
        canonical_yaml(a).splitlines(keepends=True),
        canonical_yaml(b).splitlines(keepends=True),
        fromfile=str(name_a),
        tofile=str(name_b),
    )
    return "".join(lines)

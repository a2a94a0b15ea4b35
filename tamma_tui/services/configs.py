"""Agent configuration use cases shared by the CLI and the app."""

from __future__ import annotations

import difflib
from pathlib import Path

from tamma_tui.config import (
    AgentConfig,
    LoadedExperiment,
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
        n_tasks, warning = experiment_power(exp)
        verdict = f"{path}: ok: experiment {exp.spec.name!r} on {n_tasks} tasks with arms {arms}"
        return verdict + (f"\n{path}: warning: {warning}" if warning else "")
    config = load_agent_config(path)
    return f"{path}: ok: agent {config.agentId!r} v{config.version} sha256 {config_sha256(config)[:12]}"


def experiment_power(exp: LoadedExperiment) -> tuple[int, str | None]:
    """The experiment's task count and, when its stated MDE is out of reach, the warning."""
    from tamma_tui.analysis.planning import check_power
    from tamma_tui.engine.plan import select_tasks
    from tamma_tui.suites.registry import load_suite

    suite = load_suite(exp.spec.suite, base_dir=exp.path.parent)
    n_tasks = len(select_tasks(exp, suite))
    return n_tasks, check_power(exp.spec, n_tasks)


def show_config(config: AgentConfig) -> str:
    return f"# sha256: {config_sha256(config)}\n{canonical_yaml(config)}"


def diff_canonical(a_yaml: str, b_yaml: str, name_a: str = "a", name_b: str = "b") -> str:
    """Unified diff of two canonical forms (the canonical form makes diffs meaningful)."""
    lines = difflib.unified_diff(
        a_yaml.splitlines(keepends=True), b_yaml.splitlines(keepends=True),
        fromfile=str(name_a), tofile=str(name_b),
    )
    return "".join(lines)


def diff_configs(a: AgentConfig, b: AgentConfig, name_a: str = "a", name_b: str = "b") -> str:
    return diff_canonical(canonical_yaml(a), canonical_yaml(b), name_a, name_b)


def import_tamma_role(path: str | Path, role: str) -> tuple[AgentConfig, dict]:
    """A role of a tamma.config.json as a Tamma Bench agent config (nothing is stored)."""
    from tamma_tui.config.loader import validate_model
    from tamma_tui.integration.json_text import parse
    from tamma_tui.config.tamma_roles import resolve_role

    p = Path(path).resolve()
    if not p.is_file():
        from tamma_tui.errors import BadInput

        raise BadInput("file not found", file=str(path))
    doc = parse(p.read_text(encoding="utf-8"), str(path))
    resolved = resolve_role(doc, role, where=str(path), source=f"tamma-file:{p}")
    config = validate_model(AgentConfig, resolved.agent, f"{path} (role {role})")
    return config, {"prompt_source": ".".join(resolved.prompt_path), "provider": resolved.provider}

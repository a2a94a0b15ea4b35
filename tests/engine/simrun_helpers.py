"""Helpers for engine tests against the real sim-server on 127.0.0.1."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_sim_experiment(
    tmp: Path,
    base_url: str,
    *,
    extra: str = "",
    agent_extra: str = "",
    trials: int = 1,
    concurrency: int = 8,
    max_tasks: int | None = 3,
    variants: bool = True,
    contexts: str = "[development, code_review, testing]",
) -> Path:
    """An experiment over the built-in match suite against an OpenAI-compatible endpoint."""
    (tmp / "agents").mkdir(exist_ok=True)
    (tmp / "agents" / "base.yaml").write_text(
        textwrap.dedent(
            f"""\
            agentId: sim-agent
            provider: openai
            model: sim-medium
            base_url: {base_url}
            systemPrompt: You are careful.
            parameters: {{temperature: 0.2, max_tokens: 256}}
            pricing: {{input_per_mtok: 1.0, output_per_mtok: 4.0}}
            timeout_s: 10
            """
        )
        + agent_extra
    )
    body = textwrap.dedent(
        f"""\
        name: sim-exp
        suite: tamma-match
        contexts: {contexts}
        trials: {trials}
        seed: 11
        concurrency: {concurrency}
        baseline: agents/base.yaml
        """
    )
    if max_tasks is not None:
        body += f"max_tasks: {max_tasks}\n"
    if variants:
        body += "variants:\n  - name: large\n    overrides: {model: sim-large}\n"
    exp = tmp / "exp.yaml"
    exp.write_text(body + extra)
    return exp

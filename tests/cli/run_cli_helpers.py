"""Experiment files for the `run` CLI tests (openai-compatible agent on a local server)."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_cli_experiment(tmp: Path, base_url: str, *, agent_extra: str = "", exp_extra: str = "",
                         trials: int = 2, concurrency: int = 2, max_tasks: int = 3) -> Path:
    (tmp / "agents").mkdir(exist_ok=True)
    (tmp / "agents" / "base.yaml").write_text(
        textwrap.dedent(
            f"""\
            agentId: cli-agent
            provider: openai
            model: sim-medium
            base_url: {base_url}
            parameters: {{temperature: 0.2, max_tokens: 128}}
            pricing: {{input_per_mtok: 1.0, output_per_mtok: 4.0}}
            timeout_s: 10
            """
        )
        + agent_extra
    )
    exp = tmp / "exp.yaml"
    exp.write_text(
        textwrap.dedent(
            f"""\
            name: cli-exp
            suite: tamma-match
            trials: {trials}
            seed: 5
            concurrency: {concurrency}
            max_tasks: {max_tasks}
            baseline: agents/base.yaml
            variants:
              - name: large
                overrides: {{model: sim-large}}
            """
        )
        + exp_extra
    )
    return exp

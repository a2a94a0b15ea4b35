"""One small experiment on the embedded simulated agent (no server, no network), written to
a folder: shared by the store, Ray and app tests and the Ray benchmark."""

from __future__ import annotations

import textwrap
from pathlib import Path


def write_sim_experiment(
    folder: Path,
    *,
    name: str,
    seed: int = 5,
    suite: str = "tamma-match",
    contexts: str = "[development, code_review, testing]",
    trials: int = 2,
    max_tasks: int | None = 4,
    concurrency: int = 8,
    max_tokens: int = 256,
    extra: str = "",
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "agent.yaml").write_text(textwrap.dedent(f"""\
        agentId: sim-agent
        provider: simulated
        model: sim-medium
        systemPrompt: You are careful.
        parameters: {{temperature: 0.2, max_tokens: {max_tokens}}}
        pricing: {{input_per_mtok: 1.0, output_per_mtok: 4.0}}
        """))
    body = textwrap.dedent(f"""\
        name: {name}
        suite: {suite}
        contexts: {contexts}
        trials: {trials}
        seed: {seed}
        concurrency: {concurrency}
        baseline: agent.yaml
        variants:
          - name: large
            overrides: {{model: sim-large}}
        """)
    if max_tasks is not None:
        body += f"max_tasks: {max_tasks}\n"
    path = folder / f"{name}.yaml"
    path.write_text(body + extra)
    return path

"""Helpers for engine tests: a tiny experiment on disk, a match suite, a scripted
in-test provider (unit tests only; integration tests use the real sim-server)."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any, Callable

from tamma_tui.providers.base import AgentRequest, Completion
from tamma_tui.suites.model import Suite, Task

CONTEXTS = ("development", "code_review", "testing")


def match_suite(n_per_context: int = 4) -> Suite:
    tasks = []
    for c in CONTEXTS:
        for i in range(n_per_context):
            tid = f"{c[:3]}-{i:02d}"
            tasks.append(
                Task(
                    id=tid,
                    context=c,
                    prompt=f"Say {tid}",
                    grader={"kind": "match", "expected": tid, "mode": "exact"},
                    suite="unit",
                )
            )
    return Suite(id="unit", tasks=tuple(tasks))


def write_experiment(tmp: Path, body: str = "", *, agent: str = "") -> Path:
    agents = tmp / "agents"
    agents.mkdir(exist_ok=True)
    (agents / "base.yaml").write_text(
        agent
        or textwrap.dedent(
            """\
            agentId: unit-agent
            provider: simulated
            model: sim-medium
            systemPrompt: Be brief.
            parameters: {temperature: 0.2, max_tokens: 256}
            context: {window_tokens: 4096, max_context_files: 2}
            pricing: {input_per_mtok: 1.0, output_per_mtok: 2.0}
            timeout_s: 5
            """
        )
    )
    exp = tmp / "exp.yaml"
    exp.write_text(
        textwrap.dedent(
            """\
            name: unit
            suite: tamma-match
            trials: 2
            seed: 3
            concurrency: 4
            baseline: agents/base.yaml
            variants:
              - name: cool
                overrides: {parameters: {temperature: 0.0}}
            """
        )
        + body
    )
    return exp


class ScriptedProvider:
    """Answers with the task id (so a match grader passes) after ``delay_s``.

    ``script(request, call_number)`` may raise a ProviderError or return a text.
    """

    def __init__(self, delay_s: float = 0.0, script: Callable[[AgentRequest, int], Any] | None = None,
                 prompt_tokens: int = 100, completion_tokens: int = 10):
        self.delay_s = delay_s
        self.script = script
        self.calls: list[AgentRequest] = []
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.in_flight = 0
        self.peak_in_flight = 0
        self.closed = False

    async def complete(self, request: AgentRequest) -> Completion:
        self.calls.append(request)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            text = request.task_id
            if self.script is not None:
                out = self.script(request, len(self.calls))
                if out is not None:
                    text = out
            return Completion(
                text=text,
                prompt_tokens=self.prompt_tokens,
                completion_tokens=self.completion_tokens,
                latency_s=self.delay_s,
                ttft_s=self.delay_s / 2 if self.delay_s else None,
                finish_reason="stop",
            )
        finally:
            self.in_flight -= 1

    async def aclose(self) -> None:
        self.closed = True



"""Helpers shared by the provider tests (imported by name: pytest puts this folder on sys.path)."""

from __future__ import annotations

from typing import Any

from tamma_tui.config.models import AgentConfig
from tamma_tui.providers.base import AgentRequest
from tamma_tui.suites.model import Answer, Task

CANARY_KEY = "sk-canary-123"

CONTEXT_SNIPPETS = {
    "development": ("Implement `clamp(x, lo, hi)`.", "def clamp(x, lo, hi):\n    return max(lo, min(x, hi))\n"),
    "code_review": ("Review `parse_port` for defects.", '{"findings": [{"line_start": 3, "category": "bug"}]}\n'),
    "testing": ("Write tests for `slugify`.", "def test_slugify():\n    assert slugify('A b') == 'a-b'\n"),
}


def make_task(i: int, context: str = "development", difficulty: str = "medium") -> Task:
    prompt, reference = CONTEXT_SNIPPETS[context]
    answers = (
        Answer("reference", f"```python\n# task {i}\n{reference}```\n", True),
        Answer("off_by_one", f"```python\n# task {i} (wrong: off by one)\n{reference}```\n", False),
        Answer("missed_edge_case", f"```python\n# task {i} (wrong: edge case)\n{reference}```\n", False),
        Answer("wrong_api", f"```python\n# task {i} (wrong: api)\n{reference}```\n", False),
    )
    return Task(
        id=f"{context}-{i:03d}",
        context=context,
        prompt=f"Task number {i:03d}. {prompt}",
        grader={"kind": "match", "expected": "reference", "mode": "contains"},
        difficulty=difficulty,
        answers=answers,
    )


def openai_config(base_url: str, **fields: Any) -> AgentConfig:
    data: dict[str, Any] = {
        "agentId": "test-agent",
        "provider": "openai",
        "model": "sim-medium",
        "base_url": base_url,
        "timeout_s": 10,
    }
    data.update(fields)
    return AgentConfig.model_validate(data)


def request_for(task: Task | None, *, system: str = "", seed: int = 0, text: str | None = None) -> AgentRequest:
    messages = []
    if system:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": text if text is not None else (task.prompt if task else "hi")})
    return AgentRequest(messages=tuple(messages), task_id=task.id if task else "", seed=seed)


def is_reference(text: str, task: Task) -> bool:
    return text == task.reference.text

"""Fixtures for provider tests: hand-built tasks with answer banks and the real server."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tamma_tui.suites.model import Task

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, for tests.*
from provider_helpers import make_task  # noqa: E402
from tests.simserver_fixture import running_sim_server  # noqa: E402


@pytest.fixture(scope="session")
def sim_tasks() -> list[Task]:
    difficulties = ("easy", "medium", "hard")
    return [
        make_task(i, ctx, difficulties[i % 3])
        for ctx in ("development", "code_review", "testing")
        for i in range(60)
    ]


@pytest.fixture(scope="session")
def task_lookup(sim_tasks: list[Task]) -> Callable[[str], Task | None]:
    return {t.id: t for t in sim_tasks}.get


@pytest.fixture
def sim_server(sim_tasks, task_lookup) -> Callable[..., Any]:
    """``with sim_server(**options) as base_url:`` with the test tasks injected."""

    def start(**options: Any):
        options.setdefault("tasks", sim_tasks)
        options.setdefault("task_lookup", task_lookup)
        return running_sim_server(**options)

    return start


@pytest.fixture(scope="module")
def quick_server(sim_tasks, task_lookup) -> Iterator[str]:
    """A shared fault-free server with short simulated latency."""
    with running_sim_server(tasks=sim_tasks, task_lookup=task_lookup, latency_scale=0.05) as url:
        yield url

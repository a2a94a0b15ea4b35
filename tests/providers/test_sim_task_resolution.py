"""The simulator finds a request's task by header (built-in suites by default) or prompt."""

from __future__ import annotations

import pytest
from provider_helpers import make_task

from tamma_tui.providers.simulated.tasks import TaskResolver
from tamma_tui.suites.prompts import render_user_prompt
from tamma_tui.suites.registry import builtin_suites


def _builtin_tasks():
    return [t for s in builtin_suites() for t in s.tasks if t.answers]


def test_builtin_tasks_resolve_by_id_through_the_default_lookup():
    tasks = _builtin_tasks()
    if not tasks:
        pytest.skip("no built-in suites with answer banks in this build")
    resolver = TaskResolver()
    for task in tasks:
        assert resolver.resolve(task.id, []).id == task.id


def test_builtin_tasks_resolve_from_their_rendered_prompt_without_a_header():
    tasks = _builtin_tasks()
    if not tasks:
        pytest.skip("no built-in suites with answer banks in this build")
    resolver = TaskResolver()
    for task in tasks:
        found = resolver.resolve("", [{"role": "system", "content": "sys"},
                                      {"role": "user", "content": render_user_prompt(task, 8)}])
        assert found is not None and found.id == task.id


def test_extra_tasks_win_and_unknown_prompts_resolve_to_none():
    task = make_task(7, "testing")
    resolver = TaskResolver(lambda _id: None, tasks=[task], include_builtin=False)
    assert resolver.resolve(task.id, []) is task
    assert resolver.resolve("", [{"role": "user", "content": "prefix " + task.prompt}]) is task
    assert resolver.resolve("nope", [{"role": "user", "content": "something else entirely"}]) is None


def test_lookup_is_called_once_per_id():
    calls = []
    task = make_task(8)

    def lookup(task_id):
        calls.append(task_id)
        return task if task_id == task.id else None

    resolver = TaskResolver(lookup, include_builtin=False)
    for _ in range(3):
        assert resolver.resolve(task.id, []) is task
        assert resolver.resolve("missing", [{"role": "user", "content": "x"}]) is None
    assert calls == [task.id, "missing"]

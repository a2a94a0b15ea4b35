"""Which task a request is about: by the ``X-Tamma-Task`` header, else by its prompt."""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable, Mapping, Sequence

from tamma_tui.suites.model import Task

TaskLookup = Callable[[str], "Task | None"]
_PROMPT_KEY_CHARS = 160


def default_task_lookup(task_id: str) -> Task | None:
    """The built-in suites' tasks (imported lazily: suites load files on first use)."""
    try:
        from tamma_tui.suites.registry import find_task
    except ImportError:  # suites not installed in this build: no answer banks
        return None
    try:
        return find_task(task_id)
    except Exception:  # a broken suite must not take the simulator down
        return None


def _builtin_tasks() -> list[Task]:
    try:
        from tamma_tui.suites.registry import builtin_suites

        return [t for s in builtin_suites() for t in s.tasks]
    except Exception:
        return []


class TaskResolver:
    """Finds the task for a request; extra tasks (e.g. from ``--suite``) come first."""

    def __init__(
        self,
        lookup: TaskLookup | None = None,
        *,
        tasks: Iterable[Task] = (),
        include_builtin: bool = True,
    ):
        self._lookup = lookup if lookup is not None else default_task_lookup
        self._by_id: dict[str, Task] = {t.id: t for t in tasks}
        self._include_builtin = include_builtin
        self._prompt_index: list[tuple[str, Task]] | None = None
        self._lock = threading.Lock()
        self._cache: dict[str, Task | None] = {}

    def resolve(self, task_id: str, messages: Sequence[Mapping[str, Any]]) -> Task | None:
        if task_id:
            task = self._by_id.get(task_id)
            if task is None:
                task = self._cache.get(task_id)
                if task is None and task_id not in self._cache:
                    task = self._lookup(task_id)
                    self._cache[task_id] = task
            if task is not None:
                return task
        return self._match_prompt(messages)

    def _match_prompt(self, messages: Sequence[Mapping[str, Any]]) -> Task | None:
        user = "\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "user")
        if not user:
            return None
        for key, task in self._index():
            if key in user:
                return task
        return None

    def _index(self) -> list[tuple[str, Task]]:
        with self._lock:
            if self._prompt_index is None:
                tasks = list(self._by_id.values())
                if self._include_builtin:
                    tasks += _builtin_tasks()
                pairs = [(t.prompt.strip()[:_PROMPT_KEY_CHARS], t) for t in tasks if t.prompt.strip()]
                # Longest keys first, so a prompt that extends another matches itself.
                pairs.sort(key=lambda kt: len(kt[0]), reverse=True)
                self._prompt_index = pairs
            return self._prompt_index

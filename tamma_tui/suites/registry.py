"""Find and load suites by reference: a built-in id, a folder of tasks, or a JSONL file.

Loaded suites are cached (keyed by the resolved path and its modification time, so an
edited user suite is re-read), and the cache is safe to use from several threads.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tamma_tui.config.errors import BadInput

from .loaders import load_folder_suite, load_jsonl_suite
from .loaders._common import is_jsonl
from .loaders.folder import SUITE_FILE, TASK_FILE
from .model import Suite, Task

BUILTIN_DIR = Path(__file__).with_name("builtin")

_lock = threading.RLock()
_cache: dict[tuple[str, int], Suite] = {}
_task_index: dict[str, Task] | None = None


def builtin_ids() -> list[str]:
    """Ids of the built-in suites (folders with a suite.yaml under suites/builtin/)."""
    if not BUILTIN_DIR.is_dir():
        return []
    return sorted(p.name for p in BUILTIN_DIR.iterdir() if (p / SUITE_FILE).is_file())


def _stamp(path: Path) -> int:
    """A cheap change marker: the path's own mtime. An edited .jsonl file is re-read; a
    folder is re-read when entries are added or removed (call clear_cache() after editing
    a task inside it)."""
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _load_path(path: Path) -> Suite:
    key = (str(path), _stamp(path))
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        if path.is_dir():
            suite = load_folder_suite(path)
        elif path.name == TASK_FILE or path.name == SUITE_FILE:
            suite = load_folder_suite(path.parent)
        elif is_jsonl(path):
            suite = load_jsonl_suite(path)
        else:
            raise BadInput("not a suite: expected a folder of task folders, a .jsonl or a "
                           ".jsonl.gz file",
                           file=path, field="suite")
        _cache[key] = suite
        return suite


def load_suite(ref: str, base_dir: Path | None = None) -> Suite:
    """Load a suite from a built-in id, a folder of task folders, or a .jsonl file
    (match or HumanEval format, detected). Relative paths resolve from ``base_dir``."""
    ref = str(ref).strip()
    if not ref:
        raise BadInput("must name a built-in suite, a folder or a .jsonl file", field="suite")
    if ref in builtin_ids():
        return _load_path(BUILTIN_DIR / ref)
    path = Path(ref).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    if not path.exists():
        known = ", ".join(builtin_ids()) or "none"
        raise BadInput(f"unknown suite {ref!r}: not a built-in suite ({known}) and no such "
                       "file or folder", field="suite")
    return _load_path(path.resolve())


def builtin_suites() -> list[Suite]:
    return [load_suite(suite_id) for suite_id in builtin_ids()]


def find_task(task_id: str) -> Task | None:
    """Look a task up by id across the built-in suites (index built once)."""
    global _task_index
    index = _task_index
    if index is None:
        with _lock:
            if _task_index is None:
                built: dict[str, Task] = {}
                for suite in builtin_suites():
                    for task in suite.tasks:
                        built.setdefault(task.id, task)
                _task_index = built
            index = _task_index
    return index.get(task_id)


def clear_cache() -> None:
    """Forget loaded suites (tests that edit suite files use this)."""
    global _task_index
    with _lock:
        _cache.clear()
        _task_index = None

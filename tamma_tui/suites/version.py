"""A suite's version: the SHA-256 of its task files, so that history, baseline pooling and
sharing compare runs of the same tasks only.

A folder suite hashes every file under its folder (relative path and bytes, in path order,
caches left out); a JSONL suite hashes its file. Renaming a suite's folder keeps its
version; editing any task file, hidden test or mutant changes it.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from .model import Suite

_IGNORED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".git"})
_lock = threading.Lock()
_cache: dict[tuple[str, int], str] = {}


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and not _IGNORED_PARTS.intersection(p.relative_to(root).parts) and p.suffix != ".pyc"
    )


def version_of_path(root: Path) -> str:
    root = Path(root)
    digest = hashlib.sha256()
    for path in _files(root):
        name = path.name if root.is_file() else path.relative_to(root).as_posix()
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def suite_version(suite: Suite) -> str:
    """The suite's version (64 hex digits); '' for a suite with no files behind it."""
    if not suite.source:
        return ""
    root = Path(suite.source)
    if not root.exists():
        return ""
    stamp = max((p.stat().st_mtime_ns for p in _files(root)), default=0)
    key = (str(root.resolve()), stamp)
    with _lock:
        cached = _cache.get(key)
    if cached is None:
        cached = version_of_path(root)
        with _lock:
            _cache[key] = cached
    return cached

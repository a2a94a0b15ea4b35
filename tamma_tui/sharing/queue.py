"""Bundles waiting to be sent (0600 files). A successful send removes its file; a revoke
purges them all, so nothing consented-away is sent later."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from .paths import sharing_dir, write_private


def queue_dir() -> Path:
    path = sharing_dir() / "queue"
    path.mkdir(exist_ok=True, mode=0o700)
    return path


def enqueue(endpoint: str, bundle: dict[str, Any]) -> Path:
    path = queue_dir() / f"{uuid.uuid4()}.json"
    write_private(path, json.dumps({"endpoint": endpoint, "bundle": bundle}).encode("utf-8"))
    return path


def queued() -> list[Path]:
    return sorted(queue_dir().glob("*.json"))


def purge() -> int:
    files = queued()
    for path in files:
        path.unlink(missing_ok=True)
    return len(files)

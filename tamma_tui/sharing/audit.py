"""Every grant, send and revoke leaves an event.

One function, ``record_event``, so that it can be pointed at the hash-chained store audit
log when that exists; until then events go to a 0600 JSON Lines file beside the consent.
Details never carry secrets, prompts or payload contents: ids, counts and endpoints only.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .paths import append_private, sharing_dir

LOG_NAME = "sharing-audit.jsonl"


def log_path() -> Path:
    return sharing_dir() / LOG_NAME


def record_event(action: str, subject: str = "", **details: Any) -> None:
    event = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "action": action,
             "subject": subject, "details": details}
    append_private(log_path(), (json.dumps(event, sort_keys=True) + "\n").encode("utf-8"))


def read_events() -> list[dict[str, Any]]:
    path = log_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]

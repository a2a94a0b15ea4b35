"""Every grant, send and revoke leaves an event.

``record_event`` appends it to the database's hash-chained audit trail (``store.audit``)
when the caller names the database, and always to a 0600 JSON Lines file beside the consent
(consent belongs to the install, not to one database, so the file is the one place every
consent event is). Details never carry secrets, prompts or payload contents: ids, counts and
endpoints only.
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


def record_event(action: str, subject: str = "", *, db: Any = None, **details: Any) -> None:
    event = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "action": action,
             "subject": subject, "details": details}
    append_private(log_path(), (json.dumps(event, sort_keys=True) + "\n").encode("utf-8"))
    if db is not None:
        import getpass

        from tamma_tui.store.audit import append_event

        append_event(db, actor=getpass.getuser(), action=action, subject=subject, details=details)


def read_events() -> list[dict[str, Any]]:
    path = log_path()
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]

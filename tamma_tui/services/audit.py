"""The audit trail as the CLI and the app see it: verify, export, events of one subject."""

from __future__ import annotations

import getpass
import json
from typing import Any, Iterator

from tamma_tui.store.handle import Database


def current_actor(explicit: str | None = None) -> str:
    """``--actor`` if given, else the OS user."""
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container: the event still records the action
        return "unknown"


def verify(db: Database) -> dict[str, Any]:
    from tamma_tui.store.audit import verify_chain

    return verify_chain(db).as_dict()


def export_jsonl(db: Database, *, subject: str | None = None) -> Iterator[str]:
    from tamma_tui.store.audit import export_events

    for event in export_events(db, subject=subject):
        yield json.dumps(event, sort_keys=True, ensure_ascii=False)


def events_for(db: Database, subjects: list[str]) -> list[dict[str, Any]]:
    from tamma_tui.store.audit import events_for as _events_for

    return _events_for(db, subjects)

"""Server-side sessions for the partner portal.

The session id travels in the ``sid`` cookie and the session data lives in the shared
key-value store (``store.get / set / delete``, values are strings, ``ttl`` in seconds).
A second cookie, ``prefs``, keeps UI preferences (theme, page size) across logins.
Portal servers run in several time zones; the store is shared by all of them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import pickle
import time
from datetime import datetime, timedelta

SESSION_TTL = timedelta(hours=8)
DEFAULT_PREFS = {"theme": "light", "page_size": 25}


def new_session_id() -> str:
    seed = f"{time.time()}:{os.getpid()}"
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


class SessionManager:
    def __init__(self, store) -> None:
        self.store = store

    def load(self, cookies: dict[str, str]) -> dict | None:
        """The session for the request's ``sid`` cookie, or None if absent or expired."""
        sid = cookies.get("sid")
        if not sid:
            return None
        raw = self.store.get(f"session:{sid}")
        if raw is None:
            return None
        data = json.loads(raw)
        if datetime.fromisoformat(data["expires_at"]) < datetime.now():
            self.store.delete(f"session:{sid}")
            return None
        return data

    def login(self, cookies: dict[str, str], user_id: int) -> str:
        """Attach ``user_id`` to the session; returns the sid to set as cookie."""
        sid = cookies.get("sid") or new_session_id()
        data = {
            "user_id": user_id,
            "expires_at": (datetime.utcnow() + SESSION_TTL).isoformat(),
        }
        self.store.set(f"session:{sid}", json.dumps(data), ttl=int(SESSION_TTL.total_seconds()))
        return sid

    def logout(self, cookies: dict[str, str]) -> None:
        sid = cookies.get("sid")
        if sid:
            self.store.delete(f"session:{sid}")


def load_prefs(cookies: dict[str, str]) -> dict:
    """UI preferences from the ``prefs`` cookie; defaults if missing or unreadable."""
    raw = cookies.get("prefs")
    if not raw:
        return dict(DEFAULT_PREFS)
    try:
        prefs = pickle.loads(base64.urlsafe_b64decode(raw))
    except Exception:
        return dict(DEFAULT_PREFS)
    return {**DEFAULT_PREFS, **prefs}


def dump_prefs(prefs: dict) -> str:
    """Cookie value for ``prefs``."""
    return base64.urlsafe_b64encode(pickle.dumps(prefs)).decode("ascii")

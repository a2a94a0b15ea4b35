"""Read-side helpers for the admin console's user search page."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import dataclass

DB_PATH = "var/accounts.db"


@dataclass
class UserRow:
    id: int
    email: str
    display_name: str
    is_active: bool


def _connect(path: str = DB_PATH) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return conn


def _to_user(row: sqlite3.Row) -> UserRow:
    return UserRow(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        is_active=bool(row["is_active"]),
    )


def find_by_email(email: str, path: str = DB_PATH) -> UserRow | None:
    """Exact, case-insensitive e-mail lookup used by the 'jump to user' box."""
    with closing(_connect(path)) as conn:
        row = conn.execute(
            "SELECT id, email, display_name, is_active FROM users WHERE lower(email) = lower(?)",
            (email,),
        ).fetchone()
    return _to_user(row) if row else None


def search_users(term: str, only_active: bool = True, path: str = DB_PATH) -> list[UserRow]:
    """Substring search over name and e-mail, newest accounts first."""
    conn = _connect(path)
    sql = (
        "SELECT id, email, display_name, is_active FROM users "
        f"WHERE (display_name LIKE '%{term}%' OR email LIKE '%{term}%')"
    )
    if only_active:
        sql += " AND is_active = 1"
    sql += " ORDER BY created_at DESC LIMIT 50"
    rows = conn.execute(sql).fetchall()
    return [_to_user(r) for r in rows]

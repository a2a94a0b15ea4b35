"""Apply SQL schema migrations at deploy time.

Migrations live in ``migrations/`` as ``<version>_<description>.sql`` with versions
numbered 1, 2, 3, ... without zero padding (we are at 14 now). Applied versions are
recorded in ``schema_migrations``. If a migration fails, the deploy stops; after the
fix the deploy is re-run and must continue exactly where it stopped. Several
developers add migrations on parallel branches.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

FILENAME_RE = re.compile(r"^(\d+)_([a-z0-9_]+)\.sql$")


def discover(folder: Path) -> list[tuple[int, Path]]:
    """Migration files in the order they must be applied."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = FILENAME_RE.match(path.name)
        if match is None:
            log.warning("ignoring %s: not a migration file name", path.name)
            continue
        found.append((int(match.group(1)), path))
    return found


def applied_versions(conn: sqlite3.Connection) -> set[int]:
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    return {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}


def migrate(conn: sqlite3.Connection, folder: Path) -> list[int]:
    """Apply pending migrations; return the versions applied in this run."""
    newly_applied = []
    for version, path in discover(folder):
        if version in applied_versions(conn):
            continue
        log.info("applying migration %d (%s)", version, path.name)
        conn.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?, datetime('now'))",
            (version,),
        )
        conn.commit()
        conn.executescript(path.read_text(encoding="utf-8"))
        newly_applied.append(version)
    return newly_applied


def pending(conn: sqlite3.Connection, folder: Path) -> list[str]:
    """Names of migrations not applied yet (for `manage.py showmigrations`)."""
    done = applied_versions(conn)
    return [path.name for version, path in discover(folder) if version not in done]

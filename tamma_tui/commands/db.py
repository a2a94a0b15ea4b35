"""`db upgrade` and `db current`: the database schema, by Alembic revision."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    db = sub.add_parser("db", help="the database: upgrade its schema, show its revision")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = actions.add_parser("upgrade", help="bring the schema to this tamma-bench's version")
    upgrade.set_defaults(func=_upgrade)
    current = actions.add_parser("current", help="print the schema revision(s) the database is at")
    current.set_defaults(func=_current)


def _upgrade(args: argparse.Namespace) -> int:
    from tamma_tui.store.db import make_engine, resolve_db_url, upgrade

    url = resolve_db_url(args.db)
    applied = upgrade(make_engine(url))
    print(f"applied {', '.join(applied)}" if applied else "already current")
    return 0


def _current(args: argparse.Namespace) -> int:
    from tamma_tui.store.db import current_revisions, make_engine, resolve_db_url

    revisions = current_revisions(make_engine(resolve_db_url(args.db)))
    print(", ".join(sorted(revisions)) if revisions else "no schema yet")
    return 0

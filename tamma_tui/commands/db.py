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
    copy = actions.add_parser(
        "copy", help="copy every run of one database into another (e.g. a team's PostgreSQL)"
    )
    copy.add_argument("--from", dest="source", required=True, metavar="PATH_OR_URL")
    copy.add_argument("--to", dest="target", required=True, metavar="PATH_OR_URL")
    copy.set_defaults(func=_copy)


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


def _copy(args: argparse.Namespace) -> int:
    from tamma_tui.store.copy import copy_history
    from tamma_tui.store.db import open_database

    report = copy_history(open_database(args.source), open_database(args.target))
    for source_id, target_id in report.runs_copied:
        print(f"run {source_id} -> run {target_id}")
    skipped = f", {len(report.runs_skipped)} already there" if report.runs_skipped else ""
    print(f"copied {len(report.runs_copied)} runs ({report.trials} trials, {report.configs} new configs){skipped}")
    return 0

"""Alembic migrations of the Tamma Bench schema.

Our version table is ``tamma_alembic_version``: Optuna keeps its own ``alembic_version`` in the
same database. Migrations run programmatically from ``store.db`` (never from an ``alembic.ini``).

``HEADS`` lets a database that is already current open without importing Alembic (start-up
time); a test checks it against the scripts.
"""

from pathlib import Path

VERSION_TABLE = "tamma_alembic_version"
SCRIPT_LOCATION = str(Path(__file__).parent)

#: The head revision(s) of the scripts in ``versions/``.
HEADS: frozenset[str] = frozenset({"0003b_live"})

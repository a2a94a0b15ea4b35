"""Alembic environment: run on the connection ``store.db`` hands over (online mode only)."""

from alembic import context
from sqlmodel import SQLModel

from tamma_tui.store import models  # noqa: F401  (registers every table on the metadata)
from tamma_tui.store.migrations import VERSION_TABLE

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()

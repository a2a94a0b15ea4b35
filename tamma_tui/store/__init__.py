"""Storage: SQLModel tables, the engine factory, migrations, and the only SQL in the project."""

from .db import open_database, transaction, upgrade

__all__ = ["open_database", "transaction", "upgrade"]

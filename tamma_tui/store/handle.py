"""The database handle as services name it, without importing SQLAlchemy themselves."""

from __future__ import annotations

import os
from typing import Union

from sqlalchemy.engine import Engine

from .db import open_database

#: An open database (an SQLAlchemy Engine); services pass it down and never look inside.
Database = Engine


def as_database(db: Union[Engine, str, "os.PathLike[str]", None]) -> Engine:
    """An open database from a handle, a path, an SQLAlchemy URL or None (the default)."""
    return db if isinstance(db, Engine) else open_database(db)

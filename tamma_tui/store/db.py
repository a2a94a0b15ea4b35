"""Database location, engine factory and schema-version check."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine, select

from tamma_tui.config.errors import BadInput

from .models import SCHEMA_VERSION, SchemaInfo

ENV_VAR = "TAMMA_BENCH_DB"


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("tamma-bench", appauthor=False)) / "tamma-bench.db"


def resolve_db_url(value: str | os.PathLike[str] | None = None) -> str:
    """``--db`` beats ``$TAMMA_BENCH_DB`` beats the user data directory.

    A value containing ``://`` is an SQLAlchemy URL; anything else is a file path.
    """
    raw = str(value) if value else os.environ.get(ENV_VAR) or str(default_db_path())
    if "://" in raw:
        return raw
    path = Path(raw).expanduser()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path.resolve()}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def init_db(engine: Engine) -> None:
    """Create missing tables and check the stored schema version."""
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        row = session.exec(select(SchemaInfo).where(SchemaInfo.key == "schema_version")).first()
        if row is None:
            session.add(SchemaInfo(key="schema_version", value=str(SCHEMA_VERSION)))
            session.commit()
        elif int(row.value) > SCHEMA_VERSION:
            raise BadInput(
                f"database schema version {row.value} is newer than this tamma-bench "
                f"supports ({SCHEMA_VERSION}); upgrade tamma-bench",
                file=str(engine.url.database or engine.url),
            )


@lru_cache(maxsize=8)
def open_engine(url: str) -> Engine:
    """One engine per URL per process, initialised on first use."""
    engine = make_engine(url)
    init_db(engine)
    return engine


def open_database(value: str | os.PathLike[str] | None = None) -> Engine:
    return open_engine(resolve_db_url(value))

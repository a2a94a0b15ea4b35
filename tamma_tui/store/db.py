"""Database location, engine factory, migrations on open, and the unit of work.

Opening a database brings its schema to the scripts' heads with Alembic, under a lock, so
several processes creating or upgrading one database at once never race. A database newer
than this tamma-bench, a file that is not a database, or one that cannot be written is
refused in one line (``StoreError``, exit 2).
"""

from __future__ import annotations

import contextlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import Session, create_engine

from tamma_tui.errors import StoreError

from .migrations import HEADS, SCRIPT_LOCATION, VERSION_TABLE

ENV_VAR = "TAMMA_BENCH_DB"


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("tamma-bench", appauthor=False)) / "tamma-bench.db"


def resolve_db_url(value: str | os.PathLike[str] | None = None) -> str:
    """``--db`` beats ``$TAMMA_BENCH_DB`` beats the user data directory.

    A value containing ``://`` is an SQLAlchemy URL; anything else is a file path. Only the
    default location's folder is created: a path the user typed into a missing folder is a
    typo far more often than a wish, so it is refused.
    """
    given = str(value) if value else os.environ.get(ENV_VAR)
    raw = given or str(default_db_path())
    if "://" in raw:
        return raw
    path = Path(raw).expanduser()
    if given is None:
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise StoreError(f"folder {path.parent} does not exist (create it first)", file=raw)
    return f"sqlite:///{path.resolve()}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite") or ":memory:" in url:
        return None
    database = url.split(":///", 1)[-1].split("?", 1)[0]
    return Path(database) if database else None


def make_engine(url: str) -> Engine:
    # hide_parameters: an error must never print a stored answer (or anything else bound
    # into a statement) into a traceback or a message.
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path is not None and not path.exists():
            # Results can hold proprietary code: the file is the user's alone (the WAL and
            # shared-memory files inherit its mode).
            with contextlib.suppress(OSError):
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        db = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 10}, hide_parameters=True
        )
        event.listen(db, "connect", _sqlite_pragmas)
    else:
        db = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    return db


def _where(db: Engine) -> str:
    return str(db.url.database or db.url.render_as_string(hide_password=True))


def _reason(exc: BaseException) -> str:
    """The driver's own one-line message, without SQL or parameters."""
    orig = getattr(exc, "orig", None) or exc
    return str(orig).splitlines()[0] if str(orig) else type(orig).__name__


@contextlib.contextmanager
def _migration_lock(db: Engine, conn: Connection) -> Iterator[None]:
    """One migrator at a time: a file lock beside an SQLite database, an advisory lock on
    PostgreSQL. Others wait, then find the schema current."""
    path = _sqlite_path(str(db.url))
    if db.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(7265786)"))
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(7265786)"))
        return
    if path is None:
        yield
        return
    import fcntl

    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _stored_revisions(conn: Connection) -> set[str] | None:
    """The revisions recorded in our version table, or None when it does not exist."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    return {row[0] for row in conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))}


def _is_wave1_database(conn: Connection) -> bool:
    """A database from before migrations: the wave-1 tables with schema_info version 1."""
    if not inspect(conn).has_table("schema_info"):
        return False
    row = conn.execute(text("SELECT value FROM schema_info WHERE key = 'schema_version'")).first()
    if row is None:
        return False
    try:
        version = int(row[0])
    except ValueError:
        raise StoreError(f"schema_info holds a schema version that is not a number ({row[0]!r})") from None
    if version > 1:
        raise StoreError(f"database schema version {version} is newer than this tamma-bench supports; upgrade tamma-bench")
    return True


def _alembic_config(conn: Connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    cfg.attributes["connection"] = conn
    return cfg


def _script_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(None)  # type: ignore[arg-type]
    return {rev.revision for rev in ScriptDirectory.from_config(cfg).walk_revisions()}


def upgrade(db: Engine) -> list[str]:
    """Bring the schema to the scripts' heads; return the revisions applied ([] if current).

    Refuses a database that records a revision this tamma-bench does not know (written by a
    newer one) instead of guessing at its schema.
    """
    try:
        with db.connect() as conn:
            current = _stored_revisions(conn)
            if current == set(HEADS):
                return []
            with _migration_lock(db, conn):
                conn.commit()  # see what a migrator that held the lock before us wrote
                return _upgrade_locked(conn)
    except StoreError as exc:
        if exc.file is None:
            exc.file = _where(db)
            exc.args = (str(exc),)
        raise
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise StoreError(f"cannot open the database: {_reason(exc)}", file=_where(db)) from None


def _upgrade_locked(conn: Connection) -> list[str]:
    from alembic import command

    current = _stored_revisions(conn) or set()
    if current == set(HEADS):
        return []
    unknown = current - _script_revisions()
    if unknown:
        raise StoreError(
            f"database schema {', '.join(sorted(unknown))} is newer than this tamma-bench "
            f"supports ({', '.join(sorted(HEADS))}); upgrade tamma-bench"
        )
    cfg = _alembic_config(conn)
    if not current and _is_wave1_database(conn):
        command.stamp(cfg, "0001_baseline")
        conn.commit()
    before = _stored_revisions(conn) or set()
    command.upgrade(cfg, "heads")
    conn.commit()
    return sorted((_stored_revisions(conn) or set()) - before)


def current_revisions(db: Engine) -> set[str]:
    """The revisions the database is at (empty before its first migration)."""
    try:
        with db.connect() as conn:
            return _stored_revisions(conn) or set()
    except (DBAPIError, SQLAlchemyError) as exc:
        raise StoreError(f"cannot open the database: {_reason(exc)}", file=_where(db)) from None


def init_db(db: Engine) -> None:
    """Create or upgrade the schema (kept for callers written before migrations)."""
    upgrade(db)


@lru_cache(maxsize=8)
def open_engine(url: str) -> Engine:
    """One engine per URL per process, migrated on first use."""
    db = make_engine(url)
    upgrade(db)
    return db


def open_database(value: str | os.PathLike[str] | None = None) -> Engine:
    return open_engine(resolve_db_url(value))


@contextlib.contextmanager
def transaction(db: Engine) -> Iterator[Session]:
    """The unit of work: one session, committed when the block ends, rolled back on any
    error. Services decide where a transaction starts and ends; repositories only flush."""
    with Session(db, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

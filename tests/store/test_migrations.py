"""Alembic migrations: a new database, a wave-1 database upgraded in place, a newer one
refused, concurrent creators, and the databases that must be refused in one line."""

from __future__ import annotations

import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel

from tamma_tui.cli import main
from tamma_tui.errors import StoreError
from tamma_tui.store import models  # noqa: F401
from tamma_tui.store.db import current_revisions, make_engine, open_engine, resolve_db_url, upgrade
from tamma_tui.store.migrations import HEADS, VERSION_TABLE

WAVE1 = Path(__file__).parent / "fixtures" / "wave1.db"


def fresh_engine(path: Path):
    return make_engine(resolve_db_url(path))


def schema_diff(db) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": _compare_type})
        return [d for d in compare_metadata(ctx, SQLModel.metadata) if not _ignored(d)]


def _compare_type(_ctx, _inspected_col, _metadata_col, inspected_type, metadata_type):
    """A TypeDecorator (SQLModel's UTC datetime) is stored as its implementation type."""
    from sqlalchemy.types import TypeDecorator

    if isinstance(metadata_type, TypeDecorator):
        return inspected_type._type_affinity is not metadata_type.impl_instance._type_affinity
    return None  # Alembic's own comparison


def _ignored(diff) -> bool:
    # Optuna's or other tools' tables living in the same database are not ours to judge.
    return isinstance(diff, tuple) and diff[0] == "remove_table"


def test_heads_constant_matches_the_scripts():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from tamma_tui.store.migrations import SCRIPT_LOCATION

    cfg = Config()
    cfg.set_main_option("script_location", SCRIPT_LOCATION)
    assert set(ScriptDirectory.from_config(cfg).get_heads()) == set(HEADS)


def test_new_database_is_exactly_the_models(tmp_path):
    db = fresh_engine(tmp_path / "new.db")
    assert upgrade(db)  # something was applied
    assert current_revisions(db) == set(HEADS)
    assert schema_diff(db) == []
    assert upgrade(db) == []  # idempotent


def test_wave1_database_upgrades_in_place(tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(WAVE1, path)
    before = sqlite3.connect(path).execute("select count(*) from trial").fetchone()[0]
    db = fresh_engine(path)
    applied = upgrade(db)
    assert applied == sorted(HEADS) and "0001_baseline" not in applied  # stamped, not re-created
    with db.connect() as conn:
        assert conn.execute(text("select count(*) from trial")).scalar() == before
        assert conn.execute(text("select suite_version from run")).scalars().all() == [""]
    assert schema_diff(db) == []


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "newer.db"
    upgrade(fresh_engine(path))
    con = sqlite3.connect(path)
    # (one row whatever the number of heads: branches may share a parent until re-chained)
    con.execute(f"DELETE FROM {VERSION_TABLE}")
    con.execute(f"INSERT INTO {VERSION_TABLE} (version_num) VALUES ('9999_from_the_future')")
    con.commit()
    with pytest.raises(StoreError, match="9999_from_the_future is newer than this tamma-bench"):
        upgrade(fresh_engine(path))


def test_concurrent_creators_all_succeed(tmp_path):
    path = tmp_path / "race.db"
    code = (
        "import sys; from tamma_tui.store.db import open_database; "
        "open_database(sys.argv[1]); print('ok')"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, str(path)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(6)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [err for _, err in results]
    assert current_revisions(fresh_engine(path)) == set(HEADS)


def test_new_database_file_is_private(tmp_path):
    path = tmp_path / "private.db"
    upgrade(fresh_engine(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_db_in_a_missing_folder_is_refused_and_not_created(tmp_path, capsys):
    target = tmp_path / "no" / "such" / "x.db"
    assert main(["runs", "--db", str(target)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "does not exist" in err[0]
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("case", ["not_a_database", "garbage_version", "read_only"])
def test_unusable_databases_give_one_line(tmp_path, capsys, case):
    path = tmp_path / f"{case}.db"
    if case == "not_a_database":
        path.write_text("this is a shopping list, not a database\n" * 200)
    elif case == "garbage_version":
        upgrade(fresh_engine(path))
        con = sqlite3.connect(path)
        con.execute(f"DROP TABLE {VERSION_TABLE}")
        con.execute("UPDATE schema_info SET value = 'banana'")
        con.commit()
        con.close()
    else:
        if hasattr(__import__("os"), "geteuid") and __import__("os").geteuid() == 0:
            pytest.skip("root writes read-only files; covered by the unit of the error path")
        upgrade(fresh_engine(path))
        path.chmod(0o400)
    open_engine.cache_clear()
    assert main(["runs", "--db", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert str(path) in err[0]


def test_db_upgrade_command(tmp_path, capsys):
    path = tmp_path / "old.db"
    shutil.copy(WAVE1, path)
    assert main(["db", "upgrade", "--db", str(path)]) == 0
    assert sorted(HEADS)[0] in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", str(path)]) == 0
    assert "already current" in capsys.readouterr().out
    assert main(["db", "current", "--db", str(path)]) == 0
    assert capsys.readouterr().out.strip() == ", ".join(sorted(HEADS))

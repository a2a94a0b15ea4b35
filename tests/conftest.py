"""Suite-wide isolation: no test may touch the user's real database or data directory."""

from __future__ import annotations

import pytest

# The PostgreSQL fixtures (pg_admin_url, pg_url): a real server, started by the test setup.
pytest_plugins = ["tests.pg_server"]


@pytest.fixture(autouse=True)
def _private_database(tmp_path_factory, monkeypatch):
    # Commands called without --db fall back to $TAMMA_BENCH_DB: point it at a throw-away
    # file so a forgotten --db can never write into ~/.local/share/tamma-bench.
    monkeypatch.setenv("TAMMA_BENCH_DB", str(tmp_path_factory.mktemp("default-db") / "tamma-bench.db"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The same test against a real SQLite file and a real PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'backend.db'}"
    return request.getfixturevalue("pg_url")

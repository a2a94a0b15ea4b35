"""Suite-wide isolation: no test may touch the user's real database or data directory."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_database(tmp_path_factory, monkeypatch):
    # Commands called without --db fall back to $TAMMA_BENCH_DB: point it at a throw-away
    # file so a forgotten --db can never write into ~/.local/share/tamma-bench.
    monkeypatch.setenv("TAMMA_BENCH_DB", str(tmp_path_factory.mktemp("default-db") / "tamma-bench.db"))

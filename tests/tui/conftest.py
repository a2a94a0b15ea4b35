from __future__ import annotations

import pytest

from tests.tui.tui_seed import seed_database


@pytest.fixture
def seeded(tmp_path):
    """(engine, ids) of a fresh, deterministic database."""
    from tamma_tui.store.db import open_database

    path = tmp_path / "tamma.db"
    ids = seed_database(path)
    return open_database(path), ids


@pytest.fixture
def app_factory(seeded, tmp_path):
    from tamma_tui.tui.app import AppServices, TammaApp

    engine, _ = seeded

    def make(**kwargs):
        services = AppServices(db_engine=engine, workdir=kwargs.pop("workdir", tmp_path),
                               **kwargs.pop("services", {}))
        return TammaApp(services=services, **kwargs)

    return make

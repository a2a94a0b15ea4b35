"""Fixtures for the analysis tests."""

from __future__ import annotations

import pytest

from tamma_tui.store.db import open_database


@pytest.fixture
def db_engine(tmp_path):
    return open_database(tmp_path / "tamma.db")

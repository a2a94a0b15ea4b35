"""Reads the sharing service needs: a run's config documents and the runs of a suite."""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine

from .models import ConfigVersion, Run


def config_documents(engine: Engine, shas: Sequence[str]) -> dict[str, str]:
    """config sha256 -> canonical YAML."""
    if not shas:
        return {}
    stmt = select(ConfigVersion.sha256, ConfigVersion.canonical_yaml).where(ConfigVersion.sha256.in_(list(shas)))
    with engine.connect() as conn:
        return {sha: doc for sha, doc in conn.execute(stmt)}


def runs_on_suite(engine: Engine, suite: str, limit: int = 50) -> list[int]:
    """Ids of the runs of ``suite``, newest first."""
    stmt = select(Run.id).where(Run.suite == suite).order_by(Run.created_at.desc(), Run.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [int(r) for (r,) in conn.execute(stmt)]

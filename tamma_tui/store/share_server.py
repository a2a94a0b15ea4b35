"""The share-server's own database (the Test Platform side; never the user's database).

Its tables live in their own MetaData, so they never appear in a client database and the
client's migrations never touch them. The privacy-budget ledger is append-only: there is
no update or delete here, and SQLite triggers refuse both.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import (Boolean, Column, DateTime, Float, Integer, MetaData, String, Table, Text,
                        create_engine, delete, event, func, insert, select, text)
from sqlalchemy.engine import Engine

metadata = MetaData()

key_pin = Table(
    "key_pin", metadata,
    Column("key_id", String(64), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
)
seen_envelope = Table(
    "seen_envelope", metadata,
    Column("envelope_id", String(36), primary_key=True),
    Column("key_id", String(64), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
)
contribution = Table(
    "contribution", metadata,
    Column("key_id", String(64), primary_key=True),
    Column("suite", String(64), primary_key=True),
    Column("context", String(32), primary_key=True),
    Column("model_family", String(32), primary_key=True),
    Column("pass_rate", Float, nullable=False),
    Column("day", String(10), nullable=False),
)
budget_ledger = Table(
    "budget_ledger", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("suite", String(64), nullable=False, index=True),
    Column("year", Integer, nullable=False),
    Column("cohort", String(80), nullable=False),
    Column("epsilon", Float, nullable=False),
    Column("published", Boolean, nullable=False),
    Column("release_id", String(36), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
release_cache = Table(
    "release_cache", metadata,
    Column("release_id", String(36), primary_key=True),
    Column("suite", String(64), nullable=False, index=True),
    Column("fingerprint", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("body_json", Text, nullable=False),
)

_APPEND_ONLY = (
    "CREATE TRIGGER IF NOT EXISTS budget_ledger_no_update BEFORE UPDATE ON budget_ledger "
    "BEGIN SELECT RAISE(ABORT, 'the privacy-budget ledger is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS budget_ledger_no_delete BEFORE DELETE ON budget_ledger "
    "BEGIN SELECT RAISE(ABORT, 'the privacy-budget ledger is append-only'); END",
)


class ShareServerStore:
    def __init__(self, path_or_url: str | Path):
        raw = str(path_or_url)
        url = raw if "://" in raw else f"sqlite:///{Path(raw).expanduser().resolve()}"
        self.engine: Engine = create_engine(url, connect_args={"check_same_thread": False}
                                            if url.startswith("sqlite") else {})
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _wal)
        metadata.create_all(self.engine)
        if url.startswith("sqlite"):
            with self.engine.begin() as conn:
                for stmt in _APPEND_ONLY:
                    conn.execute(text(stmt))

    # keys and envelopes -------------------------------------------------------------
    def pinned_key(self, key_id: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(key_pin.c.public_key).where(key_pin.c.key_id == key_id)).scalar()

    def envelope_seen(self, envelope_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(seen_envelope.c.envelope_id)
                                .where(seen_envelope.c.envelope_id == envelope_id)).first() is not None

    def accept(self, *, key_id: str, public_key: str, envelope_id: str, sent_at: datetime,
               contributions: Iterable[dict[str, Any]] = (), delete_contributor: bool = False) -> None:
        """Pin the key, remember the envelope and apply its effect, in one transaction."""
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            if conn.execute(select(key_pin.c.key_id).where(key_pin.c.key_id == key_id)).first() is None:
                conn.execute(insert(key_pin).values(key_id=key_id, public_key=public_key, first_seen=now))
            conn.execute(insert(seen_envelope).values(envelope_id=envelope_id, key_id=key_id, sent_at=sent_at))
            if delete_contributor:
                conn.execute(delete(contribution).where(contribution.c.key_id == key_id))
            for row in contributions:
                conn.execute(delete(contribution).where(
                    (contribution.c.key_id == key_id) & (contribution.c.suite == row["suite"])
                    & (contribution.c.context == row["context"])
                    & (contribution.c.model_family == row["model_family"])))
                conn.execute(insert(contribution).values(key_id=key_id, **row))

    def forget_envelopes_before(self, moment: datetime) -> None:
        """Envelopes older than the staleness window are refused as stale anyway."""
        with self.engine.begin() as conn:
            conn.execute(delete(seen_envelope).where(seen_envelope.c.sent_at < moment))

    # contributions ------------------------------------------------------------------
    def contributions(self, suite: str) -> list[dict[str, Any]]:
        c = contribution.c
        with self.engine.connect() as conn:
            rows = conn.execute(select(c.key_id, c.context, c.model_family, c.pass_rate)
                                .where(c.suite == suite).order_by(c.key_id, c.context, c.model_family))
            return [dict(r._mapping) for r in rows]

    def contributor_rows(self, key_id: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(contribution)
                                    .where(contribution.c.key_id == key_id)).scalar() or 0)

    # budget and releases ------------------------------------------------------------
    def spent(self, suite: str, year: int) -> float:
        b = budget_ledger.c
        with self.engine.connect() as conn:
            return float(conn.execute(select(func.coalesce(func.sum(b.epsilon), 0.0))
                                      .where((b.suite == suite) & (b.year == year))).scalar() or 0.0)

    def ledger(self, suite: str | None = None) -> list[dict[str, Any]]:
        b = budget_ledger.c
        stmt = select(budget_ledger).order_by(b.id)
        if suite:
            stmt = stmt.where(b.suite == suite)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]

    def cached_release(self, suite: str, fingerprint: str | None = None) -> dict[str, Any] | None:
        r = release_cache.c
        stmt = select(r.body_json).where(r.suite == suite)
        if fingerprint is not None:
            stmt = stmt.where(r.fingerprint == fingerprint)
        with self.engine.connect() as conn:
            raw = conn.execute(stmt.order_by(r.created_at.desc()).limit(1)).scalar()
        return json.loads(raw) if raw else None

    def record_release(self, *, suite: str, year: int, fingerprint: str, release_id: str,
                       charges: list[tuple[str, float, bool]], body: dict[str, Any]) -> None:
        """Charge every cohort (published or not) and cache the body, atomically."""
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            for cohort, epsilon, published in charges:
                conn.execute(insert(budget_ledger).values(
                    suite=suite, year=year, cohort=cohort, epsilon=epsilon, published=published,
                    release_id=release_id, at=now))
            conn.execute(insert(release_cache).values(
                release_id=release_id, suite=suite, fingerprint=fingerprint, created_at=now,
                body_json=json.dumps(body, sort_keys=True)))

    def dump_text(self) -> str:
        """Every stored value as text (tests search it for canaries)."""
        out = []
        with self.engine.connect() as conn:
            for table in metadata.sorted_tables:
                for row in conn.execute(select(table)):
                    out.append(" ".join(str(v) for v in row))
        return "\n".join(out)


def _wal(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()

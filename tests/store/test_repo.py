"""The store on a real SQLite file: idempotent batches, resume keys, fast frames."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from tamma_tui.config import BadInput, load_agent_config
from tamma_tui.store import queries, repo
from tamma_tui.store.db import open_database, resolve_db_url
from tamma_tui.store.models import Trial

SAMPLES = Path(__file__).resolve().parents[2] / "sample_configs"


@pytest.fixture()
def engine(db_url):
    """Each repository test runs on a real SQLite file and a real PostgreSQL database."""
    return open_database(db_url)


def _run(engine, arms=(("baseline", True), ("v", False))):
    config = load_agent_config(SAMPLES / "agents" / "baseline.yaml")
    with Session(engine) as s:
        sha = repo.register_config(s, config)
        assert repo.register_config(s, config) == sha  # idempotent
        rid = repo.create_run(s, name="r", arms=[(a, b, sha) for a, b in arms], contexts=["development"])
        s.commit()
    return rid


def _row(rid, arm, task, rep, **kw):
    return {"run_id": rid, "arm": arm, "task_id": task, "context": "development", "repeat": rep,
            "status": "ok", "passed": True, "score": 1.0, **kw}


def test_sqlite_is_in_wal_mode_with_schema_version(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("WAL is SQLite's journal mode")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("SELECT value FROM schema_info WHERE key='schema_version'")).scalar() == "1"


def test_insert_trials_skips_duplicates_and_reports_keys(engine):
    rid = _run(engine)
    rows = [_row(rid, a, f"t{i}", r) for a in ("baseline", "v") for i in range(3) for r in range(2)]
    assert repo.insert_trials(engine, rows) == 12
    # A resumed batch that overlaps the stored one adds only the new trial.
    again = rows[:5] + [_row(rid, "v", "t9", 0)]
    assert repo.insert_trials(engine, again) == 1
    keys = repo.trial_keys(engine, rid)
    assert len(keys) == 13 and ("v", "t9", 0) in keys
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM trial")).scalar() == 13


def test_trial_batch_and_run_cost_are_saved_together(engine):
    rid = _run(engine)
    started = datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2)))
    rows = [_row(rid, "baseline", "t1", 0, started_at=started, cost_usd=0.25, truncated=True),
            _row(rid, "v", "t1", 0, passed=None, cost_usd=0.5)]
    assert repo.save_trial_batch(engine, rid, rows, 0.75) == 2
    assert repo.get_run(engine, rid).cost_usd == 0.75
    # Stored in the form SQLAlchemy reads back: the same instant, in UTC, microseconds kept.
    with Session(engine) as s:
        stored = {t.arm: t for t in s.exec(select(Trial).where(Trial.run_id == rid))}
    assert stored["baseline"].started_at == started
    assert stored["baseline"].started_at.tzinfo is not None and stored["baseline"].truncated is True
    assert stored["v"].passed is None and stored["v"].started_at is None
    # A batch that fails (a naive datetime) leaves neither its rows nor its cost behind.
    with pytest.raises(ValueError, match="timezone-aware"):
        repo.save_trial_batch(engine, rid, [_row(rid, "v", "t2", 0, started_at=datetime(2026, 1, 1))], 9.0)
    assert repo.get_run(engine, rid).cost_usd == 0.75 and len(repo.trial_keys(engine, rid)) == 2


def test_load_trials_frame_types(engine):
    rid = _run(engine)
    repo.insert_trials(engine, [
        _row(rid, "baseline", "t1", 0, latency_s=1.5, prompt_tokens=100),
        _row(rid, "v", "t1", 0, passed=False, score=0.25),
        _row(rid, "v", "t2", 0, status="error", passed=None, score=None, error_kind="timeout"),
    ])
    frame = queries.load_trials_frame(engine, rid)
    assert len(frame) == 3
    assert frame["passed"].dtype == "float64"
    v = frame[frame["arm"] == "v"].sort_values("task_id")
    assert v["passed"].iloc[0] == 0.0 and math.isnan(v["passed"].iloc[1])
    assert str(frame["arm"].dtype) == "category"
    assert frame.loc[frame["arm"] == "baseline", "latency_s"].iloc[0] == 1.5


def test_run_lookup_and_arms(engine):
    rid = _run(engine, arms=(("baseline", True), ("b", False), ("a", False)))
    assert [a.name for a in repo.run_arms(engine, rid)] == ["baseline", "b", "a"]
    assert repo.get_run(engine, rid).name == "r"
    with pytest.raises(BadInput, match="run 999 not found"):
        repo.get_run(engine, 999)
    with pytest.raises(BadInput, match="must be a number"):
        repo.get_run(engine, "abc")


def test_db_url_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("TAMMA_BENCH_DB", str(tmp_path / "env.db"))
    assert resolve_db_url(None).endswith("env.db")
    assert resolve_db_url(tmp_path / "flag.db").endswith("flag.db")  # --db beats the variable
    assert resolve_db_url("postgresql://u@h/db") == "postgresql://u@h/db"


def test_trials_reach_analysis_in_task_order_whatever_order_they_finished(tmp_path):
    """Two runs with the same trials stored in different orders give identical frames."""
    import random

    from tamma_tui.store import queries, repo as store_repo
    from tamma_tui.store.db import open_database

    db = open_database(tmp_path / "order.db")
    rows = [
        {"arm": arm, "task_id": f"t{i:02d}", "context": "development", "repeat": r, "status": "ok",
         "passed": (i + r) % 3 == 0, "score": float(i % 5) / 4, "latency_s": 1.0 + i, "cost_usd": 0.001,
         "prompt_tokens": 10, "completion_tokens": 5}
        for arm in ("baseline", "v") for i in range(20) for r in range(2)
    ]
    frames = []
    for seed in (1, 2):
        from tamma_tui.store.db import transaction

        with transaction(db) as session:
            run_id = store_repo.create_run(session, name=f"r{seed}", kind="import", suite="s",
                                           contexts=["development"], trials_per_task=2,
                                           total_trials=len(rows),
                                           arms=[("baseline", True, None), ("v", False, None)])
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        store_repo.insert_trials(db, [{**r, "run_id": run_id} for r in shuffled])
        frames.append(queries.load_trials_frame(db, run_id))
    assert frames[0].astype(str).values.tolist() == frames[1].astype(str).values.tolist()
    assert list(frames[0]["task_id"][:4]) == ["t00", "t00", "t01", "t01"]

"""Issue 11 §3: no finished trial is lost silently.

The writer keeps rows until their insert committed, close() waits for a flush under way,
a busy database is retried with backoff, a full disk keeps what fits and stops the run,
and a run with fewer stored trials than finished ones ends `incomplete` (exit 1).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

from engine_helpers import write_experiment
from sqlalchemy import event, text

from tamma_tui.commands.run import exit_code_for_run
from tamma_tui.engine.events import RunFinished, TrialFinished
from tamma_tui.engine.writer import BatchWriter
from tamma_tui.services.experiments import run_experiment
from tamma_tui.store import repo
from tamma_tui.store.db import open_database
from tamma_tui.store.write_errors import StoreBusy
from tamma_tui.vocabulary import ExitCode, RunStatus


def rows(n: int) -> list[dict]:
    return [{"i": i} for i in range(n)]


def test_close_waits_for_a_flush_already_under_way():
    stored: list[dict] = []

    def slow_insert(batch):
        time.sleep(0.3)   # a large answer: the insert outlives close()'s call
        stored.extend(batch)

    async def scenario():
        writer = BatchWriter(slow_insert, batch_size=1000, interval_s=0.01)
        writer.start()
        for r in rows(8):
            writer.add(r)
        await asyncio.sleep(0.05)   # the ticker has taken the rows and is inside the insert
        await writer.close()
        return writer

    writer = asyncio.run(scenario())
    assert len(stored) == 8 and writer.written == 8 and writer.unwritten == 0


def test_a_failed_insert_keeps_its_rows_and_a_busy_store_is_retried():
    calls = {"n": 0}
    stored: list[dict] = []

    def flaky_insert(batch):
        calls["n"] += 1
        if calls["n"] <= 3:
            raise StoreBusy("database is locked")
        stored.extend(batch)

    async def scenario():
        writer = BatchWriter(flaky_insert, batch_size=5, interval_s=10, busy_backoff_s=0.001)
        for r in rows(12):
            writer.add(r)
        await writer.close()
        return writer

    writer = asyncio.run(scenario())
    assert [r["i"] for r in stored] == list(range(12))
    assert writer.busy_retries == 3 and writer.failure is None and writer.unwritten == 0


def test_an_unexpected_store_error_keeps_rows_in_memory_and_says_why():
    def broken(batch):
        raise RuntimeError("boom\n[SQL: INSERT INTO trial ...]")

    async def scenario():
        writer = BatchWriter(broken, batch_size=2, interval_s=10)
        for r in rows(3):
            writer.add(r)
        await writer.close()
        return writer

    writer = asyncio.run(scenario())
    assert writer.unwritten == 3 and writer._pending == rows(3)
    assert writer.failure == "storing trials failed: RuntimeError: boom"


def _stored(db, run_id: int) -> int:
    with db.connect() as conn:
        return conn.execute(text("select count(*) from trial where run_id = :r"), {"r": run_id}).scalar()


def test_a_write_lock_held_past_the_busy_timeout_loses_nothing(tmp_path):
    path = tmp_path / "t.db"
    db = open_database(path)

    @event.listens_for(db, "checkout")
    def short_busy_timeout(dbapi_conn, _record, _proxy):   # overrides the store's 10 s
        dbapi_conn.execute("PRAGMA busy_timeout=50")

    exp = write_experiment(tmp_path)
    holder = sqlite3.connect(path, timeout=5, check_same_thread=False)
    taken = threading.Event()

    def on_event(ev):
        if isinstance(ev, TrialFinished) and not taken.is_set():
            taken.set()
            holder.execute("BEGIN IMMEDIATE")   # another process holds the write lock...
            threading.Timer(1.0, holder.commit).start()   # ...for 20 busy timeouts

    out = run_experiment(exp, db=db, on_event=on_event,
                         engine_overrides={"batch_size": 2, "flush_interval_s": 0.02})
    holder.close()
    assert taken.is_set()
    assert out.status == RunStatus.COMPLETED and exit_code_for_run(out) == ExitCode.OK
    assert _stored(db, out.run_id) == out.total == out.done


def test_a_full_disk_keeps_what_fits_stops_and_fails_the_run(tmp_path, capsys):
    path = tmp_path / "t.db"
    db = open_database(path)
    limit: dict[str, int | None] = {"pages": None}

    @event.listens_for(db, "checkout")
    def cap_the_file(dbapi_conn, _record, _proxy):
        # A disk that fills up mid-run: SQLite's page cap gives the same SQLITE_FULL error.
        pages = limit["pages"] if limit["pages"] is not None else 1_073_741_823
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    exp = write_experiment(tmp_path)
    exp.write_text(exp.read_text().replace("trials: 2", "trials: 12").replace("concurrency: 4", "concurrency: 1"))
    seen = {"n": 0}

    def on_event(ev):
        if isinstance(ev, TrialFinished):
            seen["n"] += 1
            if seen["n"] == 3:
                with db.connect() as conn:
                    used = conn.exec_driver_sql("PRAGMA page_count").scalar()
                limit["pages"] = used + 1
        elif isinstance(ev, RunFinished):
            limit["pages"] = None   # space again, for the run's own status row

    out = run_experiment(exp, db=db, on_event=on_event,
                         engine_overrides={"batch_size": 1, "flush_interval_s": 0.01})
    stored = _stored(db, out.run_id)
    assert out.status == RunStatus.INCOMPLETE and exit_code_for_run(out) == ExitCode.FAILED
    assert 0 < stored < out.total   # what fitted is kept
    assert "disk is full" in out.message and "\n" not in out.message
    assert repo.get_run(db, out.run_id).status == RunStatus.INCOMPLETE   # an update in place still fits
    assert repo.get_run(db, out.run_id).status == RunStatus.INCOMPLETE
    # Scheduling stopped: far fewer trials ran than were planned.
    assert seen["n"] < out.total // 2


def test_concurrent_runs_into_one_database_store_every_trial(tmp_path):
    """Several writers on one file (issue 11: 124 trials lost with 4), with the store's own
    busy timeout: every finished trial of every run is stored."""
    db = open_database(tmp_path / "shared.db")
    outcomes = []

    def one(i: int) -> None:
        folder = tmp_path / f"exp{i}"
        folder.mkdir()
        exp = write_experiment(folder)
        exp.write_text(exp.read_text().replace("trials: 2", "trials: 4"))
        outcomes.append(run_experiment(exp, db=db, engine_overrides={"batch_size": 1, "flush_interval_s": 0.001}))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(outcomes) == 4
    for out in outcomes:
        assert out.status == RunStatus.COMPLETED and _stored(db, out.run_id) == out.total


def test_run_level_writes_wait_for_a_lock_held_past_the_busy_timeout(tmp_path):
    """Creating the run and recording its end retry too: with a 20 ms busy timeout and four
    runs writing at once, every run starts, ends `completed` and keeps every trial."""
    db = open_database(tmp_path / "shared.db")

    @event.listens_for(db, "checkout")
    def short_busy_timeout(dbapi_conn, _record, _proxy):
        dbapi_conn.execute("PRAGMA busy_timeout=20")

    outcomes, failures = [], []

    def one(i: int) -> None:
        folder = tmp_path / f"exp{i}"
        folder.mkdir()
        try:
            outcomes.append(run_experiment(write_experiment(folder), db=db,
                                           engine_overrides={"batch_size": 1, "flush_interval_s": 0.001}))
        except Exception as exc:  # the old code: "database is locked" from the run's own rows
            failures.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert failures == [] and len(outcomes) == 4
    for out in outcomes:
        assert out.status == RunStatus.COMPLETED and _stored(db, out.run_id) == out.total


def test_a_disk_that_stays_full_still_ends_in_one_line(tmp_path):
    """The run's own end cannot be written either: still no traceback, exit 1."""
    db = open_database(tmp_path / "t.db")
    limit: dict[str, int | None] = {"pages": None}

    @event.listens_for(db, "checkout")
    def cap_the_file(dbapi_conn, _record, _proxy):
        pages = limit["pages"] if limit["pages"] is not None else 1_073_741_823
        dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    exp = write_experiment(tmp_path)
    exp.write_text(exp.read_text().replace("trials: 2", "trials: 12").replace("concurrency: 4", "concurrency: 1"))

    def on_event(ev):
        if isinstance(ev, TrialFinished) and limit["pages"] is None:
            with db.connect() as conn:
                limit["pages"] = conn.exec_driver_sql("PRAGMA page_count").scalar()

    out = run_experiment(exp, db=db, on_event=on_event,
                         engine_overrides={"batch_size": 1, "flush_interval_s": 0.01})
    assert out.status == RunStatus.INCOMPLETE and exit_code_for_run(out) == ExitCode.FAILED
    assert "disk is full" in out.message and "\n" not in out.message
    assert repo.get_run(db, out.run_id).status == RunStatus.INCOMPLETE   # an update in place still fits

"""The real engine against the real simulated model server on 127.0.0.1 (a free port)."""

from __future__ import annotations

import threading
import time
from datetime import datetime

import pytest

from simrun_helpers import write_sim_experiment
from sqlalchemy import text

from tamma_tui.commands.run import exit_code_for_run
from tamma_tui.engine.events import TrialFinished
from tamma_tui.providers.simulated.faults import FaultOptions, FaultPicker
from tamma_tui.providers.simulated.server import BackgroundSimServer
from tamma_tui.providers.simulated.service import SimService
from tamma_tui.services.experiments import run_experiment
from tamma_tui.store import repo
from tamma_tui.store.db import open_database


@pytest.fixture
def sim():
    with BackgroundSimServer(SimService(latency_ms=5)) as server:
        yield server


def stored(db, run_id):
    engine = open_database(db)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text("select * from trial where run_id = :r"), {"r": run_id})]


def test_run_completes_and_stores_every_trial(tmp_path, sim):
    exp = write_sim_experiment(tmp_path, sim.base_url, trials=2)
    db = tmp_path / "t.db"
    events = []
    out = run_experiment(exp, db=db, on_event=events.append)
    assert out.status == "completed" and exit_code_for_run(out) == 0
    assert out.done == out.total == 9 * 2 * 2 and out.errors == 0
    rows = stored(db, out.run_id)
    assert len(rows) == 36
    assert {r["status"] for r in rows} == {"ok"}
    assert all(r["prompt_tokens"] > 0 and r["completion_tokens"] > 0 and r["latency_s"] > 0 for r in rows)
    assert all(r["ttft_s"] is not None for r in rows)  # streaming by default
    assert sum(r["cost_usd"] for r in rows) == pytest.approx(out.cost_usd)
    run = repo.get_run(open_database(db), out.run_id)
    assert run.status == "completed" and run.cost_usd == pytest.approx(out.cost_usd) and run.isolation
    assert [a.name for a in repo.run_arms(open_database(db), out.run_id)] == ["baseline", "large"]
    assert sum(isinstance(e, TrialFinished) for e in events) == 36


def expected_faults(options: FaultOptions, n: int) -> int:
    picker = FaultPicker(options)
    return sum(picker.next_fault() is not None for _ in range(n))


@pytest.mark.parametrize(
    "faults",
    [
        FaultOptions(fail_rate=0.3, seed=1),
        FaultOptions(drop_rate=0.25, seed=2),
        FaultOptions(malformed_rate=0.25, seed=3),
        FaultOptions(truncate_rate=0.25, seed=4),
    ],
    ids=["http500", "dropped", "malformed", "truncated"],
)
def test_fault_modes_are_counted_as_errored_trials(tmp_path, faults):
    with BackgroundSimServer(SimService(latency_ms=2, faults=faults)) as server:
        # One attempt per trial and one request at a time: each request is one trial, so
        # the server's seeded fault sequence says exactly how many trials must error.
        exp = write_sim_experiment(tmp_path, server.base_url, concurrency=1,
                                   extra="retry: {max_attempts: 1}\nmax_error_rate: 1.0\n")
        out = run_experiment(exp, db=tmp_path / "t.db")
    assert out.status == "completed" and out.done == out.total == 18
    want = expected_faults(faults, 18)
    assert want > 0
    assert out.errors == want
    rows = stored(tmp_path / "t.db", out.run_id)
    errored = [r for r in rows if r["status"] != "ok"]
    assert len(errored) == want and all(r["error_kind"] and r["passed"] is None for r in errored)


def test_error_rate_above_threshold_exits_1(tmp_path):
    with BackgroundSimServer(SimService(latency_ms=2, faults=FaultOptions(fail_rate=0.5, seed=9))) as server:
        exp = write_sim_experiment(tmp_path, server.base_url, extra="retry: {max_attempts: 1}\n")
        out = run_experiment(exp, db=tmp_path / "t.db")
    assert out.status == "completed" and out.errors > 0
    assert out.error_rate == pytest.approx(out.errors / out.done) and exit_code_for_run(out) == 1


def test_retries_recover_from_faults(tmp_path):
    faults = FaultOptions(fail_rate=0.3, seed=5)
    with BackgroundSimServer(SimService(latency_ms=2, faults=faults)) as server:
        exp = write_sim_experiment(tmp_path, server.base_url,
                                   extra="retry: {max_attempts: 8, base_delay_s: 0.01, max_delay_s: 0.05}\n")
        out = run_experiment(exp, db=tmp_path / "t.db")
    rows = stored(tmp_path / "t.db", out.run_id)
    assert out.errors == 0 and exit_code_for_run(out) == 0
    retried = [r for r in rows if r["attempts"] > 1]
    assert retried and all("server_error" in r["error_message"] for r in retried)


def test_retry_after_is_honoured(tmp_path):
    faults = FaultOptions(status=429, retry_after="0.4", status_rate=1.0)
    with BackgroundSimServer(SimService(latency_ms=1, faults=faults)) as server:
        exp = write_sim_experiment(
            tmp_path, server.base_url, variants=False, max_tasks=1, contexts="[development]",
            extra="retry: {max_attempts: 3, base_delay_s: 0.0, max_delay_s: 0.0}\nmax_error_rate: 1.0\n",
        )
        t0 = time.monotonic()
        out = run_experiment(exp, db=tmp_path / "t.db")
        elapsed = time.monotonic() - t0
    rows = stored(tmp_path / "t.db", out.run_id)
    assert len(rows) == 1
    row = rows[0]
    assert row["status"] == "error" and row["error_kind"] == "rate_limited" and row["attempts"] == 3
    # Jitter alone would not wait at all (base delay 0): two waits of at least 0.4 s.
    assert elapsed >= 0.8
    took = datetime.fromisoformat(row["finished_at"]) - datetime.fromisoformat(row["started_at"])
    assert took.total_seconds() >= 0.8


def test_budget_stops_scheduling(tmp_path, sim):
    exp = write_sim_experiment(tmp_path, sim.base_url, trials=3, concurrency=2,
                               extra="budget_usd: 0.0004\n")
    out = run_experiment(exp, db=tmp_path / "t.db")
    assert out.status == "budget_exhausted" and exit_code_for_run(out) == 0
    rows = stored(tmp_path / "t.db", out.run_id)
    assert 0 < len(rows) < out.total
    cost = sum(r["cost_usd"] for r in rows)
    assert cost >= 0.0004
    # No request is sent once the budget is reached: only the trials in flight then (at
    # most `concurrency` = 2) finish after the one that crossed it.
    by_finish = sorted(rows, key=lambda r: r["finished_at"])
    assert sum(r["cost_usd"] for r in by_finish[:-2]) < 0.0004


def test_cancel_keeps_finished_trials_then_resume_completes_exactly(tmp_path):
    with BackgroundSimServer(SimService(latency_ms=30)) as server:
        exp = write_sim_experiment(tmp_path, server.base_url, trials=2, concurrency=4)
        db = tmp_path / "t.db"
        cancel = threading.Event()
        finished = []

        def on_event(e):
            if isinstance(e, TrialFinished):
                finished.append((e.arm, e.task_id, e.repeat))
                if len(finished) == 10:
                    cancel.set()

        out = run_experiment(exp, db=db, on_event=on_event, cancel=cancel)
        assert out.status == "cancelled" and exit_code_for_run(out) == 130
        keys = repo.trial_keys(open_database(db), out.run_id)
        assert keys == set(finished) and 10 <= len(keys) < out.total
        assert repo.get_run(open_database(db), out.run_id).status == "cancelled"

        again = run_experiment(exp, db=db, resume=out.run_id)
    assert again.run_id == out.run_id and again.status == "completed"
    rows = stored(db, out.run_id)
    got = [(r["arm"], r["task_id"], r["repeat"]) for r in rows]
    assert len(got) == len(set(got)) == out.total == again.done
    assert set(got) >= keys


def test_resume_of_a_finished_run_runs_nothing(tmp_path, sim):
    exp = write_sim_experiment(tmp_path, sim.base_url)
    db = tmp_path / "t.db"
    out = run_experiment(exp, db=db)
    before = stored(db, out.run_id)
    again = run_experiment(exp, db=db, resume=out.run_id)
    assert again.status == "completed" and again.done == out.total
    assert stored(db, out.run_id) == before


def test_aa_run_pairs_the_baseline_with_itself(tmp_path, sim):
    exp = write_sim_experiment(tmp_path, sim.base_url, trials=2)
    out = run_experiment(exp, db=tmp_path / "t.db", aa=True)
    rows = stored(tmp_path / "t.db", out.run_id)
    assert {r["arm"] for r in rows} == {"baseline", "baseline-aa"}
    assert repo.get_run(open_database(tmp_path / "t.db"), out.run_id).kind == "aa"
    by_arm = {}
    for r in rows:
        by_arm.setdefault(r["arm"], set()).add((r["task_id"], r["repeat"]))
    assert by_arm["baseline"] == by_arm["baseline-aa"]
    assert len({r["config_sha256"] for r in rows}) == 1


def test_mixed_session_run_against_the_server(tmp_path, sim):
    exp = write_sim_experiment(tmp_path, sim.base_url, variants=False, extra="session: mixed\n")
    out = run_experiment(exp, db=tmp_path / "t.db")
    rows = stored(tmp_path / "t.db", out.run_id)
    assert out.status == "completed" and len(rows) == 9 * 2
    session = sorted((r for r in rows if r["arm"] == "baseline"), key=lambda r: r["session_position"])
    assert [r["session_position"] for r in session] == list(range(9))
    assert [r["context"] for r in session[:3]] == ["development", "code_review", "testing"]
    # History grows, so later turns send more prompt tokens than the same task alone.
    iso = {r["task_id"]: r for r in rows if r["arm"] == "baseline@isolated"}
    assert all(r["prompt_tokens"] > iso[r["task_id"]]["prompt_tokens"] for r in session[1:])
    assert session[-1]["context_utilization"] > session[0]["context_utilization"]


def test_mixed_session_resume_replays_history(tmp_path):
    with BackgroundSimServer(SimService(latency_ms=20)) as server:
        exp = write_sim_experiment(tmp_path, server.base_url, variants=False, concurrency=2,
                                   extra="session: mixed\n")
        db = tmp_path / "t.db"
        cancel = threading.Event()
        seen = []

        def on_event(e):
            if isinstance(e, TrialFinished) and e.arm == "baseline":
                seen.append(e.task_id)
                if len(seen) == 4:
                    cancel.set()

        first = run_experiment(exp, db=db, on_event=on_event, cancel=cancel)
        assert first.status == "cancelled"
        again = run_experiment(exp, db=db, resume=first.run_id)
    assert again.status == "completed"
    rows = stored(db, first.run_id)
    session = sorted((r for r in rows if r["arm"] == "baseline"), key=lambda r: r["session_position"])
    assert [r["session_position"] for r in session] == list(range(9))
    # Turns 0-3 ran before the cancel; the resumed turns 4.. carried the replayed
    # conversation, so each sent more than the same task alone.
    iso = {r["task_id"]: r["prompt_tokens"] for r in rows if r["arm"] == "baseline@isolated"}
    assert all(r["prompt_tokens"] > iso[r["task_id"]] for r in session[4:])


def test_requests_per_minute_limit_paces_the_run(tmp_path, sim):
    # 1200/min = 20 a second with a one-second burst: 36 requests need at least 0.8 s.
    exp = write_sim_experiment(tmp_path, sim.base_url, trials=2, concurrency=32,
                               extra="rate_limits: {requests_per_minute: 1200}\n")
    t0 = time.monotonic()
    out = run_experiment(exp, db=tmp_path / "t.db")
    elapsed = time.monotonic() - t0
    assert out.done == 36 and out.errors == 0
    assert elapsed >= 0.8


def test_same_seed_same_answers(tmp_path, sim):
    # Seeds derive from (experiment seed, task, repeat): a rerun asks the same questions
    # with the same sampling seeds, so the simulated agent answers the same way.
    exp = write_sim_experiment(tmp_path, sim.base_url, trials=2)
    a = run_experiment(exp, db=tmp_path / "a.db")
    b = run_experiment(exp, db=tmp_path / "b.db")

    def answers(db, run_id):
        return {(r["arm"], r["task_id"], r["repeat"]): (r["response_hash"], r["passed"]) for r in stored(db, run_id)}

    first, second = answers(tmp_path / "a.db", a.run_id), answers(tmp_path / "b.db", b.run_id)
    assert first == second and len(first) == 36
    assert len({h for h, _ in first.values()}) > 1

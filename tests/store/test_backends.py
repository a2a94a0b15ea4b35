"""The store on both back ends: a real SQLite file and a real PostgreSQL server.

Migrations, a simulated run, import/export and the report give the same results on both;
several `tamma-bench run` processes share one database without conflicts; `db copy` moves
a history into a database that already holds other runs.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tamma_tui.cli import main
from tamma_tui.services.experiments import run_experiment
from tamma_tui.services.reports import report_for_run
from tamma_tui.store import repo
from tamma_tui.store.db import open_database
from tamma_tui.store.migrations import HEADS
from tamma_tui.store.models import Trial

from tests.sim_experiment import write_sim_experiment

from .test_migrations import schema_diff

ROOT = Path(__file__).resolve().parents[2]


def write_experiment(folder: Path, *, name: str = "backend-exp", seed: int = 5) -> Path:
    return write_sim_experiment(folder, name=name, seed=seed)


DETERMINISTIC = ("arm", "task_id", "context", "repeat", "status", "passed", "score", "prompt_tokens",
                 "completion_tokens", "cost_usd", "response_hash")


def stored_trials(db, run_id: int) -> list[tuple]:
    """What a seeded simulated run must reproduce exactly (wall-clock timings excluded)."""
    with db.connect() as conn:
        rows = conn.execute(text(f"select {', '.join(DETERMINISTIC)} from trial where run_id = :r"), {"r": run_id})
        return sorted((*r[:5], bool(r[5]), *r[6:]) for r in rows)


def stable(report: dict) -> str:
    """The report's quality comparisons and decision, which depend on no wall-clock time."""
    rows = [{k: v for k, v in row.items() if k != "robustness"} for row in report["comparisons"]
            if row["metric"] in ("pass_rate", "score", "cost_usd", "prompt_tokens", "completion_tokens")]
    return json.dumps({"comparisons": rows, "arms": report["arms"]}, sort_keys=True, default=str)


def test_migrations_build_the_models_on_both(db_url):
    db = open_database(db_url)
    with db.connect() as conn:
        stored = set(conn.execute(text("select version_num from tamma_alembic_version")).scalars())
    assert stored == set(HEADS)
    assert schema_diff(db) == []


def test_a_run_gives_the_same_report_on_both(db_url, tmp_path):
    exp = write_experiment(tmp_path)
    out = run_experiment(exp, db=db_url)
    db = open_database(db_url)
    assert out.done == out.total == 48
    assert repo.get_run(db, out.run_id).status == "completed"
    report = report_for_run(db, out.run_id)
    # The same seed into a SQLite file must give the same report, whatever db_url is.
    reference_out = run_experiment(exp, db=tmp_path / "reference.db")
    reference_db = open_database(tmp_path / "reference.db")
    assert stored_trials(db, out.run_id) == stored_trials(reference_db, reference_out.run_id)
    assert stable(report) == stable(report_for_run(reference_db, reference_out.run_id))


def test_resumed_batches_never_duplicate(db_url, tmp_path):
    out = run_experiment(write_experiment(tmp_path), db=db_url)
    db = open_database(db_url)
    with db.connect() as conn:
        table = Trial.__table__
        rows = [dict(r._mapping) for r in conn.execute(select(table).where(table.c.run_id == out.run_id))]
    for row in rows:
        row.pop("id")
    assert repo.insert_trials(db, rows[:10]) == 0  # all already there
    with db.connect() as conn:
        assert conn.execute(text("select count(*) from trial")).scalar() == out.total


def test_export_import_round_trip_on_both(db_url, tmp_path, capsys):
    out = run_experiment(write_experiment(tmp_path), db=db_url)
    csv_path = tmp_path / "trials.csv"
    assert main(["export", str(out.run_id), "-o", str(csv_path), "--db", db_url]) == 0
    capsys.readouterr()
    assert main(["import", str(csv_path), "--db", db_url]) == 0
    new_id = int(capsys.readouterr().out.strip().splitlines()[-1].split()[-1])
    db = open_database(db_url)
    with db.connect() as conn:
        counts = dict(conn.execute(text("select run_id, count(*) from trial group by run_id")).all())
    assert counts[new_id] == counts[out.run_id] == 48


def test_concurrent_run_processes_share_one_database(db_url, tmp_path):
    """Three headless runs at once: every run complete, every key unique, costs exact."""
    exps = [write_experiment(tmp_path / f"p{i}", name=f"parallel-{i}", seed=i) for i in range(3)]
    procs = [
        subprocess.Popen([sys.executable, "-m", "tamma_tui.cli", "run", str(e), "--db", db_url],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        for e in exps
    ]
    outputs = [p.communicate(timeout=240) for p in procs]
    failed = [out + err for p, (out, err) in zip(procs, outputs) if p.returncode != 0]
    assert not failed, ["\n".join(line for line in text.splitlines() if "tamma_tui" in line or "Error" in line)
                        for text in failed]
    db = open_database(db_url)
    with db.connect() as conn:
        runs = conn.execute(text("select id, status, cost_usd, total_trials from run")).all()
        assert len(runs) == 3 and {r.status for r in runs} == {"completed"}
        for run in runs:
            stored, cost, distinct = conn.execute(text(
                "select count(*), sum(cost_usd), count(distinct arm || '/' || task_id || '/' || repeat) "
                "from trial where run_id = :r"), {"r": run.id}).one()
            assert stored == distinct == run.total_trials
            assert run.cost_usd == pytest.approx(cost, rel=1e-9)


def test_db_copy_moves_a_history_next_to_existing_runs(db_url, tmp_path, capsys):
    source = tmp_path / "laptop.db"
    first = run_experiment(write_experiment(tmp_path / "a", name="laptop-a"), db=source)
    run_experiment(write_experiment(tmp_path / "b", name="laptop-b", seed=9), db=source)
    already = run_experiment(write_experiment(tmp_path / "c", name="team-run"), db=db_url)  # the team's own
    assert main(["db", "copy", "--from", str(source), "--to", db_url]) == 0
    assert "copied 2 runs (96 trials" in capsys.readouterr().out
    assert main(["db", "copy", "--from", str(source), "--to", db_url]) == 0  # again: nothing doubles
    again = capsys.readouterr().out
    assert "copied 0 runs" in again and "2 already there" in again
    target = open_database(db_url)
    with target.connect() as conn:
        names = conn.execute(text("select name from run order by id")).scalars().all()
        assert names == ["team-run", "laptop-a", "laptop-b"]
        copied_id = conn.execute(text("select id from run where name = 'laptop-a'")).scalar()
    assert repo.get_run(target, already.run_id).name == "team-run"
    assert stored_trials(target, copied_id) == stored_trials(open_database(source), first.run_id)
    assert stable(report_for_run(target, copied_id)) == stable(report_for_run(open_database(source), first.run_id))

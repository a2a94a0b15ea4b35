"""`tamma-bench demo --quick`: the sample experiment on the simulated agent, real grading,
then the per-arm table and the report with its decision."""

from __future__ import annotations

from sqlalchemy import text

from tamma_tui.cli import main
from tamma_tui.commands.demo import QUICK_TASKS, demo_experiment_path
from tamma_tui.store.db import open_database


def test_demo_quick_runs_and_prints_results_and_decision(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    db = tmp_path / "demo.db"
    assert demo_experiment_path().is_file()
    code = main(["--db", str(db), "demo", "--quick"])
    out = capsys.readouterr()
    assert code == 0, out.err
    for arm in ("baseline", "reviewer", "terse"):
        assert arm in out.out
    assert "pass rate" in out.out and "decision" in out.out.lower()
    with open_database(db).connect() as conn:
        n, graded = conn.execute(text("select count(*), count(passed) from trial")).one()
        contexts = {c for (c,) in conn.execute(text("select distinct context from trial"))}
        status = conn.execute(text("select status from run")).scalar()
    assert status == "completed"
    assert n == 3 * 2 * QUICK_TASKS * len(contexts) and graded == n
    assert contexts == {"development", "code_review", "testing"}

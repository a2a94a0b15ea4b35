"""The run service: resume checks, stored run fields, the progress consumer."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from tamma_tui.config.errors import BadInput
from tamma_tui.engine.events import RunFinished, RunProgress, RunStarted, TrialFinished
from tamma_tui.providers.simulated.server import BackgroundSimServer
from tamma_tui.providers.simulated.service import SimService
from tamma_tui.services.experiments import RunOutcome, run_experiment
from tamma_tui.services.progress import ProgressDisplay
from tamma_tui.store import repo
from tamma_tui.store.db import open_database
from tamma_tui.suites.sandbox import isolation_level

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from simrun_helpers import write_sim_experiment  # noqa: E402


@pytest.fixture(scope="module")
def sim():
    with BackgroundSimServer(SimService(latency_ms=2)) as server:
        yield server


def count(db, table):
    with open_database(db).connect() as conn:
        return conn.execute(text(f"select count(*) from {table}")).scalar()


def test_run_row_records_the_plan_and_the_sandbox(db_url, tmp_path, sim):
    exp = write_sim_experiment(tmp_path, sim.base_url, trials=2)
    out = run_experiment(exp, db=open_database(db_url))  # an open Engine works too
    run = repo.get_run(open_database(db_url), out.run_id)
    assert run.total_trials == out.total == 36 and run.trials_per_task == 2 and run.seed == 11
    assert run.isolation == isolation_level() and run.contexts == "development,code_review,testing"
    assert run.status == "completed" and run.finished_at is not None
    assert json.loads(run.analysis_json)["primary_metric"] == "pass_rate"
    assert count(db_url, "config_version") == 2


def test_resume_refuses_a_changed_config(db_url, tmp_path, sim):
    exp = write_sim_experiment(tmp_path, sim.base_url)
    db = db_url  # a real SQLite file and a real PostgreSQL database
    out = run_experiment(exp, db=db, max_tasks=1)
    agent = tmp_path / "agents" / "base.yaml"
    agent.write_text(agent.read_text().replace("temperature: 0.2", "temperature: 0.9"))
    with pytest.raises(BadInput) as exc:
        run_experiment(exp, db=db, resume=out.run_id, max_tasks=1)
    assert "changed" in str(exc.value) and "baseline" in str(exc.value)
    assert count(db, "run") == 1


def test_resume_refuses_a_different_plan(db_url, tmp_path, sim):
    exp = write_sim_experiment(tmp_path, sim.base_url)
    db = db_url  # a real SQLite file and a real PostgreSQL database
    out = run_experiment(exp, db=db, max_tasks=1)
    with pytest.raises(BadInput) as exc:
        run_experiment(exp, db=db, resume=out.run_id)  # without --max-tasks 1
    assert "--max-tasks" in str(exc.value)


def import_two_trials(db, csv, variant_cost="0.001") -> int:
    from tamma_tui.services.imports import import_csv

    csv.write_text("arm,task_id,context,repeat,passed,score,latency_s,cost_usd,prompt_tokens,completion_tokens\n"
                   "baseline,t1,development,0,1,1.0,1.0,0.001,10,5\n"
                   f"v,t1,development,0,0,0.0,1.0,{variant_cost},10,5\n")
    return import_csv(open_database(db), csv)


def test_resume_refuses_an_imported_run(db_url, tmp_path, sim):
    db = db_url  # a real SQLite file and a real PostgreSQL database
    run_id = import_two_trials(db, tmp_path / "r.csv")
    with pytest.raises(BadInput):
        run_experiment(write_sim_experiment(tmp_path, sim.base_url), db=db, resume=run_id)


def test_json_progress_prints_events_and_a_summary():
    stream = io.StringIO()
    display = ProgressDisplay(json_mode=True, stream=stream)
    display(RunStarted(run_id=3, name="x", arms=("baseline",), contexts=("testing",), total_trials=2))
    display(TrialFinished(3, "baseline", "t1", "testing", 0, "error", None, None, None, 0.0,
                          attempts=2, error_kind="server_error", error_message="HTTP 503"))
    display(RunProgress(3, 1, 2, 1, 0.0, 1.0, 1.0, {"server_error": 1}))
    display(RunFinished(3, "completed", 2, 2, 1, 0.0, 1.0))
    display.summary(RunOutcome(3, "completed", 2, 2, 1, 0.0, 1.0, True, error_rate=0.5), 1)
    lines = [json.loads(x) for x in stream.getvalue().splitlines()]
    assert [x["event"] for x in lines] == ["RunStarted", "TrialFinished", "RunProgress", "RunFinished", "Summary"]
    assert lines[1]["error_kind"] == "server_error" and lines[2]["errors_by_kind"] == {"server_error": 1}
    assert lines[-1]["exit_code"] == 1 and lines[-1]["error_rate"] == 0.5


def test_bar_shows_cost_budget_errors_and_weak_isolation():
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(file=buffer, width=160, force_terminal=False)
    display = ProgressDisplay(console=console)
    display(RunStarted(run_id=4, name="demo", arms=("baseline", "terse"), contexts=("testing",),
                       total_trials=10, already_done=2, isolation="rlimits-only", budget_usd=1.5))
    display(RunProgress(4, 6, 10, 2, 0.25, 2.0, 2.0, {"rate_limited": 2}))
    display(RunFinished(4, "completed", 10, 10, 2, 0.25, 2.0))
    display.summary(RunOutcome(4, "completed", 10, 10, 2, 0.25, 2.0, True, error_rate=0.2, max_error_rate=0.05))
    out = buffer.getvalue()
    assert "run 4" in out and "2 already done" in out
    assert "sandbox:" in out  # weaker than full isolation is said out loud
    assert "$0.2500 / $1.50" in out and "rate_limited 2" in out
    assert "above the run's threshold" in out


def test_simulated_agent_answers_a_users_own_suite(tmp_path):
    lines = [json.dumps({"id": f"mine-{i}", "context": ("development", "code_review", "testing")[i % 3],
                         "prompt": f"What is {i} plus one?", "expected": str(i + 1), "match": "exact"})
             for i in range(6)]
    (tmp_path / "mine.jsonl").write_text("\n".join(lines) + "\n")
    (tmp_path / "agent.yaml").write_text("agentId: a\nprovider: simulated\nmodel: sim-large\n")
    (tmp_path / "exp.yaml").write_text("name: mine\nsuite: mine.jsonl\ntrials: 2\nbaseline: agent.yaml\n")
    out = run_experiment(tmp_path / "exp.yaml", db=tmp_path / "t.db")
    assert out.status == "completed" and out.done == 12 and out.errors == 0
    with open_database(tmp_path / "t.db").connect() as conn:
        passed = conn.execute(text("select sum(passed) from trial")).scalar()
    assert passed > 0  # the simulator knew the answer bank of a suite it had never seen


def test_import_writes_the_run_cost_and_finish_with_its_trials(db_url, tmp_path):
    import math

    from tamma_tui.store import repo

    db = db_url  # a real SQLite file and a real PostgreSQL database
    run = repo.get_run(open_database(db), import_two_trials(db, tmp_path / "r.csv", variant_cost="0.002"))
    assert run.status == "completed" and run.finished_at is not None
    assert math.isclose(run.cost_usd, 0.003)

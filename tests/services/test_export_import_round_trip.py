"""Export then import keeps every trial (errored ones too), the arm order and the analysis
plan, so the decision after a round trip is the one the run gave."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest

from tamma_tui.errors import BadInput
from tamma_tui.providers.simulated.faults import FaultOptions
from tamma_tui.providers.simulated.server import BackgroundSimServer
from tamma_tui.providers.simulated.service import SimService
from tamma_tui.services.experiments import run_experiment
from tamma_tui.services.imports import import_csv
from tamma_tui.services.reports import report_for_run
from tamma_tui.services.results import export_run
from tamma_tui.store import queries, repo
from tamma_tui.store.db import open_database

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from simrun_helpers import write_sim_experiment  # noqa: E402

EXTRA = """\
retry: {max_attempts: 1}
max_error_rate: 1.0
variants:
  - name: aardvark
    overrides: {model: sim-large}
analysis:
  alpha: 0.2
  correction: bh
  primary_metric: score
  guardrails:
    - {metric: latency_s, margin: 0.5}
"""


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("orig")
    faults = FaultOptions(fail_rate=0.2, seed=5)
    with BackgroundSimServer(SimService(latency_ms=1, faults=faults)) as sim:
        exp = write_sim_experiment(tmp, sim.base_url, trials=2, max_tasks=4, variants=False, extra=EXTRA)
        db = open_database(tmp / "orig.db")
        out = run_experiment(exp, db=db)
    return db, out.run_id


def export_text(db, run_id, **kw) -> str:
    buf = io.StringIO()
    export_run(db, run_id, "csv", buf, **kw)
    return buf.getvalue()


def test_every_trial_survives_with_its_status_and_error_kind(original, tmp_path):
    db, run_id = original
    text = export_text(db, run_id)
    (tmp_path / "r.csv").write_text(text)
    db2 = open_database(tmp_path / "copy.db")
    new_id = import_csv(db2, tmp_path / "r.csv")
    cols = ["arm", "task_id", "repeat", "status", "error_kind", "passed", "score"]
    before = queries.load_trials_frame(db, run_id, columns=cols)
    after = queries.load_trials_frame(db2, new_id, columns=cols)
    assert (before["status"] != "ok").sum() > 0   # the case that used to break re-import
    assert before.astype(str).values.tolist() == after.astype(str).values.tolist()


def test_arm_order_and_plan_survive_and_the_decision_is_the_same(original, tmp_path):
    db, run_id = original
    (tmp_path / "r.csv").write_text(export_text(db, run_id))
    db2 = open_database(tmp_path / "copy.db")
    new_id = import_csv(db2, tmp_path / "r.csv")
    assert [a.name for a in repo.run_arms(db2, new_id)] == ["baseline", "aardvark"]
    assert json.loads(repo.get_run(db2, new_id).analysis_json)["correction"] == "bh"
    first, again = report_for_run(db, run_id), report_for_run(db2, new_id)
    assert again["alpha"] == first["alpha"] == 0.2
    assert again["decision"] == first["decision"]
    assert again["comparisons"] == first["comparisons"]


def test_a_plan_file_gives_the_plan_of_a_headerless_file(original, tmp_path):
    db, run_id = original
    (tmp_path / "r.csv").write_text(export_text(db, run_id, header=False))
    plan = tmp_path / "plan.yaml"
    plan.write_text("max_error_rate: 1.0\nalpha: 0.2\ncorrection: bh\nprimary_metric: score\n"
                    "guardrails:\n  - {metric: latency_s, margin: 0.5}\n")
    db2 = open_database(tmp_path / "copy.db")
    new_id = import_csv(db2, tmp_path / "r.csv", plan=plan)
    assert report_for_run(db2, new_id)["decision"] == report_for_run(db, run_id)["decision"]
    rows = list(csv.DictReader(io.StringIO(export_text(db, run_id, header=False))))
    assert {r["status"] for r in rows} >= {"ok", "error"}


def test_a_bad_plan_file_writes_nothing(original, tmp_path):
    db, run_id = original
    (tmp_path / "r.csv").write_text(export_text(db, run_id))
    plan = tmp_path / "plan.yaml"
    plan.write_text("alpha: 3\n")
    db2 = open_database(tmp_path / "copy.db")
    with pytest.raises(BadInput) as exc:
        import_csv(db2, tmp_path / "r.csv", plan=plan)
    assert "plan.yaml" in str(exc.value) and "alpha" in str(exc.value)
    with db2.connect() as conn:
        assert not list(conn.exec_driver_sql("select id from run"))


def test_a_jsonl_export_re_imports_with_a_plan_file(original, tmp_path):
    db, run_id = original
    buf = io.StringIO()
    export_run(db, run_id, "jsonl", buf)
    (tmp_path / "r.jsonl").write_text(buf.getvalue())
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"max_error_rate": 1.0, "alpha": 0.2, "correction": "bh", "primary_metric": "score",
                                "guardrails": [{"metric": "latency_s", "margin": 0.5}]}))
    db2 = open_database(tmp_path / "copy.db")
    new_id = import_csv(db2, tmp_path / "r.jsonl", plan=plan)
    cols = ["arm", "task_id", "repeat", "status", "error_kind", "passed", "score", "latency_s"]
    before = queries.load_trials_frame(db, run_id, columns=cols)
    after = queries.load_trials_frame(db2, new_id, columns=cols)
    assert before.astype(str).values.tolist() == after.astype(str).values.tolist()
    assert report_for_run(db2, new_id)["decision"] == report_for_run(db, run_id)["decision"]


@pytest.mark.parametrize("line, reason", [
    ('[1, 2]', "not a JSON object"),
    ('{"arm": "a"}', "missing required field"),
    ('{"arm": "a", "task_id": "t", "context": "development", "repeat": 0, "passed": {"x": 1}, "score": 1,'
     ' "latency_s": 1, "cost_usd": 0, "prompt_tokens": 1, "completion_tokens": 1}', "nested object"),
    ("[" * 100_000, "not a JSON object"),
])
def test_bad_jsonl_lines_are_one_line_errors(tmp_path, line, reason):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(line + "\n")
    with pytest.raises(BadInput) as exc:
        import_csv(open_database(tmp_path / "x.db"), bad)
    assert reason in str(exc.value) and "bad.jsonl" in str(exc.value) and "line 1" in str(exc.value)

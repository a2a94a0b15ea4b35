"""`tamma-bench report` and `tamma-bench plan` through the real entry point and a real SQLite file."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sqlmodel import Session

from tamma_tui.cli import main
from tamma_tui.stats import paired_means_mde, paired_means_sample_size, paired_proportions_sample_size
from tamma_tui.stats.power import paired_proportions_mde, repeated_trials_sample_size
from tamma_tui.store import repo
from tamma_tui.store.db import open_database
from tamma_tui.store.models import SequentialLook

CONTEXTS = ("development", "code_review", "testing")


def _store_run(db_path, *, analysis=None, n_tasks=30, seed=0) -> int:
    """A completed run, 1 trial per task: the variant passes most tasks the baseline fails."""
    engine = open_database(db_path)
    with Session(engine) as session:
        run_id = repo.create_run(session, name="cli-report", trials_per_task=1, status="completed",
                                 arms=[("baseline", True, None), ("better", False, None)], analysis=analysis)
        session.commit()
    rng = np.random.default_rng(seed)
    rows = []
    for arm, rate in (("baseline", 0.3), ("better", 0.9)):
        for t in range(n_tasks):
            passed = bool(rng.random() < rate)
            rows.append({"run_id": run_id, "arm": arm, "task_id": f"t{t:02d}", "context": CONTEXTS[t % 3],
                         "repeat": 0, "status": "ok", "passed": passed, "score": float(passed),
                         "latency_s": float(rng.uniform(1, 2)), "cost_usd": 0.001,
                         "prompt_tokens": 1000, "completion_tokens": int(rng.integers(100, 200))})
    rows.append({"run_id": run_id, "arm": "better", "task_id": "t00", "context": "development",
                 "repeat": 1, "status": "error", "error_kind": "timeout"})
    repo.insert_trials(engine, rows)
    return run_id


def test_report_json_is_one_object_from_a_real_process(tmp_path):
    db = tmp_path / "t.db"
    run_id = _store_run(db)
    proc = subprocess.run([sys.executable, "-m", "tamma_tui", "--db", str(db), "report", str(run_id),
                           "--format", "json"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)  # exactly one JSON value on stdout
    assert report["schema_version"] == 2 and report["run_id"] == run_id
    assert [a["name"] for a in report["arms"]] == ["baseline", "better"]
    assert report["arms"][1]["n_errors"] == 1 and report["arms"][1]["n_trials"] == 31
    assert report["decision"]["winner"] == "better"


def test_report_uses_the_stored_plan_and_flags_override_it(tmp_path, capsys):
    db = tmp_path / "t.db"
    plan = {"alpha": 0.01, "correction": "bh", "primary_metric": "pass_rate",
            "guardrails": [{"metric": "latency_s", "margin": 5.0}]}
    run_id = _store_run(db, analysis=plan)
    assert main(["--db", str(db), "report", str(run_id), "--format", "json"]) == 0
    stored = json.loads(capsys.readouterr().out)
    assert (stored["alpha"], stored["correction"]) == (0.01, "bh")
    assert [g["metric"] for g in stored["decision"]["guardrails"]] == ["latency_s"]
    assert main(["--db", str(db), "report", str(run_id), "--format", "json", "--alpha", "0.1",
                 "--correction", "holm", "--guardrail", "cost_usd:0.001", "--guardrail", "score:0.1",
                 "--primary", "score", "--context", "testing"]) == 0
    flagged = json.loads(capsys.readouterr().out)
    assert (flagged["alpha"], flagged["correction"]) == (0.1, "holm")
    assert flagged["decision"]["primary_metric"] == "score"
    assert [g["metric"] for g in flagged["decision"]["guardrails"]] == ["cost_usd", "score"]
    assert {r["context"] for r in flagged["comparisons"]} == {"testing"}


def test_report_markdown_and_table_show_robustness_decision_and_looks(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "160")
    db = tmp_path / "t.db"
    run_id = _store_run(db)
    engine = open_database(db)
    with Session(engine) as session:
        session.add(SequentialLook(run_id=run_id, look=1, n_tasks=12, metric="pass_rate", decision="continue",
                                   results_json=json.dumps({"better": {"diff": 0.4, "p_value": 0.2}})))
        session.commit()
    assert main(["--db", str(db), "report", str(run_id), "--format", "md"]) == 0
    md = capsys.readouterr().out
    assert "## Decision" in md and "**Winner: better" in md
    assert "wilcoxon p" in md and "bootstrap CI" in md and "## Sequential looks" in md
    assert "better: +40.0 pts, p=0.200" in md
    assert main(["--db", str(db), "report", str(run_id)]) == 0
    table = capsys.readouterr().out
    assert "Decision" in table and "Winner: better" in table and "wilcoxon p" in table
    json_again = main(["--db", str(db), "report", str(run_id), "--format", "json"])
    assert json_again == 0 and json.loads(capsys.readouterr().out)["sequential_looks"][0]["n_tasks"] == 12


@pytest.mark.parametrize("argv", [
    ["report", "RUN", "--alpha", "2"],
    ["report", "RUN", "--correction", "bonferroni"],
    ["report", "RUN", "--guardrail", "pass_rate"],
    ["report", "RUN", "--guardrail", "speed:0.1"],
    ["report", "RUN", "--guardrail", "cost_usd:-1"],
    ["report", "RUN", "--primary", "speed"],
    ["report", "RUN", "--context", "painting"],
    ["report", "999"],
    ["report", "abc"],
    ["plan", "--mde", "0"],
    ["plan", "--mde", "0.5", "--baseline-rate", "0.6"],
    ["plan", "--mde", "0.1", "--power", "1.2"],
    ["plan", "--mde", "0.1", "--trials", "0"],
    ["plan"],
    ["plan", "--metric", "score"],
    ["plan", "--metric", "score", "--effect-size", "-1"],
    ["plan", "--tasks", "1"],
])
def test_bad_flags_exit_2_with_one_line(tmp_path, capsys, argv):
    db = tmp_path / "t.db"
    run_id = _store_run(db, n_tasks=9)
    argv = [str(run_id) if a == "RUN" else a for a in argv]
    try:
        code = main(["--db", str(db), *argv])
    except SystemExit as exc:  # argparse rejects malformed flags itself, also with status 2
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err


def _plan(capsys, *argv) -> str:
    assert main(["plan", *argv]) == 0
    return capsys.readouterr().out


def test_plan_numbers_match_the_stats_functions(capsys):
    out = _plan(capsys, "--metric", "pass_rate", "--baseline-rate", "0.6", "--mde", "0.1", "--trials", "3",
                "--alpha", "0.05", "--power", "0.8")
    assert out.startswith(f"tasks needed: {repeated_trials_sample_size(0.6, 0.1, 3)} ")
    out = _plan(capsys, "--mde", "0.1")
    assert out.startswith(f"tasks needed: {paired_proportions_sample_size(0.6, 0.1)} ")
    out = _plan(capsys, "--mde", "0.15", "--baseline-rate", "0.5", "--alpha", "0.01", "--power", "0.9")
    assert out.startswith(f"tasks needed: {paired_proportions_sample_size(0.5, 0.15, alpha=0.01, power=0.9)} ")
    out = _plan(capsys, "--tasks", "72")
    assert f"+{paired_proportions_mde(0.6, 72) * 100:.1f} points" in out
    out = _plan(capsys, "--metric", "score", "--effect-size", "0.4")
    assert out.startswith(f"tasks needed: {paired_means_sample_size(0.4)} ")
    out = _plan(capsys, "--metric", "latency_s", "--tasks", "50")
    assert f"d_z = {paired_means_mde(50):.3f}" in out

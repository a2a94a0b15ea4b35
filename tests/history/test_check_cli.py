"""The CI gate end to end through the CLI on a real SQLite file: verdicts, exit codes, JUnit,
GitHub annotations, last-accepted, acknowledgements (audited), compare, one-arm imports."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from sqlmodel import Session, select

from tamma_tui.cli import main
from tamma_tui.store.models import AuditEvent

from .history_helpers import add_run, config, new_db

PLAN = {"alpha": 0.05, "primary_metric": "pass_rate", "guardrails": [{"metric": "latency_s", "margin": 0.1}]}


@pytest.fixture()
def db(tmp_path):
    engine = new_db(tmp_path)
    v1 = config(engine, "dev", 1)
    v2 = config(engine, "dev", 2)
    ids = {
        "a": add_run(engine, day=0, arms=[("baseline", v1, 0.0)], n_tasks=120, repeats=4, seed=1, analysis=PLAN),
        "b": add_run(engine, day=1, arms=[("baseline", v1, 0.0)], n_tasks=120, repeats=4, seed=2, analysis=PLAN),
        "c": add_run(engine, day=2, arms=[("baseline", v2, -2.0)], n_tasks=120, repeats=4, seed=3, analysis=PLAN),
        "d": add_run(engine, day=3, arms=[("baseline", v1, 0.0)], n_tasks=120, repeats=4, seed=4, analysis=PLAN),
    }
    return tmp_path / "history.db", engine, ids


def cli(path, *args) -> int:
    return main([*args, "--db", str(path)])


def test_first_run_has_no_reference_and_is_accepted(db, capsys):
    path, _, ids = db
    assert cli(path, "check", str(ids["a"])) == 0
    assert "no reference" in capsys.readouterr().out


def test_latency_guardrail_is_ok_and_a_big_drop_regresses(db, capsys):
    path, _, ids = db
    assert cli(path, "check", str(ids["b"]), "--against", str(ids["a"]), "--metric", "latency_s",
               "--format", "json") == 0
    out = json.loads(capsys.readouterr().out)
    (row,) = out["results"]
    assert row["name"] == "baseline/development/latency_s" and row["verdict"] == "ok"
    # Run c: pass rate drops by ~0.35 (logit -2): regressed, exit 1.
    assert cli(path, "check", str(ids["c"]), "--against", str(ids["a"]), "--format", "junit") == 1
    xml = capsys.readouterr().out
    suite = ET.fromstring(xml).find("testsuite")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"baseline/development/pass_rate", "baseline/development/latency_s"}
    assert cases["baseline/development/pass_rate"].find("failure") is not None
    assert cases["baseline/development/latency_s"].find("failure") is None
    assert suite.get("failures") == "1"


def test_github_annotations(db, capsys):
    path, _, ids = db
    assert cli(path, "check", str(ids["c"]), "--against", str(ids["a"]), "--format", "github") == 1
    lines = capsys.readouterr().out.splitlines()
    assert any(l.startswith("::error title=tamma-bench baseline/development/pass_rate::") for l in lines)
    assert lines[-1].startswith("::notice title=tamma-bench check::")


def test_last_accepted_skips_a_regression_until_it_is_acknowledged(db, capsys):
    path, engine, ids = db
    assert cli(path, "check", str(ids["a"])) == 0  # accepted: nothing to compare with
    capsys.readouterr()
    assert cli(path, "check", str(ids["c"]), "--format", "json") == 1
    assert json.loads(capsys.readouterr().out)["against"] == f"last-accepted run {ids['a']}"
    assert cli(path, "check", str(ids["d"]), "--format", "json") == 0  # c regressed: not accepted
    assert json.loads(capsys.readouterr().out)["against"] == f"last-accepted run {ids['a']}"
    assert cli(path, "check", "--ack", str(ids["c"]), "--reason", "new model is cheaper", "--expires", "2999-01-01") == 0
    capsys.readouterr()
    assert cli(path, "check", str(ids["d"]), "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["against"] == f"last-accepted run {ids['c']}"
    with Session(engine) as session:
        (event,) = session.exec(select(AuditEvent).where(AuditEvent.action == "check.ack")).all()
    assert event.subject == f"run:{ids['c']}" and event.reason == "new model is cheaper"
    assert "2999-01-01" in event.details_json
    from tamma_tui.store.audit import verify_chain

    assert verify_chain(engine).ok  # it joined the hash-chained log
    # The history shows the acknowledgement as an event.
    assert cli(path, "history", "dev", "--metric", "pass_rate", "--format", "json") == 0
    view = json.loads(capsys.readouterr().out)
    assert any(e["kind"] == "ack" for e in view["events"])


@pytest.mark.parametrize("args, field", [
    (["check", "999"], "RUN"),
    (["check", "1", "--against", "yesterday"], "--against"),
    (["check", "1", "--metric", "speed"], "--metric"),
    (["check", "--ack", "1", "--reason", "x"], "--ack"),
    (["check", "--ack", "1", "--reason", "x", "--expires", "2001-01-01"], "--expires"),
    (["check", "--ack", "1", "--reason", "x", "--expires", "soon"], "--expires"),
    (["history", "nobody"], "AGENT"),
    (["compare", "1"], "RUN"),
])
def test_bad_input_is_one_line_and_exit_2(db, capsys, args, field):
    path, _, _ = db
    assert cli(path, *args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and field in err[0]


def test_exit_status_of_the_real_command(db):
    path, _, ids = db
    cmd = [sys.executable, "-m", "tamma_tui.cli", "check", str(ids["c"]), "--against", str(ids["a"]), "--db", str(path)]
    assert subprocess.run(cmd, capture_output=True).returncode == 1
    cmd[4] = str(ids["b"])  # b against a on latency: ok
    done = subprocess.run([*cmd, "--metric", "latency_s"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_compare_two_runs_and_two_windows(db, capsys):
    path, _, ids = db
    assert cli(path, "compare", str(ids["a"]), str(ids["c"]), "--format", "json") == 0
    view = json.loads(capsys.readouterr().out)
    row = next(r for r in view["rows"] if r["metric"] == "pass_rate")
    assert row["estimate"] < -0.2 and row["verdict"] == "regressed" and row["n_tasks"] == 120
    assert cli(path, "compare", "--agent", "dev", "--since", "2026-11-03", "--until", "2026-11-05",
               "--format", "json") == 0
    view = json.loads(capsys.readouterr().out)
    assert view["runs_a"] == 2 and view["runs_b"] == 2


def test_one_arm_import_is_a_history_point(tmp_path, capsys):
    path = tmp_path / "imp.db"
    for night in range(3):
        csv = tmp_path / f"night{night}.csv"
        lines = ["arm,task_id,context,repeat,passed,score,latency_s,cost_usd,prompt_tokens,completion_tokens"]
        lines += [f"nightly-bot,t{k},development,0,{int((k + night) % 3 != 0)},1,1.0,0.01,10,10" for k in range(30)]
        csv.write_text("\n".join(lines) + "\n")
        assert main(["import", str(csv), "--db", str(path)]) == 0
    capsys.readouterr()
    assert main(["history", "nightly-bot", "--metric", "pass_rate", "--format", "json", "--db", str(path)]) == 0
    view = json.loads(capsys.readouterr().out)
    assert len(view["series"][0]["points"]) == 3
    assert main(["history", "nightly-bot", "--tasks", "--db", str(path)]) == 0
    assert "flip rate" in capsys.readouterr().out


def test_against_history_pools_the_current_level(tmp_path, capsys):
    engine = new_db(tmp_path)
    v1 = config(engine, "dev", 1)
    for day in range(8):
        add_run(engine, day=day, arms=[("baseline", v1, -1.5 if day < 4 else 0.0)], n_tasks=60, repeats=2, seed=day)
    bad = add_run(engine, day=9, arms=[("baseline", v1, -1.5)], n_tasks=60, repeats=2, seed=99)
    path = tmp_path / "history.db"
    assert cli(path, "check", str(bad), "--against", "history", "--format", "json") == 1
    out = json.loads(capsys.readouterr().out)
    # The level since the step on day 4 is the reference, not the older, worse runs.
    assert out["against"].startswith("history (4 runs since run 5)")
    (row,) = out["results"]
    assert row["verdict"] == "regressed"
    assert row["history"]["where"] == "below (worse)"


def test_pinned_arm_tells_drift_from_a_config_regression_and_is_not_gated(tmp_path, capsys):
    engine = new_db(tmp_path)
    v1, v2 = config(engine, "dev", 1), config(engine, "dev", 2)
    ref = add_run(engine, day=0, arms=[("baseline", v1, 0.0), ("pinned", v1, 0.0)], n_tasks=120, repeats=4, seed=1)
    drift = add_run(engine, day=1, arms=[("baseline", v1, -2.0), ("pinned", v1, -2.0)], n_tasks=120, repeats=4, seed=2)
    own = add_run(engine, day=2, arms=[("baseline", v2, -2.0), ("pinned", v1, 0.0)], n_tasks=120, repeats=4, seed=3)
    path = tmp_path / "history.db"
    assert cli(path, "check", str(drift), "--against", str(ref), "--metric", "pass_rate", "--format", "json") == 1
    out = json.loads(capsys.readouterr().out)
    rows = {r["arm"]: r for r in out["results"]}
    assert rows["baseline"]["cause"] == "drift" and rows["pinned"]["gated"] is False
    assert any("drift" in n for n in out["notes"])
    assert cli(path, "check", str(own), "--against", str(ref), "--metric", "pass_rate", "--format", "junit") == 1
    suite = ET.fromstring(capsys.readouterr().out).find("testsuite")
    assert suite.get("failures") == "1"
    assert "regressed (config)" in suite.find("testcase/failure").text


def test_arm_pairing_prefers_hash_then_name_and_pinned_by_name():
    from tamma_tui.history.check import pair_arms

    ref = [{"name": "baseline", "config_sha256": "h1"}, {"name": "terse", "config_sha256": "h2"},
           {"name": "pinned", "config_sha256": "h1"}]
    now = [{"name": "pinned", "config_sha256": "h1"}, {"name": "renamed", "config_sha256": "h2"},
           {"name": "baseline", "config_sha256": "h9"}, {"name": "new", "config_sha256": "h7"}]
    assert sorted(pair_arms(now, ref)) == [("baseline", "baseline"), ("pinned", "pinned"), ("renamed", "terse")]


def test_running_run_is_refused_and_suite_version_change_is_noted(tmp_path, capsys):
    from tamma_tui.store import repo

    engine = new_db(tmp_path)
    v1 = config(engine, "dev", 1)
    a = add_run(engine, day=0, arms=[("baseline", v1, 0.0)], n_tasks=30, suite_version="v1")
    b = add_run(engine, day=1, arms=[("baseline", v1, 0.0)], n_tasks=30, suite_version="v2")
    path = tmp_path / "history.db"
    assert cli(path, "check", str(b), "--against", str(a)) == 0
    assert "another version of the suite" in capsys.readouterr().out
    repo.update_run(engine, b, status="running")
    assert cli(path, "check", str(b)) == 2
    assert "still running" in capsys.readouterr().err

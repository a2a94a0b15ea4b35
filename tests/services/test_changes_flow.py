"""Change requests end to end on real parts: the simulated model server over HTTP, a real
tamma.config.json, a real SQLite file and Tamma's API served on 127.0.0.1. Propose a run's
variant, approve, apply, verify (a guardrail fails -> rolled back by itself), roll back, and
prove the audit trail intact."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tamma_tui.cli import main
from tests.integration.tamma_api_server import running_tamma_api
from tests.simserver_fixture import running_sim_server

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_configs" / "tamma" / "tamma.config.json"
EXPERIMENT = """
name: reviewer-canary-test
suite: tamma-core
contexts: [code_review]
max_tasks: 4
baseline: {tamma_config: tamma.config.json, role: reviewer}
variants:
  - name: short
    overrides: {parameters: {max_tokens: 30}}
  - name: cool
    overrides: {parameters: {temperature: 0.2}}
analysis:
  primary_metric: cost_usd
  guardrails: [{metric: pass_rate, margin: 0.05}]
"""


@pytest.fixture(scope="module")
def sim_url():
    with running_sim_server() as url:
        yield url


@pytest.fixture(scope="module")
def evidence_db(tmp_path_factory, sim_url):
    """One benchmark run of the reviewer role, copied for each test."""
    from tamma_tui.services.experiments import run_experiment
    from tamma_tui.store.db import open_database

    folder = tmp_path_factory.mktemp("evidence")
    doc = json.loads(SAMPLE.read_text())
    doc["roles"]["reviewer"]["providerChain"][0]["config"]["baseUrl"] = sim_url
    (folder / "tamma.config.json").write_text(json.dumps(doc, indent=2) + "\n")
    (folder / "exp.yaml").write_text(EXPERIMENT)
    outcome = run_experiment(folder / "exp.yaml", db=open_database(folder / "bench.db"))
    assert outcome.status == "completed"
    with sqlite3.connect(folder / "bench.db") as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder, outcome.run_id


@pytest.fixture()
def work(tmp_path, evidence_db):
    folder, run_id = evidence_db
    shutil.copy(folder / "bench.db", tmp_path / "bench.db")
    shutil.copy(folder / "tamma.config.json", tmp_path / "tamma.config.json")
    return tmp_path, run_id


def cli(work_dir: Path, *args: str) -> int:
    return main([*args, "--db", str(work_dir / "bench.db")])


def json_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


KEYS = {"id", "state", "store", "target", "run_id", "variant", "base_sha256", "proposed_sha256"}


def test_propose_approve_apply_verify_rolls_back_by_itself(work, capsys):
    folder, run_id = work
    config = folder / "tamma.config.json"
    original = config.read_bytes()
    store = f"tamma-file:{config}"
    assert cli(folder, "changes", "propose", str(run_id), "--variant", "short", "--store", store, "--actor", "ana") == 0
    out = capsys.readouterr().out.splitlines()
    change_id = int(out[-1])  # the new id is the last line
    assert '+            "maxTokens": 30' in out
    assert cli(folder, "changes", "show", str(change_id), "--json") == 0
    shown = json_lines(capsys)[0]
    assert KEYS <= set(shown) and shown["state"] == "proposed" and shown["target"] == "reviewer"
    assert shown["evidence"]["measured_on_live"] and shown["evidence"]["guardrails"][0]["metric"] == "pass_rate"

    assert cli(folder, "changes", "apply", str(change_id)) == 2  # not approved yet
    assert cli(folder, "changes", "approve", str(change_id), "--reason", "cheaper reviews", "--json",
               "--actor", "bo") == 0
    assert json_lines(capsys)[-1]["state"] == "approved"
    assert cli(folder, "changes", "apply", str(change_id), "--json") == 0
    applied = json_lines(capsys)[-1]
    assert applied["state"] == "applied"
    new_text = config.read_text()
    assert [l for l in new_text.splitlines() if l not in original.decode().splitlines()] == [
        '            "temperature": 0.7,', '            "maxTokens": 30']

    # the canary: tiny answers fail the pass_rate guardrail -> rolled back by itself, exit 1
    assert cli(folder, "changes", "verify", str(change_id), "--json", "--max-tasks", "6") == 1
    verified = json_lines(capsys)[-1]
    assert verified["state"] == "rolled_back" and verified["verdict"] == "failed"
    assert "pass_rate" in verified["reason"] and verified["rollback_id"] > change_id
    assert config.read_bytes() == original

    assert cli(folder, "changes", "history", "reviewer", "--json") == 0
    history = json_lines(capsys)
    assert [(c["id"], c["state"]) for c in history] == [(change_id, "rolled_back"), (verified["rollback_id"], "applied")]
    assert cli(folder, "audit", "verify") == 0
    assert "events checked" in capsys.readouterr().out
    assert cli(folder, "audit", "export", "--format", "jsonl") == 0
    actions = [json.loads(l)["action"] for l in capsys.readouterr().out.splitlines()]
    assert actions == ["change.propose", "change.approve", "change.apply", "change.verify",
                       "change.rollback", "change.rolled_back"]


def test_drift_supersedes_and_is_refused(work, capsys):
    folder, run_id = work
    config = folder / "tamma.config.json"
    assert cli(folder, "changes", "propose", str(run_id), "--variant", "cool", "--store", f"tamma-file:{config}") == 0
    change_id = int(capsys.readouterr().out.splitlines()[-1])
    doc = json.loads(config.read_text())
    doc["roles"]["reviewer"]["allowedTools"] = ["Read"]
    config.write_text(json.dumps(doc, indent=2) + "\n")
    assert cli(folder, "changes", "approve", str(change_id), "--reason", "ok") == 2
    err = capsys.readouterr().err
    assert "drift" in err and "roles.reviewer.allowedTools" in err and "\n" == err[-1] and err.count("\n") == 1
    assert cli(folder, "changes", "list", "--json") == 0
    assert json_lines(capsys)[0]["state"] == "superseded"


def test_approval_is_bound_to_the_exact_change(work, capsys):
    folder, run_id = work
    config = folder / "tamma.config.json"
    assert cli(folder, "changes", "propose", str(run_id), "--variant", "cool", "--store", f"tamma-file:{config}") == 0
    change_id = int(capsys.readouterr().out.splitlines()[-1])
    assert cli(folder, "changes", "approve", str(change_id), "--reason", "ok") == 0
    with sqlite3.connect(folder / "bench.db") as con:  # someone edits the approved change
        con.execute("UPDATE change_request SET ops_json = ? WHERE id = ?",
                    (json.dumps([{"path": "parameters.temperature", "value": 1.9}]), change_id))
    before = config.read_bytes()
    assert cli(folder, "changes", "apply", str(change_id)) == 2
    assert "approval is revoked" in capsys.readouterr().err
    assert config.read_bytes() == before
    assert cli(folder, "changes", "show", str(change_id), "--json") == 0
    assert json_lines(capsys)[0]["state"] == "proposed"


def test_evidence_on_another_config_needs_force(work, capsys):
    folder, run_id = work
    config = folder / "tamma.config.json"
    doc = json.loads(config.read_text())
    doc["roles"]["reviewer"]["systemPrompt"] = "A different live prompt."
    config.write_text(json.dumps(doc, indent=2) + "\n")
    assert cli(folder, "changes", "propose", str(run_id), "--variant", "cool", "--store", f"tamma-file:{config}") == 0
    change_id = int(capsys.readouterr().out.splitlines()[-1])
    assert cli(folder, "changes", "approve", str(change_id), "--reason", "ok") == 2
    assert "--force" in capsys.readouterr().err
    assert cli(folder, "changes", "approve", str(change_id), "--reason", "prompt change is unrelated",
               "--force", "--json") == 0
    approved = json_lines(capsys)[-1]
    assert approved["state"] == "approved" and approved["forced"] is True


def test_reject_needs_a_reason_and_ends_the_change(work, capsys):
    folder, run_id = work
    config = folder / "tamma.config.json"
    assert cli(folder, "changes", "propose", str(run_id), "--variant", "cool", "--store", f"tamma-file:{config}") == 0
    change_id = int(capsys.readouterr().out.splitlines()[-1])
    with pytest.raises(SystemExit) as info:
        cli(folder, "changes", "reject", str(change_id))
    assert info.value.code == 2
    assert cli(folder, "changes", "reject", str(change_id), "--reason", "  ") == 2
    assert cli(folder, "changes", "reject", str(change_id), "--reason", "not now", "--json") == 0
    assert json_lines(capsys)[-1]["state"] == "rejected"
    assert cli(folder, "changes", "approve", str(change_id), "--reason", "changed my mind") == 2


def test_apply_to_tamma_api_and_roll_back(work, capsys, monkeypatch):
    folder, run_id = work
    doc = json.loads((folder / "tamma.config.json").read_text())
    monkeypatch.setenv("TAMMA_API_TOKEN", "tok-abcdef-123456")
    with running_tamma_api(doc, token="tok-abcdef-123456") as (url, api):
        store = f"tamma-api:{url}"
        assert cli(folder, "changes", "propose", str(run_id), "--variant", "cool", "--store", store) == 0
        change_id = int(capsys.readouterr().out.splitlines()[-1])
        assert cli(folder, "changes", "approve", str(change_id), "--reason", "steadier reviews") == 0
        assert cli(folder, "changes", "apply", str(change_id)) == 0
        assert api.document["roles"]["reviewer"]["providerChain"][0]["config"]["temperature"] == 0.2
        capsys.readouterr()
        assert cli(folder, "changes", "rollback", str(change_id), "--reason", "team prefers the old one") == 0
        back_id = int(capsys.readouterr().out.splitlines()[-1])
        assert back_id == change_id + 1 and api.document == doc
        assert cli(folder, "changes", "rollback", str(change_id), "--reason", "again") == 2
    assert cli(folder, "audit", "export") == 0
    exported = capsys.readouterr().out
    assert "tok-abcdef-123456" not in exported and exported.count("\n") == 5
    assert cli(folder, "audit", "verify") == 0


def test_dir_store_keeps_tamma_spelling(tmp_path, sim_url, capsys):
    """A spec AgentConfig in a dir: store: the change is written in Tamma's camelCase."""
    from tamma_tui.services.experiments import run_experiment
    from tamma_tui.store.db import open_database

    agents = tmp_path / "agents"
    agents.mkdir()
    spec = json.loads((ROOT / "tests" / "config" / "fixtures" / "tamma_agent_config.json").read_text())
    spec.update(provider="openai", model="sim-medium", base_url=sim_url, api_key_env=None)
    spec["capabilities"]["supportsTools"] = False
    (agents / "reviewer-1.json").write_text(json.dumps(spec, indent=2) + "\n")
    original = (agents / "reviewer-1.json").read_text()
    (tmp_path / "exp.yaml").write_text(
        "name: dir-test\nsuite: tamma-core\ncontexts: [code_review]\nmax_tasks: 3\n"
        "baseline: agents/reviewer-1.json\n"
        "variants:\n  - name: longer\n    overrides: {parameters: {maxTokens: 3000}}\n")
    engine = open_database(tmp_path / "bench.db")
    run_id = run_experiment(tmp_path / "exp.yaml", db=engine).run_id
    assert cli(tmp_path, "changes", "propose", str(run_id), "--variant", "longer", "--store", f"dir:{agents}") == 0
    change_id = int(capsys.readouterr().out.splitlines()[-1])
    assert cli(tmp_path, "changes", "approve", str(change_id), "--reason", "room to answer") == 0
    assert cli(tmp_path, "changes", "apply", str(change_id)) == 0
    written = (agents / "reviewer-1.json").read_text()
    assert written == original.replace('"maxTokens": 1500', '"maxTokens": 3000')
    assert cli(tmp_path, "changes", "history", "reviewer-1", "--json") == 0
    assert [c["state"] for c in json_lines(capsys)] == ["applied"]

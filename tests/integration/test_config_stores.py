"""The three config stores: byte-equal round trips, diffs that are exactly the change,
drift refused with the fields that moved, inline secrets refused, and Tamma's REST API over
real HTTP on 127.0.0.1 (validation, 400s, bearer token, read-back)."""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path

import pytest

from tamma_tui.errors import BadInput, DriftError, Refused, StoreError
from tamma_tui.integration.stores import open_store
from tests.integration.tamma_api_server import running_tamma_api

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_configs" / "tamma" / "tamma.config.json"
SPEC_A = ROOT / "tests" / "config" / "fixtures" / "tamma_agent_config.json"


def changed_lines(before: str, after: str) -> list[str]:
    return [l for l in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if l[:1] in "+-" and not l.startswith(("+++", "---"))]


@pytest.fixture()
def tamma_file(tmp_path) -> Path:
    path = tmp_path / "tamma.config.json"
    shutil.copy(SAMPLE, path)
    return path


def test_tamma_file_round_trip_is_byte_equal(tamma_file):
    store = open_store(f"tamma-file:{tamma_file}")
    before = tamma_file.read_bytes()
    live = store.read("reviewer")
    assert store.plan(live, []) == live.text
    store.write("reviewer", live.text, base=live)
    assert tamma_file.read_bytes() == before


def test_dir_round_trip_is_byte_equal_and_camel_case_is_kept(tmp_path):
    shutil.copy(SPEC_A, tmp_path / "reviewer-1.json")
    store = open_store(f"dir:{tmp_path}")
    live = store.read("reviewer-1")
    before = live.text
    store.write("reviewer-1", store.plan(live, []), base=live)
    assert (tmp_path / "reviewer-1.json").read_text() == before
    new = store.plan(live, [{"path": "parameters.max_tokens", "value": 900},
                            {"path": "context.window_tokens", "value": 100000}])
    assert sorted(changed_lines(before, new)) == sorted([
        '-  "parameters": {"temperature": 0.2, "maxTokens": 1500, "topP": 0.9, "frequencyPenalty": 0.1, "presencePenalty": 0},',
        '+  "parameters": {"temperature": 0.2, "maxTokens": 900, "topP": 0.9, "frequencyPenalty": 0.1, "presencePenalty": 0},',
        '-  "capabilities": {"supportedTasks": ["code-review"], "contextWindowTokens": 200000, "maxOutputTokens": 8192, "supportsStreaming": true, "supportsTools": true, "averageLatency": 900, "costPerToken": 0.000003},',
        '+  "capabilities": {"supportedTasks": ["code-review"], "contextWindowTokens": 100000, "maxOutputTokens": 8192, "supportsStreaming": true, "supportsTools": true, "averageLatency": 900, "costPerToken": 0.000003},',
    ])
    after = store.write("reviewer-1", new, base=live)
    assert after.agent["parameters"]["max_tokens"] == 900 and after.agent["context"]["window_tokens"] == 100000
    assert after.agent["agentId"] == "reviewer-1"
    assert json.loads((tmp_path / "reviewer-1.json").read_text())["updatedAt"] == "2025-02-01T00:00:00Z"


def test_role_change_lands_where_tamma_keeps_it(tamma_file):
    store = open_store(f"tamma-file:{tamma_file}")
    live = store.read("reviewer")
    new = store.plan(live, [{"path": "parameters.max_tokens", "value": 300},
                            {"path": "systemPrompt", "value": "Be terse."}])
    assert changed_lines(live.text, new) == [
        '-            "temperature": 0.7',
        '+            "temperature": 0.7,',
        '+            "maxTokens": 300',
        '-      "systemPrompt": "You review pull requests for Tamma. Report every defect you find with its severity and the line it is on."',
        '+      "systemPrompt": "Be terse."',
    ]
    resolved = store.resolve_text("reviewer", new)
    assert resolved["parameters"]["max_tokens"] == 300 and resolved["systemPrompt"] == "Be terse."


def test_provider_prompt_goes_back_to_its_source_and_inherited_chain_is_refused(tamma_file):
    doc = json.loads(tamma_file.read_text())
    doc["roles"]["tester"] = {"providerPrompts": {"anthropic": "Write tests."}}
    tamma_file.write_text(json.dumps(doc, indent=2) + "\n")
    store = open_store(f"tamma-file:{tamma_file}")
    live = store.read("tester")
    assert live.meta["prompt_path"] == ["roles", "tester", "providerPrompts", "anthropic"]
    new = json.loads(store.plan(live, [{"path": "systemPrompt", "value": "Write small tests."}]))
    assert new["roles"]["tester"] == {"providerPrompts": {"anthropic": "Write small tests."}}
    with pytest.raises(Refused, match="inherits from defaults"):
        store.plan(live, [{"path": "parameters.temperature", "value": 0.1}])
    with pytest.raises(Refused, match="cannot hold 'pricing.input_per_mtok'"):
        store.plan(live, [{"path": "pricing.input_per_mtok", "value": 1.0}])


def test_drift_is_refused_with_the_fields_that_moved(tamma_file):
    store = open_store(f"tamma-file:{tamma_file}")
    live = store.read("reviewer")
    new = store.plan(live, [{"path": "systemPrompt", "value": "x"}])
    doc = json.loads(tamma_file.read_text())
    doc["defaults"]["maxBudgetUsd"] = 7
    tamma_file.write_text(json.dumps(doc, indent=2))
    moved = tamma_file.read_bytes()
    with pytest.raises(DriftError, match="defaults.maxBudgetUsd"):
        store.write("reviewer", new, base=live)
    assert tamma_file.read_bytes() == moved


@pytest.mark.parametrize("patch, field", [
    ({"apiKey": "sk-ant-0123456789abcdef"}, "defaults.providerChain[0].apiKey"),
    ({"config": {"baseUrl": "https://me:pw@example.test/v1"}}, "defaults.providerChain[0].config.baseUrl"),
])
def test_inline_secrets_are_refused(tamma_file, patch, field):
    doc = json.loads(tamma_file.read_text())
    doc["defaults"]["providerChain"][0].update(patch)
    tamma_file.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as info:
        open_store(f"tamma-file:{tamma_file}").read("reviewer")
    message = str(info.value)
    assert f": {field}: refused" in message and "pw@" not in message and "0123456789" not in message


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["defaults"].update(providerChain=[]), "defaults.providerChain"),
    (lambda d: d["defaults"]["providerChain"][0].update(provider="Bad Name"), "defaults.providerChain[0].provider"),
    (lambda d: d["roles"]["reviewer"].update(maxBudgetUsd=101), "roles.reviewer.maxBudgetUsd"),
    (lambda d: d["roles"].update({"__proto__": {}}), "roles.__proto__"),
])
def test_tamma_validation_rules_are_one_line_errors(tamma_file, mutate, field):
    from tamma_tui.cli import main

    doc = json.loads(tamma_file.read_text())
    mutate(doc)
    tamma_file.write_text(json.dumps(doc))
    with pytest.raises(BadInput) as info:
        open_store(f"tamma-file:{tamma_file}").read("reviewer")
    assert str(info.value).startswith(f"{tamma_file}: {field}: ")
    assert main(["configs", "import", str(tamma_file), "--role", "reviewer"]) == 2


def test_configs_import_prints_the_resolved_role(capsys):
    from tamma_tui.cli import main

    assert main(["configs", "import", str(SAMPLE), "--role", "reviewer", "--json"]) == 0
    agent = json.loads(capsys.readouterr().out)
    assert agent["agentId"] == f"tamma:reviewer@tamma-file:{SAMPLE}"
    assert (agent["provider"], agent["model"], agent["parameters"]["temperature"]) == ("openai", "sim-medium", 0.7)
    assert agent["systemPrompt"].startswith("You review pull requests")
    assert main(["configs", "import", str(SAMPLE), "--role", "implementer", "--json"]) == 0
    implementer = json.loads(capsys.readouterr().out)  # defaults < role
    assert implementer["provider"] == "anthropic" and implementer["capabilities"]["maxBudgetUsd"] == 10
    assert implementer["systemPrompt"].startswith("You are a careful engineer")


def test_api_store_over_http(monkeypatch):
    doc = json.loads(SAMPLE.read_text())
    monkeypatch.setenv("TAMMA_API_TOKEN", "s3cret-token-value")
    with running_tamma_api(doc, token="s3cret-token-value") as (url, api):
        store = open_store(f"tamma-api:{url}")
        live = store.read("reviewer")
        assert live.agent_id == f"tamma:reviewer@tamma-api:{url}"
        new = store.plan(live, [{"path": "parameters.temperature", "value": 0.3}])
        after = store.write("reviewer", new, base=live)
        assert api.document["roles"]["reviewer"]["providerChain"][0]["config"]["temperature"] == 0.3
        assert after.agent["parameters"]["temperature"] == 0.3
        assert all(h.get("Authorization") == "Bearer s3cret-token-value" for _, _, h in api.requests)
        # drift: someone else saved through Tamma's prompts endpoint
        import httpx

        httpx.put(f"{url}/api/config/prompts/reviewer", json={"systemPrompt": "changed elsewhere"},
                  headers={"Authorization": "Bearer s3cret-token-value"})
        with pytest.raises(DriftError, match="roles.reviewer.systemPrompt"):
            store.write("reviewer", store.plan(after, [{"path": "parameters.temperature", "value": 0.4}]), base=after)
        # a read-back that differs is undone
        live = store.read("reviewer")
        kept = json.dumps(api.document, sort_keys=True)
        api.corrupt_next_put = True
        with pytest.raises(StoreError, match="read-back differs"):
            store.write("reviewer", store.plan(live, [{"path": "parameters.temperature", "value": 0.5}]), base=live)
        assert json.dumps(api.document, sort_keys=True) == kept


def test_api_400_and_401_leave_the_store_as_it_was(monkeypatch):
    doc = json.loads(SAMPLE.read_text())
    with running_tamma_api(doc, token="right") as (url, api):
        monkeypatch.setenv("TAMMA_API_TOKEN", "wrong-token-1234")
        with pytest.raises(StoreError, match="401") as info:
            open_store(f"tamma-api:{url}").read("reviewer")
        assert "wrong-token-1234" not in str(info.value)
        monkeypatch.setenv("TAMMA_API_TOKEN", "right")
        store = open_store(f"tamma-api:{url}")
        store.read("reviewer")
        kept = json.dumps(api.document, sort_keys=True)
        # the server's own validation answers 400 {"error"}; we refuse before sending when we can
        from tamma_tui.integration import stores

        with pytest.raises(BadInput, match="400: defaults: maxBudgetUsd must be within 0-100"):
            store._request("PUT", {**doc, "defaults": {**doc["defaults"], "maxBudgetUsd": 500}})
        assert json.dumps(api.document, sort_keys=True) == kept
        assert stores.TammaApiStore is type(store)


def test_store_specs_are_checked():
    with pytest.raises(BadInput, match="unknown store kind"):
        open_store("s3:bucket")
    with pytest.raises(BadInput, match="credentials"):
        open_store("tamma-api:http://u:p@127.0.0.1:1")

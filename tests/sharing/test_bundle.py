"""The bundle is built by allowlist: rules, canaries, suites, pseudonyms."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from datetime import datetime, timezone

import pytest

from tamma_tui.errors import Refused
from tamma_tui.services import sharing as svc
from tamma_tui.sharing.bundle import count_bucket, snap_pow2, temperature_bucket
from tamma_tui.sharing.families import model_family, model_size_bucket
from tamma_tui.sharing.paths import sharing_dir
from tamma_tui.sharing.pseudonyms import SECRET_NAME, config_pseudonym, install_secret
from tamma_tui.store.db import open_database

from .helpers import CANARIES, agent, make_run


def test_preview_holds_only_allowed_fields_and_no_canary(tmp_path):
    run_id = make_run(tmp_path / "t.db")
    result = svc.preview(open_database(tmp_path / "t.db"), run_id)
    text = json.dumps(result.bundle)
    for canary in CANARIES:
        assert canary not in text
    for forbidden in ("acme", "424242", "13:37", "sk-", "/home", "llm.", "baseline"):
        assert forbidden not in text.lower()
    assert set(result.bundle) == {"schema", "tool_version", "suite", "run_day", "configs"}
    assert result.bundle["suite"]["id"] == "tamma-core"
    assert len(result.bundle["run_day"]) == 10  # day precision only
    cfg = result.bundle["configs"][0]
    assert cfg["model_family"] == "qwen" and cfg["model_size"] == "4-9B"
    dev = cfg["contexts"]["development"]
    assert dev["latency_s"] == 4.0 and dev["prompt_tokens"] == 1024 and dev["completion_tokens"] == 256
    assert dev["pass_rate"] == round(dev["pass_rate"], 2)
    # Preview rows cover every leaf of the bundle, each with its rule.
    paths = {p for p, _, rule in result.rows if rule}
    assert "configs[0].contexts.development.pass_rate" in paths and len(result.rows) > 20


def test_fields_narrow_the_bundle(tmp_path):
    run_id = make_run(tmp_path / "t.db")
    bundle = svc.preview(open_database(tmp_path / "t.db"), run_id, ["pass_rate"]).bundle
    assert bundle["configs"][0]["contexts"]["testing"] == {"pass_rate": 0.92}
    assert "temperature" not in bundle["configs"][0] and "tools" not in bundle["configs"][0]


def test_coarsening_rules():
    assert snap_pow2(3.3, 2 ** -6, 2 ** 12) == 4.0
    assert snap_pow2(1e9, 2 ** -6, 2 ** 12) == 4096.0 and snap_pow2(1e-9, 2 ** -6, 2 ** 12) == 2 ** -6
    assert snap_pow2(0.0, 2 ** -20, 16, keep_zero=True) == 0.0
    assert temperature_bucket(0) == "0" and temperature_bucket(0.2) == "0-0.3" and temperature_bucket(1.5) == ">1.0"
    assert count_bucket(36, (1, 10, 50, 200, 1000)) == "10-49" and count_bucket(5000, (1, 10, 50)) == "50+"
    assert count_bucket(0, (1, 4, 11)) == "0"


@pytest.mark.parametrize("model,family", [
    ("qwen2.5-coder:7b", "qwen"), ("gpt-4o-mini", "gpt"), ("claude-3-5-sonnet-latest", "claude"),
    ("ft:gpt-4o-mini:acme-corp::abc123", "fine-tuned"), ("acme-llama-3-finetuned", "fine-tuned"),
    ("meta-llama/Llama-3.1-70B-Instruct", "llama"), ("acme-secret-model", "other"), ("sim-small", "simulated"),
])
def test_model_families(model, family):
    assert model_family(model) == family


def test_model_size_bucket():
    assert model_size_bucket("Llama-3.1-70B") == ">40B" and model_size_bucket("gpt-4o") == "unknown"


def test_a_custom_suite_is_refused_with_the_reason(tmp_path):
    suite = tmp_path / "mine.jsonl"
    suite.write_text(json.dumps({"id": "q1", "context": "development", "prompt": "2+2?", "expected": "4"}) + "\n")
    run_id = make_run(tmp_path / "t.db", suite=str(suite))
    with pytest.raises(Refused) as exc:
        svc.preview(open_database(tmp_path / "t.db"), run_id)
    assert "custom suite" in str(exc.value) and "never shared" in str(exc.value)


def test_a_documented_suite_is_matched_by_content_hash(tmp_path, monkeypatch):
    from tamma_tui.sharing import public_suites
    from tamma_tui.suites.registry import load_suite

    suite = tmp_path / "humaneval-copy.jsonl"
    suite.write_text(json.dumps({"id": "q1", "context": "development", "prompt": "2+2?", "expected": "4"}) + "\n")
    digest = public_suites.suite_content_hash(load_suite(str(suite)).tasks)
    monkeypatch.setattr(public_suites, "documented_suites", lambda: {digest: "humaneval"})
    assert public_suites.resolve_public_suite(str(suite)).id == "humaneval"
    suite.write_text(json.dumps({"id": "q1", "context": "development", "prompt": "2+3?", "expected": "5"}) + "\n")
    from tamma_tui.suites.registry import clear_cache

    clear_cache()
    with pytest.raises(Refused):
        public_suites.resolve_public_suite(str(suite))


def test_pseudonyms_are_keyed_128_bit_and_differ_across_installs(tmp_path, monkeypatch):
    doc = agent("base").model_dump(mode="json")
    first = config_pseudonym(doc)
    assert first == config_pseudonym(doc) and len(first) == 32
    secret = sharing_dir() / SECRET_NAME
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600 and len(secret.read_bytes()) == 32
    monkeypatch.setenv("TAMMA_BENCH_SHARING_DIR", str(tmp_path / "other-install"))
    second = config_pseudonym(doc)
    assert second != first
    plain = {hashlib.sha256(s.encode()).hexdigest()[:32] for s in
             (doc["name"], doc["agentId"], json.dumps(doc, sort_keys=True, separators=(",", ":")))}
    assert not plain & {first, second}
    assert install_secret() == install_secret()


def test_run_day_is_day_precision(tmp_path):
    from tamma_tui.sharing.bundle import ArmInput, build_bundle
    from tamma_tui.sharing.public_suites import PublicSuite

    bundle = build_bundle(suite=PublicSuite("tamma-core", "x"), run_created=datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc),
                          arms=[ArmInput(agent("a").model_dump(mode="json"), "gpt-4o", {})])
    assert bundle["run_day"] == "2026-03-04"

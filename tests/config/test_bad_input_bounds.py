"""Issue 11 §6: hostile or mistyped configs give one line (BadInput), never a traceback."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tamma_tui.config.loader import load_agent_config, load_experiment, read_mapping
from tamma_tui.errors import BadInput

AGENT = {"agentId": "a", "provider": "simulated", "model": "m"}


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _experiment(tmp_path, **fields):
    _write(tmp_path, "base.yaml", yaml.safe_dump(AGENT))
    spec = {"name": "e", "baseline": "base.yaml", **fields}
    return _write(tmp_path, "exp.yaml", yaml.safe_dump(spec))


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "a: " + "[" * 5000 + "]" * 5000,
                                  "a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200))
                                  + "  " * 200 + "x: 1\n"])
def test_deep_yaml_nesting_is_one_line(tmp_path, text):
    path = _write(tmp_path, "deep.yaml", text)
    with pytest.raises(BadInput) as err:
        read_mapping(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_deep_json_nesting_is_one_line(tmp_path):
    path = _write(tmp_path, "deep.json", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(BadInput, match="nested deeper"):
        read_mapping(path)


@pytest.mark.parametrize("field,value,word", [
    ("seed", 2**64, "seed"), ("seed", -(2**64), "seed"),
    ("trials", 10_000_000_000, "trials"), ("trials", "1e10", "trials"),
    ("concurrency", 10**9, "concurrency"), ("max_tasks", 2**64, "max_tasks"),
])
def test_experiment_counts_are_bounded(tmp_path, field, value, word):
    path = _experiment(tmp_path, **{field: value})
    with pytest.raises(BadInput) as err:
        load_experiment(path)
    assert err.value.field == word and "\n" not in str(err.value)


def test_window_tokens_2_pow_64_is_refused(tmp_path):
    path = _write(tmp_path, "a.yaml", yaml.safe_dump({**AGENT, "context": {"window_tokens": 2**64}}))
    with pytest.raises(BadInput) as err:
        load_agent_config(path)
    assert err.value.field == "context.window_tokens"
    assert "10000000" in str(err.value)


def test_base_url_credentials_refused_and_not_echoed(tmp_path):
    cfg = {**AGENT, "provider": "openai", "base_url": "https://alice:s3cr3t-pw@llm.example/v1"}
    path = _write(tmp_path, "a.yaml", yaml.safe_dump(cfg))
    with pytest.raises(BadInput) as err:
        load_agent_config(path)
    assert err.value.field == "base_url"
    assert "s3cr3t-pw" not in str(err.value)


def test_sane_values_still_load(tmp_path):
    loaded = load_experiment(_experiment(tmp_path, seed=2**63 - 1, trials=10_000))
    assert loaded.spec.seed == 2**63 - 1


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.dictionaries(st.sampled_from(["agentId", "provider", "model", "context", "parameters",
                                              "base_url", "timeout_s", "command", "pricing", "x"]),
                            _json_values, max_size=6))
def test_fuzz_agent_config_never_tracebacks(tmp_path, data):
    path = tmp_path / "fuzz.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    try:
        load_agent_config(path)
    except BadInput as exc:
        assert "\n" not in str(exc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_fuzz_yaml_bytes_never_traceback(tmp_path, raw):
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(raw)
    try:
        read_mapping(path)
    except BadInput as exc:
        assert "\n" not in str(exc)

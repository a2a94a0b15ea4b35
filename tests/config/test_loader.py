"""Config and experiment loading: precise errors, canonical form, hashing, variants."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tamma_tui.config import BadInput, canonical_yaml, config_sha256, load_agent_config, load_experiment
from tamma_tui.config.models import AgentConfig

SAMPLES = Path(__file__).resolve().parents[2] / "sample_configs"

BASE = {
    "agentId": "a",
    "provider": "simulated",
    "model": "sim-small",
    "systemPrompt": "be careful",
    "parameters": {"temperature": 0.2, "max_tokens": 512},
}


def write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "patch, field, reason",
    [
        ({"parameters": {"temperature": 7}}, "parameters.temperature", "must be between 0 and 2, got 7"),
        ({"provider": "nope"}, "provider", "got 'nope'"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"timeout_s": "soon"}, "timeout_s", "valid number"),
        ({"context": {"window_tokens": -1}}, "context.window_tokens", "greater than 0"),
        ({"parameters": {"max_tokens": 0}}, "parameters.max_tokens", "positive integer"),
        ({"provider": "command"}, "(top level)", "command: required"),
    ],
)
def test_agent_config_errors_name_file_field_and_reason(tmp_path, patch, field, reason):
    path = write(tmp_path, "agent.yaml", {**BASE, **patch})
    with pytest.raises(BadInput) as info:
        load_agent_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {field}: ")
    assert reason in message
    assert "\n" not in message


def test_missing_required_field(tmp_path):
    data = dict(BASE)
    del data["model"]
    with pytest.raises(BadInput, match=r"agent.yaml: model: required field is missing"):
        load_agent_config(write(tmp_path, "agent.yaml", data))


def test_malformed_yaml_names_line(tmp_path):
    path = write(tmp_path, "bad.yaml", "agentId: [unclosed\nprovider: simulated\n")
    with pytest.raises(BadInput, match=r"bad.yaml: line \d+, column \d+: malformed YAML"):
        load_agent_config(path)


def test_top_level_must_be_mapping(tmp_path):
    with pytest.raises(BadInput, match="expected a mapping"):
        load_agent_config(write(tmp_path, "list.yaml", "- a\n- b\n"))


def test_canonical_form_is_order_independent_and_hash_changes_with_content(tmp_path):
    a = load_agent_config(write(tmp_path, "a.yaml", BASE))
    reordered = dict(reversed(list(BASE.items())))
    b = load_agent_config(write(tmp_path, "b.yaml", reordered))
    assert config_sha256(a) == config_sha256(b)
    assert canonical_yaml(a) == canonical_yaml(b)
    c = load_agent_config(write(tmp_path, "c.yaml", {**BASE, "parameters": {"temperature": 0.3}}))
    assert config_sha256(c) != config_sha256(a)
    # Defaults are filled in, so writing a default explicitly changes nothing.
    d = load_agent_config(write(tmp_path, "d.yaml", {**BASE, "timeout_s": 120}))
    assert config_sha256(d) == config_sha256(a)


def test_canonical_yaml_round_trips():
    config = load_agent_config(SAMPLES / "agents" / "baseline.yaml")
    again = AgentConfig.model_validate(yaml.safe_load(canonical_yaml(config)))
    assert again == config
    assert config_sha256(again) == config_sha256(config)


def test_experiment_resolves_config_and_override_variants(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    write(tmp_path, "other.yaml", {**BASE, "model": "sim-large"})
    exp_path = write(
        tmp_path,
        "exp.yaml",
        {
            "name": "e",
            "baseline": "base.yaml",
            "variants": [
                {"name": "big", "config": "other.yaml"},
                {"name": "cool", "overrides": {"parameters": {"temperature": 0.0}}},
            ],
        },
    )
    exp = load_experiment(exp_path)
    assert [a.name for a in exp.arms] == ["baseline", "big", "cool"]
    assert exp.arms[0].baseline and not exp.arms[1].baseline
    assert exp.arms[1].config.model == "sim-large"
    cool = exp.arms[2].config
    assert cool.parameters.temperature == 0.0
    assert cool.parameters.max_tokens == 512  # deep merge keeps the rest of the baseline
    assert len({a.sha256 for a in exp.arms}) == 3


def test_experiment_errors(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    bad_trials = write(tmp_path, "e1.yaml", {"name": "e", "baseline": "base.yaml", "trials": -1})
    with pytest.raises(BadInput, match=r"e1.yaml: trials: .*greater than or equal to 1"):
        load_experiment(bad_trials)
    missing = write(tmp_path, "e2.yaml", {"name": "e", "baseline": "nope.yaml"})
    with pytest.raises(BadInput, match=r"e2.yaml: baseline: baseline config not found"):
        load_experiment(missing)
    bad_override = write(
        tmp_path,
        "e3.yaml",
        {"name": "e", "baseline": "base.yaml", "variants": [{"name": "v", "overrides": {"parameters": {"top_p": 3}}}]},
    )
    with pytest.raises(BadInput, match=r"variants\[0\]\.overrides\): parameters.top_p: must be between 0 and 1"):
        load_experiment(bad_override)
    dup = write(
        tmp_path,
        "e4.yaml",
        {"name": "e", "baseline": "base.yaml", "variants": [{"name": "v", "overrides": {}}, {"name": "v", "overrides": {}}]},
    )
    with pytest.raises(BadInput, match="duplicate names"):
        load_experiment(dup)


def test_command_paths_resolve_from_the_config_file(tmp_path):
    (tmp_path / "agents").mkdir()
    path = write(tmp_path / "agents", "cmd.yaml", {**BASE, "provider": "command", "command": ["./agent.py", "--fast"]})
    config = load_agent_config(path)
    assert config.command == [str((tmp_path / "agents" / "agent.py").resolve()), "--fast"]


def test_all_sample_configs_load():
    for path in sorted((SAMPLES / "agents").glob("*.yaml")):
        load_agent_config(path)
    for path in sorted((SAMPLES / "experiments").glob("*.yaml")):
        assert len(load_experiment(path).arms) >= 2

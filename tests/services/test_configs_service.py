"""`configs validate` on experiments: task count and the underpowered warning."""

from __future__ import annotations

from pathlib import Path

import yaml

from tamma_tui.analysis.planning import pass_rate_tasks_needed
from tamma_tui.services.configs import validate_file

BASELINE = Path(__file__).resolve().parents[2] / "sample_configs" / "agents" / "baseline.yaml"


def _experiment(tmp_path: Path, mde: float | None) -> Path:
    analysis = {"primary_metric": "pass_rate"} | ({"mde": mde} if mde else {})
    path = tmp_path / "exp.yaml"
    path.write_text(yaml.safe_dump({
        "name": "e", "suite": "tamma-match", "trials": 1, "baseline": str(BASELINE),
        "variants": [{"name": "hot", "overrides": {"parameters": {"temperature": 1.0}}}],
        "analysis": analysis,
    }))
    return path


def test_underpowered_experiment_is_warned(tmp_path):
    verdict = validate_file(_experiment(tmp_path, 0.05))
    first, warning = verdict.splitlines()
    assert ": ok: experiment 'e' on 36 tasks" in first
    needed = pass_rate_tasks_needed(0.6, 0.05, 1)
    assert "warning: underpowered: 36 tasks are too few" in warning and f"{needed} are needed" in warning


def test_no_warning_without_an_mde_or_when_powered(tmp_path):
    assert ": warning:" not in validate_file(_experiment(tmp_path, None))
    assert ": warning:" not in validate_file(_experiment(tmp_path, 0.9))

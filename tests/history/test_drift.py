"""Drift vs config regression with the simulated agent: nightly single-arm runs with a pinned
config; first the provider drifts (both arms drop), then, separately, the config changes
(only the current arm drops)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tamma_tui.services import history
from tamma_tui.services.experiments import run_experiment
from tamma_tui.store.db import open_database

AGENTS = Path(__file__).resolve().parents[2] / "sample_configs" / "agents"
RUNS_BEFORE, RUNS_AFTER = 8, 8


def _setup(tmp_path: Path) -> Path:
    shutil.copy(AGENTS / "baseline.yaml", tmp_path / "base.yaml")
    text = (tmp_path / "base.yaml").read_text()
    (tmp_path / "worse.yaml").write_text(text.replace("version: 1", "version: 2").replace("model: sim-medium", "model: sim-small"))
    return tmp_path


def _nightly(tmp_path: Path, engine, seed: int, baseline: str) -> int:
    exp = tmp_path / f"nightly-{seed}.yaml"
    exp.write_text(f"name: nightly\nsuite: tamma-match\ncontexts: [development, code_review]\ntrials: 2\n"
                   f"seed: {seed}\nconcurrency: 32\nbaseline: {baseline}\npinned: base.yaml\n")
    return run_experiment(exp, db=engine).run_id


def _history(tmp_path: Path, monkeypatch, *, drift: bool) -> dict:
    _setup(tmp_path)
    engine = open_database(tmp_path / "h.db")
    for i in range(RUNS_BEFORE + RUNS_AFTER):
        after = i >= RUNS_BEFORE
        if drift:
            monkeypatch.setenv("TAMMA_SIM_DRIFT", "-1.6" if after else "0")
        _nightly(tmp_path, engine, 100 + i, "worse.yaml" if (after and not drift) else "base.yaml")
    return history.agent_history(engine, "tamma-dev", metric="pass_rate", context="all")


def _the_change(view: dict) -> dict:
    (series,) = view["series"]
    assert len(series["points"]) == RUNS_BEFORE + RUNS_AFTER
    decisive = [cp for cp in series["change_points"] if cp["verdict"] != "inconclusive"]
    assert decisive, series["change_points"]
    cp = decisive[0]
    assert abs(cp["index"] - RUNS_BEFORE) <= 1
    assert cp["verdict"] == "regressed"
    return cp


def test_provider_drift_moves_the_pinned_config_too(tmp_path, monkeypatch):
    view = _history(tmp_path, monkeypatch, drift=True)
    cp = _the_change(view)
    assert cp["cause"] == "drift" and cp["pinned_magnitude"] < 0
    assert not cp["config_changed"]
    assert view["series"][0]["badge"] == "drift"


def test_config_change_moves_only_the_current_config(tmp_path, monkeypatch):
    monkeypatch.delenv("TAMMA_SIM_DRIFT", raising=False)
    view = _history(tmp_path, monkeypatch, drift=False)
    cp = _the_change(view)
    assert cp["cause"] == "config" and cp["pinned_magnitude"] is None
    assert cp["config_changed"] and cp["version_after"] == "2"
    assert view["series"][0]["badge"] == "regressed"
    assert any(e["kind"] == "version" and "version 2" in e["text"] for e in view["events"])


def test_bad_drift_value_is_refused(monkeypatch):
    from tamma_tui.providers.simulated.simulator import provider_drift

    monkeypatch.setenv("TAMMA_SIM_DRIFT", "lots")
    with pytest.raises(ValueError, match="TAMMA_SIM_DRIFT"):
        provider_drift()


def test_predicted_vs_realised_on_a_simulated_applied_change(tmp_path, monkeypatch):
    """An A/B run predicts what moving to sim-large gains; the change is applied; nightly
    runs before and after it realise a gain inside the predicted interval."""
    from datetime import timedelta

    import numpy as np

    from tamma_tui.history.effectiveness import AppliedChange
    from tamma_tui.services.history import _tables
    from tamma_tui.stats import paired_t
    from tamma_tui.store import repo

    monkeypatch.delenv("TAMMA_SIM_DRIFT", raising=False)
    _setup(tmp_path)
    text = (tmp_path / "base.yaml").read_text()
    (tmp_path / "large.yaml").write_text(text.replace("version: 1", "version: 3").replace("model: sim-medium", "model: sim-large"))
    engine = open_database(tmp_path / "h.db")
    nights = [_nightly(tmp_path, engine, 200 + i, "base.yaml") for i in range(5)]
    ab = tmp_path / "ab.yaml"
    ab.write_text("name: ab\nsuite: tamma-match\ncontexts: [development, code_review]\ntrials: 3\nseed: 5\n"
                  "baseline: base.yaml\nvariants:\n  - {name: large, config: large.yaml}\n")
    ab_run = run_experiment(ab, db=engine).run_id
    tables = _tables(engine, [(ab_run, "baseline"), (ab_run, "large")], ["pass_rate"])
    base, large = (tables[(ab_run, arm)]["pass_rate"] for arm in ("baseline", "large"))
    tasks = [(ctx, t) for ctx in base for t in base[ctx]]
    evidence = paired_t(np.array([base[c][t][0] for c, t in tasks]), np.array([large[c][t][0] for c, t in tasks]))
    applied_at = repo.get_run(engine, ab_run).created_at + timedelta(microseconds=1)
    nights += [_nightly(tmp_path, engine, 300 + i, "large.yaml") for i in range(5)]
    change = AppliedChange("cr-large", "tamma-dev", applied_at, "recommend", "pass_rate", "all",
                           evidence.estimate, evidence.ci_low, evidence.ci_high)
    view = history.effectiveness_of(engine, "tamma-dev", changes_applied=[change])
    (row,) = view["changes"]
    assert row["n_before"] == 6 and row["n_after"] == 5  # the A/B's baseline arm is a history point too
    assert evidence.ci_low > 0 and row["verdict"] == "delivered"
    # What the nightly runs realised lies inside what the A/B predicted.
    assert evidence.ci_low < row["realised"] < evidence.ci_high and row["realised_low"] > 0
    (source,) = view["by_source"]
    assert 0.5 < source["ratio"] < 1.5

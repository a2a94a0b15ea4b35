"""Power lines and the underpowered-experiment warning, checked against the stats functions."""

from __future__ import annotations

import math

from tamma_tui.analysis.planning import check_power, power_line
from tamma_tui.config.models import ExperimentSpec
from tamma_tui.stats.power import (
    paired_means_sample_size,
    paired_proportions_mde,
    paired_proportions_sample_size,
    repeated_trials_mde,
    repeated_trials_sample_size,
)


def _spec(**analysis) -> ExperimentSpec:
    trials = analysis.pop("trials", 3)
    return ExperimentSpec(name="e", baseline="b.yaml", trials=trials, analysis=analysis)


def test_power_line_states_the_detectable_change():
    mde = repeated_trials_mde(0.6, 72, 3)
    line = power_line(72, 3)
    assert line.startswith("with 72 tasks x 3 trials you can detect a")
    assert line.endswith(f" {mde * 100:.0f}-point change in pass rate at 80% power")
    one = paired_proportions_mde(0.5, 200, alpha=0.01, power=0.9)
    line = power_line(200, 1, baseline_rate=0.5, alpha=0.01, power=0.9)
    assert line.startswith("with 200 tasks x 1 trial you can detect")
    assert f"{one * 100:.0f}-point" in line and line.endswith("at 90% power")


def test_power_line_when_nothing_is_detectable():
    assert power_line(3, 1, baseline_rate=0.95) == (
        "with 3 tasks x 1 trial no change in pass rate is detectable at 80% power")
    assert math.isnan(paired_proportions_mde(0.95, 3))


def test_check_power_warns_only_when_underpowered():
    spec = _spec(mde=0.1, trials=3)
    needed = repeated_trials_sample_size(0.6, 0.1, 3)
    warning = check_power(spec, needed - 1)
    assert warning is not None and warning.startswith("underpowered:")
    assert f"{needed} are needed" in warning and "10-point change in pass rate" in warning
    assert check_power(spec, needed) is None
    assert check_power(_spec(), 5) is None  # no stated MDE: nothing to check


def test_check_power_one_trial_uses_mcnemar_and_other_metrics_use_d_z():
    needed = paired_proportions_sample_size(0.6, 0.15)
    assert f"{needed} are needed" in check_power(_spec(mde=0.15, trials=1), 10)
    assert check_power(_spec(mde=0.15, trials=1), needed) is None
    score_needed = paired_means_sample_size(0.3)
    warning = check_power(_spec(mde=0.3, primary_metric="score"), 20)
    assert f"{score_needed} are needed" in warning and "d_z = 0.3 on score" in warning


def test_power_line_from_a_spec_uses_its_plan_and_warns_when_short():
    spec = _spec(mde=0.1, trials=2, alpha=0.01, power=0.9)
    needed = repeated_trials_sample_size(0.6, 0.1, 2, alpha=0.01, power=0.9)
    assert power_line(spec=spec, n_tasks=needed - 1).startswith("underpowered:")
    line = power_line(spec=spec, n_tasks=needed)
    mde = repeated_trials_mde(0.6, needed, 2, alpha=0.01, power=0.9)
    assert line.startswith(f"with {needed} tasks x 2 trials you can detect")
    assert line.endswith(f" {mde * 100:.0f}-point change in pass rate at 90% power")
    assert power_line(spec=_spec(), n_tasks=1) == "with 1 task no change is detectable"

"""Predicted vs realised on a simulated applied change, the winner's-curse ratio, a rollback
suggestion, and per-task flip rates."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tamma_tui.history.effectiveness import AppliedChange
from tamma_tui.history.flaky import flaky_share, task_stability
from tamma_tui.services import history

from .history_helpers import T0, add_run, config, new_db


@pytest.fixture()
def applied(tmp_path):
    """10 runs at logit 0, a change applied on day 10 that lifts the agent by +0.8 logit,
    10 runs after; a second change on day 20 that hurts by -1.2."""
    engine = new_db(tmp_path)
    v1, v2, v3 = (config(engine, "dev", v) for v in (1, 2, 3))
    for day in range(30):
        sha, shift = (v1, 0.0) if day < 10 else ((v2, 0.8) if day < 20 else (v3, -0.4))
        add_run(engine, day=day, arms=[("baseline", sha, shift)], n_tasks=60, repeats=3, seed=day)
    changes = [
        AppliedChange("cr-1", "dev", T0 + timedelta(days=9, hours=12), "tune", "pass_rate", "all", 0.30, 0.20, 0.40),
        AppliedChange("cr-2", "dev", T0 + timedelta(days=19, hours=12), "recommend", "pass_rate", "all", 0.05, 0.0, 0.10),
    ]
    return engine, changes


def test_predicted_vs_realised_and_rollback(applied):
    engine, changes = applied
    view = history.effectiveness_of(engine, "dev", changes_applied=changes)
    rows = {r["change_id"]: r for r in view["changes"]}
    first, second = rows["cr-1"], rows["cr-2"]
    # +0.8 logit on these tasks is about +0.15 pass rate: delivered, but short of the +0.30 predicted.
    assert first["verdict"] in ("delivered", "fell short") and 0.08 < first["realised"] < 0.25
    assert first["realised_low"] > 0 and first["realised_high"] < first["predicted_low"]
    assert not first["suggest_rollback"]
    assert second["verdict"] == "regressed" and second["realised"] < 0 and second["suggest_rollback"]
    ratios = {s["source"]: s for s in view["by_source"]}
    assert 0 < ratios["tune"]["ratio"] < 1  # the tuner's evidence overstated its gain
    assert ratios["recommend"]["ratio"] < 0


def test_rolled_back_change_is_not_suggested_again(applied):
    engine, changes = applied
    rolled = [AppliedChange(**{**c.__dict__, "rolled_back_at": T0 + timedelta(days=25)}) if c.change_id == "cr-2" else c
              for c in changes]
    view = history.effectiveness_of(engine, "dev", changes_applied=rolled)
    second = next(r for r in view["changes"] if r["change_id"] == "cr-2")
    assert not second["suggest_rollback"] and second["n_after"] == 5
    events = history.agent_history(engine, "dev", metric="pass_rate", changes_applied=rolled)["events"]
    assert [e["kind"] for e in events if e.get("change_id") == "cr-2"] == ["applied", "rollback"]


def test_flip_rates():
    outcomes = []
    for run in range(4):
        for rep in range(2):
            outcomes.append((run, "b", "development", "stable", rep, 1))
            outcomes.append((run, "b", "development", "flaky", rep, (run + rep) % 2))
            outcomes.append((run, "b", "development", "broken", rep, 0))
    config_of = {(run, "b"): "sha" for run in range(4)}
    rows = {r.task_id: r for r in task_stability(outcomes, config_of)}
    # 0 1 | 1 0 | 0 1 | 1 0: four flips in seven successive pairs
    assert rows["flaky"].flip_rate == pytest.approx(4 / 7) and rows["flaky"].flaky and rows["flaky"].pass_rate == 0.5
    assert rows["stable"].flip_rate == 0 and not rows["stable"].flaky
    assert rows["broken"].flips == 0
    assert task_stability(outcomes, config_of)[0].task_id == "flaky"


def test_flips_across_configs_do_not_count():
    outcomes = [(0, "b", "testing", "t", 0, 1), (1, "b", "testing", "t", 0, 0), (2, "b", "testing", "t", 0, 1)]
    rows = task_stability(outcomes, {(0, "b"): "v1", (1, "b"): "v2", (2, "b"): "v3"})
    assert rows[0].flips == 0


def test_flaky_share_of_a_difference():
    share = flaky_share({"a": -1.0, "b": 0.0, "c": -0.5, "d": 0.0}, {"a"})
    assert share == {"flaky_tasks": 1, "difference_from_flaky": -0.25, "difference_total": -0.375}


def test_history_and_check_suggest_rolling_back_the_change_behind_a_regression(applied, monkeypatch, tmp_path):
    from tamma_tui.services import check

    engine, changes = applied
    view = history.agent_history(engine, "dev", metric="pass_rate", context="all", changes_applied=changes)
    (series,) = view["series"]
    regressed = [cp for cp in series["change_points"] if cp["verdict"] == "regressed"]
    assert regressed and regressed[-1]["suggest_rollback"] == "cr-2"
    # The gate names it too (the adapter stands in for store/changes.py until it lands).
    monkeypatch.setattr(history, "applied_changes", lambda engine, agent: changes)
    outcome = check.check_run(engine, 30, against="19", record=False)
    assert outcome["verdict"] == "regressed" and outcome["suggest_rollback"] == "cr-2"


def test_flip_counts_in_sql_equal_the_python_definition(tmp_path):
    """store.history.task_flip_counts (a window in SQL) agrees with flaky.task_stability."""
    from tamma_tui.store import history as store_history

    engine = new_db(tmp_path)
    v1, v2 = config(engine, "dev", 1), config(engine, "dev", 2)
    run_arms = []
    for day in range(6):
        rid = add_run(engine, day=day, arms=[("baseline", v1 if day < 3 else v2, 0.0)], n_tasks=25, repeats=3,
                      seed=day, contexts=("development", "testing"))
        run_arms.append((rid, "baseline"))
    outcomes = store_history.task_outcomes(engine, run_arms)
    config_of = {(rid, "baseline"): (v1 if i < 3 else v2) for i, (rid, _) in enumerate(run_arms)}
    expected = task_stability(outcomes, config_of)
    from tamma_tui.history.flaky import stability_from_counts

    got = stability_from_counts(store_history.task_flip_counts(engine, run_arms))
    assert got == expected and any(s.flaky for s in got)


def test_applied_change_requests_are_read_from_the_change_store(applied):
    """The real adapter: a change request applied (audit "change.apply") and rolled back."""
    import json

    from sqlmodel import Session, select

    from tamma_tui.store.audit import append_event
    from tamma_tui.store.changes import ChangeRequest
    from tamma_tui.store.models import AuditEvent

    engine, _ = applied
    evidence = {"primary_metric": "pass_rate", "context": "all", "variant": "v2", "run_id": 3,
                "effect": {"diff": 0.3, "ci_low": 0.2, "ci_high": 0.4}}
    with Session(engine) as session:
        cr = ChangeRequest(kind="change", state="rolled_back", store="dir:/agents", target="dev", agent_id="dev",
                           evidence_json=json.dumps(evidence))
        session.add(cr)
        session.commit()
        change_id = cr.id
    append_event(engine, actor="t", action="change.apply", subject=f"change:{change_id}")
    append_event(engine, actor="t", action="change.rolled_back", subject=f"change:{change_id}")
    with Session(engine) as session:  # place the events on the synthetic history's time line
        for event in session.exec(select(AuditEvent)).all():
            event.at = T0 + timedelta(days=9, hours=12) if event.action == "change.apply" else T0 + timedelta(days=15)
            session.add(event)
        session.commit()
    view = history.effectiveness_of(engine, "dev")
    (row,) = view["changes"]
    assert row["change_id"] == str(change_id) and row["predicted"] == 0.3 and row["source"] == "benchmark winner"
    assert row["n_after"] == 5 and row["rolled_back_at"].startswith("2026-11-16")
    assert row["realised"] > 0

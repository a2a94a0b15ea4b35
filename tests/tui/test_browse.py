"""The app's read-only view-models, checked against the stored trials computed another way."""

from __future__ import annotations

import pytest

from tamma_tui.config.errors import BadInput
from tamma_tui.services import browse
from tamma_tui.store.queries import load_trials_frame


def test_recent_runs_newest_first_with_counts(seeded):
    engine, ids = seeded
    runs = browse.recent_runs(engine)
    assert [r.id for r in runs] == [ids["terse-vs-baseline-3"], ids["terse-vs-baseline-2"], ids["terse-vs-baseline"]]
    first = runs[-1]
    assert (first.done, first.total, first.errors) == (72, 72, 1)
    assert first.arms == ("baseline", "terse")
    assert first.created == "2026-11-02 10:30"


def test_run_detail_and_progress_agree_with_the_trials(seeded):
    engine, ids = seeded
    run_id = ids["terse-vs-baseline"]
    detail = browse.run_detail(engine, run_id)
    assert detail.baseline == "baseline" and detail.contexts == ("development", "code_review", "testing")
    assert detail.analysis["primary_metric"] == "pass_rate"
    frame = load_trials_frame(engine, run_id)
    for p in browse.run_progress(engine, run_id):
        part = frame[(frame.arm == p.arm) & (frame.context == p.context)]
        assert p.n == len(part)
        assert p.passed == int((part.passed == 1).sum())
        assert p.graded == int(part.passed.notna().sum())
        assert p.errors == int((part.status != "ok").sum())
    with pytest.raises(BadInput):
        browse.run_detail(engine, 999)


def test_trial_table_is_in_insertion_order(seeded):
    engine, ids = seeded
    table = browse.trial_table(engine, ids["terse-vs-baseline"])
    assert len(table) == 72 and table.columns == browse.TRIAL_COLUMNS
    assert table.rows[0][:4] == ("baseline", "dev-000", "development", 0)
    assert table.rows[-1][:2] == ("terse", "tes-011")


def test_discordant_tasks_match_a_pandas_pairing(seeded):
    engine, ids = seeded
    run_id = ids["terse-vs-baseline"]
    frame = load_trials_frame(engine, run_id)
    graded = frame[frame.passed.notna()]
    rates = graded.groupby(["task_id", "arm"], observed=True).passed.mean().unstack()
    both = rates.dropna()
    expected = set(both[both["baseline"] != both["terse"]].index)
    found = browse.discordant_tasks(engine, run_id, "terse")
    assert {d.task_id for d in found} == expected
    assert all(d.variant_pass == 1.0 and d.baseline_pass == 0.0 for d in found)
    review = browse.discordant_tasks(engine, run_id, "terse", context="code_review")
    assert review and all(d.context == "code_review" for d in review)


def test_task_answers_keep_arm_order_and_pretty_grades(seeded):
    engine, ids = seeded
    answers = browse.task_answers(engine, ids["terse-vs-baseline"], "dev-003", ["terse", "baseline"])
    assert [a.arm for a in answers] == ["terse", "baseline"]
    assert answers[0].passed is True and answers[1].passed is False
    assert '"tests_passed": 4' in answers[0].grade_details and "\n" in answers[0].grade_details


def test_config_history_diff_and_trend(seeded):
    engine, ids = seeded
    configs = browse.list_configs(engine)
    assert [(c.agent_id, c.n_versions, c.latest_version) for c in configs] == [
        ("tamma-dev", 2, "2"), ("tamma-terse", 1, "1")]
    history = browse.config_history(engine, "tamma-dev")
    assert [(v.version, v.n_runs) for v in history] == [("1", 1), ("2", 2)]
    diff = browse.diff_versions(*history)
    assert "-systemPrompt: Be careful." in diff and "+version: 2" in diff
    trend = browse.config_trend(engine, "tamma-dev")
    assert [p.run_id for p in trend] == [ids["terse-vs-baseline"], ids["terse-vs-baseline-2"], ids["terse-vs-baseline-3"]]
    frame = load_trials_frame(engine, ids["terse-vs-baseline"])
    base = frame[frame.arm == "baseline"]
    assert trend[0].metrics["pass_rate"] == pytest.approx(base.passed.mean())  # NaN (errors) left out
    assert trend[0].metrics["latency_s"] == pytest.approx(base.latency_s.mean())
    assert trend[0].version == "1" and trend[1].version == "2"


def test_palette_index_and_experiments(seeded):
    engine, ids = seeded
    index = browse.palette_index(engine)
    assert len(index.runs) == 3 and len(index.configs) == 2
    assert [(e.name, e.n_runs) for e in index.experiments] == [("terse-vs-baseline", 3)]
    spec, source = browse.experiment_spec_yaml(engine, ids["experiment"])
    assert spec.startswith("name: terse-vs-baseline") and source is None
    assert browse.latest_run_of_experiment(engine, ids["experiment"]) == ids["terse-vs-baseline-3"]
    assert browse.decision_line({"decision": {"winner": "terse"}}) == "winner: terse"
    assert browse.decision_line({"decision": {"winner": None}}) == "no winner"

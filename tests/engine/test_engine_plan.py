import dataclasses
from collections import Counter

import pytest
from engine_helpers import match_suite, write_experiment

from tamma_tui.config.errors import BadInput
from tamma_tui.config.loader import load_experiment
from tamma_tui.engine.plan import AA_ARM, build_plan, trial_seed


def test_plan_pairs_arms_on_the_same_tasks_and_repeats(experiment):
    plan = build_plan(experiment, match_suite(4))
    assert [a.name for a in plan.arms] == ["baseline", "cool"]
    assert plan.total == 12 * 2 * 2
    per_arm = {a: {(k.task_id, k.repeat) for k in plan.trials if k.arm == a} for a in ("baseline", "cool")}
    assert per_arm["baseline"] == per_arm["cool"] and len(per_arm["baseline"]) == 24
    assert len(set(plan.trials)) == len(plan.trials)


def test_order_is_seeded(experiment):
    a = build_plan(experiment, match_suite(4)).trials
    b = build_plan(experiment, match_suite(4)).trials
    assert a == b
    reseeded = dataclasses.replace(experiment, spec=experiment.spec.model_copy(update={"seed": 99}))
    c = build_plan(reseeded, match_suite(4)).trials
    assert sorted(a) == sorted(c) and a != c


def test_trial_seed_depends_on_task_and_repeat_not_arm():
    assert trial_seed(7, "t1", 0) == trial_seed(7, "t1", 0)
    assert len({trial_seed(7, "t1", 0), trial_seed(7, "t1", 1), trial_seed(7, "t2", 0), trial_seed(8, "t1", 0)}) == 4


def test_aa_plan_copies_the_baseline(experiment):
    plan = build_plan(experiment, match_suite(2), aa=True)
    assert [a.name for a in plan.arms] == ["baseline", AA_ARM]
    assert plan.arms[0].sha256 == plan.arms[1].sha256


def test_max_tasks_caps_each_context(experiment):
    plan = build_plan(experiment, match_suite(4), max_tasks=1)
    assert Counter(t.context for t in plan.tasks) == {"development": 1, "code_review": 1, "testing": 1}


def test_unknown_task_id_is_bad_input(tmp_path):
    exp = load_experiment(write_experiment(tmp_path, "tasks: [nope]\n"))
    with pytest.raises(BadInput) as exc:
        build_plan(exp, match_suite(2))
    assert exc.value.field == "tasks" and "nope" in exc.value.reason


def test_mixed_sessions_interleave_contexts_and_add_isolated_twins(tmp_path):
    exp = load_experiment(write_experiment(tmp_path, "session: mixed\n"))
    plan = build_plan(exp, match_suite(3))
    assert [a.name for a in plan.arms] == ["baseline", "cool", "baseline@isolated", "cool@isolated"]
    assert len(plan.sessions) == 2 * 2  # arms x repeats
    suite = match_suite(3)
    ctx = {t.id: t.context for t in suite.tasks}
    for s in plan.sessions:
        contexts = [ctx[k.task_id] for k in s.turns]
        assert contexts[:3] == ["development", "code_review", "testing"]
        assert len(s.turns) == 9 and len({k.task_id for k in s.turns}) == 9
    # Same turn order for both arms of a repeat: paired positions.
    by = {(s.arm, s.repeat): [k.task_id for k in s.turns] for s in plan.sessions}
    assert by[("baseline", 0)] == by[("cool", 0)]
    assert {k.arm for k in plan.trials} == {"baseline@isolated", "cool@isolated"}
    assert plan.total == 4 * 9 * 2

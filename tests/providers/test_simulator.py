"""The simulated agent's core: determinism and how the configuration drives outcomes."""

from __future__ import annotations

from provider_helpers import make_task

from tamma_tui.providers.simulated.simulator import (
    PROFILES,
    count_tokens,
    plan_response,
    profile_for,
    steering_logit,
)

REVIEWER = (
    "You are a meticulous security reviewer. Review the diff, report every defect with its "
    "line range and category, and rate each finding's severity. Audit error handling."
)
BALANCED = (
    "You are a careful senior Python engineer. Implement complete, runnable code and handle "
    "edge cases in every function. When reviewing code, report each defect with its severity. "
    "When writing tests, cover boundaries and typical inputs, and make sure each test would "
    "kill a mutant of the code under test."
)


def _messages(task, system=""):
    msgs = [{"role": "system", "content": system}] if system else []
    return msgs + [{"role": "user", "content": task.prompt}]


def _pass_rate(model, tasks, system="", temperature=0.2, seeds=range(4)):
    hits = n = 0
    for task in tasks:
        for seed in seeds:
            plan = plan_response(model, _messages(task, system), temperature=temperature, seed=seed, task=task)
            hits += bool(plan.correct)
            n += 1
    return hits / n


def test_same_seed_same_plan_and_different_seeds_differ(sim_tasks):
    task = sim_tasks[5]
    a = plan_response("sim-medium", _messages(task), temperature=0.7, seed=11, task=task)
    b = plan_response("sim-medium", _messages(task), temperature=0.7, seed=11, task=task)
    assert a == b
    plans = {plan_response("sim-medium", _messages(task), temperature=0.7, seed=s, task=task).answer_label
             for s in range(40)}
    assert len(plans) >= 2  # the seed does change the draw


def test_answers_come_from_the_task_bank(sim_tasks):
    task = sim_tasks[0]
    texts = {a.text for a in task.answers}
    for seed in range(30):
        plan = plan_response("sim-small", _messages(task), seed=seed, task=task)
        assert plan.text in texts
        assert plan.correct == (plan.text == task.reference.text)


def test_large_model_passes_more_often_than_small(sim_tasks):
    small = _pass_rate("sim-small", sim_tasks, BALANCED)
    medium = _pass_rate("sim-medium", sim_tasks, BALANCED)
    large = _pass_rate("sim-large", sim_tasks, BALANCED)
    assert small + 0.1 < medium < large - 0.05


def test_harder_tasks_pass_less_often(sim_tasks):
    by_difficulty = {d: [t for t in sim_tasks if t.difficulty == d] for d in ("easy", "hard")}
    assert _pass_rate("sim-medium", by_difficulty["easy"]) > _pass_rate("sim-medium", by_difficulty["hard"]) + 0.15


def test_reviewer_prompt_is_better_at_review_and_worse_at_development(sim_tasks):
    review = [t for t in sim_tasks if t.context == "code_review"]
    dev = [t for t in sim_tasks if t.context == "development"]
    assert _pass_rate("sim-medium", review, REVIEWER) > _pass_rate("sim-medium", review, BALANCED) + 0.03
    assert _pass_rate("sim-medium", dev, REVIEWER) < _pass_rate("sim-medium", dev, BALANCED) - 0.08
    assert steering_logit(REVIEWER, "code_review") > steering_logit(REVIEWER, "development")


def test_very_short_prompt_lowers_development_skill_only():
    assert steering_logit("Be brief.", "development") < steering_logit("Be brief." + " " * 300, "development")
    assert steering_logit("Be brief.", "testing") == steering_logit("Be brief." + " " * 300, "testing")


def test_temperature_spreads_and_lowers_the_mean(sim_tasks):
    task = sim_tasks[1]
    cold = [plan_response("sim-medium", _messages(task), temperature=0.0, seed=s, task=task).p_correct for s in range(200)]
    hot = [plan_response("sim-medium", _messages(task), temperature=1.5, seed=s, task=task).p_correct for s in range(200)]
    assert max(cold) - min(cold) < 1e-12  # no wobble at temperature 0
    assert max(hot) - min(hot) > 0.3
    assert sum(hot) / len(hot) < sum(cold) / len(cold)


def test_longer_system_prompt_costs_prompt_tokens(sim_tasks):
    task = sim_tasks[2]
    short = plan_response("sim-medium", _messages(task, "Be careful."), task=task)
    long = plan_response("sim-medium", _messages(task, "Be careful. " * 100), task=task)
    assert long.prompt_tokens - short.prompt_tokens == count_tokens("Be careful. " * 100) - count_tokens("Be careful.")


def test_low_max_tokens_truncates_with_finish_length(sim_tasks):
    task = sim_tasks[3]
    full = plan_response("sim-large", _messages(task), seed=1, task=task)
    cut = plan_response("sim-large", _messages(task), seed=1, task=task, max_tokens=5)
    assert full.finish_reason == "stop" and full.completion_tokens == count_tokens(full.text)
    assert cut.finish_reason == "length"
    assert cut.completion_tokens == 5
    assert full.text.startswith(cut.text) and len(cut.text) == 20


def test_latency_grows_with_output_and_scales(sim_tasks):
    task = sim_tasks[4]
    base = plan_response("sim-large", _messages(task), seed=2, task=task)
    cut = plan_response("sim-large", _messages(task), seed=2, task=task, max_tokens=2)
    assert base.total_s > cut.total_s
    scaled = plan_response("sim-large", _messages(task), seed=2, task=task, latency_scale=0.5)
    assert abs(scaled.total_s - base.total_s / 2) < 1e-9
    # Each profile's base latency sits in the documented 40-120 ms band.
    assert all(0.04 <= p.base_latency_s <= 0.12 for p in PROFILES.values())


def test_unknown_task_gets_generic_text_and_unknown_model_acts_medium():
    plan = plan_response("sim-whatever", [{"role": "user", "content": "hello there"}], seed=3)
    assert plan.correct is None and "simulated agent" in plan.text
    assert profile_for("sim-whatever") is PROFILES["sim-medium"]


def test_bank_with_only_wrong_answers_never_passes():
    task = make_task(1)
    wrong_only = type(task)(**{**task.__dict__, "answers": tuple(a for a in task.answers if not a.correct)})
    plans = [plan_response("sim-large", _messages(wrong_only), seed=s, task=wrong_only) for s in range(20)]
    assert not any(p.correct for p in plans)

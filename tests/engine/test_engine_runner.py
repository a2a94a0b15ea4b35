"""Runner unit tests with a scripted in-test provider (the sim-server tests are separate)."""

import threading

import pytest
from engine_helpers import ScriptedProvider, match_suite, write_experiment

from tamma_tui.config.loader import load_experiment
from tamma_tui.config.models import RetryPolicy
from tamma_tui.engine.events import RunFinished, RunProgress, RunStarted, TrialFinished, TrialStarted
from tamma_tui.engine.plan import build_plan
from tamma_tui.engine.runner import EngineDeps, EngineSettings, run_plan, trim_history
from tamma_tui.providers.base import CLIENT_ERROR, SERVER_ERROR, ProviderError
from tamma_tui.suites.graders import grade


def deps_for(provider, rows, events=None, **kw):
    return EngineDeps(
        make_provider=lambda cfg, conc: provider,
        grade=grade,
        render_prompt=lambda task, n: task.prompt,
        save_batch=lambda batch, cost: rows.extend(batch),
        on_event=events.append if events is not None else None,
        **kw,
    )


async def test_run_records_every_trial_with_metrics(experiment):
    plan = build_plan(experiment, match_suite(3))
    provider = ScriptedProvider(delay_s=0.01)
    rows, events = [], []
    result = await run_plan(plan, EngineSettings(run_id=1, concurrency=4), deps_for(provider, rows, events))
    assert result.status == "completed" and result.done == result.total == 36 and result.errors == 0
    assert sorted((r["arm"], r["task_id"], r["repeat"]) for r in rows) == sorted(plan.trials)
    r = rows[0]
    assert r["status"] == "ok" and r["passed"] is True and r["score"] == 1.0
    assert r["prompt_tokens"] == 100 and r["completion_tokens"] == 10
    assert r["cost_usd"] == pytest.approx((100 * 1.0 + 10 * 2.0) / 1e6)
    assert r["context_utilization"] == pytest.approx(100 / 4096) and r["context_window"] == 4096
    assert len(r["response_hash"]) == 64 and r["config_sha256"] == plan.arm(r["arm"]).sha256
    assert r["started_at"] <= r["finished_at"]
    assert result.cost_usd == pytest.approx(36 * 120 / 1e6)
    assert provider.peak_in_flight <= 4 and provider.closed
    # The system prompt comes first; seeds are paired across arms.
    assert provider.calls[0].messages[0] == {"role": "system", "content": "Be brief."}
    seeds = {}
    for call in provider.calls:
        seeds.setdefault(call.task_id, set()).add(call.seed)
    assert all(len(s) == 2 for s in seeds.values())  # one per repeat, shared by both arms
    kinds = [type(e) for e in events]
    assert kinds[0] is RunStarted and kinds[-1] is RunFinished
    assert kinds.count(TrialStarted) == 36 and kinds.count(TrialFinished) == 36
    assert RunProgress in kinds


async def test_provider_errors_become_errored_trials(experiment):
    plan = build_plan(experiment, match_suite(3))

    def script(req, n):
        if req.task_id.startswith("dev"):
            raise ProviderError(CLIENT_ERROR, "400 bad request", status=400)
        return "wrong answer" if req.task_id.startswith("tes") else None

    rows = []
    result = await run_plan(plan, EngineSettings(run_id=1), deps_for(ScriptedProvider(script=script), rows))
    assert result.status == "completed" and result.errors == 12
    assert result.errors_by_kind == {CLIENT_ERROR: 12}
    errored = [r for r in rows if r["status"] == "error"]
    assert {r["task_id"][:3] for r in errored} == {"dev"} and all(r["passed"] is None for r in errored)
    failed = [r for r in rows if r["status"] == "ok" and not r["passed"]]
    assert len(failed) == 12 and all(r["task_id"].startswith("tes") for r in failed)


async def test_retries_are_recorded_on_the_trial(experiment):
    plan = build_plan(experiment, match_suite(1))
    seen: dict[tuple, int] = {}

    def script(req, n):
        k = (req.task_id, req.seed, id(req))
        seen[k] = seen.get(k, 0) + 1
        if seen[k] < 3:
            raise ProviderError(SERVER_ERROR, "502 bad gateway", status=502)

    rows = []
    settings = EngineSettings(run_id=1, retry=RetryPolicy(base_delay_s=0.001))
    result = await run_plan(plan, settings, deps_for(ScriptedProvider(script=script), rows))
    assert result.errors == 0
    assert all(r["attempts"] == 3 and "502" in r["error_message"] for r in rows)


async def test_slow_agent_times_out(tmp_path):
    exp = load_experiment(write_experiment(tmp_path, agent="agentId: a\nprovider: simulated\nmodel: m\ntimeout_s: 0.05\n"))
    plan = build_plan(exp, match_suite(1), max_tasks=1)
    rows = []
    settings = EngineSettings(run_id=1, retry=RetryPolicy(max_attempts=2, base_delay_s=0))
    result = await run_plan(plan, settings, deps_for(ScriptedProvider(delay_s=1.0), rows))
    assert result.errors == len(rows) == plan.total
    assert all(r["status"] == "timeout" and r["error_kind"] == "timeout" and r["attempts"] == 2 for r in rows)


async def test_budget_stops_scheduling(experiment):
    plan = build_plan(experiment, match_suite(4))  # 48 trials at 120 micro-dollars each
    rows = []
    settings = EngineSettings(run_id=1, concurrency=2, budget_usd=120e-6 * 10)
    result = await run_plan(plan, settings, deps_for(ScriptedProvider(delay_s=0.005), rows))
    assert result.status == "budget_exhausted"
    # In-flight trials finish; nothing new is sent (at most `concurrency` past the cap).
    assert 10 <= len(rows) <= 10 + 2
    assert result.done == len(rows) < plan.total


async def test_prior_cost_counts_towards_the_budget(experiment):
    plan = build_plan(experiment, match_suite(2))
    rows = []
    settings = EngineSettings(run_id=1, budget_usd=1.0, prior_cost_usd=1.5)
    result = await run_plan(plan, settings, deps_for(ScriptedProvider(), rows))
    assert result.status == "budget_exhausted" and rows == []


async def test_cancel_keeps_finished_trials_and_drops_in_flight(experiment):
    plan = build_plan(experiment, match_suite(4))
    cancel = threading.Event()
    rows, events = [], []

    def on_event(e):
        events.append(e)
        if isinstance(e, TrialFinished) and sum(isinstance(x, TrialFinished) for x in events) == 8:
            cancel.set()

    deps = EngineDeps(
        make_provider=lambda c, n: ScriptedProvider(delay_s=0.02),
        grade=grade,
        render_prompt=lambda t, n: t.prompt,
        save_batch=lambda batch, cost: rows.extend(batch),
        on_event=on_event,
        cancel=cancel,
    )
    result = await run_plan(plan, EngineSettings(run_id=1, concurrency=4), deps)
    assert result.status == "cancelled"
    finished = [e for e in events if isinstance(e, TrialFinished)]
    assert 8 <= len(rows) < plan.total
    assert len(rows) == len(finished) == result.ran  # every finished trial is written
    assert len({(r["arm"], r["task_id"], r["repeat"]) for r in rows}) == len(rows)
    assert isinstance(events[-1], RunFinished) and events[-1].status == "cancelled"


async def test_resume_runs_exactly_the_missing_trials(experiment):
    plan = build_plan(experiment, match_suite(3))
    done = set(plan.trials[::3])
    provider = ScriptedProvider()
    rows = []
    result = await run_plan(plan, EngineSettings(run_id=1), deps_for(provider, rows), done_keys=done)
    got = {(r["arm"], r["task_id"], r["repeat"]) for r in rows}
    assert got == set(plan.trials) - done and len(rows) == len(got)
    assert result.done == plan.total and result.ran == len(rows)


async def test_sequential_hook_looks_after_each_flushed_block(tmp_path):
    exp = load_experiment(write_experiment(tmp_path))
    plan = build_plan(exp, match_suite(4))  # 12 tasks
    rows, looks = [], []

    def look(n_tasks):
        looks.append((n_tasks, len(rows)))  # rows visible = the block was flushed first
        return "stop_winner" if n_tasks >= 8 else "continue"

    settings = EngineSettings(run_id=1, block_tasks=4)
    result = await run_plan(plan, settings, deps_for(ScriptedProvider(), rows, look=look))
    assert looks == [(4, 4 * 4), (8, 8 * 4)]  # 4 tasks x 2 arms x 2 repeats per block
    assert result.status == "stopped_early" and len(rows) == 32
    done_tasks = {r["task_id"] for r in rows}
    assert done_tasks == {t.id for t in plan.tasks[:8]}


async def test_sequential_stop_max_completes(tmp_path):
    exp = load_experiment(write_experiment(tmp_path))
    plan = build_plan(exp, match_suite(2))
    rows = []
    result = await run_plan(plan, EngineSettings(run_id=1, block_tasks=3),
                            deps_for(ScriptedProvider(), rows, look=lambda n: "stop_max"))
    assert result.status == "completed" and len(rows) == 3 * 4


async def test_mixed_sessions_carry_history_in_order(tmp_path):
    exp = load_experiment(write_experiment(tmp_path, "session: mixed\ntrials: 1\n"))
    plan = build_plan(exp, match_suite(2))
    provider = ScriptedProvider(delay_s=0.002)
    rows = []
    result = await run_plan(plan, EngineSettings(run_id=1), deps_for(provider, rows))
    assert result.status == "completed" and len(rows) == plan.total == 2 * 6 + 2 * 6
    session_rows = [r for r in rows if r["session_position"] is not None]
    assert {r["arm"] for r in session_rows} == {"baseline", "cool"}
    # Turn k of a session sees k earlier user/assistant pairs after the system prompt.
    by_len = sorted(len(c.messages) for c in provider.calls)
    assert by_len.count(2) == 2 * 6 + 2  # isolated twins + first turns
    assert max(by_len) == 1 + 2 * 5 + 1
    positions = sorted(r["session_position"] for r in session_rows if r["arm"] == "baseline")
    assert positions == list(range(6))


def test_trim_history_drops_oldest_pairs():
    history = [{"role": r, "content": "x" * 400} for r in ("user", "assistant") * 3]
    dropped = trim_history(history, fixed_chars=400, budget_tokens=(400 * 5) // 4 + 1)
    assert dropped == 2 and len(history) == 4
    assert trim_history(history, fixed_chars=10**6, budget_tokens=10) == 4 and history == []


async def test_resumed_session_replays_the_stored_answers(tmp_path):
    exp = load_experiment(write_experiment(tmp_path, "session: mixed\ntrials: 1\nvariants: []\n"))
    plan = build_plan(exp, match_suite(2))
    session = next(s for s in plan.sessions if s.arm == "baseline")
    done = set(session.turns[:3])
    answers = {tuple(k): f"stored answer {i}" for i, k in enumerate(session.turns[:3])}
    provider = ScriptedProvider()
    rows = []
    deps = deps_for(provider, rows, load_answers=lambda: answers)
    await run_plan(plan, EngineSettings(run_id=1), deps, done_keys=done)
    first = next(c for c in provider.calls if c.task_id == session.turns[3].task_id and len(c.messages) > 2)
    replayed = [m["content"] for m in first.messages if m["role"] == "assistant"]
    assert replayed == ["stored answer 0", "stored answer 1", "stored answer 2"]
    assert {r["session_position"] for r in rows if r["arm"] == "baseline"} == {3, 4, 5}


async def test_budget_reached_by_the_last_trial_is_still_completed(experiment):
    plan = build_plan(experiment, match_suite(1))  # 12 trials at 120 micro-dollars
    rows = []
    settings = EngineSettings(run_id=1, budget_usd=120e-6 * 11.5)  # crossed by the 12th
    result = await run_plan(plan, settings, deps_for(ScriptedProvider(), rows))
    assert len(rows) == 12 and result.status == "completed"


async def test_a_failing_monitor_does_not_lose_the_run(tmp_path):
    exp = load_experiment(write_experiment(tmp_path))
    plan = build_plan(exp, match_suite(2))

    def look(n):
        raise RuntimeError("analysis bug")

    rows = []
    result = await run_plan(plan, EngineSettings(run_id=1, block_tasks=2),
                            deps_for(ScriptedProvider(), rows, look=look))
    assert result.status == "completed" and len(rows) == plan.total
    assert "sequential look failed" in result.message


async def test_flushed_cost_is_reported_after_each_write(experiment):
    plan = build_plan(experiment, match_suite(1))
    rows, reported = [], []
    settings = EngineSettings(run_id=1, prior_cost_usd=0.5, batch_size=5)

    def save_batch(batch, cost):
        rows.extend(batch)
        reported.append(cost)

    deps = deps_for(ScriptedProvider(), rows)
    deps.save_batch = save_batch
    await run_plan(plan, settings, deps)
    assert reported and reported == sorted(reported)
    assert reported[-1] == pytest.approx(0.5 + sum(r["cost_usd"] for r in rows))


async def test_session_history_is_trimmed_to_the_context_window(tmp_path):
    agent = ("agentId: a\nprovider: simulated\nmodel: m\nsystemPrompt: Be brief.\n"
             "parameters: {max_tokens: 16}\ncontext: {window_tokens: 80}\n")
    exp = load_experiment(write_experiment(tmp_path, "session: mixed\ntrials: 1\nvariants: []\n", agent=agent))
    plan = build_plan(exp, match_suite(3))
    provider = ScriptedProvider()
    rows = []
    deps = EngineDeps(make_provider=lambda c, n: provider, grade=grade,
                      render_prompt=lambda task, n: task.prompt + " " + "x" * 100,
                      save_batch=lambda batch, cost: rows.extend(batch))
    await run_plan(plan, EngineSettings(run_id=1), deps)
    session_calls = [c for c in provider.calls if len(c.messages) > 2]
    assert session_calls, "later turns carry history"
    # Budget: 80 - 16 = 64 tokens ~ 256 characters; one earlier pair (~117 characters)
    # fits beside the new prompt, two do not.
    assert max(len(c.messages) for c in provider.calls) == 1 + 2 + 1
    for c in provider.calls:
        assert sum(len(m["content"]) for m in c.messages) // 4 + 1 <= 64

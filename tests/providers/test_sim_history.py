"""The simulated agent loses quality as a conversation's history grows."""

from __future__ import annotations

from tamma_tui.providers.simulated.simulator import history_tokens, plan_response
from tamma_tui.suites.registry import load_suite


def _messages(history_turns: int, prompt: str) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": "You are careful."}]
    for _ in range(history_turns):
        messages += [{"role": "user", "content": "earlier task " * 400},
                     {"role": "assistant", "content": "earlier answer " * 300}]
    return messages + [{"role": "user", "content": prompt}]


def test_history_lowers_the_chance_of_a_correct_answer():
    task = load_suite("tamma-core").by_context("development")[0]
    fresh = plan_response("sim-medium", _messages(0, task.prompt), temperature=0.0, seed=1, task=task)
    long = plan_response("sim-medium", _messages(12, task.prompt), temperature=0.0, seed=1, task=task)
    assert history_tokens(_messages(0, task.prompt)) == 0
    assert history_tokens(_messages(12, task.prompt)) > 20_000
    assert long.p_correct < fresh.p_correct - 0.1
    # The system prompt and the current prompt are not history.
    assert history_tokens(_messages(1, task.prompt)) < history_tokens(_messages(2, task.prompt))

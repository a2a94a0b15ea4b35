"""Pure core of the simulated agent: request -> response plan (text, tokens, timing).

Everything here is deterministic for a seed: the same (model, messages, parameters, seed,
task) always gives the same plan, in any process (``random.Random`` seeded with a string
hashes it with SHA-512, independent of PYTHONHASHSEED).

How the configuration drives the outcome (all on the logit scale of P(correct answer)):
- the model name picks a skill profile per context (sim-small < sim-medium < sim-large);
- harder tasks lower the chance;
- the system prompt steers skill: review words (review, defect, security, severity, ...)
  help code review, test words (test, mutant, edge case, boundary, ...) help testing,
  implementation words (implement, code, function, edge cases, ...) help development;
  a prompt that focuses on one context costs a little in the others, and a very short
  prompt (< 200 characters) costs a little development skill;
- temperature adds noise (more spread) and has a best value per context
  (response_surface.py, the surface `tune` searches); top_p < 1 narrows the spread;
- a long conversation history (earlier turns of a multi-turn session) dilutes attention:
  the chance falls as history tokens pile up, so context switching in one long session
  costs quality that the same tasks run one per conversation do not.
- provider drift: ``$TAMMA_SIM_DRIFT`` (a logit shift, default 0) moves every model's skill
  without any change to the configuration, as a provider updating a model behind the same
  name does; history tests use it to tell drift from a config regression.
Tokens are ~ characters / 4; ``max_tokens`` below the answer's length cuts it
(finish_reason "length"); latency = base + per-output-token time, jittered by the seed.
"""

from __future__ import annotations

import functools
import math
import os
import random
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from tamma_tui.suites.model import Task

from .response_surface import temperature_logit

CONTEXT_KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "code_review": ("review", "defect", "security", "severity", "vulnerab", "finding", "audit"),
    "testing": ("test", "mutant", "edge case", "boundary", "boundaries", "assert", "coverage"),
    "development": ("implement", "code", "function", "edge cases", "runnable", "refactor"),
}
DIFFICULTY_SHIFT = {"easy": 0.9, "medium": 0.0, "hard": -1.0}
SHORT_PROMPT_CHARS = 200
HISTORY_TOKENS_SCALE = 16_000  # history tokens that cost 0.5 on the logit scale
HISTORY_PENALTY_CAP = 0.8
CHARS_PER_TOKEN = 4
DRIFT_ENV = "TAMMA_SIM_DRIFT"
MESSAGE_OVERHEAD_TOKENS = 4  # role and separators, as chat templates add


@dataclass(frozen=True)
class SkillProfile:
    """Base P(correct) per context for a medium task, and the model's speed."""

    name: str
    skill: Mapping[str, float]
    base_latency_s: float
    per_token_s: float

    def base_logit(self, context: str) -> float:
        p = self.skill.get(context, self.skill.get("match", 0.7))
        return math.log(p / (1.0 - p))


PROFILES: Mapping[str, SkillProfile] = {
    "sim-small": SkillProfile(
        "sim-small",
        {"development": 0.45, "code_review": 0.40, "testing": 0.42, "match": 0.55},
        base_latency_s=0.040,
        per_token_s=0.0004,
    ),
    "sim-medium": SkillProfile(
        "sim-medium",
        {"development": 0.65, "code_review": 0.60, "testing": 0.62, "match": 0.72},
        base_latency_s=0.070,
        per_token_s=0.0007,
    ),
    "sim-large": SkillProfile(
        "sim-large",
        {"development": 0.84, "code_review": 0.80, "testing": 0.82, "match": 0.88},
        base_latency_s=0.120,
        per_token_s=0.0012,
    ),
}


def profile_for(model: str) -> SkillProfile:
    """Known names map to their profile; any other model (sim-* or not) acts as medium."""
    return PROFILES.get(model, PROFILES["sim-medium"])


@dataclass(frozen=True)
class ResponsePlan:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str          # "stop" or "length"
    ttft_s: float               # delay before the first content token
    per_token_s: float          # delay per further output token
    answer_label: str = "generic"
    correct: bool | None = None  # None when the task (or its answer bank) is unknown
    p_correct: float | None = None

    @property
    def total_s(self) -> float:
        return self.ttft_s + self.per_token_s * max(self.completion_tokens - 1, 0)


def count_tokens(text: str) -> int:
    return -(-len(text) // CHARS_PER_TOKEN)  # ceiling division, deterministic


def prompt_token_count(messages: Sequence[Mapping[str, Any]]) -> int:
    return sum(count_tokens(str(m.get("content") or "")) + MESSAGE_OVERHEAD_TOKENS for m in messages)


def system_prompt_of(messages: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(str(m.get("content") or "") for m in messages if m.get("role") == "system")


def keyword_focus(system_prompt: str) -> dict[str, int]:
    """How strongly the prompt speaks to each context (distinct keyword hits, capped at 4)."""
    low = system_prompt.lower()
    return {ctx: min(sum(1 for k in words if k in low), 4) for ctx, words in CONTEXT_KEYWORDS.items()}


def history_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """Tokens of earlier turns: everything but the system prompt and the last user message."""
    turns = [m for m in messages if m.get("role") != "system"]
    return prompt_token_count(turns[:-1]) if len(turns) > 1 else 0


def history_logit(n_history_tokens: int) -> float:
    return -min(0.5 * n_history_tokens / HISTORY_TOKENS_SCALE, HISTORY_PENALTY_CAP)


@functools.lru_cache(maxsize=1024)  # agents send the same system prompt over and over
def steering_logit(system_prompt: str, context: str) -> float:
    """Skill shift from the system prompt for one context (see module docstring)."""
    focus = keyword_focus(system_prompt)
    own = focus.get(context, 0)
    others = sum(v for c, v in focus.items() if c != context)
    shift = 0.22 * own - 0.09 * max(others - own, 0)
    if context == "development" and len(system_prompt) < SHORT_PROMPT_CHARS:
        shift -= 0.3
    return shift


def provider_drift() -> float:
    """The simulated provider's drift (logit shift), read at call time so a server picks up
    the environment it was started with."""
    raw = os.environ.get(DRIFT_ENV)
    if not raw:
        return 0.0
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"${DRIFT_ENV} must be a number (a logit shift), got {raw!r}") from None


def probability_correct(
    profile: SkillProfile,
    task: Task,
    system_prompt: str,
    temperature: float,
    top_p: float,
    rng: random.Random,
    n_history_tokens: int = 0,
) -> float:
    context = task.context if task.context in CONTEXT_KEYWORDS else "match"
    logit = profile.base_logit(context) + history_logit(n_history_tokens) + provider_drift()
    logit += DIFFICULTY_SHIFT.get(task.difficulty, 0.0)
    if context in CONTEXT_KEYWORDS:
        logit += steering_logit(system_prompt, context)
    # Temperature: a per-trial wobble whose spread grows with temperature, and a small cost.
    spread = 1.1 * temperature * (0.5 + 0.5 * top_p)
    logit += rng.gauss(0.0, spread) + temperature_logit(context, temperature)
    return 1.0 / (1.0 + math.exp(-logit))


def generic_answer(messages: Sequence[Mapping[str, Any]], rng: random.Random) -> str:
    """An answer for prompts the simulator has no answer bank for."""
    user = next((str(m.get("content") or "") for m in reversed(messages) if m.get("role") == "user"), "")
    words = len(user.split())
    openers = ("Here is my answer.", "Understood.", "Sure.", "Let me address that.")
    return (
        f"{rng.choice(openers)} (This is the Tamma Bench simulated agent: it has no answer "
        f"bank for this prompt of {words} words, so it replies with generic text.)"
    )


def plan_response(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    temperature: float | None = None,
    top_p: float | None = None,
    max_tokens: int | None = None,
    seed: int = 0,
    task: Task | None = None,
    latency_scale: float = 1.0,
) -> ResponsePlan:
    """The simulated agent's whole answer to one request, decided up front."""
    profile = profile_for(model)
    temp = 0.7 if temperature is None else max(float(temperature), 0.0)
    tp = 1.0 if top_p is None else min(max(float(top_p), 0.0), 1.0)
    task_key = task.id if task is not None else ""
    rng = random.Random(f"tamma-sim|{model}|{seed}|{task_key}")
    system_prompt, prompt_tokens, n_history_tokens = _message_facts(messages)

    label, correct, p = "generic", None, None
    if task is not None and task.answers:
        p = probability_correct(profile, task, system_prompt, temp, tp, rng, n_history_tokens)
        wrong = [a for a in task.answers if not a.correct]
        reference = task.reference
        if reference is not None and (rng.random() < p or not wrong):
            chosen = reference
        elif wrong:
            chosen = wrong[rng.randrange(len(wrong))]
        else:  # a bank without a reference: every answer is wrong
            chosen = task.answers[0]
        text, label, correct = chosen.text, chosen.label, chosen.correct
    else:
        text = generic_answer(messages, rng)

    completion_tokens = max(count_tokens(text), 1)
    finish = "stop"
    if max_tokens is not None and max_tokens < completion_tokens:
        completion_tokens = max(int(max_tokens), 1)
        text = text[: completion_tokens * CHARS_PER_TOKEN]
        finish = "length"

    jitter = math.exp(rng.gauss(0.0, 0.15))  # ~ +-15% log-normal
    scale = max(latency_scale, 0.0)
    return ResponsePlan(
        text=text,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        finish_reason=finish,
        ttft_s=profile.base_latency_s * jitter * scale,
        per_token_s=profile.per_token_s * jitter * scale,
        answer_label=label,
        correct=correct,
        p_correct=p,
    )


# -- the hot path's helpers (the sim-server calls plan_response once per request) ---------
def _message_facts(messages: Sequence[Mapping[str, Any]]) -> tuple[str, int, int]:
    """``system_prompt_of``, ``prompt_token_count`` and ``history_tokens`` in one pass."""
    system: list[str] = []
    total = 0
    turn_tokens: list[int] = []
    for m in messages:
        content = str(m.get("content") or "")
        tokens = -(-len(content) // CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS
        total += tokens
        if m.get("role") == "system":
            system.append(content)
        else:
            turn_tokens.append(tokens)
    history = sum(turn_tokens[:-1]) if len(turn_tokens) > 1 else 0
    return "\n".join(system), total, history

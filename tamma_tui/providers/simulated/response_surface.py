"""The simulated agent's response surface: how the tunable knobs move P(correct).

This is what `tamma-bench tune` searches over, so its optimum is documented here (and in
the README) and the tuning tests check that the search finds it:

- temperature has a best value per context (``TEMPERATURE_OPTIMUM``); the logit falls
  quadratically away from it (``TEMPERATURE_CURVATURE``), and a higher temperature also
  spreads the outcome (simulator.py);
- ``maxTokens`` below an answer's length truncates it (finish_reason "length"), which fails
  the grader: the need is the longest answer of the task's bank;
- the system prompt's length costs prompt tokens (and so money) on every call;
- model size trades quality for cost: sim-large > sim-medium > sim-small in skill, and
  their list prices (``SIM_LIST_PRICES``, used by the tune demo) grow the other way;
- ``frequencyPenalty`` does nothing at all: the knob for null tests.

Documented optimum per context (sim-large, any prompt): temperature 0.0 for code_review,
0.3 for development, 0.6 for testing, 0.3 for match; maxTokens at least the task's need.
"""

from __future__ import annotations

from typing import Mapping

TEMPERATURE_OPTIMUM: Mapping[str, float] = {
    "development": 0.3,
    "code_review": 0.0,
    "testing": 0.6,
    "match": 0.3,
}
TEMPERATURE_CURVATURE = 1.5  # logit lost at 1.0 away from the optimum
NULL_KNOB = "frequencyPenalty"  # read by nobody: changing it changes nothing

#: USD per million tokens (input, output): what a user would pay for each simulated size.
SIM_LIST_PRICES: Mapping[str, tuple[float, float]] = {
    "sim-small": (0.15, 0.60),
    "sim-medium": (0.60, 2.40),
    "sim-large": (3.00, 15.00),
}


def temperature_logit(context: str, temperature: float) -> float:
    """Shift of the logit from temperature: 0 at the context's optimum, negative elsewhere."""
    best = TEMPERATURE_OPTIMUM.get(context, TEMPERATURE_OPTIMUM["match"])
    return -TEMPERATURE_CURVATURE * (temperature - best) ** 2

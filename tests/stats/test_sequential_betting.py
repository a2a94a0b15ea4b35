"""The betting confidence sequence by simulation (fixed seeds, vectorised over streams):
the targets of issue 9 for a look after every task."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from tamma_tui.stats.sequential import betting_confidence_sequence, sequential_decisions

ALPHA = 0.05
STREAMS = 1000


def _fixed_n(sigma: float, effect: float) -> int:
    return int(np.ceil(((stats.norm.isf(ALPHA / 2) + stats.norm.isf(0.2)) * sigma / effect) ** 2))


def _first_stop(decisions: np.ndarray, cap: int) -> tuple[np.ndarray, np.ndarray]:
    stop = decisions != "continue"
    first = np.where(stop.any(axis=1), stop.argmax(axis=1) + 1, cap)
    return first, decisions[np.arange(decisions.shape[0]), first - 1]


def _binary_diffs(rng, effect: float, n: int, discordance: float = 0.4) -> np.ndarray:
    u = rng.random((STREAMS, n))
    up, down = (discordance + effect) / 2, (discordance - effect) / 2
    return np.where(u < up, 1.0, np.where(u < up + down, -1.0, 0.0))


def _k3_diffs(rng, effect: float, n: int) -> np.ndarray:
    p = rng.beta(2, 2, (STREAMS, n, 1))
    base = (rng.random((STREAMS, n, 3)) < p).mean(-1)
    var = (rng.random((STREAMS, n, 3)) < np.clip(p + effect, 0, 1)).mean(-1)
    return var - base


@pytest.mark.parametrize("kind", ["normal", "binary", "k3"])
def test_h0_ever_rejecting_with_a_look_after_every_task_up_to_1200(kind):
    rng = np.random.default_rng({"normal": 1, "binary": 2, "k3": 3}[kind])
    d = {"normal": lambda: rng.standard_t(5, (STREAMS, 1200)),  # heavy tails too
         "binary": lambda: _binary_diffs(rng, 0.0, 1200),
         "k3": lambda: _k3_diffs(rng, 0.0, 1200)}[kind]()
    decisions = sequential_decisions(betting_confidence_sequence(d, tau=0.1, alpha=ALPHA), mde=0.1)
    ever = ((decisions == "better") | (decisions == "worse")).any(axis=1).mean()
    assert ever <= ALPHA + 0.01


@pytest.mark.parametrize("kind", ["normal", "binary"])
def test_h1_power_and_expected_tasks_at_cap_twice_the_fixed_n(kind):
    rng = np.random.default_rng({"normal": 4, "binary": 5}[kind])
    if kind == "normal":
        sigma, tau = 1.0, 0.25
        n = _fixed_n(sigma, tau)
        d = rng.normal(tau, sigma, (STREAMS, 2 * n))
    else:
        tau = 0.1
        n = _fixed_n(np.sqrt(0.4 - tau**2), tau)
        d = _binary_diffs(rng, tau, 2 * n)
    cs = betting_confidence_sequence(d, tau=tau, alpha=ALPHA)
    first, final = _first_stop(sequential_decisions(cs, mde=tau), 2 * n)
    assert (final == "better").mean() >= 0.8
    assert first.mean() <= n
    # the interval at stopping comes from the sequence and covers the truth
    rows = np.arange(STREAMS)
    low, high = cs.low[rows, first - 1], cs.high[rows, first - 1]
    assert ((low <= tau) & (tau <= high)).mean() >= 0.95


def test_h0_futility_stops_early_on_average():
    rng = np.random.default_rng(6)
    tau = 0.1
    n = _fixed_n(np.sqrt(0.4), tau)
    cap = 2 * n
    d = _binary_diffs(rng, 0.0, cap)
    first, final = _first_stop(sequential_decisions(betting_confidence_sequence(d, tau=tau, alpha=ALPHA),
                                                    mde=tau), cap)
    assert first.mean() <= 0.75 * cap
    assert (final == "futile").mean() > 0.5


def test_constant_streams_never_give_a_zero_width_or_false_certainty():
    d = np.zeros((1, 500))
    cs = betting_confidence_sequence(d, tau=0.1, alpha=ALPHA)
    assert not (cs.low > 0).any() and not (cs.high < 0).any()

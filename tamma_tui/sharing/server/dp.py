"""Differentially private releases through OpenDP.

Per cohort (suite, context, model family), each contributor holds one record, so adding
or removing a contributor changes the count by 1 and the 20-bin histogram by 1 in L1. Both
are released with the discrete Laplace mechanism (OpenDP's ``make_laplace`` over integers).
A cohort is published only when its noisy count reaches

    tau = k + ceil(ln(1 / (2 beta)) / eps_count)

so a cohort smaller than k is released with probability at most beta.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Sequence

from tamma_tui.sharing.wire import HISTOGRAM_BINS

K_MIN = 10
BETA = 1e-3


class OpenDPMissing(RuntimeError):
    """The server needs the optional extra: pip install 'tamma-bench[server]'."""


def _dp():
    try:
        import opendp.prelude as dp
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise OpenDPMissing("the share-server needs OpenDP: pip install 'tamma-bench[server]'") from None
    dp.enable_features("contrib")
    return dp


def tau(eps_count: float, k: int = K_MIN, beta: float = BETA) -> int:
    return k + math.ceil(math.log(1.0 / (2.0 * beta)) / eps_count)


@lru_cache(maxsize=16)
def count_measurement(epsilon: float):
    """Records (pass rates) -> discrete-Laplace noisy count, epsilon-DP for one contributor."""
    dp = _dp()
    domain = dp.vector_domain(dp.atom_domain(T=float, nan=False))
    meas = dp.t.make_count(domain, dp.symmetric_distance()) >> dp.m.then_laplace(scale=1.0 / epsilon)
    assert meas.map(1) <= epsilon + 1e-12
    return meas


@lru_cache(maxsize=16)
def histogram_measurement(epsilon: float, bins: int = HISTOGRAM_BINS):
    """Records (pass rates) -> noisy counts in ``bins`` equal bins over [0, 1]."""
    dp = _dp()
    domain = dp.vector_domain(dp.atom_domain(T=float, nan=False))
    edges = [i / bins for i in range(1, bins)]
    meas = (dp.t.make_find_bin(domain, dp.symmetric_distance(), edges=edges)
            >> dp.t.then_count_by_categories(categories=list(range(bins)), null_category=False)
            >> dp.m.then_laplace(scale=1.0 / epsilon))
    assert meas.map(1) <= epsilon + 1e-12
    return meas


def noisy_count(rates: Sequence[float], epsilon: float) -> int:
    return int(count_measurement(float(epsilon))([float(r) for r in rates]))


def noisy_histogram(rates: Sequence[float], epsilon: float) -> list[int]:
    return [int(v) for v in histogram_measurement(float(epsilon))([float(r) for r in rates])]

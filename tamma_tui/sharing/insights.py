"""Where a pass rate stands in a published (noisy) histogram.

The point estimate is the share of the community below the rate, counting the rate's own
bin by linear interpolation. The interval accounts for two uncertainties: the discrete
Laplace noise on every bin (its scale is published with the release) and where, inside
the rate's bin, the community's rates lie. Both are simulated; 95% by default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .wire import bin_index


@dataclass(frozen=True)
class Standing:
    percentile: float
    low: float
    high: float
    cohort_size: int  # the noisy count, as published


def _percentile(rate: float, counts: np.ndarray, frac: np.ndarray | float) -> np.ndarray:
    bins = counts.shape[-1]
    b = bin_index(rate, bins)
    total = counts.sum(axis=-1)
    below = counts[..., :b].sum(axis=-1) + counts[..., b] * frac
    return np.where(total > 0, 100.0 * below / np.maximum(total, 1e-12), np.nan)


def discrete_laplace(rng: np.random.Generator, scale: float, size) -> np.ndarray:
    """Difference of two geometric variables: P(x) proportional to exp(-|x| / scale)."""
    p = 1.0 - math.exp(-1.0 / scale)
    return rng.geometric(p, size) - rng.geometric(p, size)


def standing(rate: float, histogram: Sequence[int], noise_scale: float, noisy_count: int, *,
             draws: int = 4000, level: float = 0.95, seed: int = 0) -> Standing:
    published = np.asarray(histogram, dtype=float)
    bins = published.size
    b = bin_index(rate, bins)
    within = min(max(rate * bins - b, 0.0), 1.0)
    point = float(_percentile(rate, np.clip(published, 0, None), within))
    rng = np.random.default_rng(seed)
    noise = discrete_laplace(rng, noise_scale, (draws, bins))
    plausible = np.clip(published - noise, 0, None)
    frac = rng.uniform(0.0, 1.0, draws)
    sims = _percentile(rate, plausible, frac)
    sims = sims[~np.isnan(sims)]
    tail = (1.0 - level) / 2.0
    low, high = (np.quantile(sims, [tail, 1.0 - tail]) if sims.size else (np.nan, np.nan))
    return Standing(point, float(min(low, point)), float(max(high, point)), int(noisy_count))

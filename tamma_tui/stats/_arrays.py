"""Small input helpers shared by the stats modules: plain sequences in, clean float arrays out."""

from __future__ import annotations

from typing import Sequence

import numpy as np

ArrayLike = Sequence[float] | np.ndarray
RELATIVE_TOLERANCE = 1e-9


def as_float(values: ArrayLike) -> np.ndarray:
    """A 1-D float64 copy-free view of ``values`` (NaN kept)."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        arr = arr.reshape(-1)
    return arr


def finite(values: ArrayLike) -> np.ndarray:
    """``values`` as floats with NaN dropped (the stats functions are NaN-safe by dropping)."""
    arr = as_float(values)
    return arr[~np.isnan(arr)]


def paired_finite(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray, int]:
    """Pairs where both members are present, and how many pairs were dropped for a NaN."""
    xa, ya = as_float(x), as_float(y)
    if xa.shape != ya.shape:
        raise ValueError(f"paired samples differ in length: {xa.size} vs {ya.size}")
    keep = ~(np.isnan(xa) | np.isnan(ya))
    return xa[keep], ya[keep], int(xa.size - keep.sum())


def is_constant(values: np.ndarray) -> bool:
    """True when every value is equal up to float rounding (so a spread-based statistic is 0).

    The tolerance is relative and loose (1e-9): a difference of two means carries the
    rounding error of the means themselves, which can be many ulps of the difference
    (per-trial costs of 6e-4 differing by a constant 2e-5, say)."""
    if values.size == 0:
        return True
    spread = float(np.ptp(values))
    scale = float(np.max(np.abs(values)))
    return spread <= RELATIVE_TOLERANCE * max(scale, 1e-300)

"""Multiple-comparison adjustments; adjusted p-values come back in the input order."""

from __future__ import annotations

from typing import Callable, Literal

import numpy as np

from ._arrays import ArrayLike, as_float


def _in_input_order(pvalues: ArrayLike, adjust_sorted: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply ``adjust_sorted`` to the non-NaN p-values in ascending order, cap at 1 and put
    the results back in the input's places; NaN entries pass through and do not count."""
    p = as_float(pvalues)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    valid = p[ok]
    if valid.size:
        order = np.argsort(valid, kind="mergesort")
        result = np.empty(valid.size)
        result[order] = np.minimum(adjust_sorted(valid[order]), 1.0)
        out[ok] = result
    return out


def _holm_step_down(ordered: np.ndarray) -> np.ndarray:
    m = ordered.size
    return np.maximum.accumulate((m - np.arange(m)) * ordered)


def _bh_step_up(ordered: np.ndarray) -> np.ndarray:
    m = ordered.size
    return np.minimum.accumulate((ordered * m / np.arange(1, m + 1))[::-1])[::-1]


def holm(pvalues: ArrayLike) -> np.ndarray:
    """Holm step-down adjusted p-values (FWER). NaN entries pass through and do not count."""
    return _in_input_order(pvalues, _holm_step_down)


def benjamini_hochberg(pvalues: ArrayLike) -> np.ndarray:
    """Benjamini-Hochberg step-up adjusted p-values (FDR). NaN entries pass through."""
    return _in_input_order(pvalues, _bh_step_up)


def adjust(pvalues: ArrayLike, method: Literal["holm", "bh"] = "holm") -> np.ndarray:
    """Adjust a family of p-values by ``method`` ("holm" or "bh")."""
    if method == "holm":
        return holm(pvalues)
    if method == "bh":
        return benjamini_hochberg(pvalues)
    raise ValueError(f"unknown correction {method!r}; use 'holm' or 'bh'")

"""Multiple-comparison adjustments; adjusted p-values come back in the input order."""

from __future__ import annotations

from typing import Literal

import numpy as np

from ._arrays import ArrayLike, as_float


def _split(pvalues: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = as_float(pvalues)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    ok = ~np.isnan(p)
    return p, ok, p[ok]


def holm(pvalues: ArrayLike) -> np.ndarray:
    """Holm step-down adjusted p-values (FWER). NaN entries pass through and do not count."""
    p, ok, valid = _split(pvalues)
    out = np.full(p.shape, np.nan)
    m = valid.size
    if m:
        order = np.argsort(valid, kind="mergesort")
        stepped = (m - np.arange(m)) * valid[order]
        adjusted = np.minimum(np.maximum.accumulate(stepped), 1.0)
        result = np.empty(m)
        result[order] = adjusted
        out[ok] = result
    return out


def benjamini_hochberg(pvalues: ArrayLike) -> np.ndarray:
    """Benjamini-Hochberg step-up adjusted p-values (FDR). NaN entries pass through."""
    p, ok, valid = _split(pvalues)
    out = np.full(p.shape, np.nan)
    m = valid.size
    if m:
        order = np.argsort(valid, kind="mergesort")
        scaled = valid[order] * m / np.arange(1, m + 1)
        adjusted = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
        result = np.empty(m)
        result[order] = adjusted
        out[ok] = result
    return out


def adjust(pvalues: ArrayLike, method: Literal["holm", "bh"] = "holm") -> np.ndarray:
    """Adjust a family of p-values by ``method`` ("holm" or "bh")."""
    if method == "holm":
        return holm(pvalues)
    if method == "bh":
        return benjamini_hochberg(pvalues)
    raise ValueError(f"unknown correction {method!r}; use 'holm' or 'bh'")

"""Which comparison rows form which multiple-testing family, and their adjusted p-values.

- confirmatory: the pre-declared primary metric, in the decision context, one row per
  variant. Holm by default (Holm 1979); ``dunnett`` is the many-to-one max-T version, done
  by permutation: the same random sign per task is applied to every variant's differences
  and each variant's studentised sum is compared with the maximum over variants
  (Westfall and Young 1993 single-step max-T; Dunnett 1955 is its normal-theory form).
- secondary: the other declared metrics in the decision context, tested (Holm inside,
  per variant) only when that variant's primary rejects: a fixed-sequence gatekeeper
  (Dmitrienko and Tamhane 2007), so the family-wise error stays at alpha.
- exploratory: everything else (secondary metrics of a variant whose primary did not
  reject, per-context rows): Benjamini-Hochberg q-values (1995), for looking, not deciding.
- guardrails are not here: each is an intersection-union test at the uncorrected alpha
  (Berger 1982), applied in `report._guardrails`.
The A/A arm is never in a family (its rows feed the noise band only).
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from tamma_tui.stats.multiple import adjust
from tamma_tui.stats.permutation import random_bits

from .comparisons import direction, num

CONFIRMATORY, SECONDARY, EXPLORATORY, GUARDRAIL = "confirmatory", "secondary", "exploratory", "guardrail"
CORRECTIONS = ("holm", "bh", "dunnett")


def assign_families(rows: list[dict[str, Any]], *, primary: str, context: str,
                    secondary: Sequence[str] | None, alpha: float, correction: str,
                    primary_diffs: dict[str, np.ndarray] | None = None, seed: int = 0) -> None:
    """Set family, p_adjusted, significant and direction on every row (in place)."""
    confirmatory = [r for r in rows if r["metric"] == primary and r["context"] == context]
    _adjust(confirmatory, correction if correction != "dunnett" else "holm", alpha)
    if correction == "dunnett" and primary_diffs and len(confirmatory) > 1:
        _dunnett(confirmatory, primary_diffs, alpha, seed)
    for r in confirmatory:
        r["family"] = CONFIRMATORY
    passed = {r["variant"] for r in confirmatory if r["significant"]}
    wanted = set(secondary) if secondary is not None else None
    gatekept: dict[str, list[dict[str, Any]]] = {}
    rest: list[dict[str, Any]] = []
    for r in rows:
        if r.get("family") == CONFIRMATORY:
            continue
        in_secondary = r["context"] == context and r["metric"] != primary and (
            wanted is None or r["metric"] in wanted)
        if in_secondary and r["variant"] in passed:
            gatekept.setdefault(r["variant"], []).append(r)
        else:
            rest.append(r)
    for group in gatekept.values():
        _adjust(group, "holm", alpha)
        for r in group:
            r["family"] = SECONDARY
    _adjust(rest, "bh", alpha)
    for r in rest:
        r["family"] = EXPLORATORY


def _adjust(rows: list[dict[str, Any]], method: str, alpha: float) -> None:
    if not rows:
        return
    p = np.array([np.nan if r["p_value"] is None else r["p_value"] for r in rows], dtype=float)
    adjusted = adjust(p, method)
    for r, p_adj in zip(rows, adjusted):
        defined = r.get("interval") != "undefined"
        significant = bool(np.isfinite(p_adj) and p_adj < alpha and defined)
        r["p_adjusted"] = num(p_adj)
        r["significant"] = significant
        r["direction"] = direction(r["metric"], r["diff"], significant)
        r["correction"] = "bh" if method == "bh" else method


def _dunnett(rows: list[dict[str, Any]], diffs: dict[str, np.ndarray], alpha: float, seed: int,
             n_resamples: int = 9_999) -> None:
    """Single-step max-T adjusted p-values with joint sign flips over tasks."""
    names = [r["variant"] for r in rows]
    d = np.column_stack([diffs[n] for n in names])  # (tasks, variants), NaN = unpaired
    d = np.where(np.isnan(d), 0.0, d)
    scale = np.sqrt((d * d).sum(axis=0))
    scale = np.where(scale > 0, scale, np.inf)
    observed = np.abs(d.sum(axis=0)) / scale
    rng = np.random.default_rng(seed)
    hits = np.zeros(len(names))
    chunk = max(1, 2_000_000 // max(d.shape[0] * len(names), 1))
    done = 0
    while done < n_resamples:
        b = min(chunk, n_resamples - done)
        bits = random_bits(rng, b, d.shape[0])
        t_max = (np.abs(2.0 * (bits @ d) - d.sum(axis=0)) / scale).max(axis=1)
        hits += (t_max[:, None] >= observed[None, :] - 1e-12).sum(axis=0)
        done += b
    p_adj = (1 + hits) / (n_resamples + 1)
    for r, p in zip(rows, p_adj):
        defined = r.get("interval") != "undefined" and r["p_value"] is not None
        significant = bool(defined and p < alpha)
        r["p_adjusted"] = num(p)
        r["significant"] = significant
        r["direction"] = direction(r["metric"], r["diff"], significant)
        r["correction"] = "dunnett"

"""Winner selection: significantly better on the primary metric after correction, and
non-inferior on every guardrail; the best point estimate among several; exact ties go to
the cheaper arm. Every step leaves a reason in words."""

from __future__ import annotations

import math
from typing import Any, Sequence

from .metrics import format_value, higher_is_better


def _improvement(metric: str, diff: float) -> float:
    return diff if higher_is_better(metric) else -diff


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _p(label: str, value: float | None) -> str:
    """'p=0.0123', 'p<0.001' or 'p n/a'."""
    if value is None:
        return f"{label} n/a"
    return f"{label}={value:.3g}" if value >= 0.001 else f"{label}<0.001"


def decide(
    *,
    variants: Sequence[str],
    baseline: str,
    primary_rows: dict[str, dict[str, Any]],
    guardrails: list[dict[str, Any]],
    primary_metric: str,
    alpha: float,
    correction: str,
    context: str,
    costs: dict[str, float | None],
) -> dict[str, Any]:
    """primary_rows: variant -> its comparison row on the primary metric in `context`.
    guardrails: [{variant, metric, margin, non_inferior, p_value}] (already tested)."""
    reasons: list[str] = []
    candidates: list[tuple[str, float]] = []
    where = "across all contexts" if context == "all" else f"in context {context}"
    for name in variants:
        row = primary_rows.get(name)
        if row is None or row.get("n_pairs", 0) == 0 or row.get("diff") is None:
            reasons.append(f"{name}: no tasks paired with {baseline} on {primary_metric} {where}; "
                           "it cannot win.")
            continue
        diff = row["diff"]
        ci = (f"{format_value(primary_metric, row.get('ci_low'), signed=True)} to "
              f"{format_value(primary_metric, row.get('ci_high'), signed=True)}")
        said = (f"{name}: {primary_metric} {format_value(primary_metric, diff, signed=True)} vs "
                f"{baseline} {where} (CI {ci}, {row['test']}, {_p('p', row.get('p_value'))}, "
                f"{_p(correction + '-adjusted p', row.get('p_adjusted'))}, alpha={alpha:g})")
        if row.get("direction") == "better":
            failed = [g for g in guardrails if g["variant"] == name and not g["non_inferior"]]
            if failed:
                parts = ", ".join(
                    f"{g['metric']} (margin {format_value(g['metric'], g['margin'], signed=True).lstrip('+')}, "
                    f"one-sided {_p('p', g['p_value'])})" for g in failed)
                reasons.append(f"{said}: significantly better, but not shown non-inferior on "
                               f"guardrail {parts}; it cannot win.")
            else:
                held = [g["metric"] for g in guardrails if g["variant"] == name]
                tail = (f"; non-inferior on every guardrail ({', '.join(held)})" if held
                        else "; no guardrails set")
                reasons.append(f"{said}: significantly better{tail}.")
                candidates.append((name, _improvement(primary_metric, diff)))
        elif row.get("direction") == "worse":
            reasons.append(f"{said}: significantly worse.")
        else:
            reasons.append(f"{said}: not a significant difference.")

    winner: str | None = None
    if not candidates:
        reasons.append(f"No variant qualifies: keep {baseline}.")
    else:
        best = max(gain for _, gain in candidates)
        tied = [name for name, gain in candidates if _same(gain, best)]
        if len(tied) == 1:
            winner = tied[0]
            if len(candidates) > 1:
                reasons.append(f"{winner} has the best {primary_metric} point estimate among "
                               f"{len(candidates)} qualifying variants.")
        else:
            def cost_key(name: str) -> tuple[int, float]:
                cost = costs.get(name)
                return (1, 0.0) if cost is None else (0, cost)

            winner = min(tied, key=cost_key)  # min() keeps the first on equal keys
            cost = costs.get(winner)
            reasons.append(f"{', '.join(tied)} tie on the {primary_metric} point estimate; "
                           f"{winner} is the cheaper arm"
                           + (f" (mean cost per task {format_value('cost_usd', cost)})."
                              if cost is not None else " (no cost data: first listed)."))
        reasons.append(f"Winner: {winner}.")
    return {
        "winner": winner,
        "primary_metric": primary_metric,
        "context": context,
        "reasons": reasons,
        "guardrails": guardrails,
    }

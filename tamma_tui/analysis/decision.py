"""Winner selection. A variant qualifies when its confirmatory row rejects in the better
direction (after the family's correction) with a defined interval, and it is shown
non-inferior on every guardrail. No decision is made when the missingness check fails.
Among several qualifying variants, the leader on the primary point estimate wins unless
others cannot be told apart from it; then the declared utility chooses, else the cheapest.
Every step leaves a reason in words, and the text says which rule chose."""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

from .metrics import format_value, higher_is_better


def _improvement(metric: str, diff: float) -> float:
    return diff if higher_is_better(metric) else -diff


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
    family_text: str | None = None,
    missingness: dict[str, Any] | None = None,
    missingness_text: str | None = None,
    indistinct: Callable[[str, str], bool] | None = None,
    utilities: dict[str, float | None] | None = None,
    utility_text: str | None = None,
) -> dict[str, Any]:
    """primary_rows: variant -> its confirmatory row on the primary metric in `context`.
    guardrails: [{variant, metric, margin, non_inferior, p_value}] (already tested).
    indistinct(a, b): True when candidates a and b cannot be told apart on the primary."""
    reasons: list[str] = []
    candidates: list[tuple[str, float]] = []
    where = "across all contexts" if context == "all" else f"in context {context}"
    if family_text:
        reasons.append(family_text)
    if missingness_text:
        reasons.append(missingness_text)
    blocked = bool(missingness is not None and not missingness.get("passed", True))
    guard_names = sorted({g["metric"] for g in guardrails})
    reasons.append("Guardrails (intersection-union, each one-sided at alpha, uncorrected): "
                   + (", ".join(guard_names) if guard_names else "none declared") + ".")
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
                f"{_p(row.get('correction', correction) + '-adjusted p', row.get('p_adjusted'))}, "
                f"alpha={alpha:g})")
        if row.get("interval") == "undefined":
            reasons.append(f"{said}: the interval is undefined (the per-task differences have no "
                           "spread), so no decision on it.")
        elif row.get("direction") == "better":
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
    rule: str | None = None
    if blocked:
        reasons.append(f"Decision blocked by the missingness check: keep {baseline}.")
    elif not candidates:
        reasons.append(f"No variant qualifies: keep {baseline}.")
    else:
        candidates.sort(key=lambda c: -c[1])
        leader = candidates[0][0]
        tied = [leader] + [n for n, _ in candidates[1:] if indistinct is None or indistinct(leader, n)]
        if len(tied) == 1:
            winner, rule = leader, "only_candidate" if len(candidates) == 1 else "best_estimate"
            if len(candidates) > 1:
                reasons.append(f"{winner} has the best {primary_metric} point estimate among "
                               f"{len(candidates)} qualifying variants and is told apart from the rest.")
        elif utilities and any(utilities.get(n) is not None for n in tied):
            winner = max(tied, key=lambda n: (utilities.get(n) is not None, utilities.get(n) or -math.inf))
            rule = "utility"
            reasons.append(f"{', '.join(tied)} cannot be told apart on {primary_metric}; the declared "
                           f"utility ({utility_text}) chose {winner} "
                           f"(utility {utilities[winner]:.4g}).")
        else:
            def cost_key(name: str) -> tuple[int, float]:
                cost = costs.get(name)
                return (1, 0.0) if cost is None else (0, cost)

            winner = min(tied, key=cost_key)
            rule = "cheapest"
            cost = costs.get(winner)
            reasons.append(f"{', '.join(tied)} cannot be told apart on {primary_metric}; no utility "
                           f"declared, so the cheapest arm wins: {winner}"
                           + (f" (mean cost per task {format_value('cost_usd', cost)})."
                              if cost is not None else " (no cost data: first by estimate)."))
        reasons.append(f"Winner: {winner}.")
    return {
        "winner": winner,
        "primary_metric": primary_metric,
        "context": context,
        "reasons": reasons,
        "guardrails": guardrails,
        "blocked": blocked,
        "rule": rule,
    }

"""Choosing among several variants: P(best) and the declared utility.

P(best) is the share of draws in which each arm has the best primary metric, drawing the
vector of mean differences from its normal approximation (means and covariance of the
per-task differences, tasks paired across all arms; seeded). Among qualifying candidates
that cannot be told apart (the sign-flip test of each against the leader is not
significant), the choice follows ``analysis.utility``, an arithmetic expression over metric
names (e.g. ``pass_rate - 50 * cost_usd``) evaluated on each arm's task-weighted means;
without one, the cheapest arm wins.
"""

from __future__ import annotations

import ast
import operator
from typing import Any, Mapping

import numpy as np

from tamma_tui.errors import BadInput
from tamma_tui.vocabulary import METRICS

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.USub: operator.neg, ast.UAdd: operator.pos}


def parse_utility(text: str | None) -> ast.Expression | None:
    """Check a utility expression (numbers, metric names, + - * / and brackets)."""
    if text is None or str(text).strip() == "":
        return None
    try:
        tree = ast.parse(str(text), mode="eval")
    except SyntaxError as exc:
        raise BadInput(f"not an arithmetic expression: {exc.msg}", field="analysis.utility") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in METRICS:
            raise BadInput(f"unknown metric {node.id!r}; expected one of {', '.join(METRICS)}",
                           field="analysis.utility")
        if not isinstance(node, (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load,
                                 ast.Constant, *(_OPS))):
            raise BadInput(f"only numbers, metric names and + - * / are allowed, found "
                           f"{type(node).__name__}", field="analysis.utility")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise BadInput("only numbers are allowed as constants", field="analysis.utility")
    return tree


def evaluate_utility(tree: ast.Expression, means: Mapping[str, float | None]) -> float | None:
    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            value = means.get(node.id)
            if value is None:
                raise KeyError(node.id)
            return float(value)
        if isinstance(node, ast.UnaryOp):
            return _OPS[type(node.op)](ev(node.operand))
        if isinstance(node, ast.BinOp):
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        raise ValueError(type(node).__name__)

    try:
        return float(ev(tree))
    except (KeyError, ZeroDivisionError):
        return None


def probability_best(diffs: Mapping[str, np.ndarray], *, baseline: str, higher_is_better: bool,
                     seed: int, draws: int = 20_000) -> dict[str, float | None]:
    """P(best) per arm (baseline included, its difference fixed at 0)."""
    names = list(diffs)
    if not names:
        return {}
    d = np.column_stack([diffs[n] for n in names])
    d = d[~np.isnan(d).any(axis=1)]
    if d.shape[0] < 3:
        return {baseline: None} | {n: None for n in names}
    mean = d.mean(axis=0)
    cov = np.atleast_2d(np.cov(d, rowvar=False)) / d.shape[0]
    rng = np.random.default_rng(seed)
    sample = rng.multivariate_normal(mean, cov, size=draws, method="eigh")
    if not higher_is_better:
        sample = -sample
    full = np.column_stack([np.zeros(draws), sample])
    best = np.bincount(full.argmax(axis=1), minlength=len(names) + 1) / draws
    return {baseline: float(best[0])} | {n: float(best[i + 1]) for i, n in enumerate(names)}


def arm_means(summary: list[dict[str, Any]], context: str) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for r in summary:
        if r["context"] == context:
            out.setdefault(r["arm"], {})[r["metric"]] = r["mean"]
    return out

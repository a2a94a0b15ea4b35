"""The comparison report (JSON schema_version 1, see issue 4) built from stored trials.

Pipeline: one vectorised pass turns the trials into per-task sums and counts for every
(arm, task, metric) (`cube.build_cube`); the summary and every comparison are then
O(tasks) numpy work on those arrays, and the BCa bootstrap of all comparisons shares one
set of task resamples (`bootstrap.grouped_mean_bca`).

Conventions:
- Only trials with status "ok" count toward metrics; the others are counted per arm as
  ``n_errors``. A trial with no value for a metric (not graded, no ttft) is left out of
  that metric only.
- summary: ``mean`` is the mean over trials; ``se`` is the cluster-robust (CR1) standard
  error with the task as cluster (the formula of ``stats.paired.clustered_mean_se``,
  computed from per-task sums); the interval is a t interval with (tasks - 1) degrees of
  freedom.
- comparisons: paired by task on per-task means; tasks that have a value in only one of
  the two arms are left out and counted in ``n_unpaired``. One family for the
  multiple-comparison correction = every comparison row with a p-value.
- guardrails: one-sided paired non-inferiority tests (`stats.noninferiority`) in the
  decision's context at level alpha, uncorrected (each is a safety condition the winner
  must meet, not a discovery).
- decision: see `decision.decide`; the A/A arm ("baseline-aa") is never a candidate.
- noise_band (A/A runs): per metric, the A/A difference and its interval; ``band`` is the
  largest |difference| inside that interval, the size of change identical configurations
  showed on this suite.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from tamma_tui.config.errors import BadInput
from tamma_tui.config.models import CONTEXTS
from tamma_tui.stats.multiple import adjust

from .bootstrap import grouped_mean_bca
from .comparisons import choose_test, compare, direction, num
from .cube import TaskCube, build_cube
from .decision import decide
from .metrics import METRICS, higher_is_better

SCHEMA_VERSION = 1
AA_ARM = "baseline-aa"


def build_report(
    trials: pd.DataFrame,
    *,
    run_id: int | None,
    arms: Sequence[dict[str, Any]] | None = None,
    alpha: float = 0.05,
    correction: str = "holm",
    primary_metric: str = "pass_rate",
    guardrails: Iterable[Any] = (),
    context: str | None = None,
    robustness: bool = True,
    n_resamples: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """Summary, paired comparisons against the baseline, and the decision, as one dict."""
    alpha, correction, primary_metric = _check_options(alpha, correction, primary_metric)
    guards = _parse_guardrails(guardrails)
    arm_info = _arm_list(trials, arms)
    names = [a["name"] for a in arm_info]
    baseline = next((a["name"] for a in arm_info if a["baseline"]), names[0] if names else None)

    cube = build_cube(trials, names)
    for i, arm in enumerate(arm_info):
        if arm.get("n_trials") is None:
            arm["n_trials"] = int(cube.n_rows[i])
        arm["n_errors"] = int(cube.n_errors[i])

    if context is not None and context != "all" and context not in cube.contexts \
            and context not in CONTEXTS:
        raise BadInput(f"unknown context {context!r}; the run has "
                       f"{', '.join(cube.contexts) or 'no trials'}", field="context")
    contexts = [context] if context else ["all", *cube.contexts]
    present = cube.counts.sum(axis=(0, 1)) > 0
    metrics = [m for j, m in enumerate(cube.metrics) if present[j] or m == primary_metric]

    summary = _summary(cube, contexts, metrics, alpha)
    comparisons, diffs = _comparisons(cube, baseline, contexts, metrics, alpha, robustness)
    if robustness and comparisons:
        _bootstrap(cube, comparisons, diffs, alpha=alpha, n_resamples=n_resamples, seed=seed)
    _adjust_family(comparisons, alpha, correction)

    decision_context = context or "all"
    # The A/A arm is the baseline run again: it measures noise and is never a candidate.
    variants = [n for n in names if n not in (baseline, AA_ARM)]
    guard_rows = _guardrails(cube, baseline, variants, guards, decision_context, alpha)
    primary_rows = {r["variant"]: r for r in comparisons
                    if r["metric"] == primary_metric and r["context"] == decision_context}
    decision = decide(
        variants=variants, baseline=baseline, primary_rows=primary_rows, guardrails=guard_rows,
        primary_metric=primary_metric, alpha=alpha, correction=correction,
        context=decision_context, costs=_costs(summary, decision_context),
    )
    if AA_ARM in names and baseline != AA_ARM:
        decision["reasons"].insert(0, f"{AA_ARM} is {baseline} run again (A/A): it measures the noise "
                                      "between identical configurations and is never a candidate; "
                                      "see the noise band.")
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "alpha": alpha,
        "correction": correction,
        "arms": arm_info,
        "summary": summary,
        "comparisons": comparisons,
        "decision": decision,
        # Optional extras (schema_version 1 allows more keys): which way each metric is better.
        "metrics": [{"name": m, "higher_is_better": higher_is_better(m)} for m in metrics],
    }
    if AA_ARM in names and baseline != AA_ARM:
        report["noise_band"] = _noise_band(comparisons, decision_context)
    return report


# ---------------------------------------------------------------- options


def _check_options(alpha: float, correction: str, primary: str) -> tuple[float, str, str]:
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise BadInput(f"must be a number between 0 and 1, got {alpha!r}", field="alpha") from None
    if not 0 < alpha < 1:
        raise BadInput(f"must be between 0 and 1 (exclusive), got {alpha:g}", field="alpha")
    if correction not in ("holm", "bh"):
        raise BadInput(f"unknown correction {correction!r}; use holm or bh", field="correction")
    if primary not in METRICS:
        raise BadInput(f"unknown metric {primary!r}; expected one of {', '.join(METRICS)}",
                       field="primary_metric")
    return alpha, correction, primary


def _parse_guardrails(guardrails: Iterable[Any]) -> list[tuple[str, float]]:
    out = []
    for g in guardrails or ():
        if isinstance(g, dict):
            metric, margin = g.get("metric"), g.get("margin", 0.0)
        elif isinstance(g, (tuple, list)) and len(g) == 2:
            metric, margin = g
        else:
            metric, margin = getattr(g, "metric", None), getattr(g, "margin", None)
        if metric not in METRICS:
            raise BadInput(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}",
                           field="guardrails")
        try:
            margin = float(margin)
        except (TypeError, ValueError):
            raise BadInput(f"margin for {metric} must be a number, got {margin!r}",
                           field="guardrails") from None
        if not margin >= 0:
            raise BadInput(f"margin for {metric} must be >= 0, got {margin:g}", field="guardrails")
        out.append((metric, margin))
    return out


def _arm_list(trials: pd.DataFrame, arms: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    if arms:
        out = []
        for a in arms:
            if isinstance(a, str):
                a = {"name": a}
            out.append({"name": str(a["name"]), "baseline": bool(a.get("baseline", False)),
                        "config_sha256": a.get("config_sha256"), "n_trials": a.get("n_trials")})
        if not any(a["baseline"] for a in out):
            out[0]["baseline"] = True
        return out
    seen = [str(v) for v in pd.unique(trials["arm"].dropna())] if len(trials) else []
    seen = sorted(seen, key=lambda n: n != "baseline")  # stable: first-seen order otherwise
    return [{"name": n, "baseline": i == 0, "config_sha256": None, "n_trials": None}
            for i, n in enumerate(seen)]


# ---------------------------------------------------------------- summary


def _summary(cube: TaskCube, contexts: list[str], metrics: list[str], alpha: float) -> list[dict]:
    cols = [cube.metrics.index(m) for m in metrics]
    rows: list[dict[str, Any]] = []
    for a, arm in enumerate(cube.arms):
        for ctx in contexts:
            mask = cube.context_mask(ctx)
            sums = cube.sums[a][mask][:, cols]  # (tasks, metrics)
            counts = cube.counts[a][mask][:, cols]
            n_tasks = (counts > 0).sum(axis=0)
            total = counts.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = sums.sum(axis=0) / total
                # CR1: G/(G-1) * sum_g (S_g - n_g * mean)^2 / N^2; absent tasks add 0.
                resid = sums - counts * mean
                se = np.sqrt(n_tasks / (n_tasks - 1) * (resid**2).sum(axis=0)) / total
                half = sps.t.isf(alpha / 2, np.maximum(n_tasks - 1, 1)) * se
            for j, metric in enumerate(metrics):
                if n_tasks[j] == 0:
                    continue
                ok_se = n_tasks[j] > 1
                rows.append({
                    "arm": arm, "context": ctx, "metric": metric, "n_tasks": int(n_tasks[j]),
                    "n_trials": int(total[j]), "mean": num(mean[j]),
                    "se": num(se[j]) if ok_se else None,
                    "ci_low": num(mean[j] - half[j]) if ok_se else None,
                    "ci_high": num(mean[j] + half[j]) if ok_se else None,
                })
    return rows


# ---------------------------------------------------------------- comparisons


def _comparisons(cube: TaskCube, baseline: str | None, contexts: list[str], metrics: list[str],
                 alpha: float, robustness: bool) -> tuple[list[dict], dict[tuple[str, str], np.ndarray]]:
    """Rows in (variant, context, metric) order, and the per-task differences
    (variant - baseline, NaN when unpaired) per (variant, metric) over all tasks."""
    rows: list[dict[str, Any]] = []
    diffs: dict[tuple[str, str], np.ndarray] = {}
    if baseline is None:
        return rows, diffs
    b = cube.arms.index(baseline)
    means = cube.means
    for v, variant in enumerate(cube.arms):
        if v == b:
            continue
        for metric in metrics:
            j = cube.metrics.index(metric)
            diffs[variant, metric] = means[v, :, j] - means[b, :, j]
        for ctx in contexts:
            in_ctx = cube.context_mask(ctx)
            for metric in metrics:
                j = cube.metrics.index(metric)
                has_b = (cube.counts[b, :, j] > 0) & in_ctx
                has_v = (cube.counts[v, :, j] > 0) & in_ctx
                paired = has_b & has_v
                k = max(cube.max_trials(b, j, paired), cube.max_trials(v, j, paired))
                x, y = means[b, paired, j], means[v, paired, j]
                row = {"variant": variant, "baseline": baseline, "context": ctx, "metric": metric}
                row.update(compare(x, y, metric=metric, test=choose_test(metric, k), alpha=alpha,
                                   robustness=robustness))
                row["n_unpaired"] = int(np.sum(has_b ^ has_v))
                rows.append(row)
    return rows, diffs


def _bootstrap(cube: TaskCube, rows: list[dict], diffs: dict[tuple[str, str], np.ndarray], *,
               alpha: float, n_resamples: int, seed: int) -> None:
    """BCa intervals for every row from one shared set of task resamples."""
    keys = list(diffs)
    low, high = grouped_mean_bca(np.column_stack([diffs[k] for k in keys]), cube.task_context,
                                 alpha=alpha, n_resamples=n_resamples, seed=seed)
    column = {k: i for i, k in enumerate(keys)}
    for row in rows:
        k = column[row["variant"], row["metric"]]
        g = 0 if row["context"] == "all" else cube.contexts.index(row["context"]) + 1 \
            if row["context"] in cube.contexts else None
        lo, hi = (None, None) if g is None else (num(low[g, k]), num(high[g, k]))
        row["robustness"]["bootstrap"] = {"method": "bca", "n_resamples": n_resamples,
                                          "seed": seed, "ci_low": lo, "ci_high": hi}


def _adjust_family(rows: list[dict], alpha: float, correction: str) -> None:
    pvalues = np.array([np.nan if r["p_value"] is None else r["p_value"] for r in rows], dtype=float)
    adjusted = adjust(pvalues, correction) if rows else np.array([])
    ordered = []
    for row, p_adj in zip(rows, adjusted):
        significant = bool(np.isfinite(p_adj) and p_adj < alpha)
        row["p_adjusted"] = num(p_adj)
        row["significant"] = significant
        row["direction"] = direction(row["metric"], row["diff"], significant)
    # Keep the schema's key order for people reading the JSON; extras go last.
    head = ("variant", "baseline", "context", "metric", "n_pairs", "n_unpaired", "baseline_mean",
            "variant_mean", "diff", "ci_low", "ci_high", "test", "statistic", "p_value",
            "p_adjusted", "significant", "effect_size", "direction")
    for row in rows:
        ordered.append({k: row[k] for k in head} | {k: v for k, v in row.items() if k not in head})
    rows[:] = ordered


# ---------------------------------------------------------------- guardrails, costs, A/A


def _guardrails(cube: TaskCube, baseline: str | None, variants: list[str],
                guards: list[tuple[str, float]], ctx: str, alpha: float) -> list[dict]:
    from tamma_tui.stats.noninferiority import noninferiority_test

    out: list[dict[str, Any]] = []
    if baseline is None:
        return out
    b = cube.arms.index(baseline)
    in_ctx = cube.context_mask(ctx)
    means = cube.means
    for variant in variants:
        v = cube.arms.index(variant)
        for metric, margin in guards:
            j = cube.metrics.index(metric)
            paired = in_ctx & (cube.counts[b, :, j] > 0) & (cube.counts[v, :, j] > 0)
            row = {"variant": variant, "metric": metric, "margin": margin,
                   "non_inferior": False, "p_value": None, "n_pairs": int(paired.sum())}
            if paired.sum() >= 2:
                binary = metric == "pass_rate" and max(
                    cube.max_trials(b, j, paired), cube.max_trials(v, j, paired)) <= 1
                res = noninferiority_test(means[b, paired, j], means[v, paired, j], margin=margin,
                                          higher_is_better=higher_is_better(metric), alpha=alpha,
                                          paired_binary=binary)
                p = num(res.p_value)
                row["p_value"] = p
                row["non_inferior"] = bool(res.extra.get("non_inferior", p is not None and p < alpha))
            out.append(row)
    return out


def _costs(summary: list[dict], ctx: str) -> dict[str, float | None]:
    return {r["arm"]: r["mean"] for r in summary if r["metric"] == "cost_usd" and r["context"] == ctx}


def _noise_band(comparisons: list[dict], ctx: str) -> list[dict[str, Any]]:
    """A/A run: the baseline against itself. Differences inside +/- band are noise."""
    out = []
    for row in comparisons:
        if row["variant"] != AA_ARM or row["context"] != ctx:
            continue
        low, high = row["ci_low"], row["ci_high"]
        band = None if low is None or high is None else max(abs(low), abs(high))
        out.append({"metric": row["metric"], "context": ctx, "n_pairs": row["n_pairs"],
                    "diff": row["diff"], "ci_low": low, "ci_high": high, "band": band})
    return out

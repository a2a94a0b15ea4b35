"""The comparison report (JSON schema_version 2; v1 keys keep their meaning) from stored trials.

Pipeline: one vectorised pass turns the trials into per-task sums and counts for every
(arm, task, metric) (`cube.build_cube`); the summary and every comparison are then
O(tasks) numpy work on those arrays. docs/statistics.md describes the procedure for users.

Conventions:
- Intention to treat: a trial that ended in an error or a timeout counts as a failed
  attempt (pass 0, score 0); latency, cost and the rest are over completed trials, with
  the missing fraction per arm in ``missing``. ``sensitivity`` repeats the primary
  comparison with errors excluded.
- One estimand everywhere: the task-weighted mean (the mean over tasks of each task's
  mean). Summary intervals: Wilson's score interval on the effective number of trials
  for pass rate (Korn and Graubard's design-effect form, always inside [0, 1]), a t
  interval with (tasks - 1) df otherwise.
- comparisons: paired by task; tasks with a value in only one arm are left out and
  counted in ``n_unpaired``. The test is the sign-flip permutation test
  (`stats.permutation`); the families and their corrections are in `families`. A/A rows
  are not comparisons (they give the noise band); a one-context run has no "all" copy
  of its context's rows.
- guardrails: one-sided non-inferiority in the decision's context at alpha, uncorrected.
- decision: `decision.decide`, blocked when the missingness check fails.
- Resampling (permutations, bootstraps, P(best)) is seeded from ``seed`` (the run id by
  default), so the same trials in any row order give byte-identical JSON.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats as sps

from tamma_tui.errors import BadInput
from tamma_tui.stats.permutation import sign_flip_test
from tamma_tui.vocabulary import AA_ARM, CONTEXTS, PINNED_ARM

from .bootstrap import grouped_mean_studentized
from .choice import arm_means, evaluate_utility, parse_utility, probability_best
from .comparisons import choose_test, compare, num
from .components import variance_components
from .cube import TaskCube, build_cube
from .decision import decide
from .families import CORRECTIONS, assign_families
from .metrics import METRICS, higher_is_better
from .missingness import describe as describe_missingness, missingness_check
from .scales import effect_scales

SCHEMA_VERSION = 2
#: Above this many trials the bootstrap extras are off unless asked for (and say so).
ROBUSTNESS_AUTO_LIMIT = 100_000


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
    robustness: bool | None = None,
    n_resamples: int = 1000,
    seed: int | None = None,
    midp: bool = False,
    secondary_metrics: Sequence[str] | None = None,
    max_error_rate: float | None = None,
    trials_per_task: int | None = None,
    utility: str | None = None,
    history: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Summary, paired comparisons against the baseline, and the decision, as one dict."""
    alpha, correction, primary_metric = _check_options(alpha, correction, primary_metric)
    seed = int(run_id or 0) if seed is None else int(seed)
    utility_tree = parse_utility(utility)
    arm_info = _arm_list(trials, arms)
    _count_void_grades(trials, arm_info)
    names = [a["name"] for a in arm_info]
    baseline = next((a["name"] for a in arm_info if a["baseline"]), names[0] if names else None)
    if robustness is None:
        robustness = len(trials) <= ROBUSTNESS_AUTO_LIMIT

    cube = build_cube(trials, names)
    for i, arm in enumerate(arm_info):
        if arm.get("n_trials") is None:
            arm["n_trials"] = int(cube.n_rows[i])
        arm["n_errors"] = int(cube.n_errors[i])
        arm["n_void_grades"] = int(cube.n_void[i])

    if context is not None and context != "all" and context not in cube.contexts \
            and context not in CONTEXTS:
        raise BadInput(f"unknown context {context!r}; the run has "
                       f"{', '.join(cube.contexts) or 'no trials'}", field="context")
    # A one-context run: "all" is that context, so its rows appear once (under "all").
    contexts = [context] if context else ["all", *(cube.contexts if len(cube.contexts) > 1 else [])]
    present = cube.counts.sum(axis=(0, 1)) > 0
    metrics = [m for j, m in enumerate(cube.metrics) if present[j] or m == primary_metric]
    decision_context = context or "all"
    guards = _parse_guardrails(guardrails, cube, baseline, decision_context)
    # The A/A copy and the pinned configuration are references, never candidates.
    variants = [n for n in names if n not in (baseline, AA_ARM, PINNED_ARM)]
    has_aa = AA_ARM in names and baseline != AA_ARM

    summary = _summary(cube, contexts, metrics, alpha)
    comparisons, diffs = _comparisons(cube, baseline, variants, contexts, metrics, alpha, robustness,
                                      midp=midp, seed=seed, decision_context=decision_context,
                                      primary=primary_metric)
    if robustness and comparisons:
        _bootstrap(cube, comparisons, diffs, alpha=alpha, n_resamples=n_resamples, seed=seed)
    primary_diffs = {v: diffs[v, primary_metric] for v in variants if (v, primary_metric) in diffs}
    mask = cube.context_mask(decision_context)
    masked = {v: np.where(mask, d, np.nan) for v, d in primary_diffs.items()}
    assign_families(comparisons, primary=primary_metric, context=decision_context,
                    secondary=secondary_metrics, alpha=alpha, correction=correction,
                    primary_diffs=masked, seed=seed)
    comparisons = _ordered(comparisons)

    guard_rows = _guardrails(cube, baseline, variants, guards, decision_context, alpha, seed)
    primary_rows = {r["variant"]: r for r in comparisons
                    if r["metric"] == primary_metric and r["context"] == decision_context}
    check = missingness_check(cube, baseline=baseline, variants=variants, context_mask=mask,
                              alpha=alpha, max_error_rate=max_error_rate,
                              trials_per_task=trials_per_task, seed=seed) if baseline else None
    means_by_arm = arm_means(summary, decision_context)
    utilities = ({n: evaluate_utility(utility_tree, means_by_arm.get(n, {})) for n in variants}
                 if utility_tree is not None else None)
    hib = higher_is_better(primary_metric)

    def indistinct(a: str, b: str) -> bool:
        d = masked[a] - masked[b]
        res = sign_flip_test(d, seed=seed)
        return not res.pvalue < alpha

    n_variants = len(variants)
    family_text = (f"Confirmatory family: {primary_metric} {_where(decision_context)}, "
                   f"{n_variants} variant{'s' if n_variants != 1 else ''} vs {baseline}, "
                   f"{correction} correction at alpha={alpha:g}"
                   + ("; A/A arm excluded" if has_aa else "") + ".")
    decision = decide(
        variants=variants, baseline=baseline, primary_rows=primary_rows, guardrails=guard_rows,
        primary_metric=primary_metric, alpha=alpha, correction=correction,
        context=decision_context, costs=_costs(summary, decision_context),
        family_text=family_text, missingness=check,
        missingness_text=describe_missingness(check) if check else None,
        indistinct=indistinct, utilities=utilities, utility_text=utility,
    )
    decision["family"] = "confirmatory"
    decision["missingness"] = check
    if utility_tree is not None:
        decision["utility"] = {"expression": utility, "values": utilities}
    if has_aa:
        decision["reasons"].insert(0, f"{AA_ARM} is {baseline} run again (A/A): it measures the noise "
                                      "between identical configurations and is never a candidate; "
                                      "see the noise band.")
    sensitivity = _sensitivity(trials, names, baseline, variants, primary_metric, decision_context,
                               primary_rows, seed)
    if sensitivity:
        decision["reasons"].append(_sensitivity_text(sensitivity, primary_metric))
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run_id": run_id,
        "alpha": alpha,
        "correction": correction,
        "arms": arm_info,
        "summary": summary,
        "comparisons": comparisons,
        "decision": decision,
        "metrics": [{"name": m, "higher_is_better": higher_is_better(m)} for m in metrics],
        # --- schema_version 2 additions (docs/statistics.md)
        "families": _family_index(comparisons, guard_rows),
        "missing": _missing(cube, names),
        "sensitivity": sensitivity,
        "heterogeneity": _heterogeneity(cube, baseline, variants, primary_metric, alpha)
        if decision_context == "all" and len(cube.contexts) > 1 else [],
        "variance_components": variance_components(cube, baseline=baseline, variants=variants,
                                                   metrics=[primary_metric], mask=mask)
        if baseline else [],
        "effects": effect_scales(cube, baseline=baseline, variants=variants, mask=mask,
                                 primary=primary_metric, alpha=alpha, seed=seed, bootstrap=robustness)
        if baseline else {},
        "p_best": probability_best(primary_diffs and masked, baseline=baseline, higher_is_better=hib,
                                   seed=seed) if baseline else {},
        "robustness": {"enabled": bool(robustness),
                       "note": None if robustness else
                       f"bootstrap extras are off above {ROBUSTNESS_AUTO_LIMIT:,} trials; "
                       "pass robustness=True (--robustness) to compute them"},
        "seed": seed,
        "flaky": _flaky(cube, baseline, variants, primary_metric, mask) if baseline else [],
    }
    if history:
        report["baseline_history"] = history
    if has_aa:
        aa_rows, _ = _comparisons(cube, baseline, [AA_ARM], [decision_context], metrics, alpha, False,
                                  midp=midp, seed=seed, decision_context=decision_context,
                                  primary=primary_metric)
        report["noise_band"] = _noise_band(aa_rows, decision_context)
    return report


def _where(ctx: str) -> str:
    return "across all contexts" if ctx == "all" else f"in context {ctx}"


# ---------------------------------------------------------------- options


def _check_options(alpha: float, correction: str, primary: str) -> tuple[float, str, str]:
    try:
        alpha = float(alpha)
    except (TypeError, ValueError):
        raise BadInput(f"must be a number between 0 and 1, got {alpha!r}", field="alpha") from None
    if not 0 < alpha < 1:
        raise BadInput(f"must be between 0 and 1 (exclusive), got {alpha:g}", field="alpha")
    if correction not in CORRECTIONS:
        raise BadInput(f"unknown correction {correction!r}; use {', '.join(CORRECTIONS)}",
                       field="correction")
    if primary not in METRICS:
        raise BadInput(f"unknown metric {primary!r}; expected one of {', '.join(METRICS)}",
                       field="primary_metric")
    return alpha, correction, primary


_PERCENT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*%\s*$")


def parse_margin(metric: str, margin: Any) -> tuple[float, bool]:
    """(value, relative): ``0.02`` is in the metric's units, ``"5%"`` is 5% of the baseline."""
    if isinstance(margin, str):
        match = _PERCENT.match(margin)
        if match:
            return float(match.group(1)) / 100, True
    try:
        value = float(margin)
    except (TypeError, ValueError):
        raise BadInput(f"margin for {metric} must be a number or a percentage like 5%, got {margin!r}",
                       field="guardrails") from None
    if not value >= 0 or not math.isfinite(value):
        raise BadInput(f"margin for {metric} must be >= 0, got {value:g}", field="guardrails")
    return value, False


def _parse_guardrails(guardrails: Iterable[Any], cube: TaskCube | None = None, baseline: str | None = None,
                      ctx: str = "all") -> list[tuple[str, float, str | None]]:
    """(metric, margin in metric units, the margin as written when relative)."""
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
        value, relative = parse_margin(metric, margin)
        written = None
        if relative:
            written = str(margin).strip()
            base = _baseline_mean(cube, baseline, metric, ctx)
            value = value * abs(base) if base is not None else 0.0
        out.append((metric, value, written))
    return out


def _baseline_mean(cube: TaskCube | None, baseline: str | None, metric: str, ctx: str) -> float | None:
    if cube is None or baseline is None or metric not in cube.metrics:
        return None
    b, j = cube.arms.index(baseline), cube.metrics.index(metric)
    m = cube.means[b, cube.context_mask(ctx), j]
    m = m[np.isfinite(m)]
    return float(m.mean()) if m.size else None


def _count_void_grades(trials: pd.DataFrame, arm_info: list[dict[str, Any]]) -> None:
    """Each arm's grades voided for tampering (scored as failures; counted apart, so the
    reader sees cheating separately from honest failures)."""
    if "grade_integrity" not in trials.columns:
        return
    void = trials.loc[trials["grade_integrity"].astype("object") == "void", "arm"].astype(str)
    counts = void.value_counts()
    for arm in arm_info:
        arm["void_grades"] = int(counts.get(arm["name"], 0))


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
    seen = sorted(str(v) for v in pd.unique(trials["arm"].dropna())) if len(trials) else []
    seen = sorted(seen, key=lambda n: n != "baseline")  # baseline first, then by name
    return [{"name": n, "baseline": i == 0, "config_sha256": None, "n_trials": None}
            for i, n in enumerate(seen)]


# ---------------------------------------------------------------- summary


def _summary(cube: TaskCube, contexts: list[str], metrics: list[str], alpha: float) -> list[dict]:
    """Task-weighted means: each task's mean counts once, whatever its number of trials."""
    cols = [cube.metrics.index(m) for m in metrics]
    z = float(sps.norm.isf(alpha / 2))
    means_all = cube.means
    rows: list[dict[str, Any]] = []
    for a, arm in enumerate(cube.arms):
        for ctx in contexts:
            mask = cube.context_mask(ctx)
            task_means = means_all[a][mask][:, cols]  # (tasks, metrics)
            counts = cube.counts[a][mask][:, cols]
            has = counts > 0
            n_tasks = has.sum(axis=0)
            total = counts.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.nansum(task_means, axis=0) / n_tasks
                var = np.nansum((task_means - mean) ** 2, axis=0) / (n_tasks - 1)
                se = np.sqrt(var / n_tasks)
                half = sps.t.isf(alpha / 2, np.maximum(n_tasks - 1, 1)) * se
            for j, metric in enumerate(metrics):
                if n_tasks[j] == 0:
                    continue
                ok_se = n_tasks[j] > 1
                low, high = (mean[j] - half[j], mean[j] + half[j]) if ok_se else (None, None)
                method = "t"
                if metric == "pass_rate" and ok_se:
                    low, high = _wilson_design(mean[j], se[j], total[j], z)
                    method = "wilson"
                rows.append({
                    "arm": arm, "context": ctx, "metric": metric, "n_tasks": int(n_tasks[j]),
                    "n_trials": int(total[j]), "mean": num(mean[j]),
                    "se": num(se[j]) if ok_se else None,
                    "ci_low": num(low), "ci_high": num(high), "interval_method": method,
                })
    return rows


def _wilson_design(p: float, se: float, n_trials: float, z: float) -> tuple[float, float]:
    """Wilson's interval on the effective sample size p(1-p)/se^2 (capped at the trials)."""
    if p <= 0 or p >= 1 or not se > 0:
        n_eff = n_trials
    else:
        n_eff = min(p * (1 - p) / (se * se), n_trials)
    n_eff = max(n_eff, 1.0)
    denom = 1 + z * z / n_eff
    centre = (p + z * z / (2 * n_eff)) / denom
    half = z * math.sqrt(p * (1 - p) / n_eff + z * z / (4 * n_eff * n_eff)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


# ---------------------------------------------------------------- comparisons


def _flaky(cube: TaskCube, baseline: str, variants: list[str], metric: str,
           mask: np.ndarray) -> list[dict[str, Any]]:
    """Tasks whose repeats disagree on pass/fail in either arm are never dropped, but each
    comparison says how many there are and how much of its primary difference they carry:
    the difference over all paired tasks against the difference over the steady ones."""
    j_pass = cube.metrics.index("pass_rate")
    j = cube.metrics.index(metric)
    b = cube.arms.index(baseline)
    means = cube.means

    def flips(a: int) -> np.ndarray:
        s, n = cube.sums[a, :, j_pass], cube.counts[a, :, j_pass]
        return (n > 1) & (s > 0) & (s < n)

    out = []
    for name in variants:
        v = cube.arms.index(name)
        paired = mask & (cube.counts[b, :, j] > 0) & (cube.counts[v, :, j] > 0)
        flaky = paired & (flips(b) | flips(v))
        steady = paired & ~flaky
        diff = means[v, :, j] - means[b, :, j]
        full = num(diff[paired].mean()) if paired.any() else None
        without = num(diff[steady].mean()) if steady.any() else None
        carried = None if full is None or without is None else num(full - without)
        out.append({"variant": name, "metric": metric, "tasks": int(paired.sum()),
                    "flaky_tasks": int(flaky.sum()), "diff": full, "diff_steady_tasks": without,
                    "carried_by_flaky": carried})
    return out


def _comparisons(cube: TaskCube, baseline: str | None, variants: list[str], contexts: list[str],
                 metrics: list[str], alpha: float, robustness: bool, *, midp: bool, seed: int,
                 decision_context: str, primary: str,
                 ) -> tuple[list[dict], dict[tuple[str, str], np.ndarray]]:
    """Rows in (variant, context, metric) order, and the per-task differences
    (variant - baseline, NaN when unpaired) per (variant, metric) over all tasks."""
    rows: list[dict[str, Any]] = []
    diffs: dict[tuple[str, str], np.ndarray] = {}
    if baseline is None:
        return rows, diffs
    b = cube.arms.index(baseline)
    means = cube.means
    for variant in variants:
        v = cube.arms.index(variant)
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
                deciding = ctx == decision_context
                row = {"variant": variant, "baseline": baseline, "context": ctx, "metric": metric}
                row.update(compare(x, y, metric=metric, test=choose_test(metric, k, midp),
                                   alpha=alpha, robustness=robustness, seed=seed, midp=midp,
                                   n_resamples=9_999 if deciding else 1_999))
                row["n_unpaired"] = int(np.sum(has_b ^ has_v))
                rows.append(row)
    return rows, diffs


def _bootstrap(cube: TaskCube, rows: list[dict], diffs: dict[tuple[str, str], np.ndarray], *,
               alpha: float, n_resamples: int, seed: int) -> None:
    """Studentised cluster-bootstrap intervals for every row from one set of task resamples."""
    keys = list(diffs)
    if not keys:
        return
    low, high = grouped_mean_studentized(np.column_stack([diffs[k] for k in keys]), cube.task_context,
                                         alpha=alpha, n_resamples=n_resamples, seed=seed)
    column = {k: i for i, k in enumerate(keys)}
    for row in rows:
        k = column[row["variant"], row["metric"]]
        g = 0 if row["context"] == "all" else cube.contexts.index(row["context"]) + 1 \
            if row["context"] in cube.contexts else None
        lo, hi = (None, None) if g is None else (num(low[g, k]), num(high[g, k]))
        row["robustness"]["bootstrap"] = {"method": "studentized_cluster", "n_resamples": n_resamples,
                                          "seed": seed, "ci_low": lo, "ci_high": hi}


_HEAD = ("variant", "baseline", "context", "metric", "family", "n_pairs", "n_unpaired", "baseline_mean",
         "variant_mean", "diff", "ci_low", "ci_high", "test", "statistic", "p_value",
         "p_adjusted", "significant", "effect_size", "direction")


def _ordered(rows: list[dict]) -> list[dict]:
    """The schema's key order for people reading the JSON; extras go last."""
    return [{k: row.get(k) for k in _HEAD} | {k: v for k, v in row.items() if k not in _HEAD}
            for row in rows]


def _family_index(comparisons: list[dict], guards: list[dict]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for fam in ("confirmatory", "secondary", "exploratory"):
        rows = [r for r in comparisons if r["family"] == fam]
        out[fam] = {"n_rows": len(rows),
                    "correction": sorted({r.get("correction") for r in rows if r.get("correction")}),
                    "n_significant": sum(1 for r in rows if r["significant"])}
    out["guardrail"] = {"n_rows": len(guards), "correction": ["none (intersection-union)"],
                        "n_significant": sum(1 for g in guards if g["non_inferior"])}
    return out


# ---------------------------------------------------------------- guardrails, costs, A/A


def _guardrails(cube: TaskCube, baseline: str | None, variants: list[str],
                guards: list[tuple[str, float, str | None]], ctx: str, alpha: float,
                seed: int) -> list[dict]:
    """One-sided non-inferiority: Tango's score test for 0/1 at one trial per task, else a
    one-sided sign-flip test of the differences shifted by the margin (so constant
    differences from two tasks cannot prove anything)."""
    from tamma_tui.stats.noninferiority import noninferiority_test

    out: list[dict[str, Any]] = []
    if baseline is None:
        return out
    b = cube.arms.index(baseline)
    in_ctx = cube.context_mask(ctx)
    means = cube.means
    for variant in variants:
        v = cube.arms.index(variant)
        for metric, margin, written in guards:
            j = cube.metrics.index(metric)
            paired = in_ctx & (cube.counts[b, :, j] > 0) & (cube.counts[v, :, j] > 0)
            row = {"variant": variant, "metric": metric, "margin": margin,
                   "non_inferior": False, "p_value": None, "n_pairs": int(paired.sum()),
                   "family": "guardrail"}
            if written:
                row["margin_as_written"] = written
            if paired.sum() >= 2:
                x, y = means[b, paired, j], means[v, paired, j]
                binary = metric == "pass_rate" and max(
                    cube.max_trials(b, j, paired), cube.max_trials(v, j, paired)) <= 1
                if binary:
                    res = noninferiority_test(x, y, margin=margin, higher_is_better=higher_is_better(metric),
                                              alpha=alpha, paired_binary=True)
                    p = num(res.p_value)
                    row["test"] = "tango_score"
                else:
                    sign = 1.0 if higher_is_better(metric) else -1.0
                    p = num(_one_sided_sign_flip(sign * (y - x) + margin, seed))
                    row["test"] = "sign_flip_one_sided"
                row["p_value"] = p
                row["non_inferior"] = bool(p is not None and p < alpha)
            out.append(row)
    return out


def _one_sided_sign_flip(shifted: np.ndarray, seed: int) -> float:
    """P(sum >= observed) under random signs: H0 mean = 0 vs mean > 0."""
    res = sign_flip_test(shifted, seed=seed)
    if res.estimate is None or not np.isfinite(res.estimate):
        return 1.0
    # two-sided -> one-sided: halve in the direction of the estimate (symmetric null)
    return res.pvalue / 2 if res.statistic > 0 else 1 - res.pvalue / 2


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


# ---------------------------------------------------------------- v2 extras


def _missing(cube: TaskCube, names: list[str]) -> list[dict[str, Any]]:
    """Per arm and metric: the share of attempted trials with no value (errors for latency
    and cost; none for pass rate and score, where errors count as failures)."""
    out = []
    for a, arm in enumerate(names):
        stored = int(cube.trials[a].sum())
        for j, metric in enumerate(cube.metrics):
            counted = int(cube.counts[a, :, j].sum())
            if counted == 0:
                continue
            out.append({"arm": arm, "metric": metric, "attempted": stored,
                        "missing_fraction": num(1 - counted / stored) if stored else None})
    return out


def _sensitivity(trials: pd.DataFrame, names: list[str], baseline: str | None, variants: list[str],
                 metric: str, ctx: str, primary_rows: dict[str, dict], seed: int) -> list[dict[str, Any]]:
    """The primary comparison with errors excluded instead of counted as failures."""
    from .metrics import HIGHER_IS_BETTER
    from tamma_tui.vocabulary import QUALITY_METRICS

    if baseline is None or metric not in QUALITY_METRICS or not HIGHER_IS_BETTER.get(metric, True):
        return []
    cube = build_cube(trials, names, metrics=(metric,), itt=False)
    mask = cube.context_mask(ctx)
    b = cube.arms.index(baseline)
    out = []
    for name in variants:
        v = cube.arms.index(name)
        paired = mask & (cube.counts[b, :, 0] > 0) & (cube.counts[v, :, 0] > 0)
        d = cube.means[v, paired, 0] - cube.means[b, paired, 0]
        res = sign_flip_test(d, seed=seed)
        row = primary_rows.get(name, {})
        out.append({"variant": name, "metric": metric,
                    "errors_as_failures": {"diff": row.get("diff"), "p_value": row.get("p_value")},
                    "errors_excluded": {"diff": num(d.mean()) if d.size else None,
                                        "p_value": num(res.pvalue), "n_pairs": int(paired.sum())}})
    return out


def _sensitivity_text(rows: list[dict[str, Any]], metric: str) -> str:
    from .metrics import format_value

    parts = []
    for r in rows:
        a, e = r["errors_as_failures"], r["errors_excluded"]
        parts.append(f"{r['variant']} {format_value(metric, a['diff'], signed=True)} counting errors as "
                     f"failures vs {format_value(metric, e['diff'], signed=True)} excluding them")
    return "Sensitivity: " + "; ".join(parts) + "."


def _heterogeneity(cube: TaskCube, baseline: str | None, variants: list[str], metric: str,
                   alpha: float) -> list[dict[str, Any]]:
    """Cochran's Q over the contexts' mean differences (inverse-variance weights)."""
    if baseline is None:
        return []
    b, j = cube.arms.index(baseline), cube.metrics.index(metric)
    out = []
    for name in variants:
        v = cube.arms.index(name)
        est, var = [], []
        for ctx in cube.contexts:
            mask = cube.context_mask(ctx) & (cube.counts[b, :, j] > 0) & (cube.counts[v, :, j] > 0)
            d = cube.means[v, mask, j] - cube.means[b, mask, j]
            if d.size >= 2 and d.var(ddof=1) > 0:
                est.append(float(d.mean()))
                var.append(float(d.var(ddof=1)) / d.size)
        if len(est) < 2:
            out.append({"variant": name, "metric": metric, "q": None, "df": None, "p_value": None,
                        "heterogeneous": False})
            continue
        w = 1 / np.array(var)
        e = np.array(est)
        pooled = float((w * e).sum() / w.sum())
        q = float((w * (e - pooled) ** 2).sum())
        p = float(sps.chi2.sf(q, len(est) - 1))
        out.append({"variant": name, "metric": metric, "q": num(q), "df": len(est) - 1,
                    "p_value": num(p), "heterogeneous": bool(p < alpha)})
    return out

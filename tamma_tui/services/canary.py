"""The confirmatory canary behind ``changes verify``: the live (changed) config against the
pre-change snapshot, on tasks the evidence did not use, run sequentially by the ordinary
engine (an experiment like any other, so it shows in runs and history).

The verdict, on the evidence's own analysis plan (primary metric, guardrails, alpha):
  failed        the primary metric or a guardrail is significantly worse, or a guardrail's
                observed loss is beyond its margin -> the caller rolls back;
  verified      the primary metric's estimate is not in the worse direction and every
                guardrail is shown non-inferior;
  inconclusive  anything else (too few unused tasks, errors, an underpowered canary): the
                change stays applied, with the reason.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import yaml

from tamma_tui.store.handle import Database

PREVIOUS, CANDIDATE = "baseline", "candidate"


@dataclass(frozen=True)
class CanaryResult:
    verdict: str  # verified | failed | inconclusive
    reason: str
    run_id: int | None
    details: dict[str, Any]


def unused_tasks(suite_ref: str, contexts: list[str], used: set[str], limit: int) -> list[str]:
    """Up to ``limit`` task ids per context, in suite order, that the evidence did not use."""
    from tamma_tui.suites.registry import load_suite

    suite = load_suite(suite_ref)
    out: list[str] = []
    for context in contexts:
        out.extend([t.id for t in suite.by_context(context) if t.id not in used][:limit])
    return out


def _verdict(report: dict[str, Any], analysis: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    decision = report.get("decision") or {}
    metric = analysis.get("primary_metric") or decision.get("primary_metric")
    rows = {(c["metric"]): c for c in report.get("comparisons", [])
            if c["variant"] == CANDIDATE and c["context"] == decision.get("context", "all")}
    primary = rows.get(metric) or {}
    guards = [g for g in decision.get("guardrails", []) if g["variant"] == CANDIDATE]
    details = {"primary_metric": metric, "primary": {k: primary.get(k) for k in ("diff", "ci_low", "ci_high",
                                                                                  "p_adjusted", "direction", "n_pairs")},
               "guardrails": guards}
    if not primary or not primary.get("n_pairs"):
        return "inconclusive", "the canary paired no tasks", details
    if primary.get("direction") == "worse":
        return "failed", f"{metric} significantly worse than before the change", details
    from tamma_tui.vocabulary import METRIC_SPECS as METRICS

    for guard in guards:
        row = rows.get(guard["metric"]) or {}
        if row.get("direction") == "worse":
            return "failed", f"guardrail {guard['metric']} significantly worse than before the change", details
        diff = row.get("diff")
        sign = 1 if METRICS[guard["metric"]].higher_is_better else -1
        if diff is not None and sign * diff < -guard["margin"] and not guard["non_inferior"]:
            return "failed", (f"guardrail {guard['metric']} lost {abs(diff):.3g}, beyond its margin "
                              f"{guard['margin']:g}"), details
    diff = primary.get("diff")
    sign = 1 if METRICS[metric].higher_is_better else -1
    if diff is not None and sign * diff < 0:
        return "inconclusive", f"{metric} estimate moved the wrong way (not significantly)", details
    unproven = [g["metric"] for g in guards if not g["non_inferior"]]
    if unproven:
        return "inconclusive", f"non-inferiority not shown on {', '.join(unproven)} (a larger canary may)", details
    return "verified", f"{metric} holds and every guardrail is non-inferior on {primary['n_pairs']} new task(s)", details


def run_canary(db: Database, *, change_id: int, previous: dict[str, Any], candidate: dict[str, Any],
               evidence: dict[str, Any], max_tasks: int = 12, trials: int = 1,
               on_event: Callable[[Any], None] | None = None):
    from tamma_tui.errors import BadInput
    from tamma_tui.services.experiments import run_experiment
    from tamma_tui.services.reports import report_for_run

    contexts = evidence.get("contexts") or []
    suite = evidence.get("suite") or "tamma-core"
    try:
        tasks = unused_tasks(suite, contexts, set(evidence.get("tasks") or []), max_tasks)
    except BadInput as exc:
        return CanaryResult("inconclusive", f"the evidence's suite cannot be loaded: {exc}", None, {})
    if len(tasks) < 2:
        return CanaryResult("inconclusive", "fewer than 2 tasks the evidence did not use", None, {})
    analysis = evidence.get("analysis") or {}
    with tempfile.TemporaryDirectory(prefix="tamma-canary-") as tmp:
        folder = Path(tmp)
        (folder / "previous.json").write_text(json.dumps(previous), encoding="utf-8")
        (folder / "candidate.json").write_text(json.dumps(candidate), encoding="utf-8")
        spec = {
            "name": f"canary for change {change_id}",
            "description": "confirmatory canary: the applied change against the pre-change snapshot",
            "suite": suite, "contexts": contexts, "tasks": tasks, "trials": trials, "seed": change_id,
            "baseline": "previous.json",
            "variants": [{"name": CANDIDATE, "config": "candidate.json"}],
            "analysis": {k: analysis[k] for k in ("alpha", "correction", "primary_metric", "guardrails")
                         if k in analysis},
            "sequential": {"enabled": True, "block_tasks": max(2, min(4, len(tasks) // 2))},
        }
        path = folder / "canary.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        outcome = run_experiment(path, db=db, on_event=on_event)
    if outcome.status not in ("completed", "stopped_early"):
        return CanaryResult("inconclusive", f"the canary run ended {outcome.status}", outcome.run_id, {})
    if outcome.error_rate > 0.2:
        return CanaryResult("inconclusive", f"{outcome.errors} of {outcome.done} canary trials errored",
                            outcome.run_id, {})
    verdict, reason, details = _verdict(report_for_run(db, outcome.run_id), analysis)
    return CanaryResult(verdict, reason, outcome.run_id, {"canary": details, "tasks": len(tasks)})

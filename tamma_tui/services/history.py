"""History use cases shared by the CLI and the app: an agent's lineage with change points
and events, flaky tasks, optimisation effectiveness, comparing two runs or two windows."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Sequence

from tamma_tui.errors import BadInput
from tamma_tui.history import attribution, changes, effectiveness, flaky
from tamma_tui.history.check import compare_tasks, pair_arms
from tamma_tui.history.effectiveness import AppliedChange
from tamma_tui.history.flaky import flaky_share
from tamma_tui.history.series import Series, build_series, find, pick_arms
from tamma_tui.store import history as store
from tamma_tui.vocabulary import CONTEXTS, METRIC_SPECS

if TYPE_CHECKING:  # SQL stays in the store; services only pass the engine along
    from sqlalchemy.engine import Engine


def _stamp(t: datetime | None) -> str | None:
    return t.isoformat(timespec="seconds") if t else None


def parse_when(text: str | None, field: str) -> datetime | None:
    """An ISO date or date-time (UTC unless it says otherwise)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"not an ISO date or date-time: {text!r}", field=field) from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def check_metric(metric: str | None, field: str = "--metric") -> None:
    if metric is not None and metric not in METRIC_SPECS:
        raise BadInput(f"unknown metric {metric!r}; expected one of {', '.join(METRIC_SPECS)}", field=field)


def check_context(context: str | None) -> None:
    if context is not None and context not in (*CONTEXTS, "all"):
        raise BadInput(f"unknown context {context!r}; expected one of {', '.join((*CONTEXTS, 'all'))}",
                       field="--context")


# --- applied changes (the config-store room's change requests) ------------------------------


def applied_changes(engine: Engine, agent_id: str) -> list[AppliedChange]:
    """The agent's applied change requests (``store/changes.py``), as effectiveness reads them."""
    return [as_applied_change(row, agent_id) for row in store.applied_changes(engine, agent_id)]


def as_applied_change(row: Any, agent_id: str) -> AppliedChange:
    get = row.get if isinstance(row, dict) else (lambda k, d=None: getattr(row, k, d))
    return AppliedChange(
        change_id=str(get("change_id", None) or get("id")), agent_id=get("agent_id", agent_id) or agent_id,
        applied_at=get("applied_at"), source=str(get("source", "") or "manual"),
        metric=get("metric", "pass_rate") or "pass_rate", context=get("context", "all") or "all",
        predicted=get("predicted", None), predicted_low=get("predicted_low", None),
        predicted_high=get("predicted_high", None), rolled_back_at=get("rolled_back_at", None),
        title=str(get("title", "") or ""))


# --- lineage ------------------------------------------------------------------------------


def agent_history(engine: Engine, agent_id: str, *, metric: str | None = None, context: str | None = None,
                  since: datetime | None = None, until: datetime | None = None,
                  changes_applied: Sequence[AppliedChange] | None = None) -> dict[str, Any]:
    """The agent's series with their change points (and their causes), and its events."""
    check_metric(metric)
    check_context(context)
    arms = store.agent_arms(engine, agent_id, since=since, until=until)
    if not arms:
        raise BadInput(f"no runs of agent {agent_id!r} (an agentId, or the arm name of an import)", field="AGENT")
    metrics = [metric] if metric else ["pass_rate", "score", "latency_s", "cost_usd"]
    contexts = [context] if context else None
    all_series = build_series(engine, agent_id, metrics=metrics, contexts=contexts, arms=arms)
    applied = list(changes_applied) if changes_applied is not None else applied_changes(engine, agent_id)
    aa_sd = _aa_noise(engine, arms, metrics)
    out_series = []
    stamps = {a["run_id"]: _stamp(a["created_at"]) for a in arms}  # once per run, not per point
    for s in all_series:
        if s.role != "current":
            continue
        pinned = find(all_series, context=s.context, metric=s.metric, role="pinned", suite_version=s.suite_version)
        env = changes.environment_sd(pinned)
        extra = max(env, aa_sd.get(s.metric, 0.0))
        cps = changes.detect(s, extra_sd=extra)
        pinned_cps = changes.detect(pinned, extra_sd=extra) if pinned else []
        causes = attribution.attribute(s, cps, pinned, pinned_cps)
        level = changes.current_level(s, cps)
        rows = [{**cp.as_dict(), **cause, "suggest_rollback": _rollback_candidate(s, cp, cause["cause"], applied)}
                for cp, cause in zip(cps, causes)]
        out_series.append({
            "suite_version": s.suite_version, "context": s.context, "metric": s.metric,
            "points": [{"run_id": p.run_id, "run": p.run_name, "at": stamps[p.run_id], "version": p.version,
                        "config_sha256": p.config_sha256, "value": p.value, "se": _finite(p.se), "n_tasks": p.n_tasks}
                       for p in s.points],
            "pinned": [{"run_id": p.run_id, "value": p.value} for p in pinned.points] if pinned else [],
            "change_points": rows,
            "noise_floor": changes.noise_floor(s.points, extra_sd=extra),
            "current_level": level,
            "badge": _badge(rows),
        })
    events = _events(engine, agent_id, arms, applied)
    runs = list(dict.fromkeys(a["run_id"] for a in arms))
    return {"agent_id": agent_id, "runs": len(runs), "series": out_series, "events": events,
            "detector": {"method": "e_divisive_means", "alpha": changes.ALPHA, "min_size": changes.MIN_SIZE,
                         "window": changes.MAX_WINDOW}}


def _rollback_candidate(series: Series, cp, cause: str, applied: Sequence[AppliedChange]) -> str | None:
    """The id of a change applied (and not rolled back) just before a regression's first
    run, within the runs the split is located to: the change to roll back."""
    if cp.verdict != "regressed" or cause == "drift":  # drift is not the change's doing
        return None
    pts = series.points
    lo = pts[max(cp.index - 1 - attribution.TOLERANCE, 0)].created_at
    hi = pts[min(cp.index + attribution.TOLERANCE, len(pts) - 1)].created_at
    return applied_between(applied, lo, hi)


def applied_between(applied: Sequence[AppliedChange], lo: datetime, hi: datetime) -> str | None:
    """The newest change applied in (lo, hi] and still in force."""
    def aware(t: datetime) -> datetime:
        return t if t.tzinfo else t.replace(tzinfo=timezone.utc)

    hits = [c for c in applied if aware(lo) < aware(c.applied_at) <= aware(hi) and c.rolled_back_at is None]
    return max(hits, key=lambda c: aware(c.applied_at)).change_id if hits else None


def _finite(v: float) -> float | None:
    return v if v is not None and math.isfinite(v) else None


def _badge(rows: Sequence[dict[str, Any]]) -> str:
    """The newest decisive change decides: regressed, drift, improved or ok."""
    decisive = [r for r in rows if r["verdict"] != "inconclusive"]
    if not decisive:
        return "ok"
    last = decisive[-1]
    if last["cause"] == "drift":
        return "drift"
    return last["verdict"]


def _aa_noise(engine: Engine, arms: Sequence[dict[str, Any]], metrics: Sequence[str]) -> dict[str, float]:
    """Run-to-run noise seen in A/A runs of the agent: sd of the arm difference / sqrt 2."""
    aa_runs = sorted({a["run_id"] for a in arms if a["kind"] == "aa"})
    if not aa_runs:
        return {}
    cols = [METRIC_SPECS[m].column for m in metrics]
    rows = store.task_means(engine, ((a["run_id"], a["arm"]) for a in arms if a["run_id"] in aa_runs), cols)
    per: dict[tuple[int, str], list[list[float]]] = {}
    for run_id, arm, _ctx, _task, _n, *means in rows:
        slot = per.setdefault((run_id, arm), [[] for _ in metrics])
        for i, v in enumerate(means):
            if v is not None:
                slot[i].append(float(v))
    out: dict[str, float] = {}
    for i, m in enumerate(metrics):
        diffs = []
        for rid in aa_runs:
            levels = [sum(v[i]) / len(v[i]) for (r, _a), v in per.items() if r == rid and v[i]]
            if len(levels) >= 2:
                diffs.append(levels[0] - levels[1])
        if diffs:
            out[m] = math.sqrt(sum(d * d for d in diffs) / len(diffs)) / math.sqrt(2)
    return out


def _events(engine: Engine, agent_id: str, arms: Sequence[dict[str, Any]],
            changes_applied: Sequence[AppliedChange] | None) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    seen: set[str] = set()
    for a in arms:  # the first run of each config version marks the version's arrival
        sha = a["config_sha256"]
        if sha and sha not in seen:
            seen.add(sha)
            events.append({"at": _stamp(a["created_at"]), "kind": "version", "run_id": a["run_id"],
                           "text": f"version {a['version'] or '?'} ({sha[:8]}) first run"})
    applied = list(changes_applied or [])
    for c in applied:
        events.append({"at": _stamp(c.applied_at), "kind": "applied", "change_id": c.change_id,
                       "text": f"change {c.change_id} applied ({c.source}) {c.title}".strip()})
        if c.rolled_back_at:
            events.append({"at": _stamp(c.rolled_back_at), "kind": "rollback", "change_id": c.change_id,
                           "text": f"change {c.change_id} rolled back"})
    run_ids = list(dict.fromkeys(a["run_id"] for a in arms))
    for ack in store.acks(engine, run_ids):
        events.append({"at": _stamp(ack["created_at"]), "kind": "ack", "run_id": ack["run_id"],
                       "text": f"regression of run {ack['run_id']} acknowledged until "
                               f"{_stamp(ack['expires_at'])}: {ack['reason']}"})
    return sorted(events, key=lambda e: e["at"] or "")


# --- flakiness ------------------------------------------------------------------------------


def flaky_tasks(engine: Engine, agent_id: str, *, context: str | None = None, limit: int = 20,
                arms: Sequence[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    check_context(context)
    arms = list(arms if arms is not None else store.agent_arms(engine, agent_id))
    if not arms:
        raise BadInput(f"no runs of agent {agent_id!r}", field="AGENT")
    chosen = [a for a in pick_arms(arms) if a["role"] == "current"]
    rows = flaky.stability_from_counts(store.task_flip_counts(engine, ((a["run_id"], a["arm"]) for a in chosen)))
    if context and context != "all":
        rows = [r for r in rows if r.context == context]
    return [r.as_dict() for r in rows[:limit]]


def flaky_task_ids(engine: Engine, agent_id: str) -> set[str]:
    return {f"{r['context']}/{r['task_id']}" for r in flaky_tasks(engine, agent_id, limit=10**9) if r["flaky"]}


# --- effectiveness --------------------------------------------------------------------------


def effectiveness_of(engine: Engine, agent_id: str, *,
                     changes_applied: Sequence[AppliedChange] | None = None) -> dict[str, Any]:
    applied = list(changes_applied) if changes_applied is not None else applied_changes(engine, agent_id)
    if not applied:
        return {"agent_id": agent_id, "changes": [], "by_source": []}
    metrics = sorted({c.metric for c in applied})
    all_series = build_series(engine, agent_id, metrics=metrics)
    rows = []
    for c in applied:
        s = find(all_series, context=c.context, metric=c.metric)
        if s is None:
            continue
        rows.append(effectiveness.realised(c, s))
    return {"agent_id": agent_id, "changes": rows, "by_source": effectiveness.winners_curse(rows)}


# --- comparing runs and windows -------------------------------------------------------------


def _tables(engine: Engine, run_arms: Sequence[tuple[int, str]], metrics: Sequence[str]):
    """(run, arm) -> metric -> context -> task -> (mean, n)."""
    cols = [METRIC_SPECS[m].column for m in metrics]
    out: dict[tuple[int, str], dict[str, dict[str, dict[str, tuple[float, int]]]]] = {}
    for run_id, arm, context, task_id, n, *means in store.task_means(engine, run_arms, cols):
        slot = out.setdefault((run_id, arm), {})
        for m, v in zip(metrics, means):
            if v is not None:
                slot.setdefault(m, {}).setdefault(context, {})[task_id] = (float(v), int(n))
    return out


def compare_runs(engine: Engine, run_a: int | str, run_b: int | str, *, metrics: Sequence[str] | None = None,
                 alpha: float | None = None) -> dict[str, Any]:
    """Run B against run A: arms matched by config hash or name, paired on common tasks."""
    from tamma_tui.store import queries, repo

    for m in metrics or ():
        check_metric(m)
    a, b = repo.get_run(engine, run_a), repo.get_run(engine, run_b)
    arms_a = queries.arm_configs(engine, a.id)
    arms_b = queries.arm_configs(engine, b.id)
    pairs = pair_arms(arms_b, arms_a)
    if not pairs:
        raise BadInput(f"runs {a.id} and {b.id} share no arm (by config hash or name)", field="RUN_B")
    plan = _plan(a.analysis_json)
    alpha = alpha or plan.get("alpha", 0.05)
    metrics = list(metrics or ["pass_rate", "score", "latency_s", "cost_usd"])
    tables = _tables(engine, [(a.id, ra) for _, ra in pairs] + [(b.id, cb) for cb, _ in pairs], metrics)
    rows = []
    for cur, ref in pairs:
        rows.extend(_compare_arm(tables.get((b.id, cur), {}), tables.get((a.id, ref), {}), cur, ref, metrics, alpha))
    agents = store.run_agents(engine, b.id)
    flaky_ids = flaky_task_ids(engine, agents[0]) if agents else set()
    for row in rows:  # flaky tasks stay in; this says how much of the difference they carry
        diffs = row.pop("task_diffs")
        row["flaky"] = flaky_share({f"{row['context']}/{t}": d for t, d in diffs.items()}, flaky_ids)
    return {"run_a": a.id, "run_b": b.id, "alpha": alpha, "rows": rows}


def _compare_arm(cur: dict, ref: dict, arm: str, ref_arm: str, metrics: Sequence[str], alpha: float,
                 margins: dict[str, float | None] | None = None) -> list[dict[str, Any]]:
    rows = []
    for m in metrics:
        for ctx in [c for c in CONTEXTS if c in cur.get(m, {}) and c in ref.get(m, {})]:
            res = compare_tasks(cur[m][ctx], ref[m][ctx], metric=m, margin=(margins or {}).get(m), alpha=alpha)
            res["task_diffs"] = res.pop("diffs")
            rows.append({"arm": arm, "reference_arm": ref_arm, "context": ctx, "metric": m, **res})
    return rows


def compare_windows(engine: Engine, agent_id: str, since: datetime, until: datetime | None = None, *,
                    metrics: Sequence[str] | None = None, alpha: float = 0.05) -> dict[str, Any]:
    """The agent's runs in [since, until) against the equally long window just before,
    each window pooled per task (the mean of the task's means over the window's runs)."""
    until = until or datetime.now(timezone.utc)
    if until <= since:
        raise BadInput("--until must be after --since", field="--until")
    span = until - since
    earlier = pick_arms(store.agent_arms(engine, agent_id, since=since - span, until=since))
    later = pick_arms(store.agent_arms(engine, agent_id, since=since, until=until))
    earlier = [a for a in earlier if a["role"] == "current"]
    later = [a for a in later if a["role"] == "current"]
    if not earlier or not later:
        raise BadInput(f"agent {agent_id!r} needs runs in both windows ({len(earlier)} before, {len(later)} in)",
                       field="--since")
    metrics = list(metrics or ["pass_rate", "score", "latency_s", "cost_usd"])
    tables = _tables(engine, [(a["run_id"], a["arm"]) for a in earlier + later], metrics)
    pooled = [_pool([tables.get((a["run_id"], a["arm"]), {}) for a in side], metrics) for side in (earlier, later)]
    rows = _compare_arm(pooled[1], pooled[0], agent_id, agent_id, metrics, alpha)
    for row in rows:
        row.pop("task_diffs")
    return {"agent_id": agent_id, "window_a": [_stamp(since - span), _stamp(since)],
            "window_b": [_stamp(since), _stamp(until)], "runs_a": len(earlier), "runs_b": len(later),
            "alpha": alpha, "rows": rows}


def _pool(tables: Sequence[dict], metrics: Sequence[str]) -> dict:
    out: dict[str, dict[str, dict[str, tuple[float, int]]]] = {}
    acc: dict[tuple[str, str, str], list[float]] = {}
    for table in tables:
        for m, by_ctx in table.items():
            for ctx, tasks in by_ctx.items():
                for task, (v, _n) in tasks.items():
                    acc.setdefault((m, ctx, task), []).append(v)
    for (m, ctx, task), values in acc.items():
        out.setdefault(m, {}).setdefault(ctx, {})[task] = (sum(values) / len(values), len(values))
    return out


def _plan(analysis_json: str | None) -> dict[str, Any]:
    import json

    try:
        return json.loads(analysis_json or "{}") or {}
    except json.JSONDecodeError:
        return {}


# --- the app's Trends screen ------------------------------------------------------------------


def trends_view(engine: Engine, agent_id: str) -> dict[str, Any]:
    """Everything the Trends screen shows beyond the sparklines, in one background call:
    the agent's history (change points, badges, events), its flaky tasks, its applied
    changes' effectiveness and its runs (for the two-run compare)."""
    arms = store.agent_arms(engine, agent_id)
    if not arms:
        return {"history": None, "flaky": [], "effectiveness": {"changes": [], "by_source": []}, "runs": []}
    runs = []
    seen: set[int] = set()
    for a in arms:
        if a["run_id"] not in seen:
            seen.add(a["run_id"])
            runs.append({"run_id": a["run_id"], "name": a["run_name"], "at": _stamp(a["created_at"]),
                         "kind": a["kind"], "version": a["version"]})
    return {
        "history": agent_history(engine, agent_id),
        "flaky": flaky_tasks(engine, agent_id, arms=arms),
        "effectiveness": effectiveness_of(engine, agent_id),
        "runs": runs,
    }

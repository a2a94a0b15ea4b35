"""``tamma-bench check``: gate a run against a reference, record the outcome, acknowledge
regressions (audited)."""

from __future__ import annotations

import getpass
import math
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Sequence

from tamma_tui.errors import BadInput, Refused
from tamma_tui.history import changes
from tamma_tui.history.check import GateResult, attribute_drift, compare_tasks, gated_metrics, overall, pair_arms
from tamma_tui.history.flaky import flaky_share
from tamma_tui.history.series import PINNED_ARM, build_series, find, pick_arms
from tamma_tui.store import history as store
from tamma_tui.store import transaction
from tamma_tui.vocabulary import CONTEXTS

if TYPE_CHECKING:  # SQL stays in the store; services only pass the engine along
    from sqlalchemy.engine import Engine

from . import history as history_service
from .history import _plan, _pool, _tables, applied_between, check_metric, flaky_task_ids, parse_when

AGAINST_MODES = ("last-accepted", "history")


def _audit(session, action: str, subject: str, *, reason: str = "", **details: Any) -> None:
    """One event in the hash-chained audit log, in the caller's transaction."""
    from tamma_tui.store.audit import append_event

    append_event(session, actor=_actor(), action=action, subject=subject, reason=reason, details=details)


def _actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in a bare container: the audit still records the action
        return ""


def check_run(engine: Engine, run_id: int | str, *, against: str = "last-accepted",
              metrics: Sequence[str] | None = None, record: bool = True) -> dict[str, Any]:
    from tamma_tui.store import queries, repo

    for m in metrics or ():
        check_metric(m)
    run = repo.get_run(engine, run_id)
    if run.status == "running":
        raise Refused(f"run {run.id} is still running; check it when it has finished", field="RUN")
    plan = _plan(run.analysis_json)
    alpha = float(plan.get("alpha", 0.05))
    gated = gated_metrics(plan, metrics)
    names = [m for m, _ in gated]
    margins = dict(gated)
    agents = store.run_agents(engine, run.id)
    agent = agents[0] if agents else ""
    arms_now = queries.arm_configs(engine, run.id)
    history_arms = [a for a in store.agent_arms(engine, agent) if a["run_id"] != run.id
                    and (a["created_at"], a["run_id"]) < (run.created_at, run.id)] if agent else []
    label, pairs, reference, ref_run = _reference(engine, run, against, arms_now, history_arms, names)
    ref_version = ref_run.suite_version or "" if ref_run is not None else None
    outcome: dict[str, Any] = {"run_id": run.id, "agent_id": agent, "against": label, "alpha": alpha,
                               "metrics": names, "results": [], "verdict": "no_reference", "notes": []}
    if ref_version is not None and ref_version != (run.suite_version or ""):
        outcome["notes"].append("the reference ran another version of the suite: compared on the tasks both ran")
    results: list[GateResult] = []
    if pairs:
        current_tables = _tables(engine, [(run.id, cur) for cur, _ in pairs], names)
        flaky_ids = flaky_task_ids(engine, agent) if agent else set()
        for cur, ref in pairs:
            ref_table = reference(ref)
            cur_table = current_tables.get((run.id, cur), {})
            for m in names:
                for ctx in [c for c in CONTEXTS if c in cur_table.get(m, {}) and c in ref_table.get(m, {})]:
                    res = compare_tasks(cur_table[m][ctx], ref_table[m][ctx], metric=m, margin=margins.get(m),
                                        alpha=alpha)
                    diffs = {f"{ctx}/{t}": d for t, d in res.pop("diffs").items()}
                    row = GateResult(arm=cur, reference_arm=ref, context=ctx, metric=m, **res)
                    if row.more_tasks:
                        row.more_trials = row.more_tasks * max(int(run.trials_per_task or 1), 1)
                    row.flaky = flaky_share(diffs, flaky_ids)
                    results.append(row)
        _history_position(engine, agent, history_arms, run.id, pairs, current_tables, names, results)
    else:
        outcome["notes"].append("no reference run to compare with: nothing gated (the run is accepted)")
    attribute_drift(results, PINNED_ARM)
    if any(r.cause == "drift" for r in results):
        outcome["notes"].append("the pinned config regressed too: provider/environment drift, not this config")
    outcome["results"] = [r.as_dict() for r in results]
    outcome["verdict"] = overall(results)
    if outcome["verdict"] == "regressed" and agent:
        since = ref_run.created_at if ref_run is not None else (history_arms[-1]["created_at"] if history_arms else None)
        suspect = applied_between(history_service.applied_changes(engine, agent), since, run.created_at) if since else None
        if suspect:
            outcome["suggest_rollback"] = suspect
            outcome["notes"].append(f"change {suspect} was applied since the reference: consider rolling it back")
    outcome["passed"] = outcome["verdict"] != "regressed"
    if record:
        with transaction(engine) as session:
            outcome["check_id"] = store.save_check(session, run.id, label, outcome["verdict"], outcome["passed"],
                                                   {"metrics": names, "n_results": len(results)})
    return outcome


def _reference(engine: Engine, run, against: str, arms_now, history_arms, names):
    """(label, arm pairs, arm -> task table, reference run or None for the pooled history)."""
    from tamma_tui.store import queries, repo

    if against not in AGAINST_MODES:
        try:
            ref_id = int(against)
        except ValueError:
            raise BadInput(f"expected a run id, last-accepted or history, got {against!r}", field="--against") from None
        ref = repo.get_run(engine, ref_id)
        if ref.id == run.id:
            raise BadInput("a run cannot be checked against itself", field="--against")
        return _against_run(engine, ref, arms_now, queries.arm_configs(engine, ref.id), names, f"run {ref.id}")
    if against == "last-accepted":
        candidates = list(dict.fromkeys(a["run_id"] for a in reversed(history_arms)))
        accepted = store.accepted_runs(engine, candidates)
        ref_id = next((r for r in candidates if r in accepted), None)
        if ref_id is None:
            return "last-accepted (none yet)", [], None, None
        return _against_run(engine, repo.get_run(engine, ref_id), arms_now, queries.arm_configs(engine, ref_id),
                            names, f"last-accepted run {ref_id}")
    # history: the runs of the agent's current level (since its last change point), pooled per task.
    chosen = [a for a in pick_arms(history_arms) if a["role"] == "current"]
    if not chosen:
        return "history (none yet)", [], None, None
    series = build_series(engine, "", metrics=names[:1], contexts=["all"], arms=chosen)
    s = find(series, context="all", metric=names[0])
    start_run = None
    if s is not None:
        start_run = changes.current_level(s, changes.detect(s))["since_run"]
    ids = [a["run_id"] for a in chosen]
    if start_run in ids:
        chosen = chosen[ids.index(start_run):]
    tables = _tables(engine, [(a["run_id"], a["arm"]) for a in chosen], names)
    pooled = _pool(list(tables.values()), names)
    current = next((a["name"] for a in arms_now if a["baseline"]), arms_now[0]["name"] if arms_now else None)
    label = f"history ({len(chosen)} runs since run {chosen[0]['run_id']})"
    return label, ([(current, "history")] if current else []), (lambda _ref: pooled), None


def _against_run(engine, ref_run, arms_now, arms_ref, names, label):
    pairs = pair_arms(arms_now, arms_ref)
    tables = _tables(engine, [(ref_run.id, r) for _, r in pairs], names)
    return label, pairs, (lambda ref: tables.get((ref_run.id, ref), {})), ref_run


def _history_position(engine, agent, history_arms, run_id, pairs, current_tables, names, results) -> None:
    """Where each compared value sits against the history's change-point model."""
    chosen = pick_arms(history_arms)
    if len(chosen) < 2 * changes.MIN_SIZE:
        return
    series = build_series(engine, agent, metrics=names, arms=chosen)
    for row in results:
        s = find(series, context=row.context, metric=row.metric, role="pinned" if row.arm == PINNED_ARM else "current")
        table = current_tables.get((run_id, row.arm), {}).get(row.metric, {}).get(row.context)
        if s is None or not table:
            continue
        cps = changes.detect(s)
        level = changes.current_level(s, cps)
        value = sum(v for v, _ in table.values()) / len(table)
        floor = changes.noise_floor(s.points)
        row.history = {"level": level, "value": value, **changes.position(value, level, floor, row.metric)}


def acknowledge(engine: Engine, run_id: int | str, *, reason: str, expires: str) -> dict[str, Any]:
    """Accept a run's regression until ``expires``; recorded and audited."""
    from tamma_tui.store import repo

    run = repo.get_run(engine, run_id)
    if not reason or not reason.strip():
        raise BadInput("an acknowledgement needs a reason", field="--reason")
    when = parse_when(expires, "--expires")
    assert when is not None
    if when <= datetime.now(timezone.utc):
        raise Refused(f"expiry {expires} is in the past", field="--expires")
    if not store.checks(engine, [run.id]):
        raise Refused(f"run {run.id} has not been checked; run `tamma-bench check {run.id}` first", field="RUN")
    with transaction(engine) as session:
        ack_id = store.save_ack(session, run.id, reason.strip(), when, actor=_actor())
        _audit(session, "check.ack", f"run:{run.id}", reason=reason.strip(), expires=when.isoformat())
    return {"ack_id": ack_id, "run_id": run.id, "expires": when.isoformat(timespec="seconds"), "reason": reason.strip()}


def _finite(v: float | None) -> bool:
    return v is not None and math.isfinite(v)

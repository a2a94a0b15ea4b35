"""Change requests: propose a benchmark winner for a Tamma config store, approve or reject it,
apply it with a drift check, verify it with a confirmatory canary, roll it back. Every step is
an event in the hash-chained audit trail (subject ``change:<id>``).

    proposed -> approved -> applied -> verified
                                    -> rolled_back   (by ``rollback`` or a failed ``verify``)
    proposed -> rejected;  proposed|approved -> superseded   (the live config moved on)

An approval is bound to the hash of the exact change (store, target, base document hash and
operations); a change edited after approval loses it. A rollback is itself a change, applied at
once and audited; it needs no approval.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable

from tamma_tui.errors import BadInput, DriftError, Refused, StoreError
from tamma_tui.store.handle import Database

STATES = ("proposed", "approved", "rejected", "applied", "verified", "rolled_back", "superseded")
#: Fields that name an agent rather than shape its behaviour: never part of a change.
IDENTITY_FIELDS = ("agentId", "name", "version")
JSON_KEYS = ("id", "state", "store", "target", "run_id", "variant", "base_sha256", "proposed_sha256")


def _canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def behaviour_sha256(agent: dict[str, Any]) -> str:
    """The hash of what an agent does: its canonical config without the fields that name it,
    so the same configuration read from a file and from the API compares equal."""
    return hashlib.sha256(_canonical({k: v for k, v in agent.items() if k not in IDENTITY_FIELDS}).encode()).hexdigest()


def change_ops(base: dict[str, Any], variant: dict[str, Any], prefix: str = "") -> list[dict[str, Any]]:
    """The minimal change from one canonical config to another, as dotted paths and values
    (objects are walked, lists and scalars are replaced whole; None removes)."""
    ops: list[dict[str, Any]] = []
    for key in list(base) + [k for k in variant if k not in base]:
        if not prefix and key in IDENTITY_FIELDS:
            continue
        path = f"{prefix}{key}"
        a, b = base.get(key), variant.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            ops.extend(change_ops(a, b, path + "."))
        elif a != b or type(a) is not type(b):
            ops.append({"path": path, "value": b})
    return ops


def change_sha256(store: str, target: str, base_sha256: str, ops: list[dict[str, Any]]) -> str:
    return hashlib.sha256(_canonical({"store": store, "target": target, "base": base_sha256, "ops": ops}).encode()).hexdigest()


def as_json(change: Any) -> dict[str, Any]:
    """The object ``--json`` prints: the listed keys first, then the rest."""
    out = {
        "id": int(change.id), "state": change.state, "store": change.store, "target": change.target,
        "run_id": change.run_id, "variant": change.variant, "base_sha256": change.base_sha256,
        "proposed_sha256": change.proposed_sha256,
    }
    out.update({
        "kind": change.kind, "agent_id": change.agent_id, "change_sha256": change.change_sha256,
        "approved": bool(change.approved_change_sha256), "forced": change.forced, "reason": change.reason,
        "rolls_back_id": change.rolls_back_id, "rolled_back_by_id": change.rolled_back_by_id,
        "actor": change.actor, "ops": json.loads(change.ops_json), "evidence": json.loads(change.evidence_json),
        "created_at": change.created_at.isoformat(timespec="seconds") if change.created_at else None,
        "updated_at": change.updated_at.isoformat(timespec="seconds") if change.updated_at else None,
    })
    return out


def _diff(store: str, before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True),
                                        fromfile=f"a/{store}", tofile=f"b/{store}"))


def _audit(session, change, action: str, actor: str, *, before: str | None = None, after: str | None = None,
           reason: str = "", **details: Any) -> None:
    from tamma_tui.store.audit import append_event

    append_event(session, actor=actor, action=action, subject=f"change:{change.id}", before=before, after=after,
                 reason=reason, details={"state": change.state, "store": change.store, "target": change.target,
                                         **details})


def _store_error(db: Database, change_id: int | None, store: str, actor: str, exc: BaseException) -> None:
    """A failed store operation is an event too (the message is already free of secrets)."""
    from tamma_tui.store.audit import append_event

    append_event(db, actor=actor, action="store.error", subject=f"change:{change_id}" if change_id else store,
                 reason=str(exc), details={"store": store, "error": type(exc).__name__})


def _load(session, change_id: int | str):
    from tamma_tui.store import changes as table

    try:
        cid = int(change_id)
    except (TypeError, ValueError):
        raise BadInput(f"not a change id: {change_id!r}", field="ID") from None
    change = table.get(session, cid)
    if change is None:
        raise BadInput(f"change {cid} not found", field="ID")
    return change


def _need_state(change, *states: str, doing: str) -> None:
    if change.state not in states:
        raise Refused(f"change {change.id} is {change.state}; {doing} needs it {' or '.join(states)}",
                      field="state")


def _need_reason(reason: str | None, what: str) -> str:
    if not reason or not reason.strip():
        raise BadInput(f"{what} needs a reason", field="--reason")
    return reason.strip()


# -- evidence ------------------------------------------------------------------------------


def run_evidence(db: Database, run_id: int, variant: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(evidence, baseline canonical config, variant canonical config) of one arm of a run."""
    from tamma_tui.services.reports import report_for_run
    from tamma_tui.store.changes import config_canonical, run_task_ids

    report = report_for_run(db, run_id)
    arms = {a["name"]: a for a in report["arms"]}
    if variant not in arms or arms[variant]["baseline"]:
        names = [n for n, a in arms.items() if not a["baseline"]]
        raise BadInput(f"run {run_id} has no variant {variant!r} (variants: {', '.join(names) or 'none'})",
                       field="--variant")
    base_name = next(n for n, a in arms.items() if a["baseline"])
    decision = report.get("decision") or {}
    metric, context = decision.get("primary_metric"), decision.get("context", "all")
    row = next((c for c in report.get("comparisons", []) if c["variant"] == variant and c["metric"] == metric
                and c["context"] == context), {})
    run_row = _run_row(db, run_id)
    base_cfg = config_canonical(db, arms[base_name]["config_sha256"])
    var_cfg = config_canonical(db, arms[variant]["config_sha256"])
    if base_cfg is None or var_cfg is None:
        raise BadInput(f"run {run_id} does not hold the arms' configurations (an import?)", field="RUN")
    evidence = {
        "run_id": int(run_id), "variant": variant, "baseline": base_name,
        "winner": decision.get("winner"), "primary_metric": metric, "context": context,
        "effect": {k: row.get(k) for k in ("diff", "ci_low", "ci_high", "p_value", "p_adjusted", "direction",
                                           "n_pairs", "test")},
        "guardrails": [g for g in decision.get("guardrails", []) if g["variant"] == variant],
        "baseline_config_sha256": behaviour_sha256(base_cfg),
        "variant_config_sha256": behaviour_sha256(var_cfg),
        "tasks": sorted(run_task_ids(db, run_id)),
        "suite": report["run"].get("suite"),
        "analysis": json.loads(run_row.analysis_json or "{}"),
        "contexts": [c for c in (run_row.contexts or "").split(",") if c],
        "validation_run": None,
    }
    return evidence, base_cfg, var_cfg


def _run_row(db: Database, run_id: int):
    from tamma_tui.store import repo

    return repo.get_run(db, run_id)


# -- the steps -----------------------------------------------------------------------------


def propose(db: Database, run_id: int, variant: str, store_spec: str, *, target: str | None = None,
            actor: str, validation_run: int | None = None) -> dict[str, Any]:
    from tamma_tui.integration.stores import open_store
    from tamma_tui.store import changes as table
    from tamma_tui.store.db import transaction

    evidence, base_cfg, var_cfg = run_evidence(db, run_id, variant)
    if validation_run is not None:
        evidence["validation_run"] = run_evidence(db, validation_run, variant)[0]
        evidence["validation_run"].pop("tasks", None)
    store = open_store(store_spec)
    target = target or _default_target(base_cfg)
    live = store.read(target)
    ops = change_ops(base_cfg, var_cfg)
    if not ops:
        raise Refused(f"variant {variant!r} is configured like the baseline; there is nothing to change",
                      field="--variant")
    new_text = store.plan(live, ops)
    proposed_agent = store.resolve_text(target, new_text)
    proposed = _doc_hash(store, new_text)
    live_sha = behaviour_sha256(store.resolve_text(target, live.text))
    evidence["measured_on_live"] = live_sha == evidence["baseline_config_sha256"]
    evidence["live_config_sha256"] = live_sha
    evidence["proposed_config_sha256"] = behaviour_sha256(proposed_agent)
    with transaction(db) as session:
        for other in table.open_for_store(session, store.spec, target):
            if other.base_sha256 != live.sha256:
                other.state, other.reason = "superseded", "the live configuration moved on"
                table.touch(session, other)
                _audit(session, other, "change.supersede", actor, before=other.base_sha256, after=live.sha256,
                       reason=other.reason)
        change = table.add(session, table.ChangeRequest(
            store=store.spec, target=target, agent_id=live.agent_id, run_id=int(run_id), variant=variant,
            base_sha256=live.sha256, proposed_sha256=proposed, ops_json=_canonical(ops),
            change_sha256=change_sha256(store.spec, target, live.sha256, ops),
            diff_text=_diff(store.spec, live.text, new_text), snapshot_text=live.text,
            evidence_json=_canonical(evidence), evidence_config_sha256=evidence["baseline_config_sha256"],
            actor=actor,
        ))
        _audit(session, change, "change.propose", actor, before=live.sha256, after=proposed,
               run_id=int(run_id), variant=variant, change_sha256=change.change_sha256, ops=ops,
               measured_on_live=evidence["measured_on_live"])
        return as_json(change)


def suggested_store(db: Database, run_id: int) -> str:
    """The store a run's baseline came from, when it was a Tamma role (``tamma-file:PATH``)."""
    from tamma_tui.store.changes import config_canonical
    from tamma_tui.store.queries import arm_configs

    base = next((a for a in arm_configs(db, int(run_id)) if a["baseline"]), None)
    config = config_canonical(db, base["config_sha256"]) if base else None
    agent_id = str((config or {}).get("agentId") or "")
    return agent_id.split("@", 1)[1] if agent_id.startswith("tamma:") and "@" in agent_id else ""


def _default_target(base_cfg: dict[str, Any]) -> str:
    agent_id = str(base_cfg.get("agentId", ""))
    if agent_id.startswith("tamma:"):
        return agent_id.split(":", 1)[1].split("@", 1)[0]  # tamma:<role>@<source> -> role
    return agent_id


def _doc_hash(store, text: str) -> str:
    from tamma_tui.integration import json_text
    from tamma_tui.integration.stores import TammaApiStore, sha256_text

    if isinstance(store, TammaApiStore):
        return sha256_text(json_text.canonical(json_text.parse(text, store.spec)))
    return sha256_text(text)


def _check_drift(db: Database, change, store, actor: str):
    """The live document, or DriftError (and the change superseded) when it moved."""
    from tamma_tui.integration import json_text
    from tamma_tui.integration.stores import _drift
    from tamma_tui.store import changes as table
    from tamma_tui.store.db import transaction

    live = store.read(change.target)
    if live.sha256 == change.base_sha256:
        return live
    base = type(live)(change.snapshot_text, json_text.parse(change.snapshot_text, store.spec), change.base_sha256,
                      {}, live.agent_id)
    error = _drift(base, live, store.spec)
    with transaction(db) as session:
        fresh = table.get(session, change.id)
        fresh.state, fresh.reason = "superseded", error.reason
        table.touch(session, fresh)
        _audit(session, fresh, "change.supersede", actor, before=change.base_sha256, after=live.sha256, reason=error.reason)
    raise error


def approve(db: Database, change_id: int | str, *, reason: str, actor: str, force: bool = False) -> dict[str, Any]:
    from tamma_tui.integration.stores import open_store
    from tamma_tui.store import changes as table
    from tamma_tui.store.db import transaction

    reason = _need_reason(reason, "an approval")
    with transaction(db) as session:
        change = _load(session, change_id)
        _need_state(change, "proposed", doing="approve")
    store = open_store(change.store)
    live = _check_drift(db, change, store, actor)
    live_sha = behaviour_sha256(store.resolve_text(change.target, live.text))
    if live_sha != change.evidence_config_sha256 and not force:
        raise Refused(f"the evidence of change {change.id} was measured on a configuration other than the live "
                      f"one (evidence {change.evidence_config_sha256[:12]}, live {live_sha[:12]}); "
                      "approve with --force and a reason to accept it", field="evidence")
    with transaction(db) as session:
        change = _load(session, change_id)
        _need_state(change, "proposed", doing="approve")
        change.approved_change_sha256 = change_sha256(change.store, change.target, change.base_sha256,
                                                      json.loads(change.ops_json))
        change.state, change.reason, change.approved_by = "approved", reason, actor
        change.forced = bool(force and live_sha != change.evidence_config_sha256)
        table.touch(session, change)
        _audit(session, change, "change.approve", actor, before=change.base_sha256, after=change.proposed_sha256,
               reason=reason, change_sha256=change.approved_change_sha256, forced=change.forced)
        return as_json(change)


def reject(db: Database, change_id: int | str, *, reason: str, actor: str) -> dict[str, Any]:
    from tamma_tui.store import changes as table
    from tamma_tui.store.db import transaction

    reason = _need_reason(reason, "a rejection")
    with transaction(db) as session:
        change = _load(session, change_id)
        _need_state(change, "proposed", "approved", doing="reject")
        change.state, change.reason = "rejected", reason
        table.touch(session, change)
        _audit(session, change, "change.reject", actor, reason=reason)
        return as_json(change)


def apply(db: Database, change_id: int | str, *, actor: str) -> dict[str, Any]:
    from tamma_tui.integration.stores import open_store
    from tamma_tui.store import changes as table
    from tamma_tui.store.db import transaction

    with transaction(db) as session:
        change = _load(session, change_id)
        _need_state(change, "approved", doing="apply")
        ops = json.loads(change.ops_json)
        bound = change_sha256(change.store, change.target, change.base_sha256, ops)
        if bound != change.approved_change_sha256 or bound != change.change_sha256:
            change.state, change.approved_change_sha256 = "proposed", ""
            change.reason = "the change was edited after its approval; the approval is revoked"
            table.touch(session, change)
            _audit(session, change, "change.approval_revoked", actor, reason=change.reason, change_sha256=bound)
            revoked = change.reason
        else:
            revoked = ""
    if revoked:
        raise Refused(f"change {change.id}: {revoked}", field="approval")
    store = open_store(change.store)
    live = _check_drift(db, change, store, actor)
    try:
        new_text = store.plan(live, ops)
        after = store.write(change.target, new_text, base=live)
    except DriftError:
        raise
    except (StoreError, BadInput) as exc:
        _store_error(db, change.id, change.store, actor, exc)
        raise
    with transaction(db) as session:
        change = _load(session, change_id)
        change.state, change.proposed_sha256 = "applied", after.sha256
        table.touch(session, change)
        _audit(session, change, "change.apply", actor, before=live.sha256, after=after.sha256,
               reason=change.reason, agent_id=after.agent_id)
        return as_json(change)


def rollback(db: Database, change_id: int | str, *, reason: str, actor: str) -> dict[str, Any]:
    """Restore the pre-change snapshot as a new change (applied at once, no approval)."""
    from tamma_tui.integration.stores import open_store
    from tamma_tui.store import changes as table
    from tamma_tui.store.db import transaction

    reason = _need_reason(reason, "a rollback")
    with transaction(db) as session:
        change = _load(session, change_id)
        _need_state(change, "applied", "verified", doing="roll back")
    store = open_store(change.store)
    live = store.read(change.target)
    if live.sha256 != change.proposed_sha256:
        raise DriftError(f"the live configuration changed after change {change.id} was applied "
                         f"(live {live.sha256[:12]}, applied {change.proposed_sha256[:12]}); "
                         "rolling back would undo someone else's change", file=store.spec, field="drift")
    snapshot = change.snapshot_text
    try:
        after = store.write(change.target, snapshot, base=live)
    except DriftError:
        raise
    except (StoreError, BadInput) as exc:
        _store_error(db, change.id, change.store, actor, exc)
        raise
    with transaction(db) as session:
        original = _load(session, change_id)
        back = table.add(session, table.ChangeRequest(
            kind="rollback", state="applied", store=original.store, target=original.target,
            agent_id=original.agent_id, run_id=original.run_id, variant=original.variant,
            base_sha256=live.sha256, proposed_sha256=after.sha256, ops_json="[]",
            change_sha256=change_sha256(original.store, original.target, live.sha256, [{"restore": original.id}]),
            diff_text=_diff(original.store, live.text, snapshot), snapshot_text=live.text,
            evidence_json=_canonical({"rolls_back": original.id}), reason=reason, rolls_back_id=original.id,
            actor=actor,
        ))
        original.state, original.rolled_back_by_id, original.reason = "rolled_back", back.id, reason
        table.touch(session, original)
        _audit(session, back, "change.rollback", actor, before=live.sha256, after=after.sha256, reason=reason,
               rolls_back=original.id)
        _audit(session, original, "change.rolled_back", actor, before=live.sha256, after=after.sha256,
               reason=reason, by=back.id)
        return as_json(back)


# -- verify: a confirmatory canary -------------------------------------------------------


@dataclass(frozen=True)
class CanaryResult:
    verdict: str  # verified | failed | inconclusive
    reason: str
    run_id: int | None
    details: dict[str, Any]


def verify(db: Database, change_id: int | str, *, actor: str, max_tasks: int = 12, trials: int = 1,
           on_event: Callable[[Any], None] | None = None) -> dict[str, Any]:
    """Run the live config against the pre-change snapshot on tasks the evidence did not use,
    sequentially; roll back by itself when the primary metric or a guardrail fails.

    Returns the change as JSON plus ``verdict``, ``canary_run_id`` and, after a rollback,
    ``rollback_id``."""
    from tamma_tui.integration.stores import open_store
    from tamma_tui.services.canary import run_canary
    from tamma_tui.store import changes as table
    from tamma_tui.store.db import transaction

    with transaction(db) as session:
        change = _load(session, change_id)
        _need_state(change, "applied", doing="verify")
        if change.kind == "rollback":
            raise Refused(f"change {change.id} is a rollback; there is nothing to verify", field="kind")
    store = open_store(change.store)
    live = store.read(change.target)
    if live.sha256 != change.proposed_sha256:
        raise DriftError(f"the live configuration is not the one change {change.id} applied; "
                         "nothing to verify", file=store.spec, field="drift")
    candidate = store.resolve_text(change.target, live.text)
    previous = store.resolve_text(change.target, change.snapshot_text)
    evidence = json.loads(change.evidence_json)
    result = run_canary(db, change_id=change.id, previous=previous, candidate=candidate, evidence=evidence,
                        max_tasks=max_tasks, trials=trials, on_event=on_event)
    with transaction(db) as session:
        fresh = _load(session, change_id)
        fresh.reason = result.reason
        if result.verdict == "verified":
            fresh.state = "verified"
        table.touch(session, fresh)
        _audit(session, fresh, "change.verify", actor, before=change.base_sha256, after=change.proposed_sha256,
               reason=result.reason, verdict=result.verdict, canary_run_id=result.run_id, **result.details)
        out = as_json(fresh)
    out.update(verdict=result.verdict, canary_run_id=result.run_id)
    if result.verdict == "failed":
        back = rollback(db, change_id, reason=f"verification failed: {result.reason}", actor=actor)
        out = {**as_json_by_id(db, change_id), "verdict": "failed", "canary_run_id": result.run_id,
               "rollback_id": back["id"]}
    return out


def as_json_by_id(db: Database, change_id: int | str) -> dict[str, Any]:
    from sqlmodel import Session

    with Session(db, expire_on_commit=False) as session:
        return as_json(_load(session, change_id))


# -- reading -------------------------------------------------------------------------------


def list_changes(db: Database, *, state: str | None = None) -> list[dict[str, Any]]:
    from tamma_tui.store import changes as table

    if state is not None and state not in STATES:
        raise BadInput(f"unknown state {state!r}; expected one of {', '.join(STATES)}", field="--state")
    return [as_json(c) for c in table.listing(db, state=state)]


def show(db: Database, change_id: int | str) -> dict[str, Any]:
    from tamma_tui.services.audit import events_for

    out = as_json_by_id(db, change_id)
    out["diff"] = _diff_of(db, change_id)
    out["events"] = events_for(db, [f"change:{out['id']}"])
    return out


def _diff_of(db: Database, change_id: int | str) -> str:
    from sqlmodel import Session

    with Session(db) as session:
        return _load(session, change_id).diff_text


def history(db: Database, target: str) -> list[dict[str, Any]]:
    """Every change of one agent or role (its name, or the qualified agent id)."""
    from tamma_tui.store import changes as table

    return [as_json(c) for c in table.listing(db, target=target)]

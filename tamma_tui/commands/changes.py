"""`tamma-bench changes propose|approve|reject|apply|verify|rollback|list|show|history`:
benchmark winners shipped to Tamma's config stores, with evidence, approval and rollback."""

from __future__ import annotations

import argparse


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--actor", help="who is acting (default: the OS user)")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("changes", help="propose, approve, apply, verify and roll back config changes")
    cmds = parser.add_subparsers(dest="changes_command", metavar="ACTION", required=True)

    p = cmds.add_parser("propose", help="propose a run's variant as a change to a config store")
    p.add_argument("run", metavar="RUN")
    p.add_argument("--variant", required=True, help="the arm whose configuration to ship")
    p.add_argument("--store", required=True, metavar="STORE", help="dir:PATH, tamma-file:PATH or tamma-api:URL")
    p.add_argument("--target", metavar="AGENT|ROLE", help="default: the run baseline's agentId or Tamma role")
    p.add_argument("--validation-run", type=int, metavar="RUN", help="a confirmatory run to attach as evidence")
    _common(p)
    p.set_defaults(func=_propose)

    for name, helptext in (("approve", "approve a proposed change (bound to its exact hash)"),
                           ("reject", "reject a proposed or approved change")):
        p = cmds.add_parser(name, help=helptext)
        p.add_argument("id", metavar="ID")
        p.add_argument("--reason", required=True)
        if name == "approve":
            p.add_argument("--force", action="store_true",
                           help="approve although the evidence was measured on another configuration")
        _common(p)
        p.set_defaults(func=_approve if name == "approve" else _reject)

    p = cmds.add_parser("apply", help="write an approved change through its store (drift-checked)")
    p.add_argument("id", metavar="ID")
    _common(p)
    p.set_defaults(func=_apply)

    p = cmds.add_parser("verify", help="confirmatory canary; rolls back by itself when it fails")
    p.add_argument("id", metavar="ID")
    p.add_argument("--max-tasks", type=int, default=12, help="unused tasks per context (default 12)")
    p.add_argument("--trials", type=int, default=1)
    _common(p)
    p.set_defaults(func=_verify)

    p = cmds.add_parser("rollback", help="restore the pre-change snapshot (a new change, applied at once)")
    p.add_argument("id", metavar="ID")
    p.add_argument("--reason", required=True)
    _common(p)
    p.set_defaults(func=_rollback)

    p = cmds.add_parser("list", help="every change request")
    p.add_argument("--state", help="only changes in this state")
    _common(p)
    p.set_defaults(func=_list)

    p = cmds.add_parser("show", help="one change: evidence, diff and audit events")
    p.add_argument("id", metavar="ID")
    _common(p)
    p.set_defaults(func=_show)

    p = cmds.add_parser("history", help="every change of one agent or role")
    p.add_argument("target", metavar="AGENT|ROLE")
    _common(p)
    p.set_defaults(func=_history)


def _db(args):
    from tamma_tui.store.handle import as_database

    return as_database(args.db)


def _actor(args) -> str:
    from tamma_tui.services.audit import current_actor

    return current_actor(args.actor)


def _line(change: dict) -> str:
    evidence = change.get("evidence") or {}
    effect = evidence.get("effect") or {}
    eff = ""
    if effect.get("diff") is not None:
        eff = (f"  {evidence.get('primary_metric')} {effect['diff']:+.4g} "
               f"[{effect.get('ci_low', 0) or 0:+.4g}, {effect.get('ci_high', 0) or 0:+.4g}]")
    run = f"run {change['run_id']}/{change['variant']}" if change.get("run_id") else ""
    kind = " (rollback of %s)" % change["rolls_back_id"] if change.get("rolls_back_id") else ""
    return f"{change['id']:>4}  {change['state']:<11} {change['target']:<14} {run}{eff}{kind}"


def _emit(args, changes: list[dict], *, last_id: int | None = None) -> None:
    import json

    if args.json:
        for change in changes:
            print(json.dumps(change, sort_keys=False, default=str))
    else:
        for change in changes:
            print(_line(change))
            if change.get("reason"):
                print(f"      reason: {change['reason']}")
    if last_id is not None and not args.json:
        print(last_id)


def _propose(args) -> int:
    from tamma_tui.services import changes

    change = changes.propose(_db(args), _run_id(args.run), args.variant, args.store, target=args.target,
                             actor=_actor(args), validation_run=args.validation_run)
    if not args.json:
        print(change.get("diff") or _diff(args, change["id"]), end="")
        if not change["evidence"].get("measured_on_live"):
            print("note: the evidence was measured on another configuration than the live one; "
                  "approving needs --force and a reason")
    _emit(args, [change], last_id=change["id"])
    return 0


def _diff(args, change_id: int) -> str:
    from tamma_tui.services import changes

    return changes.show(_db(args), change_id)["diff"]


def _run_id(value: str) -> int:
    from tamma_tui.errors import BadInput

    try:
        return int(value)
    except ValueError:
        raise BadInput(f"not a run id: {value!r}", field="RUN") from None


def _approve(args) -> int:
    from tamma_tui.services import changes

    _emit(args, [changes.approve(_db(args), args.id, reason=args.reason, actor=_actor(args), force=args.force)])
    return 0


def _reject(args) -> int:
    from tamma_tui.services import changes

    _emit(args, [changes.reject(_db(args), args.id, reason=args.reason, actor=_actor(args))])
    return 0


def _apply(args) -> int:
    from tamma_tui.services import changes

    _emit(args, [changes.apply(_db(args), args.id, actor=_actor(args))])
    return 0


def _verify(args) -> int:
    from tamma_tui.services import changes

    out = changes.verify(_db(args), args.id, actor=_actor(args), max_tasks=args.max_tasks, trials=args.trials)
    _emit(args, [out])
    if not args.json:
        print(f"verdict: {out['verdict']} (canary run {out.get('canary_run_id')})"
              + (f"; rolled back by change {out['rollback_id']}" if out.get("rollback_id") else ""))
    return 0 if out["verdict"] == "verified" else 1


def _rollback(args) -> int:
    from tamma_tui.services import changes

    back = changes.rollback(_db(args), args.id, reason=args.reason, actor=_actor(args))
    _emit(args, [back], last_id=back["id"])
    return 0


def _list(args) -> int:
    from tamma_tui.services import changes

    _emit(args, changes.list_changes(_db(args), state=args.state))
    return 0


def _show(args) -> int:
    import json

    from tamma_tui.services import changes

    change = changes.show(_db(args), args.id)
    if args.json:
        print(json.dumps(change, default=str))
        return 0
    print(_line(change))
    evidence = change["evidence"]
    if evidence.get("run_id"):
        print(f"evidence: run {evidence['run_id']}, variant {evidence['variant']} vs {evidence['baseline']}, "
              f"winner {evidence.get('winner') or 'none'}, measured on live: {evidence.get('measured_on_live')}")
        for g in evidence.get("guardrails", []):
            print(f"  guardrail {g['metric']} (margin {g['margin']:g}): "
                  f"{'non-inferior' if g['non_inferior'] else 'NOT shown non-inferior'} (p={g['p_value']:.3g})")
    print(change["diff"], end="")
    for e in change["events"]:
        print(f"  #{e['seq']} {e['at'][:19]} {e['actor']} {e['action']}" + (f": {e['reason']}" if e["reason"] else ""))
    return 0


def _history(args) -> int:
    from tamma_tui.services import changes

    _emit(args, changes.history(_db(args), args.target))
    return 0

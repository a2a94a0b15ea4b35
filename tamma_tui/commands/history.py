"""`history AGENT`: an agent's metrics over its runs, with change points and events."""

from __future__ import annotations

import argparse
import json

FORMATS = ("table", "json", "md")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("history", help="an agent's runs over time: change points, drift, events, flaky tasks")
    p.add_argument("agent", metavar="AGENT", help="agentId (or the arm name of imported results)")
    p.add_argument("--metric", metavar="M", help="one metric (default: pass_rate, score, latency_s, cost_usd)")
    p.add_argument("--context", metavar="C", help="development, code_review, testing or all")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--tasks", action="store_true", help="list the most unstable (flaky) tasks instead")
    p.add_argument("--limit", type=int, default=20, help="tasks listed by --tasks")
    p.add_argument("--since", metavar="DATE", help="only runs from this ISO date or date-time")
    p.add_argument("--until", metavar="DATE", help="only runs before this ISO date or date-time")
    p.add_argument("--last", type=int, default=30, metavar="N",
                   help="table/md: show the newest N runs of each series (change points always show)")
    p.add_argument("--effectiveness", action="store_true", help="predicted vs realised effect of applied changes")
    p.set_defaults(func=_history)


def _history(args: argparse.Namespace) -> int:
    from tamma_tui.services import history
    from tamma_tui.store.db import open_database

    engine = open_database(args.db)
    if args.tasks:
        rows = history.flaky_tasks(engine, args.agent, context=args.context, limit=args.limit)
        _print(args.format, {"agent_id": args.agent, "tasks": rows}, _tasks_lines)
        return 0
    if args.effectiveness:
        view = history.effectiveness_of(engine, args.agent)
        _print(args.format, view, _effectiveness_lines)
        return 0
    view = history.agent_history(engine, args.agent, metric=args.metric, context=args.context,
                                 since=history.parse_when(args.since, "--since"),
                                 until=history.parse_when(args.until, "--until"))
    view["shown_last"] = max(args.last, 1)
    _print(args.format, view, _history_lines)
    return 0


def _print(fmt: str, view: dict, lines) -> None:
    if fmt == "json":
        print(json.dumps(view, indent=2, default=str))
        return
    print("\n".join(lines(view, md=fmt == "md")))


def _row(cells, md: bool, widths) -> str:
    if md:
        return "| " + " | ".join(str(c) for c in cells) + " |"
    return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()


def _fmt(v, metric: str = "") -> str:
    if v is None:
        return "-"
    if metric in ("pass_rate", "score"):
        return f"{v:.3f}"
    return f"{v:.4g}"


def _history_lines(view: dict, md: bool) -> list[str]:
    out = [f"{'# ' if md else ''}History of {view['agent_id']}: {view['runs']} run(s) "
           f"(change points: E-divisive means, t test alpha {view['detector']['alpha']}, "
           f">= {view['detector']['min_size']} runs per side)"]
    cps_by_run: dict[tuple, dict] = {}
    for s in view["series"]:
        for cp in s["change_points"]:
            cps_by_run[(s["suite_version"], s["context"], s["metric"], cp["run_id"])] = cp
    events_by_run: dict[int, list[str]] = {}
    for e in view["events"]:
        if e.get("run_id") is not None and e["kind"] == "version":
            events_by_run.setdefault(e["run_id"], []).append(e["text"])
    for s in view["series"]:
        metric = s["metric"]
        out.append("")
        title = (f"{metric} / {s['context']} (suite {s['suite_version'][:12] or '?'}): badge {s['badge'].upper()}, "
                 f"noise floor {_fmt(s['noise_floor'], metric)}, current level {_fmt(s['current_level']['mean'], metric)} "
                 f"since run {s['current_level']['since_run']}")
        out.append(f"## {title}" if md else title)
        widths = (6, 20, 8, 10, 10, 40)
        pinned = {p["run_id"]: p["value"] for p in s["pinned"]}
        header = ["run", "at", "version", "value", "pinned", "marks"]
        out.append(_row(header, md, widths))
        if md:
            out.append("|" + "---|" * len(header))
        last = view.get("shown_last") or len(s["points"])
        hidden = max(len(s["points"]) - last, 0)
        if hidden:
            out.append(f"... {hidden} older run(s) not shown (--last N); change points among them are")
        for i, p in enumerate(s["points"]):
            marks = []
            cp = cps_by_run.get((s["suite_version"], s["context"], metric, p["run_id"]))
            if i < hidden and cp is None:
                continue
            if cp:
                marks.append(f"<< {cp['verdict']} {cp['magnitude']:+.3g} [{cp['ci_low']:+.3g}, {cp['ci_high']:+.3g}]"
                             f" cause {cp['cause']}")
            marks.extend(events_by_run.get(p["run_id"], []))
            out.append(_row([p["run_id"], (p["at"] or "")[:19], p["version"] or "-", _fmt(p["value"], metric),
                             _fmt(pinned.get(p["run_id"]), metric), "; ".join(marks)], md, widths))
        for cp in s["change_points"]:
            line = (f"change at run {cp['run_id']}: {cp['verdict']}, {_fmt(cp['mean_before'], metric)} -> "
                    f"{_fmt(cp['mean_after'], metric)} ({cp['magnitude']:+.4g}, {round(100 * (1 - view['detector']['alpha']))}% CI "
                    f"[{cp['ci_low']:+.4g}, {cp['ci_high']:+.4g}], p={cp['p_value']:.3g}), cause: {cp['cause']}")
            if cp["verdict"] == "inconclusive" and cp["more_runs"]:
                line += f"; about {cp['more_runs']} more run(s) after it would settle it"
            elif cp["verdict"] == "inconclusive" and cp.get("trials_factor"):
                line += f"; runs with {cp['trials_factor']}x the trials would settle it"
            if cp.get("suggest_rollback"):
                line += f"; change {cp['suggest_rollback']} was applied just before: consider rolling it back"
            out.append(("- " if md else "  ") + line)
    if view["events"]:
        out.append("")
        out.append("## Events" if md else "Events")
        for e in view["events"]:
            out.append(f"{'- ' if md else '  '}{(e['at'] or '')[:19]}  {e['kind']:<8} {e['text']}")
    return out


def _tasks_lines(view: dict, md: bool) -> list[str]:
    widths = (24, 12, 9, 9, 9, 6)
    header = ["task", "context", "attempts", "pass", "flip rate", "flaky"]
    out = [f"{'# ' if md else ''}Most unstable tasks of {view['agent_id']}", _row(header, md, widths)]
    if md:
        out.append("|" + "---|" * len(header))
    for r in view["tasks"]:
        out.append(_row([r["task_id"], r["context"], r["attempts"], f"{r['pass_rate']:.2f}",
                         f"{r['flip_rate']:.2f}", "yes" if r["flaky"] else ""], md, widths))
    return out


def _effectiveness_lines(view: dict, md: bool) -> list[str]:
    out = [f"{'# ' if md else ''}Applied changes of {view['agent_id']}: predicted vs realised"]
    if not view["changes"]:
        out.append("no applied changes recorded")
    for c in view["changes"]:
        pred = "-" if c["predicted"] is None else f"{c['predicted']:+.4g}"
        if c.get("predicted_low") is not None and c.get("predicted_high") is not None:
            pred += f" [{c['predicted_low']:+.4g}, {c['predicted_high']:+.4g}]"
        real = "-" if c["realised"] is None else f"{c['realised']:+.4g} [{c['realised_low']:+.4g}, {c['realised_high']:+.4g}]"
        line = (f"change {c['change_id']} ({c['source']}, {c['metric']}/{c['context']}, applied {c['applied_at']}): "
                f"predicted {pred}, realised {real} ({c['n_before']} runs before, {c['n_after']} after): {c['verdict']}")
        if c["suggest_rollback"]:
            line += f"; consider rolling back change {c['change_id']}"
        out.append(("- " if md else "  ") + line)
    for s in view["by_source"]:
        ratio = "-" if s["ratio"] is None else f"{s['ratio']:.2f}"
        out.append(f"{'- ' if md else '  '}source {s['source']}: {s['changes']} change(s), predicted gain "
                   f"{s['predicted_gain']:+.4g}, realised {s['realised_gain']:+.4g}, winner's-curse ratio {ratio}")
    return out

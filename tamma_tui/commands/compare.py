"""`compare RUN_A RUN_B` or `compare --agent AGENT --since DATE [--until DATE]`."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="compare two runs (arms matched by config hash or name), or two time windows")
    p.add_argument("runs", metavar="RUN", nargs="*", help="RUN_A RUN_B (B is compared against A)")
    p.add_argument("--agent", metavar="AGENT", help="with --since: compare time windows of this agent's runs")
    p.add_argument("--since", metavar="DATE", help="window B starts here; window A is as long, just before")
    p.add_argument("--until", metavar="DATE", help="window B ends here (default: now)")
    p.add_argument("--metric", action="append", metavar="M")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(func=_compare)


def _compare(args: argparse.Namespace) -> int:
    from tamma_tui.errors import BadInput
    from tamma_tui.services import history
    from tamma_tui.store.db import open_database

    engine = open_database(args.db)
    if args.since or args.agent:
        if not (args.since and args.agent) or args.runs:
            raise BadInput("time windows need --agent AGENT and --since DATE (and no runs)", field="--since")
        view = history.compare_windows(engine, args.agent, history.parse_when(args.since, "--since"),
                                       history.parse_when(args.until, "--until"), metrics=args.metric)
        head = (f"{args.agent}: {view['window_b'][0]}..{view['window_b'][1]} ({view['runs_b']} runs) against "
                f"{view['window_a'][0]}..{view['window_a'][1]} ({view['runs_a']} runs)")
    else:
        if len(args.runs) != 2:
            raise BadInput("give two runs: RUN_A RUN_B", field="RUN")
        view = history.compare_runs(engine, args.runs[0], args.runs[1], metrics=args.metric)
        head = f"run {view['run_b']} against run {view['run_a']}"
    if args.format == "json":
        print(json.dumps(view, indent=2, default=str))
        return 0
    print(head)
    print(f"{'arm':<16} {'context':<12} {'metric':<12} {'tasks':>5} {'A':>9} {'B':>9} {'B - A':>9} {'p(worse)':>9}  verdict")
    for r in view["rows"]:
        def f(v):
            return "-" if v is None else f"{v:.4g}"
        print(f"{r['arm']:<16} {r['context']:<12} {r['metric']:<12} {r['n_tasks']:>5} {f(r['reference_mean']):>9} "
              f"{f(r['current_mean']):>9} {f(r['estimate']):>9} {f(r['p_worse']):>9}  "
              f"{ {'ok': 'not worse', 'regressed': 'worse', 'inconclusive': 'unclear'}[r['verdict']]}")
    return 0

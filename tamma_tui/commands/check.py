"""`check RUN`: the CI gate (exit 0 pass, 1 regression, 2 bad input); `check --ack RUN`."""

from __future__ import annotations

import argparse
import json
import sys

FORMATS = ("text", "json", "junit", "github")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="gate a run against the last accepted run, a run, or the history (CI)")
    p.add_argument("run", metavar="RUN", nargs="?")
    p.add_argument("--against", default="last-accepted", metavar="RUN|last-accepted|history")
    p.add_argument("--metric", action="append", metavar="M", help="gate this metric (repeatable); default: the "
                   "plan's primary metric and guardrails")
    p.add_argument("--format", choices=FORMATS, default="text")
    p.add_argument("--ack", metavar="RUN", help="acknowledge RUN's regression (needs --reason and --expires)")
    p.add_argument("--reason", metavar="TEXT")
    p.add_argument("--expires", metavar="DATE", help="ISO date the acknowledgement lapses")
    p.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    from tamma_tui.errors import BadInput
    from tamma_tui.history import formats
    from tamma_tui.services import check
    from tamma_tui.store.db import open_database
    from tamma_tui.vocabulary import ExitCode

    if args.ack:
        if args.run:
            raise BadInput("give either RUN or --ack RUN", field="RUN")
        if not args.reason or not args.expires:
            raise BadInput("--ack needs --reason TEXT and --expires DATE", field="--ack")
        done = check.acknowledge(open_database(args.db), args.ack, reason=args.reason, expires=args.expires)
        print(f"run {done['run_id']}: regression acknowledged until {done['expires']}")
        return ExitCode.OK
    if not args.run:
        raise BadInput("which run? (tamma-bench check RUN)", field="RUN")
    outcome = check.check_run(open_database(args.db), args.run, against=args.against, metrics=args.metric)
    if args.format == "json":
        print(json.dumps(outcome, indent=2, default=str))
    elif args.format == "junit":
        print(formats.junit(outcome), end="")
    elif args.format == "github":
        print(formats.github(outcome), end="")
    else:
        for row in outcome["results"]:
            print(formats.describe(row))
            hist = row.get("history") or {}
            if hist.get("where"):
                print(f"  history: value {hist['value']:.4g} is {hist['where']} the level since run "
                      f"{hist['level']['since_run']} ({hist['level']['mean']:.4g}, z={hist['z']})")
        for note in outcome["notes"]:
            print(note)
        print(formats.summary_line(outcome))
    unsettled = sum(1 for r in outcome["results"] if r["verdict"] == "inconclusive" and r.get("gated", True))
    if unsettled:  # passes, but says so where a CI log shows it whatever the format
        print(f"tamma-bench: warning: {unsettled} comparison(s) inconclusive; the gate passes without "
              "showing non-inferiority", file=sys.stderr)
    return ExitCode.FAILED if outcome["verdict"] == "regressed" else ExitCode.OK

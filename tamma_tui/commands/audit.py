"""`tamma-bench audit verify|export`: the hash-chained audit trail."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("audit", help="verify or export the hash-chained audit trail")
    cmds = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    verify = cmds.add_parser("verify", help="check every event's hash link and the chain head")
    verify.add_argument("--json", action="store_true", help="one JSON object")
    verify.set_defaults(func=_verify)

    export = cmds.add_parser("export", help="write every event, in order")
    export.add_argument("--format", choices=("jsonl",), default="jsonl")
    export.add_argument("--subject", help="only events about this subject (e.g. change:3)")
    export.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(func=_export)


def _verify(args: argparse.Namespace) -> int:
    import json

    from tamma_tui.services.audit import verify
    from tamma_tui.store.handle import as_database

    report = verify(as_database(args.db))
    if args.json:
        print(json.dumps(report, sort_keys=True))
    elif report["ok"]:
        print(f"audit trail intact: {report['checked']} events checked")
    else:
        print(f"audit trail broken at event {report['first_bad_seq']}: {report['problem']} "
              f"({report['checked']} events before it are intact)")
    return 0 if report["ok"] else 1


def _export(args: argparse.Namespace) -> int:
    import sys

    from tamma_tui.services.audit import export_jsonl
    from tamma_tui.store.handle import as_database

    lines = export_jsonl(as_database(args.db), subject=args.subject)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            for line in lines:
                out.write(line + "\n")
    else:
        for line in lines:
            sys.stdout.write(line + "\n")
    return 0

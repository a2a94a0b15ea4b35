"""`share preview RUN` and `share send RUN --to URL`: what would leave, and sending it."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    share = sub.add_parser("share", help="share a run's anonymised summary with the Test Platform")
    actions = share.add_subparsers(dest="share_command", metavar="ACTION", required=True)

    preview = actions.add_parser("preview", help="print exactly what would leave this machine (sends nothing)")
    preview.add_argument("run", metavar="RUN")
    preview.add_argument("--fields", help="comma-separated fields (default: all shareable fields)")
    preview.add_argument("--json", action="store_true", help="print the bundle itself")
    preview.set_defaults(func=_preview)

    send = actions.add_parser("send", help="sign and send a run's bundle (needs consent)")
    send.add_argument("run", metavar="RUN")
    send.add_argument("--to", required=True, metavar="URL",
                      help="the endpoint consented to (https, or http to a loopback address)")
    send.add_argument("--attempts", type=int, default=3, help="attempts in all (default 3)")
    send.set_defaults(func=_send)

    queue = actions.add_parser("queue", help="list bundles waiting to be sent")
    queue.set_defaults(func=_queue)


def _engine(args):
    from tamma_tui.store.db import open_database

    return open_database(args.db)


def _fields(raw: str | None):
    return [f.strip() for f in raw.split(",") if f.strip()] if raw else None


def _preview(args) -> int:
    from tamma_tui.services.sharing import preview

    result = preview(_engine(args), args.run, _fields(args.fields))
    if args.json:
        print(json.dumps(result.bundle, indent=2, sort_keys=True))
        return 0
    # Plain lines, one per field, so the preview can be read, grepped and diffed as is.
    print(f"run {result.run_id}: exactly what would leave this machine, field by field")
    width = max(len(path) for path, _, _ in result.rows)
    for path, value, rule in result.rows:
        print(f"  {path:<{width}}  {json.dumps(value):<18}  {rule}")
    for arm, pseudonym in result.arm_pseudonyms.items():
        print(f"(local only) arm {arm} is config {pseudonym}")
    print("Nothing else leaves: no prompts, tools, config names, task inputs or outputs, paths, "
          "SHAs, errors, user or host names, keys, URLs, seeds, per-trial rows or exact times. "
          "Nothing was sent.")
    return 0


def _send(args) -> int:
    from tamma_tui.services.sharing import send

    report = send(_engine(args), args.run, args.to, attempts=max(1, args.attempts))
    retried = f" after {report.attempts} attempts ({'; '.join(report.retries)})" if report.retries else ""
    print(f"sent run {report.run_id} to {report.endpoint}: HTTP {report.status}, "
          f"{report.records} record(s), envelope {report.envelope_id}{retried}")
    return 0


def _queue(args) -> int:
    from tamma_tui.sharing.queue import queued

    files = queued()
    for path in files:
        data = json.loads(path.read_text("utf-8"))
        print(f"{path.stem}  {data['endpoint']}  {data['bundle']['suite']['id']}")
    print(f"{len(files)} bundle(s) queued")
    return 0

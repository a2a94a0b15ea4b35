"""`consent grant | show | revoke`: who may receive which summaries."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction) -> None:
    consent = sub.add_parser("consent", help="grant, show or revoke consent to share")
    actions = consent.add_subparsers(dest="consent_command", metavar="ACTION", required=True)

    grant = actions.add_parser("grant", help="consent to send summaries of public suites to one endpoint")
    grant.add_argument("--endpoint", required=True, metavar="URL")
    grant.add_argument("--suites", required=True, help="comma-separated public suite ids")
    grant.add_argument("--fields", default="pass_rate,score,error_rate,latency_s,cost_usd,tokens,"
                       "temperature,tool_count,trial_count",
                       help="comma-separated shareable fields (pass_rate is required)")
    grant.add_argument("--yes", action="store_true",
                       help="grant without the interactive question (scripts); the record says so")
    grant.set_defaults(func=_grant)

    show = actions.add_parser("show", help="the current consent record and the policy")
    show.add_argument("--policy", action="store_true", help="also print the policy text")
    show.set_defaults(func=_show)

    revoke = actions.add_parser("revoke", help="revoke, purge queued bundles, ask the server to delete")
    revoke.set_defaults(func=_revoke)


def _split(raw: str) -> list[str]:
    return [p.strip() for p in raw.split(",") if p.strip()]


def _grant(args) -> int:
    from tamma_tui.errors import Refused
    from tamma_tui.services.sharing import grant_consent
    from tamma_tui.sharing.consent import normalise_endpoint, policy_text

    if args.yes:
        method = "--yes flag"
    elif sys.stdin.isatty() and sys.stdout.isatty():
        print(policy_text())
        print(f"Endpoint: {normalise_endpoint(args.endpoint)}\nSuites: {args.suites}\nFields: {args.fields}")
        answer = input("Grant this consent for 12 months? Type 'yes' to agree: ")
        if answer.strip().lower() != "yes":
            print("not granted")
            return 1
        method = "interactive terminal"
    else:
        raise Refused("consent needs an interactive terminal, or --yes to grant it explicitly",
                      field="consent")
    from tamma_tui.store.db import open_database

    record = grant_consent(endpoint=args.endpoint, suites=_split(args.suites),
                           fields=_split(args.fields), method=method, db=open_database(args.db))
    print(f"consent {record.id} granted to {record.endpoint} for {', '.join(record.suites)} "
          f"until {record.expires_at}")
    return 0


def _show(args) -> int:
    import json

    from tamma_tui.services.sharing import show_consent
    from tamma_tui.sharing.consent import policy_text

    record = show_consent()
    if record is None:
        print("no consent given: nothing can be sent (previews need none)")
    else:
        print(json.dumps({**record.to_json(), "status": record.status()}, indent=2))
    if args.policy:
        print(policy_text())
    return 0


def _revoke(args) -> int:
    from tamma_tui.services.sharing import revoke_consent
    from tamma_tui.store.db import open_database

    report = revoke_consent(db=open_database(args.db))
    print(f"consent {report.consent_id} revoked; {report.purged} queued bundle(s) purged; {report.deletion}")
    return 0 if report.delivered else 1

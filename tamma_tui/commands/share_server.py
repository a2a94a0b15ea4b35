"""`share-server`: the Test Platform's aggregator, runnable locally (needs tamma-bench[server])."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("share-server", help="run the sharing aggregator (Test Platform side) locally")
    p.add_argument("--store", required=True, metavar="PATH_OR_URL", help="the server's own database")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--eps-count", type=float, default=0.5, help="epsilon of each cohort's count")
    p.add_argument("--eps-histogram", type=float, default=0.5, help="epsilon of each cohort's histogram")
    p.add_argument("--budget", type=float, default=20.0, help="epsilon cap per suite per year")
    p.add_argument("--k", type=int, default=10, help="minimum cohort size k in tau")
    p.add_argument("--suite", action="append", metavar="ID", dest="suites",
                   help="accept this public suite id (repeatable; default: the built-in public "
                        "suites and the documented list)")
    p.set_defaults(func=_serve)


def _serve(args) -> int:
    import sys

    from tamma_tui.errors import BadInput
    from tamma_tui.sharing.server.aggregator import Aggregator, Settings
    from tamma_tui.sharing.server.dp import OpenDPMissing, count_measurement
    from tamma_tui.sharing.server.http import serve
    from tamma_tui.store.share_server import ShareServerStore

    if min(args.eps_count, args.eps_histogram, args.budget) <= 0:
        raise BadInput("epsilons and the budget must be positive", field="--eps-count/--eps-histogram/--budget")
    try:
        count_measurement(args.eps_count)
    except OpenDPMissing as exc:
        raise BadInput(str(exc), field="share-server") from None
    settings = Settings(eps_count=args.eps_count, eps_histogram=args.eps_histogram,
                        budget_per_suite_year=args.budget, k=args.k,
                        **({"suites": tuple(args.suites)} if args.suites else {}))
    server = serve(Aggregator(ShareServerStore(args.store), settings), args.host, args.port, quiet=False)
    print(f"share-server listening on {server.url} (tau {settings.tau}, "
          f"epsilon {settings.eps_per_cohort} per cohort, cap {settings.budget_per_suite_year}/suite/year)",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
    return 0

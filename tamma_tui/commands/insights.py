"""`insights --suite S --from URL`: where your configs stand in the community aggregate."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("insights", help="your configs' percentile per context in the published community aggregate")
    p.add_argument("--suite", required=True)
    p.add_argument("--from", dest="source", required=True, metavar="URL", help="the share-server")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_insights)


def _insights(args) -> int:
    import dataclasses
    import json

    from tamma_tui.services.sharing import insights
    from tamma_tui.store.db import open_database

    release, rows = insights(open_database(args.db), args.suite, args.source)
    if args.json:
        print(json.dumps({"release_id": release.get("release_id"), "cached": release.get("cached"),
                          "rows": [dataclasses.asdict(r) for r in rows]}, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{args.suite}: your standing (release {str(release.get('release_id'))[:8]}, "
                  f"epsilon {release['epsilon']['histogram']} per histogram, tau {release['tau']})",
                  title_justify="left")
    for col, justify in (("arm", "left"), ("run", "right"), ("context", "left"), ("family", "left"),
                         ("pass", "right"), ("percentile", "right"), ("95% interval", "right"),
                         ("cohort ~", "right")):
        table.add_column(col, justify=justify)
    for r in rows:
        if r.percentile is None:
            table.add_row(r.arm, str(r.run_id), r.context, r.model_family, f"{r.pass_rate:.2f}",
                          "–", "suppressed*", "–")
        else:
            table.add_row(r.arm, str(r.run_id), r.context, r.model_family, f"{r.pass_rate:.2f}",
                          f"{r.percentile:.0f}", f"{r.low:.0f}–{r.high:.0f}", str(r.cohort_size))
    console = Console()
    console.print(_aggregate_table(release))
    console.print(table)
    if any(r.percentile is None for r in rows):
        print("* the cohort was not published: fewer contributors than tau (or none yet)")
    if not rows:
        print(f"no local runs of {args.suite} with a stored config")
    return 0


BARS = " ▁▂▃▄▅▆▇█"


def histogram_bar(counts) -> str:
    """20 noisy bin counts as one line of block characters (negatives drawn as empty)."""
    top = max(max(counts), 1)
    return "".join(BARS[round(max(c, 0) / top * (len(BARS) - 1))] for c in counts)


def _aggregate_table(release):
    from rich.table import Table

    table = Table(title=f"published aggregate of {release['suite']} ({len(release['cohorts'])} cohort(s) "
                  f"at or above tau; smaller ones are suppressed)", title_justify="left")
    for col, justify in (("context", "left"), ("family", "left"), ("contributors ~", "right"),
                         ("pass rate 0 .. 1 (20 bins)", "left")):
        table.add_column(col, justify=justify)
    for c in release["cohorts"]:
        table.add_row(c["context"], c["model_family"], str(c["noisy_count"]), histogram_bar(c["histogram"]))
    return table
